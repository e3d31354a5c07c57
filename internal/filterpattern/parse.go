package filterpattern

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Pattern is a parsed filter pattern. Use Parse to build one.
type Pattern struct {
	source string
	// json is the expression of a JSON pattern; nil for term patterns.
	json expr
	// terms is the term pattern; it is empty for the empty pattern, which
	// matches every event.
	terms termPattern
}

// String returns the pattern as written.
func (p *Pattern) String() string { return p.source }

// IsJSON reports whether the pattern selects fields of JSON events.
func (p *Pattern) IsJSON() bool { return p.json != nil }

// Parse parses a filter pattern. The error says where the pattern stops
// making sense.
func Parse(pattern string) (*Pattern, error) {
	trimmed := strings.TrimSpace(pattern)
	p := &Pattern{source: pattern}
	switch {
	case strings.HasPrefix(trimmed, "{"):
		e, err := parseJSON(trimmed)
		if err != nil {
			return nil, fmt.Errorf("filter pattern %q: %w", pattern, err)
		}
		p.json = e
	case strings.HasPrefix(trimmed, "["):
		return nil, fmt.Errorf("filter pattern %q: space-delimited patterns ([...]) are not supported", pattern)
	default:
		t, err := parseTerms(trimmed)
		if err != nil {
			return nil, fmt.Errorf("filter pattern %q: %w", pattern, err)
		}
		p.terms = t
	}
	return p, nil
}

// MustParse is Parse for patterns known to be valid; it panics otherwise.
func MustParse(pattern string) *Pattern {
	p, err := Parse(pattern)
	if err != nil {
		panic(err)
	}
	return p
}

// termPattern is a pattern of words matched on the raw event text.
type termPattern struct {
	all     []string // every one must appear
	any     []string // at least one must appear, when non-empty
	exclude []string // none may appear
}

func parseTerms(s string) (termPattern, error) {
	var t termPattern
	i := 0
	for i < len(s) {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			i++
			continue
		}
		kind := byte(0)
		if c == '?' || c == '-' {
			kind = c
			i++
			if i >= len(s) {
				return t, fmt.Errorf("%q at the end is not followed by a term", string(c))
			}
		}
		var word string
		if s[i] == '"' {
			w, n, err := readQuoted(s, i)
			if err != nil {
				return t, err
			}
			word, i = w, i+n
		} else {
			start := i
			for i < len(s) && !isSpace(s[i]) {
				i++
			}
			word = s[start:i]
		}
		if word == "" {
			return t, fmt.Errorf("empty term at offset %d", i)
		}
		switch kind {
		case '?':
			t.any = append(t.any, word)
		case '-':
			t.exclude = append(t.exclude, word)
		default:
			t.all = append(t.all, word)
		}
	}
	return t, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// readQuoted reads a double-quoted string starting at s[i] == '"', honouring
// backslash escapes of '"' and '\'. It returns the unquoted text and the
// number of bytes consumed.
func readQuoted(s string, i int) (string, int, error) {
	var b strings.Builder
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			if j+1 < len(s) {
				j++
				b.WriteByte(s[j])
				continue
			}
			return "", 0, fmt.Errorf("unterminated string starting at offset %d", i)
		case '"':
			return b.String(), j - i + 1, nil
		default:
			b.WriteByte(s[j])
		}
	}
	return "", 0, fmt.Errorf("unterminated string starting at offset %d", i)
}

// Tokens of the JSON pattern grammar.
type tokenKind int

const (
	tokEOF tokenKind = iota
	tokLBrace
	tokRBrace
	tokLParen
	tokRParen
	tokAnd
	tokOr
	tokOp       // = != < <= > >=
	tokSelector // $.a.b
	tokString   // "quoted"
	tokRegex    // %regex%
	tokWord     // bare word: unquoted value or keyword
)

type token struct {
	kind tokenKind
	text string
	pos  int
}

func (t token) describe() string {
	if t.kind == tokEOF {
		return "end of pattern"
	}
	return fmt.Sprintf("%q at offset %d", t.text, t.pos)
}

func lex(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case isSpace(c):
			i++
		case c == '{':
			toks = append(toks, token{tokLBrace, "{", i})
			i++
		case c == '}':
			toks = append(toks, token{tokRBrace, "}", i})
			i++
		case c == '(':
			toks = append(toks, token{tokLParen, "(", i})
			i++
		case c == ')':
			toks = append(toks, token{tokRParen, ")", i})
			i++
		case strings.HasPrefix(s[i:], "&&"):
			toks = append(toks, token{tokAnd, "&&", i})
			i += 2
		case strings.HasPrefix(s[i:], "||"):
			toks = append(toks, token{tokOr, "||", i})
			i += 2
		case strings.HasPrefix(s[i:], "!="), strings.HasPrefix(s[i:], "<="), strings.HasPrefix(s[i:], ">="):
			toks = append(toks, token{tokOp, s[i : i+2], i})
			i += 2
		case c == '=' || c == '<' || c == '>':
			toks = append(toks, token{tokOp, s[i : i+1], i})
			i++
		case c == '"':
			w, n, err := readQuoted(s, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{tokString, w, i})
			i += n
		case c == '%':
			end := strings.IndexByte(s[i+1:], '%')
			if end < 0 {
				return nil, fmt.Errorf("unterminated regular expression starting at offset %d", i)
			}
			toks = append(toks, token{tokRegex, s[i+1 : i+1+end], i})
			i += end + 2
		case c == '$':
			start := i
			for i < len(s) && !isSpace(s[i]) && !strings.ContainsRune("(){}=!<>&|\"", rune(s[i])) {
				i++
			}
			toks = append(toks, token{tokSelector, s[start:i], start})
		default:
			start := i
			for i < len(s) && !isSpace(s[i]) && !strings.ContainsRune("(){}\"", rune(s[i])) &&
				!strings.HasPrefix(s[i:], "&&") && !strings.HasPrefix(s[i:], "||") {
				i++
			}
			if i == start {
				return nil, fmt.Errorf("unexpected %q at offset %d", string(c), i)
			}
			toks = append(toks, token{tokWord, s[start:i], start})
		}
	}
	return append(toks, token{tokEOF, "", len(s)}), nil
}

type parser struct {
	toks []token
	pos  int
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

func parseJSON(s string) (expr, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	if t := p.next(); t.kind != tokLBrace {
		return nil, fmt.Errorf("expected '{', found %s", t.describe())
	}
	if p.peek().kind == tokRBrace {
		return nil, fmt.Errorf("empty JSON pattern '{ }': write a condition such as $.eventName = CreateTrail")
	}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.next(); t.kind != tokRBrace {
		return nil, fmt.Errorf("expected '}' or a logical operator, found %s", t.describe())
	}
	if t := p.next(); t.kind != tokEOF {
		return nil, fmt.Errorf("unexpected %s after the closing '}'", t.describe())
	}
	return e, nil
}

func (p *parser) parseOr() (expr, error) {
	left, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tokOr {
		p.next()
		right, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		left = orExpr{left, right}
	}
	return left, nil
}

func (p *parser) parseAnd() (expr, error) {
	left, err := p.parseTerm()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tokAnd {
		p.next()
		right, err := p.parseTerm()
		if err != nil {
			return nil, err
		}
		left = andExpr{left, right}
	}
	return left, nil
}

func (p *parser) parseTerm() (expr, error) {
	t := p.next()
	switch t.kind {
	case tokLParen:
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tokRParen {
			return nil, fmt.Errorf("expected ')' to close '(' at offset %d, found %s", t.pos, c.describe())
		}
		return e, nil
	case tokSelector:
		return p.parseCondition(t)
	}
	return nil, fmt.Errorf("expected a $. selector or '(', found %s", t.describe())
}

func (p *parser) parseCondition(sel token) (expr, error) {
	path, err := parseSelector(sel.text)
	if err != nil {
		return nil, fmt.Errorf("selector at offset %d: %w", sel.pos, err)
	}
	t := p.next()
	switch {
	case t.kind == tokWord && strings.EqualFold(t.text, "IS"):
		k := p.next()
		if k.kind == tokWord {
			switch strings.ToUpper(k.text) {
			case "TRUE":
				return isExpr{path: path, want: isTrue}, nil
			case "FALSE":
				return isExpr{path: path, want: isFalse}, nil
			case "NULL":
				return isExpr{path: path, want: isNull}, nil
			}
		}
		return nil, fmt.Errorf("expected TRUE, FALSE or NULL after IS, found %s", k.describe())
	case t.kind == tokWord && strings.EqualFold(t.text, "NOT"):
		k := p.next()
		if k.kind == tokWord && strings.EqualFold(k.text, "EXISTS") {
			return isExpr{path: path, want: notExists}, nil
		}
		return nil, fmt.Errorf("expected EXISTS after NOT, found %s", k.describe())
	case t.kind == tokOp:
		return p.parseComparison(path, t)
	}
	return nil, fmt.Errorf("expected an operator after %s, found %s", sel.text, t.describe())
}

func (p *parser) parseComparison(path []step, op token) (expr, error) {
	v := p.next()
	c := compareExpr{path: path, op: op.text}
	switch v.kind {
	case tokString:
		c.text = v.text
	case tokWord:
		c.text = v.text
		if n, err := strconv.ParseFloat(v.text, 64); err == nil {
			c.number, c.isNumber = n, true
		}
	case tokRegex:
		re, err := regexp.Compile(v.text)
		if err != nil {
			return nil, fmt.Errorf("regular expression at offset %d: %v", v.pos, err)
		}
		c.regex = re
	default:
		return nil, fmt.Errorf("expected a value after %s, found %s", op.text, v.describe())
	}
	switch op.text {
	case "<", "<=", ">", ">=":
		if !c.isNumber {
			return nil, fmt.Errorf("operator %s at offset %d needs a number, found %s", op.text, op.pos, v.describe())
		}
	}
	if c.regex != nil && op.text != "=" && op.text != "!=" {
		return nil, fmt.Errorf("operator %s at offset %d cannot take a regular expression", op.text, op.pos)
	}
	return c, nil
}

// step is one element of a selector path: a key, or an array index when
// index >= 0.
type step struct {
	key   string
	index int
}

func parseSelector(s string) ([]step, error) {
	if !strings.HasPrefix(s, "$") {
		return nil, fmt.Errorf("%q does not start with $", s)
	}
	var path []step
	rest := s[1:]
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			if end == 0 {
				return nil, fmt.Errorf("%q has an empty field name", s)
			}
			path = append(path, step{key: rest[:end], index: -1})
			rest = rest[end:]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("%q has an unclosed '['", s)
			}
			n, err := strconv.Atoi(rest[1:end])
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%q: array index %q is not a non-negative number", s, rest[1:end])
			}
			path = append(path, step{index: n})
			rest = rest[end+1:]
		default:
			return nil, fmt.Errorf("%q: expected '.' or '[' after %q", s, s[:len(s)-len(rest)])
		}
	}
	if len(path) == 0 {
		return nil, fmt.Errorf("selector %q names no field", s)
	}
	return path, nil
}
