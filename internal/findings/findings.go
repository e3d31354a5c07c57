// Package findings defines the result of evaluating rules: one Finding per
// rule and resource, and the Report that the report writers consume.
package findings

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/trailseal/trailseal/internal/catalog"
)

// Status is the verdict of one rule on one resource.
type Status string

// Statuses, as specified in docs/rules.md.
const (
	Pass   Status = "PASS"
	Fail   Status = "FAIL"
	Error  Status = "ERROR"
	Manual Status = "MANUAL"
	NA     Status = "N/A"
)

// Statuses lists every status in report order.
var Statuses = []Status{Fail, Error, Manual, Pass, NA}

// Severity ranks how much a FAIL matters. Each rule has one in the
// catalog; a finding carries its rule's (or, rarely, a raised one).
type Severity = catalog.Severity

// Severities.
const (
	Critical = catalog.Critical
	High     = catalog.High
	Medium   = catalog.Medium
	Low      = catalog.Low
	Info     = catalog.Info
)

// Severities lists every severity from most to least severe.
var Severities = catalog.Severities

// ParseSeverity reads a severity name (case-insensitive).
func ParseSeverity(s string) (Severity, error) { return catalog.ParseSeverity(s) }

// Evidence is a finding's observed values, keyed by field name.
type Evidence map[string]any

// Finding is the verdict of one rule on one resource.
type Finding struct {
	// ID is stable across runs for the same rule, account, region and
	// resource, so that consumers can track a finding's state.
	ID       string   `json:"id"`
	RuleID   string   `json:"ruleId"`
	Status   Status   `json:"status"`
	Severity Severity `json:"severity"`
	Account  string   `json:"account"`
	// AccountName is set in organization scans.
	AccountName string `json:"accountName,omitempty"`
	Region      string `json:"region"`
	Resource    string `json:"resource"`
	// Message is one line stating what was observed.
	Message  string   `json:"message"`
	Evidence Evidence `json:"evidence,omitempty"`

	// Suppressed is set by the suppression filter; a suppressed finding stays
	// in every output but does not affect the exit code.
	Suppressed *Suppression `json:"suppressed,omitempty"`
}

// Suppression records why a finding is suppressed.
type Suppression struct {
	Reason  string `json:"reason"`
	Expires string `json:"expires"`
}

// StableID computes a finding ID from its identifying fields.
func StableID(ruleID, account, region, resource string) string {
	sum := sha256.Sum256([]byte(ruleID + "\x00" + account + "\x00" + region + "\x00" + resource))
	return "ts-" + hex.EncodeToString(sum[:10])
}

// Report is the outcome of one scan.
type Report struct {
	Tool        string    `json:"tool"`
	Version     string    `json:"version"`
	GeneratedAt time.Time `json:"generatedAt"`
	// Source says where the inventory came from: "aws", "snapshot:<path>", "demo".
	Source   string    `json:"source"`
	Accounts []string  `json:"accounts"`
	Regions  []string  `json:"regions"`
	Findings []Finding `json:"findings"`
}

// Counts tallies findings by status.
func (r *Report) Counts() map[Status]int {
	c := make(map[Status]int)
	for _, f := range r.Findings {
		c[f.Status]++
	}
	return c
}

// Unreadable returns the unsuppressed ERROR findings: evidence that could
// not be read, so the audit is incomplete.
func (r *Report) Unreadable() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Status == Error && f.Suppressed == nil {
			out = append(out, f)
		}
	}
	return out
}

// Failing returns the unsuppressed FAIL findings at or above min.
func (r *Report) Failing(min Severity) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Status == Fail && f.Suppressed == nil && f.Severity.Rank() >= min.Rank() {
			out = append(out, f)
		}
	}
	return out
}
