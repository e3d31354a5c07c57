package fix

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// KindBucketLifecycle keeps a bucket's lifecycle rules from expiring trail
// logs before the minimum retention.
const KindBucketLifecycle Kind = "s3:PutBucketLifecycleConfiguration"

// LifecycleParams are the parameters of a KindBucketLifecycle step.
type LifecycleParams struct {
	Bucket string `json:"bucket"`
	// MinDays is the shortest retention of the logs under Prefixes.
	MinDays  int      `json:"minDays"`
	Prefixes []string `json:"prefixes"`
}

// Kind implements Params.
func (*LifecycleParams) Kind() Kind { return KindBucketLifecycle }

// lifecycleState is a bucket's lifecycle configuration, every field of
// every rule, so that undo can write back exactly what was there. The
// field names are the API's, in lower camel case: journals of version 1
// stored the SDK structs with the API's names, which encoding/json matches
// to these without regard to case (the version 1 golden test holds it to
// that).
type lifecycleState struct {
	Configured bool            `json:"configured"`
	Rules      []lifecycleRule `json:"rules,omitempty"`
}

type lifecycleRule struct {
	ID                             string                          `json:"id,omitempty"`
	Status                         string                          `json:"status"`
	Prefix                         *string                         `json:"prefix,omitempty"`
	Filter                         *lifecycleFilter                `json:"filter,omitempty"`
	Expiration                     *lifecycleExpiration            `json:"expiration,omitempty"`
	Transitions                    []lifecycleTransition           `json:"transitions,omitempty"`
	NoncurrentVersionExpiration    *noncurrentVersionExpiration    `json:"noncurrentVersionExpiration,omitempty"`
	NoncurrentVersionTransitions   []noncurrentVersionTransition   `json:"noncurrentVersionTransitions,omitempty"`
	AbortIncompleteMultipartUpload *abortIncompleteMultipartUpload `json:"abortIncompleteMultipartUpload,omitempty"`
}

type lifecycleFilter struct {
	Prefix                *string       `json:"prefix,omitempty"`
	Tag                   *lifecycleTag `json:"tag,omitempty"`
	ObjectSizeGreaterThan *int64        `json:"objectSizeGreaterThan,omitempty"`
	ObjectSizeLessThan    *int64        `json:"objectSizeLessThan,omitempty"`
	And                   *lifecycleAnd `json:"and,omitempty"`
}

type lifecycleAnd struct {
	Prefix                *string        `json:"prefix,omitempty"`
	Tags                  []lifecycleTag `json:"tags,omitempty"`
	ObjectSizeGreaterThan *int64         `json:"objectSizeGreaterThan,omitempty"`
	ObjectSizeLessThan    *int64         `json:"objectSizeLessThan,omitempty"`
}

type lifecycleTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type lifecycleExpiration struct {
	Date                      *time.Time `json:"date,omitempty"`
	Days                      int32      `json:"days,omitempty"`
	ExpiredObjectDeleteMarker bool       `json:"expiredObjectDeleteMarker,omitempty"`
}

type lifecycleTransition struct {
	Date         *time.Time `json:"date,omitempty"`
	Days         int32      `json:"days,omitempty"`
	StorageClass string     `json:"storageClass"`
}

type noncurrentVersionExpiration struct {
	NoncurrentDays          int32 `json:"noncurrentDays,omitempty"`
	NewerNoncurrentVersions int32 `json:"newerNoncurrentVersions,omitempty"`
}

type noncurrentVersionTransition struct {
	NoncurrentDays          int32  `json:"noncurrentDays,omitempty"`
	NewerNoncurrentVersions int32  `json:"newerNoncurrentVersions,omitempty"`
	StorageClass            string `json:"storageClass"`
}

type abortIncompleteMultipartUpload struct {
	DaysAfterInitiation int32 `json:"daysAfterInitiation,omitempty"`
}

var bucketLifecycleKind = setting[lifecycleState]{
	read: func(ctx context.Context, c *Clients, s Step) (lifecycleState, error) {
		cur, err := c.s3(s.Region).GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(s.Params.(*LifecycleParams).Bucket)})
		return readOptional(err, "NoSuchLifecycleConfiguration", func() lifecycleState {
			return lifecycleState{Configured: true, Rules: rulesFromSDK(cur.Rules)}
		})
	},
	target: func(s Step, prev lifecycleState, _ outputFunc) (lifecycleState, error) {
		p := s.Params.(*LifecycleParams)
		return lifecycleState{Configured: true, Rules: rulesFromSDK(LifecycleRules(rulesToSDK(prev.Rules), p.Prefixes, p.MinDays))}, nil
	},
	write: func(ctx context.Context, c *Clients, s Step, v lifecycleState, _ bool) error {
		bucket := aws.String(s.Params.(*LifecycleParams).Bucket)
		if !v.Configured {
			_, err := c.s3(s.Region).DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: bucket})
			return err
		}
		_, err := c.s3(s.Region).PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: bucket,
			LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: rulesToSDK(v.Rules)}})
		return err
	},
	same: func(_ Step, a, b lifecycleState) bool { return bytes.Equal(marshal(a), marshal(b)) },
	show: func(_ Step, v lifecycleState) string {
		if !v.Configured {
			return "no lifecycle configuration"
		}
		return "lifecycle rules " + compactJSON(v.Rules)
	},
	reverted: func(_ Step, prev lifecycleState) string {
		return revertedOptional(prev.Configured, "the lifecycle configuration", "the previous lifecycle rules")
	},
	manual: func(s Step, prev lifecycleState) string {
		return manualOptional(prev.Configured, s.Params.(*LifecycleParams).Bucket, s.Region, "delete-bucket-lifecycle",
			"put-bucket-lifecycle-configuration", "--lifecycle-configuration "+sq(apiLifecycleJSON(prev.Rules)))
	},
}.ops(kindOps{
	fixes:         []string{"bucket.lifecycle"},
	params:        func() Params { return &LifecycleParams{} },
	emitCLI:       emitLifecycleCLI,
	emitTerraform: emitLifecycleTerraform,
})

// LifecycleRules returns the rules fix writes: the current rules with every
// expiration that reaches the log prefixes raised to minDays, or, with no
// current rules, one rule per log prefix.
func LifecycleRules(cur []s3types.LifecycleRule, prefixes []string, minDays int) []s3types.LifecycleRule {
	if len(cur) == 0 {
		var out []s3types.LifecycleRule
		for i, prefix := range prefixes {
			id := "trailseal-trail-logs"
			if i > 0 {
				id = fmt.Sprintf("%s-%d", id, i+1)
			}
			r := s3types.LifecycleRule{
				ID: aws.String(id), Status: s3types.ExpirationStatusEnabled,
				Filter:                      &s3types.LifecycleRuleFilter{Prefix: aws.String(prefix)},
				Expiration:                  &s3types.LifecycleExpiration{Days: aws.Int32(int32(minDays))},
				NoncurrentVersionExpiration: &s3types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(int32(minDays))},
			}
			if td := transitionDays(minDays); td < minDays {
				r.Transitions = []s3types.Transition{{Days: aws.Int32(int32(td)), StorageClass: s3types.TransitionStorageClassGlacier}}
			}
			out = append(out, r)
		}
		return out
	}
	out := make([]s3types.LifecycleRule, len(cur))
	for i, r := range cur {
		if r.Status == s3types.ExpirationStatusEnabled && overlaps(rulePrefix(r), prefixes) {
			r = lengthened(r, minDays)
		}
		out[i] = r
	}
	return out
}

// lengthened raises the expirations of one rule to at least minDays,
// leaving the input untouched (the journal keeps it).
func lengthened(r s3types.LifecycleRule, minDays int) s3types.LifecycleRule {
	if r.Expiration != nil && aws.ToInt32(r.Expiration.Days) > 0 && int(aws.ToInt32(r.Expiration.Days)) < minDays {
		e := *r.Expiration
		e.Days = aws.Int32(int32(minDays))
		r.Expiration = &e
	}
	if r.Expiration != nil && r.Expiration.Date != nil {
		// A fixed-date expiration deletes every log from that day on:
		// replace it with the minimum retention in days.
		e := *r.Expiration
		e.Date = nil
		e.Days = aws.Int32(int32(minDays))
		r.Expiration = &e
	}
	if n := r.NoncurrentVersionExpiration; n != nil && aws.ToInt32(n.NoncurrentDays) > 0 && int(aws.ToInt32(n.NoncurrentDays)) < minDays {
		e := *n
		e.NoncurrentDays = aws.Int32(int32(minDays))
		r.NoncurrentVersionExpiration = &e
	}
	return r
}

func rulePrefix(r s3types.LifecycleRule) string {
	if r.Filter != nil {
		if r.Filter.Prefix != nil {
			return *r.Filter.Prefix
		}
		if r.Filter.And != nil && r.Filter.And.Prefix != nil {
			return *r.Filter.And.Prefix
		}
		return ""
	}
	return aws.ToString(r.Prefix)
}

func overlaps(rule string, prefixes []string) bool {
	if rule == "" {
		return true
	}
	for _, p := range prefixes {
		if strings.HasPrefix(p, rule) || strings.HasPrefix(rule, p) {
			return true
		}
	}
	return false
}

func emitLifecycleCLI(e *cliEmitter, s Step) {
	p := s.Params.(*LifecycleParams)
	r := "--region " + s.Region
	if strings.HasPrefix(s.Before, "no lifecycle") {
		e.line("aws s3api put-bucket-lifecycle-configuration %s --bucket %s --lifecycle-configuration %s", r, sq(p.Bucket), sq(lifecycleJSON(LifecycleRules(nil, p.Prefixes, p.MinDays))))
		return
	}
	// Existing rules carry filters and actions the inventory does not
	// record; rewriting them from here could lose some.
	e.line("# Existing rules must be edited, not replaced: raise every Expiration.Days and")
	e.line("# NoncurrentVersionExpiration.NoncurrentDays below %d on the log prefixes to %d.", p.MinDays, p.MinDays)
	e.line("aws s3api get-bucket-lifecycle-configuration %s --bucket %s > %s", r, sq(p.Bucket), sq(p.Bucket+"-lifecycle.json"))
	e.line("echo 'edit %s-lifecycle.json, then run: aws s3api put-bucket-lifecycle-configuration --bucket %s --lifecycle-configuration file://%s-lifecycle.json' >&2", p.Bucket, p.Bucket, p.Bucket)
}

func emitLifecycleTerraform(e *tfEmitter, s Step) {
	p := s.Params.(*LifecycleParams)
	if !strings.HasPrefix(s.Before, "no lifecycle") {
		e.line("# %s has lifecycle rules: raise every expiration on the log prefixes to at least %d days", p.Bucket, p.MinDays)
		e.line("# in the aws_s3_bucket_lifecycle_configuration that manages it (replacing it from here could drop rules).")
		return
	}
	e.line(`resource "aws_s3_bucket_lifecycle_configuration" %s {`, hq(label(p.Bucket)))
	e.line(`  bucket = %s`, hq(p.Bucket))
	for _, r := range LifecycleRules(nil, p.Prefixes, p.MinDays) {
		e.line(`  rule {`)
		e.line(`    id     = %s`, hq(*r.ID))
		e.line(`    status = "Enabled"`)
		e.line(`    filter {`)
		e.line(`      prefix = %s`, hq(rulePrefix(r)))
		e.line(`    }`)
		for _, t := range r.Transitions {
			e.line(`    transition {`)
			e.line(`      days          = %d`, *t.Days)
			e.line(`      storage_class = %s`, hq(string(t.StorageClass)))
			e.line(`    }`)
		}
		e.line(`    expiration {`)
		e.line(`      days = %d`, *r.Expiration.Days)
		e.line(`    }`)
		e.line(`    noncurrent_version_expiration {`)
		e.line(`      noncurrent_days = %d`, *r.NoncurrentVersionExpiration.NoncurrentDays)
		e.line(`    }`)
		e.line(`  }`)
	}
	e.line(`}`)
}
