package selectors

import (
	"strings"

	"github.com/trailseal/trailseal/internal/inventory"
)

// matches reports whether one concrete field value satisfies a field
// selector: one of the positive values (if any) matches and none of the
// negative values does.
func matches(fs inventory.FieldSelector, v string) bool {
	if len(fs.Equals)+len(fs.StartsWith)+len(fs.EndsWith) > 0 {
		hit := false
		for _, e := range fs.Equals {
			hit = hit || v == e
		}
		for _, p := range fs.StartsWith {
			hit = hit || strings.HasPrefix(v, p)
		}
		for _, s := range fs.EndsWith {
			hit = hit || strings.HasSuffix(v, s)
		}
		if !hit {
			return false
		}
	}
	for _, e := range fs.NotEquals {
		if v == e {
			return false
		}
	}
	for _, p := range fs.NotStartsWith {
		if strings.HasPrefix(v, p) {
			return false
		}
	}
	for _, s := range fs.NotEndsWith {
		if strings.HasSuffix(v, s) {
			return false
		}
	}
	return true
}

func matchesAll(conds []inventory.FieldSelector, v string) bool {
	for _, fs := range conds {
		if !matches(fs, v) {
			return false
		}
	}
	return true
}

func isEmpty(fs inventory.FieldSelector) bool {
	return len(fs.Equals)+len(fs.StartsWith)+len(fs.EndsWith)+
		len(fs.NotEquals)+len(fs.NotStartsWith)+len(fs.NotEndsWith) == 0
}

func hasEmptySelector(conds []inventory.FieldSelector) bool {
	for _, fs := range conds {
		if isEmpty(fs) {
			return true
		}
	}
	return false
}

// compatible reports whether some string starts with both a and b.
func compatible(a, b string) bool {
	return strings.HasPrefix(a, b) || strings.HasPrefix(b, a)
}

// The open-domain functions below reason about the set of all strings that
// start with dom (dom "" is every string). Each answers conservatively: true
// only when the claim holds for every string of the set.

// rejectsAll reports whether fs provably lets no string of the domain through.
func rejectsAll(fs inventory.FieldSelector, dom string) bool {
	for _, p := range fs.NotStartsWith {
		if strings.HasPrefix(dom, p) {
			return true
		}
	}
	for _, s := range fs.NotEndsWith {
		if s == "" {
			return true
		}
	}
	if len(fs.Equals)+len(fs.StartsWith)+len(fs.EndsWith) == 0 {
		return false
	}
	if len(fs.EndsWith) > 0 {
		return false // dom followed by the suffix is in the domain
	}
	for _, e := range fs.Equals {
		if strings.HasPrefix(e, dom) {
			return false
		}
	}
	for _, p := range fs.StartsWith {
		if compatible(p, dom) {
			return false
		}
	}
	return true
}

// acceptsAll reports whether fs provably lets every string of the domain through.
func acceptsAll(fs inventory.FieldSelector, dom string) bool {
	if len(fs.Equals)+len(fs.StartsWith)+len(fs.EndsWith) > 0 && !hasUniversalPositive(fs, dom) {
		return false
	}
	if len(fs.NotEndsWith) > 0 {
		return false
	}
	for _, e := range fs.NotEquals {
		if strings.HasPrefix(e, dom) {
			return false
		}
	}
	for _, p := range fs.NotStartsWith {
		if compatible(p, dom) {
			return false
		}
	}
	return true
}

func hasUniversalPositive(fs inventory.FieldSelector, dom string) bool {
	for _, p := range fs.StartsWith {
		if strings.HasPrefix(dom, p) {
			return true
		}
	}
	for _, s := range fs.EndsWith {
		if s == "" {
			return true
		}
	}
	return false
}

// part is a subset of the domain that one negative operator removes:
// one exact string, every string with a prefix, or every string with a suffix.
type part struct {
	kind string // "exact", "prefix", "suffix"
	val  string
}

// openUnionCovers proves that the union of conditions (each a list of field
// selectors on the same field, ANDed) is the whole domain. It looks for one
// condition whose only positives accept everything, and checks that each
// part its negatives remove is wholly accepted by some other condition.
func openUnionCovers(conds [][]inventory.FieldSelector, dom string) bool {
	for i, c0 := range conds {
		var holes []part
		usable := true
		for _, fs := range c0 {
			if len(fs.Equals)+len(fs.StartsWith)+len(fs.EndsWith) > 0 && !hasUniversalPositive(fs, dom) {
				usable = false
				break
			}
			for _, v := range fs.NotEquals {
				holes = append(holes, part{"exact", v})
			}
			for _, v := range fs.NotStartsWith {
				holes = append(holes, part{"prefix", v})
			}
			for _, v := range fs.NotEndsWith {
				holes = append(holes, part{"suffix", v})
			}
		}
		if !usable {
			continue
		}
		all := true
		for _, h := range holes {
			if partEmpty(h, dom) {
				continue
			}
			filled := false
			for j, c := range conds {
				if j != i && condCoversPart(c, h, dom) {
					filled = true
					break
				}
			}
			if !filled {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func partEmpty(h part, dom string) bool {
	switch h.kind {
	case "exact":
		return !strings.HasPrefix(h.val, dom)
	case "prefix":
		return !compatible(h.val, dom)
	}
	return false // dom followed by any suffix is in the domain
}

func condCoversPart(c []inventory.FieldSelector, h part, dom string) bool {
	for _, fs := range c {
		if !fsCoversPart(fs, h, dom) {
			return false
		}
	}
	return true
}

// fsCoversPart reports whether fs accepts every domain string of part h.
func fsCoversPart(fs inventory.FieldSelector, h part, dom string) bool {
	if h.kind == "exact" {
		return matches(fs, h.val)
	}
	// The strings of the part all start with pre (for a prefix part) or all
	// start with dom and end with suf (for a suffix part).
	pre, suf := dom, ""
	if h.kind == "prefix" {
		if len(h.val) > len(pre) {
			pre = h.val
		}
	} else {
		suf = h.val
	}
	if len(fs.Equals)+len(fs.StartsWith)+len(fs.EndsWith) > 0 {
		ok := false
		for _, p := range fs.StartsWith {
			ok = ok || strings.HasPrefix(pre, p)
		}
		for _, s := range fs.EndsWith {
			ok = ok || strings.HasSuffix(suf, s)
		}
		if !ok {
			return false
		}
	}
	// Every negative must miss the whole part.
	for _, e := range fs.NotEquals {
		if strings.HasPrefix(e, pre) && strings.HasSuffix(e, suf) {
			return false
		}
	}
	for _, p := range fs.NotStartsWith {
		if compatible(p, pre) {
			return false
		}
	}
	for _, s := range fs.NotEndsWith {
		if h.kind == "prefix" || strings.HasSuffix(suf, s) || strings.HasSuffix(s, suf) {
			return false
		}
	}
	return true
}
