package fix

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// KindBucketBPA turns on all four Block Public Access settings of a bucket.
const KindBucketBPA Kind = "s3:PutPublicAccessBlock"

// BPAParams are the parameters of a KindBucketBPA step.
type BPAParams struct {
	Bucket string `json:"bucket"`
}

// Kind implements Params.
func (*BPAParams) Kind() Kind { return KindBucketBPA }

// bpaState is a bucket's Block Public Access configuration.
type bpaState struct {
	Configured            bool `json:"configured"`
	BlockPublicAcls       bool `json:"blockPublicAcls,omitempty"`
	IgnorePublicAcls      bool `json:"ignorePublicAcls,omitempty"`
	BlockPublicPolicy     bool `json:"blockPublicPolicy,omitempty"`
	RestrictPublicBuckets bool `json:"restrictPublicBuckets,omitempty"`
}

func (v bpaState) String() string {
	if !v.Configured {
		return "no Block Public Access configuration"
	}
	return fmt.Sprintf("BlockPublicAcls %s, IgnorePublicAcls %s, BlockPublicPolicy %s, RestrictPublicBuckets %s",
		onOff(v.BlockPublicAcls), onOff(v.IgnorePublicAcls), onOff(v.BlockPublicPolicy), onOff(v.RestrictPublicBuckets))
}

var bucketBPAKind = setting[bpaState]{
	read: func(ctx context.Context, c *Clients, s Step) (bpaState, error) {
		p := s.Params.(*BPAParams)
		cur, err := c.s3(s.Region).GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(p.Bucket)})
		return readOptional(err, "NoSuchPublicAccessBlockConfiguration", func() bpaState {
			b := cur.PublicAccessBlockConfiguration
			return bpaState{Configured: true, BlockPublicAcls: aws.ToBool(b.BlockPublicAcls), IgnorePublicAcls: aws.ToBool(b.IgnorePublicAcls),
				BlockPublicPolicy: aws.ToBool(b.BlockPublicPolicy), RestrictPublicBuckets: aws.ToBool(b.RestrictPublicBuckets)}
		})
	},
	target: func(Step, bpaState, outputFunc) (bpaState, error) {
		return bpaState{Configured: true, BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}, nil
	},
	write: func(ctx context.Context, c *Clients, s Step, v bpaState, _ bool) error {
		p := s.Params.(*BPAParams)
		if !v.Configured {
			_, err := c.s3(s.Region).DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: aws.String(p.Bucket)})
			return err
		}
		_, err := c.s3(s.Region).PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String(p.Bucket),
			PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(v.BlockPublicAcls),
				IgnorePublicAcls: aws.Bool(v.IgnorePublicAcls), BlockPublicPolicy: aws.Bool(v.BlockPublicPolicy), RestrictPublicBuckets: aws.Bool(v.RestrictPublicBuckets)}})
		return err
	},
	same: func(_ Step, a, b bpaState) bool { return a == b },
	show: func(_ Step, v bpaState) string { return v.String() },
	reverted: func(_ Step, prev bpaState) string {
		return revertedOptional(prev.Configured, "the Block Public Access configuration", "the previous Block Public Access settings")
	},
	manual: func(s Step, prev bpaState) string {
		return manualOptional(prev.Configured, s.Params.(*BPAParams).Bucket, s.Region, "delete-public-access-block", "put-public-access-block",
			fmt.Sprintf("--public-access-block-configuration BlockPublicAcls=%t,IgnorePublicAcls=%t,BlockPublicPolicy=%t,RestrictPublicBuckets=%t",
				prev.BlockPublicAcls, prev.IgnorePublicAcls, prev.BlockPublicPolicy, prev.RestrictPublicBuckets))
	},
}.ops(kindOps{
	fixes:  []string{"bucket.public_access"},
	params: func() Params { return &BPAParams{} },
	emitCLI: func(e *cliEmitter, s Step) {
		e.line("aws s3api put-public-access-block --region %s --bucket %s --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
			s.Region, sq(s.Params.(*BPAParams).Bucket))
	},
	emitTerraform: func(e *tfEmitter, s Step) {
		b := s.Params.(*BPAParams).Bucket
		e.line(`resource "aws_s3_bucket_public_access_block" %s {`, hq(label(b)))
		e.line(`  bucket                  = %s`, hq(b))
		e.line(`  block_public_acls       = true`)
		e.line(`  ignore_public_acls      = true`)
		e.line(`  block_public_policy     = true`)
		e.line(`  restrict_public_buckets = true`)
		e.line(`}`)
	},
})
