// Package findings defines the result of evaluating rules: one Finding per
// rule and resource, and the Report that the report writers consume.
package findings

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
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
