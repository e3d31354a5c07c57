package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/findings"
)

// writeJUnit writes one testsuite per rule and one testcase per resource.
// FAIL is a failure, ERROR an error; MANUAL, N/A and suppressed findings
// are skipped with a message saying why, so CI dashboards show them without
// failing the build.
func writeJUnit(w io.Writer, rep *findings.Report, entries []catalog.Rule, _ Options) error {
	idx := ruleIndex(entries)
	out := junitSuites{Name: "trailseal"}
	pos := map[string]int{}
	ts := rep.GeneratedAt.UTC().Format("2006-01-02T15:04:05")
	for _, f := range rep.Findings {
		i, ok := pos[f.RuleID]
		if !ok {
			i = len(out.Suites)
			pos[f.RuleID] = i
			s := junitSuite{Name: f.RuleID, Timestamp: ts}
			if r, ok := idx[f.RuleID]; ok {
				s.Props = &junitProps{Props: []junitProp{{"title", r.Title}, {"severity", string(r.Severity)}}}
			}
			out.Suites = append(out.Suites, s)
		}
		s := &out.Suites[i]
		tc := junitTestCase{Name: caseName(f), Classname: f.RuleID}
		detail := junitDetail(f, idx[f.RuleID])
		switch {
		case f.Suppressed != nil:
			tc.Skipped = &junitSkipped{Message: fmt.Sprintf("suppressed %s until %s: %s", f.Status, f.Suppressed.Expires, f.Suppressed.Reason)}
		case f.Status == findings.Fail:
			tc.Failure = &junitProblem{Message: f.Message, Type: string(f.Severity), Text: detail}
		case f.Status == findings.Error:
			tc.Error = &junitProblem{Message: f.Message, Type: "ERROR", Text: detail}
		case f.Status == findings.Manual || f.Status == findings.NA:
			tc.Skipped = &junitSkipped{Message: string(f.Status) + ": " + f.Message}
		default:
			tc.SystemOut = f.Message
		}
		s.Cases = append(s.Cases, tc)
	}
	return writeJUnitXML(w, out)
}

// caseName identifies the resource within its rule's suite.
func caseName(f findings.Finding) string {
	res := f.Resource
	if res == "" {
		res = "(account)"
	}
	return fmt.Sprintf("%s %s %s", f.Account, f.Region, res)
}

func junitDetail(f findings.Finding, r catalog.Rule) string {
	var b strings.Builder
	fmt.Fprintf(&b, "finding: %s\nresource: %s\naccount: %s\nregion: %s\n", f.ID, f.Resource, f.Account, f.Region)
	for _, k := range evidenceKeys(f.Evidence) {
		fmt.Fprintf(&b, "evidence %s: %s\n", k, evidenceValue(f.Evidence[k]))
	}
	if rem := remediationText(r.Remediation); rem != "" {
		fmt.Fprintf(&b, "\n%s\n", rem)
	}
	return b.String()
}
