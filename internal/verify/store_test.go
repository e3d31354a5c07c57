package verify_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailseal/trailseal/internal/verify"
	"github.com/trailseal/trailseal/internal/verify/chaingen"
)

// storeObjects is what the conformance suite writes: a digest day folder
// (which a Prefetch lists ahead), a log folder, and keys that share a
// string prefix with others without being under them.
func storeObjects(bucket string) []*chaingen.Object {
	l := verify.Layout{AccountID: "111122223333", TrailName: "t", HomeRegion: "us-east-1"}
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	dp, lp := l.DigestDayPrefix("us-east-1", day), l.LogDayPrefix("us-east-1", day)
	return []*chaingen.Object{
		{Bucket: bucket, Key: dp + "b.json.gz", Body: []byte("digest b"), Metadata: map[string]string{"signature": "ab01", "signature-algorithm": "SHA256withRSA"}},
		{Bucket: bucket, Key: dp + "a.json.gz", Body: []byte("digest a"), Metadata: map[string]string{"signature": "cd02"}},
		{Bucket: bucket, Key: lp + "log 1+é.json.gz", Body: []byte("log with space, plus and é")},
		{Bucket: bucket, Key: lp + "empty.json.gz", Body: []byte{}},
		{Bucket: bucket, Key: lp[:len(lp)-1] + "1/next-day.json.gz", Body: []byte("day 011, not day 01")},
		{Bucket: bucket, Key: "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/03/01/x.json.gz", Body: []byte("another region")},
	}
}

type storeUnderTest struct {
	name string
	// s3 stores read metadata for every object (empty when it has none),
	// ETags and version IDs; a folder copy has no metadata file for an
	// object whose metadata was empty.
	s3   bool
	open func(t *testing.T, objs []*chaingen.Object) (verify.Store, string)
}

// TestStoreConformance runs one suite against every Store: the S3 store
// (signed GETs and the SDK path), the folder copy, and Prefetch in front
// of either (restic's backend tests, for verify's stores).
func TestStoreConformance(t *testing.T) {
	inS3 := func(t *testing.T, objs []*chaingen.Object) string {
		bucket := freshBucket(t)
		for _, o := range objs {
			o.Bucket = bucket
			if _, err := s3client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.Key),
				Body: bytes.NewReader(o.Body), Metadata: o.Metadata}); err != nil {
				t.Fatal(err)
			}
		}
		return bucket
	}
	inDir := func(t *testing.T, objs []*chaingen.Object) (verify.DirStore, string) {
		a := &chaingen.Archive{Objects: map[string]*chaingen.Object{}}
		for _, o := range objs {
			o.Bucket = "conformance"
			a.Objects[o.Bucket+"/"+o.Key] = o
		}
		dir := t.TempDir()
		if err := a.WriteDir(dir, true); err != nil {
			t.Fatal(err)
		}
		return verify.DirStore{Root: dir}, "conformance"
	}
	prefetch := func(st verify.Store, bucket string) verify.Store {
		l := verify.Layout{AccountID: "111122223333", TrailName: "t", HomeRegion: "us-east-1"}
		day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		p := verify.StartPrefetch(context.Background(), st, bucket, l, []string{"us-east-1"}, day, day.Add(time.Hour), 2)
		return p
	}
	stores := []storeUnderTest{
		{"s3", true, func(t *testing.T, objs []*chaingen.Object) (verify.Store, string) {
			return verify.NewS3Store(s3client), inS3(t, objs)
		}},
		{"s3-sdk", true, func(t *testing.T, objs []*chaingen.Object) (verify.Store, string) {
			return &verify.S3Store{Client: s3client}, inS3(t, objs)
		}},
		{"dir", false, func(t *testing.T, objs []*chaingen.Object) (verify.Store, string) {
			return inDir(t, objs)
		}},
		{"prefetch-s3", true, func(t *testing.T, objs []*chaingen.Object) (verify.Store, string) {
			b := inS3(t, objs)
			return prefetch(verify.NewS3Store(s3client), b), b
		}},
		{"prefetch-dir", false, func(t *testing.T, objs []*chaingen.Object) (verify.Store, string) {
			st, b := inDir(t, objs)
			return prefetch(st, b), b
		}},
	}
	for _, su := range stores {
		t.Run(su.name, func(t *testing.T) {
			objs := storeObjects("")
			st, bucket := su.open(t, objs)
			testStore(t, su, st, bucket, objs)
		})
	}
}

func testStore(t *testing.T, su storeUnderTest, st verify.Store, bucket string, objs []*chaingen.Object) {
	ctx := context.Background()
	list := func(prefix string) []string {
		var keys []string
		if err := st.List(ctx, bucket, prefix, func(o verify.Object) error {
			keys = append(keys, fmt.Sprintf("%s:%d", o.Key, o.Size))
			return nil
		}); err != nil {
			t.Fatalf("List %s: %v", prefix, err)
		}
		return keys
	}
	want := func(prefix string) []string {
		var keys []string
		for _, o := range objs {
			if len(o.Key) >= len(prefix) && o.Key[:len(prefix)] == prefix {
				keys = append(keys, fmt.Sprintf("%s:%d", o.Key, len(o.Body)))
			}
		}
		slices.Sort(keys)
		return keys
	}
	for _, prefix := range []string{
		objs[0].Key[:len(objs[0].Key)-len("b.json.gz")],       // a prefetched digest day
		objs[2].Key[:len(objs[2].Key)-len("log 1+é.json.gz")], // a log day: not day 011
		"AWSLogs/111122223333/CloudTrail/",
		"AWSLogs/111122223333/CloudTrail", // also CloudTrail-Digest
		"AWSLogs/nobody/",
	} {
		// Twice: a Prefetch answers the first from memory, the second
		// from the store.
		for range 2 {
			if got, w := list(prefix), want(prefix); !slices.Equal(got, w) {
				t.Errorf("List %q:\n got %v\nwant %v", prefix, got, w)
			}
		}
	}
	for prefix, w := range map[string][]string{
		"AWSLogs/111122223333/":            {"CloudTrail", "CloudTrail-Digest"},
		"AWSLogs/111122223333/CloudTrail/": {"eu-west-1", "us-east-1"},
		"AWSLogs/nobody/":                  nil,
	} {
		got, err := st.ListDirs(ctx, bucket, prefix)
		slices.Sort(got)
		if err != nil || !slices.Equal(got, w) {
			t.Errorf("ListDirs %q: %v, %v; want %v", prefix, got, err, w)
		}
	}
	for _, o := range objs {
		body, info, err := st.Open(ctx, bucket, o.Key)
		if err != nil {
			t.Errorf("Open %s: %v", o.Key, err)
			continue
		}
		b, err := io.ReadAll(body)
		body.Close()
		if err != nil || !bytes.Equal(b, o.Body) {
			t.Errorf("Open %s: read %q, %v; want %q", o.Key, b, err, o.Body)
		}
		for k, v := range o.Metadata {
			if info.Metadata[k] != v {
				t.Errorf("Open %s: metadata %v, want %s=%s", o.Key, info.Metadata, k, v)
			}
		}
		if len(o.Metadata) == 0 && len(info.Metadata) != 0 {
			t.Errorf("Open %s: metadata %v, want none", o.Key, info.Metadata)
		}
		if su.s3 && (info.Metadata == nil || info.ETag == "") {
			t.Errorf("Open %s from S3: metadata %v, ETag %q; want a map and an ETag", o.Key, info.Metadata, info.ETag)
		}
		if !su.s3 && (info.ETag != "" || info.VersionID != "") {
			t.Errorf("Open %s from a folder: ETag %q, version %q", o.Key, info.ETag, info.VersionID)
		}
	}
	for _, key := range []string{"AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/01/missing.json.gz", "AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/01"} {
		if _, _, err := st.Open(ctx, bucket, key); !errors.Is(err, verify.ErrNotFound) {
			t.Errorf("Open %s: %v, want ErrNotFound", key, err)
		}
	}
}
