package verify_test

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailseal/trailseal/internal/verify"
)

// TestRealPublicKeys loads 1,594 real CloudTrail public keys (testdata/real,
// from the public Open-Watch repository): every one parses, its
// fingerprint is the MD5 of its decoded Value, it keeps its Region, no
// fingerprint appears in two regions, and a region's lookup offers only
// that region's keys, since CloudTrail signs each region with its own.
func TestRealPublicKeys(t *testing.T) {
	f, err := os.Open("testdata/real/openwatch-public-keys.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	keys, err := verify.ReadKeysFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1594 {
		t.Fatalf("%d keys, want 1,594", len(keys))
	}
	// The file's own values, read apart from ReadKeysFile.
	raw, err := os.ReadFile("testdata/real/openwatch-public-keys.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		PublicKeyList []struct{ Value, Fingerprint, Region string }
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	regionOf := map[string]string{}
	perRegion := map[string]int{}
	for i, k := range keys {
		der, err := base64.StdEncoding.DecodeString(doc.PublicKeyList[i].Value)
		if err != nil {
			t.Fatal(err)
		}
		sum := md5.Sum(der)
		if fp := hex.EncodeToString(sum[:]); k.Fingerprint != fp || fp != doc.PublicKeyList[i].Fingerprint {
			t.Errorf("key %d: fingerprint %s, MD5 of the value %s, file says %s", i, k.Fingerprint, fp, doc.PublicKeyList[i].Fingerprint)
		}
		if k.Region == "" || k.Region != doc.PublicKeyList[i].Region {
			t.Errorf("key %d: region %q, file says %q", i, k.Region, doc.PublicKeyList[i].Region)
		}
		if r, ok := regionOf[k.Fingerprint]; ok && r != k.Region {
			t.Errorf("fingerprint %s in %s and %s", k.Fingerprint, r, k.Region)
		}
		regionOf[k.Fingerprint] = k.Region
		perRegion[k.Region]++
	}
	if len(perRegion) != 17 {
		t.Errorf("%d regions, want 17: %v", len(perRegion), perRegion)
	}
	for region, n := range perRegion {
		got, err := keys.Keys(context.Background(), region, time.Time{}, time.Time{})
		if err != nil || len(got) != n {
			t.Fatalf("%s: %d keys offered (%v), want %d", region, len(got), err, n)
		}
		for _, k := range got {
			if k.Region != region {
				t.Fatalf("%s offered a key of %s", region, k.Region)
			}
		}
	}
	// Written back by keys export and read again, nothing changes.
	var b strings.Builder
	if err := verify.WriteKeysFile(&b, keys); err != nil {
		t.Fatal(err)
	}
	again, err := verify.ReadKeysFile(strings.NewReader(b.String()))
	if err != nil || len(again) != len(keys) {
		t.Fatalf("round trip: %d keys, %v", len(again), err)
	}
	for i := range keys {
		if again[i].Fingerprint != keys[i].Fingerprint || again[i].Region != keys[i].Region || !again[i].ValidityEnd.Equal(keys[i].ValidityEnd) {
			t.Fatalf("round trip changed key %d: %+v -> %+v", i, keys[i], again[i])
		}
	}
}

// TestRealDigestOffline verifies a real digest CloudTrail wrote (account
// 327878933619, ap-northeast-1, quoted in a public test of llm-guard) with
// the real key set. Its key, signature and log files are not public: it
// must parse (never DIGEST_BAD_FORMAT), and, given a signature metadata
// file, find no key of its region, and not pass.
func TestRealDigestOffline(t *testing.T) {
	dir := t.TempDir()
	const key = "AWSLogs/327878933619/CloudTrail-Digest/ap-northeast-1/2023/10/15/327878933619_CloudTrail-Digest_ap-northeast-1_llm-guard-trail_us-west-2_20231015T230404Z.json.gz"
	body, err := os.ReadFile(filepath.Join("testdata/real/llm-guard-objects/llm-guard-trail", key))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "llm-guard-trail", key)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, body, 0o644); err != nil {
		t.Fatal(err)
	}
	// The real signature is not public; any will do to reach the key.
	if err := verify.WriteSidecar(p, map[string]string{"signature": strings.Repeat("00", 256), "signature-algorithm": "SHA256withRSA"}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("testdata/real/openwatch-public-keys.json")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := verify.ReadKeysFile(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, verify.Options{
		Store: verify.DirStore{Root: dir}, Bucket: "llm-guard-trail", Offline: true,
		Layout:  verify.Layout{AccountID: "327878933619", TrailName: "llm-guard-trail", HomeRegion: "us-west-2"},
		Regions: []string{"ap-northeast-1"}, Keys: keys,
		Start: time.Date(2023, 10, 15, 22, 30, 0, 0, time.UTC), End: time.Date(2023, 10, 15, 23, 30, 0, 0, time.UTC),
		Now: time.Date(2023, 10, 20, 0, 0, 0, 0, time.UTC),
	})
	if r.Outcome == verify.OutcomeValid {
		t.Fatalf("a digest whose key is unknown passed")
	}
	var digest *verify.Item
	for i, it := range r.Digests {
		if strings.HasSuffix(it.Key, "_20231015T230404Z.json.gz") {
			digest = &r.Digests[i]
		}
		if hasReason(it.Reasons, verify.DigestBadFormat) {
			t.Errorf("real digest reported DIGEST_BAD_FORMAT: %s", it.Detail)
		}
	}
	if digest == nil || !hasReason(digest.Reasons, verify.DigestKeyNotFound) || !strings.Contains(digest.Detail, "region ap-northeast-1") ||
		digest.KeyFingerprint != "be2f0b997552f44942837300ba1aba9d" {
		t.Errorf("real digest: %+v; want DIGEST_KEY_NOT_FOUND for be2f0b99... in ap-northeast-1", digest)
	}
}
