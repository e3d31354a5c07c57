package fix

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/trailseal/trailseal/internal/awsclient"
	"github.com/trailseal/trailseal/internal/policy"
)

// Probe reads what planning must know about the resources the user named
// with --access-log-bucket, --kms-key and --alarm-topic, and stores it in
// opts.Facts. A failed read is recorded as the fact's Problem, which the
// planner turns into a refusal; Probe itself only fails on cancellation.
func Probe(ctx context.Context, c *Clients, account, defaultRegion string, opts *Options) error {
	if name := opts.AccessLogBucket; name != "" {
		opts.Facts.AccessLog = probeBucket(ctx, c, account, defaultRegion, name)
	}
	if arn := opts.KMSKeyARN; arn != "" {
		opts.Facts.Key = probeKey(ctx, c, arn)
	}
	if arn := opts.AlarmTopicARN; arn != "" {
		opts.Facts.Topic = probeTopic(ctx, c, arn)
	}
	return ctx.Err()
}

func probeBucket(ctx context.Context, c *Clients, account, defaultRegion, name string) *BucketFacts {
	f := &BucketFacts{Name: name}
	list, err := c.s3(defaultRegion).ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		f.Problem = "cannot list the account's buckets: " + describe(err, "s3:ListBuckets")
		return f
	}
	for _, b := range list.Buckets {
		if aws.ToString(b.Name) == name {
			f.Exists, f.Owned = true, true
		}
	}
	if !f.Exists {
		return f
	}
	loc, err := c.s3(defaultRegion).GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(name)})
	if err != nil {
		f.Problem = describe(err, "s3:GetBucketLocation")
		return f
	}
	f.Region = awsclient.BucketRegion(string(loc.LocationConstraint))
	ol, err := c.s3(f.Region).GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String(name)})
	switch {
	case err == nil:
		f.ObjectLock = ol.ObjectLockConfiguration != nil && ol.ObjectLockConfiguration.ObjectLockEnabled == "Enabled"
	case errorCode(err) == "ObjectLockConfigurationNotFoundError":
	default:
		f.Problem = describe(err, "s3:GetObjectLockConfiguration")
		return f
	}
	acl, err := c.s3(f.Region).GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String(name)})
	if err != nil {
		f.Problem = describe(err, "s3:GetBucketAcl")
		return f
	}
	for _, g := range acl.Grants {
		if g.Grantee != nil && aws.ToString(g.Grantee.URI) == logDeliveryGroup && (g.Permission == "WRITE" || g.Permission == "FULL_CONTROL") {
			f.LogDelivery = true
		}
	}
	pol, err := c.s3(f.Region).GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(name)})
	switch {
	case err == nil:
		if d, perr := policy.Parse(aws.ToString(pol.Policy)); perr == nil {
			for _, s := range d.Statements {
				if s.Allows() && s.Principal.HasService("logging.s3.amazonaws.com") && s.CoversAction("s3:PutObject") {
					f.LogDelivery = true
				}
			}
		}
	case errorCode(err) != "NoSuchBucketPolicy":
		f.Problem = describe(err, "s3:GetBucketPolicy")
	}
	return f
}

const logDeliveryGroup = "http://acs.amazonaws.com/groups/s3/LogDelivery"

func probeKey(ctx context.Context, c *Clients, arn string) *KeyFacts {
	f := &KeyFacts{ARN: arn, Region: arnRegion(arn)}
	if f.Region == "" || !strings.Contains(arn, ":key/") {
		f.Problem = "not a key ARN (want arn:aws:kms:REGION:ACCOUNT:key/ID)"
		return f
	}
	k := c.kms(f.Region)
	d, err := k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(arn)})
	if err != nil {
		f.Problem = describe(err, "kms:DescribeKey")
		return f
	}
	f.Enabled = d.KeyMetadata.KeyState == kmstypes.KeyStateEnabled
	f.Symmetric = d.KeyMetadata.KeySpec == kmstypes.KeySpecSymmetricDefault || d.KeyMetadata.KeySpec == ""
	pol, err := k.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(arn), PolicyName: aws.String("default")})
	if err != nil {
		f.Problem = describe(err, "kms:GetKeyPolicy")
		return f
	}
	f.Policy = aws.ToString(pol.Policy)
	return f
}

func probeTopic(ctx context.Context, c *Clients, arn string) *TopicFacts {
	f := &TopicFacts{ARN: arn}
	if arnRegion(arn) == "" {
		f.Problem = "not an SNS topic ARN (want arn:aws:sns:REGION:ACCOUNT:NAME)"
		return f
	}
	out, err := c.sns(arnRegion(arn)).ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(arn)})
	if err != nil {
		if errorCode(err) == "NotFound" {
			return f
		}
		f.Problem = describe(err, "sns:ListSubscriptionsByTopic")
		return f
	}
	f.Exists = true
	for _, s := range out.Subscriptions {
		a := aws.ToString(s.SubscriptionArn)
		if a != "" && a != "PendingConfirmation" && a != "Deleted" {
			f.Confirmed++
		}
	}
	return f
}

func describe(err error, call string) string {
	if code := errorCode(err); code != "" {
		return fmt.Sprintf("%s failed: %s", call, code)
	}
	return fmt.Sprintf("%s failed: %v", call, err)
}
