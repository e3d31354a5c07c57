// Package suppress reads a suppressions file (YAML) and marks the findings it
// covers as suppressed. A suppressed finding stays in every report, flagged,
// but no longer counts towards the exit code. Every entry must say why it
// exists and when it ends, so that accepted risks are reviewed rather than
// forgotten: an expired entry stops suppressing and is returned to the caller
// to be reported.
package suppress

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/wildcard"
)

// dateLayout is the only accepted form of expires.
const dateLayout = "2006-01-02"

// Entry is one suppression.
type Entry struct {
	// Rule is a rule ID (or an alias, resolved by Resolve).
	Rule string `json:"rule"`
	// Resource is an exact resource ARN or a glob (see Match).
	Resource string `json:"resource"`
	// Account and Region, when set, must equal the finding's.
	Account string `json:"account,omitempty"`
	Region  string `json:"region,omitempty"`
	Reason  string `json:"reason"`
	// Expires is the last day (UTC) on which the entry suppresses.
	Expires time.Time `json:"expires"`
	// Line is where the entry starts in its file, for messages.
	Line int `json:"line"`
}

// ExpiresString is Expires as written in the file.
func (e Entry) ExpiresString() string { return e.Expires.Format(dateLayout) }

// Expired reports whether the entry no longer suppresses at now. An entry
// is valid through the whole of its expiry day, in UTC.
func (e Entry) Expired(now time.Time) bool {
	return !now.UTC().Before(e.Expires.AddDate(0, 0, 1))
}

// Matches reports whether the entry covers finding f (ignoring expiry).
func (e Entry) Matches(f findings.Finding) bool {
	if e.Rule != f.RuleID {
		return false
	}
	if e.Account != "" && e.Account != f.Account {
		return false
	}
	if e.Region != "" && e.Region != f.Region {
		return false
	}
	return Match(e.Resource, f.Resource)
}

// File is a parsed suppressions file.
type File struct {
	Path    string
	Entries []Entry
}

// Load reads and parses the suppressions file at path.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read suppressions file: %w", err)
	}
	return Parse(path, data)
}

// Parse parses a suppressions document; name is used in error messages.
// Every problem is reported as one error of the form "name:line: what".
func Parse(name string, data []byte) (*File, error) {
	f := &File{Path: name}
	tree, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, syntaxError(name, err)
	}
	if len(tree.Docs) == 0 || tree.Docs[0].Body == nil {
		return nil, fmt.Errorf("%s:1: empty suppressions file: add a top-level 'suppressions:' list", name)
	}
	if len(tree.Docs) > 1 {
		return nil, fmt.Errorf("%s:%d: more than one YAML document: keep one 'suppressions:' list", name, line(tree.Docs[1].Body))
	}
	root, ok := tree.Docs[0].Body.(*ast.MappingNode)
	if !ok {
		return nil, fmt.Errorf("%s:%d: expected a mapping with a 'suppressions:' list", name, line(tree.Docs[0].Body))
	}
	var list ast.Node
	for _, kv := range root.Values {
		key := kv.Key.String()
		if key != "suppressions" {
			return nil, fmt.Errorf("%s:%d: unknown top-level key %q: only 'suppressions' is allowed", name, line(kv), key)
		}
		list = kv.Value
	}
	if list == nil {
		return nil, fmt.Errorf("%s:%d: missing 'suppressions:' list", name, line(root))
	}
	if _, isNull := list.(*ast.NullNode); isNull {
		return f, nil
	}
	seq, ok := list.(*ast.SequenceNode)
	if !ok {
		return nil, fmt.Errorf("%s:%d: 'suppressions' must be a list of entries", name, line(list))
	}
	for _, item := range seq.Values {
		e, err := parseEntry(name, item)
		if err != nil {
			return nil, err
		}
		f.Entries = append(f.Entries, e)
	}
	return f, nil
}

func parseEntry(name string, n ast.Node) (Entry, error) {
	m, ok := n.(*ast.MappingNode)
	if !ok {
		return Entry{}, fmt.Errorf("%s:%d: each suppression must be a mapping with rule, resource, reason and expires", name, line(n))
	}
	e := Entry{Line: line(m)}
	seen := map[string]bool{}
	for _, kv := range m.Values {
		key := kv.Key.String()
		at := line(kv)
		if seen[key] {
			return Entry{}, fmt.Errorf("%s:%d: %q is given twice in one suppression", name, at, key)
		}
		seen[key] = true
		val, err := scalar(kv.Value)
		if err != nil {
			return Entry{}, fmt.Errorf("%s:%d: %s: %v", name, at, key, err)
		}
		switch key {
		case "rule":
			e.Rule = val
		case "resource":
			e.Resource = val
		case "account":
			e.Account = val
		case "region":
			e.Region = val
		case "reason":
			e.Reason = val
		case "expires":
			t, err := time.Parse(dateLayout, val)
			if err != nil {
				return Entry{}, fmt.Errorf("%s:%d: expires %q is not a date: write it as YYYY-MM-DD", name, at, val)
			}
			e.Expires = t
		default:
			return Entry{}, fmt.Errorf("%s:%d: unknown key %q (allowed: rule, resource, account, region, reason, expires)", name, at, key)
		}
	}
	var missing []string
	if e.Rule == "" {
		missing = append(missing, "rule")
	}
	if e.Resource == "" {
		missing = append(missing, "resource")
	}
	if e.Reason == "" {
		missing = append(missing, "reason")
	}
	if e.Expires.IsZero() {
		missing = append(missing, "expires")
	}
	if len(missing) > 0 {
		return Entry{}, fmt.Errorf("%s:%d: suppression is missing %s: every entry needs rule, resource, reason and expires", name, e.Line, strings.Join(missing, ", "))
	}
	return e, nil
}

// scalar returns the text of a scalar node; lists and mappings are errors.
func scalar(n ast.Node) (string, error) {
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return "", nil
	case *ast.MappingNode, *ast.SequenceNode, *ast.MappingValueNode:
		return "", errors.New("must be a single value, not a list or mapping")
	case *ast.StringNode:
		return strings.TrimSpace(v.Value), nil
	case ast.ScalarNode:
		// Numbers (an account ID written without quotes) and dates keep
		// the exact text the user wrote.
		return strings.TrimSpace(v.GetToken().Value), nil
	}
	return "", fmt.Errorf("unsupported value of type %s", n.Type())
}

func line(n ast.Node) int {
	if n == nil || n.GetToken() == nil {
		return 1
	}
	if mv, ok := n.(*ast.MappingValueNode); ok && mv.Key != nil && mv.Key.GetToken() != nil {
		return mv.Key.GetToken().Position.Line
	}
	if m, ok := n.(*ast.MappingNode); ok && len(m.Values) > 0 {
		return line(m.Values[0])
	}
	return n.GetToken().Position.Line
}

func syntaxError(name string, err error) error {
	var se *yaml.SyntaxError
	if errors.As(err, &se) && se.Token != nil {
		return fmt.Errorf("%s:%d: invalid YAML: %s", name, se.Token.Position.Line, se.Message)
	}
	msg := strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", " ")
	return fmt.Errorf("%s: invalid YAML: %s", name, msg)
}

// Resolve replaces rule aliases with their canonical IDs and rejects rule
// IDs the catalog does not know, so a typo does not silently suppress
// nothing.
func (f *File) Resolve(entries []catalog.Rule) error {
	for i, e := range f.Entries {
		r, ok := catalog.Lookup(entries, e.Rule)
		if !ok {
			return fmt.Errorf("%s:%d: unknown rule ID %q (see 'trailseal rules')", f.Path, e.Line, e.Rule)
		}
		f.Entries[i].Rule = r.ID
	}
	return nil
}

// Apply marks every FAIL, ERROR and MANUAL finding of rep that an unexpired
// entry covers as suppressed (the first matching entry wins). It returns
// the expired entries, in file order; they suppress nothing.
func (f *File) Apply(rep *findings.Report, now time.Time) (expired []Entry) {
	var active []Entry
	for _, e := range f.Entries {
		if e.Expired(now) {
			expired = append(expired, e)
			continue
		}
		active = append(active, e)
	}
	for i := range rep.Findings {
		fd := &rep.Findings[i]
		if fd.Suppressed != nil || fd.Status == findings.Pass || fd.Status == findings.NA {
			continue
		}
		for _, e := range active {
			if e.Matches(*fd) {
				fd.Suppressed = &findings.Suppression{Reason: e.Reason, Expires: e.ExpiresString()}
				break
			}
		}
	}
	return expired
}

// Match reports whether resource matches pattern. A pattern without '*' or
// '?' must equal the resource. '*' matches any run of characters, including
// ':' and '/', so "arn:aws:cloudtrail:*:111122223333:trail/*" covers every
// trail of that account; '?' matches exactly one character. There are no
// other special characters, so ARNs need no escaping.
func Match(pattern, resource string) bool {
	return wildcard.Match(pattern, resource)
}
