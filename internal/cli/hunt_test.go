package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/trailseal/trailseal/internal/hunt/detection"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/testenv"
)

const corpusDir = "../hunt/testdata/corpus"

func corpus(name string) string { return filepath.Join(corpusDir, name) }

// benignLines is JSON Lines of records no detection is about.
const benignLines = `{"eventVersion":"1.09","eventTime":"2026-03-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","recipientAccountId":"111122223333","eventID":"e1"}
{"eventVersion":"1.09","eventTime":"2026-03-01T10:00:01Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StartLogging","awsRegion":"us-east-1","requestParameters":{"name":"audit"},"recipientAccountId":"111122223333","eventID":"e2"}
`

func gzipFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	return writeFile(t, name, b.String())
}

func TestHuntUsageErrors(t *testing.T) {
	dir := t.TempDir()
	empty := t.TempDir()
	snap := sampleSnapshot(t)
	logFile := corpus("invictus-aws_dataset.json")
	for _, tc := range []struct {
		name, want string
		args       []string
	}{
		{"no source", "nothing to read", []string{"hunt", "--no-context"}},
		{"two sources", "give one source", []string{"hunt", "--no-context", "--from-dir", dir, logFile}},
		{"lookup without start", "--lookup-events needs --start-time", []string{"hunt", "--lookup-events", "--no-context"}},
		{"bad time", `--start-time "yesterday" is not a time`, []string{"hunt", "--no-context", "--start-time", "yesterday", logFile}},
		{"start after end", "is not before --end-time", []string{"hunt", "--no-context", "--start-time", "2026-02-01", "--end-time", "2026-01-01", logFile}},
		{"snapshot and no-context", "exclude each other", []string{"hunt", "--no-context", "--snapshot", snap, logFile}},
		{"missing file", "no such file", []string{"hunt", "--no-context", filepath.Join(dir, "nope.json.gz")}},
		{"folder as file", "is a folder", []string{"hunt", "--no-context", dir}},
		{"from-dir not a folder", "is not a folder", []string{"hunt", "--no-context", "--from-dir", logFile}},
		{"from-dir without log files", "no CloudTrail log files", []string{"hunt", "--no-context", "--from-dir", empty}},
		{"bad format", "--format must be one of", []string{"hunt", "--no-context", "--format", "yaml", logFile}},
		{"bad snapshot", "not valid JSON", []string{"hunt", "--snapshot", writeFile(t, "bad.json", "{"), logFile}},
		{"bad region", `unknown region "us-est-1"`, []string{"hunt", "--lookup-events", "--start-time", "2026-01-01", "--regions", "us-est-1"}},
		{"bad retention", "--min-retention-days", []string{"hunt", "--no-context", "--min-retention-days", "0", logFile}},
		{"unknown detection", `unknown detection ID "hunt.nope"`, []string{"explain", "hunt.nope"}},
		{"bad detections format", "--format must be one of table, json, markdown", []string{"detections", "--format", "xml"}},
	} {
		t.Run(tc.name, func(t *testing.T) { assertUserError(t, ExitUsage, tc.want, tc.args...) })
	}
}

func TestHuntExitCodes(t *testing.T) {
	benign := writeFile(t, "benign.jsonl", benignLines)
	corrupt := gzipFile(t, "corrupt.json.gz", []byte(`{"Records":[{"eventName":"StopLogging"`))
	notJSON := writeFile(t, "notes.txt", "hello")
	badSelectors := writeFile(t, "bad.jsonl", `{"eventName":"PutEventSelectors","eventSource":"cloudtrail.amazonaws.com","eventID":"x1","requestParameters":{"trailName":"audit","eventSelectors":"garbled"}}`+"\n")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"detections", []string{corpus("stratus-red-team-detonation-logs.json")}, ExitFindings, "hunt.trail_logging_stopped"},
		{"nothing found", []string{benign}, ExitOK, "Nothing weakened the audit trail"},
		{"standard input", []string{"-"}, ExitOK, "Nothing weakened"},
		{"unreadable source", []string{benign, corrupt}, ExitUnverifiable, "cut short"},
		{"not CloudTrail JSON", []string{notJSON}, ExitUnverifiable, "not CloudTrail JSON"},
		{"a request that cannot be read", []string{badSelectors}, ExitUnverifiable, "judge them by hand"},
		{"detections win over an unreadable source", []string{corrupt, corpus("stratus-red-team-detonation-logs.json")}, ExitFindings, "could not be read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"hunt", "--no-context"}, tc.args...)
			code := run(context.Background(), args, strings.NewReader(benignLines), &stdout, &stderr)
			if code != tc.code || !strings.Contains(stdout.String(), tc.want) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tc.code, stdout.String(), stderr.String())
			}
			if stderr.Len() != 0 {
				t.Errorf("stderr: %s", stderr.String())
			}
		})
	}
}

// TestHuntSnapshotContext: with a saved inventory whose trail writes to
// the Stratus lifecycle bucket, ht-009's lifecycle rule is found (it is
// not without context), attributed to the recorded actor.
func TestHuntSnapshotContext(t *testing.T) {
	const bucket = "stratus-red-team-ctlr-bucket-zqfsvooxqj"
	inv := &inventory.Inventory{SchemaVersion: inventory.SchemaVersion, CollectedAt: time.Date(2023, 7, 11, 0, 0, 0, 0, time.UTC),
		Partition: "aws", Account: inventory.Account{ID: "123837392027"},
		Trails: []inventory.Trail{{ARN: "arn:aws:cloudtrail:us-east-1:123837392027:trail/org-audit", Name: "org-audit", HomeRegion: "us-east-1",
			S3BucketName: bucket, IsMultiRegion: true}},
		Buckets: []inventory.Bucket{{Name: bucket, ARN: "arn:aws:s3:::" + bucket}}}
	snap := filepath.Join(t.TempDir(), "acct.json")
	if err := inventory.Save(snap, inv); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "hunt.json")
	code, stdout, stderr := runCLI(t, "hunt", "--snapshot", snap, "--format", "json", "--output", out, corpus("invictus-aws_dataset.json"))
	if code != ExitFindings || stdout != "" {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	rep := readHuntJSON(t, out)
	if rep.Context.Kind != "snapshot" || rep.Context.Account != "123837392027" {
		t.Errorf("context %+v", rep.Context)
	}
	found := false
	for _, d := range rep.Detections {
		if d.DetectionID == "hunt.bucket_lifecycle_expires_logs" {
			found = d.Match == "inventory" && d.Actor.ARN == "arn:aws:iam::123837392027:user/bert-jan" && d.Origin.Record == 8
		}
	}
	if !found {
		t.Fatalf("lifecycle detection with the inventory's bucket not found: %+v", rep.Detections)
	}
	code, stdout, _ = runCLI(t, "hunt", "--no-context", corpus("invictus-aws_dataset.json"))
	if code != ExitFindings || strings.Contains(stdout, "hunt.bucket_lifecycle_expires_logs") {
		t.Fatalf("without context the lifecycle bucket is not known to be a trail's:\n%s", stdout)
	}
}

func readHuntJSON(t *testing.T, path string) detection.Report {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep detection.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	return rep
}

func TestHuntFormats(t *testing.T) {
	for _, f := range []string{"json", "ocsf", "csv", "html", "timeline"} {
		code, stdout, stderr := runCLI(t, "hunt", "--no-context", "--format", f, corpus("elastic-beats-tests.json"))
		if code != ExitFindings || !strings.Contains(stdout, "hunt.trail_deleted") {
			t.Errorf("%s: exit %d\n%s\n%s", f, code, stdout, stderr)
		}
	}
}

func TestDetectionsAndExplain(t *testing.T) {
	code, stdout, _ := runCLI(t, "detections", "--format", "json")
	var cat []detection.Info
	if code != ExitOK || json.Unmarshal([]byte(stdout), &cat) != nil || len(cat) != len(detection.Catalog()) {
		t.Fatalf("detections --format json: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = runCLI(t, "explain", "hunt.bucket_lifecycle_expires_logs")
	for _, want := range []string{"WHAT IT MEANS", "HOW TO RESPOND", "bucket.lifecycle", "T1562.008", "PutBucketLifecycle"} {
		if code != ExitOK || !strings.Contains(stdout, want) {
			t.Errorf("explain lacks %q:\n%s", want, stdout)
		}
	}
}

// TestDetectionsDoc keeps docs/detections.md in step with the catalog.
func TestDetectionsDoc(t *testing.T) {
	var buf bytes.Buffer
	if err := runDetections(&buf, "markdown"); err != nil {
		t.Fatal(err)
	}
	const path = "../../docs/detections.md"
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
		t.Fatal("docs/detections.md is out of date: run go test ./internal/cli -run TestDetectionsDoc -update")
	}
}

// TestHuntEndToEnd runs 'trailseal hunt' as a user does against the
// emulator behind the recording proxy: an attacker shortens the trail
// bucket's lifecycle and stops the trail; hunt finds both in the log
// files (context collected from the account, or from a scan snapshot) and
// in event history at the real 2 requests per second per region.
func TestHuntEndToEnd(t *testing.T) {
	m := startScanMoto(t)
	rec, err := testenv.StartTrailRecorder(m.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	t.Setenv("AWS_ENDPOINT_URL", rec.URL)
	rec.Identity("testing", map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/admin", "accountId": "123456789012", "userName": "admin"})
	const attacker = "arn:aws:sts::123456789012:assumed-role/Contractor/mallory"
	rec.Identity("ASIAEXAMPLEMALLORY01", map[string]any{"type": "AssumedRole", "arn": attacker, "accountId": "123456789012",
		"sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "arn": "arn:aws:iam::123456789012:role/Contractor"}}})
	ctx := context.Background()
	begin := time.Now().UTC().Add(-time.Minute)
	cfg := func(key string) aws.Config {
		c, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"), config.WithBaseEndpoint(rec.URL),
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(key, "secret", "")))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	admin := cfg("testing")
	s3a := s3.NewFromConfig(admin, func(o *s3.Options) { o.UsePathStyle = true })
	mustDo(t, func() error {
		_, err := s3a.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("acme-trail-logs")})
		return err
	})
	cta := cloudtrail.NewFromConfig(admin)
	mustDo(t, func() error {
		_, err := cta.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("audit"), S3BucketName: aws.String("acme-trail-logs"), IsMultiRegionTrail: aws.Bool(true)})
		return err
	})
	mustDo(t, func() error {
		_, err := cta.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("audit")})
		return err
	})
	evil := cfg("ASIAEXAMPLEMALLORY01")
	mustDo(t, func() error {
		_, err := s3.NewFromConfig(evil, func(o *s3.Options) { o.UsePathStyle = true }).PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{
			Bucket: aws.String("acme-trail-logs"),
			LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: []s3types.LifecycleRule{{ID: aws.String("tidy"), Status: s3types.ExpirationStatusEnabled,
				Filter: &s3types.LifecycleRuleFilter{Prefix: aws.String("AWSLogs/")}, Expiration: &s3types.LifecycleExpiration{Days: aws.Int32(3)}}}},
		})
		return err
	})
	mustDo(t, func() error {
		_, err := cloudtrail.NewFromConfig(evil).StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("audit")})
		return err
	})
	dir := t.TempDir()
	if _, err := testenv.WriteLogFiles(dir, "acme-trail-logs", rec.Account, rec.Records(), 4); err != nil {
		t.Fatal(err)
	}
	check := func(name string, args ...string) {
		t.Helper()
		out := filepath.Join(t.TempDir(), "hunt.json")
		code, stdout, stderr := runCLI(t, append([]string{"hunt", "--regions", "us-east-1", "--format", "json", "--output", out}, args...)...)
		if code != ExitFindings {
			t.Fatalf("%s: exit %d\nstdout: %s\nstderr: %s", name, code, stdout, stderr)
		}
		rep := readHuntJSON(t, out)
		got := map[string]string{}
		for _, d := range rep.Detections {
			got[d.DetectionID] = d.Actor.ARN
		}
		if len(rep.Detections) != 2 || got["hunt.trail_logging_stopped"] != attacker || got["hunt.bucket_lifecycle_expires_logs"] != attacker {
			t.Fatalf("%s: %+v", name, rep.Detections)
		}
	}
	check("log files, context from the account", "--from-dir", dir)
	snap := filepath.Join(t.TempDir(), "acct.json")
	if code, _, stderr := runCLI(t, "scan", "--regions", "us-east-1", "--save-snapshot", snap, "--format", "json", "--output", filepath.Join(t.TempDir(), "f.json")); code != ExitFindings {
		t.Fatalf("scan: exit %d: %s", code, stderr)
	}
	check("log files, context from a scan snapshot", "--from-dir", dir, "--snapshot", snap)
	check("event history", "--lookup-events", "--start-time", begin.Format(time.RFC3339))
}

func mustDo(t *testing.T, f func() error) {
	t.Helper()
	if err := f(); err != nil {
		t.Fatal(err)
	}
}
