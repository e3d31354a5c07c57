package filterpattern

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
)

// Match reports whether the event (one log event, as delivered to the log
// group) matches the pattern. A JSON pattern never matches an event that is
// not a JSON object.
func (p *Pattern) Match(event string) bool {
	if p.json == nil {
		return p.terms.match(event)
	}
	dec := json.NewDecoder(strings.NewReader(event))
	// Numbers stay textual so that "= 123456789012" compares digits, not a
	// rounded float, and so that the text form of a number can be matched.
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return false
	}
	return p.json.eval(doc)
}

func (t termPattern) match(event string) bool {
	for _, w := range t.all {
		if !strings.Contains(event, w) {
			return false
		}
	}
	for _, w := range t.exclude {
		if strings.Contains(event, w) {
			return false
		}
	}
	if len(t.any) == 0 {
		return true
	}
	for _, w := range t.any {
		if strings.Contains(event, w) {
			return true
		}
	}
	return false
}

type expr interface {
	eval(doc map[string]any) bool
}

type andExpr struct{ left, right expr }

func (e andExpr) eval(doc map[string]any) bool { return e.left.eval(doc) && e.right.eval(doc) }

type orExpr struct{ left, right expr }

func (e orExpr) eval(doc map[string]any) bool { return e.left.eval(doc) || e.right.eval(doc) }

type isKind int

const (
	isTrue isKind = iota
	isFalse
	isNull
	notExists
)

type isExpr struct {
	path []step
	want isKind
}

func (e isExpr) eval(doc map[string]any) bool {
	v, found := lookup(doc, e.path)
	switch e.want {
	case notExists:
		return !found
	case isNull:
		return found && v == nil
	case isTrue:
		b, ok := v.(bool)
		return found && ok && b
	case isFalse:
		b, ok := v.(bool)
		return found && ok && !b
	}
	return false
}

type compareExpr struct {
	path     []step
	op       string
	text     string
	number   float64
	isNumber bool
	regex    *regexp.Regexp
}

// eval treats a missing field as a non-match for every operator, != too:
// a pattern must say NOT EXISTS to catch events without the field. Assuming
// the opposite would let a filter look broader than it is.
func (e compareExpr) eval(doc map[string]any) bool {
	v, found := lookup(doc, e.path)
	if !found {
		return false
	}
	switch e.op {
	case "=":
		return e.equal(v)
	case "!=":
		if v == nil {
			return false
		}
		return !e.equal(v)
	}
	n, ok := v.(json.Number)
	if !ok {
		return false
	}
	f, err := n.Float64()
	if err != nil {
		return false
	}
	switch e.op {
	case "<":
		return f < e.number
	case "<=":
		return f <= e.number
	case ">":
		return f > e.number
	case ">=":
		return f >= e.number
	}
	return false
}

func (e compareExpr) equal(v any) bool {
	if e.regex == nil && e.text == "*" {
		// A lone wildcard tests that the field is there, whatever it holds.
		return v != nil
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case json.Number:
		if e.isNumber && e.regex == nil {
			if f, err := x.Float64(); err == nil {
				return f == e.number
			}
		}
		s = x.String()
	case bool:
		s = strconv.FormatBool(x)
	default:
		// Objects, arrays and null have no scalar value to compare.
		return false
	}
	if e.regex != nil {
		return e.regex.MatchString(s)
	}
	return wildcardMatch(e.text, s)
}

// wildcardMatch matches s against pattern, where '*' stands for any run of
// characters (possibly empty) and every other byte matches itself.
func wildcardMatch(pattern, s string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == s
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}

func lookup(doc map[string]any, path []step) (any, bool) {
	var cur any = doc
	for _, st := range path {
		if st.index >= 0 {
			arr, ok := cur.([]any)
			if !ok || st.index >= len(arr) {
				return nil, false
			}
			cur = arr[st.index]
			continue
		}
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		v, ok := obj[st.key]
		if !ok {
			return nil, false
		}
		cur = v
	}
	return cur, true
}
