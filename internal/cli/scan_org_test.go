package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/orgscan"
	"github.com/trailseal/trailseal/internal/testenv"
)

func TestOrgScanUsageErrors(t *testing.T) {
	cases := []struct {
		want string
		args []string
	}{
		{"--org needs --role-name", []string{"scan", "--org"}},
		{"--role-name needs --org", []string{"scan", "--role-name", "Audit"}},
		{"--resume needs --org", []string{"scan", "--resume", "state.jsonl"}},
		{"--snapshot", []string{"scan", "--org", "--role-name", "Audit", "--snapshot", "x.json"}},
		{"--role-arn", []string{"scan", "--org", "--role-name", "Audit", "--role-arn", "arn:aws:iam::111122223333:role/A"}},
		{"--save-snapshot", []string{"scan", "--org", "--role-name", "Audit", "--save-snapshot", "x.json"}},
		{`--accounts: "12345" is not a 12-digit account ID`, []string{"scan", "--org", "--role-name", "Audit", "--accounts", "111122223333,12345"}},
		{`--exclude-accounts: "abcdefghijkl"`, []string{"scan", "--org", "--role-name", "Audit", "--exclude-accounts", "abcdefghijkl"}},
		{"--role-name", []string{"scan", "--org", "--role-name", "arn:aws:iam::111122223333:role/A"}},
		{"--concurrency", []string{"scan", "--org", "--role-name", "Audit", "--concurrency", "0"}},
	}
	for _, c := range cases {
		assertUserError(t, ExitUsage, c.want, c.args...)
	}
}

// orgEnv is an emulated organization behind a proxy that the CLI reaches
// through the standard AWS environment variables.
type orgEnv struct {
	proxy                    *testenv.Proxy
	archive, member, blocked string
}

func startOrgEnv(t *testing.T) orgEnv {
	t.Helper()
	m, err := testenv.StartMoto()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	p, err := testenv.StartProxy(m.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	testenv.SetEnv(t, p.URL, "us-east-1")

	ctx := context.Background()
	seed, err := testenv.Config(ctx, m.Endpoint, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	_, ids, err := testenv.CreateOrganization(ctx, seed, "log-archive", "workload", "blocked")
	if err != nil {
		t.Fatal(err)
	}
	env := orgEnv{proxy: p, archive: ids["log-archive"], member: ids["workload"], blocked: ids["blocked"]}
	archiveCfg, err := testenv.AssumeConfig(ctx, seed, env.archive)
	if err != nil {
		t.Fatal(err)
	}
	if err := testenv.CreateBucket(ctx, archiveCfg, "cli-org-archive"); err != nil {
		t.Fatal(err)
	}
	if _, err := testenv.CreateLoggingTrail(ctx, archiveCfg, &cloudtrail.CreateTrailInput{
		Name: aws.String("archive-local"), S3BucketName: aws.String("cli-org-archive"), IsMultiRegionTrail: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := testenv.CreateLoggingTrail(ctx, seed, &cloudtrail.CreateTrailInput{
		Name: aws.String("org-trail"), S3BucketName: aws.String("cli-org-archive"),
		IsMultiRegionTrail: aws.Bool(true), IsOrganizationTrail: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	p.Intercept(testenv.DenyAssumeRole(env.blocked))
	return env
}

func TestOrgScanEndToEnd(t *testing.T) {
	env := startOrgEnv(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "state.jsonl")
	out := filepath.Join(dir, "findings.json")

	code, _, stderr := runCLI(t, "scan", "--org", "--role-name", "TrailsealAudit", "--regions", "us-east-1",
		"--resume", state, "--format", "json", "--output", out)
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d (FAIL findings exist); stderr: %s", code, ExitFindings, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep findings.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("report is not JSON: %v", err)
	}
	if len(rep.Accounts) != 4 {
		t.Errorf("report covers accounts %v, want 4", rep.Accounts)
	}
	var denied, coverage bool
	for _, f := range rep.Findings {
		if f.AccountName == "" {
			t.Errorf("%s finding for account %s has no account name", f.RuleID, f.Account)
		}
		switch {
		case f.RuleID == orgscan.RuleAccountAccess && f.Account == env.blocked:
			denied = f.Status == findings.Error && strings.Contains(f.Message, "AccessDenied") && strings.Contains(f.Message, env.blocked)
		case f.RuleID == orgscan.RuleTrailCoverage:
			coverage = f.Status == findings.Pass
		}
	}
	if !denied {
		t.Error("no ERROR finding naming the blocked account and AccessDenied")
	}
	if !coverage {
		t.Error("org.trail_coverage is not PASS although a logging multi-region organization trail exists")
	}

	// Same command, terminal table: everything comes from the state file
	// and the table ends with the per-account summary.
	env.proxy.Clear()
	env.proxy.Intercept(testenv.DenyAssumeRole(env.blocked))
	code, stdout, stderr := runCLI(t, "scan", "--org", "--role-name", "TrailsealAudit", "--regions", "us-east-1", "--resume", state)
	if code != ExitFindings {
		t.Fatalf("resumed run: exit %d; stderr: %s", code, stderr)
	}
	summary := stdout[strings.Index(stdout, "Per account:"):]
	for _, want := range []string{env.archive + "  log-archive", env.blocked + "  blocked", "not scanned (sts:AssumeRole: AccessDenied)"} {
		if !strings.Contains(summary, want) {
			t.Errorf("per-account summary lacks %q:\n%s", want, summary)
		}
	}
	for _, rq := range env.proxy.Requests() {
		if rq.Service == "cloudtrail" || rq.Service == "s3" {
			t.Errorf("resumed run collected again: %s %s", rq.Service, rq.Path)
		}
	}
}

func TestOrgScanNothingScannable(t *testing.T) {
	env := startOrgEnv(t)
	env.proxy.Intercept(testenv.DenyAssumeRole(env.archive, env.member, env.blocked))
	code, stdout, stderr := runCLI(t, "scan", "--org", "--role-name", "TrailsealAudit", "--regions", "us-east-1",
		"--accounts", env.member+","+env.blocked, "--format", "json")
	if code != ExitRuntime {
		t.Fatalf("exit %d, want %d; stderr: %s", code, ExitRuntime, stderr)
	}
	if !strings.Contains(stderr, "no account of organization") {
		t.Errorf("stderr %q does not say that no account could be scanned", stderr)
	}
	var rep findings.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("the report is still written: %v", err)
	}
	access := 0
	for _, f := range rep.Findings {
		if f.RuleID == orgscan.RuleAccountAccess && f.Status == findings.Error {
			access++
		}
	}
	if access != 2 {
		t.Errorf("%d %s ERROR findings, want one per unreachable account (2)", access, orgscan.RuleAccountAccess)
	}
}

// TestOrgScanInterrupted stops a scan the way Ctrl-C does (the context is
// cancelled) once one account has finished, then resumes it.
func TestOrgScanInterrupted(t *testing.T) {
	env := startOrgEnv(t)
	state := filepath.Join(t.TempDir(), "state.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var assumed atomic.Int32
	env.proxy.Intercept(testenv.Chain(testenv.DenyAssumeRole(env.blocked), func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if form, _ := url.ParseQuery(string(body)); form.Get("Action") == "AssumeRole" && assumed.Add(1) == 2 {
			cancel()
		}
		return false
	}))
	var stdout, stderr bytes.Buffer
	// One call at a time means one account at a time, so at least one
	// account is complete when the second role is assumed (the blocked
	// account's AssumeRole is answered before this hook).
	code := run(ctx, []string{"scan", "--org", "--role-name", "TrailsealAudit", "--regions", "us-east-1",
		"--concurrency", "1", "--resume", state, "--format", "json"}, strings.NewReader(""), &stdout, &stderr)
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want %d; stderr: %s", code, ExitInterrupted, stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted: ") {
		t.Errorf("stderr %q does not report the interruption", stderr.String())
	}
	var partial findings.Report
	if err := json.Unmarshal(stdout.Bytes(), &partial); err != nil {
		t.Fatalf("no report for the finished accounts: %v", err)
	}
	if len(partial.Accounts) == 0 || len(partial.Accounts) == 4 {
		t.Fatalf("interrupted report covers %d accounts, want some but not all", len(partial.Accounts))
	}

	env.proxy.Clear()
	env.proxy.Intercept(testenv.DenyAssumeRole(env.blocked))
	code, out, errOut := runCLI(t, "scan", "--org", "--role-name", "TrailsealAudit", "--regions", "us-east-1",
		"--resume", state, "--format", "json")
	if code != ExitFindings {
		t.Fatalf("resumed run: exit %d; stderr: %s", code, errOut)
	}
	var full findings.Report
	if err := json.Unmarshal([]byte(out), &full); err != nil {
		t.Fatal(err)
	}
	if len(full.Accounts) != 4 {
		t.Errorf("resumed report covers %d accounts, want 4", len(full.Accounts))
	}
	if !strings.Contains(errOut, "resuming: ") {
		t.Errorf("stderr %q does not say the scan resumed", errOut)
	}
}
