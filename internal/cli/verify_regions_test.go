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

	"github.com/trailseal/trailseal/internal/verify"
	"github.com/trailseal/trailseal/internal/verify/chaingen"
)

// threeRegions are the regions the multi-region tests' accounts have
// enabled; every other region is reported DISABLED by account:ListRegions.
var threeRegions = []string{"ap-southeast-2", "eu-west-1", "us-east-1"}

func regionStatus(enabled ...string) map[string]string {
	m := map[string]string{"af-south-1": "DISABLED", "me-south-1": "DISABLED", "ap-east-1": "DISABLED"}
	for _, r := range enabled {
		m[r] = "ENABLED_BY_DEFAULT"
	}
	return m
}

// createTrail makes the trail of vARN in moto, recording every region or
// only its home region.
func (e *verifyEnv) createTrail(t *testing.T, bucket string, multiRegion bool) {
	t.Helper()
	if _, err := e.ct.CreateTrail(context.Background(), &cloudtrail.CreateTrailInput{Name: aws.String("org-audit"),
		S3BucketName: aws.String(bucket), EnableLogFileValidation: aws.Bool(true), IsMultiRegionTrail: aws.Bool(multiRegion)}); err != nil {
		t.Fatal(err)
	}
}

// createBucketIn creates bucket in region (LocationConstraint), as a
// central logging bucket often is elsewhere than the trail.
func (e *verifyEnv) createBucketIn(t *testing.T, bucket, region string) {
	t.Helper()
	in := &s3.CreateBucketInput{Bucket: aws.String(bucket)}
	if region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(region)}
	}
	if _, err := e.s3.CreateBucket(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

func reportOf(t *testing.T, out string) *verify.Report {
	t.Helper()
	var r verify.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not a JSON report: %v\n%s", err, out)
	}
	return &r
}

// TestVerifyMultiRegionTrail: an organization trail records three regions
// of a member account, each region's digests signed with that region's own
// key (as CloudTrail signs), in a central bucket in another region than
// the trail. It verifies online (ListPublicKeys asked once in each
// region), offline after pull and keys export --regions all, and with key
// files merged from two exports; a key file of the wrong region gives
// DIGEST_KEY_NOT_FOUND naming the region looked in.
func TestVerifyMultiRegionTrail(t *testing.T) {
	e := startVerifyEnv(t)
	const member, org, bucket = "444455556666", "o-a1b2c3d4e5", "central-trail-logs"
	e.proxy.SetRegions(member, regionStatus(threeRegions...))
	e.proxy.SetRegions("", regionStatus(threeRegions...))
	e.createBucketIn(t, bucket, "eu-west-1")
	a := e.fill(t, bucket, func(s *chaingen.Spec) {
		s.Regions, s.Layout.OrgID, s.Layout.AccountID = threeRegions, org, member
	}, nil)
	if a.Get(a.DigestKeys("eu-west-1")[0]) == nil {
		t.Fatal("archive lacks eu-west-1")
	}
	e.createTrail(t, bucket, true)
	args := func(extra ...string) []string {
		return verifyArgs("", append([]string{"--account-id", member}, extra...)...)
	}

	t.Run("online, each region's keys from its own region", func(t *testing.T) {
		before := e.proxy.ListPublicKeysByRegion()
		code, out, errOut := runCLI(t, args()...)
		if code != ExitOK || !strings.Contains(out, "RESULT: all digests and log files are valid") {
			t.Fatalf("exit %d:\n%s%s", code, out, errOut)
		}
		for _, r := range threeRegions {
			if !strings.Contains(out, r+": digests 6 valid") {
				t.Errorf("no 6 valid digests for %s:\n%s", r, out)
			}
			if n := e.proxy.ListPublicKeysByRegion()[r] - before[r]; n != 1 {
				t.Errorf("ListPublicKeys asked %d times in %s, want once", n, r)
			}
		}
		code, out, _ = runCLI(t, args("--regions", "all", "--format", "json")...)
		r := reportOf(t, out)
		if code != ExitOK || strings.Join(r.Regions, ",") != strings.Join(threeRegions, ",") {
			t.Errorf("--regions all: exit %d, regions %v", code, r.Regions)
		}
		for _, d := range r.Digests {
			if want := e.signers[d.Region].Public.Fingerprint; d.KeyFingerprint != want || d.KeyRegion != d.Region {
				t.Errorf("%s: signed by %s of %q, want %s of %s", d.Key, d.KeyFingerprint, d.KeyRegion, want, d.Region)
			}
		}
	})

	dir := t.TempDir()
	export := func(t *testing.T, regions string) string {
		t.Helper()
		code, out, errOut := runCLI(t, "keys", "export", "--regions", regions, "--start-time", vStart, "--end-time", vEnd)
		if code != ExitOK {
			t.Fatalf("keys export --regions %s: exit %d: %s", regions, code, errOut)
		}
		return writeFile(t, "keys.json", out)
	}

	t.Run("offline after pull and keys export --regions all", func(t *testing.T) {
		code, out, errOut := runCLI(t, "pull", "--trail-arn", vARN, "--start-time", vStart, "--end-time", vEnd, "--account-id", member, "--to", dir)
		if code != ExitOK || !strings.Contains(out, "Copied 18 digest files and 54 log files") {
			t.Fatalf("pull exit %d:\n%s%s", code, out, errOut)
		}
		keys := export(t, "all")
		exported, err := os.ReadFile(keys)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range threeRegions {
			if !strings.Contains(string(exported), `"Region": "`+r+`"`) {
				t.Errorf("export lacks a key of %s:\n%s", r, exported)
			}
		}
		code, out, errOut = runCLI(t, args("--from-dir", dir, "--public-keys", keys)...)
		if code != ExitOK || strings.Count(out, ": digests 6 valid") != 3 {
			t.Fatalf("offline verify: exit %d:\n%s%s", code, out, errOut)
		}
	})

	t.Run("key files merged", func(t *testing.T) {
		home, others := export(t, "us-east-1"), export(t, "eu-west-1,ap-southeast-2")
		before := e.proxy.ListPublicKeysCalls()
		code, out, errOut := runCLI(t, args("--public-keys", home, "--public-keys", others)...)
		if code != ExitOK {
			t.Fatalf("exit %d:\n%s%s", code, out, errOut)
		}
		if n := e.proxy.ListPublicKeysCalls() - before; n != 0 {
			t.Errorf("ListPublicKeys called %d times with key files", n)
		}
	})

	t.Run("a key file of the wrong region", func(t *testing.T) {
		home := export(t, "us-east-1")
		code, out, _ := runCLI(t, args("--from-dir", dir, "--public-keys", home)...)
		if code != ExitRuntime || !strings.Contains(out, "no public key of region eu-west-1 has fingerprint "+e.signers["eu-west-1"].Public.Fingerprint) ||
			!strings.Contains(out, "no public key of region ap-southeast-2") || strings.Contains(out, "no public key of region us-east-1") {
			t.Errorf("exit %d, want 1 with DIGEST_KEY_NOT_FOUND for eu-west-1 and ap-southeast-2 only:\n%s", code, out)
		}
		// A file that files eu-west-1's key under us-east-1: a key is
		// only used for the region it is listed in.
		b, err := os.ReadFile(export(t, "eu-west-1"))
		if err != nil {
			t.Fatal(err)
		}
		wrong := writeFile(t, "wrong.json", strings.ReplaceAll(string(b), `"Region": "eu-west-1"`, `"Region": "us-east-1"`))
		code, out, _ = runCLI(t, args("--from-dir", dir, "--public-keys", home, "--public-keys", wrong, "--regions", "eu-west-1,us-east-1")...)
		if code != ExitRuntime || !strings.Contains(out, "DIGEST_KEY_NOT_FOUND") || !strings.Contains(out, "the key files hold it for us-east-1") {
			t.Errorf("exit %d, want DIGEST_KEY_NOT_FOUND saying where the key files put the key:\n%s", code, out)
		}
	})

	t.Run("an opted-in region without digests is manual", func(t *testing.T) {
		st := regionStatus(threeRegions...)
		st["af-south-1"] = "ENABLED"
		e.proxy.SetRegions(member, st)
		defer e.proxy.SetRegions(member, regionStatus(threeRegions...))
		code, out, _ := runCLI(t, args()...)
		if code != ExitUnverifiable || !strings.Contains(out, "REGION_OPT_IN_TIME_UNKNOWN") || !strings.Contains(out, "af-south-1") {
			t.Errorf("exit %d, want 4 with REGION_OPT_IN_TIME_UNKNOWN for af-south-1:\n%s", code, out)
		}
	})
}

// TestVerifyRegionDeletedWhole deletes every object of one region a
// multi-region trail records, the home region or another: no folder is
// left to find, and verify must still say DIGEST_NONE for it and exit 1,
// with or without --regions, online and offline.
func TestVerifyRegionDeletedWhole(t *testing.T) {
	e := startVerifyEnv(t)
	e.proxy.SetRegions("", regionStatus(threeRegions...))
	e.seed(t, "trail-current-bucket", nil, nil)
	e.createTrail(t, "trail-current-bucket", true)
	for _, gone := range []string{"us-east-1", "eu-west-1"} {
		t.Run(gone, func(t *testing.T) {
			bucket := "deleted-" + gone
			e.seed(t, bucket, func(s *chaingen.Spec) { s.Regions = threeRegions }, func(a *chaingen.Archive) {
				for _, k := range append(a.DigestKeys(gone), a.LogKeys(gone)...) {
					a.Delete(k)
				}
			})
			for _, extra := range [][]string{nil, {"--regions", "all"}, {"--regions", strings.Join(threeRegions, ",")}} {
				code, out, errOut := runCLI(t, verifyArgs(bucket, append(extra, "--format", "json")...)...)
				r := reportOf(t, out)
				problems := r.Problems()
				if code != ExitRuntime || len(problems) != 1 || problems[0].Reasons[0] != verify.DigestNone || problems[0].Region != gone {
					t.Errorf("%v: exit %d, problems %+v, want 1 with DIGEST_NONE for %s only\n%s", extra, code, problems, gone, errOut)
				}
			}
			dir := t.TempDir()
			code, out, errOut := runCLI(t, "pull", "--trail-arn", vARN, "--start-time", vStart, "--end-time", vEnd, "--s3-bucket", bucket, "--to", dir)
			if code != ExitOK {
				t.Fatalf("pull: exit %d\n%s%s", code, out, errOut)
			}
			keys := writeFile(t, "keys.json", keysJSON(t, e.signers.PublicKeys()))
			code, out, _ = runCLI(t, verifyArgs(bucket, "--from-dir", dir, "--public-keys", keys)...)
			if code != ExitRuntime || !strings.Contains(out, "DIGEST_NONE") || !strings.Contains(out, gone) {
				t.Errorf("offline: exit %d, want 1 with DIGEST_NONE for %s\n%s", code, gone, out)
			}
			// The pull record is what tells: without it the copy cannot say
			// which regions must be there, and the run is never a pass
			// (exit 4; exit 1 when the home region, always expected, is
			// the one gone).
			os.Remove(filepath.Join(dir, verify.PullRecordName))
			code, out, _ = runCLI(t, verifyArgs(bucket, "--from-dir", dir, "--public-keys", keys)...)
			want := ExitUnverifiable
			if gone == "us-east-1" {
				want = ExitRuntime
			}
			if code != want || !strings.Contains(out, "REGIONS_UNKNOWN") {
				t.Errorf("offline without the pull record: exit %d, want %d with REGIONS_UNKNOWN\n%s", code, want, out)
			}
		})
	}
}

// TestVerifyExpectedRegionsUnknown: when the trail's configuration cannot
// be read (the trail deleted, DescribeTrails denied) verify cannot tell
// which regions must have digests: never a pass (exit 4), until --regions
// names them. When account:ListRegions is denied, ec2:DescribeRegions
// answers instead.
func TestVerifyExpectedRegionsUnknown(t *testing.T) {
	e := startVerifyEnv(t)
	e.seed(t, "no-trail-bucket", nil, nil)
	code, out, _ := runCLI(t, verifyArgs("no-trail-bucket")...)
	if code != ExitUnverifiable || !strings.Contains(out, "REGIONS_UNKNOWN") || !strings.Contains(out, "--regions") {
		t.Errorf("trail not found: exit %d, want 4 with REGIONS_UNKNOWN:\n%s", code, out)
	}
	code, out, _ = runCLI(t, verifyArgs("no-trail-bucket", "--regions", "us-east-1")...)
	if code != ExitOK {
		t.Errorf("with --regions: exit %d:\n%s", code, out)
	}

	e.createTrail(t, "no-trail-bucket", true)
	e.proxy.FailListRegions(true)
	code, out, _ = runCLI(t, verifyArgs("no-trail-bucket", "--format", "json")...)
	r := reportOf(t, out)
	// moto's DescribeRegions reports many regions enabled: each must have
	// digests, and only us-east-1 has.
	if code != ExitRuntime || len(r.Expected.Regions) < 10 || r.Expected.Unknown != "" || e.proxy.Calls("account:ListRegions") == 0 {
		t.Errorf("ListRegions denied: exit %d, expected %+v", code, r.Expected)
	}
	none := 0
	for _, p := range r.Problems() {
		if p.Reasons[0] == verify.DigestNone {
			none++
		}
	}
	if none != len(r.Expected.Regions)-1 {
		t.Errorf("%d regions DIGEST_NONE, want %d", none, len(r.Expected.Regions)-1)
	}
}

// keysJSON writes keys as 'trailseal keys export' does.
func keysJSON(t *testing.T, keys []verify.PublicKey) string {
	t.Helper()
	var b strings.Builder
	if err := verify.WriteKeysFile(&b, keys); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestVerifyDocsAgree: docs/verify.md explains every reason code, and the
// help, the docs and the README give verify's exit codes alike.
func TestVerifyDocsAgree(t *testing.T) {
	doc, err := os.ReadFile("../../docs/verify.md")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range verify.Reasons {
		if !strings.Contains(string(doc), "| `"+string(r)+"` |") {
			t.Errorf("docs/verify.md has no table row for %s", r)
		}
	}
	_, help, _ := runCLI(t, "verify", "--help")
	for _, c := range []struct{ code, help, doc, readme string }{
		{"0", "0  every digest and log file in the period is valid", "| 0 | every digest and log file in the period is valid |", "every digest and log file is valid"},
		{"1", "1  something is invalid, missing or unreferenced", "| 1 | something is invalid, missing or unreferenced", "something is invalid or missing (wins over 3 and 4)"},
		{"3", "3  gaps: every file present is valid, but no digest covers part of the", "| 3 | gaps: every file present is valid, but no digest covers part of the period |", "gaps: every file present is valid, but no digest covers part of the period"},
		{"4", "4  could not verify: objects, keys or the expected regions could not be", "| 4 | could not verify: objects, keys or the expected regions could not be read", "could not verify: objects, keys or the regions that must have digests could not be read, and nothing is invalid (wins over 3)"},
	} {
		if !strings.Contains(help, c.help) || !strings.Contains(string(doc), c.doc) || !strings.Contains(string(readme), c.readme) {
			t.Errorf("exit %s: help %v, docs %v, README %v", c.code, strings.Contains(help, c.help), strings.Contains(string(doc), c.doc), strings.Contains(string(readme), c.readme))
		}
	}
}
