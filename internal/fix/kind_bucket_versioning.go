package fix

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// KindBucketVersion turns on versioning of a bucket.
const KindBucketVersion Kind = "s3:PutBucketVersioning"

// VersioningParams are the parameters of a KindBucketVersion step.
type VersioningParams struct {
	Bucket string `json:"bucket"`
}

// Kind implements Params.
func (*VersioningParams) Kind() Kind { return KindBucketVersion }

// versioningState is a bucket's versioning status: "" (never enabled),
// Enabled or Suspended.
type versioningState struct {
	Status string `json:"status"`
}

var bucketVersioningKind = setting[versioningState]{
	read: func(ctx context.Context, c *Clients, s Step) (versioningState, error) {
		v, err := c.s3(s.Region).GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(s.Params.(*VersioningParams).Bucket)})
		if err != nil {
			return versioningState{}, err
		}
		return versioningState{Status: string(v.Status)}, nil
	},
	target: func(Step, versioningState, outputFunc) (versioningState, error) {
		return versioningState{Status: string(s3types.BucketVersioningStatusEnabled)}, nil
	},
	write: func(ctx context.Context, c *Clients, s Step, v versioningState, _ bool) error {
		// A bucket that has had versioning can only be suspended, not
		// returned to never-versioned.
		status := s3types.BucketVersioningStatusSuspended
		if v.Status == string(s3types.BucketVersioningStatusEnabled) {
			status = s3types.BucketVersioningStatusEnabled
		}
		_, err := c.s3(s.Region).PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(s.Params.(*VersioningParams).Bucket),
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: status}})
		return err
	},
	same: func(_ Step, a, b versioningState) bool { return a == b },
	show: func(_ Step, v versioningState) string { return "versioning " + orNone(v.Status, "never enabled") },
	keep: func(_ Step, prev versioningState) (string, bool) {
		return "versioning was already on; left on", prev.Status == string(s3types.BucketVersioningStatusEnabled)
	},
	reverted: func(Step, versioningState) string {
		return "versioning Suspended (S3 cannot return a bucket to never-versioned)"
	},
	manual: func(s Step, _ versioningState) string {
		return "aws s3api put-bucket-versioning --bucket " + shq(s.Params.(*VersioningParams).Bucket) + " --region " + s.Region + " --versioning-configuration Status=Suspended"
	},
}.ops(kindOps{
	fixes:  []string{"bucket.versioning"},
	params: func() Params { return &VersioningParams{} },
	emitCLI: func(e *cliEmitter, s Step) {
		e.line("aws s3api put-bucket-versioning --region %s --bucket %s --versioning-configuration Status=Enabled", s.Region, sq(s.Params.(*VersioningParams).Bucket))
	},
	emitTerraform: func(e *tfEmitter, s Step) {
		b := s.Params.(*VersioningParams).Bucket
		e.line(`resource "aws_s3_bucket_versioning" %s {`, hq(label(b)))
		e.line(`  bucket = %s`, hq(b))
		e.line(`  versioning_configuration {`)
		e.line(`    status = "Enabled"`)
		e.line(`  }`)
		e.line(`}`)
	},
})
