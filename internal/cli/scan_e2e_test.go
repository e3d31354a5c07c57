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

	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/permissions"
	"github.com/trailseal/trailseal/internal/testenv"
)

// startScanMoto starts a private emulator for one test and points the
// process environment (which the CLI reads through the SDK's standard
// chain) at it.
func startScanMoto(t *testing.T) *testenv.Moto {
	t.Helper()
	m, err := testenv.StartMoto()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	testenv.SetEnv(t, m.Endpoint, "us-east-1")
	return m
}

// TestScanEndToEnd runs the scan command the way a user does, against the
// emulator: a trail without validation writing to an unversioned bucket.
func TestScanEndToEnd(t *testing.T) {
	m := startScanMoto(t)
	ctx := context.Background()
	cfg, err := testenv.Config(ctx, m.Endpoint, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("e2e-trail-logs")}); err != nil {
		t.Fatal(err)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::e2e-trail-logs/*"}]}`
	if _, err := s3c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("e2e-trail-logs"), Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("e2e-trail-logs"),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusSuspended}}); err != nil {
		t.Fatal(err)
	}
	ct := cloudtrail.NewFromConfig(cfg)
	if _, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("e2e"), S3BucketName: aws.String("e2e-trail-logs")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("e2e")}); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	out, snap := filepath.Join(dir, "findings.json"), filepath.Join(dir, "acct.json")
	code, stdout, stderr := runCLI(t, "scan", "--regions", "us-east-1", "--format", "json", "--output", out, "--save-snapshot", snap)
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, ExitFindings, stdout, stderr)
	}
	var doc struct {
		Findings []struct {
			RuleID, Status, Resource, Message string
		} `json:"findings"`
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range doc.Findings {
		got[f.RuleID+" "+f.Resource] = f.Status
	}
	trail := "arn:aws:cloudtrail:us-east-1:123456789012:trail/e2e"
	for key, want := range map[string]string{
		"trail.log_file_validation " + trail:             "FAIL",
		"trail.multi_region " + trail:                    "FAIL",
		"trail.logging " + trail:                         "PASS",
		"bucket.versioning arn:aws:s3:::e2e-trail-logs":  "FAIL",
		"bucket.object_lock arn:aws:s3:::e2e-trail-logs": "FAIL",
	} {
		if got[key] != want {
			t.Errorf("%s: status %q, want %q", key, got[key], want)
		}
	}

	// The snapshot evaluates to the same findings without the emulator.
	inv, err := inventory.Load(snap)
	if err != nil {
		t.Fatalf("saved snapshot does not load: %v", err)
	}
	if len(inv.Calls) == 0 {
		t.Fatal("snapshot records no API calls")
	}
	// Every call the scan made is allowed by the published scan policy.
	var calls []string
	for c := range inv.Calls {
		calls = append(calls, c)
	}
	missing, err := permissions.Missing(permissions.ScanPolicy(), calls)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Errorf("docs/policies/scan.json does not allow calls the scan made: %v", missing)
	}
	m.Stop()
	out2 := filepath.Join(dir, "again.json")
	if code, _, stderr := runCLI(t, "scan", "--snapshot", snap, "--format", "json", "--output", out2); code != ExitFindings {
		t.Fatalf("snapshot re-scan: exit %d (%s)", code, stderr)
	}
}

// TestScanNoCredentials: with no way to authenticate the scan is a runtime
// error (exit 1) that says what to do, in one line.
func TestScanNoCredentials(t *testing.T) {
	startScanMoto(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	code, _, stderr := runCLI(t, "scan", "--regions", "us-east-1")
	if code != ExitRuntime {
		t.Fatalf("exit %d, want %d (%s)", code, ExitRuntime, stderr)
	}
	if !strings.Contains(strings.ToLower(stderr), "credentials") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("want one line about credentials, got %q", stderr)
	}
}
