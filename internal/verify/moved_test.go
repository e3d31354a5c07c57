package verify_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/trailseal/trailseal/internal/verify"
	"github.com/trailseal/trailseal/internal/verify/chaingen"
)

// movedArchive generates the 6-hour chain of a trail that CloudTrail moved
// at hour 3: digests and logs of hours 0-2 are in the old bucket, those of
// hours 3-5 in newBucket under newPrefix, and the first digest there links
// back into the old bucket. Verification starts from the new location, as
// it would after the move.
func movedArchive(t *testing.T, newPrefix string, sameBucket bool) (*chaingen.Archive, string) {
	t.Helper()
	old := freshBucket(t)
	nb := old
	if !sameBucket {
		nb = freshBucket(t)
	}
	s := newSpec(old)
	s.Move = &chaingen.Move{At: 3, Bucket: nb, Prefix: newPrefix}
	return generate(t, s), nb
}

func movedOptions(a *chaingen.Archive, newBucket string) verify.Options {
	o := options(a)
	o.Bucket = newBucket
	o.Layout.Prefix = a.Spec.Move.Prefix
	return o
}

// TestChainAcrossBucketChange checks that a chain whose first digest in the
// new location links into the old one is walked on into the old location,
// that each kind of tampering there is reported on the old location's
// objects, and that nothing else is.
func TestChainAcrossBucketChange(t *testing.T) {
	oldDigest := func(a *chaingen.Archive, i int) string { return a.DigestKeys("us-east-1")[i] }
	oldLog := func(a *chaingen.Archive, i int) string { return a.LogKeys("us-east-1")[i] }
	tests := []struct {
		name      string
		prefix    string
		same      bool
		corrupt   func(a *chaingen.Archive) []finding
		outcome   verify.Outcome
		wantValid int // valid digests, both locations
	}{
		{name: "untouched, new bucket", outcome: verify.OutcomeValid, wantValid: 6},
		{name: "untouched, new bucket and prefix", prefix: "moved/trail", outcome: verify.OutcomeValid, wantValid: 6},
		{name: "untouched, same bucket, new prefix", prefix: "moved", same: true, outcome: verify.OutcomeValid, wantValid: 6},
		{name: "log modified in the old bucket", outcome: verify.OutcomeInvalid, wantValid: 6,
			corrupt: func(a *chaingen.Archive) []finding {
				k := oldLog(a, 4)
				o := a.Get(k)
				o.Body = chaingen.Gzip(append(chaingen.Gunzip(o.Body), ' '))
				return []finding{{reason: verify.LogModified, keyPart: k}}
			}},
		{name: "log deleted in the old bucket", outcome: verify.OutcomeInvalid, wantValid: 6,
			corrupt: func(a *chaingen.Archive) []finding {
				k := oldLog(a, 1)
				a.Delete(k)
				return []finding{{reason: verify.LogMissing, keyPart: k}}
			}},
		{name: "log added in the old bucket", outcome: verify.OutcomeInvalid, wantValid: 6,
			corrupt: func(a *chaingen.Archive) []finding {
				k := a.Spec.Layout.LogKey("us-east-1", first.Add(70*time.Minute), "ADDED00000000000")
				a.Objects[a.Spec.Bucket+"/"+k] = &chaingen.Object{Bucket: a.Spec.Bucket, Key: k, Body: chaingen.Gzip([]byte(`{"Records":[]}`))}
				return []finding{{reason: verify.LogUnreferenced, keyPart: k}}
			}},
		{name: "digest deleted in the old bucket", outcome: verify.OutcomeInvalid, wantValid: 5,
			corrupt: func(a *chaingen.Archive) []finding {
				k := oldDigest(a, 1)
				a.Delete(k)
				return []finding{{reason: verify.DigestMissing, keyPart: k}}
			}},
		{name: "digest the new location links to deleted", outcome: verify.OutcomeInvalid, wantValid: 5,
			corrupt: func(a *chaingen.Archive) []finding {
				k := oldDigest(a, 2)
				a.Delete(k)
				return []finding{{reason: verify.DigestMissing, keyPart: k}}
			}},
		{name: "two newest digests of the old bucket deleted", outcome: verify.OutcomeInvalid, wantValid: 4,
			corrupt: func(a *chaingen.Archive) []finding {
				k1, k2 := oldDigest(a, 1), oldDigest(a, 2)
				a.Delete(k1)
				a.Delete(k2)
				return []finding{{reason: verify.DigestMissing, keyPart: k2}, {reason: verify.DigestSlotMissing, keyPart: "_20260301T02"}}
			}},
		{name: "digest modified in the old bucket", outcome: verify.OutcomeInvalid, wantValid: 5,
			corrupt: func(a *chaingen.Archive) []finding {
				k := oldDigest(a, 0)
				o := a.Get(k)
				o.Body = chaingen.Gzip(bytes.Replace(chaingen.Gunzip(o.Body), []byte(`"awsAccountId":"`), []byte(`"awsAccountId": "`), 1))
				return []finding{{reason: verify.DigestSignatureInvalid, keyPart: k}}
			}},
		{name: "link target signature replaced", outcome: verify.OutcomeInvalid, wantValid: 5,
			corrupt: func(a *chaingen.Archive) []finding {
				k := oldDigest(a, 2)
				a.Get(k).Metadata["signature"] = "ab" + a.Get(k).Metadata["signature"][2:]
				return []finding{{reason: verify.DigestSignatureInvalid, keyPart: k}}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, nb := movedArchive(t, tc.prefix, tc.same)
			var want []finding
			if tc.corrupt != nil {
				want = tc.corrupt(a)
			}
			upload(t, a)
			r := run(t, movedOptions(a, nb))
			expectExactly(t, r, want...)
			if r.Outcome != tc.outcome {
				t.Errorf("outcome %s, want %s", r.Outcome, tc.outcome)
			}
			if len(r.Earlier) != 1 || r.Earlier[0].Bucket != a.Spec.Bucket || r.Earlier[0].Prefix != "" {
				t.Fatalf("earlier locations %+v, want the old bucket %s", r.Earlier, a.Spec.Bucket)
			}
			valid, logs := 0, 0
			for _, s := range r.Summary {
				valid += s.DigestsValid
				logs += s.LogsValid
			}
			if valid != tc.wantValid {
				t.Errorf("%d valid digests, want %d; summary %+v", valid, tc.wantValid, r.Summary)
			}
			if len(r.Summary) != 2 || r.Summary[0].Bucket != nb || r.Summary[0].Prefix != tc.prefix || r.Summary[1].Bucket != a.Spec.Bucket {
				t.Errorf("want one summary per location, new first: %+v", r.Summary)
			}
			if tc.outcome == verify.OutcomeValid && logs != 18 {
				t.Errorf("%d valid log files, want 18", logs)
			}
			var text bytes.Buffer
			if err := r.WriteText(&text, false); err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(text.Bytes(), []byte("followed into s3://"+a.Spec.Bucket)) {
				t.Errorf("text report does not name the old bucket:\n%s", text.String())
			}
		})
	}
}

// TestMoveBeforePeriodNotFollowed: when the link into the old bucket points
// before --start-time, only that link is checked, as for any chain start.
func TestMoveBeforePeriodNotFollowed(t *testing.T) {
	a, nb := movedArchive(t, "", false)
	upload(t, a)
	o := movedOptions(a, nb)
	o.Start = first.Add(3*time.Hour + 30*time.Minute)
	r := run(t, o)
	expectExactly(t, r)
	if r.Outcome != verify.OutcomeValid || len(r.Earlier) != 0 {
		t.Errorf("outcome %s, earlier %+v: want valid and no earlier location", r.Outcome, r.Earlier)
	}
}

// TestOldBucketUnreadable: an old bucket that cannot be listed leaves its
// part of the period unchecked, which must not pass.
func TestOldBucketUnreadable(t *testing.T) {
	s := newSpec("never-created-old-bucket")
	nb := freshBucket(t)
	s.Move = &chaingen.Move{At: 3, Bucket: nb}
	a := generate(t, s)
	for k, obj := range a.Objects {
		if obj.Bucket != nb {
			delete(a.Objects, k)
		}
	}
	upload(t, a)
	r := run(t, movedOptions(a, nb))
	if r.Outcome != verify.OutcomeUnverifiable {
		t.Errorf("outcome %s, want unverifiable", r.Outcome)
	}
	expectExactly(t, r, finding{reason: verify.DigestReadError, keyPart: "CloudTrail-Digest"})
	if len(r.Earlier) != 1 || r.Earlier[0].Bucket != "never-created-old-bucket" {
		t.Errorf("earlier locations %+v", r.Earlier)
	}
}

// TestPullFollowsBucketChange copies a moved trail's period and verifies
// the copy offline: the old bucket's part is in DIR/<old bucket>/.
func TestPullFollowsBucketChange(t *testing.T) {
	a, nb := movedArchive(t, "after", false)
	k := a.LogKeys("us-east-1")[2]
	o := a.Get(k)
	o.Body = chaingen.Gzip(append(chaingen.Gunzip(o.Body), ' '))
	upload(t, a)
	dir := t.TempDir()
	stats, err := verify.Pull(context.Background(), verify.PullOptions{Store: verify.NewS3Store(s3client), Bucket: nb,
		Layout: movedOptions(a, nb).Layout, Start: periodS, End: periodE, Dest: dir, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Digests != 6 || stats.Logs != 18 || len(stats.Earlier) != 1 || stats.Earlier[0] != "s3://"+a.Spec.Bucket {
		t.Fatalf("pull stats %+v: want 6 digests, 18 logs, the old bucket followed", stats)
	}
	if _, err := os.Stat(filepath.Join(dir, a.Spec.Bucket, filepath.FromSlash(k))); err != nil {
		t.Fatalf("old bucket's log not copied: %v", err)
	}
	vo := movedOptions(a, nb)
	vo.Store, vo.Offline = verify.DirStore{Root: dir}, true
	r := run(t, vo)
	expectExactly(t, r, finding{reason: verify.LogModified, keyPart: k})
	if len(r.Earlier) != 1 {
		t.Errorf("earlier locations %+v", r.Earlier)
	}
}

// TestPullMissingLinkedDigest: the old bucket's digest the new location
// links to is gone; pull says so, as it does for any named object.
func TestPullMissingLinkedDigest(t *testing.T) {
	a, nb := movedArchive(t, "", false)
	k := a.DigestKeys("us-east-1")[2]
	a.Delete(k)
	upload(t, a)
	stats, err := verify.Pull(context.Background(), verify.PullOptions{Store: verify.NewS3Store(s3client), Bucket: nb,
		Layout: a.Spec.Layout, Start: periodS, End: periodE, Dest: t.TempDir(), Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(stats.Missing) != 1 || stats.Missing[0] != a.Spec.Bucket+"/"+k || stats.Digests != 5 {
		t.Errorf("pull stats %+v: want 5 digests and %s missing", stats, k)
	}
}
