package fix

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// KindBucketLogging sends a bucket's server access logs to another bucket.
const KindBucketLogging Kind = "s3:PutBucketLogging"

// LoggingParams are the parameters of a KindBucketLogging step.
type LoggingParams struct {
	Bucket    string `json:"bucket"`
	LogTarget string `json:"logTarget"`
	LogPrefix string `json:"logPrefix"`
}

// Kind implements Params.
func (*LoggingParams) Kind() Kind { return KindBucketLogging }

// loggingState is a bucket's server access logging.
type loggingState struct {
	Enabled bool   `json:"enabled"`
	Target  string `json:"target,omitempty"`
	Prefix  string `json:"prefix,omitempty"`
}

var bucketLoggingKind = setting[loggingState]{
	read: func(ctx context.Context, c *Clients, s Step) (loggingState, error) {
		cur, err := c.s3(s.Region).GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: aws.String(s.Params.(*LoggingParams).Bucket)})
		if err != nil {
			return loggingState{}, err
		}
		if le := cur.LoggingEnabled; le != nil {
			return loggingState{Enabled: true, Target: aws.ToString(le.TargetBucket), Prefix: aws.ToString(le.TargetPrefix)}, nil
		}
		return loggingState{}, nil
	},
	target: func(s Step, _ loggingState, _ outputFunc) (loggingState, error) {
		p := s.Params.(*LoggingParams)
		return loggingState{Enabled: true, Target: p.LogTarget, Prefix: p.LogPrefix}, nil
	},
	write: func(ctx context.Context, c *Clients, s Step, v loggingState, _ bool) error {
		st := &s3types.BucketLoggingStatus{}
		if v.Enabled {
			st.LoggingEnabled = &s3types.LoggingEnabled{TargetBucket: aws.String(v.Target), TargetPrefix: aws.String(v.Prefix)}
		}
		_, err := c.s3(s.Region).PutBucketLogging(ctx, &s3.PutBucketLoggingInput{Bucket: aws.String(s.Params.(*LoggingParams).Bucket), BucketLoggingStatus: st})
		return err
	},
	same: func(_ Step, a, b loggingState) bool { return a == b },
	show: func(_ Step, v loggingState) string {
		if !v.Enabled {
			return "server access logging off"
		}
		return "server access logs to " + v.Target + "/" + v.Prefix
	},
	reverted: func(Step, loggingState) string { return "restored the previous server access logging" },
	manual: func(s Step, prev loggingState) string {
		st := map[string]any{}
		if prev.Enabled {
			st["LoggingEnabled"] = map[string]any{"TargetBucket": prev.Target, "TargetPrefix": prev.Prefix}
		}
		return "aws s3api put-bucket-logging --bucket " + shq(s.Params.(*LoggingParams).Bucket) + " --region " + s.Region + " --bucket-logging-status " + sq(compactJSON(st))
	},
}.ops(kindOps{
	fixes:  []string{"bucket.access_logging"},
	params: func() Params { return &LoggingParams{} },
	emitCLI: func(e *cliEmitter, s Step) {
		p := s.Params.(*LoggingParams)
		st := map[string]any{"LoggingEnabled": map[string]any{"TargetBucket": p.LogTarget, "TargetPrefix": p.LogPrefix}}
		e.line("aws s3api put-bucket-logging --region %s --bucket %s --bucket-logging-status %s", s.Region, sq(p.Bucket), sq(compactJSON(st)))
	},
	emitTerraform: func(e *tfEmitter, s Step) {
		p := s.Params.(*LoggingParams)
		e.line(`resource "aws_s3_bucket_logging" %s {`, hq(label(p.Bucket)))
		e.line(`  bucket        = %s`, hq(p.Bucket))
		e.line(`  target_bucket = %s`, hq(p.LogTarget))
		e.line(`  target_prefix = %s`, hq(p.LogPrefix))
		e.line(`}`)
	},
})
