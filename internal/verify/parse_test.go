package verify_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailseal/trailseal/internal/verify"
	"github.com/trailseal/trailseal/internal/verify/chaingen"
)

func TestReadKeysFile(t *testing.T) {
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := x509.MarshalPKCS1PublicKey(&k.PublicKey)
	spki, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	fp1 := verify.Fingerprint(pkcs1)
	b := base64.StdEncoding.EncodeToString
	tests := []struct {
		name      string
		json      string
		wantErr   string
		wantFP    string
		wantStart time.Time
	}{
		{name: "ISO times, PKCS#1 as CloudTrail returns it", wantFP: fp1, wantStart: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			json: `{"PublicKeyList":[{"Value":"` + b(pkcs1) + `","ValidityStartTime":"2026-01-01T00:00:00+00:00","ValidityEndTime":"2026-02-01T00:00:00Z","Fingerprint":"` + fp1 + `"}]}`},
		{name: "epoch seconds", wantFP: fp1, wantStart: time.Unix(1767225600, 0).UTC(),
			json: `{"PublicKeyList":[{"Value":"` + b(pkcs1) + `","ValidityStartTime":1767225600.0,"ValidityEndTime":1769904000,"Fingerprint":"` + fp1 + `"}]}`},
		{name: "SubjectPublicKeyInfo, fingerprint of those bytes", wantFP: verify.Fingerprint(spki), wantStart: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			json: `{"PublicKeyList":[{"Value":"` + b(spki) + `","ValidityStartTime":"2026-01-01T00:00:00Z","ValidityEndTime":"2026-02-01T00:00:00Z"}]}`},
		{name: "fingerprint that does not match the key", wantErr: "does not match",
			json: `{"PublicKeyList":[{"Value":"` + b(pkcs1) + `","Fingerprint":"00112233445566778899aabbccddeeff"}]}`},
		{name: "not a key", wantErr: "not an RSA public key",
			json: `{"PublicKeyList":[{"Value":"` + b([]byte("hello")) + `"}]}`},
		{name: "bad time", wantErr: "neither ISO-8601 nor epoch",
			json: `{"PublicKeyList":[{"Value":"` + b(pkcs1) + `","ValidityStartTime":"last tuesday"}]}`},
		{name: "empty list", wantErr: "no PublicKeyList", json: `{"PublicKeyList":[]}`},
		{name: "not JSON", wantErr: "not the JSON", json: `PublicKeyList: []`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := verify.ReadKeysFile(strings.NewReader(tc.json))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 1 || keys[0].Fingerprint != tc.wantFP || !keys[0].ValidityStart.Equal(tc.wantStart) {
				t.Errorf("got %+v, want fingerprint %s from %s", keys, tc.wantFP, tc.wantStart)
			}
		})
	}
}

func TestWriteKeysFileRoundTrip(t *testing.T) {
	var b strings.Builder
	if err := verify.WriteKeysFile(&b, []verify.PublicKey{signer.Public}); err != nil {
		t.Fatal(err)
	}
	keys, err := verify.ReadKeysFile(strings.NewReader(b.String()))
	if err != nil || len(keys) != 1 || keys[0].Fingerprint != signer.Public.Fingerprint || !keys[0].ValidityEnd.Equal(signer.ValidTo.Truncate(time.Second)) {
		t.Errorf("round trip: %+v, %v", keys, err)
	}
}

func TestParseDigest(t *testing.T) {
	base := `{"awsAccountId":"111122223333","digestStartTime":"2026-03-01T00:01:31Z","digestEndTime":"2026-03-01T01:01:31Z",
"digestS3Bucket":"b","digestS3Object":"k","digestPublicKeyFingerprint":"ff","digestSignatureAlgorithm":"SHA256withRSA",
"previousDigestSignature":null,"logFiles":[]}`
	if d, err := verify.ParseDigest([]byte(base)); err != nil || d.HasPrevious() || d.End.Sub(d.Start) != time.Hour {
		t.Fatalf("valid digest: %+v, %v", d, err)
	}
	for _, tc := range []struct{ name, from, to, wantErr string }{
		{"missing previousDigestSignature", `"previousDigestSignature":null,`, ``, "previousDigestSignature is missing"},
		{"end before start", `"digestEndTime":"2026-03-01T01:01:31Z"`, `"digestEndTime":"2026-02-01T01:01:31Z"`, "before digestStartTime"},
		{"bad time", `"digestStartTime":"2026-03-01T00:01:31Z"`, `"digestStartTime":"yesterday"`, "RFC 3339"},
		{"logFiles wrong type", `"logFiles":[]`, `"logFiles":{}`, "unexpected field type"},
		{"log without hash", `"logFiles":[]`, `"logFiles":[{"s3Bucket":"b","s3Object":"o"}]`, "hashValue is empty"},
		{"log hash too short", `"logFiles":[]`, `"logFiles":[{"s3Bucket":"b","s3Object":"o","hashValue":"abcd","hashAlgorithm":"SHA-256"}]`, "not a hex SHA-256"},
		{"log hash not hex", `"logFiles":[]`, `"logFiles":[{"s3Bucket":"b","s3Object":"o","hashValue":"` + strings.Repeat("zz", 32) + `","hashAlgorithm":"SHA-256"}]`, "not a hex SHA-256"},
		{"log hash MD5", `"logFiles":[]`, `"logFiles":[{"s3Bucket":"b","s3Object":"o","hashValue":"` + strings.Repeat("ab", 32) + `","hashAlgorithm":"MD5"}]`, "want SHA-256"},
		{"link without signature", `"previousDigestSignature":null`, `"previousDigestSignature":null,"previousDigestS3Bucket":"b","previousDigestS3Object":"p"`, "previousDigestSignature is null"},
		{"not an object", base, `[]`, "not a JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(base, tc.from, tc.to, 1)
			if doc == base && tc.from != base {
				t.Fatalf("test replacement %q did not apply", tc.from)
			}
			if _, err := verify.ParseDigest([]byte(doc)); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func FuzzParseDigest(f *testing.F) {
	a, err := chaingen.Generate(newSpec("fuzz-bucket"))
	if err != nil {
		f.Fatal(err)
	}
	for _, k := range a.DigestKeys("us-east-1")[:2] {
		f.Add(chaingen.Gunzip(a.Get(k).Body))
	}
	f.Add([]byte(`{"previousDigestSignature":null}`))
	f.Add([]byte(`{"digestStartTime":"2026-03-01T00:01:31Z","digestEndTime":"0000-01-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := verify.ParseDigest(data)
		if err != nil {
			return
		}
		// Whatever parses must satisfy what the verifier relies on.
		if d.DigestS3Bucket == "" || d.DigestS3Object == "" || d.End.Before(d.Start) {
			t.Fatalf("accepted an inconsistent digest: %+v", d)
		}
		if d.HasPrevious() && d.PreviousDigestSignature == nil {
			t.Fatalf("accepted a link without a signature")
		}
		_ = verify.StringToSign(d, "00")
	})
}

func TestLayoutKeys(t *testing.T) {
	l := verify.Layout{AccountID: "111122223333", TrailName: "my_trail.v2", HomeRegion: "us-east-1"}
	end := time.Date(2026, 3, 1, 5, 1, 31, 0, time.UTC)
	key := l.DigestKey("eu-west-1", end, false)
	if want := "AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/03/01/111122223333_CloudTrail-Digest_eu-west-1_my_trail.v2_us-east-1_20260301T050131Z.json.gz"; key != want {
		t.Fatalf("DigestKey = %s, want %s", key, want)
	}
	org := l
	org.OrgID, org.Prefix = "o-abc123", "p/q"
	for _, tc := range []struct {
		name     string
		layout   verify.Layout
		key      string
		ok       bool
		backfill bool
	}{
		{"own digest", l, key, true, false},
		{"backfill", l, l.DigestKey("eu-west-1", end, true), true, true},
		{"organization with prefix", org, org.DigestKey("eu-west-1", end, false), true, false},
		{"organization key, plain layout", l, org.DigestKey("eu-west-1", end, false), false, false},
		{"another trail", l, strings.Replace(key, "my_trail.v2", "other", 1), false, false},
		{"another home region", l, strings.Replace(key, "_us-east-1_", "_us-west-2_", 1), false, false},
		{"another account in the name", l, strings.Replace(key, "/111122223333_", "/999988887777_", 1), false, false},
		{"folder and name disagree on the day", l, strings.Replace(key, "/2026/03/01/", "/2026/03/02/", 1), false, false},
		{"folder and name disagree on the region", l, strings.Replace(key, "Digest/eu-west-1/", "Digest/eu-west-2/", 1), false, false},
		{"not a digest", l, strings.TrimSuffix(key, ".gz"), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, ok := tc.layout.ParseDigestKey(tc.key)
			if ok != tc.ok {
				t.Fatalf("ParseDigestKey(%s) ok = %v, want %v", tc.key, ok, tc.ok)
			}
			if ok && (n.Region != "eu-west-1" || !n.End.Equal(end) || n.Backfill != tc.backfill) {
				t.Errorf("parsed %+v", n)
			}
		})
	}
	lt := time.Date(2026, 3, 1, 5, 20, 0, 0, time.UTC)
	lk := l.LogKey("eu-west-1", lt, "AbC123")
	if got, ok := l.ParseLogKey(lk, "eu-west-1"); !ok || !got.Equal(lt) {
		t.Errorf("ParseLogKey(%s) = %s, %v", lk, got, ok)
	}
	if _, ok := l.ParseLogKey(lk, "us-east-1"); ok {
		t.Errorf("log of eu-west-1 accepted for us-east-1")
	}
	if _, ok := l.ParseLogKey(strings.Replace(lk, "_CloudTrail_", "_CloudTrail-Insight_", 1), "eu-west-1"); ok {
		t.Errorf("Insights file accepted as a log file")
	}
}

// TestOfflineCopy verifies an archive written to disk as 'trailseal pull'
// lays it out. Simulated: sidecar metadata written by another tool with
// capitalised names (S3 metadata names are case-insensitive), and a copy
// without sidecars, where only the newest digest cannot be checked.
func TestOfflineCopy(t *testing.T) {
	a := generate(t, newSpec("offline-bucket"))
	dir := t.TempDir()
	if err := a.WriteDir(dir, true); err != nil {
		t.Fatal(err)
	}
	first := a.DigestKeys("us-east-1")[0]
	p := filepath.Join(dir, "offline-bucket", filepath.FromSlash(first))
	sig := a.Get(first).Metadata["signature"]
	if err := verify.WriteSidecar(p, map[string]string{"Signature": sig, "Signature-Algorithm": "SHA256withRSA"}); err != nil {
		t.Fatal(err)
	}
	o := options(a)
	o.Store, o.Offline = verify.DirStore{Root: dir}, true
	r := run(t, o)
	expectExactly(t, r)
	if r.Outcome != verify.OutcomeValid {
		t.Errorf("outcome %s, want valid", r.Outcome)
	}

	bare := t.TempDir()
	if err := a.WriteDir(bare, false); err != nil {
		t.Fatal(err)
	}
	o.Store = verify.DirStore{Root: bare}
	r = run(t, o)
	digests := a.DigestKeys("us-east-1")
	expectExactly(t, r, finding{reason: verify.DigestNoSignatureOffline, keyPart: digests[len(digests)-1]})
	if r.Outcome != verify.OutcomeUnverifiable {
		t.Errorf("outcome %s, want unverifiable", r.Outcome)
	}
	// Tampering is still caught without sidecars.
	os.WriteFile(filepath.Join(bare, "offline-bucket", filepath.FromSlash(digests[2])), chaingen.Gzip([]byte(`{}`)), 0o644)
	r = run(t, o)
	// The digest before it loses the only copy of its signature.
	expectExactly(t, r, finding{reason: verify.DigestNoSignatureOffline, keyPart: digests[len(digests)-1]}, finding{reason: verify.DigestBadFormat, keyPart: digests[2]},
		finding{reason: verify.DigestNoSignatureOffline, keyPart: digests[1]})
}

// TestPull copies a chain from moto to disk and checks that the copy
// verifies offline with signatures intact and that missing objects are
// listed.
func TestPull(t *testing.T) {
	a := generate(t, newSpec(freshBucket(t)))
	gone := a.LogKeys("us-east-1")[2]
	a.Delete(gone)
	upload(t, a)
	dir := t.TempDir()
	stats, err := verify.Pull(context.Background(), verify.PullOptions{Store: verify.NewS3Store(s3client), Bucket: a.Spec.Bucket,
		Layout: a.Spec.Layout, Start: periodS, End: periodE, Dest: dir, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Digests != 6 || stats.Logs != 17 || len(stats.Missing) != 1 || !strings.HasSuffix(stats.Missing[0], gone) || len(stats.Failed) != 0 {
		t.Fatalf("pull stats %+v", stats)
	}
	o := options(a)
	o.Store, o.Offline = verify.DirStore{Root: dir}, true
	r := run(t, o)
	expectExactly(t, r, finding{reason: verify.LogMissing, keyPart: gone})
}
