package verify_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/trailseal/trailseal/internal/testenv"
	"github.com/trailseal/trailseal/internal/verify"
	"github.com/trailseal/trailseal/internal/verify/chaingen"
)

// TestCorruptions generates a signed chain (6 hourly digests, 3 logs each,
// region us-east-1), corrupts it one way, stores it in moto's S3 with the
// signature metadata, and in a folder as 'trailseal pull' lays it out, and
// checks that verify reports exactly that corruption with its reason code
// and flags nothing else, from either store.
func TestCorruptions(t *testing.T) {
	other, err := chaingen.NewSigner(1024, first.Add(-24*time.Hour), first.Add(365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	digest := func(a *chaingen.Archive, i int) string { return a.DigestKeys("us-east-1")[i] }
	log := func(a *chaingen.Archive, i int) string { return a.LogKeys("us-east-1")[i] }
	mustResign := func(t *testing.T, a *chaingen.Archive, key string, s *chaingen.Signer, f func(map[string]any)) {
		t.Helper()
		if _, err := a.Resign(key, s, f); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		spec    func(*chaingen.Spec)
		corrupt func(t *testing.T, a *chaingen.Archive) []finding
		opts    func(*verify.Options, *chaingen.Archive)
		outcome verify.Outcome
	}{
		{name: "untouched chain is valid", outcome: verify.OutcomeValid,
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding { return nil }},
		{name: "log modified", outcome: verify.OutcomeInvalid,
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				k := log(a, 4)
				o := a.Get(k)
				raw := chaingen.Gunzip(o.Body)
				raw[20] ^= 1
				o.Body = chaingen.Gzip(raw)
				return []finding{{reason: verify.LogModified, keyPart: k}}
			}},
		{name: "log deleted", outcome: verify.OutcomeInvalid,
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				k := log(a, 7)
				a.Delete(k)
				return []finding{{reason: verify.LogMissing, keyPart: k}}
			}},
		{name: "log moved to another key of the same hour", outcome: verify.OutcomeInvalid,
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				k := log(a, 6)
				o := a.Get(k)
				a.Delete(k)
				moved := a.Spec.Layout.LogKey("us-east-1", first.Add(2*time.Hour+40*time.Minute), "MOVED00000000000")
				a.Objects[o.Bucket+"/"+moved] = &chaingen.Object{Bucket: o.Bucket, Key: moved, Body: o.Body}
				return []finding{{reason: verify.LogMissing, keyPart: k}, {reason: verify.LogUnreferenced, keyPart: moved}}
			}},
		{name: "garbage appended after the gzip member of a log", outcome: verify.OutcomeInvalid,
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				k := log(a, 2)
				o := a.Get(k)
				o.Body = append(o.Body, []byte("hidden text")...)
				return []finding{{reason: verify.LogTrailingData, keyPart: k}}
			}},
		{name: "second gzip member appended to a log", outcome: verify.OutcomeInvalid,
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				k := log(a, 3)
				o := a.Get(k)
				o.Body = append(o.Body, chaingen.Gzip([]byte(`{"Records":[{"eventName":"Forged"}]}`))...)
				return []finding{{reason: verify.LogTrailingData, keyPart: k}}
			}},
		{name: "log that is not gzip", outcome: verify.OutcomeInvalid,
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				k := log(a, 5)
				a.Get(k).Body = []byte(`{"Records":[]}`)
				return []finding{{reason: verify.LogBadFormat, keyPart: k}}
			}},
		{name: "digest content modified", outcome: verify.OutcomeInvalid,
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				k := digest(a, 2)
				o := a.Get(k)
				raw := bytes.Replace(chaingen.Gunzip(o.Body), []byte(`"newestEventTime":"`), []byte(`"newestEventTime": "`), 1)
				o.Body = chaingen.Gzip(raw)
				return []finding{{reason: verify.DigestSignatureInvalid, keyPart: k}}
			}},
		{name: "digest deleted", outcome: verify.OutcomeInvalid,
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				k := digest(a, 3)
				a.Delete(k)
				return []finding{{reason: verify.DigestMissing, keyPart: k}}
			}},
		{name: "three consecutive digests deleted, each named", outcome: verify.OutcomeInvalid,
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				k1, k2, k3 := digest(a, 1), digest(a, 2), digest(a, 3)
				a.Delete(k1)
				a.Delete(k2)
				a.Delete(k3)
				// The deleted digest the next one names, and one range for
				// the two hours before it (issue 15: one entry per run of
				// missing hours, not one per hour).
				return []finding{{reason: verify.DigestMissing, keyPart: k3}, {reason: verify.DigestSlotMissing, count: 2}}
			}},
		{name: "newest digests deleted, cadence only", outcome: verify.OutcomeInvalid,
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				a.Delete(digest(a, 5))
				a.Delete(digest(a, 4))
				return []finding{{reason: verify.DigestChainEndsEarly, count: 2}}
			}},
		{name: "newest digests deleted, trail status says they were delivered", outcome: verify.OutcomeInvalid,
			opts: func(o *verify.Options, a *chaingen.Archive) {
				o.LatestDigestDelivery = first.Add(6*time.Hour + 4*time.Minute)
			},
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				a.Delete(digest(a, 5))
				a.Delete(digest(a, 4))
				return []finding{{reason: verify.DigestTailMissing, count: 2}}
			}},
		{name: "trail stopped early: latest delivery matches the newest digest", outcome: verify.OutcomeValid,
			opts: func(o *verify.Options, a *chaingen.Archive) {
				o.LatestDigestDelivery = first.Add(4*time.Hour + 3*time.Minute)
				o.End = first.Add(8 * time.Hour)
			},
			spec:    func(s *chaingen.Spec) { s.Hours = 4 },
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding { return nil }},
		{name: "garbage appended to a digest", outcome: verify.OutcomeInvalid,
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				k := digest(a, 1)
				o := a.Get(k)
				o.Body = append(o.Body, 0, 1, 2)
				return []finding{{reason: verify.DigestTrailingData, keyPart: k}}
			}},
		{name: "digest moved to another key", outcome: verify.OutcomeInvalid,
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				k := digest(a, 2)
				o := a.Get(k)
				a.Delete(k)
				moved := a.Spec.Layout.DigestKey("us-east-1", first.Add(3*time.Hour+10*time.Minute), false)
				a.Objects[o.Bucket+"/"+moved] = &chaingen.Object{Bucket: o.Bucket, Key: moved, Body: o.Body, Metadata: o.Metadata}
				return []finding{{reason: verify.DigestMoved, keyPart: moved}, {reason: verify.DigestMissing, keyPart: k}}
			}},
		{name: "previousDigestHashValue wrong (re-signed)", outcome: verify.OutcomeInvalid,
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				k := digest(a, 4)
				mustResign(t, a, k, signer, func(d map[string]any) {
					d["previousDigestHashValue"] = flipFirstByte(d["previousDigestHashValue"].(string))
				})
				return []finding{{reason: verify.DigestPrevHash, keyPart: k}}
			}},
		{name: "previousDigestSignature wrong (re-signed)", outcome: verify.OutcomeInvalid,
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				k := digest(a, 4)
				mustResign(t, a, k, signer, func(d map[string]any) {
					d["previousDigestSignature"] = flipFirstByte(d["previousDigestSignature"].(string))
				})
				return []finding{{reason: verify.DigestPrevSignature, keyPart: k}}
			}},
		{name: "digest replaced by a re-signed one without a log", outcome: verify.OutcomeInvalid,
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				k := digest(a, 2)
				var dropped string
				mustResign(t, a, k, signer, func(d map[string]any) {
					logs := d["logFiles"].([]any)
					dropped = logs[1].(map[string]any)["s3Object"].(string)
					d["logFiles"] = append(logs[:1], logs[2:]...)
				})
				return []finding{{reason: verify.DigestPrevHash, keyPart: digest(a, 3)}, {reason: verify.DigestPrevSignature, keyPart: digest(a, 3)}, {reason: verify.LogUnreferenced, keyPart: dropped}}
			}},
		{name: "log added that no digest names", outcome: verify.OutcomeInvalid,
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				k := a.Spec.Layout.LogKey("us-east-1", first.Add(2*time.Hour+30*time.Minute), "ADDED0000000000")
				a.Objects[a.Spec.Bucket+"/"+k] = &chaingen.Object{Bucket: a.Spec.Bucket, Key: k, Body: chaingen.Gzip([]byte(`{"Records":[]}`))}
				return []finding{{reason: verify.LogUnreferenced, keyPart: k}}
			}},
		{name: "validation off for two hours is a gap, not a deletion", outcome: verify.OutcomeGaps,
			spec: func(s *chaingen.Spec) { s.GapHours = map[int]bool{2: true, 3: true} },
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				// The log files of the gap are listed, not dropped.
				return logFindings(verify.LogNotCovered, a.LogKeys("us-east-1")[6:12])
			}},
		{name: "tampering inside a run with a gap is still invalid", outcome: verify.OutcomeInvalid,
			spec: func(s *chaingen.Spec) { s.GapHours = map[int]bool{2: true, 3: true} },
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				k := log(a, 14)
				o := a.Get(k)
				o.Body = chaingen.Gzip(append(chaingen.Gunzip(o.Body), ' '))
				return append(logFindings(verify.LogNotCovered, a.LogKeys("us-east-1")[6:12]), finding{reason: verify.LogModified, keyPart: k})
			}},
		{name: "signature algorithm other than SHA256withRSA", outcome: verify.OutcomeInvalid,
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				k := digest(a, 1)
				a.Get(k).Metadata["signature-algorithm"] = "SHA1withRSA"
				return []finding{{reason: verify.DigestAlgorithm, keyPart: k}}
			}},
		{name: "signature metadata removed", outcome: verify.OutcomeInvalid,
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				k := digest(a, 3)
				delete(a.Get(k).Metadata, "signature")
				return []finding{{reason: verify.DigestSignatureMissing, keyPart: k}}
			}},
		{name: "digest signed with a key CloudTrail does not have", outcome: verify.OutcomeInvalid,
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				k := digest(a, 5)
				mustResign(t, a, k, other, func(d map[string]any) { d["digestPublicKeyFingerprint"] = other.Public.Fingerprint })
				return []finding{{reason: verify.DigestKeyNotFound, keyPart: k}}
			}},
		{name: "digest signed by another key under the real fingerprint", outcome: verify.OutcomeInvalid,
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				k := digest(a, 5)
				mustResign(t, a, k, other, func(d map[string]any) {})
				return []finding{{reason: verify.DigestSignatureInvalid, keyPart: k}}
			}},
		{name: "key expired before the digest was signed: could not verify", outcome: verify.OutcomeUnverifiable,
			opts: func(o *verify.Options, a *chaingen.Archive) {
				k := signer.Public
				k.ValidityEnd = first.Add(4*time.Hour + 30*time.Minute)
				o.Keys = verify.StaticKeys{k}
			},
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				return []finding{{reason: verify.DigestKeyNotValid, keyPart: digest(a, 4)}, {reason: verify.DigestKeyNotValid, keyPart: digest(a, 5)}}
			}},
		{name: "digest of one region signed with another region's key", outcome: verify.OutcomeInvalid,
			spec: func(s *chaingen.Spec) { s.Regions = []string{"eu-west-1", "us-east-1"} },
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				// The us-east-1 key is genuine, but CloudTrail never signs
				// eu-west-1's digests with it.
				k := a.DigestKeys("eu-west-1")[5]
				mustResign(t, a, k, signer, func(d map[string]any) { d["digestPublicKeyFingerprint"] = signer.Public.Fingerprint })
				return []finding{{reason: verify.DigestKeyNotFound, keyPart: k}}
			}},
		{name: "backfill digest naming late logs is valid", outcome: verify.OutcomeValid,
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				if _, err := a.AddBackfill("us-east-1", first.Add(2*time.Hour), 2, first.Add(30*time.Hour)); err != nil {
					t.Fatal(err)
				}
				return nil
			}},
		{name: "backfill digest without its generation timestamp", outcome: verify.OutcomeInvalid,
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				o, err := a.AddBackfill("us-east-1", first.Add(2*time.Hour), 1, first.Add(30*time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				delete(o.Metadata, "backfill-generation-timestamp")
				return []finding{{reason: verify.DigestBackfillMetadata, keyPart: o.Key}}
			}},
		{name: "organization trail with a key prefix", outcome: verify.OutcomeValid,
			spec:    func(s *chaingen.Spec) { s.Layout.OrgID = "o-a1b2c3d4e5"; s.Layout.Prefix = "audit/ct" },
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding { return nil }},
		{name: "two regions, one tampered", outcome: verify.OutcomeInvalid,
			spec: func(s *chaingen.Spec) { s.Regions = []string{"eu-west-1", "us-east-1"} },
			corrupt: func(t *testing.T, a *chaingen.Archive) []finding {
				k := a.LogKeys("eu-west-1")[0]
				a.Delete(k)
				return []finding{{reason: verify.LogMissing, keyPart: k}}
			}},
	}
	for _, store := range []string{"s3", "dir"} {
		for _, tc := range tests {
			t.Run(store+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				spec := newSpec(freshBucket(t))
				if tc.spec != nil {
					tc.spec(&spec)
				}
				a := generate(t, spec)
				want := tc.corrupt(t, a)
				o := options(a)
				if store == "s3" {
					upload(t, a)
				} else {
					dir := t.TempDir()
					if err := a.WriteDir(dir, true); err != nil {
						t.Fatal(err)
					}
					o.Store, o.Offline = verify.DirStore{Root: dir}, true
				}
				if tc.opts != nil {
					tc.opts(&o, a)
				}
				r := run(t, o)
				expectExactly(t, r, want...)
				if r.Outcome != tc.outcome {
					t.Errorf("outcome %s, want %s", r.Outcome, tc.outcome)
				}
			})
		}
	}
}

// TestCleanChainCounts checks the summary of an untouched two-region chain:
// every digest and log is counted as valid, in its own region.
func TestCleanChainCounts(t *testing.T) {
	a := generate(t, newSpec(freshBucket(t), "eu-west-1", "us-east-1"))
	upload(t, a)
	r := run(t, options(a))
	if len(r.Summary) != 2 {
		t.Fatalf("summary has %d regions, want 2", len(r.Summary))
	}
	for _, s := range r.Summary {
		if s.DigestsValid != 6 || s.LogsValid != 18 || s.DigestsInvalid+s.DigestsMissing+s.LogsInvalid+s.LogsMissing+s.LogsUnreferenced+s.Gaps != 0 {
			t.Errorf("%s: %+v, want 6 valid digests and 18 valid logs", s.Region, s)
		}
		if !s.CoveredFrom.Equal(first) || !s.CoveredTo.Equal(periodE) {
			t.Errorf("%s: covered %s..%s, want %s..%s", s.Region, s.CoveredFrom, s.CoveredTo, first, periodE)
		}
		if s.UncompressedBytes == 0 {
			t.Errorf("%s: no uncompressed bytes counted", s.Region)
		}
	}
}

// TestGapReported checks that a period with validation off is reported as
// one gap with its time range, not as missing digests.
func TestGapReported(t *testing.T) {
	spec := newSpec(freshBucket(t))
	spec.GapHours = map[int]bool{2: true, 3: true}
	a := generate(t, spec)
	upload(t, a)
	r := run(t, options(a))
	if len(r.Gaps) != 1 {
		t.Fatalf("gaps = %+v, want one", r.Gaps)
	}
	g := r.Gaps[0]
	if !g.From.Equal(first.Add(2*time.Hour)) || !g.To.Equal(first.Add(4*time.Hour)) || g.Reason != verify.ValidationGap || g.Where != verify.GapRestart || g.Logs != 6 {
		t.Errorf("gap %+v, want %s..%s, a restart with 6 log files", g, first.Add(2*time.Hour), first.Add(4*time.Hour))
	}
	if r.Outcome != verify.OutcomeGaps || r.Summary[0].LogsNotCovered != 6 || r.Summary[0].Gaps != 1 {
		t.Errorf("outcome %s, summary %+v; want gaps with 6 log files not covered", r.Outcome, r.Summary)
	}
	var text strings.Builder
	if err := r.WriteText(&text, false); err != nil {
		t.Fatal(err)
	}
	want := "RESULT: GAPS: every file present is valid, but no digest covers us-east-1 2026-03-01T02:01:31Z to 2026-03-01T04:01:31Z (6 log files not covered)"
	if !strings.Contains(text.String(), want) || strings.Contains(text.String(), "modified") {
		t.Errorf("text lacks %q or says modified:\n%s", want, text.String())
	}
}

// TestRegionRequestedWithoutDigests checks that an explicitly requested
// region with no digest at all is reported, not silently passed.
func TestRegionRequestedWithoutDigests(t *testing.T) {
	a := generate(t, newSpec(freshBucket(t)))
	upload(t, a)
	o := options(a)
	o.Regions = []string{"us-east-1", "ap-south-1"}
	r := run(t, o)
	expectExactly(t, r, finding{reason: verify.DigestNone, keyPart: ""})
}

// TestKeysUnavailable checks that a key source failure makes the run
// unverifiable rather than valid or invalid.
func TestKeysUnavailable(t *testing.T) {
	a := generate(t, newSpec(freshBucket(t)))
	upload(t, a)
	o := options(a)
	o.Keys = failingKeys{}
	r := run(t, o)
	if r.Outcome != verify.OutcomeUnverifiable {
		t.Errorf("outcome %s, want unverifiable", r.Outcome)
	}
	for _, p := range r.Problems() {
		if p.Kind == "digest" && !hasReason(p.Reasons, verify.DigestKeysUnavailable) {
			t.Errorf("digest %s: %v, want %s", p.Key, p.Reasons, verify.DigestKeysUnavailable)
		}
	}
}

type failingKeys struct{}

func (failingKeys) Keys(context.Context, string, time.Time, time.Time) ([]verify.PublicKey, error) {
	return nil, errFake
}

var errFake = &fakeErr{}

type fakeErr struct{}

func (*fakeErr) Error() string { return "simulated ListPublicKeys failure: AccessDenied" }

// flipFirstByte changes the first byte of a hex string; the keys, and so
// the hashes and signatures, differ on every run, so a fixed replacement
// would sometimes change nothing.
func flipFirstByte(h string) string {
	if strings.HasPrefix(h, "00") {
		return "ff" + h[2:]
	}
	return "00" + h[2:]
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
