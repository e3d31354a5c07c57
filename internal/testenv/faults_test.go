package testenv

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/trailseal/trailseal/internal/awsclient"
)

var testMoto *Moto

func TestMain(m *testing.M) {
	Main(m, Setup{Package: "testenv", Ready: func(moto *Moto, _ *Proxy) error { testMoto = moto; return nil }})
}

// TestFaultsDenyEveryProtocol sends one real SDK call per protocol the
// scan uses through a proxy that denies everything, and checks that the
// proxy named the operation and that the SDK read the error code AWS
// would have sent.
func TestFaultsDenyEveryProtocol(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := StartProxy(testMoto.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var mu sync.Mutex
	var seen []string
	p.Intercept(Faults(func(op Operation, faulted bool) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, fmt.Sprintf("%s %s %v", op, op.Protocol, faulted))
	}, FaultRule{Match: Ops("*"), Fault: Deny}))
	cfg, err := Config(ctx, p.URL, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	calls := []struct {
		op, proto, code string
		call            func() error
	}{
		{"cloudtrail:DescribeTrails", "json", "AccessDeniedException", func() error {
			_, err := cloudtrail.NewFromConfig(cfg).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
			return err
		}},
		{"kms:DescribeKey", "json", "AccessDeniedException", func() error {
			_, err := kms.NewFromConfig(cfg).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/x")})
			return err
		}},
		{"logs:DescribeLogGroups", "json", "AccessDeniedException", func() error {
			_, err := cloudwatchlogs.NewFromConfig(cfg).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
			return err
		}},
		{"sts:GetCallerIdentity", "query", "AccessDenied", func() error {
			_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}},
		{"iam:GetAccountAuthorizationDetails", "query", "AccessDenied", func() error {
			_, err := iam.NewFromConfig(cfg).GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{})
			return err
		}},
		{"sns:ListSubscriptionsByTopic", "query", "AuthorizationError", func() error {
			_, err := sns.NewFromConfig(cfg).ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String("arn:aws:sns:us-east-1:123456789012:t")})
			return err
		}},
		{"ec2:DescribeRegions", "ec2", "UnauthorizedOperation", func() error {
			_, err := ec2.NewFromConfig(cfg).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
			return err
		}},
		{"s3:ListBuckets", "s3", "AccessDenied", func() error {
			_, err := s3c.ListBuckets(ctx, &s3.ListBucketsInput{})
			return err
		}},
		{"s3:GetBucketVersioning", "s3", "AccessDenied", func() error {
			_, err := s3c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("b")})
			return err
		}},
		{"s3:GetBucketPolicyStatus", "s3", "AccessDenied", func() error {
			_, err := s3c.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: aws.String("b")})
			return err
		}},
		{"s3:GetBucketLifecycleConfiguration", "s3", "AccessDenied", func() error {
			_, err := s3c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("b")})
			return err
		}},
		{"s3control:GetPublicAccessBlock", "s3control", "AccessDenied", func() error {
			_, err := s3control.NewFromConfig(cfg, awsclient.S3Control("us-east-1")).GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(MotoAccount)})
			return err
		}},
		{"cloudwatch:DescribeAlarmsForMetric", "query", "AccessDenied", func() error {
			_, err := cloudwatch.NewFromConfig(cfg, awsclient.CloudWatch("us-east-1", true)).DescribeAlarmsForMetric(ctx, &cloudwatch.DescribeAlarmsForMetricInput{MetricName: aws.String("m"), Namespace: aws.String("n")})
			return err
		}},
		// The protocol CloudWatch speaks with AWS itself.
		{"cloudwatch:DescribeAlarmsForMetric", "cbor", "AccessDenied", func() error {
			_, err := cloudwatch.NewFromConfig(cfg).DescribeAlarmsForMetric(ctx, &cloudwatch.DescribeAlarmsForMetricInput{MetricName: aws.String("m"), Namespace: aws.String("n")})
			return err
		}},
	}
	for _, c := range calls {
		mu.Lock()
		seen = nil
		mu.Unlock()
		err := c.call()
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != c.code {
			t.Errorf("%s (%s): got %v, want API error %s", c.op, c.proto, err, c.code)
		}
		mu.Lock()
		want := c.op + " " + c.proto + " true"
		if len(seen) == 0 || seen[0] != want {
			t.Errorf("%s: proxy saw %v, want %q", c.op, seen, want)
		}
		mu.Unlock()
	}
}

// TestFaultsOnlyChosenOperations lets everything else through to moto.
func TestFaultsOnlyChosenOperations(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := StartProxy(testMoto.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Intercept(Faults(nil, FaultRule{Match: AllBut("sts:*", "cloudtrail:GetTrailStatus"), Fault: Deny}))
	cfg, err := Config(ctx, p.URL, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("STS was let through, yet: %v", err)
	}
	_, err = cloudtrail.NewFromConfig(cfg).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDeniedException" {
		t.Errorf("DescribeTrails: got %v, want AccessDeniedException", err)
	}
}

// TestFaultsDropConnection: a dropped connection reaches the SDK as a
// transport error, not as an AWS error code.
func TestFaultsDropConnection(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := StartProxy(testMoto.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Intercept(Faults(nil, FaultRule{Match: Ops("cloudtrail:DescribeTrails"), Fault: Drop}))
	cfg, err := Config(ctx, p.URL, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) { o.RetryMaxAttempts = 1 }).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	var apiErr smithy.APIError
	if err == nil || errors.As(err, &apiErr) {
		t.Errorf("got %v, want a transport error", err)
	}
}
