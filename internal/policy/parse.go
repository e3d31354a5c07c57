package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Document is a parsed policy.
type Document struct {
	Version    string
	ID         string
	Statements []Statement
}

// Statement is one policy statement with every list-or-string field
// normalised to a list.
type Statement struct {
	Sid    string
	Effect string // "Allow" or "Deny" as written
	// Principal is nil when the statement has no Principal element (identity
	// policies never do).
	Principal    *Principal
	NotPrincipal *Principal
	Actions      []string
	NotActions   []string
	Resources    []string
	NotResources []string
	Conditions   []Condition
}

// Principal is a Principal or NotPrincipal element.
type Principal struct {
	// Anyone is set by the bare string "*".
	Anyone        bool
	AWS           []string
	Service       []string
	CanonicalUser []string
	Federated     []string
}

// Condition is one operator/key pair of a Condition block.
type Condition struct {
	// Operator is the operator as written, e.g. "ForAnyValue:StringLikeIfExists".
	Operator string
	// Base is the operator without set qualifier and IfExists suffix, e.g. "StringLike".
	Base string
	// Set is "ForAnyValue", "ForAllValues" or "".
	Set      string
	IfExists bool
	// Key is the condition key in lower case (keys are case-insensitive).
	Key    string
	Values []string
}

// Allows reports whether the statement's effect is Allow.
func (s Statement) Allows() bool { return strings.EqualFold(s.Effect, "Allow") }

// Denies reports whether the statement's effect is Deny.
func (s Statement) Denies() bool { return strings.EqualFold(s.Effect, "Deny") }

// Parse decodes a policy document. Documents returned URL-encoded by IAM are
// accepted as well.
func Parse(doc string) (*Document, error) {
	text := strings.TrimSpace(doc)
	if strings.HasPrefix(text, "%") {
		if dec, err := url.QueryUnescape(text); err == nil {
			text = strings.TrimSpace(dec)
		}
	}
	if text == "" {
		return nil, fmt.Errorf("policy document is empty")
	}
	var raw struct {
		Version   string          `json:"Version"`
		ID        string          `json:"Id"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(text), &raw); err != nil {
		return nil, fmt.Errorf("policy is not valid JSON: %w", err)
	}
	if len(raw.Statement) == 0 || string(raw.Statement) == "null" {
		return nil, fmt.Errorf("policy has no Statement element")
	}
	var rawStmts []json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(raw.Statement), []byte("[")) {
		if err := json.Unmarshal(raw.Statement, &rawStmts); err != nil {
			return nil, fmt.Errorf("policy Statement: %w", err)
		}
	} else {
		rawStmts = []json.RawMessage{raw.Statement}
	}
	d := &Document{Version: raw.Version, ID: raw.ID}
	for i, rs := range rawStmts {
		st, err := parseStatement(rs)
		if err != nil {
			return nil, fmt.Errorf("policy statement %d: %w", i+1, err)
		}
		d.Statements = append(d.Statements, st)
	}
	return d, nil
}

type rawStatement struct {
	Sid          string                                `json:"Sid"`
	Effect       string                                `json:"Effect"`
	Principal    json.RawMessage                       `json:"Principal"`
	NotPrincipal json.RawMessage                       `json:"NotPrincipal"`
	Action       json.RawMessage                       `json:"Action"`
	NotAction    json.RawMessage                       `json:"NotAction"`
	Resource     json.RawMessage                       `json:"Resource"`
	NotResource  json.RawMessage                       `json:"NotResource"`
	Condition    map[string]map[string]json.RawMessage `json:"Condition"`
}

func parseStatement(data []byte) (Statement, error) {
	var rs rawStatement
	if err := json.Unmarshal(data, &rs); err != nil {
		return Statement{}, err
	}
	st := Statement{Sid: rs.Sid, Effect: rs.Effect}
	if !st.Allows() && !st.Denies() {
		return Statement{}, fmt.Errorf("Effect is %q, want Allow or Deny", rs.Effect)
	}
	var err error
	if st.Principal, err = parsePrincipal(rs.Principal); err != nil {
		return Statement{}, fmt.Errorf("Principal: %w", err)
	}
	if st.NotPrincipal, err = parsePrincipal(rs.NotPrincipal); err != nil {
		return Statement{}, fmt.Errorf("NotPrincipal: %w", err)
	}
	fields := []struct {
		name string
		raw  json.RawMessage
		dst  *[]string
	}{
		{"Action", rs.Action, &st.Actions},
		{"NotAction", rs.NotAction, &st.NotActions},
		{"Resource", rs.Resource, &st.Resources},
		{"NotResource", rs.NotResource, &st.NotResources},
	}
	for _, f := range fields {
		if *f.dst, err = stringOrList(f.raw); err != nil {
			return Statement{}, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	if st.Actions == nil && st.NotActions == nil {
		return Statement{}, fmt.Errorf("neither Action nor NotAction is set")
	}
	// Map order is random; sort so that callers and tests see a stable order.
	ops := make([]string, 0, len(rs.Condition))
	for op := range rs.Condition {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		keys := make([]string, 0, len(rs.Condition[op]))
		for k := range rs.Condition[op] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			vals, err := conditionValues(rs.Condition[op][k])
			if err != nil {
				return Statement{}, fmt.Errorf("Condition %s %s: %w", op, k, err)
			}
			st.Conditions = append(st.Conditions, newCondition(op, k, vals))
		}
	}
	return st, nil
}

func newCondition(op, key string, vals []string) Condition {
	c := Condition{Operator: op, Key: strings.ToLower(key), Values: vals}
	base := op
	if i := strings.Index(base, ":"); i >= 0 {
		c.Set = base[:i]
		base = base[i+1:]
	}
	if strings.HasSuffix(base, "IfExists") {
		c.IfExists = true
		base = strings.TrimSuffix(base, "IfExists")
	}
	c.Base = base
	return c
}

func parsePrincipal(raw json.RawMessage) (*Principal, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s != "*" {
			return nil, fmt.Errorf("string principal %q: only \"*\" is valid", s)
		}
		return &Principal{Anyone: true}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("want \"*\" or an object")
	}
	p := &Principal{}
	for k, v := range m {
		vals, err := stringOrList(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		switch strings.ToLower(k) {
		case "aws":
			p.AWS = append(p.AWS, vals...)
		case "service":
			p.Service = append(p.Service, vals...)
		case "canonicaluser":
			p.CanonicalUser = append(p.CanonicalUser, vals...)
		case "federated":
			p.Federated = append(p.Federated, vals...)
		default:
			return nil, fmt.Errorf("unknown principal type %q", k)
		}
	}
	return p, nil
}

// stringOrList reads an element that policy grammar allows to be a string or
// a list of strings. An absent element yields nil.
func stringOrList(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return []string{s}, nil
	}
	var l []string
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, fmt.Errorf("want a string or a list of strings")
	}
	if l == nil {
		l = []string{}
	}
	return l, nil
}

// conditionValues accepts strings, booleans and numbers, alone or in a list,
// because policies write "true" and true interchangeably.
func conditionValues(raw json.RawMessage) ([]string, error) {
	var any interface{}
	if err := json.Unmarshal(raw, &any); err != nil {
		return nil, err
	}
	scalar := func(v interface{}) (string, error) {
		switch x := v.(type) {
		case string:
			return x, nil
		case bool:
			return strconv.FormatBool(x), nil
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64), nil
		}
		return "", fmt.Errorf("want a string, boolean or number, got %T", v)
	}
	if l, ok := any.([]interface{}); ok {
		out := make([]string, 0, len(l))
		for _, v := range l {
			s, err := scalar(v)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := scalar(any)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}
