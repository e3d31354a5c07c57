// Package rules judges an account: each rule's check is a pure function of
// an inventory.Inventory that returns findings. What a rule is (title,
// severity, rationale, remediation, frameworks) lives in internal/catalog;
// this package pairs each catalog entry with its check.
//
// Rules are registered explicitly in All (no init-time registry). Each
// rule's check lives in a file of its family (trail.go, bucket.go, ...),
// beside the catalog file of the same name, with its should-fire and
// should-not-fire tests.
package rules

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
)

// Options are the settings that rules read.
type Options struct {
	// MinRetentionDays is the shortest acceptable retention for trail logs.
	MinRetentionDays int `yaml:"min-retention-days"`
	// LogArchiveAccount is the dedicated log archive account, if any.
	LogArchiveAccount string `yaml:"log-archive-account"`
	// FullAccessAllowList lists principal ARNs allowed to hold
	// AWSCloudTrail_FullAccess.
	FullAccessAllowList []string `yaml:"full-access-allow-list"`
	// FullAccessLimit is how many principals outside the allow-list may hold
	// AWSCloudTrail_FullAccess.
	FullAccessLimit int `yaml:"full-access-limit"`
}

// DefaultOptions returns the documented defaults.
func DefaultOptions() Options {
	return Options{MinRetentionDays: 365}
}

// Rule is a catalog entry with the check that judges it.
type Rule struct {
	catalog.Rule
	Check Check `json:"-"`
}

// Result is what a Check returns for one resource; Evaluate turns it into a
// findings.Finding with the rule's ID and severity.
type Result struct {
	Status   findings.Status
	Region   string
	Resource string
	Message  string
	Evidence findings.Evidence
	// Account overrides the inventory's account (a resource owned elsewhere).
	Account string
	// Severity, when set, replaces the rule's severity for this finding: a
	// rule whose worst case is far worse than its usual one (a lifecycle
	// rule that deletes trail logs, against no lifecycle at all) raises it.
	Severity findings.Severity
}

// Lookup finds a rule by ID or alias.
func Lookup(rules []Rule, id string) (Rule, bool) {
	for _, r := range rules {
		if r.ID == id || slices.Contains(r.Aliases, id) {
			return r, true
		}
	}
	return Rule{}, false
}

// Select returns the rules named by ids (IDs or aliases), in catalog order.
// An unknown ID is an error that names it.
func Select(all []Rule, ids []string) ([]Rule, error) {
	if len(ids) == 0 {
		return all, nil
	}
	want := make(map[string]bool)
	for _, id := range ids {
		r, ok := Lookup(all, id)
		if !ok {
			return nil, fmt.Errorf("unknown rule ID %q (see 'trailseal rules')", id)
		}
		want[r.ID] = true
	}
	var out []Rule
	for _, r := range all {
		if want[r.ID] {
			out = append(out, r)
		}
	}
	return out, nil
}

// Evaluate runs rules over inv and returns the findings, sorted by severity,
// status, rule and resource.
func Evaluate(inv *inventory.Inventory, rules []Rule, opts Options) []findings.Finding {
	var out []findings.Finding
	for _, r := range rules {
		for _, res := range r.Check(inv, opts) {
			acct := res.Account
			if acct == "" {
				acct = inv.Account.ID
			}
			sev := r.Severity
			if res.Severity != "" {
				sev = res.Severity
			}
			f := findings.Finding{
				RuleID:   r.ID,
				Status:   res.Status,
				Severity: sev,
				Account:  acct,
				Region:   res.Region,
				Resource: res.Resource,
				Message:  res.Message,
				Evidence: res.Evidence,
			}
			f.ID = findings.StableID(f.RuleID, f.Account, f.Region, f.Resource)
			out = append(out, f)
		}
	}
	SortFindings(out)
	return out
}

// SortFindings orders findings by severity (most severe first), then rule
// ID, account, region and resource.
func SortFindings(fs []findings.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		return strings.Join([]string{a.RuleID, a.Account, a.Region, a.Resource}, "\x00") <
			strings.Join([]string{b.RuleID, b.Account, b.Region, b.Resource}, "\x00")
	})
}
