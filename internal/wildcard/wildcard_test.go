package wildcard

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "x", false},
		{"*", "", true},
		{"*", "anything:at/all", true},
		{"s3:Put*", "s3:PutObject", true},
		{"s3:Put*", "s3:GetObject", false},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"log?", "logs", true},
		{"log?", "log", false},
		{"arn:aws:cloudtrail:*:111122223333:trail/*", "arn:aws:cloudtrail:eu-west-1:111122223333:trail/main", true},
		// One '?' is one character, however many bytes it takes.
		{"photo-?", "photo-é", true},
		{"photo-??", "photo-é", false},
		{"?", "日", true},
		{"*?", "日本", true},
		{"*本", "日本", true},
		{"*é", "éè", false},
		// A '*' meeting a '*' is first the same literal: pattern coverage.
		{"s3:*", "s3:Put*", true},
		{"s3:Put*", "s3:*", false},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.s); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

// Match agrees with a plain recursive matcher over runes on every pattern
// and string built from a small alphabet with multi-byte letters (strings
// without '*', where the literal-first reading plays no part).
func TestMatchAgreesWithReference(t *testing.T) {
	alphabet := []string{"a", "é", "*", "?", "日"}
	var words []string
	var build func(prefix string, n int)
	build = func(prefix string, n int) {
		words = append(words, prefix)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			build(prefix+c, n-1)
		}
	}
	build("", 4)
	for _, p := range words {
		for _, s := range words {
			if strings.Contains(s, "*") {
				continue
			}
			if got, want := Match(p, s), reference([]rune(p), []rune(s)); got != want {
				t.Fatalf("Match(%q, %q) = %v, reference says %v", p, s, got, want)
			}
		}
	}
}

func reference(p, s []rune) bool {
	if len(p) == 0 {
		return len(s) == 0
	}
	if p[0] == '*' {
		return reference(p[1:], s) || (len(s) > 0 && reference(p, s[1:]))
	}
	return len(s) > 0 && (p[0] == '?' || p[0] == s[0]) && reference(p[1:], s[1:])
}
