package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailseal/trailseal/internal/demo"
)

// runCLI runs trailseal with args and returns the exit code and both streams.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// assertUserError checks the contract for bad input: the expected exit code,
// exactly one line on stderr that contains want, and no stack trace.
func assertUserError(t *testing.T, wantCode int, want string, args ...string) {
	t.Helper()
	code, _, stderr := runCLI(t, args...)
	if code != wantCode {
		t.Errorf("%v: exit %d, want %d (stderr %q)", args, code, wantCode, stderr)
	}
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "trailseal: ") {
		t.Errorf("%v: want one 'trailseal: ...' line on stderr, got %q", args, stderr)
	}
	if !strings.Contains(stderr, want) {
		t.Errorf("%v: stderr %q does not mention %q", args, stderr, want)
	}
	for _, bad := range []string{"panic", "goroutine", ".go:"} {
		if strings.Contains(stderr, bad) {
			t.Errorf("%v: stderr looks like a stack trace: %q", args, stderr)
		}
	}
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func sampleSnapshot(t *testing.T) string {
	t.Helper()
	return writeFile(t, "sample.json", string(demo.SnapshotJSON()))
}

func TestUsageErrors(t *testing.T) {
	snap := sampleSnapshot(t)
	wrongVersion := writeFile(t, "v9.json", strings.Replace(string(demo.SnapshotJSON()), `"schemaVersion": 1`, `"schemaVersion": 9`, 1))
	malformed := writeFile(t, "bad.json", "{\n  \"schemaVersion\": 1,\n  \"account\": {\"id\": \"1\"\n")
	notOurs := writeFile(t, "other.json", `{"Trails": []}`)
	cfgBad := writeFile(t, "c.yaml", "min-retension-days: 3\n")
	for _, tc := range []struct {
		name string
		want string
		args []string
	}{
		{"missing snapshot", "no such file", []string{"scan", "--snapshot", filepath.Join(t.TempDir(), "nope.json")}},
		{"malformed snapshot", "not valid JSON", []string{"scan", "--snapshot", malformed}},
		{"wrong version", "schema version 9", []string{"scan", "--snapshot", wrongVersion}},
		{"not a snapshot", "no schemaVersion", []string{"scan", "--snapshot", notOurs}},
		{"unknown region", `unknown region "us-est-1"`, []string{"scan", "--regions", "us-est-1"}},
		{"unknown rule", `unknown rule ID "bucket.nope"`, []string{"scan", "--snapshot", snap, "--rules", "bucket.nope"}},
		{"unknown rule explain", `unknown rule ID "bucket.nope"`, []string{"explain", "bucket.nope"}},
		{"unknown flag", "unknown flag: --bogus", []string{"scan", "--bogus"}},
		{"unknown command", "unknown command", []string{"scna"}},
		{"bad fail-on", "--fail-on", []string{"scan", "--snapshot", snap, "--fail-on", "severe"}},
		{"bad format", `unknown format "yaml"`, []string{"scan", "--snapshot", snap, "--format", "yaml"}},
		{"formats without dir", "--output-dir", []string{"scan", "--snapshot", snap, "--format", "json,table"}},
		{"snapshot and regions", "cannot be used with --snapshot", []string{"scan", "--snapshot", snap, "--regions", "us-east-1"}},
		{"bad config", `unknown key "min-retension-days" (did you mean min-retention-days?)`, []string{"scan", "--snapshot", snap, "--config", cfgBad}},
		{"bad role", "not an IAM role ARN", []string{"scan", "--role-arn", "arn:aws:iam::123:user/x"}},
		{"external id alone", "--external-id needs --role-arn", []string{"scan", "--external-id", "x"}},
		{"bad retention", "at least 1", []string{"scan", "--snapshot", snap, "--min-retention-days", "0"}},
		{"bad archive account", "12-digit", []string{"scan", "--snapshot", snap, "--log-archive-account", "abc"}},
		{"explain arity", "accepts 1 arg", []string{"explain"}},
	} {
		t.Run(tc.name, func(t *testing.T) { assertUserError(t, ExitUsage, tc.want, tc.args...) })
	}
}

func TestScanSnapshotFindingsExit3(t *testing.T) {
	snap := sampleSnapshot(t)
	out := filepath.Join(t.TempDir(), "findings.json")
	code, stdout, stderr := runCLI(t, "scan", "--snapshot", snap, "--format", "json", "--output", out)
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d; stderr %q", code, ExitFindings, stderr)
	}
	if stdout != "" {
		t.Errorf("with --output nothing goes to stdout, got %q", stdout)
	}
	if !strings.Contains(stderr, "findings:") {
		t.Errorf("summary line missing from stderr: %q", stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Findings []struct {
			RuleID   string         `json:"ruleId"`
			Status   string         `json:"status"`
			Severity string         `json:"severity"`
			Account  string         `json:"account"`
			Region   string         `json:"region"`
			Resource string         `json:"resource"`
			Message  string         `json:"message"`
			Evidence map[string]any `json:"evidence"`
			Rule     *struct {
				Title       string `json:"title"`
				Remediation struct {
					CLI string `json:"cli"`
				} `json:"remediation"`
			} `json:"rule"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("json report does not parse: %v", err)
	}
	if len(doc.Findings) == 0 {
		t.Fatal("no findings in the JSON report")
	}
	for _, f := range doc.Findings {
		if f.RuleID == "" || f.Status == "" || f.Severity == "" || f.Account != "111122223333" || f.Resource == "" || f.Message == "" || f.Rule == nil || f.Rule.Title == "" {
			t.Errorf("incomplete finding: %+v", f)
		}
	}
}

func TestFailOnThreshold(t *testing.T) {
	snap := sampleSnapshot(t)
	// The sample has a critical public bucket, so even --fail-on critical fails.
	if code, _, stderr := runCLI(t, "scan", "--snapshot", snap, "--fail-on", "critical"); code != ExitFindings {
		t.Fatalf("--fail-on critical: exit %d, want %d (%s)", code, ExitFindings, stderr)
	}
	// Evaluating only rules that pass on the sample exits 0.
	if code, _, stderr := runCLI(t, "scan", "--snapshot", snap, "--rules", "trail.kms_key_usable"); code != ExitOK {
		t.Fatalf("passing rule only: exit %d, want 0 (%s)", code, stderr)
	}
}

func TestTableHonoursNoColor(t *testing.T) {
	snap := sampleSnapshot(t)
	t.Setenv("NO_COLOR", "1")
	_, stdout, _ := runCLI(t, "scan", "--snapshot", snap)
	if strings.Contains(stdout, "\x1b[") {
		t.Fatal("ANSI escape in output although NO_COLOR is set")
	}
	if !strings.Contains(stdout, "CRITICAL") || !strings.Contains(stdout, "findings:") {
		t.Fatalf("table lacks severity groups or summary:\n%s", stdout)
	}
	_, colored, _ := runCLI(t, "scan", "--snapshot", snap, "--color", "always")
	if !strings.Contains(colored, "\x1b[") {
		t.Fatal("--color always produced no colour")
	}
}

func TestExplainManualOnlyRuleOffersNoAutomaticFix(t *testing.T) {
	_, stdout, _ := runCLI(t, "explain", "bucket.mfa_delete")
	if strings.Contains(stdout, "FIX WITH TRAILSEAL") {
		t.Fatalf("MFA Delete needs the root user's MFA device; explain must not offer trailseal fix:\n%s", stdout)
	}
}

func TestRulesAndExplain(t *testing.T) {
	code, stdout, _ := runCLI(t, "rules")
	if code != ExitOK || !strings.Contains(stdout, "bucket.object_lock") {
		t.Fatalf("rules: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = runCLI(t, "explain", "bucket.object_lock")
	if code != ExitOK {
		t.Fatalf("explain: exit %d", code)
	}
	for _, want := range []string{"WHY IT MATTERS", "FIX WITH THE AWS CLI", "FIX WITH TERRAFORM", "trailseal fix --rules bucket.object_lock --apply"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("explain output lacks %q:\n%s", want, stdout)
		}
	}
}

var update = flag.Bool("update", false, "rewrite docs/rules.md, docs/exit-codes.md and the golden files")

// TestRulesDoc keeps docs/rules.md in step with the catalog.
func TestRulesDoc(t *testing.T) {
	var buf bytes.Buffer
	if err := runRules(&buf, "markdown"); err != nil {
		t.Fatal(err)
	}
	const path = "../../docs/rules.md"
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Fatal("docs/rules.md is out of date: run go test ./internal/cli -run TestRulesDoc -update")
	}
}

func TestScanComplianceAndSuppressions(t *testing.T) {
	snap := sampleSnapshot(t)
	code, stdout, stderr := runCLI(t, "scan", "--snapshot", snap, "--compliance", "cis-5.0")
	if code != ExitFindings || !strings.Contains(stdout, "3.2") || !strings.Contains(stdout, "trail.log_file_validation") {
		t.Fatalf("compliance view: exit %d\n%s\n%s", code, stdout, stderr)
	}
	assertUserError(t, ExitUsage, `unknown compliance framework "cis-9"`, "scan", "--snapshot", snap, "--compliance", "cis-9")

	// Accepting the only failing finding of a rule makes the scan pass,
	// while the finding stays in the output, marked suppressed.
	sup := writeFile(t, "sup.yaml", `suppressions:
  - rule: bucket.public_access
    resource: "arn:aws:s3:::acme-legacy-*"
    reason: "legacy bucket is being retired (RISK-7)"
    expires: 2999-01-01
  - rule: bucket.public_access
    resource: "arn:aws:s3:::other"
    reason: "old exception"
    expires: 2001-01-01
`)
	code, stdout, stderr = runCLI(t, "scan", "--snapshot", snap, "--rules", "bucket.public_access", "--suppressions", sup, "--format", "json")
	if code != ExitOK {
		t.Fatalf("suppressed FAIL still fails the scan: exit %d (%s)", code, stderr)
	}
	if !strings.Contains(stdout, `"suppressed"`) || !strings.Contains(stdout, "RISK-7") {
		t.Fatalf("suppressed finding missing from output:\n%s", stdout)
	}
	if !strings.Contains(stderr, "expired on 2001-01-01") {
		t.Fatalf("expired suppression not reported: %q", stderr)
	}
	bad := writeFile(t, "bad.yaml", "suppressions:\n  - rule: bucket.public_access\n    resource: x\n    expires: 2999-01-01\n")
	assertUserError(t, ExitUsage, "bad.yaml:2", "scan", "--snapshot", snap, "--suppressions", bad)
}

func TestScanSeveralFormatsToDir(t *testing.T) {
	snap := sampleSnapshot(t)
	dir := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := runCLI(t, "scan", "--snapshot", snap, "--format", "json,sarif,html,junit,csv,asff,ocsf", "--output-dir", dir)
	if code != ExitFindings || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	for _, name := range []string{"report.json", "report.sarif.json", "report.html", "report.junit.xml", "report.csv", "report.asff.json", "report.ocsf.json"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", name, err)
		}
	}
}
