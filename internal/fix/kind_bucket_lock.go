package fix

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// KindBucketLock enables Object Lock on a versioned bucket with a default
// retention.
const KindBucketLock Kind = "s3:PutObjectLockConfiguration"

// LockParams are the parameters of a KindBucketLock step.
type LockParams struct {
	Bucket   string `json:"bucket"`
	LockMode string `json:"lockMode"`
	LockDays int    `json:"lockDays"`
}

// Kind implements Params.
func (*LockParams) Kind() Kind { return KindBucketLock }

// lockState is a bucket's Object Lock configuration.
type lockState struct {
	Enabled bool   `json:"enabled"`
	Mode    string `json:"mode,omitempty"`
	Days    int32  `json:"days,omitempty"`
	Years   int32  `json:"years,omitempty"`
}

func (v lockState) String() string {
	switch {
	case !v.Enabled:
		return "Object Lock off"
	case v.Mode == "":
		return "Object Lock on, no default retention"
	case v.Years > 0:
		return fmt.Sprintf("Object Lock on, default %s %d years", v.Mode, v.Years)
	}
	return fmt.Sprintf("Object Lock on, default %s %d days", v.Mode, v.Days)
}

var bucketLockKind = setting[lockState]{
	read: func(ctx context.Context, c *Clients, s Step) (lockState, error) {
		cur, err := c.s3(s.Region).GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String(s.Params.(*LockParams).Bucket)})
		var v lockState
		switch {
		case err == nil && cur.ObjectLockConfiguration != nil:
			v.Enabled = cur.ObjectLockConfiguration.ObjectLockEnabled == s3types.ObjectLockEnabledEnabled
			if r := cur.ObjectLockConfiguration.Rule; r != nil && r.DefaultRetention != nil {
				v.Mode = string(r.DefaultRetention.Mode)
				v.Days, v.Years = aws.ToInt32(r.DefaultRetention.Days), aws.ToInt32(r.DefaultRetention.Years)
			}
		case err != nil && errorCode(err) != "ObjectLockConfigurationNotFoundError":
			return v, err
		}
		return v, nil
	},
	target: func(s Step, _ lockState, _ outputFunc) (lockState, error) {
		p := s.Params.(*LockParams)
		return lockState{Enabled: true, Mode: p.LockMode, Days: int32(p.LockDays)}, nil
	},
	write: func(ctx context.Context, c *Clients, s Step, v lockState, _ bool) error {
		// Object Lock cannot be turned off: undo puts back the default
		// retention only.
		cfg := &s3types.ObjectLockConfiguration{ObjectLockEnabled: s3types.ObjectLockEnabledEnabled}
		if v.Mode != "" {
			dr := &s3types.DefaultRetention{Mode: s3types.ObjectLockRetentionMode(v.Mode)}
			if v.Days > 0 {
				dr.Days = aws.Int32(v.Days)
			}
			if v.Years > 0 {
				dr.Years = aws.Int32(v.Years)
			}
			cfg.Rule = &s3types.ObjectLockRule{DefaultRetention: dr}
		}
		_, err := c.s3(s.Region).PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String(s.Params.(*LockParams).Bucket), ObjectLockConfiguration: cfg})
		return err
	},
	same: func(_ Step, a, b lockState) bool { return a == b },
	show: func(_ Step, v lockState) string { return v.String() },
	reverted: func(Step, lockState) string {
		return "restored the previous default retention (Object Lock itself stays on)"
	},
	manual: func(s Step, prev lockState) string {
		cfg := map[string]any{"ObjectLockEnabled": "Enabled"}
		if prev.Mode != "" {
			dr := map[string]any{"Mode": prev.Mode}
			if prev.Days > 0 {
				dr["Days"] = prev.Days
			}
			if prev.Years > 0 {
				dr["Years"] = prev.Years
			}
			cfg["Rule"] = map[string]any{"DefaultRetention": dr}
		}
		return fmt.Sprintf("aws s3api put-object-lock-configuration --bucket %s --region %s --object-lock-configuration %s",
			shq(s.Params.(*LockParams).Bucket), s.Region, sq(compactJSON(cfg)))
	},
}.ops(kindOps{
	fixes:  []string{"bucket.object_lock", "bucket.object_lock_retention"},
	params: func() Params { return &LockParams{} },
	emitCLI: func(e *cliEmitter, s Step) {
		p := s.Params.(*LockParams)
		cfg := map[string]any{"ObjectLockEnabled": "Enabled", "Rule": map[string]any{"DefaultRetention": map[string]any{"Mode": p.LockMode, "Days": p.LockDays}}}
		e.line("aws s3api put-object-lock-configuration --region %s --bucket %s --object-lock-configuration %s", s.Region, sq(p.Bucket), sq(compactJSON(cfg)))
	},
	emitTerraform: func(e *tfEmitter, s Step) {
		p := s.Params.(*LockParams)
		e.line(`resource "aws_s3_bucket_object_lock_configuration" %s {`, hq(label(p.Bucket)))
		e.line(`  bucket              = %s`, hq(p.Bucket))
		e.line(`  object_lock_enabled = "Enabled"`)
		e.line(`  rule {`)
		e.line(`    default_retention {`)
		e.line(`      mode = %s`, hq(p.LockMode))
		e.line(`      days = %d`, p.LockDays)
		e.line(`    }`)
		e.line(`  }`)
		if dep := e.names["bucket.versioning:"+p.Bucket]; dep != "" {
			e.line(`  depends_on = [%s]`, dep)
		} else {
			e.line(`  depends_on = [aws_s3_bucket_versioning.%s]`, label(p.Bucket))
		}
		e.line(`}`)
	},
})
