// Package config reads trailseal's settings file, trailseal.yaml: a YAML
// mapping of setting names (those of the command line flags, without the
// dashes) to values. Which keys exist, and what type each holds, is decided
// by the caller (the CLI's table of settings); this package reads the file
// strictly against them, so that a misspelt key or a value of the wrong
// type is an error naming the line, the key and the type expected, in
// words, and never silently ignored.
package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/trailseal/trailseal/internal/decodeerr"
	"github.com/trailseal/trailseal/internal/suggest"
)

// Kind is the type of a setting's value.
type Kind int

const (
	// Text is any scalar, read as written (an unquoted account ID stays
	// its twelve digits).
	Text Kind = iota
	// Number is a whole number.
	Number
	// Bool is true or false.
	Bool
	// List is a list of scalars, or one scalar holding a comma-separated
	// list, as the flags take it.
	List
)

// String says what a value of the kind is written as.
func (k Kind) String() string {
	switch k {
	case Number:
		return "a whole number"
	case Bool:
		return "true or false"
	case List:
		return "a list"
	}
	return "text"
}

// Key is a setting the file may hold.
type Key struct {
	Name string
	Kind Kind
}

// Value is one setting as the file gives it.
type Value struct {
	Key    string
	Kind   Kind
	Text   string   // Text; also Number and Bool as written
	Number int      // Number
	Bool   bool     // Bool
	List   []string // List
	Line   int
}

// String is the value as a flag takes it: a list comma-separated.
func (v Value) String() string {
	if v.Kind == List {
		return strings.Join(v.List, ",")
	}
	return v.Text
}

// File is a settings file that was read.
type File struct {
	Path   string
	values map[string]Value
}

// Get returns the value of key, if the file sets it.
func (f *File) Get(key string) (Value, bool) {
	if f == nil {
		return Value{}, false
	}
	v, ok := f.values[key]
	return v, ok
}

// maxBytes bounds a settings file: it holds a few dozen lines.
const maxBytes = 1 << 20

// Load reads path against keys. A key with no value (null) counts as not
// set.
func Load(path string, keys []Key) (*File, error) {
	data, err := readBounded(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	f := &File{Path: path, values: map[string]Value{}}
	if err := f.parse(data, keys); err != nil {
		return nil, fmt.Errorf("config %s: %v", path, err)
	}
	return f, nil
}

func readBounded(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	}
	defer fh.Close()
	if fi, err := fh.Stat(); err == nil && fi.IsDir() {
		return nil, errors.New("is a folder, not a file")
	}
	data, err := io.ReadAll(io.LimitReader(fh, maxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxBytes {
		return nil, fmt.Errorf("larger than %d KiB: not a settings file", maxBytes>>10)
	}
	return data, nil
}

func (f *File) parse(data []byte, keys []Key) error {
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return errors.New(firstLine(err))
	}
	if len(file.Docs) > 1 {
		return errors.New("more than one YAML document")
	}
	if len(file.Docs) == 0 || file.Docs[0].Body == nil {
		return nil
	}
	var entries []*ast.MappingValueNode
	switch body := unwrap(file.Docs[0].Body).(type) {
	case *ast.NullNode:
		return nil
	case *ast.MappingNode:
		entries = body.Values
	case *ast.MappingValueNode:
		entries = []*ast.MappingValueNode{body}
	default:
		return fmt.Errorf("line %d: the file must be a mapping of settings (key: value lines), not %s", line(body), found(body))
	}
	for _, e := range entries {
		if err := f.entry(e, keys); err != nil {
			return err
		}
	}
	return nil
}

func (f *File) entry(e *ast.MappingValueNode, keys []Key) error {
	name := strings.TrimSpace(e.Key.String())
	var key *Key
	for i := range keys {
		if keys[i].Name == name {
			key = &keys[i]
		}
	}
	if key == nil {
		names := make([]string, len(keys))
		for i, k := range keys {
			names[i] = k.Name
		}
		return fmt.Errorf("line %d: unknown key %q%s", line(e.Key), name, suggest.DidYouMean(name, names))
	}
	node := unwrap(e.Value)
	if _, null := node.(*ast.NullNode); null || node == nil {
		return nil
	}
	v := Value{Key: name, Kind: key.Kind, Line: line(node)}
	if at, err := v.read(node); err != nil {
		return fmt.Errorf("line %d: %v", line(at), err)
	}
	f.values[name] = v
	return nil
}

// read fills v from node, or says why node (or the item at) is not of v's
// kind.
func (v *Value) read(node ast.Node) (at ast.Node, err error) {
	wrong := func(path string, n ast.Node, want string) (ast.Node, error) {
		return n, &decodeerr.Mismatch{Path: path, Want: want, Found: found(n), Offset: -1}
	}
	switch v.Kind {
	case Number:
		if s, ok := node.(*ast.StringNode); ok && unquotedDigits(s) {
			return node, fmt.Errorf("%s: %s is too large", v.Key, s.Value)
		}
		n, ok := node.(*ast.IntegerNode)
		if !ok {
			return wrong(v.Key, node, v.Kind.String())
		}
		i, err := strconv.Atoi(fmt.Sprint(n.Value))
		if err != nil {
			return node, fmt.Errorf("%s: %s is too large", v.Key, n.GetToken().Value)
		}
		v.Number, v.Text = i, strconv.Itoa(i)
	case Bool:
		b, ok := node.(*ast.BoolNode)
		if !ok {
			return wrong(v.Key, node, v.Kind.String())
		}
		v.Bool, v.Text = b.Value, strconv.FormatBool(b.Value)
	case Text:
		s, ok := scalar(node)
		if !ok {
			return wrong(v.Key, node, v.Kind.String())
		}
		v.Text = s
	case List:
		if s, ok := scalar(node); ok {
			for _, item := range strings.Split(s, ",") {
				if item = strings.TrimSpace(item); item != "" {
					v.List = append(v.List, item)
				}
			}
			return nil, nil
		}
		seq, ok := node.(*ast.SequenceNode)
		if !ok {
			return wrong(v.Key, node, "a list of text")
		}
		for i, item := range seq.Values {
			s, ok := scalar(unwrap(item))
			if !ok {
				return wrong(fmt.Sprintf("%s[%d]", v.Key, i), unwrap(item), "text")
			}
			v.List = append(v.List, s)
		}
	}
	return nil, nil
}

// unquotedDigits: YAML reads a whole number too large for an integer as
// text; it is still a number to the person who wrote it.
func unquotedDigits(s *ast.StringNode) bool {
	if s.GetToken() == nil || s.GetToken().Type != token.StringType || s.Value == "" {
		return false
	}
	return strings.Trim(s.Value, "0123456789") == ""
}

// scalar is a scalar's text as written (without quotes).
func scalar(n ast.Node) (string, bool) {
	switch s := n.(type) {
	case *ast.StringNode:
		return s.Value, true
	case *ast.LiteralNode:
		return strings.TrimSpace(s.Value.Value), true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return n.GetToken().Value, true
	}
	return "", false
}

// unwrap looks through tags and anchors to the value.
func unwrap(n ast.Node) ast.Node {
	for {
		switch t := n.(type) {
		case *ast.TagNode:
			n = t.Value
		case *ast.AnchorNode:
			n = t.Value
		default:
			return n
		}
	}
}

// found says what a node is, for an error.
func found(n ast.Node) string {
	switch t := n.(type) {
	case *ast.StringNode, *ast.LiteralNode:
		s, _ := scalar(n)
		return "text " + decodeerr.Quote(s)
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "the number " + t.GetToken().Value
	case *ast.BoolNode:
		return t.GetToken().Value
	case *ast.SequenceNode:
		return "a list"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.AliasNode:
		return "an alias (*name), which settings do not take"
	}
	return "something else"
}

func line(n ast.Node) int {
	if n == nil || n.GetToken() == nil || n.GetToken().Position == nil {
		return 0
	}
	return n.GetToken().Position.Line
}

// firstLine keeps the first line of a parser error, "[3:1] ...", which
// carries the position, as "line 3: ..."; the rest is an excerpt of the
// source.
func firstLine(err error) string {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	msg = strings.TrimSpace(msg)
	if m := position.FindStringSubmatch(msg); m != nil {
		msg = "line " + m[1] + ": " + strings.TrimSpace(msg[len(m[0]):])
	}
	return msg
}

var position = regexp.MustCompile(`^\[(\d+):\d+\]`)
