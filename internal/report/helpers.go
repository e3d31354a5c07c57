package report

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/findings"
)

// evidenceJSON renders evidence as compact JSON with sorted keys (the
// encoder sorts map keys), so outputs are stable across runs.
func evidenceJSON(ev findings.Evidence) string {
	if len(ev) == 0 {
		return ""
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return ""
	}
	return string(b)
}

// evidenceKeys returns the evidence field names, sorted.
func evidenceKeys(ev findings.Evidence) []string {
	keys := make([]string, 0, len(ev))
	for k := range ev {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// evidenceValue renders one evidence value for people: strings as is,
// anything else as JSON.
func evidenceValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// remediationText joins the remediation of a rule into one plain text
// block, console first.
func remediationText(r catalog.Remediation) string {
	var parts []string
	if s := strings.TrimSpace(r.Console); s != "" {
		parts = append(parts, "Console: "+s)
	}
	if s := strings.TrimSpace(r.CLI); s != "" {
		parts = append(parts, "AWS CLI: "+s)
	}
	if s := strings.TrimSpace(r.Terraform); s != "" {
		parts = append(parts, "Terraform: "+s)
	}
	return strings.Join(parts, "\n\n")
}

// frameworkRefs lists a rule's framework mappings as "fw control".
func frameworkRefs(r catalog.Rule) []string {
	var out []string
	for _, f := range r.Frameworks {
		out = append(out, f.Framework+" "+f.Control)
	}
	return out
}

// resourceName is the last component of an ARN, for short labels.
func resourceName(arn string) string {
	s := arn
	if i := strings.LastIndexAny(s, ":/"); i >= 0 && i < len(s)-1 {
		s = s[i+1:]
	}
	return s
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("...")
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
