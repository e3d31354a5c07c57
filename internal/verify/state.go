package verify

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

type digestState struct {
	region string
	bucket string
	key    string
	name   DigestName
	size   int64

	d   *Digest
	sha string
	md  digestMeta
	// versionID and etag are S3's for the object read, for the report;
	// keyFingerprint and keyRegion name the key that signed it.
	versionID, etag           string
	keyFingerprint, keyRegion string
	reasons                   []Reason
	detail                    []string
	status                    Status
	boundary                  bool // read only to check the link into the period
	// into is set on a boundary digest in another bucket or prefix whose
	// chain is verified by a run of its own; that run reports it.
	into       *earlierLocation
	nextSig    *string
	prevSig    compactHex // the digest's previousDigestSignature
	prevHash   *string    // and its previousDigestHashValue
	sigChecked bool
	// checkpoint marks the digest a state file recorded as the last one a
	// previous run verified: it is not read again, and the first new
	// digest must link to it (hash and signature as recorded).
	checkpoint bool
	unpacked   int64
	// logs is the digest's logFiles in compact form; d.LogFiles is dropped
	// after parsing, since a long period names millions of log files.
	logs []logRef
	// parsed, start and end outlive d, which is released once the chain
	// is checked.
	parsed     bool
	start, end time.Time
}

// digestMeta is the part of a digest's S3 user metadata verify uses.
type digestMeta struct {
	present               bool // false for an offline copy without a metadata file
	sig                   compactHex
	alg, backfillTS       string
	hasSig, hasAlg, hasTS bool
}

func metaOf(md map[string]string) digestMeta {
	m := digestMeta{present: md != nil}
	var sig string
	sig, m.hasSig = md["signature"]
	// Hex in any case, white space around it ignored: the same bytes.
	m.sig = newCompactHex(strings.ToLower(strings.TrimSpace(sig)))
	m.alg, m.hasAlg = md["signature-algorithm"]
	m.backfillTS, m.hasTS = md["backfill-generation-timestamp"]
	return m
}

// objRef names an object without building a bucket/key string.
type objRef struct{ bucket, key string }

// earlierLocation is where a trail delivered before its bucket or prefix
// changed, and the digest there that a later digest links to.
type earlierLocation struct {
	layout Layout
	from   *digestState // the digest whose link leads there
}

type logRef struct {
	objRef
	sum [32]byte
}

func (s *digestState) fail(st Status, r Reason, format string, args ...any) {
	// The worst status wins: invalid over unverifiable over error.
	if s.status == "" || s.status == StatusValid || rank(st) > rank(s.status) {
		s.status = st
	}
	s.reasons = append(s.reasons, r)
	if format != "" {
		s.detail = append(s.detail, fmt.Sprintf(format, args...))
	}
}

func rank(s Status) int {
	switch s {
	case StatusInvalid, StatusMissing:
		return 3
	case StatusUnverifiable:
		return 2
	case StatusError:
		return 1
	}
	return 0
}

func (ds *digestState) item() Item {
	it := Item{Kind: "digest", Region: ds.region, Bucket: ds.bucket, Key: ds.key, Status: ds.status, Reasons: ds.reasons,
		Detail: strings.Join(ds.detail, "; "), Backfill: ds.name.Backfill, Size: ds.unpacked, VersionID: ds.versionID, ETag: ds.etag,
		KeyFingerprint: ds.keyFingerprint, KeyRegion: ds.keyRegion}
	if ds.parsed {
		it.Start, it.End = ds.start, ds.end
	} else {
		it.End = ds.name.End
	}
	return it
}

// emptySig marks a previousDigestSignature moved to digestState.prevSig.
var emptySig = ""

func prevRef(d *Digest) objRef { return objRef{*d.PreviousDigestS3Bucket, *d.PreviousDigestS3Object} }

// compactHex holds a hex signature (512 characters for a 2048-bit key) as
// bytes, keeping the text only when it is not plain lower-case hex, so it
// can be reproduced exactly for the string to sign.
type compactHex struct {
	raw  []byte
	text string
}

func newCompactHex(s string) compactHex {
	b, err := hex.DecodeString(s)
	if err != nil || hex.EncodeToString(b) != s {
		return compactHex{text: s}
	}
	return compactHex{raw: b}
}

func (c compactHex) String() string {
	if c.raw == nil {
		return c.text
	}
	return hex.EncodeToString(c.raw)
}

// Equal compares two signatures as CloudTrail writes them: hex, any case.
func (c compactHex) Equal(o compactHex) bool {
	if c.raw != nil && o.raw != nil {
		return bytes.Equal(c.raw, o.raw)
	}
	return strings.EqualFold(c.String(), o.String())
}
