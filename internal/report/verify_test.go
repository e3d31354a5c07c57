package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailseal/trailseal/internal/verify"
)

// verifyAccount reads the report of a real verification run (see
// testdata/verify/README.md): INVALID, with every kind of problem a report
// shows, gaps and recoverable objects.
func verifyAccount(t *testing.T) *verify.Report {
	t.Helper()
	return readVerifyFixture(t, nil)
}

// readVerifyFixture reads testdata/verify/account.json, with edit applied
// to its text first.
func readVerifyFixture(t *testing.T, edit func(string) string) *verify.Report {
	t.Helper()
	b, err := os.ReadFile("testdata/verify/account.json")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		b = []byte(edit(string(b)))
	}
	var r verify.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// Accounts of the archive fixture.
const (
	acctTampered = "111122223333" // the real run's account: INVALID
	acctClean    = "444455556666" // every file valid
	acctDenied   = "555566667777" // eu-west-1 unreadable: COULD NOT VERIFY
	acctGone     = "777788889999" // suspended: not verified
)

// verifyArchive builds an organization's archive report the way a sharded
// run gives one: two shard reports, merged by verify.MergeArchiveReports,
// which adds up the accounts and totals and decides the outcome.
func verifyArchive(t *testing.T) *verify.ArchiveReport {
	t.Helper()
	// An organization trail's layout: AWSLogs/<o-id>/<account>/.
	base := readVerifyFixture(t, func(s string) string {
		return strings.ReplaceAll(s, "AWSLogs/"+acctTampered+"/", "AWSLogs/o-7h2k9x4m1q/"+acctTampered+"/")
	})
	shard := func(i int) *verify.ArchiveReport {
		return &verify.ArchiveReport{SchemaVersion: verify.ReportSchemaVersion, Kind: verify.ArchiveKind, Tool: "trailseal", Version: "v0.0.0-test",
			Trail: base.Trail, Bucket: base.Bucket, Organization: "o-7h2k9x4m1q", Start: base.Start, End: base.End,
			AccountsSource: "organizations:ListAccounts", Shard: &verify.Shard{Index: i, Count: 2},
			Skipped: []verify.SkippedAccount{{Account: acctGone, Why: "the account is SUSPENDED in the organization"}}}
	}
	s0, s1 := shard(0), shard(1)
	// A clean account's digests cover each region from the first hour.
	var firstCovered time.Time
	for _, s := range base.Summary {
		if s.CoveredFrom.Before(firstCovered) || firstCovered.IsZero() {
			firstCovered = s.CoveredFrom
		}
	}
	addAccount(s0, base, acctTampered, time.Time{})
	addAccount(s1, base, acctClean, firstCovered)
	addAccount(s1, base, acctDenied, firstCovered)
	// The denied account's eu-west-1 chain could not be listed.
	for i, c := range s1.Chains {
		if c.Account == acctDenied && c.Region == "eu-west-1" {
			s1.Chains[i].Counts = verify.Counts{DigestsUnverified: 1}
			s1.Chains[i].Outcome, s1.Chains[i].CoveredFrom, s1.Chains[i].CoveredTo = verify.OutcomeUnverifiable, time.Time{}, time.Time{}
		}
	}
	s1.Problems = append(s1.Problems, verify.Item{Kind: "region", Account: acctDenied, Region: "eu-west-1", Bucket: base.Bucket,
		Status: verify.StatusError, Reasons: []verify.Reason{verify.DigestReadError},
		Detail: "list s3://golden-trail/AWSLogs/o-7h2k9x4m1q/" + acctDenied + "/CloudTrail-Digest/eu-west-1/: AccessDenied: Access Denied"})
	merged, err := verify.MergeArchiveReports([]*verify.ArchiveReport{s1, s0}, []string{"shard-1.json", "shard-0.json"})
	if err != nil {
		t.Fatal(err)
	}
	return merged
}

// addAccount adds the account report base as account id's chains; with
// cleanFrom set, only its valid files, their digests covering each region
// from cleanFrom.
func addAccount(r *verify.ArchiveReport, base *verify.Report, id string, cleanFrom time.Time) {
	clean := !cleanFrom.IsZero()
	r.Accounts = append(r.Accounts, verify.AccountSummary{Account: id, Source: "organization"})
	for _, s := range base.Summary {
		c := s.Counts()
		if clean {
			c = verify.Counts{DigestsValid: c.DigestsValid + c.DigestsMissing, LogsValid: c.LogsValid + c.LogsInvalid + c.LogsMissing + c.LogsNotCovered,
				UncompressedBytes: c.UncompressedBytes}
			if s.Manual > 0 {
				continue // a clean account has no opted-in region
			}
		}
		from := s.CoveredFrom
		if clean {
			from = cleanFrom
		}
		r.Chains = append(r.Chains, verify.ChainSummary{Account: id, Region: s.Region, Outcome: c.Outcome(), Expected: s.Expected, Counts: c,
			CoveredFrom: from, CoveredTo: s.CoveredTo})
	}
	if clean {
		return
	}
	for _, it := range base.Problems() {
		it.Account = id
		r.Problems = append(r.Problems, it)
	}
	for _, g := range base.Gaps {
		g.Account = id
		r.Gaps = append(r.Gaps, g)
	}
}

// verifyOffline is the account report of an offline copy: objects are
// named by their path.
func verifyOffline(t *testing.T) *verify.Report {
	r := verifyAccount(t)
	r.FromDir = "/evidence/2026-03"
	return r
}

func renderVerify(t *testing.T, format string, r any) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	switch r := r.(type) {
	case *verify.Report:
		err = WriteVerify(&buf, format, r, VerifyOptions{})
	case *verify.ArchiveReport:
		err = WriteVerifyArchive(&buf, format, r, VerifyOptions{})
	}
	if err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return buf.Bytes()
}

// TestVerifyGolden checks each verify format of the account and archive
// fixtures against testdata/golden; 'go test ./internal/report -run
// TestVerifyGolden -update' rewrites them after a deliberate change.
func TestVerifyGolden(t *testing.T) {
	reports := map[string]any{"verify": verifyAccount(t), "verify-archive": verifyArchive(t)}
	for name, r := range reports {
		for _, format := range []string{"html", "junit", "sarif"} {
			t.Run(name+"."+format, func(t *testing.T) {
				got := renderVerify(t, format, r)
				checkGolden(t, filepath.Join("testdata", "golden", name+"."+goldenExt[format]), got)
			})
		}
	}
}

// TestVerifyTextAndJSON: text and JSON are verify's own, unchanged.
func TestVerifyTextAndJSON(t *testing.T) {
	r := verifyAccount(t)
	var want bytes.Buffer
	if err := r.WriteText(&want, true); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := WriteVerify(&got, "text", r, VerifyOptions{Verbose: true}); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Error("--format text is not the verify package's text report")
	}
	var back verify.Report
	if err := json.Unmarshal(renderVerify(t, "json", r), &back); err != nil || back.Outcome != r.Outcome || len(back.Digests) != len(r.Digests) {
		t.Errorf("--format json does not read back as the report: %v", err)
	}
	if err := WriteVerify(&got, "pdf", r, VerifyOptions{}); err == nil || !strings.Contains(err.Error(), "html, json, junit, sarif, text") {
		t.Errorf("unknown format: %v", err)
	}
}

// sarifVerifyLog is what the tests read of a verify SARIF log.
type sarifVerifyLog struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Rules []struct {
					ID               string `json:"id"`
					ShortDescription struct{ Text string }
					FullDescription  struct{ Text, Markdown string }
					Default          struct{ Level string } `json:"defaultConfiguration"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID    string `json:"ruleId"`
			RuleIndex int    `json:"ruleIndex"`
			Kind      string `json:"kind"`
			Level     string `json:"level"`
			Message   struct{ Text string }
			Locations []struct {
				Physical struct {
					Artifact struct{ URI string } `json:"artifactLocation"`
				} `json:"physicalLocation"`
				Logical []struct {
					Name, FullyQualifiedName string
				} `json:"logicalLocations"`
			} `json:"locations"`
			Fingerprints map[string]string `json:"partialFingerprints"`
			Properties   map[string]any    `json:"properties"`
		} `json:"results"`
		Properties map[string]any `json:"properties"`
	} `json:"runs"`
}

// TestVerifySARIF validates the SARIF of every fixture against the SARIF
// 2.1.0 schema and checks its content: a rule per reason code with the
// table's descriptions, a result per problem and per gap, each pointing at
// its rule and its object.
func TestVerifySARIF(t *testing.T) {
	s := compileSchema(t, "sarif-schema-2.1.0.json")
	for name, r := range map[string]any{"account": verifyAccount(t), "archive": verifyArchive(t), "offline": verifyOffline(t)} {
		t.Run(name, func(t *testing.T) {
			doc := renderVerify(t, "sarif", r)
			if err := validate(t, s, doc); err != nil {
				t.Fatalf("not valid SARIF 2.1.0: %v", err)
			}
			broken := bytes.Replace(doc, []byte(`"level": "error"`), []byte(`"level": "critical"`), 1)
			if err := validate(t, s, broken); err == nil {
				t.Fatal("the schema accepted an invalid level: the check above proves nothing")
			}
			var log sarifVerifyLog
			if err := json.Unmarshal(doc, &log); err != nil {
				t.Fatal(err)
			}
			checkVerifySARIF(t, name, log, r)
		})
	}
}

func checkVerifySARIF(t *testing.T, name string, log sarifVerifyLog, r any) {
	t.Helper()
	run := log.Runs[0]
	if len(run.Tool.Driver.Rules) != len(verify.ReasonTable) {
		t.Fatalf("%d rules, want one per reason code (%d)", len(run.Tool.Driver.Rules), len(verify.ReasonTable))
	}
	for i, ri := range verify.ReasonTable {
		rule := run.Tool.Driver.Rules[i]
		if rule.ID != string(ri.Code) || rule.ShortDescription.Text != ri.Title || rule.FullDescription.Markdown != ri.Meaning {
			t.Errorf("rule %d = %+v, want %s from the reason table", i, rule, ri.Code)
		}
	}
	var problems []verify.Item
	var gaps []verify.Gap
	var outcome verify.Outcome
	switch r := r.(type) {
	case *verify.Report:
		problems, gaps, outcome = r.Problems(), r.Gaps, r.Outcome
	case *verify.ArchiveReport:
		problems, gaps, outcome = r.Problems, r.Gaps, r.Outcome
	}
	if len(run.Results) != len(problems)+len(gaps) || len(problems) == 0 || len(gaps) == 0 {
		t.Fatalf("%d results, want one per problem (%d) and per gap (%d)", len(run.Results), len(problems), len(gaps))
	}
	if run.Properties["outcome"] != string(outcome) {
		t.Errorf("run outcome %v, want %s", run.Properties["outcome"], outcome)
	}
	seen := map[string]bool{}
	for i, res := range run.Results {
		if run.Tool.Driver.Rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("result %d: ruleIndex %d is not %s", i, res.RuleIndex, res.RuleID)
		}
		if res.Kind != "fail" || (res.Level != "error" && res.Level != "warning") {
			t.Errorf("result %d: kind %s level %s", i, res.Kind, res.Level)
		}
		fp := res.Fingerprints[sarifVerifyFingerprint]
		if fp == "" || seen[fp] {
			t.Errorf("result %d (%s): fingerprint %q empty or not unique", i, res.RuleID, fp)
		}
		seen[fp] = true
		uri := res.Locations[0].Physical.Artifact.URI
		switch {
		case name == "offline" && !strings.HasPrefix(uri, "file:///evidence/2026-03/golden-trail"):
			t.Errorf("offline result %d: %s, want a file URI in the copy", i, uri)
		case name != "offline" && !strings.HasPrefix(uri, "s3://golden-trail/"):
			t.Errorf("result %d: %s, want an s3:// URI", i, uri)
		}
		if i < len(problems) {
			p := problems[i]
			if res.RuleID != string(p.Primary()) || p.Key != "" && !strings.HasSuffix(uri, p.Key) || res.Properties["status"] != string(p.Status) {
				t.Errorf("result %d = %s %s %v, want %s %s %s", i, res.RuleID, uri, res.Properties["status"], p.Primary(), p.Key, p.Status)
			}
			want := map[verify.Status]string{verify.StatusInvalid: "error", verify.StatusMissing: "error"}[p.Status]
			if want == "" {
				want = "warning"
			}
			if res.Level != want {
				t.Errorf("%s %s: level %s, want %s", p.Status, p.Primary(), res.Level, want)
			}
			if len(restoreCommands(p)) > 0 && !strings.Contains(res.Message.Text, "aws s3api copy-object") {
				t.Errorf("%s: recoverable, but the message gives no restore command: %s", p.Primary(), res.Message.Text)
			}
		} else if g := gaps[i-len(problems)]; res.RuleID != "GAP" || res.Properties["logsNotCovered"] != float64(g.Logs) {
			t.Errorf("gap result %d = %s %v", i, res.RuleID, res.Properties)
		}
		if loc := res.Locations[0].Logical; len(loc) != 1 || loc[0].Name == "" {
			t.Errorf("result %d: logical location %+v", i, loc)
		}
	}
}

// junitVerify is what the tests read of verify's JUnit XML.
type junitVerify struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Skipped  int `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Cases    []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Type string `xml:"type,attr"`
				Text string `xml:",chardata"`
			} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// TestVerifyJUnit: one suite per account and region; a failing testcase
// per reason code that proves tampering or a gap, an error for what could
// not be verified, a skipped one per account not verified; the counts add
// up and every object of the report is named in its testcase.
func TestVerifyJUnit(t *testing.T) {
	ar := verifyArchive(t)
	var j junitVerify
	if err := xml.Unmarshal(renderVerify(t, "junit", ar), &j); err != nil {
		t.Fatal(err)
	}
	if want := len(ar.Chains) + len(ar.Skipped); len(j.Suites) != want {
		t.Fatalf("%d suites, want %d (a chain each, and the account not verified)", len(j.Suites), want)
	}
	text := map[string]string{}
	tests, failures, errors, skipped := 0, 0, 0, 0
	for _, s := range j.Suites {
		tests, failures, errors, skipped = tests+s.Tests, failures+s.Failures, errors+s.Errors, skipped+s.Skipped
		f, e, sk := 0, 0, 0
		for _, c := range s.Cases {
			switch {
			case c.Failure != nil:
				f++
				text[s.Name+" "+c.Name] = c.Failure.Text
				if c.Failure.Type != c.Name {
					t.Errorf("%s %s: failure type %s", s.Name, c.Name, c.Failure.Type)
				}
			case c.Error != nil:
				e++
				text[s.Name+" "+c.Name] = c.Error.Text
			case c.Skipped != nil:
				sk++
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != f || s.Errors != e || s.Skipped != sk {
			t.Errorf("suite %s counts %d/%d/%d/%d, its testcases %d/%d/%d/%d", s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, len(s.Cases), f, e, sk)
		}
	}
	if j.Tests != tests || j.Failures != failures || j.Errors != errors || j.Skipped != skipped {
		t.Errorf("totals %d/%d/%d/%d, suites add up to %d/%d/%d/%d", j.Tests, j.Failures, j.Errors, j.Skipped, tests, failures, errors, skipped)
	}
	for _, it := range ar.Problems {
		body, ok := text[it.Account+"/"+it.Region+" "+string(it.Primary())]
		if !ok {
			t.Errorf("%s %s %s: no testcase", it.Account, it.Region, it.Primary())
			continue
		}
		if it.Key != "" && !strings.Contains(body, it.Key) {
			t.Errorf("%s %s: %s not named in its testcase", it.Account, it.Primary(), it.Key)
		}
	}
	for _, g := range ar.Gaps {
		if body := text[g.Account+"/"+g.Region+" GAP"]; !strings.Contains(body, fmt.Sprintf("%d log files written then are not covered", g.Logs)) {
			t.Errorf("gap %s %s: testcase %q", g.Account, g.Region, body)
		}
	}
	if _, ok := text[acctDenied+"/eu-west-1 DIGEST_READ_ERROR"]; !ok || errors != 2 {
		t.Errorf("the unreadable chain is not an error (errors %d; the manual opted-in region is the other)", errors)
	}
	if skipped != 1 || failures == 0 {
		t.Errorf("failures %d, skipped %d: want failures and the account not verified skipped", failures, skipped)
	}
}

// TestVerifyJUnitStateNotSaved: a state that could not be saved is an
// error testcase of its own suite, counted in the suite and the totals.
func TestVerifyJUnitStateNotSaved(t *testing.T) {
	ar := verifyArchive(t)
	var before junitVerify
	if err := xml.Unmarshal(renderVerify(t, "junit", ar), &before); err != nil {
		t.Fatal(err)
	}
	ar.State = &verify.StateSummary{Path: "state.json", Error: "disk full"}
	var j junitVerify
	if err := xml.Unmarshal(renderVerify(t, "junit", ar), &j); err != nil {
		t.Fatal(err)
	}
	last := j.Suites[len(j.Suites)-1]
	if last.Name != "state state.json" || last.Tests != 1 || last.Errors != 1 || last.Cases[0].Error == nil || last.Cases[0].Error.Type != "STATE_NOT_SAVED" {
		t.Errorf("state suite %+v", last)
	}
	if j.Tests != before.Tests+1 || j.Errors != before.Errors+1 || j.Failures != before.Failures {
		t.Errorf("totals %d tests %d errors, want %d and %d", j.Tests, j.Errors, before.Tests+1, before.Errors+1)
	}
}

// verifyValid is an account report of a valid period: every digest and
// log file of three regions valid.
func verifyValid(t *testing.T) *verify.Report {
	r := verifyAccount(t)
	r.Logs, r.Gaps, r.Digests, r.Outcome = []verify.Item{}, []verify.Gap{}, []verify.Item{}, verify.OutcomeValid
	for i, s := range r.Summary {
		r.Summary[i] = verify.RegionSummary{Region: s.Region, Expected: s.Expected, Bucket: r.Bucket, DigestsValid: 8, LogsValid: 24,
			CoveredFrom: r.Start, CoveredTo: r.End}
	}
	return r
}

// TestVerifyValidReport: a valid period is VALID in every format, with
// nothing failing: no SARIF result, no JUnit failure or error, no card.
func TestVerifyValidReport(t *testing.T) {
	r := verifyValid(t)
	var log sarifVerifyLog
	if err := json.Unmarshal(renderVerify(t, "sarif", r), &log); err != nil || len(log.Runs[0].Results) != 0 || log.Runs[0].Properties["verdict"] != "VALID" {
		t.Errorf("SARIF of a valid period: %v, %d results, verdict %v", err, len(log.Runs[0].Results), log.Runs[0].Properties["verdict"])
	}
	var j junitVerify
	if err := xml.Unmarshal(renderVerify(t, "junit", r), &j); err != nil || j.Failures+j.Errors+j.Skipped != 0 || len(j.Suites) != 3 || j.Tests != 3 {
		t.Errorf("JUnit of a valid period: %v, %d suites, %d tests, %d failures, %d errors, %d skipped", err, len(j.Suites), j.Tests, j.Failures, j.Errors, j.Skipped)
	}
	page := string(renderVerify(t, "html", r))
	for _, want := range []string{`<h1 data-outcome="valid">VALID</h1>`, `<p id="none">Every digest and log file of the period is valid`, `id="filters" onsubmit="return false" hidden`} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML of a valid period lacks %q", want)
		}
	}
	if strings.Contains(page, `<article class="card`) {
		t.Error("HTML of a valid period has a problem card")
	}
}
