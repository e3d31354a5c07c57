// Package catalog is trailseal's rule catalog: what each rule checks, why it
// matters, how it is audited and fixed, and which compliance controls it
// maps to. It holds metadata only, and imports nothing else of the
// project, so that report writers, suppressions and compliance views can
// read the catalog without the code that evaluates it (internal/rules for
// account rules, internal/orgscan for organization rules, internal/drift
// for drift rules).
//
// Rules are listed explicitly in All, family by family; each family lives in
// its own file (trail.go, bucket.go, ...), and its checks in the file of the
// same name in internal/rules.
package catalog

import (
	"fmt"
	"strings"
)

// Severity ranks how much a FAIL matters.
type Severity string

// Severities.
const (
	Critical Severity = "critical"
	High     Severity = "high"
	Medium   Severity = "medium"
	Low      Severity = "low"
	Info     Severity = "info"
)

// Severities lists every severity from most to least severe.
var Severities = []Severity{Critical, High, Medium, Low, Info}

// Rank orders severities: critical is 4, info 0, unknown -1.
func (s Severity) Rank() int {
	switch s {
	case Critical:
		return 4
	case High:
		return 3
	case Medium:
		return 2
	case Low:
		return 1
	case Info:
		return 0
	}
	return -1
}

// ParseSeverity reads a severity name (case-insensitive).
func ParseSeverity(s string) (Severity, error) {
	sev := Severity(strings.ToLower(strings.TrimSpace(s)))
	if sev.Rank() < 0 {
		return "", fmt.Errorf("unknown severity %q (want critical, high, medium, low or info)", s)
	}
	return sev, nil
}

// Framework mapping of a rule to a control.
type Framework struct {
	// Framework is a compliance view ID: cis-1.4, cis-3.0, cis-4.0, cis-5.0,
	// fsbp, conformity, ...
	Framework string `json:"framework"`
	Control   string `json:"control"`
}

// Remediation tells how to fix a FAIL, per engine.
type Remediation struct {
	Console   string `json:"console"`
	CLI       string `json:"cli"`
	Terraform string `json:"terraform"`
}

// Rule is one rule's metadata.
type Rule struct {
	ID       string   `json:"id"`
	Aliases  []string `json:"aliases,omitempty"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	// Scope is "account", "trail", "bucket", "key", "iam", "monitoring" or "config".
	Scope       string      `json:"scope"`
	Rationale   string      `json:"rationale"`
	Audit       string      `json:"audit"`
	Remediation Remediation `json:"remediation"`
	References  []string    `json:"references,omitempty"`
	Frameworks  []Framework `json:"frameworks,omitempty"`
}

// All returns every rule in catalog order: the account rules, judged per
// account by internal/rules, the organization rules, judged by an
// organization scan, and the drift rules, judged by a scan with a history
// store.
func All() []Rule {
	var all []Rule
	all = append(all, Account()...)
	all = append(all, Organization()...)
	all = append(all, Drift()...)
	return all
}

// Account returns the rules judged on one account's inventory.
func Account() []Rule {
	var all []Rule
	all = append(all, accountRules()...)
	all = append(all, trailRules()...)
	all = append(all, bucketRules()...)
	all = append(all, identityRules()...)
	all = append(all, monitoringRules()...)
	return all
}

// Lookup finds a rule by ID or alias.
func Lookup(rules []Rule, id string) (Rule, bool) {
	for _, r := range rules {
		if r.ID == id {
			return r, true
		}
		for _, a := range r.Aliases {
			if a == id {
				return r, true
			}
		}
	}
	return Rule{}, false
}
