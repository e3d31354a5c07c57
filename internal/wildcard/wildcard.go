// Package wildcard matches the patterns of IAM policy elements (Action,
// Resource) and of trailseal's suppression files: '*' matches any run of
// characters, none included, and '?' exactly one. It is the one matcher of
// both; it imports nothing of the project.
package wildcard

import "unicode/utf8"

// Match reports whether s matches pattern. '*' and '?' are the only special
// characters. A '*' in s that meets a '*' in pattern is first taken as the
// same literal character, which lets a caller ask whether one pattern covers
// another ("s3:*" covers "s3:Put*"; "s3:Put*" does not cover "s3:*").
//
// Match counts characters, not bytes: the IAM User Guide defines '?' as any
// single character, and S3 keys and names in ARNs may be any UTF-8, so
// "photo-?" must match "photo-é" (two bytes). It still walks the strings by
// byte offsets, with no []rune copy: literal bytes compare the same either
// way, since UTF-8 never starts a character inside another, and only '?'
// and the backtracking of '*' step over whole characters.
func Match(pattern, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(pattern) && pattern[pi] == '?':
			_, w := utf8.DecodeRuneInString(s[si:])
			pi++
			si += w
		case pi < len(pattern) && pattern[pi] == s[si]:
			pi++
			si++
		case pi < len(pattern) && pattern[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			_, w := utf8.DecodeRuneInString(s[mark:])
			mark += w
			pi, si = star+1, mark
		default:
			return false
		}
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}
