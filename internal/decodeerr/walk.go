package decodeerr

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"reflect"
	"strings"
)

// FindJSON reads the JSON document r token by token, as a value of type
// root is decoded, and returns the first value whose type does not fit
// (nil when every value fits). It holds one token at a time, so it can
// re-read a large document to say where encoding/json failed: encoding/json
// reports a time that does not parse without its field, and a field in a
// list without the item's index.
func FindJSON(r io.Reader, root reflect.Type) (*Mismatch, error) {
	w := &walker{dec: json.NewDecoder(r)}
	w.dec.UseNumber()
	return w.value(root, "")
}

type walker struct {
	dec *json.Decoder
}

func (w *walker) mismatch(path string, t reflect.Type, tok json.Token) *Mismatch {
	if path == "" {
		path = "the document"
	}
	return &Mismatch{Path: path, Want: Words(t), Found: found(tok), Offset: w.dec.InputOffset()}
}

// skip reads past the rest of a value whose first token was tok.
func (w *walker) skip(tok json.Token) error {
	d, ok := tok.(json.Delim)
	if !ok || d == ']' || d == '}' {
		return nil
	}
	for depth := 1; depth > 0; {
		t, err := w.dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('['), json.Delim('{'):
			depth++
		case json.Delim(']'), json.Delim('}'):
			depth--
		}
	}
	return nil
}

func (w *walker) value(t reflect.Type, path string) (*Mismatch, error) {
	tok, err := w.dec.Token()
	if err != nil {
		return nil, err
	}
	if tok == nil { // null fits everything, as encoding/json decodes it
		return nil, nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return w.time(tok, t, path)
	case t == rawMessageType || t.Kind() == reflect.Interface || isCustom(t):
		return nil, w.skip(tok)
	}
	switch t.Kind() {
	case reflect.Struct:
		return w.object(tok, t, path, func(key string) (reflect.Type, string, bool) {
			ft, name, ok := field(t, key)
			return ft, join(path, name), ok
		})
	case reflect.Map:
		return w.object(tok, t, path, func(key string) (reflect.Type, string, bool) {
			return t.Elem(), join(path, key), true
		})
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && t.Kind() == reflect.Slice {
			if s, ok := tok.(string); ok {
				if _, err := base64.StdEncoding.DecodeString(s); err == nil {
					return nil, nil
				}
			}
			return w.mismatch(path, t, tok), w.skip(tok)
		}
		return w.list(tok, t, path)
	}
	if !scalarFits(t, tok) {
		return w.mismatch(path, t, tok), w.skip(tok)
	}
	return nil, nil
}

func (w *walker) time(tok json.Token, t reflect.Type, path string) (*Mismatch, error) {
	if s, ok := tok.(string); ok {
		raw, _ := json.Marshal(s)
		if reflect.New(t).Interface().(json.Unmarshaler).UnmarshalJSON(raw) == nil {
			return nil, nil
		}
	}
	return w.mismatch(path, t, tok), w.skip(tok)
}

func (w *walker) object(tok json.Token, t reflect.Type, path string, member func(string) (reflect.Type, string, bool)) (*Mismatch, error) {
	if tok != json.Delim('{') {
		return w.mismatch(path, t, tok), w.skip(tok)
	}
	for w.dec.More() {
		kt, err := w.dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := kt.(string)
		mt, mpath, ok := member(key)
		if !ok { // an unknown field: encoding/json says so itself
			vt, err := w.dec.Token()
			if err != nil {
				return nil, err
			}
			if err := w.skip(vt); err != nil {
				return nil, err
			}
			continue
		}
		m, err := w.value(mt, mpath)
		if m != nil || err != nil {
			return m, err
		}
	}
	_, err := w.dec.Token() // '}'
	return nil, err
}

func (w *walker) list(tok json.Token, t reflect.Type, path string) (*Mismatch, error) {
	if tok != json.Delim('[') {
		return w.mismatch(path, t, tok), w.skip(tok)
	}
	for i := 0; w.dec.More(); i++ {
		m, err := w.value(t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		if m != nil || err != nil {
			return m, err
		}
	}
	_, err := w.dec.Token() // ']'
	return nil, err
}

// scalarFits reports whether a scalar token decodes into kind t.
func scalarFits(t reflect.Type, tok json.Token) bool {
	switch t.Kind() {
	case reflect.String:
		_, ok := tok.(string)
		return ok
	case reflect.Bool:
		_, ok := tok.(bool)
		return ok
	case reflect.Float32, reflect.Float64:
		_, ok := tok.(json.Number)
		return ok
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := tok.(json.Number)
		if !ok {
			return false
		}
		i, ok := new(big.Int).SetString(n.String(), 10)
		return ok && i.IsInt64() && !reflect.Zero(t).OverflowInt(i.Int64())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, ok := tok.(json.Number)
		if !ok {
			return false
		}
		i, ok := new(big.Int).SetString(n.String(), 10)
		return ok && i.IsUint64() && !reflect.Zero(t).OverflowUint(i.Uint64())
	}
	return true
}

// field finds the struct field that key decodes into, as encoding/json
// matches them (exact name first, then without regard to case), through
// embedded structs, and returns its name as the type spells it.
func field(t reflect.Type, key string) (reflect.Type, string, bool) {
	var fold reflect.Type
	foldName := ""
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get("json") == "" {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if name == key {
			return f.Type, name, true
		}
		if fold == nil && strings.EqualFold(name, key) {
			fold, foldName = f.Type, name
		}
	}
	return fold, foldName, fold != nil
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
