package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/testenv"
)

// faultScanEnv is an account with a logging multi-region trail in moto,
// reached by the CLI through a fault-injecting proxy.
func faultScanEnv(t *testing.T, rule testenv.FaultRule) {
	t.Helper()
	p := trailBehindProxy(t, "faults-trail-logs")
	p.Intercept(testenv.Faults(nil, rule))
	t.Setenv("AWS_ENDPOINT_URL", p.URL)
}

// trailBehindProxy seeds moto with a logging multi-region trail "main"
// writing to bucket, and returns a proxy in front of moto that the test
// sets up (faults, routes) and points the CLI at.
func trailBehindProxy(t *testing.T, bucket string) *testenv.Proxy {
	t.Helper()
	m := startScanMoto(t)
	ctx := context.Background()
	seed, err := testenv.Config(ctx, m.Endpoint, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := testenv.CreateBucket(ctx, seed, bucket); err != nil {
		t.Fatal(err)
	}
	if _, err := testenv.CreateLoggingTrail(ctx, seed, &cloudtrail.CreateTrailInput{
		Name: aws.String("main"), S3BucketName: aws.String(bucket), IsMultiRegionTrail: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	p, err := testenv.StartProxy(m.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func readFindings(t *testing.T, path string) []findings.Finding {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep findings.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	return rep.Findings
}

// TestScanEverythingDeniedButSTS: with every call but STS denied nothing
// was audited. The scan exited 0 ("2 FAIL, 5 ERROR") under --fail-on high;
// it must exit 4 and say the audit is incomplete.
func TestScanEverythingDeniedButSTS(t *testing.T) {
	faultScanEnv(t, testenv.FaultRule{Match: testenv.AllBut("sts:*"), Fault: testenv.Deny})
	out := filepath.Join(t.TempDir(), "findings.json")
	code, _, stderr := runCLI(t, "scan", "--regions", "us-east-1", "--fail-on", "high", "--format", "json", "--output", out)
	if code != ExitIncomplete {
		t.Fatalf("exit %d, want %d (audit incomplete); stderr: %s", code, ExitIncomplete, stderr)
	}
	if !strings.Contains(stderr, "AUDIT INCOMPLETE") || !strings.Contains(stderr, "rules could not read their evidence") {
		t.Errorf("summary does not say the audit is incomplete: %q", stderr)
	}
	for _, f := range readFindings(t, out) {
		if f.Status != findings.Error && f.Status != findings.Manual {
			t.Errorf("%s on %s: %s although every call was denied: %s", f.RuleID, f.Resource, f.Status, f.Message)
		}
	}

	// Opting out restores exit 0; the summary still tells.
	code, stdout, _ := runCLI(t, "scan", "--regions", "us-east-1", "--fail-on", "high", "--fail-on-error=false")
	if code != ExitOK {
		t.Errorf("--fail-on-error=false: exit %d, want 0", code)
	}
	if !strings.Contains(stdout, "AUDIT INCOMPLETE") {
		t.Errorf("table summary does not say the audit is incomplete:\n%s", stdout)
	}
}

// TestScanDescribeTrailsDenied: with only DescribeTrails denied the trail
// exists but cannot be seen. The alarm rules said FAIL "no trail exists",
// the trail and bucket rules N/A, and the scan exited 0.
func TestScanDescribeTrailsDenied(t *testing.T) {
	faultScanEnv(t, testenv.FaultRule{Match: testenv.Ops("cloudtrail:DescribeTrails"), Fault: testenv.Deny})
	out := filepath.Join(t.TempDir(), "findings.json")
	code, _, stderr := runCLI(t, "scan", "--regions", "us-east-1", "--fail-on", "high", "--format", "json", "--output", out)
	if code != ExitIncomplete {
		t.Fatalf("exit %d, want %d; stderr: %s", code, ExitIncomplete, stderr)
	}
	seen := 0
	for _, f := range readFindings(t, out) {
		if strings.HasPrefix(f.RuleID, "iam.") || (f.RuleID == "account.organization_trail" && f.Status == findings.NA) {
			continue // read from IAM and Organizations, which answered
		}
		seen++
		if f.Status != findings.Error {
			t.Errorf("%s on %s: %s, want ERROR (the trail list was not read): %s", f.RuleID, f.Resource, f.Status, f.Message)
		} else if !strings.Contains(f.Message, "cloudtrail:DescribeTrails: AccessDeniedException") {
			t.Errorf("%s: message does not name the denied call: %s", f.RuleID, f.Message)
		}
	}
	if seen < 30 {
		t.Errorf("only %d findings outside IAM", seen)
	}
}

// TestScanFailOutranksIncomplete: a FAIL at or above --fail-on exits 3
// even when evidence is missing too.
func TestScanFailOutranksIncomplete(t *testing.T) {
	faultScanEnv(t, testenv.FaultRule{Match: testenv.Ops("s3:GetBucketVersioning"), Fault: testenv.Deny})
	code, stdout, stderr := runCLI(t, "scan", "--regions", "us-east-1")
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d; stderr: %s", code, ExitFindings, stderr)
	}
	// bucket.versioning and bucket.mfa_delete read GetBucketVersioning.
	if !strings.Contains(stdout, "AUDIT INCOMPLETE: 2 rules could not read their evidence") {
		t.Errorf("summary does not count the two rules that could not read versioning:\n%s", stdout)
	}
}

// TestOrgScanIncomplete: an organization scan with an account that cannot
// be entered and no FAIL at or above --fail-on exits 4 as well.
func TestOrgScanIncomplete(t *testing.T) {
	env := startOrgEnv(t)
	// The archive bucket's only critical FAIL: Block Public Access off.
	ctx := context.Background()
	seed, err := testenv.Config(ctx, env.proxy.URL, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	archive, err := testenv.AssumeConfig(ctx, seed, env.archive)
	if err != nil {
		t.Fatal(err)
	}
	on := aws.Bool(true)
	if _, err := s3.NewFromConfig(archive, func(o *s3.Options) { o.UsePathStyle = true }).PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{
		Bucket: aws.String("cli-org-archive"),
		PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
			BlockPublicAcls: on, IgnorePublicAcls: on, BlockPublicPolicy: on, RestrictPublicBuckets: on},
	}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "findings.json")
	code, _, stderr := runCLI(t, "scan", "--org", "--role-name", "TrailsealAudit", "--regions", "us-east-1",
		"--fail-on", "critical", "--format", "json", "--output", out)
	critical := 0
	for _, f := range readFindings(t, out) {
		if f.Status == findings.Fail && f.Severity == findings.Critical {
			critical++
		}
	}
	if critical > 0 {
		t.Fatalf("%d critical FAIL: the environment no longer tests exit 4", critical)
	}
	if code != ExitIncomplete {
		t.Fatalf("exit %d, want %d; stderr: %s", code, ExitIncomplete, stderr)
	}
	if !strings.Contains(stderr, "AUDIT INCOMPLETE") {
		t.Errorf("summary does not say the audit is incomplete: %q", stderr)
	}
	if code, _, _ := runCLI(t, "scan", "--org", "--role-name", "TrailsealAudit", "--regions", "us-east-1",
		"--fail-on", "critical", "--fail-on-error=false", "--format", "json", "--output", out); code != ExitOK {
		t.Errorf("--fail-on-error=false: exit %d, want 0", code)
	}
}
