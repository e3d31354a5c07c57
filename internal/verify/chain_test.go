package verify_test

import (
	"testing"
	"time"

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
