package verify_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/trailseal/trailseal/internal/verify"
	"github.com/trailseal/trailseal/internal/verify/chaingen"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// goldenSigners reads the fixed keys of testdata/golden, so that the
// archive, its signatures and fingerprints come out the same every run.
func goldenSigners(t *testing.T) chaingen.Signers {
	t.Helper()
	b, err := os.ReadFile("testdata/golden/signers.pem")
	if err != nil {
		t.Fatal(err)
	}
	out := chaingen.Signers{}
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		k, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		region := blk.Headers["Region"]
		if out[region], err = chaingen.SignerFromKey(k, region, first.Add(-24*time.Hour), first.Add(365*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// goldenReport verifies a two-region archive in a versioned bucket with
// one problem of each kind a report shows: a modified log file, a deleted
// one that a version keeps, three deleted digests (one named, a range of
// two), a chain restart with its uncovered log files, and an opted-in
// region without digests.
func goldenReport(t *testing.T) *verify.Report {
	ctx := context.Background()
	signers := goldenSigners(t)
	spec := newSpec("golden-trail", "eu-west-1", "us-east-1")
	spec.Signers, spec.GapHours = signers, map[int]bool{4: true}
	spec.Hours = 8
	a := generate(t, spec)
	modified := a.LogKeys("us-east-1")[1]
	o := a.Get(modified)
	o.Body = chaingen.Gzip(append(chaingen.Gunzip(o.Body), ' '))
	if _, err := s3client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("golden-trail")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("golden-trail"),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	upload(t, a)
	for _, k := range append([]string{a.LogKeys("us-east-1")[3]}, a.DigestKeys("eu-west-1")[0:3]...) {
		if _, err := s3client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("golden-trail"), Key: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
	}
	opts := options(a)
	opts.Keys = verify.StaticKeys(signers.PublicKeys())
	opts.End = first.Add(8 * time.Hour)
	opts.Expected = func(context.Context) verify.Expectation {
		return verify.Expectation{Regions: []verify.ExpectedRegion{
			{Region: "af-south-1", Why: verify.WhyOptIn, OptIn: true},
			{Region: "eu-west-1", Why: verify.WhyEnabled},
		}}
	}
	r := run(t, opts)
	r.Tool, r.Version, r.Trail = "trailseal", "dev", "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-audit"
	return r
}

// volatile are what changes from run to run in the golden scenario: the
// version IDs moto makes up and the times of the deletions.
var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "VERSION-ID"},
	{regexp.MustCompile(`(deleted at |"time": ")\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`), "${1}DELETION-TIME"},
}

func normalize(b []byte) []byte {
	for _, v := range volatile {
		b = v.re.ReplaceAll(b, []byte(v.with))
	}
	return b
}

// goldenOffline verifies an offline copy of a two-region archive whose
// only finding is a chain restart: the GAPS verdict, with files named by
// their path in the copy (DIR stands for the temporary folder).
func goldenOffline(t *testing.T) []byte {
	signers := goldenSigners(t)
	spec := newSpec("golden-offline", "eu-west-1", "us-east-1")
	spec.Signers, spec.GapHours = signers, map[int]bool{3: true}
	a := generate(t, spec)
	dir := t.TempDir()
	if err := a.WriteDir(dir, true); err != nil {
		t.Fatal(err)
	}
	o := options(a)
	o.Keys, o.Store, o.Offline, o.FromDir = verify.StaticKeys(signers.PublicKeys()), verify.DirStore{Root: dir}, true, dir
	o.Regions = []string{"eu-west-1", "us-east-1"}
	r := run(t, o)
	r.Trail = "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-audit"
	var b bytes.Buffer
	if err := r.WriteText(&b, false); err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(b.Bytes(), []byte(dir), []byte("DIR"))
}

// TestGoldenReports checks the text and JSON reports against files in
// testdata/golden; 'go test ./internal/verify -run Golden -update'
// rewrites them after a deliberate change.
func TestGoldenReports(t *testing.T) {
	r := goldenReport(t)
	var text, verbose, js bytes.Buffer
	if err := r.WriteText(&text, false); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteText(&verbose, true); err != nil {
		t.Fatal(err)
	}
	enc := json.NewEncoder(&js)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{"report.txt": text.Bytes(), "report-verbose.txt": verbose.Bytes(), "report.json": js.Bytes(),
		"report-offline-gaps.txt": goldenOffline(t)} {
		got = normalize(got)
		path := filepath.Join("testdata/golden", name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run 'go test ./internal/verify -run Golden -update' to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the golden file; if the change is meant, run with -update and review the diff.\ngot:\n%s", name, got)
		}
	}
	// The JSON is the report: it reads back into the same counts.
	var back verify.Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.SchemaVersion != verify.ReportSchemaVersion || back.Outcome != r.Outcome || len(back.Digests) != len(r.Digests) {
		t.Errorf("JSON does not read back: %v", err)
	}
}
