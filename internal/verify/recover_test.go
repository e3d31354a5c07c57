package verify_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/trailseal/trailseal/internal/verify"
	"github.com/trailseal/trailseal/internal/verify/chaingen"
)

// TestRecoverDeletedDigestRange deletes three consecutive digests of a
// versioned bucket (each deletion leaves a delete marker and the version).
// The one the next digest names is checked against its
// previousDigestHashValue; the two of the range before it, which no
// surviving digest names, by their own signatures with their region's key;
// one of them was overwritten before its deletion, and its newest version
// fails that check.
func TestRecoverDeletedDigestRange(t *testing.T) {
	ctx := context.Background()
	a := generate(t, newSpec(freshBucket(t)))
	bucket := a.Spec.Bucket
	if _, err := s3client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	upload(t, a)
	digests := a.DigestKeys("us-east-1")
	orig := a.Get(digests[1])
	changed := chaingen.Gzip(append(chaingen.Gunzip(orig.Body), ' '))
	if _, err := s3client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(digests[1]),
		Body: bytes.NewReader(changed), Metadata: orig.Metadata}); err != nil {
		t.Fatal(err)
	}
	for _, k := range digests[1:4] {
		if _, err := s3client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
	}
	r := run(t, options(a))
	expectExactly(t, r, finding{reason: verify.DigestMissing, keyPart: digests[3]}, finding{reason: verify.DigestSlotMissing, count: 2})
	for _, p := range r.Problems() {
		rec := p.Recovery
		want := 1
		if p.Count == 2 {
			want = 2
		}
		if rec == nil || rec.Versioning != "Enabled" || len(rec.Objects) != want {
			t.Fatalf("%s %v: recovery %+v, want %d objects", p.Key, p.Reasons, rec, want)
		}
		for _, o := range rec.Objects {
			want := verify.VersionValid
			if o.Key == digests[1] {
				want = verify.VersionModified
			}
			if o.Verdict != want || o.DeleteMarker == nil || o.Restore == "" {
				t.Errorf("%s: %+v, want %s", o.Key, o, want)
			}
		}
	}

	// Offline there are no versions to look at: the report says so.
	dir := t.TempDir()
	a.Delete(digests[2])
	if err := a.WriteDir(dir, true); err != nil {
		t.Fatal(err)
	}
	o := options(a)
	o.Store, o.Offline, o.FromDir = verify.DirStore{Root: dir}, true, dir
	r = run(t, o)
	for _, p := range r.Problems() {
		if p.Recovery == nil || p.Recovery.Versioning != "unknown" {
			t.Errorf("offline %s: recovery %+v", p.Key, p.Recovery)
		}
	}
}
