package verify_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailseal/trailseal/internal/testenv"
	"github.com/trailseal/trailseal/internal/verify"
	"github.com/trailseal/trailseal/internal/verify/chaingen"
)

// TestDeletedEvidenceIsNeverValid covers ways of removing digests that
// leave no broken link behind: every digest of a region, every digest of
// the trail, or the digests before a chain restart. Each must fail the run.
func TestDeletedEvidenceIsNeverValid(t *testing.T) {
	tests := []struct {
		name    string
		spec    func(*chaingen.Spec)
		corrupt func(a *chaingen.Archive) []finding
		opts    func(*verify.Options)
		outcome verify.Outcome
	}{
		{name: "every digest of one region deleted, its folder gone", outcome: verify.OutcomeInvalid,
			spec: func(s *chaingen.Spec) { s.Regions = []string{"eu-west-1", "us-east-1"} },
			corrupt: func(a *chaingen.Archive) []finding {
				for _, k := range a.DigestKeys("eu-west-1") {
					a.Delete(k)
				}
				var want []finding
				for _, k := range a.LogKeys("eu-west-1") {
					want = append(want, finding{reason: verify.LogUnreferenced, keyPart: k})
				}
				return want
			}},
		{name: "every digest of the period deleted in one region, older digests kept", outcome: verify.OutcomeInvalid,
			spec: func(s *chaingen.Spec) { s.Regions = []string{"eu-west-1", "us-east-1"} },
			corrupt: func(a *chaingen.Archive) []finding {
				keys := a.DigestKeys("eu-west-1")
				// Keep one older digest so the region folder still exists.
				old := a.Get(keys[0])
				oldKey := a.Spec.Layout.DigestKey("eu-west-1", first.Add(-72*time.Hour), false)
				a.Objects[a.Spec.Bucket+"/"+oldKey] = &chaingen.Object{Bucket: old.Bucket, Key: oldKey, Body: old.Body, Metadata: old.Metadata}
				for _, k := range keys {
					a.Delete(k)
				}
				var want []finding
				for _, k := range a.LogKeys("eu-west-1") {
					want = append(want, finding{reason: verify.LogUnreferenced, keyPart: k})
				}
				return want
			}},
		{name: "no digest at all under the trail's folder", outcome: verify.OutcomeInvalid,
			corrupt: func(a *chaingen.Archive) []finding {
				for _, k := range a.DigestKeys("us-east-1") {
					a.Delete(k)
				}
				for _, k := range a.LogKeys("us-east-1") {
					a.Delete(k)
				}
				return []finding{{reason: verify.DigestNone, keyPart: ""}}
			}},
		{name: "wrong prefix finds nothing", outcome: verify.OutcomeInvalid,
			opts: func(o *verify.Options) { o.Layout.Prefix = "not/the/prefix" },
			corrupt: func(a *chaingen.Archive) []finding {
				return []finding{{reason: verify.DigestNone, keyPart: ""}}
			}},
		{name: "logs before a chain start that no digest names", outcome: verify.OutcomeGaps,
			spec: func(s *chaingen.Spec) { s.GapHours = map[int]bool{0: true, 1: true} },
			corrupt: func(a *chaingen.Archive) []finding {
				// CloudTrail signed the chain start: validation was off
				// before it (or every earlier digest was deleted, which
				// looks the same). Never valid: a gap, its logs listed.
				return logFindings(verify.LogNotCovered, a.LogKeys("us-east-1")[:6])
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spec := newSpec(freshBucket(t))
			if tc.spec != nil {
				tc.spec(&spec)
			}
			a := generate(t, spec)
			want := tc.corrupt(a)
			upload(t, a)
			o := options(a)
			if tc.opts != nil {
				tc.opts(&o)
			}
			r := run(t, o)
			expectExactly(t, r, want...)
			if r.Outcome != tc.outcome {
				t.Errorf("outcome %s, want %s", r.Outcome, tc.outcome)
			}
		})
	}
}

// TestPullKeepsMissingSignature checks that a digest whose signature
// metadata was stripped is reported the same way offline as online, not
// verified with the signature the next digest remembers.
func TestPullKeepsMissingSignature(t *testing.T) {
	a := generate(t, newSpec(freshBucket(t)))
	k := a.DigestKeys("us-east-1")[2]
	a.Get(k).Metadata = nil
	upload(t, a)
	dir := t.TempDir()
	_, err := verify.Pull(context.Background(), verify.PullOptions{Store: verify.NewS3Store(s3client), Bucket: a.Spec.Bucket,
		Layout: a.Spec.Layout, Start: periodS, End: periodE, Dest: dir, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	o := options(a)
	o.Store, o.Offline = verify.DirStore{Root: dir}, true
	r := run(t, o)
	expectExactly(t, r, finding{reason: verify.DigestSignatureMissing, keyPart: k})
}

// TestDigestAfterEndTimeDeleted: --end-time falls inside an hour, so the
// digest naming that hour's logs ends after it. Deleting that digest must
// not leave the logs delivered before --end-time unchecked.
func TestDigestAfterEndTimeDeleted(t *testing.T) {
	a := generate(t, newSpec(freshBucket(t)))
	digests, logs := a.DigestKeys("us-east-1"), a.LogKeys("us-east-1")
	a.Delete(digests[5])
	// logs[16] (05:19) is before --end-time; logs[17] (05:36) is after it.
	o16 := a.Get(logs[16])
	raw := chaingen.Gunzip(o16.Body)
	raw[30] ^= 1
	o16.Body = chaingen.Gzip(raw)
	upload(t, a)
	o := options(a)
	o.End = first.Add(5*time.Hour + 30*time.Minute)
	r := run(t, o)
	expectExactly(t, r, finding{reason: verify.LogUnreferenced, keyPart: logs[15]}, finding{reason: verify.LogUnreferenced, keyPart: logs[16]})
	if r.Outcome != verify.OutcomeInvalid {
		t.Errorf("outcome %s, want invalid", r.Outcome)
	}
}

// TestValidationStoppedLogsContinue: the trail status says the newest
// digest is the latest delivered, but log files keep arriving without
// digests (validation turned off). Nothing proves them: a gap after the
// chain, its log files LOG_NOT_COVERED, never valid.
func TestValidationStoppedLogsContinue(t *testing.T) {
	spec := newSpec(freshBucket(t))
	spec.GapHours = map[int]bool{4: true, 5: true}
	a := generate(t, spec)
	upload(t, a)
	o := options(a)
	o.LatestDigestDelivery = first.Add(4*time.Hour + 3*time.Minute)
	r := run(t, o)
	expectExactly(t, r, logFindings(verify.LogNotCovered, a.LogKeys("us-east-1")[12:])...)
	if r.Outcome != verify.OutcomeGaps || len(r.Gaps) != 1 || r.Gaps[0].Where != verify.GapAfterChain || r.Gaps[0].Logs != 6 {
		t.Errorf("outcome %s, gaps %+v; want one gap after the chain with 6 log files", r.Outcome, r.Gaps)
	}
}

// TestPullMidChainVerifiesOffline: the first digest of a pulled period
// links to one before --start-time. The copy must hold that digest too, or
// the offline verify of an intact trail reports it missing.
func TestPullMidChainVerifiesOffline(t *testing.T) {
	a := generate(t, newSpec(freshBucket(t)))
	upload(t, a)
	dir := t.TempDir()
	start := first.Add(90 * time.Minute)
	stats, err := verify.Pull(context.Background(), verify.PullOptions{Store: verify.NewS3Store(s3client), Bucket: a.Spec.Bucket,
		Layout: a.Spec.Layout, Start: start, End: periodE, Dest: dir, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(stats.Missing) != 0 || len(stats.Failed) != 0 {
		t.Fatalf("pull stats %+v", stats)
	}
	o := options(a)
	o.Start = start
	o.Store, o.Offline = verify.DirStore{Root: dir}, true
	r := run(t, o)
	expectExactly(t, r)
	if r.Outcome != verify.OutcomeValid {
		t.Errorf("outcome %s, want valid", r.Outcome)
	}
}

// TestOfflineCopySymlinkedFolders: an evidence folder whose region and day
// folders are symbolic links (to another disk, say) is read like a plain
// one, not taken for a folder without digests.
func TestOfflineCopySymlinkedFolders(t *testing.T) {
	a := generate(t, newSpec("symlink-bucket"))
	real, dir := t.TempDir(), t.TempDir()
	if err := a.WriteDir(real, true); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, "symlink-bucket", "AWSLogs", "111122223333")
	for _, sub := range []string{"CloudTrail-Digest", "CloudTrail"} {
		if err := os.MkdirAll(filepath.Join(base, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		// The region folder is a link; so is the day folder inside it.
		target := filepath.Join(real, "symlink-bucket", "AWSLogs", "111122223333", sub, "us-east-1")
		if err := os.Symlink(target, filepath.Join(base, sub, "us-east-1")); err != nil {
			t.Fatal(err)
		}
		day := filepath.Join(target, "2026", "03", "01")
		moved := filepath.Join(real, sub+"-day")
		if err := os.Rename(day, moved); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(moved, day); err != nil {
			t.Fatal(err)
		}
	}
	o := options(a)
	o.Store, o.Offline = verify.DirStore{Root: dir}, true
	r := run(t, o)
	expectExactly(t, r)
	if r.Outcome != verify.OutcomeValid || len(r.Summary) != 1 || r.Summary[0].DigestsValid != 6 || r.Summary[0].LogsValid != 18 {
		t.Errorf("outcome %s, summary %+v; want 6 valid digests and 18 valid logs", r.Outcome, r.Summary)
	}
}

// TestDuplicateLogEntryConflictingHash: a digest that names one log file
// twice with different hashes cannot be satisfied; the entry that does not
// match must be reported, whichever comes first.
func TestDuplicateLogEntryConflictingHash(t *testing.T) {
	for _, wrongFirst := range []bool{false, true} {
		a := generate(t, newSpec(freshBucket(t)))
		k := a.DigestKeys("us-east-1")[5]
		var dup string
		if _, err := a.Resign(k, signer, func(d map[string]any) {
			logs := d["logFiles"].([]any)
			e := map[string]any{}
			for kk, vv := range logs[0].(map[string]any) {
				e[kk] = vv
			}
			dup = e["s3Object"].(string)
			e["hashValue"] = flipFirstByte(e["hashValue"].(string))
			if wrongFirst {
				d["logFiles"] = append([]any{e}, logs...)
			} else {
				d["logFiles"] = append(logs, e)
			}
		}); err != nil {
			t.Fatal(err)
		}
		upload(t, a)
		r := run(t, options(a))
		expectExactly(t, r, finding{reason: verify.LogModified, keyPart: dup})
		if r.Outcome != verify.OutcomeInvalid {
			t.Errorf("wrong entry first=%v: outcome %s, want invalid", wrongFirst, r.Outcome)
		}
	}
}

// TestSignatureMetadataCaseAndSpace: a signature in upper case with
// surrounding white space (a hand-edited metadata file) is the same
// signature; neither the digest nor its successor's link is reported.
func TestSignatureMetadataCaseAndSpace(t *testing.T) {
	a := generate(t, newSpec("sigspace-bucket"))
	k := a.DigestKeys("us-east-1")[2]
	md := a.Get(k).Metadata
	md["signature"] = " " + strings.ToUpper(md["signature"]) + "\n"
	dir := t.TempDir()
	if err := a.WriteDir(dir, true); err != nil {
		t.Fatal(err)
	}
	o := options(a)
	o.Store, o.Offline = verify.DirStore{Root: dir}, true
	r := run(t, o)
	expectExactly(t, r)
	if r.Outcome != verify.OutcomeValid {
		t.Errorf("outcome %s, want valid", r.Outcome)
	}
}

// TestLogsAwaitingTheirDigest: with --end-time now, the log files of the
// current hour have no digest yet. They are not reported.
func TestLogsAwaitingTheirDigest(t *testing.T) {
	spec := newSpec(freshBucket(t))
	spec.Hours, spec.GapHours = 7, map[int]bool{6: true} // hour 6: logs, digest not delivered yet
	a := generate(t, spec)
	upload(t, a)
	o := options(a)
	o.Now = first.Add(6*time.Hour + 40*time.Minute)
	o.End = o.Now
	r := run(t, o)
	expectExactly(t, r)
	if r.Outcome != verify.OutcomeValid {
		t.Errorf("outcome %s, want valid", r.Outcome)
	}
	if n := len(a.LogKeys("us-east-1")); n != 21 {
		t.Fatalf("archive has %d logs, want 21 (3 awaiting their digest)", n)
	}
}

// TestEmptyAndPaddedObjects: zero-length objects and gzip members followed
// by zero bytes are never valid, and an unreadable digest's own logs are
// not reported again as unnamed.
func TestEmptyAndPaddedObjects(t *testing.T) {
	a := generate(t, newSpec(freshBucket(t)))
	digests, logs := a.DigestKeys("us-east-1"), a.LogKeys("us-east-1")
	a.Get(digests[2]).Body = nil
	a.Get(logs[0]).Body = nil
	a.Get(logs[16]).Body = append(a.Get(logs[16]).Body, 0, 0, 0, 0)
	a.Get(digests[4]).Body = append(a.Get(digests[4]).Body, 0, 0)
	upload(t, a)
	r := run(t, options(a))
	expectExactly(t, r, finding{reason: verify.DigestBadFormat, keyPart: digests[2]}, finding{reason: verify.LogBadFormat, keyPart: logs[0]},
		finding{reason: verify.LogTrailingData, keyPart: logs[16]}, finding{reason: verify.DigestTrailingData, keyPart: digests[4]})
	if r.Outcome != verify.OutcomeInvalid {
		t.Errorf("outcome %s, want invalid", r.Outcome)
	}
}

// TestUnreadableBackfillDigest: the log files of a backfill digest that
// cannot be read are unknown, not unnamed. A corrupt backfill digest is
// reported once; one that cannot be fetched leaves the run unverifiable
// (exit 4), not invalid.
func TestUnreadableBackfillDigest(t *testing.T) {
	a := generate(t, newSpec(freshBucket(t)))
	bf, err := a.AddBackfill("us-east-1", first.Add(2*time.Hour), 2, first.Add(30*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	good := bf.Body
	bf.Body = nil
	upload(t, a)
	r := run(t, options(a))
	expectExactly(t, r, finding{reason: verify.DigestBadFormat, keyPart: bf.Key})

	bf.Body = good
	upload(t, a)
	p, err := testenv.StartKeysProxy(moto.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cfg, err := testenv.Config(context.Background(), p.URL, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	o := options(a)
	o.Store = verify.NewS3Store(s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}))
	p.Fail(bf.Key, http.StatusForbidden, "AccessDenied", 1000)
	r = run(t, o)
	expectExactly(t, r, finding{reason: verify.DigestReadError, keyPart: bf.Key})
	if r.Outcome != verify.OutcomeUnverifiable {
		t.Errorf("outcome %s with an unreadable backfill digest, want unverifiable", r.Outcome)
	}
}
