package cli

import (
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/hunt/detection"
	"github.com/trailseal/trailseal/internal/rules"
	"github.com/trailseal/trailseal/internal/suggest"
)

// ruleFlags narrow the rule catalog: the flags scan and fix share.
type ruleFlags struct {
	ruleIDs    []string
	exclude    []string
	severities []string
}

func addRuleFlags(f *pflag.FlagSet, r *ruleFlags, verb string) {
	f.StringSliceVar(&r.ruleIDs, "rules", nil, verb+" only these rule IDs (comma-separated; 'trailseal rules' lists them)")
	f.StringSliceVar(&r.exclude, "exclude-rules", nil, verb+" every rule but these rule IDs (comma-separated)")
	f.StringSliceVar(&r.severities, "severity", nil, verb+" only findings of these severities (comma-separated): "+severityNames())
}

func severityNames() string {
	names := make([]string, len(findings.Severities))
	for i, s := range findings.Severities {
		names[i] = strings.ToLower(string(s))
	}
	return strings.Join(names, ", ")
}

// ruleIDs are every rule ID and alias a user may name, for suggestions and
// completion.
func ruleIDs() []string {
	var ids []string
	for _, r := range rules.All() {
		ids = append(ids, r.ID)
		ids = append(ids, r.Aliases...)
	}
	return ids
}

// lookupRule finds a rule by ID or alias; an unknown one is a usage error
// that suggests the closest ID.
func lookupRule(ref, id string) (rules.Rule, error) {
	r, ok := rules.Lookup(rules.All(), strings.TrimSpace(id))
	if !ok {
		return r, usageError("%sunknown rule ID %q%s (see 'trailseal rules')", prefix(ref), id, suggest.DidYouMean(id, ruleIDs()))
	}
	return r, nil
}

// prefix is "ref: ", or "" for none.
func prefix(ref string) string {
	if ref == "" {
		return ""
	}
	return ref + ": "
}

// selectRules applies --rules and --exclude-rules to the catalog, in
// catalog order, and reads --severity. Selecting no rule is a usage error:
// a scan of no rule would pass anything.
func (g *globals) selectRules(r ruleFlags) ([]rules.Rule, []findings.Severity, error) {
	keep := func(rules.Rule) bool { return true }
	if len(r.ruleIDs) > 0 {
		want := map[string]bool{}
		for _, id := range r.ruleIDs {
			rule, err := lookupRule(g.ref("rules"), id)
			if err != nil {
				return nil, nil, err
			}
			want[rule.ID] = true
		}
		keep = func(rule rules.Rule) bool { return want[rule.ID] }
	}
	drop := map[string]bool{}
	for _, id := range r.exclude {
		rule, err := lookupRule(g.ref("exclude-rules"), id)
		if err != nil {
			return nil, nil, err
		}
		drop[rule.ID] = true
	}
	var sevs []findings.Severity
	for _, s := range r.severities {
		sev, err := findings.ParseSeverity(s)
		if err != nil {
			return nil, nil, usageError("%s: %v", g.ref("severity"), err)
		}
		sevs = append(sevs, sev)
	}
	var out []rules.Rule
	for _, rule := range rules.All() {
		if keep(rule) && !drop[rule.ID] {
			out = append(out, rule)
		}
	}
	if len(out) == 0 {
		return nil, nil, usageError("%s leaves no rule to evaluate", g.ref("exclude-rules"))
	}
	return out, sevs, nil
}

// keepSeverities keeps the findings of the given severities (all when
// none are given): --severity. A finding's severity is its rule's, or the
// higher one a rule gives its worst cases.
func keepSeverities(fs []findings.Finding, sevs []findings.Severity) []findings.Finding {
	if len(sevs) == 0 {
		return fs
	}
	out := fs[:0:0]
	for _, f := range fs {
		if slices.Contains(sevs, f.Severity) {
			out = append(out, f)
		}
	}
	return out
}

// parseStatuses reads --status: the statuses a report shows.
func parseStatuses(ref string, list []string) ([]findings.Status, error) {
	var out []findings.Status
	for _, s := range list {
		want := strings.ToUpper(strings.TrimSpace(s))
		if want == "NA" {
			want = string(findings.NA)
		}
		i := slices.IndexFunc(findings.Statuses, func(st findings.Status) bool { return string(st) == want })
		if i < 0 {
			return nil, usageError("%s: unknown status %q (want %s)", ref, s, statusNames())
		}
		out = append(out, findings.Statuses[i])
	}
	return out, nil
}

func statusNames() string {
	names := make([]string, len(findings.Statuses))
	for i, s := range findings.Statuses {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// detectionIDs are every hunt detection ID, for explain's suggestions and
// completion.
func detectionIDs() []string {
	var ids []string
	for _, d := range detection.Catalog() {
		ids = append(ids, d.ID)
	}
	return ids
}
