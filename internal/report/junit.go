package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/findings"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string          `xml:"name,attr"`
	Tests     int             `xml:"tests,attr"`
	Failures  int             `xml:"failures,attr"`
	Errors    int             `xml:"errors,attr"`
	Skipped   int             `xml:"skipped,attr"`
	Time      string          `xml:"time,attr"`
	Timestamp string          `xml:"timestamp,attr,omitempty"`
	Props     *junitProps     `xml:"properties,omitempty"`
	Cases     []junitTestCase `xml:"testcase"`
}

type junitProps struct {
	Props []junitProp `xml:"property"`
}

type junitProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitTestCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// writeJUnit writes one testsuite per rule and one testcase per resource.
// FAIL is a failure, ERROR an error; MANUAL, N/A and suppressed findings
// are skipped with a message saying why, so CI dashboards show them without
// failing the build.
func writeJUnit(w io.Writer, rep *findings.Report, entries []catalog.Rule, _ Options) error {
	idx := ruleIndex(entries)
	out := junitSuites{Name: "trailseal", Time: "0"}
	pos := map[string]int{}
	ts := rep.GeneratedAt.UTC().Format("2006-01-02T15:04:05")
	for _, f := range rep.Findings {
		i, ok := pos[f.RuleID]
		if !ok {
			i = len(out.Suites)
			pos[f.RuleID] = i
			s := junitSuite{Name: f.RuleID, Time: "0", Timestamp: ts}
			if r, ok := idx[f.RuleID]; ok {
				s.Props = &junitProps{Props: []junitProp{{"title", r.Title}, {"severity", string(r.Severity)}}}
			}
			out.Suites = append(out.Suites, s)
		}
		s := &out.Suites[i]
		tc := junitTestCase{Name: caseName(f), Classname: f.RuleID, Time: "0"}
		detail := junitDetail(f, idx[f.RuleID])
		switch {
		case f.Suppressed != nil:
			tc.Skipped = &junitSkipped{Message: fmt.Sprintf("suppressed %s until %s: %s", f.Status, f.Suppressed.Expires, f.Suppressed.Reason)}
			s.Skipped++
		case f.Status == findings.Fail:
			tc.Failure = &junitProblem{Message: f.Message, Type: string(f.Severity), Text: detail}
			s.Failures++
		case f.Status == findings.Error:
			tc.Error = &junitProblem{Message: f.Message, Type: "ERROR", Text: detail}
			s.Errors++
		case f.Status == findings.Manual || f.Status == findings.NA:
			tc.Skipped = &junitSkipped{Message: string(f.Status) + ": " + f.Message}
			s.Skipped++
		default:
			tc.SystemOut = f.Message
		}
		s.Tests++
		s.Cases = append(s.Cases, tc)
	}
	for _, s := range out.Suites {
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		out.Skipped += s.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
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
