package verify_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/trailseal/trailseal/internal/verify"
)

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
