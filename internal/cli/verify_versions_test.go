package cli

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/trailseal/trailseal/internal/verify"
	"github.com/trailseal/trailseal/internal/verify/chaingen"
)

// TestVerifyRecoversDeletedFromVersions deletes a log file and a digest in
// a versioned bucket (S3 then keeps a delete marker and the old version;
// moto does the same), and overwrites and then deletes another log file.
// verify must report each delete marker, say which surviving version is
// valid and which modified, and print the command that restores it; the
// printed commands, run with the AWS CLI, make the chain valid again. On
// an intact archive no version is looked up at all.
func TestVerifyRecoversDeletedFromVersions(t *testing.T) {
	e := startVerifyEnv(t)
	ctx := context.Background()
	const bucket = "versioned-trail"
	if _, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	a := e.fill(t, bucket, nil, nil)
	args := verifyArgs(bucket, "--regions", "us-east-1")
	versionCalls := func() int {
		return e.proxy.Calls("s3:ListObjectVersions") + e.proxy.Calls("s3:GetBucketVersioning") + e.proxy.Calls("s3:GetObjectVersion")
	}

	if code, out, _ := runCLI(t, args...); code != ExitOK {
		t.Fatalf("intact archive: exit %d\n%s", code, out)
	}
	if n := versionCalls(); n != 0 {
		t.Errorf("%d version calls on an intact archive, want 0", n)
	}

	logs, digests := a.LogKeys("us-east-1"), a.DigestKeys("us-east-1")
	deletedLog, overwritten, deletedDigest := logs[4], logs[10], digests[2]
	if _, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(overwritten),
		Body: bytes.NewReader(chaingen.Gzip([]byte(`{"Records":[]}`)))}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{deletedLog, overwritten, deletedDigest} {
		if _, err := e.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
	}
	code, out, _ := runCLI(t, append(args, "--format", "json")...)
	r := reportOf(t, out)
	if code != ExitRuntime {
		t.Fatalf("exit %d, want 1", code)
	}
	found := map[string]verify.RecoveredObject{}
	for _, p := range r.Problems() {
		if p.Recovery == nil || p.Recovery.Versioning != "Enabled" || len(p.Recovery.Objects) != 1 {
			t.Fatalf("%s %v: recovery %+v", p.Key, p.Reasons, p.Recovery)
		}
		o := p.Recovery.Objects[0]
		if o.DeleteMarker == nil || o.DeleteMarker.VersionID == "" || o.DeleteMarker.Time.IsZero() || o.Version == nil {
			t.Errorf("%s: no delete marker or surviving version: %+v", p.Key, o)
		}
		found[p.Key] = o
	}
	for key, want := range map[string]string{deletedLog: verify.VersionValid, deletedDigest: verify.VersionValid, overwritten: verify.VersionModified} {
		if got := found[key]; got.Verdict != want {
			t.Errorf("%s: verdict %q (%s), want %s", key, got.Verdict, got.Detail, want)
		}
	}

	code, text, _ := runCLI(t, args...)
	if code != ExitRuntime || !strings.Contains(text, "recoverable: valid version "+found[deletedLog].Version.VersionID) ||
		!strings.Contains(text, "recoverable but modified: version "+found[overwritten].Version.VersionID) ||
		!strings.Contains(text, "deleted at ") {
		t.Fatalf("text report lacks the recovery lines:\n%s", text)
	}
	// The responder runs the printed commands (the valid versions only).
	restores := regexp.MustCompile(`(?m)^\s+restore: (aws s3api copy-object .*)$`).FindAllStringSubmatch(text, -1)
	if len(restores) != 2 {
		t.Fatalf("%d restore commands, want 2:\n%s", len(restores), text)
	}
	for _, m := range restores {
		cmd := exec.Command("sh", "-c", m[1])
		cmd.Env = append(os.Environ(), e.env...)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", m[1], err, b)
		}
	}
	code, out, _ = runCLI(t, append(args, "--format", "json")...)
	r = reportOf(t, out)
	if p := r.Problems(); code != ExitRuntime || len(p) != 1 || p[0].Key != overwritten {
		t.Errorf("after the restore: exit %d, problems %+v; want only the overwritten log", code, p)
	}
}

// TestVerifyDeletedInUnversionedBucket: without versioning S3 keeps
// nothing of a deleted object, and the report says so.
func TestVerifyDeletedInUnversionedBucket(t *testing.T) {
	e := startVerifyEnv(t)
	var gone string
	e.seed(t, "unversioned-trail", nil, func(a *chaingen.Archive) {
		gone = a.LogKeys("us-east-1")[3]
		a.Delete(gone)
	})
	code, out, _ := runCLI(t, verifyArgs("unversioned-trail", "--regions", "us-east-1")...)
	if code != ExitRuntime || !strings.Contains(out, gone) || !strings.Contains(out, "not recoverable from S3: the bucket is not versioned") {
		t.Errorf("exit %d, want the missing log said not recoverable:\n%s", code, out)
	}
	if n := e.proxy.Calls("s3:ListObjectVersions"); n != 0 {
		t.Errorf("%d ListObjectVersions calls on an unversioned bucket", n)
	}
}

// TestVerifyGapExitCodes: a legitimate restart (validation off for two
// hours, then a new chain CloudTrail signed with previousDigestSignature
// null) exits 3 with the gap's log files LOG_NOT_COVERED and "GAPS" on
// the result line; tampering in the same run exits 1; an unreadable
// object in it exits 4 (3 only when everything present was checked).
func TestVerifyGapExitCodes(t *testing.T) {
	e := startVerifyEnv(t)
	gap := func(s *chaingen.Spec) { s.GapHours = map[int]bool{2: true, 3: true} }
	var inGap []string
	a := e.seed(t, "restarted-trail", gap, nil)
	inGap = a.LogKeys("us-east-1")[6:12]
	code, out, _ := runCLI(t, verifyArgs("restarted-trail", "--regions", "us-east-1")...)
	if code != ExitGaps || !strings.Contains(out, "RESULT: GAPS: every file present is valid, but no digest covers us-east-1 2026-03-01T02:01:31Z to 2026-03-01T04:01:31Z (6 log files not covered)") ||
		strings.Contains(out, "modified") || strings.Count(out, "LOG_NOT_COVERED") != 6 || !strings.Contains(out, "6 not covered") {
		t.Errorf("restart: exit %d, want 3 with GAPS and 6 LOG_NOT_COVERED:\n%s", code, out)
	}
	for _, k := range inGap {
		if !strings.Contains(out, k) {
			t.Errorf("log file %s of the gap is not listed", k)
		}
	}

	e.seed(t, "restarted-and-tampered", gap, func(a *chaingen.Archive) {
		o := a.Get(a.LogKeys("us-east-1")[15])
		o.Body = chaingen.Gzip(append(chaingen.Gunzip(o.Body), ' '))
	})
	code, out, _ = runCLI(t, verifyArgs("restarted-and-tampered", "--regions", "us-east-1")...)
	if code != ExitRuntime || !strings.Contains(out, "LOG_MODIFIED") || !strings.Contains(out, "RESULT: INVALID") || !strings.Contains(out, "the period also has gaps") {
		t.Errorf("restart and tampering: exit %d, want 1:\n%s", code, out)
	}

	e.proxy.Fail(a.LogKeys("us-east-1")[1], http.StatusForbidden, "AccessDenied", 1000)
	code, out, _ = runCLI(t, verifyArgs("restarted-trail", "--regions", "us-east-1")...)
	if code != ExitUnverifiable || !strings.Contains(out, "LOG_READ_ERROR") || !strings.Contains(out, "RESULT: UNVERIFIABLE") {
		t.Errorf("restart and an unreadable log: exit %d, want 4:\n%s", code, out)
	}
}
