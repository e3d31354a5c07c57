package verify_test

import (
	"bytes"
	"context"
	"errors"
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

// stateRig is two accounts of an organization trail's archive (one region
// each) in moto behind a proxy that counts every S3 call, and a local
// state file.
type stateRig struct {
	bucket string
	proxy  *testenv.KeysProxy
	state  string
	first  time.Time
}

var stateAccounts = []string{"222233334444", "555566667777"}

func newStateRig(t *testing.T) *stateRig {
	t.Helper()
	p, err := testenv.StartKeysProxy(moto.Endpoint, servedKeys()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return &stateRig{bucket: freshBucket(t), proxy: p, state: filepath.Join(t.TempDir(), "state.json"), first: first}
}

func servedKeys() []testenv.PublicKey {
	var out []testenv.PublicKey
	for _, k := range allKeys() {
		out = append(out, testenv.PublicKey{DER: k.DER, Fingerprint: k.Fingerprint, From: k.ValidityStart, To: k.ValidityEnd, Region: k.Region})
	}
	return out
}

// archive generates account's archive of hours hours.
func (g *stateRig) archive(t *testing.T, account string, hours int) *chaingen.Archive {
	return generate(t, orgSpec(g.bucket, "o-abcdefghij", account, g.first, hours, "eu-west-1"))
}

// run verifies the archive up to the end of hour `hours` with the state
// file, counting the GETs.
func (g *stateRig) run(t *testing.T, ctx context.Context, hours int) (*verify.ArchiveReport, int, error) {
	t.Helper()
	end := g.first.Add(time.Duration(hours) * time.Hour)
	spec := archiveSpec(t, g.bucket, periodS, end, testNow)
	cfg, err := testenv.Config(ctx, g.proxy.URL, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	spec.AWS, spec.Regions, spec.Accounts = cfg, []string{"eu-west-1"}, stateAccounts
	spec.State = &verify.FileState{Path: g.state}
	before := g.proxy.Calls("s3:GetObject")
	r, err := verify.RunArchive(ctx, spec)
	return r, g.proxy.Calls("s3:GetObject") - before, err
}

// TestStateIncremental: a run with a state file reads only what was
// delivered since the previous run (every GET counted), still reports a
// log file deleted after an earlier run verified it, reports a replaced
// checkpoint digest as tampering, and never advances the state past a
// chain that did not verify, nor when the run is cut short.
func TestStateIncremental(t *testing.T) {
	ctx := context.Background()
	g := newStateRig(t)
	var six []*chaingen.Archive
	for _, acct := range stateAccounts {
		a := g.archive(t, acct, 6)
		six = append(six, a)
		upload(t, a)
	}
	r, gets, err := g.run(t, ctx, 6)
	if err != nil {
		t.Fatal(err)
	}
	// 2 accounts x (6 digests + 18 log files), and the digest before the
	// period is not there to read (the chain starts in it).
	if r.Outcome != verify.OutcomeValid || !r.State.Saved || r.State.InFull != 2 || r.State.Advanced != 2 || gets != 48 {
		t.Fatalf("first run: outcome %s, state %+v, %d GETs (want 48)", r.Outcome, r.State, gets)
	}

	// Two more hours delivered: only they are read.
	for i, acct := range stateAccounts {
		eight := g.archive(t, acct, 8)
		for key := range eight.Objects {
			if six[i].Objects[key] != nil {
				delete(eight.Objects, key)
			}
		}
		if len(eight.Objects) != 8 {
			t.Fatalf("%d new objects, want 2 digests and 6 log files", len(eight.Objects))
		}
		upload(t, eight)
	}
	r, gets, err = g.run(t, ctx, 8)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != verify.OutcomeValid || r.State.SinceCheckpoint != 2 || r.State.Advanced != 2 || gets != 16 || r.Totals.DigestsValid != 4 {
		t.Fatalf("second run: outcome %s, state %+v, %d GETs (want 16: the new objects only), totals %+v", r.Outcome, r.State, gets, r.Totals)
	}

	// A log file verified by the first run is deleted; the checkpoint
	// digest of the other account is replaced (re-signed with another
	// region's key by someone who holds one).
	deleted := six[0].LogKeys("eu-west-1")[4]
	if _, err := s3client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(g.bucket), Key: aws.String(deleted)}); err != nil {
		t.Fatal(err)
	}
	other := g.archive(t, stateAccounts[1], 8)
	checkpoint := other.DigestKeys("eu-west-1")[7]
	forged, err := other.Resign(checkpoint, signers["us-east-1"], func(doc map[string]any) { doc["logFiles"] = []any{} })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s3client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(g.bucket), Key: aws.String(checkpoint),
		Body: bytes.NewReader(forged.Body), Metadata: forged.Metadata}); err != nil {
		t.Fatal(err)
	}
	saved, _ := os.ReadFile(g.state)
	r, _, err = g.run(t, ctx, 8)
	if err != nil {
		t.Fatal(err)
	}
	var logMissing, checkpointReplaced bool
	for _, p := range r.Problems {
		if p.Key == deleted && hasReason(p.Reasons, verify.LogMissing) && p.Account == stateAccounts[0] {
			logMissing = true
		}
		if p.Key == checkpoint && hasReason(p.Reasons, verify.DigestCheckpoint) && p.Status == verify.StatusInvalid {
			checkpointReplaced = true
		}
	}
	if !logMissing || !checkpointReplaced || r.State.Advanced != 0 || r.State.Again != 2 {
		t.Fatalf("deleted log reported %v, replaced checkpoint reported %v, state %+v; problems:\n%s", logMissing, checkpointReplaced, r.State, dump(r.Problems))
	}
	if now, _ := os.ReadFile(g.state); !bytes.Equal(stripUpdated(saved), stripUpdated(now)) {
		t.Errorf("the state advanced for chains that did not verify")
	}

	// A run cut short writes nothing: the state stays the last good one.
	before, _ := os.ReadFile(g.state)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := g.run(t, cctx, 8); err == nil {
		t.Fatal("a cancelled run returned no error")
	}
	if after, _ := os.ReadFile(g.state); !bytes.Equal(before, after) {
		t.Error("a cancelled run changed the state file")
	}
}

// stripUpdated drops the state's write time.
func stripUpdated(b []byte) []byte {
	i := bytes.Index(b, []byte(`"updated":"`))
	if i < 0 {
		return b
	}
	j := bytes.IndexByte(b[i+len(`"updated":"`):], '"')
	return append(append([]byte{}, b[:i]...), b[i+len(`"updated":"`)+j+1:]...)
}

// TestStateFirstLinkMustReachCheckpoint: the first digest after the
// checkpoint must link to it as the state recorded it; a state whose
// recorded hash differs from what the chain links to is tampering (here
// the state is the one that was changed, which the run cannot tell from a
// checkpoint digest replaced and put back).
func TestStateFirstLinkMustReachCheckpoint(t *testing.T) {
	ctx := context.Background()
	g := newStateRig(t)
	var six []*chaingen.Archive
	for _, acct := range stateAccounts {
		a := g.archive(t, acct, 6)
		six = append(six, a)
		upload(t, a)
	}
	if r, _, err := g.run(t, ctx, 6); err != nil || r.Outcome != verify.OutcomeValid {
		t.Fatalf("first run: %v", err)
	}
	st, err := (&verify.FileState{Path: g.state}).Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cs := st.Chains[stateAccounts[0]+"/eu-west-1"]
	cs.Checkpoint.SHA256 = strings.Repeat("0", 64)
	fs := &verify.FileState{Path: g.state}
	fs.Load(ctx)
	if err := fs.Save(ctx, st); err != nil {
		t.Fatal(err)
	}
	for i, acct := range stateAccounts {
		eight := g.archive(t, acct, 8)
		for key := range eight.Objects {
			if six[i].Objects[key] != nil {
				delete(eight.Objects, key)
			}
		}
		upload(t, eight)
	}
	r, _, err := g.run(t, ctx, 8)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range r.Problems {
		if p.Account == stateAccounts[0] && hasReason(p.Reasons, verify.DigestCheckpoint) && strings.Contains(p.Detail, "previousDigestHashValue") {
			found = true
		}
	}
	if !found || r.Outcome != verify.OutcomeInvalid {
		t.Fatalf("outcome %s; problems:\n%s", r.Outcome, dump(r.Problems))
	}
}

// TestS3StateConditionalPut: of two runs that read the same state from S3,
// only the first can replace it. moto implements PutObject's If-None-Match
// and If-Match conditions (412 PreconditionFailed, as the PutObject API
// reference gives them), so no proxy stands in for S3 here.
func TestS3StateConditionalPut(t *testing.T) {
	ctx := context.Background()
	bucket := freshBucket(t)
	cfg, err := testenv.Config(ctx, moto.Endpoint, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	open := func() verify.StateStore {
		st, err := verify.OpenStateStore(ctx, "s3://"+bucket+"/trailseal/state.json", cfg)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	a, b := open(), open()
	for _, st := range []verify.StateStore{a, b} {
		if s, err := st.Load(ctx); err != nil || s != nil {
			t.Fatalf("load of no state: %v, %v", s, err)
		}
	}
	state := &verify.State{Trail: "arn:aws:cloudtrail:us-east-1:111122223333:trail/t", Bucket: "b", Chains: map[string]*verify.ChainState{}}
	if err := a.Save(ctx, state); err != nil {
		t.Fatalf("first save: %v", err)
	}
	if err := b.Save(ctx, state); !errors.Is(err, verify.ErrStateChanged) {
		t.Fatalf("second run's save over a state it did not read: %v, want ErrStateChanged", err)
	}
	c := open()
	if s, err := c.Load(ctx); err != nil || s == nil || s.Trail != state.Trail {
		t.Fatalf("load: %v, %v", s, err)
	}
	state.Updated = time.Now() // another content, another ETag
	if err := a.Save(ctx, state); err != nil {
		t.Fatalf("save over its own write: %v", err)
	}
	if err := c.Save(ctx, state); !errors.Is(err, verify.ErrStateChanged) {
		t.Fatalf("save over a state changed since it was read: %v", err)
	}
}
