package fix_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/trailseal/trailseal/internal/fix"
	"github.com/trailseal/trailseal/internal/testenv"
)

// The journal goldens under testdata were written by 'trailseal fix
// --apply' in its first journal format (version 1, before step kinds
// became typed and the journal held SDK types). These seeds rebuild the
// accounts they were written against, so that the goldens can be undone
// by every later version.

// seedGoldenFull is SeedMisconfigured plus a Block Public Access
// configuration with one setting on and a lifecycle rule that expires the
// logs after 30 days, so that the journal records a previous value of the
// two shapes that version 1 stored as SDK types.
func seedGoldenFull(t *testing.T, ctx context.Context, cfg aws.Config) testenv.Misconfigured {
	t.Helper()
	m := seed(t, ctx, cfg)
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String(m.TrailBucket),
		PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
			BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(false), BlockPublicPolicy: aws.Bool(false), RestrictPublicBuckets: aws.Bool(false)}}); err != nil {
		t.Fatalf("seed Block Public Access: %v", err)
	}
	if _, err := c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(m.TrailBucket),
		LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: []s3types.LifecycleRule{{
			ID: aws.String("short-logs"), Status: s3types.ExpirationStatusEnabled,
			Filter:                      &s3types.LifecycleRuleFilter{Prefix: aws.String("AWSLogs/")},
			Expiration:                  &s3types.LifecycleExpiration{Days: aws.Int32(30)},
			NoncurrentVersionExpiration: &s3types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(7)},
		}}}}); err != nil {
		t.Fatalf("seed lifecycle: %v", err)
	}
	return m
}

// goldenLogGroup is the log group the alarm golden's trail delivers to.
const goldenLogGroup = "existing-trail-logs"

// seedGoldenAlarm is SeedMisconfigured with the trail delivering to a log
// group that already has a metric filter of the name fix uses for the CIS
// 4.5 alarm, with another pattern and metric, so that the journal records
// the replaced filter's metric transformations (an SDK type in version 1).
func seedGoldenAlarm(t *testing.T, ctx context.Context, cfg aws.Config) testenv.Misconfigured {
	t.Helper()
	m := seed(t, ctx, cfg)
	logs := cloudwatchlogs.NewFromConfig(cfg)
	if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(goldenLogGroup)}); err != nil {
		t.Fatalf("seed log group: %v", err)
	}
	role, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("existing-trail-logs"),
		AssumeRolePolicyDocument: aws.String(fix.LogsRoleTrust(testenv.MotoAccount))})
	if err != nil {
		t.Fatalf("seed role: %v", err)
	}
	groupARN := fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:*", region, testenv.MotoAccount, goldenLogGroup)
	if _, err := cloudtrail.NewFromConfig(cfg).UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String(m.TrailARN),
		CloudWatchLogsLogGroupArn: aws.String(groupARN), CloudWatchLogsRoleArn: role.Role.Arn}); err != nil {
		t.Fatalf("seed trail delivery: %v", err)
	}
	if _, err := logs.PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{LogGroupName: aws.String(goldenLogGroup),
		FilterName: aws.String(fix.Alarms[0].FilterName), FilterPattern: aws.String(`{ $.eventName = DeleteTrail }`),
		MetricTransformations: []logstypes.MetricTransformation{{MetricName: aws.String("OldTrailDeletes"), MetricNamespace: aws.String("Operators"),
			MetricValue: aws.String("1"), DefaultValue: aws.Float64(0)}}}); err != nil {
		t.Fatalf("seed metric filter: %v", err)
	}
	return m
}
