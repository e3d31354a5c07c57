// Package suggest finds what a user probably meant by a name that does not
// exist (a rule ID, a setting): the "did you mean" of an error message.
package suggest

import (
	"strings"

	"github.com/agext/levenshtein"
)

// Closest returns the candidate word most likely meant, or "" when none is
// close: one that ends with "."+word or "_"+word (a rule ID without its
// scope: object_lock for bucket.object_lock), else the nearest by edit
// distance within a third of the word's length (at least 2 edits).
func Closest(word string, candidates []string) string {
	w := strings.ToLower(strings.TrimSpace(word))
	if w == "" {
		return ""
	}
	var suffixed []string
	for _, c := range candidates {
		lc := strings.ToLower(c)
		if lc == w {
			return c
		}
		if strings.HasSuffix(lc, "."+w) {
			suffixed = append(suffixed, c)
		}
	}
	if len(suffixed) == 1 {
		return suffixed[0]
	}
	return Nearest(w, candidates, max(2, len(w)/3))
}

// Nearest returns the candidate nearest to word by edit distance
// (Levenshtein, letters' case aside), or "" when none is within maxEdits.
// Of candidates equally near, the first wins.
func Nearest(word string, candidates []string, maxEdits int) string {
	w := strings.ToLower(word)
	best, bestDist := "", maxEdits+1
	for _, c := range candidates {
		if d := levenshtein.Distance(w, strings.ToLower(c), nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// DidYouMean is " (did you mean X?)" for the closest candidate, or "".
func DidYouMean(word string, candidates []string) string {
	if c := Closest(word, candidates); c != "" {
		return " (did you mean " + c + "?)"
	}
	return ""
}
