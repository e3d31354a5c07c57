package verify

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Checkpoint is where a run left one chain (an account's source region):
// the newest digest it verified, as it read it, and how far log files
// were checked. A state file keeps one per chain; the next run reads only
// digests newer than Key, and the first of them must link to it by hash
// and signature.
type Checkpoint struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	// SHA256 is the hex SHA-256 of the digest's uncompressed content and
	// Signature its hex signature: what the next digest's
	// previousDigestHashValue and previousDigestSignature must say.
	SHA256    string    `json:"sha256"`
	Signature string    `json:"signature"`
	End       time.Time `json:"end"`
	// LogsBefore: every log file delivered before it was checked (named by
	// a verified digest and read, or reported). Named are the log files
	// delivered at or after it that verified digests named and that were
	// read; the next run counts them as named.
	LogsBefore time.Time `json:"logsBefore"`
	Named      []string  `json:"named,omitempty"`
}

// Cutoff is the part of the chain the checkpoint says was verified.
func (c Checkpoint) Cutoff() Cutoff {
	return Cutoff{DigestsThrough: c.End, LogsBefore: c.LogsBefore, Named: c.Named}
}

// placeCheckpoint puts the checkpoint's digest at the head of the chain,
// as verified and without reading it, and counts the log files it left
// named as named.
func (v *verifier) placeCheckpoint() error {
	cp := v.o.Checkpoint
	if cp == nil {
		return nil
	}
	if len(v.regions) != 1 {
		return fmt.Errorf("verify: a checkpoint is for one region's chain, not %d", len(v.regions))
	}
	region := v.regions[0]
	end := cp.End.UTC()
	name, ok := v.o.Layout.ParseDigestKey(cp.Key)
	if !ok {
		name = DigestName{Region: region, End: end}
	}
	ds := &digestState{region: region, bucket: cp.Bucket, key: cp.Key, name: name, status: StatusValid, sha: strings.ToLower(cp.SHA256),
		md:       digestMeta{present: true, sig: newCompactHex(strings.ToLower(cp.Signature)), hasSig: true, alg: SignatureAlgorithm, hasAlg: true},
		boundary: true, checkpoint: true, sigChecked: true, parsed: true, start: end.Add(-time.Hour), end: end,
		d: &Digest{DigestEndTime: end.Format(time.RFC3339), DigestS3Bucket: cp.Bucket, DigestS3Object: cp.Key, Start: end.Add(-time.Hour), End: end}}
	v.index[objRef{cp.Bucket, cp.Key}] = ds
	v.byRegion[region] = append(v.byRegion[region], ds)
	for _, k := range cp.Named {
		v.referenced[objRef{v.o.Bucket, k}] = nil
	}
	return nil
}

// checkpointLink checks that ds, the first digest after the checkpoint,
// links to it. A link to another digest that does not end after the
// checkpoint means the chain the previous run verified was rewritten.
func (v *verifier) checkpointLink(ds, cp *digestState) bool {
	r := prevRef(ds.d)
	if r == (objRef{cp.bucket, cp.key}) {
		return true
	}
	if n, ok := v.o.Layout.ParseDigestKey(r.key); ok && r.bucket == v.o.Bucket && n.End.After(cp.end) {
		return true // a newer digest, checked (or found missing) as usual
	}
	ds.fail(StatusInvalid, DigestCheckpoint, "links to s3://%s/%s, but the previous run (state file) verified s3://%s/%s as the newest digest before it: the chain was rewritten",
		r.bucket, r.key, cp.bucket, cp.key)
	return false
}

// linkToCheckpoint compares ds's link with what the state file recorded of
// the checkpoint digest, which is not read again.
func linkToCheckpoint(ds, cp *digestState) {
	hash := "<none>"
	if ds.d.PreviousDigestHashValue != nil {
		hash = *ds.d.PreviousDigestHashValue
	}
	if !strings.EqualFold(hash, cp.sha) {
		ds.fail(StatusInvalid, DigestCheckpoint, "previousDigestHashValue %s, but the previous run (state file) verified s3://%s/%s with SHA-256 %s: the digest it verified was replaced",
			hash, cp.bucket, cp.key, cp.sha)
	}
	if !cp.md.sig.Equal(ds.prevSig) {
		ds.fail(StatusInvalid, DigestCheckpoint, "previousDigestSignature differs from the signature the previous run (state file) recorded for s3://%s/%s", cp.bucket, cp.key)
	}
}

// checkRecorded reports a digest a state file recorded as verified that is
// gone or hashes differently now (a run that verifies the chain again in
// full because a day folder changed).
func (v *verifier) checkRecorded() {
	rc := v.o.Recorded
	if rc == nil {
		return
	}
	ref := objRef{rc.Bucket, rc.Key}
	if ds, ok := v.index[ref]; ok && ds.status != StatusMissing && ds.sha != "" {
		if !strings.EqualFold(ds.sha, rc.SHA256) {
			ds.fail(StatusInvalid, DigestCheckpoint, "the previous run (state file) verified this digest with SHA-256 %s; it now hashes to %s: it was replaced after it was verified",
				rc.SHA256, ds.sha)
		}
		return
	}
	if rc.End.Before(v.o.Start) {
		return // before the part verified again
	}
	detail := "the previous run (state file) verified this digest; it is gone now: deleted after it was verified"
	for i := range v.missing {
		if it := &v.missing[i]; it.Bucket == rc.Bucket && it.Key == rc.Key {
			it.Reasons = append(it.Reasons, DigestCheckpoint)
			it.Detail += "; " + detail
			return
		}
	}
	if ds, ok := v.index[ref]; ok {
		ds.fail(StatusMissing, DigestCheckpoint, "%s", detail)
		return
	}
	region := v.regions[0]
	v.missing = append(v.missing, Item{Kind: "digest", Region: region, Bucket: rc.Bucket, Key: rc.Key, End: rc.End,
		Status: StatusMissing, Reasons: []Reason{DigestCheckpoint}, Detail: detail})
}

// nextCheckpoint is where this run leaves its one chain: the newest digest
// that verified, and how far log files were checked. Nil for a run of
// several regions, an earlier location's run, or a chain without a
// verified digest.
func (v *verifier) nextCheckpoint() *Checkpoint {
	o := v.o
	if len(v.regions) != 1 || o.handoff != nil {
		return nil
	}
	region := v.regions[0]
	chain := v.byRegion[region]
	to, ok := v.logsTo[region]
	if len(chain) == 0 || !ok {
		return nil
	}
	last := chain[0]
	for _, ds := range chain {
		if endOf(ds).After(endOf(last)) {
			last = ds
		}
	}
	var cp Checkpoint
	switch {
	case last.checkpoint:
		cp = *o.Checkpoint
	case last.status == StatusValid && last.parsed && last.md.hasSig && last.sha != "":
		cp = Checkpoint{Bucket: last.bucket, Key: last.key, SHA256: last.sha, Signature: last.md.sig.String(), End: last.end}
	default:
		return nil
	}
	// Log files delivered at least a minute before `to` were checked.
	cp.LogsBefore = to.Add(-time.Minute).Truncate(time.Minute).Add(time.Minute)
	if cp.LogsBefore.Before(v.logsFrom) {
		cp.LogsBefore = v.logsFrom
	}
	cp.Named = nil
	v.refMu.Lock()
	for ref := range v.referenced {
		if ref.bucket != o.Bucket {
			continue
		}
		if t, ok := o.Layout.ParseLogKey(ref.key, region); ok && !t.Before(cp.LogsBefore) {
			cp.Named = append(cp.Named, ref.key)
		}
	}
	v.refMu.Unlock()
	slices.Sort(cp.Named)
	return &cp
}
