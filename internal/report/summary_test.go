package report

import (
	"strings"
	"testing"

	"github.com/trailseal/trailseal/internal/findings"
)

// TestSummarySaysAuditIncomplete: a report with ERROR findings says in its
// summary line that the audit is incomplete, and how many rules could not
// read their evidence; a suppressed ERROR does not count.
func TestSummarySaysAuditIncomplete(t *testing.T) {
	f := func(rule string, st findings.Status) findings.Finding {
		return findings.Finding{RuleID: rule, Status: st, Severity: findings.Medium, Resource: "r-" + rule}
	}
	rep := &findings.Report{Findings: []findings.Finding{
		f("a", findings.Error), f("a", findings.Error), f("b", findings.Error), f("c", findings.Pass),
	}}
	got := Summary(rep)
	if !strings.Contains(got, "4 findings: 0 FAIL, 3 ERROR, 0 MANUAL, 1 PASS, 0 N/A; AUDIT INCOMPLETE: 2 rules could not read their evidence") {
		t.Errorf("summary %q", got)
	}
	rep.Findings[2].Suppressed = &findings.Suppression{Reason: "known"}
	if got := Summary(rep); !strings.Contains(got, "AUDIT INCOMPLETE: 1 rule could not read its evidence") {
		t.Errorf("summary %q", got)
	}
	rep.Findings = rep.Findings[3:]
	if got := Summary(rep); strings.Contains(got, "INCOMPLETE") {
		t.Errorf("summary %q of a complete audit", got)
	}
}
