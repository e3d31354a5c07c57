package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/trailseal/trailseal/internal/testenv"
	"github.com/trailseal/trailseal/internal/verify"
	"github.com/trailseal/trailseal/internal/verify/chaingen"
)

// verifyEnv is moto_server behind a KeysProxy that answers CloudTrail
// ListPublicKeys in each region with that region's own test key, and
// Account Management ListRegions (moto has neither), and sends
// x-amz-meta-* headers in lower case as S3 does.
type verifyEnv struct {
	moto    *testenv.Moto
	proxy   *testenv.KeysProxy
	s3      *s3.Client
	ct      *cloudtrail.Client
	signers chaingen.Signers
	signer  *chaingen.Signer // the home region's (us-east-1)
	env     []string
}

// envRegions are the regions the test archives use, each signed with a
// key of its own.
var envRegions = []string{"af-south-1", "ap-southeast-2", "eu-west-1", "us-east-1"}

// moto's default account, so the trail ARN it returns names our archive.
const testAccount = "123456789012"

var (
	vFirst = time.Date(2026, 3, 1, 0, 1, 31, 0, time.UTC)
	vStart = "2026-03-01T00:00:00Z"
	vEnd   = vFirst.Add(6 * time.Hour).Format(time.RFC3339)
	vARN   = "arn:aws:cloudtrail:us-east-1:" + testAccount + ":trail/org-audit"
)

func startVerifyEnv(t *testing.T) *verifyEnv {
	t.Helper()
	m, err := testenv.StartMoto()
	if err != nil {
		t.Fatal(err) // a missing emulator is a failure, never a skip
	}
	t.Cleanup(m.Stop)
	signers, err := chaingen.NewSigners(1024, vFirst.Add(-24*time.Hour), vFirst.Add(365*24*time.Hour), envRegions...)
	if err != nil {
		t.Fatal(err)
	}
	var served []testenv.PublicKey
	for _, k := range signers.PublicKeys() {
		served = append(served, testenv.PublicKey{DER: k.DER, Fingerprint: k.Fingerprint, From: k.ValidityStart, To: k.ValidityEnd, Region: k.Region})
	}
	p, err := testenv.StartKeysProxy(m.Endpoint, served...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	cfg, err := testenv.Config(context.Background(), m.Endpoint, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	e := &verifyEnv{moto: m, proxy: p, signers: signers, signer: signers["us-east-1"],
		s3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.UsePathStyle = true
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}),
		ct:  cloudtrail.NewFromConfig(cfg),
		env: testenv.Env(p.URL, "us-east-1"),
	}
	for _, kv := range e.env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	return e
}

// seed generates a 6-hour chain in bucket, lets corrupt change it, and
// stores it with the SDK, signature metadata included.
func (e *verifyEnv) seed(t *testing.T, bucket string, spec func(*chaingen.Spec), corrupt func(*chaingen.Archive)) *chaingen.Archive {
	t.Helper()
	if _, err := e.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	return e.fill(t, bucket, spec, corrupt)
}

// fill is seed for a bucket that exists.
func (e *verifyEnv) fill(t *testing.T, bucket string, spec func(*chaingen.Spec), corrupt func(*chaingen.Archive)) *chaingen.Archive {
	t.Helper()
	ctx := context.Background()
	s := chaingen.Spec{Bucket: bucket, Layout: verify.Layout{AccountID: testAccount, TrailName: "org-audit", HomeRegion: "us-east-1"},
		Regions: []string{"us-east-1"}, First: vFirst, Hours: 6, LogsPerDigest: 3, LogBytes: 500, Signers: e.signers, Seed: 3}
	if spec != nil {
		spec(&s)
	}
	a, err := chaingen.Generate(s)
	if err != nil {
		t.Fatal(err)
	}
	if corrupt != nil {
		corrupt(a)
	}
	for _, o := range a.Sorted() {
		if _, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(o.Bucket), Key: aws.String(o.Key),
			Body: bytes.NewReader(o.Body), Metadata: o.Metadata}); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

func verifyArgs(bucket string, extra ...string) []string {
	args := []string{"verify", "--trail-arn", vARN, "--start-time", vStart, "--end-time", vEnd}
	if bucket != "" {
		args = append(args, "--s3-bucket", bucket)
	}
	return append(args, extra...)
}

// TestVerifyFindsOrganizationLayout verifies an organization trail's
// archive (AWSLogs/<org ID>/<account>/...) without being told the
// organization ID: verify finds the folder, drops the listings it started
// on the guess of an account trail's layout, and verifies the chain.
func TestVerifyFindsOrganizationLayout(t *testing.T) {
	e := startVerifyEnv(t)
	a := e.seed(t, "org-trail-bucket", func(s *chaingen.Spec) { s.Layout.OrgID = "o-a1b2c3d4e5" }, nil)
	if !strings.Contains(a.DigestKeys("us-east-1")[0], "AWSLogs/o-a1b2c3d4e5/"+testAccount+"/") {
		t.Fatalf("archive not in the organization layout: %s", a.DigestKeys("us-east-1")[0])
	}
	code, out, errOut := runCLI(t, verifyArgs("org-trail-bucket", "--regions", "us-east-1")...)
	if code != ExitOK || !strings.Contains(out, "RESULT: all digests and log files are valid") ||
		!strings.Contains(out, "digests 6 valid, 0 invalid, 0 missing") || !strings.Contains(out, "logs 18 valid") {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
}

// TestVerifyReadsBucketInItsRegion puts the trail's bucket in eu-west-1
// while the trail is in us-east-1. verify reads the bucket with the home
// region while it asks GetBucketLocation, so the request that lists the
// AWSLogs/ folder is repeated once the region is known. Simulated: S3's
// refusal of a request signed for another region than the bucket's (a 301
// PermanentRedirect naming the region), which moto does not enforce.
func TestVerifyReadsBucketInItsRegion(t *testing.T) {
	e := startVerifyEnv(t)
	ctx := context.Background()
	eu, err := testenv.Config(ctx, e.moto.Endpoint, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	const bucket = "trail-bucket-in-ireland"
	if _, err := s3.NewFromConfig(eu, func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(ctx, &s3.CreateBucketInput{
		Bucket: aws.String(bucket), CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: "eu-west-1"}}); err != nil {
		t.Fatal(err)
	}
	e.fill(t, bucket, nil, nil)
	e.seed(t, "trail-bucket-at-home", nil, nil)
	p, err := testenv.StartProxy(e.proxy.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	t.Setenv("AWS_ENDPOINT_URL", p.URL)
	redirect := func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		_, region, service := testenv.CredentialScope(r.Header.Get("Authorization"))
		if service != "s3" || !strings.HasPrefix(r.URL.Path, "/"+bucket) || region == "eu-west-1" || r.URL.RawQuery == "location=" {
			return false
		}
		w.Header().Set("x-amz-bucket-region", "eu-west-1")
		testenv.S3Error(w, http.StatusMovedPermanently, "PermanentRedirect", "The bucket you are attempting to access must be addressed using the specified endpoint.")
		return true
	}
	listings := func(b string) (home, ireland int) {
		for _, r := range p.Requests() {
			if r.Service == "s3" && r.Path == "/"+b && strings.Contains(r.Query, "delimiter") && strings.HasSuffix(r.Query, "prefix=AWSLogs%2F") {
				if r.Region == "eu-west-1" {
					ireland++
				} else {
					home++
				}
			}
		}
		return home, ireland
	}
	for _, c := range []struct {
		bucket        string
		home, ireland int
	}{{bucket, 1, 1}, {"trail-bucket-at-home", 1, 0}} {
		p.Clear()
		p.Intercept(redirect)
		code, out, errOut := runCLI(t, verifyArgs(c.bucket, "--regions", "us-east-1")...)
		if code != ExitOK || !strings.Contains(out, "RESULT: all digests and log files are valid") {
			t.Fatalf("verify of %s: exit %d\n%s%s", c.bucket, code, out, errOut)
		}
		if home, ireland := listings(c.bucket); home != c.home || ireland != c.ireland {
			t.Errorf("%s: AWSLogs/ listed %d times with us-east-1 and %d with eu-west-1, want %d and %d", c.bucket, home, ireland, c.home, c.ireland)
		}
		for _, r := range p.Requests() {
			if c.ireland > 0 && r.Service == "s3" && strings.HasPrefix(r.Path, "/"+c.bucket+"/") && r.Region != "eu-west-1" {
				t.Errorf("%s %s signed for %s, not the bucket's region", r.Method, r.Path, r.Region)
				break
			}
		}
	}
}

// TestVerifyCommands runs verify, pull and keys export end to end through
// the command line against moto (S3, CloudTrail DescribeTrails) and the keys
// proxy (ListPublicKeys).
func TestVerifyCommands(t *testing.T) {
	e := startVerifyEnv(t)
	ctx := context.Background()
	e.seed(t, "clean-trail-bucket", nil, nil)
	// The trail is found through DescribeTrails when --s3-bucket is absent.
	if _, err := e.ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("org-audit"),
		S3BucketName: aws.String("clean-trail-bucket"), EnableLogFileValidation: aws.Bool(true), IsMultiRegionTrail: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}

	t.Run("valid chain exits 0 and says so", func(t *testing.T) {
		code, out, errOut := runCLI(t, verifyArgs("")...)
		if code != ExitOK || !strings.Contains(out, "RESULT: all digests and log files are valid") {
			t.Fatalf("exit %d, stdout:\n%s\nstderr: %s", code, out, errOut)
		}
		if !strings.Contains(out, "us-east-1: digests 6 valid") || !strings.Contains(out, "logs 18 valid") {
			t.Errorf("summary does not count 6 digests and 18 logs:\n%s", out)
		}
	})

	t.Run("json report", func(t *testing.T) {
		code, out, _ := runCLI(t, verifyArgs("", "--format", "json")...)
		var r verify.Report
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		if code != ExitOK || r.Outcome != verify.OutcomeValid || len(r.Digests) != 6 || len(r.Logs) != 18 || r.Bucket != "clean-trail-bucket" {
			t.Errorf("exit %d, outcome %s, %d digests, %d logs, bucket %s", code, r.Outcome, len(r.Digests), len(r.Logs), r.Bucket)
		}
	})

	t.Run("tampered log exits 1 with problems first", func(t *testing.T) {
		var key string
		e.seed(t, "tampered-bucket", nil, func(a *chaingen.Archive) {
			key = a.LogKeys("us-east-1")[3]
			a.Get(key).Body = chaingen.Gzip([]byte(`{"Records":[]}`))
		})
		code, out, _ := runCLI(t, verifyArgs("tampered-bucket")...)
		if code != ExitRuntime {
			t.Fatalf("exit %d, want 1:\n%s", code, out)
		}
		if p, s := strings.Index(out, "LOG_MODIFIED"), strings.Index(out, "SUMMARY"); p < 0 || s < p || !strings.Contains(out, key) {
			t.Errorf("want LOG_MODIFIED on %s before the summary:\n%s", key, out)
		}
	})

	t.Run("keys from a file, no ListPublicKeys call", func(t *testing.T) {
		// Epoch seconds, as some AWS CLI output settings print them.
		keysJSON := `{"PublicKeyList":[{"Value":"` + b64(e.signer.Public.DER) + `","ValidityStartTime":` +
			itoa(e.signer.ValidFrom.Unix()) + `,"ValidityEndTime":` + itoa(e.signer.ValidTo.Unix()) + `,"Fingerprint":"` + e.signer.Public.Fingerprint + `"}]}`
		path := writeFile(t, "keys.json", keysJSON)
		before := e.proxy.ListPublicKeysCalls()
		code, out, _ := runCLI(t, verifyArgs("clean-trail-bucket", "--public-keys", path)...)
		if code != ExitOK {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		if n := e.proxy.ListPublicKeysCalls(); n != before {
			t.Errorf("ListPublicKeys was called %d times with --public-keys", n-before)
		}
	})

	t.Run("keys from the API, asked once and early", func(t *testing.T) {
		// verify asks for the keys while it settles the bucket; Run must
		// take that answer rather than ask again.
		before := e.proxy.ListPublicKeysCalls()
		code, out, _ := runCLI(t, verifyArgs("clean-trail-bucket")...)
		if code != ExitOK {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		if n := e.proxy.ListPublicKeysCalls() - before; n != 1 {
			t.Errorf("ListPublicKeys was called %d times, want 1", n)
		}
	})

	t.Run("ListPublicKeys denied exits 4", func(t *testing.T) {
		e.proxy.FailListPublicKeys(true)
		defer e.proxy.FailListPublicKeys(false)
		code, out, _ := runCLI(t, verifyArgs("clean-trail-bucket")...)
		if code != ExitUnverifiable || !strings.Contains(out, "DIGEST_KEYS_UNAVAILABLE") {
			t.Errorf("exit %d, want 4 with DIGEST_KEYS_UNAVAILABLE:\n%s", code, out)
		}
	})

	t.Run("wrong prefix finds no digest and exits 1, not 0", func(t *testing.T) {
		code, out, _ := runCLI(t, verifyArgs("clean-trail-bucket", "--s3-prefix", "not-the-prefix")...)
		if code != ExitRuntime || !strings.Contains(out, "DIGEST_NONE") {
			t.Errorf("exit %d, want 1 with DIGEST_NONE:\n%s", code, out)
		}
	})

	t.Run("unknown bucket exits 4", func(t *testing.T) {
		code, _, errOut := runCLI(t, verifyArgs("no-such-bucket-here")...)
		if code != ExitUnverifiable || !strings.Contains(errOut, "no-such-bucket-here") {
			t.Errorf("exit %d, want 4; stderr %q", code, errOut)
		}
	})

	t.Run("pull that finds no digest fails", func(t *testing.T) {
		code, out, errOut := runCLI(t, "pull", "--trail-arn", vARN, "--start-time", vStart, "--end-time", vEnd,
			"--s3-bucket", "clean-trail-bucket", "--s3-prefix", "not-the-prefix", "--to", t.TempDir())
		if code != ExitRuntime || !strings.Contains(errOut, "no digest file") {
			t.Errorf("exit %d, want 1 naming the missing digests:\n%s%s", code, out, errOut)
		}
	})

	t.Run("pull then verify offline", func(t *testing.T) {
		dir := t.TempDir()
		code, out, errOut := runCLI(t, "pull", "--trail-arn", vARN, "--start-time", vStart, "--end-time", vEnd, "--to", dir)
		if code != ExitOK || !strings.Contains(out, "Copied 6 digest files and 18 log files") {
			t.Fatalf("pull exit %d:\n%s%s", code, out, errOut)
		}
		keys := filepath.Join(t.TempDir(), "keys.json")
		code, kout, errOut := runCLI(t, "keys", "export", "--regions", "us-east-1", "--start-time", vStart, "--end-time", vEnd)
		if code != ExitOK {
			t.Fatalf("keys export exit %d: %s", code, errOut)
		}
		if err := os.WriteFile(keys, []byte(kout), 0o600); err != nil {
			t.Fatal(err)
		}
		exported, err := verify.ReadKeysFile(strings.NewReader(kout))
		if err != nil || len(exported) != 1 || exported[0].Fingerprint != e.signer.Public.Fingerprint {
			t.Fatalf("exported keys %v, %v; want the signer's key", exported, err)
		}
		code, out, _ = runCLI(t, verifyArgs("", "--from-dir", dir, "--public-keys", keys)...)
		if code != ExitOK {
			t.Fatalf("offline verify exit %d:\n%s", code, out)
		}

		// Without the metadata files a digest's signature comes from the
		// next digest: the newest one cannot be checked.
		filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
			if err == nil && strings.HasSuffix(p, verify.SidecarSuffix) {
				os.Remove(p)
			}
			return nil
		})
		code, out, _ = runCLI(t, verifyArgs("", "--from-dir", dir, "--public-keys", keys)...)
		if code != ExitUnverifiable || strings.Count(out, string(verify.DigestNoSignatureOffline)) != 1 || strings.Contains(out, "INVALID ") {
			t.Errorf("exit %d, want 4 with exactly the newest digest unverifiable:\n%s", code, out)
		}

		// A log tampered with in the copy is caught offline too.
		var logKey string
		filepath.Walk(filepath.Join(dir, "clean-trail-bucket"), func(p string, info os.FileInfo, err error) error {
			if err == nil && logKey == "" && strings.Contains(p, "/CloudTrail/") && strings.HasSuffix(p, ".json.gz") {
				logKey = p
			}
			return nil
		})
		os.WriteFile(logKey, chaingen.Gzip([]byte(`{"Records":[]}`)), 0o644)
		code, out, _ = runCLI(t, verifyArgs("", "--from-dir", dir, "--public-keys", keys)...)
		if code != ExitRuntime || !strings.Contains(out, "LOG_MODIFIED") {
			t.Errorf("exit %d, want 1 with LOG_MODIFIED:\n%s", code, out)
		}
	})
}

func TestVerifyUsageErrors(t *testing.T) {
	keys := writeFile(t, "bad-keys.json", `{"PublicKeyList":[{"Value":"bm90IGEga2V5","Fingerprint":"00"}]}`)
	// A valid key file, so that the --from-dir checks are reached.
	k, err := chaingen.NewSigner(1024, time.Now(), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	goodKeys := writeFile(t, "keys.json", `{"PublicKeyList":[{"Value":"`+b64(k.Public.DER)+`"}]}`)
	emptyDir := t.TempDir()
	for _, tc := range []struct {
		want string
		args []string
	}{
		{"is not a trail ARN", []string{"verify", "--trail-arn", "arn:aws:s3:::bucket", "--start-time", vStart}},
		{"--trail-arn is required", []string{"verify", "--start-time", vStart}},
		{"--start-time is required", []string{"verify", "--trail-arn", vARN}},
		{"is not before --end-time", []string{"verify", "--trail-arn", vARN, "--start-time", vEnd, "--end-time", vStart}},
		{"is not a time", []string{"verify", "--trail-arn", vARN, "--start-time", "yesterday"}},
		{`--format: unknown format "xml"`, []string{"verify", "--trail-arn", vARN, "--start-time", vStart, "--format", "xml"}},
		{`unknown region "europe"`, []string{"verify", "--trail-arn", vARN, "--start-time", vStart, "--regions", "Europe"}},
		{"--from-dir needs --public-keys", []string{"verify", "--trail-arn", vARN, "--start-time", vStart, "--from-dir", t.TempDir()}},
		{"--public-keys", []string{"verify", "--trail-arn", vARN, "--start-time", vStart, "--public-keys", keys}},
		{"--from-dir", []string{"verify", "--trail-arn", vARN, "--start-time", vStart, "--public-keys", goodKeys, "--s3-bucket", "b",
			"--from-dir", filepath.Join(emptyDir, "does-not-exist")}},
		{"has no folder for bucket", []string{"verify", "--trail-arn", vARN, "--start-time", vStart, "--public-keys", goodKeys, "--s3-bucket", "b",
			"--from-dir", emptyDir}},
		{"--to is required", []string{"pull", "--trail-arn", vARN, "--start-time", vStart}},
		{"--regions is required", []string{"keys", "export", "--start-time", vStart}},
	} {
		assertUserError(t, ExitUsage, tc.want, tc.args...)
	}
}

// TestVerifyDemo runs the demo hook: a generated archive with one tampered
// log and one deleted digest, verified offline.
func TestVerifyDemo(t *testing.T) {
	var out, errOut bytes.Buffer
	g := &globals{stdout: &out, stderr: &errOut, logger: nil}
	g.logger = discardLogger()
	if err := runVerifyDemo(context.Background(), g); err != nil {
		t.Fatalf("runVerifyDemo: %v\n%s", err, out.String())
	}
	for _, want := range []string{"LOG_MODIFIED", "DIGEST_MISSING", "RESULT: INVALID"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %s:\n%s", want, out.String())
		}
	}
}

// awsCLIResult is what 'aws cloudtrail validate-logs' said.
type awsCLIResult struct {
	code    int
	invalid []string // keys reported INVALID
	output  string
}

var awsInvalidLine = regexp.MustCompile(`(?m)^(?:\(backfill\) )?(?:Digest|Log) file\ts3://[^/]+/(\S+)\tINVALID`)

func runAWSCLI(t *testing.T, e *verifyEnv, bucket string) awsCLIResult {
	t.Helper()
	args := []string{"cloudtrail", "validate-logs", "--trail-arn", vARN, "--start-time", vStart, "--end-time", vEnd, "--region", "us-east-1"}
	if bucket != "" {
		args = append(args, "--s3-bucket", bucket)
	}
	cmd := exec.Command("aws", args...)
	cmd.Env = append(os.Environ(), e.env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("aws cli: %v (is the AWS CLI installed?)", err)
	}
	r := awsCLIResult{code: code, output: out.String()}
	for _, m := range awsInvalidLine.FindAllStringSubmatch(r.output, -1) {
		r.invalid = append(r.invalid, m[1])
	}
	sort.Strings(r.invalid)
	return r
}

func runTrailseal(t *testing.T, bucket string) (int, *verify.Report) {
	t.Helper()
	code, out, errOut := runCLI(t, verifyArgs(bucket, "--format", "json", "--regions", "us-east-1")...)
	var r verify.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("trailseal exit %d, no JSON report: %v\n%s", code, err, errOut)
	}
	return code, &r
}

func problemKeys(r *verify.Report) []string {
	var keys []string
	for _, p := range r.Problems() {
		keys = append(keys, p.Key)
	}
	sort.Strings(keys)
	return keys
}

// TestAgreesWithAWSCLI re-expresses the scenarios of the AWS CLI's own
// validate-logs tests (valid chain, modified and deleted logs and digests,
// gaps, backfill) on the same data in moto and runs both tools: where the
// AWS CLI is right they must flag the same objects. The last cases are
// tampering the AWS CLI does not detect; trailseal must.
func TestAgreesWithAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatal("the AWS CLI (aws) is needed as the independent baseline: pip install awscli")
	}
	e := startVerifyEnv(t)
	type scenario struct {
		name    string
		spec    func(*chaingen.Spec)
		corrupt func(a *chaingen.Archive)
	}
	digest := func(a *chaingen.Archive, i int) string { return a.DigestKeys("us-east-1")[i] }
	logKey := func(a *chaingen.Archive, i int) string { return a.LogKeys("us-east-1")[i] }
	agree := []scenario{
		{name: "valid"},
		{name: "modified log", corrupt: func(a *chaingen.Archive) {
			o := a.Get(logKey(a, 5))
			o.Body = chaingen.Gzip(append(chaingen.Gunzip(o.Body), ' '))
		}},
		{name: "deleted log", corrupt: func(a *chaingen.Archive) { a.Delete(logKey(a, 9)) }},
		{name: "modified digest", corrupt: func(a *chaingen.Archive) {
			o := a.Get(digest(a, 2))
			o.Body = chaingen.Gzip(bytes.Replace(chaingen.Gunzip(o.Body), []byte(`"awsAccountId":"`), []byte(`"awsAccountId": "`), 1))
		}},
		{name: "deleted digest", corrupt: func(a *chaingen.Archive) { a.Delete(digest(a, 3)) }},
		{name: "invalid signature metadata", corrupt: func(a *chaingen.Archive) {
			a.Get(digest(a, 4)).Metadata["signature"] = strings.Repeat("ab", 128)
		}},
		{name: "backfill", corrupt: func(a *chaingen.Archive) {
			if _, err := a.AddBackfill("us-east-1", vFirst.Add(2*time.Hour), 2, vFirst.Add(3*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for i, sc := range agree {
		t.Run(sc.name, func(t *testing.T) {
			bucket := "agree-bucket-" + itoa(int64(i))
			e.seed(t, bucket, sc.spec, sc.corrupt)
			cli := runAWSCLI(t, e, bucket)
			t.Logf("AWS CLI exit %d:\n%s", cli.code, cli.output)
			code, r := runTrailseal(t, bucket)
			if got, want := problemKeys(r), cli.invalid; strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("trailseal flagged %v, the AWS CLI %v\nAWS CLI output:\n%s", got, want, cli.output)
			}
			if code != cli.code {
				t.Errorf("trailseal exit %d, AWS CLI exit %d\n%s", code, cli.code, cli.output)
			}
			if sc.name == "backfill" && !strings.Contains(cli.output, "1/1 backfill digest files valid") {
				t.Errorf("the AWS CLI did not validate the backfill digest:\n%s", cli.output)
			}
		})
	}

	t.Run("gap: both report it, only trailseal exits non-zero (3)", func(t *testing.T) {
		e.seed(t, "agree-gap", func(s *chaingen.Spec) { s.GapHours = map[int]bool{2: true} }, nil)
		cli := runAWSCLI(t, e, "agree-gap")
		code, r := runTrailseal(t, "agree-gap")
		// The gap's three log files are listed as not covered: no digest
		// protects them. Nothing else is a problem.
		notCovered := 0
		for _, p := range r.Problems() {
			if p.Reasons[0] == verify.LogNotCovered {
				notCovered++
			}
		}
		if len(r.Gaps) != 1 || len(r.Problems()) != 3 || notCovered != 3 || code != ExitGaps || r.Outcome != verify.OutcomeGaps {
			t.Fatalf("trailseal: exit %d, gaps %v, problems %v", code, r.Gaps, r.Problems())
		}
		g := r.Gaps[0]
		want := "between " + g.From.Format("2006-01-02T15:04:05Z") + " and " + g.To.Format("2006-01-02T15:04:05Z")
		if cli.code != 0 || !strings.Contains(cli.output, want) {
			t.Errorf("AWS CLI exit %d, output lacks %q:\n%s", cli.code, want, cli.output)
		}
	})

	missed := []struct {
		scenario
		reason verify.Reason
	}{
		{scenario{name: "second gzip member appended to a log", corrupt: func(a *chaingen.Archive) {
			o := a.Get(logKey(a, 4))
			o.Body = append(o.Body, chaingen.Gzip([]byte(`{"Records":[{"eventName":"Forged"}]}`))...)
		}}, verify.LogTrailingData},
		{scenario{name: "log added that no digest names", corrupt: func(a *chaingen.Archive) {
			k := a.Spec.Layout.LogKey("us-east-1", vFirst.Add(90*time.Minute), "ADDED0000000000")
			a.Objects[a.Spec.Bucket+"/"+k] = &chaingen.Object{Bucket: a.Spec.Bucket, Key: k, Body: chaingen.Gzip([]byte(`{"Records":[]}`))}
		}}, verify.LogUnreferenced},
		{scenario{name: "newest digests deleted", corrupt: func(a *chaingen.Archive) {
			a.Delete(digest(a, 5))
			a.Delete(digest(a, 4))
		}}, verify.DigestChainEndsEarly},
	}
	for i, sc := range missed {
		t.Run("AWS CLI misses: "+sc.name, func(t *testing.T) {
			bucket := "missed-bucket-" + itoa(int64(i))
			e.seed(t, bucket, sc.spec, sc.corrupt)
			cli := runAWSCLI(t, e, bucket)
			code, r := runTrailseal(t, bucket)
			if cli.code != 0 || len(cli.invalid) != 0 {
				t.Errorf("the AWS CLI now detects this (exit %d, %v): update docs/verify.md", cli.code, cli.invalid)
			}
			found := false
			for _, p := range r.Problems() {
				found = found || (len(p.Reasons) > 0 && p.Reasons[0] == sc.reason)
			}
			if code != ExitRuntime || !found {
				t.Errorf("trailseal exit %d, problems %v; want %s", code, r.Problems(), sc.reason)
			}
		})
	}
}

func b64(b []byte) string { return base64Std(b) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestKeysExportCoversLinkBeforeStart: the first digest of a period links
// to one that ended before --start-time, which verify checks too. Its key
// may have expired just before --start-time; the export must include it,
// as the online verify asks ListPublicKeys from three hours earlier.
func TestKeysExportCoversLinkBeforeStart(t *testing.T) {
	m, err := testenv.StartMoto()
	if err != nil {
		t.Fatal(err) // a missing emulator is a failure, never a skip
	}
	t.Cleanup(m.Stop)
	old, err := chaingen.NewSigner(1024, vFirst.Add(-48*time.Hour), vFirst.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	cur, err := chaingen.NewSigner(1024, vFirst.Add(-time.Hour), vFirst.Add(365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	p, err := testenv.StartKeysProxy(m.Endpoint,
		testenv.PublicKey{DER: old.Public.DER, Fingerprint: old.Public.Fingerprint, From: old.ValidFrom, To: old.ValidTo, Region: "us-east-1"},
		testenv.PublicKey{DER: cur.Public.DER, Fingerprint: cur.Public.Fingerprint, From: cur.ValidFrom, To: cur.ValidTo, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	testenv.SetEnv(t, p.URL, "us-east-1")
	// The period starts 30 minutes after the old key's last moment.
	start := vFirst.Add(-30 * time.Minute).Format(time.RFC3339)
	code, out, errOut := runCLI(t, "keys", "export", "--regions", "us-east-1", "--start-time", start, "--end-time", vEnd)
	if code != ExitOK {
		t.Fatalf("keys export exit %d: %s", code, errOut)
	}
	keys, err := verify.ReadKeysFile(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	var fps []string
	for _, k := range keys {
		fps = append(fps, k.Fingerprint)
	}
	if !slices.Contains(fps, old.Public.Fingerprint) || !slices.Contains(fps, cur.Public.Fingerprint) {
		t.Errorf("exported %v, want both the current key and the one valid until just before --start-time", fps)
	}
}

// TestAgreesWithAWSCLIAcrossBucketChange re-expresses the AWS CLI's
// bucket-change scenarios: the trail moved to a new bucket at hour 3, the
// first digest there links into the old bucket, and both tools, started
// on the new bucket, follow the chain into the old one and flag the same
// objects there. Pull then copies both buckets' parts and verify agrees
// offline.
func TestAgreesWithAWSCLIAcrossBucketChange(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatal("the AWS CLI (aws) is needed as the independent baseline: pip install awscli")
	}
	e := startVerifyEnv(t)
	ctx := context.Background()
	oldDigest := func(a *chaingen.Archive, i int) string { return a.DigestKeys("us-east-1")[i] }
	oldLog := func(a *chaingen.Archive, i int) string { return a.LogKeys("us-east-1")[i] }
	scenarios := []struct {
		name    string
		corrupt func(a *chaingen.Archive)
		want    int // objects flagged
	}{
		{name: "valid"},
		{name: "modified log in the old bucket", want: 1, corrupt: func(a *chaingen.Archive) {
			o := a.Get(oldLog(a, 4))
			o.Body = chaingen.Gzip(append(chaingen.Gunzip(o.Body), ' '))
		}},
		{name: "deleted log in the old bucket", want: 1, corrupt: func(a *chaingen.Archive) { a.Delete(oldLog(a, 2)) }},
		{name: "deleted digest in the old bucket", want: 1, corrupt: func(a *chaingen.Archive) { a.Delete(oldDigest(a, 1)) }},
		{name: "deleted digest the new bucket links to", want: 1, corrupt: func(a *chaingen.Archive) { a.Delete(oldDigest(a, 2)) }},
		{name: "invalid signature in the old bucket", want: 1, corrupt: func(a *chaingen.Archive) {
			a.Get(oldDigest(a, 0)).Metadata["signature"] = strings.Repeat("ab", 128)
		}},
	}
	for i, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			oldBucket, newBucket := "moved-old-"+itoa(int64(i)), "moved-new-"+itoa(int64(i))
			if _, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(newBucket)}); err != nil {
				t.Fatal(err)
			}
			e.seed(t, oldBucket, func(s *chaingen.Spec) { s.Move = &chaingen.Move{At: 3, Bucket: newBucket} }, sc.corrupt)
			cli := runAWSCLI(t, e, newBucket)
			t.Logf("AWS CLI exit %d:\n%s", cli.code, cli.output)
			// Valid files are only counted: 6 digests means it walked the
			// three in the old bucket too.
			followed := strings.Contains(cli.output, "s3://"+oldBucket+"/")
			if sc.name == "valid" {
				followed = strings.Contains(cli.output, "6/6 digest files valid") && strings.Contains(cli.output, "18/18 log files valid")
			}
			if !followed {
				t.Fatalf("the AWS CLI did not follow the chain into %s:\n%s", oldBucket, cli.output)
			}
			code, r := runTrailseal(t, newBucket)
			if got, want := problemKeys(r), cli.invalid; strings.Join(got, "\n") != strings.Join(want, "\n") || len(got) != sc.want {
				t.Errorf("trailseal flagged %v, the AWS CLI %v, want %d\nAWS CLI output:\n%s", got, want, sc.want, cli.output)
			}
			if code != cli.code {
				t.Errorf("trailseal exit %d, AWS CLI exit %d\n%s", code, cli.code, cli.output)
			}
			for _, p := range r.Problems() {
				if p.Bucket != oldBucket {
					t.Errorf("problem %s %v reported in s3://%s, want the old bucket", p.Key, p.Reasons, p.Bucket)
				}
			}
			if len(r.Earlier) != 1 || r.Earlier[0].Bucket != oldBucket {
				t.Errorf("earlier locations %+v, want %s", r.Earlier, oldBucket)
			}
			if sc.name != "valid" {
				return
			}
			// The valid chain, pulled and verified offline: the old
			// bucket's part is copied to DIR/<old bucket>/.
			dir := t.TempDir()
			code, out, errOut := runCLI(t, "pull", "--trail-arn", vARN, "--start-time", vStart, "--end-time", vEnd, "--s3-bucket", newBucket, "--to", dir)
			if code != ExitOK || !strings.Contains(out, "Copied 6 digest files and 18 log files") || !strings.Contains(out, "s3://"+oldBucket) {
				t.Fatalf("pull exit %d:\n%s%s", code, out, errOut)
			}
			keys := filepath.Join(t.TempDir(), "keys.json")
			code, kout, errOut := runCLI(t, "keys", "export", "--regions", "us-east-1", "--start-time", vStart, "--end-time", vEnd)
			if code != ExitOK {
				t.Fatalf("keys export exit %d: %s", code, errOut)
			}
			if err := os.WriteFile(keys, []byte(kout), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, _ = runCLI(t, verifyArgs(newBucket, "--regions", "us-east-1", "--from-dir", dir, "--public-keys", keys)...)
			// Offline, files are named by their path in the copy.
			if code != ExitOK || !strings.Contains(out, "followed into "+filepath.Join(dir, oldBucket)) || strings.Contains(out, "s3://") {
				t.Errorf("offline verify exit %d:\n%s", code, out)
			}
		})
	}
}
