package testenv

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
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

// TestFaultsNetwork: each network fault reaches a real SDK client as the
// failure it imitates, and a Network gives up on the endpoint with an
// error naming it.
func TestFaultsNetwork(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, tt := range []struct {
		name    string
		fault   Fault
		problem string // awsclient.ConnectionProblem of one attempt
		code    string // or the AWS error code
	}{
		{"drop", Drop, "connection closed without an answer", ""},
		{"reset", Reset, "connection reset", ""},
		{"stall", Stall, "timed out", ""},
		{"unavailable", Unavailable, "", "ServiceUnavailableException"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := StartProxy(testMoto.Endpoint)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			p.Intercept(Faults(nil, FaultRule{Match: Ops("cloudtrail:DescribeTrails"), Fault: tt.fault}))
			cfg, err := Config(ctx, p.URL, "us-east-1")
			if err != nil {
				t.Fatal(err)
			}
			n := awsclient.NewNetwork(awsclient.NetworkOptions{GiveUpAfter: 2 * time.Second})
			n.Apply(&cfg)
			once := cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) { o.RetryMaxAttempts = 1 })
			_, err = once.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
			if got := awsclient.ConnectionProblem(err); got != tt.problem {
				t.Errorf("one attempt: ConnectionProblem = %q, want %q (%v)", got, tt.problem, err)
			}
			if got := awsclient.ErrorCode(err); got != tt.code {
				t.Errorf("one attempt: error code %q, want %q", got, tt.code)
			}
			// Other operations still get through.
			if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
				t.Errorf("STS through the same proxy: %v", err)
			}
			// Retried until the Network gives up, however many attempts
			// the retryer allows.
			patient := cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) {
				o.RetryMaxAttempts = 0 // Config's limit of 2 would win over the retryer's
				o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
					so.MaxAttempts = 1000
					so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 50 * time.Millisecond, nil })
					so.RateLimiter = ratelimit.None
				})
			})
			_, err = patient.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
			var u *awsclient.UnreachableError
			if !errors.As(err, &u) || u.Endpoint != p.URL {
				t.Errorf("retried: got %v, want an UnreachableError naming %s", err, p.URL)
			}
		})
	}
}

// TestFaultsRefused: RefusedURL and Proxy.Refuse refuse connections.
func TestFaultsRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	refused, err := RefusedURL()
	if err != nil {
		t.Fatal(err)
	}
	p, err := StartProxy(testMoto.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	call := func(endpoint string) error {
		cfg, err := Config(ctx, endpoint, "us-east-1")
		if err != nil {
			t.Fatal(err)
		}
		_, err = sts.NewFromConfig(cfg, func(o *sts.Options) { o.RetryMaxAttempts = 1 }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err
	}
	if got := awsclient.ConnectionProblem(call(refused)); got != "connection refused" {
		t.Errorf("RefusedURL: %q", got)
	}
	if err := call(p.URL); err != nil {
		t.Fatalf("proxy before Refuse: %v", err)
	}
	p.Refuse()
	if got := awsclient.ConnectionProblem(call(p.URL)); got != "connection refused" {
		t.Errorf("proxy after Refuse: %q", got)
	}
}
