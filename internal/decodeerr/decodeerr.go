// Package decodeerr says why a JSON or YAML file a user gave (a config
// file, a snapshot, a key file) does not fit what trailseal reads: the
// field, named as the file names it, and the type expected, in words. The
// decoders' own messages name Go types ("cannot unmarshal number into Go
// struct field .account.id of type string"), which mean nothing to the
// person who wrote the file.
package decodeerr

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"
)

var (
	timeType            = reflect.TypeFor[time.Time]()
	rawMessageType      = reflect.TypeFor[json.RawMessage]()
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// Words says in words what a value of type t is written as.
func Words(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return "a time such as 2026-01-02T15:04:05Z"
	case t == rawMessageType:
		return "any value"
	}
	switch t.Kind() {
	case reflect.String:
		return "text"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "a whole number, 0 or more"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "base64 text"
		}
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Interface:
		return "any value"
	}
	return "a value"
}

// Mismatch is a value of the wrong type in a document.
type Mismatch struct {
	// Path names the value as the document does: "trails[2].status",
	// "regions[0]", "calls.s3:GetBucketAcl".
	Path string
	// Want is the type expected, in words.
	Want string
	// Found is what the document holds, in words: `text "yes"`, "the
	// number 1.5", "a list".
	Found string
	// Offset is the byte offset just after the value, -1 when unknown.
	Offset int64
}

func (m *Mismatch) Error() string {
	return fmt.Sprintf("%s must be %s, not %s", m.Path, m.Want, m.Found)
}

// Quote shows a value a user wrote, shortened to what identifies it.
func Quote(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "..."
	}
	return fmt.Sprintf("%q", s)
}

// found says what a JSON token is.
func found(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '[' {
			return "a list"
		}
		return "an object"
	case string:
		return "text " + Quote(v)
	case json.Number:
		return "the number " + v.String()
	case float64:
		return fmt.Sprintf("the number %v", v)
	case bool:
		return fmt.Sprint(v)
	case nil:
		return "null"
	}
	return "a value"
}

// foundJSONKind words the kind encoding/json names in an
// UnmarshalTypeError ("number", "number 1.5", "string", "bool", "array",
// "object").
func foundJSONKind(v string) string {
	switch {
	case strings.HasPrefix(v, "number "):
		return "the number " + strings.TrimPrefix(v, "number ")
	case v == "number":
		return "a number"
	case v == "string":
		return "text"
	case v == "bool":
		return "true or false"
	case v == "array":
		return "a list"
	case v == "object":
		return "an object"
	}
	return v
}

// FromJSONTypeError words an encoding/json type error by itself, for a
// document that cannot be read a second time: the field path lacks list
// indexes.
func FromJSONTypeError(e *json.UnmarshalTypeError) *Mismatch {
	path := e.Field
	if path == "" {
		path = "the document"
	}
	return &Mismatch{Path: path, Want: Words(e.Type), Found: foundJSONKind(e.Value), Offset: e.Offset}
}

// Unmarshal decodes the JSON document data into v, as json.Unmarshal does.
// A value of the wrong type comes back as "line N: " and a *Mismatch that
// names it as the document does, list indexes included; any other error
// (not JSON at all) is encoding/json's.
func Unmarshal(data []byte, v any) error {
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	m, ferr := FindJSON(bytes.NewReader(data), reflect.TypeOf(v))
	if ferr != nil || m == nil {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			return err
		}
		m = FromJSONTypeError(te)
	}
	return fmt.Errorf("line %d: %w", lineAt(data, m.Offset), m)
}

// lineAt is the line of data the byte offset is on, counted from 1.
func lineAt(data []byte, offset int64) int {
	offset = min(max(offset, 0), int64(len(data)))
	return bytes.Count(data[:offset], []byte("\n")) + 1
}

// isCustom reports whether t decodes itself (other than time.Time, which
// this package knows), so its values cannot be judged from outside.
func isCustom(t reflect.Type) bool {
	if t == timeType || t == rawMessageType {
		return false
	}
	pt := reflect.PointerTo(t)
	return t.Implements(jsonUnmarshalerType) || pt.Implements(jsonUnmarshalerType) ||
		t.Implements(textUnmarshalerType) || pt.Implements(textUnmarshalerType)
}
