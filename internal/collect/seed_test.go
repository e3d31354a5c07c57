package collect_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	configtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	s3ctypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/trailseal/trailseal/internal/awsclient"
)

const (
	trailBucket   = "trail-logs"
	accessBucket  = "access-logs"
	logGroupName  = "cloudtrail/main"
	metricName    = "TrailChanges"
	metricNS      = "CISBenchmark"
	trailPattern  = "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }"
	bucketPolicy  = `{"Version":"2012-10-17","Statement":[{"Sid":"CloudTrailWrite","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::trail-logs/AWSLogs/123456789012/*","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}`
	inlineDoc     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:*","Resource":"*"}]}`
	fullAccessARN = "arn:aws:iam::aws:policy/AWSCloudTrail_FullAccess"
	managedDoc    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["cloudtrail:StopLogging","cloudtrail:DeleteTrail"],"Resource":"*"}]}`
)

// wellConfigured is what seedWellConfigured created and the test expects
// to find again.
type wellConfigured struct {
	trailARN, keyARN, logGroupARN, topicARN, subARN, roleARN, alarmARN, policyARN string
}

// seedWellConfigured builds an account that follows every recommendation
// the rules check.
func seedWellConfigured(t testing.TB, ctx context.Context) wellConfigured {
	t.Helper()
	cfg := seedConfig(t, ctx, "us-east-1")
	var w wellConfigured

	key, err := kms.NewFromConfig(cfg).CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("trail key")})
	must(t, "kms key", err)
	w.keyARN = aws.ToString(key.KeyMetadata.Arn)
	_, err = kms.NewFromConfig(cfg).EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: key.KeyMetadata.KeyId})
	must(t, "key rotation", err)

	s := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	_, err = s.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(trailBucket), ObjectLockEnabledForBucket: aws.Bool(true)})
	must(t, "trail bucket", err)
	_, err = s.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(accessBucket), ACL: "log-delivery-write"})
	must(t, "access log bucket", err)
	_, err = s.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket:                  aws.String(trailBucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled},
	})
	must(t, "versioning", err)
	_, err = s.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{
		Bucket: aws.String(trailBucket),
		ObjectLockConfiguration: &s3types.ObjectLockConfiguration{
			ObjectLockEnabled: s3types.ObjectLockEnabledEnabled,
			Rule: &s3types.ObjectLockRule{DefaultRetention: &s3types.DefaultRetention{
				Mode: s3types.ObjectLockRetentionModeCompliance, Days: aws.Int32(400),
			}},
		},
	})
	must(t, "object lock", err)
	_, err = s.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{
		Bucket: aws.String(trailBucket),
		PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
			BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true),
			BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true),
		},
	})
	must(t, "bucket public access block", err)
	_, err = s.PutBucketLogging(ctx, &s3.PutBucketLoggingInput{
		Bucket: aws.String(trailBucket),
		BucketLoggingStatus: &s3types.BucketLoggingStatus{LoggingEnabled: &s3types.LoggingEnabled{
			TargetBucket: aws.String(accessBucket), TargetPrefix: aws.String("trail-logs/"),
		}},
	})
	must(t, "access logging", err)
	_, err = s.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{
		Bucket: aws.String(trailBucket),
		LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: []s3types.LifecycleRule{{
			ID:                          aws.String("archive"),
			Status:                      s3types.ExpirationStatusEnabled,
			Filter:                      &s3types.LifecycleRuleFilter{Prefix: aws.String("AWSLogs/")},
			Expiration:                  &s3types.LifecycleExpiration{Days: aws.Int32(400)},
			NoncurrentVersionExpiration: &s3types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(400)},
			Transitions:                 []s3types.Transition{{Days: aws.Int32(90), StorageClass: s3types.TransitionStorageClassGlacier}},
		}}},
	})
	must(t, "lifecycle", err)
	_, err = s.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{
		Bucket: aws.String(trailBucket),
		ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{
				SSEAlgorithm: s3types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(w.keyARN),
			},
		}}},
	})
	must(t, "encryption", err)
	_, err = s.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(trailBucket), Policy: aws.String(bucketPolicy)})
	must(t, "bucket policy", err)
	_, err = s.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{
		Bucket: aws.String(trailBucket),
		OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{{
			ObjectOwnership: s3types.ObjectOwnershipBucketOwnerEnforced,
		}}},
	})
	must(t, "ownership controls", err)
	_, err = s3control.NewFromConfig(cfg).PutPublicAccessBlock(ctx, &s3control.PutPublicAccessBlockInput{
		AccountId: aws.String(motoAccount),
		PublicAccessBlockConfiguration: &s3ctypes.PublicAccessBlockConfiguration{
			BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true),
			BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true),
		},
	}, func(o *s3control.Options) { o.EndpointResolverV2 = stripAccountHost{} })
	must(t, "account public access block", err)

	logs := cloudwatchlogs.NewFromConfig(cfg)
	_, err = logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(logGroupName)})
	must(t, "log group", err)
	_, err = logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(logGroupName), RetentionInDays: aws.Int32(365)})
	must(t, "log retention", err)
	_, err = logs.PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{
		LogGroupName:  aws.String(logGroupName),
		FilterName:    aws.String("trail-changes"),
		FilterPattern: aws.String(trailPattern),
		MetricTransformations: []logstypes.MetricTransformation{{
			MetricName: aws.String(metricName), MetricNamespace: aws.String(metricNS), MetricValue: aws.String("1"),
		}},
	})
	must(t, "metric filter", err)
	w.logGroupARN = "arn:aws:logs:us-east-1:" + motoAccount + ":log-group:" + logGroupName + ":*"

	topic, err := sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("security-alerts")})
	must(t, "topic", err)
	w.topicARN = aws.ToString(topic.TopicArn)
	sub, err := sns.NewFromConfig(cfg).Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: topic.TopicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String("arn:aws:sqs:us-east-1:" + motoAccount + ":security"),
	})
	must(t, "subscription", err)
	w.subARN = aws.ToString(sub.SubscriptionArn)
	cw := cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.Protocol = awsclient.EmulatorCloudWatchProtocol() })
	_, err = cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName:          aws.String("trail-changes"),
		MetricName:         aws.String(metricName),
		Namespace:          aws.String(metricNS),
		Statistic:          cwtypes.StatisticSum,
		Period:             aws.Int32(300),
		EvaluationPeriods:  aws.Int32(1),
		Threshold:          aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
		ActionsEnabled:     aws.Bool(true),
		AlarmActions:       []string{w.topicARN},
	})
	must(t, "alarm", err)
	w.alarmARN = "arn:aws:cloudwatch:us-east-1:" + motoAccount + ":alarm:trail-changes"

	role, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("cloudtrail-to-logs"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
	})
	must(t, "role", err)
	w.roleARN = aws.ToString(role.Role.Arn)

	ic := iam.NewFromConfig(cfg)
	_, err = ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ops")})
	must(t, "user", err)
	_, err = ic.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("ops"), PolicyArn: aws.String(fullAccessARN)})
	must(t, "attach managed policy", err)
	_, err = ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("ops"), PolicyName: aws.String("trail-admin"), PolicyDocument: aws.String(inlineDoc)})
	must(t, "inline policy", err)
	pol, err := ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("trail-breaker"), PolicyDocument: aws.String(managedDoc)})
	must(t, "customer managed policy", err)
	w.policyARN = aws.ToString(pol.Policy.Arn)

	conf := configservice.NewFromConfig(cfg)
	_, err = conf.PutConfigurationRecorder(ctx, &configservice.PutConfigurationRecorderInput{ConfigurationRecorder: &configtypes.ConfigurationRecorder{
		Name:           aws.String("default"),
		RoleARN:        aws.String(w.roleARN),
		RecordingGroup: &configtypes.RecordingGroup{AllSupported: true, IncludeGlobalResourceTypes: true},
	}})
	must(t, "config recorder", err)
	_, err = conf.PutDeliveryChannel(ctx, &configservice.PutDeliveryChannelInput{DeliveryChannel: &configtypes.DeliveryChannel{
		Name: aws.String("default"), S3BucketName: aws.String(accessBucket),
	}})
	must(t, "config delivery channel", err)
	_, err = conf.StartConfigurationRecorder(ctx, &configservice.StartConfigurationRecorderInput{ConfigurationRecorderName: aws.String("default")})
	must(t, "start config recorder", err)

	ct := cloudtrail.NewFromConfig(cfg)
	trail, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{
		Name:                       aws.String("main"),
		S3BucketName:               aws.String(trailBucket),
		IsMultiRegionTrail:         aws.Bool(true),
		IncludeGlobalServiceEvents: aws.Bool(true),
		EnableLogFileValidation:    aws.Bool(true),
		KmsKeyId:                   aws.String(w.keyARN),
		CloudWatchLogsLogGroupArn:  aws.String(w.logGroupARN),
		CloudWatchLogsRoleArn:      aws.String(w.roleARN),
	})
	must(t, "trail", err)
	w.trailARN = aws.ToString(trail.TrailARN)
	_, err = ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")})
	must(t, "start logging", err)
	_, err = ct.PutInsightSelectors(ctx, &cloudtrail.PutInsightSelectorsInput{
		TrailName:        aws.String("main"),
		InsightSelectors: []cttypes.InsightSelector{{InsightType: cttypes.InsightTypeApiCallRateInsight}},
	})
	must(t, "insight selectors", err)
	return w
}

// seedTrail creates a bucket and a trail writing to it in region.
func seedTrail(t testing.TB, ctx context.Context, cfg aws.Config, in *cloudtrail.CreateTrailInput) string {
	t.Helper()
	s := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	cb := &s3.CreateBucketInput{Bucket: in.S3BucketName}
	if cfg.Region != "us-east-1" {
		cb.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(cfg.Region)}
	}
	_, err := s.CreateBucket(ctx, cb)
	must(t, "bucket "+aws.ToString(in.S3BucketName), err)
	out, err := cloudtrail.NewFromConfig(cfg).CreateTrail(ctx, in)
	must(t, "trail "+aws.ToString(in.Name), err)
	return aws.ToString(out.TrailARN)
}
