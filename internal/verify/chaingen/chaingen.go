// Package chaingen builds CloudTrail-like archives (log files and signed,
// chained digest files) with locally generated RSA keys, one per source
// region as CloudTrail signs (ListPublicKeys API reference: "CloudTrail
// uses different private and public key pairs per Region"). Tests corrupt
// them on purpose to prove 'trailseal verify' catches each kind of
// tampering, and the demo verifies one. Nothing here talks to AWS.
package chaingen

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/trailseal/trailseal/internal/verify"
)

// Signer holds the test key that plays CloudTrail's signing key.
type Signer struct {
	Key       *rsa.PrivateKey
	Public    verify.PublicKey
	ValidFrom time.Time
	ValidTo   time.Time
}

// NewSigner generates an RSA key valid from..to. bits below 2048 are only
// for fast tests.
func NewSigner(bits int, from, to time.Time) (*Signer, error) {
	return NewRegionSigner(bits, "", from, to)
}

// NewRegionSigner generates region's signing key, valid from..to.
func NewRegionSigner(bits int, region string, from, to time.Time) (*Signer, error) {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, err
	}
	return SignerFromKey(k, region, from, to)
}

// SignerFromKey makes region's signer from a given key, for archives that
// must come out the same every time (golden files).
func SignerFromKey(k *rsa.PrivateKey, region string, from, to time.Time) (*Signer, error) {
	der := x509.MarshalPKCS1PublicKey(&k.PublicKey)
	pub, err := verify.NewPublicKey(der, from, to)
	if err != nil {
		return nil, err
	}
	pub.Region = region
	return &Signer{Key: k, Public: pub, ValidFrom: from, ValidTo: to}, nil
}

// Signers holds each region's signing key.
type Signers map[string]*Signer

// NewSigners generates a distinct key for each region.
func NewSigners(bits int, from, to time.Time, regions ...string) (Signers, error) {
	out := Signers{}
	for _, r := range regions {
		s, err := NewRegionSigner(bits, r, from, to)
		if err != nil {
			return nil, err
		}
		out[r] = s
	}
	return out, nil
}

// PublicKeys lists every region's public key, Region set, sorted by region.
func (s Signers) PublicKeys() []verify.PublicKey {
	var out []verify.PublicKey
	for _, sg := range s {
		out = append(out, sg.Public)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Region < out[j].Region })
	return out
}

func (s Signers) of(region string) (*Signer, error) {
	sg, ok := s[region]
	if !ok {
		return nil, fmt.Errorf("chaingen: no signing key for region %s: CloudTrail signs each region with its own key", region)
	}
	return sg, nil
}

// Object is one file of the archive as S3 would hold it.
type Object struct {
	Bucket   string
	Key      string
	Body     []byte
	Metadata map[string]string
}

// Spec describes the archive to build.
type Spec struct {
	Bucket  string
	Layout  verify.Layout
	Regions []string
	// First is the start of the first digest period; digests follow hourly.
	First time.Time
	Hours int
	// LogsPerDigest log files of about LogBytes uncompressed bytes each are
	// delivered in every hour.
	LogsPerDigest int
	LogBytes      int
	// GapHours lists hour indexes in which validation was off: logs are
	// delivered but no digest, and the chain restarts afterwards.
	GapHours map[int]bool
	// Move, when set, moves the trail to another bucket or key prefix:
	// from hour index Move.At on, files go there, and the first digest
	// there links back to the last one in Bucket.
	Move *Move
	// Signers sign each region's digests with that region's own key.
	Signers Signers
	// Records, when set, returns records (JSON objects as CloudTrail writes
	// them) to add to log file i of hour index h in region, after the
	// generated ones: a test places the calls it replays, a StopLogging
	// before a gap, say.
	Records func(region string, h, i int) [][]byte
	Seed    uint64
}

// Move is a change of a trail's S3 bucket and/or key prefix.
type Move struct {
	At     int
	Bucket string
	Prefix string
}

// Archive is the generated content, keyed by bucket/key.
type Archive struct {
	Spec    Spec
	Objects map[string]*Object
}

// Generate builds the archive.
func Generate(s Spec) (*Archive, error) {
	a := &Archive{Spec: s, Objects: map[string]*Object{}}
	rng := mrand.New(mrand.NewPCG(s.Seed, 7))
	for _, region := range s.Regions {
		signer, err := s.Signers.of(region)
		if err != nil {
			return nil, err
		}
		var prev *Object
		var prevSig string
		for h := 0; h < s.Hours; h++ {
			start := s.First.Add(time.Duration(h) * time.Hour)
			end := start.Add(time.Hour)
			bucket, layout := s.Bucket, s.Layout
			if s.Move != nil && h >= s.Move.At {
				bucket, layout.Prefix = s.Move.Bucket, s.Move.Prefix
			}
			var logs []logEntry
			for i := 0; i < s.LogsPerDigest; i++ {
				t := start.Add(time.Duration(2+i*50/max(1, s.LogsPerDigest)) * time.Minute)
				body := logBody(rng, s.Layout.AccountID, region, t, s.LogBytes)
				if s.Records != nil {
					body = withRecords(body, s.Records(region, h, i))
				}
				key := layout.LogKey(region, t, fmt.Sprintf("%016X", rng.Uint64()))
				sum := sha256.Sum256(body)
				a.put(&Object{Bucket: bucket, Key: key, Body: gz(body)})
				logs = append(logs, logEntry{S3Bucket: bucket, S3Object: key, HashValue: hex.EncodeToString(sum[:]), HashAlgorithm: "SHA-256",
					OldestEventTime: t.Add(-5 * time.Minute).Format(time.RFC3339), NewestEventTime: t.Format(time.RFC3339)})
			}
			if s.GapHours[h] {
				prev = nil
				continue
			}
			doc := digestDoc(s, signer, region, start, end, logs)
			key := layout.DigestKey(region, end, false)
			doc["digestS3Bucket"], doc["digestS3Object"] = bucket, key
			if prev != nil {
				raw, err := Decompress(prev.Body)
				if err != nil {
					return nil, err
				}
				sum := sha256.Sum256(raw)
				doc["previousDigestS3Bucket"] = prev.Bucket
				doc["previousDigestS3Object"] = prev.Key
				doc["previousDigestHashValue"] = hex.EncodeToString(sum[:])
				doc["previousDigestHashAlgorithm"] = "SHA-256"
				doc["previousDigestSignature"] = prevSig
			}
			obj, sig, err := a.sign(bucket, key, doc, signer)
			if err != nil {
				return nil, err
			}
			a.put(obj)
			prev, prevSig = obj, sig
		}
	}
	return a, nil
}

// logEntry is a logFiles entry as CloudTrail writes it.
type logEntry struct {
	S3Bucket        string `json:"s3Bucket"`
	S3Object        string `json:"s3Object"`
	HashValue       string `json:"hashValue"`
	HashAlgorithm   string `json:"hashAlgorithm"`
	NewestEventTime string `json:"newestEventTime,omitempty"`
	OldestEventTime string `json:"oldestEventTime,omitempty"`
}

func digestDoc(s Spec, signer *Signer, region string, start, end time.Time, logs []logEntry) map[string]any {
	if logs == nil {
		logs = []logEntry{}
	}
	return map[string]any{
		"awsAccountId":                s.Layout.AccountID,
		"digestStartTime":             start.UTC().Format(time.RFC3339),
		"digestEndTime":               end.UTC().Format(time.RFC3339),
		"digestS3Bucket":              s.Bucket,
		"digestPublicKeyFingerprint":  signer.Public.Fingerprint,
		"digestSignatureAlgorithm":    verify.SignatureAlgorithm,
		"newestEventTime":             end.Add(-5 * time.Minute).UTC().Format(time.RFC3339),
		"oldestEventTime":             start.UTC().Format(time.RFC3339),
		"previousDigestS3Bucket":      nil,
		"previousDigestS3Object":      nil,
		"previousDigestHashValue":     nil,
		"previousDigestHashAlgorithm": nil,
		"previousDigestSignature":     nil,
		"logFiles":                    logs,
	}
}

// AddBackfill adds a backfill digest for the hour ending at end in region,
// naming n new log files, generated (signed) at generatedAt.
func (a *Archive) AddBackfill(region string, end time.Time, n int, generatedAt time.Time) (*Object, error) {
	s := a.Spec
	signer, err := s.Signers.of(region)
	if err != nil {
		return nil, err
	}
	rng := mrand.New(mrand.NewPCG(s.Seed+99, 3))
	var logs []logEntry
	for i := 0; i < n; i++ {
		t := end.Add(-time.Duration(20+i) * time.Minute)
		body := logBody(rng, s.Layout.AccountID, region, t, s.LogBytes)
		key := s.Layout.LogKey(region, t, fmt.Sprintf("BF%014X", rng.Uint64()>>8))
		sum := sha256.Sum256(body)
		a.put(&Object{Bucket: s.Bucket, Key: key, Body: gz(body)})
		logs = append(logs, logEntry{S3Bucket: s.Bucket, S3Object: key, HashValue: hex.EncodeToString(sum[:]), HashAlgorithm: "SHA-256"})
	}
	doc := digestDoc(s, signer, region, end.Add(-time.Hour), end, logs)
	key := s.Layout.DigestKey(region, end, true)
	doc["digestS3Object"] = key
	obj, _, err := a.sign(s.Bucket, key, doc, signer)
	if err != nil {
		return nil, err
	}
	obj.Metadata["backfill-generation-timestamp"] = generatedAt.UTC().Format(time.RFC3339)
	a.put(obj)
	return obj, nil
}

func (a *Archive) put(o *Object) { a.Objects[o.Bucket+"/"+o.Key] = o }

// sign serialises doc, signs it as CloudTrail does and returns the object
// and its hex signature.
func (a *Archive) sign(bucket, key string, doc map[string]any, signer *Signer) (*Object, string, error) {
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, "", err
	}
	d, err := verify.ParseDigest(raw)
	if err != nil {
		return nil, "", fmt.Errorf("generated digest does not parse: %w", err)
	}
	sum := sha256.Sum256(raw)
	h := sha256.Sum256([]byte(verify.StringToSign(d, hex.EncodeToString(sum[:]))))
	sigBytes, err := rsa.SignPKCS1v15(rand.Reader, signer.Key, crypto.SHA256, h[:])
	if err != nil {
		return nil, "", err
	}
	sig := hex.EncodeToString(sigBytes)
	return &Object{Bucket: bucket, Key: key, Body: gz(raw), Metadata: map[string]string{
		"signature":           sig,
		"signature-algorithm": verify.SignatureAlgorithm,
	}}, sig, nil
}

// Resign rewrites a digest through mutate and signs it again with signer,
// as an attacker holding a signing key could. The object keeps its key
// unless mutate changes digestS3Object.
func (a *Archive) Resign(key string, signer *Signer, mutate func(doc map[string]any)) (*Object, error) {
	o := a.Get(key)
	if o == nil {
		return nil, fmt.Errorf("no object %s", key)
	}
	raw, err := Decompress(o.Body)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	mutate(doc)
	n, _, err := a.sign(o.Bucket, o.Key, doc, signer)
	if err != nil {
		return nil, err
	}
	for k, v := range o.Metadata {
		if k != "signature" {
			n.Metadata[k] = v
		}
	}
	a.put(n)
	return n, nil
}

// Get returns the object with key in the archive's bucket, or nil.
func (a *Archive) Get(key string) *Object { return a.Objects[a.Spec.Bucket+"/"+key] }

// Delete removes an object.
func (a *Archive) Delete(key string) { delete(a.Objects, a.Spec.Bucket+"/"+key) }

// GetIn returns the object with key in bucket, or nil.
func (a *Archive) GetIn(bucket, key string) *Object { return a.Objects[bucket+"/"+key] }

// DeleteIn removes an object of bucket.
func (a *Archive) DeleteIn(bucket, key string) { delete(a.Objects, bucket+"/"+key) }

// KeysIn lists the keys in bucket that contain substr, sorted.
func (a *Archive) KeysIn(bucket, substr string) []string {
	var out []string
	for _, o := range a.Objects {
		if o.Bucket == bucket && strings.Contains(o.Key, substr) {
			out = append(out, o.Key)
		}
	}
	sort.Strings(out)
	return out
}

// Keys lists the archive's keys in the bucket that contain substr, sorted.
func (a *Archive) Keys(substr string) []string { return a.KeysIn(a.Spec.Bucket, substr) }

// DigestKeys lists the region's digest keys, oldest first.
func (a *Archive) DigestKeys(region string) []string {
	return a.Keys("/CloudTrail-Digest/" + region + "/")
}

// LogKeys lists the region's log keys, oldest first.
func (a *Archive) LogKeys(region string) []string {
	return a.Keys("/CloudTrail/" + region + "/")
}

// Sorted returns the objects in bucket/key order.
func (a *Archive) Sorted() []*Object {
	out := make([]*Object, 0, len(a.Objects))
	for _, o := range a.Objects {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Bucket+"/"+out[i].Key < out[j].Bucket+"/"+out[j].Key })
	return out
}

// WriteDir lays the archive out as 'trailseal pull' does: root/bucket/key,
// with metadata sidecar files when sidecars is true.
func (a *Archive) WriteDir(root string, sidecars bool) error {
	for _, o := range a.Objects {
		p := filepath.Join(root, o.Bucket, filepath.FromSlash(o.Key))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, o.Body, 0o644); err != nil {
			return err
		}
		if sidecars && len(o.Metadata) > 0 {
			if err := verify.WriteSidecar(p, o.Metadata); err != nil {
				return err
			}
		}
	}
	return nil
}

// Gzip compresses b as one gzip member.
func Gzip(b []byte) []byte { return gz(b) }

// Gunzip decompresses one gzip member for a test, which has made b itself;
// it panics on corrupt input. Code a command runs (the demo) calls
// Decompress instead.
func Gunzip(b []byte) []byte {
	out, err := Decompress(b)
	if err != nil {
		panic(err)
	}
	return out
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// Decompress decompresses one gzip member.
func Decompress(b []byte) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	r.Multistream(false)
	var out bytes.Buffer
	if _, err := out.ReadFrom(r); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// withRecords adds records at the end of a log file's Records array.
func withRecords(body []byte, records [][]byte) []byte {
	if len(records) == 0 {
		return body
	}
	out := append([]byte{}, body[:len(body)-2]...) // without "]}"
	for _, r := range records {
		out = append(append(out, ','), r...)
	}
	return append(out, "]}"...)
}

// logBody makes a CloudTrail-shaped log file of about size bytes.
func logBody(rng *mrand.Rand, account, region string, t time.Time, size int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"Records":[`)
	for i := 0; b.Len() < size || i == 0; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"eventVersion":"1.09","eventTime":"%s","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"%s","sourceIPAddress":"203.0.113.%d","recipientAccountId":"%s","requestID":"%016x%016x"}`,
			t.Add(-time.Duration(i)*time.Second).UTC().Format(time.RFC3339), region, rng.IntN(250), account, rng.Uint64(), rng.Uint64())
	}
	b.WriteString(`]}`)
	return b.Bytes()
}
