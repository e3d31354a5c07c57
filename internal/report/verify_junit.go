package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/trailseal/trailseal/internal/verify"
)

// junitItemLimit bounds the objects listed in one testcase's failure text
// (a long gap can leave thousands of LOG_NOT_COVERED files); the JSON
// report lists them all.
const junitItemLimit = 500

// writeVerifyJUnit writes one testsuite per chain: per region of a
// one-account report, per account and region of an archive's. Each suite
// has a testcase "valid digests and log files" that passes and counts what
// was verified, and one testcase per reason code found there, listing
// every object or period with that reason.
//
// The testcases agree with the exit code: a proof of tampering or deletion
// (exit 1) and a gap (exit 3) are failures, what could not be verified or
// needs a person's check (exit 4) is an error. Gaps are failures, not
// skipped: a skipped test leaves a pipeline green, and a period no digest
// covers must not. An account of the organization that was not verified is
// a skipped testcase, as it does not change the exit code.
func writeVerifyJUnit(w io.Writer, d *verifyDoc, o VerifyOptions) error {
	out := junitSuites{Name: "trailseal verify"}
	seen := map[string]bool{}
	for _, c := range d.Chains {
		seen[c.Account+"/"+c.Region] = true
		out.Suites = append(out.Suites, d.junitChain(c))
	}
	// A problem outside every summarised chain still gets a suite.
	for _, it := range d.Problems {
		if k := it.Account + "/" + it.Region; !seen[k] {
			seen[k] = true
			out.Suites = append(out.Suites, d.junitChain(verifyChain{Account: it.Account, Region: it.Region}))
		}
	}
	for _, s := range d.Skipped {
		out.Suites = append(out.Suites, junitSuite{Name: s.Account,
			Cases: []junitTestCase{{Name: "account verified", Classname: junitClass(s.Account, ""),
				Skipped: &junitSkipped{Message: "not verified: " + s.Why}}}})
	}
	if o.Hunt != nil {
		out.Suites = append(out.Suites, junitHunt(o.Hunt))
	}
	if st := d.State; st != nil {
		tc := junitTestCase{Name: "state saved", Classname: "verify.state", SystemOut: st.Path}
		if !st.Saved {
			tc.Error = &junitProblem{Message: "the state was not saved: " + st.Error, Type: "STATE_NOT_SAVED", Text: st.Error}
		}
		out.Suites = append(out.Suites, junitSuite{Name: "state " + st.Path, Cases: []junitTestCase{tc}})
	}
	return writeJUnitXML(w, out)
}

func junitClass(account, region string) string {
	parts := []string{"verify"}
	for _, p := range []string{account, region} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ".")
}

// junitChain is the suite of one account and region.
func (d *verifyDoc) junitChain(c verifyChain) junitSuite {
	name := c.Region
	if c.Account != "" {
		name = c.Account + "/" + c.Region
	}
	s := junitSuite{Name: name, Props: &junitProps{}}
	prop := func(k, v string) {
		if v != "" {
			s.Props.Props = append(s.Props.Props, junitProp{k, v})
		}
	}
	prop("account", c.Account)
	prop("region", c.Region)
	prop("outcome", string(c.Outcome))
	prop("expected", c.Expected)
	prop("location", d.Where)
	prop("coveredFrom", timeKey(c.CoveredFrom))
	prop("coveredTo", timeKey(c.CoveredTo))
	prop("incremental", c.Mode)
	class := junitClass(c.Account, c.Region)
	s.Cases = append(s.Cases, junitTestCase{Name: "valid digests and log files", Classname: class,
		SystemOut: fmt.Sprintf("%d digests valid; %d log files valid (%d bytes uncompressed)%s", c.DigestsValid, c.LogsValid,
			c.UncompressedBytes, coveredText(c))})
	items, gaps := d.chainProblems(c.Account, c.Region)
	var order []verify.Reason
	byReason := map[verify.Reason][]string{}
	statusOf := map[verify.Reason]verify.Status{}
	for _, it := range items {
		r := it.Primary()
		if _, ok := byReason[r]; !ok {
			order = append(order, r)
			statusOf[r] = it.Status
		}
		byReason[r] = append(byReason[r], d.junitItem(it))
	}
	for _, g := range gaps {
		if _, ok := byReason[g.Reason]; !ok {
			order = append(order, g.Reason)
			statusOf[g.Reason] = verify.StatusGap
		}
		byReason[g.Reason] = append(byReason[g.Reason], junitGap(g))
	}
	for _, r := range order {
		s.Cases = append(s.Cases, junitReasonCase(class, r, statusOf[r], byReason[r]))
	}
	return s
}

func coveredText(c verifyChain) string {
	if c.CoveredFrom.IsZero() {
		return ""
	}
	return fmt.Sprintf("; valid digests cover %s to %s", c.CoveredFrom.UTC().Format(verifyTime), c.CoveredTo.UTC().Format(verifyTime))
}

// junitReasonCase is the testcase of one reason code in one chain.
func junitReasonCase(class string, r verify.Reason, st verify.Status, entries []string) junitTestCase {
	ri := r.Info()
	tc := junitTestCase{Name: string(r), Classname: class}
	msg := fmt.Sprintf("%s: %d (%s)", ri.Title, len(entries), st)
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n\n", r, sentence(ri.PlainMeaning()))
	for i, e := range entries {
		if i == junitItemLimit {
			fmt.Fprintf(&b, "... and %d more: the JSON report lists every one\n", len(entries)-i)
			break
		}
		b.WriteString(e)
	}
	p := &junitProblem{Message: msg, Type: string(r), Text: b.String()}
	switch st {
	case verify.StatusInvalid, verify.StatusMissing, verify.StatusGap:
		tc.Failure = p
	default:
		tc.Error = p
	}
	return tc
}

// junitItem describes one problem as the text report does.
func (d *verifyDoc) junitItem(it verify.Item) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", strings.ToUpper(string(it.Status)), it.Kind)
	if len(it.Reasons) > 1 {
		fmt.Fprintf(&b, " (%s)", reasonCodes(it.Reasons))
	}
	if t := itemTime(it); t != "" {
		fmt.Fprintf(&b, " %s", t)
	}
	b.WriteString("\n")
	if it.Key != "" {
		fmt.Fprintf(&b, "  %s\n", d.name(it.Bucket, it.Key))
	}
	if it.VersionID != "" {
		fmt.Fprintf(&b, "  version %s\n", it.VersionID)
	}
	if it.Detail != "" {
		fmt.Fprintf(&b, "  %s\n", it.Detail)
	}
	for _, line := range d.recovery(it) {
		fmt.Fprintf(&b, "  %s\n", line)
	}
	return b.String()
}

func junitGap(g verify.Gap) string {
	var b strings.Builder
	fmt.Fprintf(&b, "GAP %s to %s (%s): validation or logging was off; %d log files written then are not covered\n",
		g.From.UTC().Format(verifyTime), g.To.UTC().Format(verifyTime), g.Where, g.Logs)
	for _, line := range gapEventLines(g) {
		fmt.Fprintf(&b, "  %s\n", line)
	}
	return b.String()
}

// sentence ends s with a full stop, unless it ends with a mark already.
func sentence(s string) string {
	if strings.HasSuffix(s, ".") || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "!") {
		return s
	}
	return s + "."
}
