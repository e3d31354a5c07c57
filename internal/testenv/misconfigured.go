package testenv

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// MotoAccount is the account moto serves to any credentials.
const MotoAccount = "123456789012"

// Misconfigured names what SeedMisconfigured created.
type Misconfigured struct {
	Region       string
	TrailName    string
	TrailARN     string
	TrailBucket  string
	AccessBucket string
	TopicARN     string
	// KeptStatement is the Sid of a bucket policy statement unrelated to
	// CloudTrail that a fix must keep.
	KeptStatement string
}

// SeedMisconfigured creates, in one region of the emulator, a trail that
// breaks most of the rules a fix can repair: single-region, not logging,
// no validation, no global events, write-only management events, no KMS,
// no CloudWatch Logs; its bucket without versioning, Object Lock, Block
// Public Access, lifecycle or access logging, and with a policy whose
// CloudTrail statement has no source condition. It also creates an
// access-log bucket and an SNS topic with a confirmed subscription for the
// fixes to use.
func SeedMisconfigured(ctx context.Context, cfg aws.Config, region string) (Misconfigured, error) {
	m := Misconfigured{
		Region: region, TrailName: "main", TrailBucket: "trail-bucket", AccessBucket: "access-logs",
		KeptStatement: "AuditorsRead",
	}
	s := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true; o.Region = region })
	for _, b := range []string{m.TrailBucket, m.AccessBucket} {
		in := &s3.CreateBucketInput{Bucket: aws.String(b)}
		if _, err := s.CreateBucket(ctx, in); err != nil {
			return m, fmt.Errorf("create bucket %s: %w", b, err)
		}
	}
	// The access-log bucket lets S3 deliver through its policy, as AWS
	// recommends for buckets with ACLs disabled.
	logPol := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"S3ServerAccessLogs","Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":["s3:PutObject"],"Resource":"arn:aws:s3:::%s/*","Condition":{"StringEquals":{"aws:SourceAccount":"%s"}}}]}`, m.AccessBucket, MotoAccount)
	if _, err := s.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(m.AccessBucket), Policy: aws.String(logPol)}); err != nil {
		return m, fmt.Errorf("access-log bucket policy: %w", err)
	}
	pol := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[`+
		`{"Sid":"AWSCloudTrailAclCheck","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::%[1]s"},`+
		`{"Sid":"AWSCloudTrailWrite","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::%[1]s/AWSLogs/%[2]s/*","Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}},`+
		`{"Sid":"%[3]s","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%[2]s:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::%[1]s/*"}]}`,
		m.TrailBucket, MotoAccount, m.KeptStatement)
	if _, err := s.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(m.TrailBucket), Policy: aws.String(pol)}); err != nil {
		return m, fmt.Errorf("bucket policy: %w", err)
	}
	ct := cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) { o.Region = region })
	tr, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{
		Name: aws.String(m.TrailName), S3BucketName: aws.String(m.TrailBucket),
		IsMultiRegionTrail: aws.Bool(false), IncludeGlobalServiceEvents: aws.Bool(false),
	})
	if err != nil {
		return m, fmt.Errorf("create trail: %w", err)
	}
	m.TrailARN = aws.ToString(tr.TrailARN)
	if _, err := ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: aws.String(m.TrailName),
		EventSelectors: []cttypes.EventSelector{{ReadWriteType: cttypes.ReadWriteTypeWriteOnly, IncludeManagementEvents: aws.Bool(true)}}}); err != nil {
		return m, fmt.Errorf("event selectors: %w", err)
	}
	sn := sns.NewFromConfig(cfg, func(o *sns.Options) { o.Region = region })
	topic, err := sn.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("security-alerts")})
	if err != nil {
		return m, fmt.Errorf("topic: %w", err)
	}
	m.TopicARN = aws.ToString(topic.TopicArn)
	if _, err := sn.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String(fmt.Sprintf("arn:aws:sqs:%s:%s:security", region, MotoAccount))}); err != nil {
		return m, fmt.Errorf("subscribe: %w", err)
	}
	return m, nil
}
