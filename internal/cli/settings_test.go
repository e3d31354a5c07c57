package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trailseal/trailseal/internal/config"
)

// ruleIDsIn runs a JSON scan of the sample snapshot and returns the rule
// IDs of its findings.
func ruleIDsIn(t *testing.T, args ...string) []string {
	t.Helper()
	code, stdout, stderr := runCLI(t, append([]string{"scan", "--snapshot", sampleSnapshot(t), "-f", "json"}, args...)...)
	if code == ExitUsage || code == ExitRuntime {
		t.Fatalf("%v: exit %d: %s", args, code, stderr)
	}
	var doc struct {
		Findings []struct {
			RuleID string `json:"ruleId"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	var ids []string
	for _, f := range doc.Findings {
		if !slices.Contains(ids, f.RuleID) {
			ids = append(ids, f.RuleID)
		}
	}
	return ids
}

// TestSettingsPrecedence: flag > TRAILSEAL_* > settings file > default,
// and the file is found by --config, else TRAILSEAL_CONFIG, else
// trailseal.yaml in the working folder (before, only --config existed, on
// scan and fix, and no variable was read).
func TestSettingsPrecedence(t *testing.T) {
	const (
		fromFile = "bucket.versioning"
		fromEnv  = "trail.log_file_validation"
		fromFlag = "bucket.public_access"
	)
	work := t.TempDir()
	t.Chdir(work)
	for _, k := range []string{"TRAILSEAL_RULES", "TRAILSEAL_CONFIG"} {
		t.Setenv(k, "")
	}
	if ids := ruleIDsIn(t); len(ids) < 10 {
		t.Fatalf("default: every rule, got %v", ids)
	}
	if err := os.WriteFile(filepath.Join(work, "trailseal.yaml"), []byte("rules: ["+fromFile+"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if ids := ruleIDsIn(t); !slices.Equal(ids, []string{fromFile}) {
		t.Errorf("trailseal.yaml in the working folder: got %v", ids)
	}
	t.Setenv("TRAILSEAL_RULES", fromEnv)
	if ids := ruleIDsIn(t); !slices.Equal(ids, []string{fromEnv}) {
		t.Errorf("TRAILSEAL_RULES over the file: got %v", ids)
	}
	if ids := ruleIDsIn(t, "--rules", fromFlag); !slices.Equal(ids, []string{fromFlag}) {
		t.Errorf("--rules over TRAILSEAL_RULES: got %v", ids)
	}
	t.Setenv("TRAILSEAL_RULES", "")
	other := writeFile(t, "other.yaml", "rules: "+fromFlag+"\n")
	t.Setenv("TRAILSEAL_CONFIG", other)
	if ids := ruleIDsIn(t); !slices.Equal(ids, []string{fromFlag}) {
		t.Errorf("TRAILSEAL_CONFIG over trailseal.yaml: got %v", ids)
	}
	if ids := ruleIDsIn(t, "--config", filepath.Join(work, "trailseal.yaml")); !slices.Equal(ids, []string{fromFile}) {
		t.Errorf("--config over TRAILSEAL_CONFIG: got %v", ids)
	}
	if ids := ruleIDsIn(t, "--config="); len(ids) < 10 {
		t.Errorf("--config= reads no file: got %v", ids)
	}
}

// TestSettingsBlameTheirSource: a bad value from the settings file is
// blamed on its key and line, one from the environment on its variable,
// never on a flag that was not given (before: "--concurrency must be
// between 1 and 512, got 2000" for a config file's value).
func TestSettingsBlameTheirSource(t *testing.T) {
	snap := sampleSnapshot(t)
	conf := func(body string) string { return writeFile(t, "trailseal.yaml", body) }
	for _, tc := range []struct {
		body, want string
	}{
		{"regions: [us-east-1]\nconcurrency: 2000\n", "trailseal.yaml:2: concurrency must be between 1 and 1024, got 2000"},
		{"fail-on: severe\n", `trailseal.yaml:1: fail-on: unknown severity "severe"`},
		{"rules: [bucket.object_lok]\n", `trailseal.yaml:1: rules: unknown rule ID "bucket.object_lok" (did you mean bucket.object_lock?)`},
		{"min-retention-days: 0\n", "trailseal.yaml:1: min-retention-days must be at least 1, got 0"},
		{"log-archive-account: abc\n", `trailseal.yaml:1: log-archive-account "abc" is not a 12-digit account ID`},
		{"status: [BROKEN]\n", `trailseal.yaml:1: status: unknown status "BROKEN"`},
		{"concurrency: 1.5\n", "line 1: concurrency must be a whole number, not the number 1.5"},
		{"full-access-limit: -1\n", "trailseal.yaml:1: full-access-limit must be 0 or more, got -1"},
	} {
		p := conf(tc.body)
		code, _, stderr := runCLI(t, "scan", "--snapshot", snap, "--config", p)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, "--concurrency") || strings.Contains(stderr, "--fail-on") {
			t.Errorf("%q: exit %d, stderr %q; want %q", tc.body, code, stderr, tc.want)
		}
	}
	// A region list from the file is for live scans: with --snapshot it
	// is not an error (before: "--regions cannot be used with --snapshot").
	if code, _, stderr := runCLI(t, "scan", "--snapshot", snap, "--config", conf("regions: [us-east-1]\n")); code == ExitUsage {
		t.Errorf("regions from the file with --snapshot: %s", stderr)
	}
	bad := conf("regions: [us-est-1]\n")
	assertUserError(t, ExitUsage, `trailseal.yaml:1: regions: unknown region "us-est-1"`, "fix", "--config", bad)
	// fix has no --log-archive-account: the key is named, not a flag.
	assertUserError(t, ExitUsage, `trailseal.yaml:1: log-archive-account "abc" is not a 12-digit account ID`, "fix", "--config", conf("log-archive-account: abc\n"))

	t.Setenv("TRAILSEAL_CONCURRENCY", "2000")
	assertUserError(t, ExitUsage, "TRAILSEAL_CONCURRENCY must be between 1 and 1024, got 2000", "scan", "--snapshot", snap)
	t.Setenv("TRAILSEAL_CONCURRENCY", "lots")
	assertUserError(t, ExitUsage, `TRAILSEAL_CONCURRENCY: "lots" is not a whole number`, "scan", "--snapshot", snap)
	t.Setenv("TRAILSEAL_CONCURRENCY", "")
	t.Setenv("TRAILSEAL_CONFIG", filepath.Join(t.TempDir(), "missing.yaml"))
	assertUserError(t, ExitUsage, "TRAILSEAL_CONFIG: config ", "scan", "--snapshot", snap)
}

// TestFilters: --exclude-rules and --severity decide what is evaluated
// and counts; --status only what is shown.
func TestFilters(t *testing.T) {
	all := ruleIDsIn(t)
	without := ruleIDsIn(t, "--exclude-rules", "bucket.public_access,trail.multi_region")
	if len(without) != len(all)-2 || slices.Contains(without, "bucket.public_access") {
		t.Errorf("--exclude-rules: %d of %d rules, %v", len(without), len(all), without)
	}
	snap := sampleSnapshot(t)
	code, stdout, _ := runCLI(t, "scan", "--snapshot", snap, "-f", "json", "--severity", "info")
	if code != ExitOK && code != ExitUnverifiable {
		t.Errorf("--severity info: the sample's FAILs are above info, exit %d", code)
	}
	if strings.Contains(stdout, `"severity": "critical"`) {
		t.Error("--severity info kept a critical finding")
	}
	code, stdout, stderr := runCLI(t, "scan", "--snapshot", snap, "-f", "json", "--status", "PASS")
	if code != ExitFindings {
		t.Errorf("--status PASS must not hide the FAILs from the exit code: exit %d", code)
	}
	var doc struct {
		Findings []struct{ Status string } `json:"findings"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || len(doc.Findings) == 0 {
		t.Fatalf("--status PASS: %v", err)
	}
	for _, f := range doc.Findings {
		if f.Status != "PASS" {
			t.Fatalf("--status PASS shows a %s finding", f.Status)
		}
	}
	if !strings.Contains(stderr, "all findings (--status shows some):") {
		t.Errorf("the whole run's summary is missing: %q", stderr)
	}
	assertUserError(t, ExitUsage, "leaves no rule to evaluate", "scan", "--snapshot", snap, "--rules", "bucket.versioning", "--exclude-rules", "bucket.versioning")
	assertUserError(t, ExitUsage, `--severity: unknown severity "severe"`, "scan", "--snapshot", snap, "--severity", "severe")
	assertUserError(t, ExitUsage, `--exclude-rules: unknown rule ID "object_lok"`, "scan", "--snapshot", snap, "--exclude-rules", "object_lok")
}

// TestDidYouMean: an unknown rule or detection ID suggests the closest.
func TestDidYouMean(t *testing.T) {
	snap := sampleSnapshot(t)
	assertUserError(t, ExitUsage, `unknown rule ID "bucket.object_lok" (did you mean bucket.object_lock?)`, "scan", "--snapshot", snap, "--rules", "bucket.object_lok")
	assertUserError(t, ExitUsage, `(did you mean bucket.object_lock?)`, "explain", "object_lock")
	assertUserError(t, ExitUsage, `(did you mean bucket.versioning?)`, "fix", "--rules", "bucket.versoning")
	assertUserError(t, ExitUsage, `(did you mean hunt.trail_logging_stopped?)`, "explain", "hunt.trail_loging_stopped")
}

// TestVersionAndVerbose: -v is --verbose, never the version.
func TestVersionAndVerbose(t *testing.T) {
	if code, stdout, _ := runCLI(t, "--version"); code != ExitOK || !strings.Contains(stdout, "trailseal") {
		t.Errorf("--version: exit %d %q", code, stdout)
	}
	assertUserError(t, ExitUsage, "unknown shorthand flag: 'v'", "-v")
	if code, _, stderr := runCLI(t, "demo", "-v", "--skip-verify"); code != ExitOK {
		t.Errorf("demo -v: exit %d: %s", code, stderr)
	}
}

// TestCompletion: the completion script exists for each shell, and the
// values it asks trailseal for follow the catalog.
func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		if code, stdout, _ := runCLI(t, "completion", shell); code != ExitOK || !strings.Contains(stdout, "trailseal") {
			t.Errorf("completion %s: exit %d", shell, code)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"explain", "bucket.object_l"}, "bucket.object_lock\n"},
		{[]string{"explain", "hunt.trail_log"}, "hunt.trail_logging_stopped\n"},
		{[]string{"scan", "--rules", "trail.log_file_v"}, "trail.log_file_validation\n"},
		{[]string{"scan", "--rules", "bucket.versioning,trail.multi"}, "bucket.versioning,trail.multi_region\n"},
		{[]string{"scan", "--format", "sa"}, "sarif\n"},
		{[]string{"hunt", "--format", "time"}, "timeline\n"},
		{[]string{"verify", "--regions", "eu-west-1,us-east-"}, "eu-west-1,us-east-1\n"},
		{[]string{"scan", "--compliance", "cis-5"}, "cis-5.0\n"},
		{[]string{"scan", "--severity", "crit"}, "critical\n"},
		{[]string{"fix", "--exclude-rules", "bucket.mfa"}, "bucket.mfa_delete\n"},
	} {
		code, stdout, stderr := runCLI(t, append([]string{"__complete"}, tc.args...)...)
		if code != ExitOK || !strings.Contains(stdout, tc.want) {
			t.Errorf("complete %v: exit %d, got %q (%s), want %q", tc.args, code, stdout, stderr, tc.want)
		}
	}
}

// TestSettingsDoc keeps the Settings section of docs/scan.md in step with
// the table of settings, and checks that its example file reads.
func TestSettingsDoc(t *testing.T) {
	const path = "../../docs/scan.md"
	const begin, end = "<!-- settings: generated from internal/cli/settings.go; go test ./internal/cli -run TestSettingsDoc -update -->\n", "<!-- end settings -->"
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok1 := strings.Cut(string(doc), begin)
	_, after, ok2 := strings.Cut(rest, end)
	if !ok1 || !ok2 {
		t.Fatal("docs/scan.md lacks the settings markers")
	}
	want := before + begin + settingsMarkdown() + end + after
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		doc = []byte(want)
	}
	if string(doc) != want {
		t.Fatal("docs/scan.md's settings are out of date: run go test ./internal/cli -run TestSettingsDoc -update")
	}
	if _, err := config.Load(writeFile(t, "trailseal.yaml", settingsExample), configKeys()); err != nil {
		t.Fatalf("the documented example does not read: %v", err)
	}
	for _, want := range []string{"TRAILSEAL_<FLAG>", "trailseal.yaml", "--config"} {
		if !strings.Contains(settingsHelp, want) {
			t.Errorf("the help's settings paragraph lacks %q", want)
		}
	}
}
