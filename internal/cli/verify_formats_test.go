package cli

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailseal/trailseal/internal/verify"
	"github.com/trailseal/trailseal/internal/verify/chaingen"
)

// sarifCounts reads a SARIF log's rule IDs of its results.
func sarifRuleIDs(t *testing.T, path string) []string {
	t.Helper()
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID string `json:"ruleId"`
			} `json:"results"`
		} `json:"runs"`
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &log); err != nil || log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("%s is not a SARIF 2.1.0 log: %v", path, err)
	}
	var ids []string
	for _, r := range log.Runs[0].Results {
		ids = append(ids, r.RuleID)
	}
	return ids
}

// junitTotals reads a JUnit file's suites and totals.
type junitTotals struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Suites   []struct {
		Name string `xml:"name,attr"`
	} `xml:"testsuite"`
}

func readJUnit(t *testing.T, path string) junitTotals {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var j junitTotals
	if err := xml.Unmarshal(b, &j); err != nil {
		t.Fatalf("%s is not JUnit XML: %v", path, err)
	}
	return j
}

// TestVerifyReportFormats verifies a tampered archive on moto once per
// output: every format of --format html,junit,sarif,json,text lands in
// --output-dir from one run, the text file is the text report, the JSON,
// SARIF and JUnit name the same problems, and the exit code is the one of
// the text run.
func TestVerifyReportFormats(t *testing.T) {
	e := startVerifyEnv(t)
	var modified, deleted string
	e.seed(t, "formats-bucket", nil, func(a *chaingen.Archive) {
		modified = a.LogKeys("us-east-1")[4]
		a.Get(modified).Body = chaingen.Gzip([]byte(`{"Records":[]}`))
		deleted = a.DigestKeys("us-east-1")[2]
		a.Delete(deleted)
	})
	args := verifyArgs("formats-bucket", "--regions", "us-east-1")
	code, text, _ := runCLI(t, args...)
	if code != ExitRuntime || !strings.Contains(text, "RESULT: INVALID") {
		t.Fatalf("text run: exit %d\n%s", code, text)
	}

	dir := filepath.Join(t.TempDir(), "reports")
	code2, out, errOut := runCLI(t, append(args, "--format", "html,junit,sarif,json,text", "--output-dir", dir)...)
	if code2 != code || out != "" || !strings.Contains(errOut, "RESULT: INVALID") {
		t.Fatalf("--output-dir run: exit %d (text run %d), stdout %q, stderr %q", code2, code, out, errOut)
	}
	got, err := os.ReadFile(filepath.Join(dir, "report.txt"))
	if err != nil || string(got) != text {
		t.Errorf("report.txt is not the text report (%v)", err)
	}
	var r verify.Report
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil || json.Unmarshal(b, &r) != nil || r.Outcome != verify.OutcomeInvalid {
		t.Fatalf("report.json: %v", err)
	}
	problems := r.Problems()
	ids := sarifRuleIDs(t, filepath.Join(dir, "report.sarif.json"))
	if len(ids) != len(problems)+len(r.Gaps) || !strings.Contains(strings.Join(ids, " "), "LOG_MODIFIED") || !strings.Contains(strings.Join(ids, " "), "DIGEST_MISSING") {
		t.Errorf("SARIF results %v, the JSON report has %d problems and %d gaps", ids, len(problems), len(r.Gaps))
	}
	j := readJUnit(t, filepath.Join(dir, "report.junit.xml"))
	if len(j.Suites) != 1 || j.Suites[0].Name != testAccount+"/us-east-1" || j.Failures != 2 {
		t.Errorf("JUnit: suites %+v, %d failures; want one suite for us-east-1 with LOG_MODIFIED and DIGEST_MISSING failing", j.Suites, j.Failures)
	}
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil || !strings.Contains(string(html), `<h1 data-outcome="invalid">INVALID</h1>`) ||
		!strings.Contains(string(html), modified) || !strings.Contains(string(html), deleted) {
		t.Errorf("report.html lacks the verdict or the problems' keys (%v)", err)
	}

	// One format goes to stdout, with the same exit code.
	code3, page, _ := runCLI(t, append(args, "--format", "html")...)
	if code3 != code || !strings.HasPrefix(page, "<!DOCTYPE html>") {
		t.Errorf("--format html: exit %d, stdout starts %.40q", code3, page)
	}
}

// TestVerifyFormatErrors: scan's rules for --format, --output and
// --output-dir, with its words.
func TestVerifyFormatErrors(t *testing.T) {
	// A file where --output-dir wants a folder is refused before any AWS
	// call (no endpoint is set up here).
	notDir := filepath.Join(t.TempDir(), "reports")
	if err := os.WriteFile(notDir, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		want string
		args []string
	}{
		{`--format: unknown format "pdf" (supported: html, json, junit, sarif, text)`, verifyArgs("b", "--format", "pdf")},
		{"several formats need --output-dir (one file per format)", verifyArgs("b", "--format", "html,sarif")},
		{"--output and --output-dir cannot be used together", verifyArgs("b", "--shard", "0/2", "--output", "r.json", "--output-dir", "reports")},
		{"--format: no format given", verifyArgs("b", "--format", ",")},
		{"several formats need --output-dir", []string{"verify", "merge", "--format", "json,junit", "shard-0.json"}},
		{"--output-dir " + filepath.Join(notDir, "report.html"), verifyArgs("b", "--format", "html,sarif", "--output-dir", notDir)},
	} {
		assertUserError(t, ExitUsage, tc.want, tc.args...)
	}
}

// TestVerifyArchiveFormats runs an organization archive in two shards,
// one with its reports in --output-dir (its {shard} expanded), then merges
// the shards' JSON into HTML, JUnit and SARIF: a JUnit suite per chain, a
// SARIF result per problem and gap, verify's exit code.
func TestVerifyArchiveFormats(t *testing.T) {
	e := startVerifyEnv(t)
	o := seedOrgArchive(t, e)
	dir := t.TempDir()
	var shards []string
	for i, shard := range []string{"0/2", "1/2"} {
		path := filepath.Join(dir, "shard-{shard}.json")
		code, out, errOut := runCLI(t, o.args("--shard", shard, "--format", "json", "--output", path, "--quiet")...)
		if code != ExitOK && code != ExitRuntime || out != "" {
			t.Fatalf("shard %s: exit %d\n%s%s", shard, code, out, errOut)
		}
		shards = append(shards, strings.ReplaceAll(path, "{shard}", string(rune('0'+i))))
	}
	code, _, errOut := runCLI(t, o.args("--shard", "1/2", "--format", "sarif,junit", "--output-dir", filepath.Join(dir, "s{shard}"))...)
	if code != ExitOK && code != ExitRuntime {
		t.Fatalf("shard 1/2 into --output-dir: exit %d %s", code, errOut)
	}
	for _, f := range []string{"report.sarif.json", "report.junit.xml"} {
		if _, err := os.Stat(filepath.Join(dir, "s1", f)); err != nil {
			t.Errorf("--output-dir with {shard}: %v", err)
		}
	}

	out := filepath.Join(dir, "merged")
	code, stdout, errOut := runCLI(t, append([]string{"verify", "merge", "--format", "html,junit,sarif,json", "--output-dir", out}, shards...)...)
	if code != ExitRuntime || stdout != "" || !strings.Contains(errOut, "RESULT: INVALID") {
		t.Fatalf("merge: exit %d, stdout %q, stderr %q", code, stdout, errOut)
	}
	var r verify.ArchiveReport
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil || json.Unmarshal(b, &r) != nil {
		t.Fatalf("merged report.json: %v", err)
	}
	if ids := sarifRuleIDs(t, filepath.Join(out, "report.sarif.json")); len(ids) != len(r.Problems)+len(r.Gaps) || len(ids) == 0 {
		t.Errorf("SARIF has %d results, the merged report %d problems and %d gaps", len(ids), len(r.Problems), len(r.Gaps))
	}
	j := readJUnit(t, filepath.Join(out, "report.junit.xml"))
	if len(j.Suites) != len(r.Chains)+len(r.Skipped) || j.Failures == 0 {
		t.Errorf("JUnit: %d suites (want one per chain, %d), %d failures", len(j.Suites), len(r.Chains), j.Failures)
	}
	names := map[string]bool{}
	for _, s := range j.Suites {
		names[s.Name] = true
	}
	if !names[o.ids["beta"]+"/eu-west-1"] || !names[o.ids["gamma"]+"/us-east-1"] {
		t.Errorf("JUnit suites %v lack an account x region", names)
	}
	html, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil || !strings.Contains(string(html), o.modified) || !strings.Contains(string(html), o.deleted) || !strings.Contains(string(html), `id="vaccount-table"`) {
		t.Errorf("merged report.html lacks the problems or the account table (%v)", err)
	}
}
