package awsclient

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestCallName(t *testing.T) {
	tests := map[[2]string]string{
		{"CloudWatch Logs", "DescribeLogGroups"}:             "logs:DescribeLogGroups",
		{"Config Service", "DescribeConfigurationRecorders"}: "config:DescribeConfigurationRecorders",
		{"S3 Control", "GetPublicAccessBlock"}:               "s3control:GetPublicAccessBlock",
		{"S3", "GetBucketPolicy"}:                            "s3:GetBucketPolicy",
		{"CloudTrail", "GetTrailStatus"}:                     "cloudtrail:GetTrailStatus",
	}
	for in, want := range tests {
		if got := CallName(in[0], in[1]); got != want {
			t.Errorf("CallName(%q, %q) = %q, want %q", in[0], in[1], got, want)
		}
	}
}

func TestCustomEndpoint(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	if CustomEndpoint(aws.Config{}) {
		t.Error("no override set, yet CustomEndpoint is true")
	}
	if !CustomEndpoint(aws.Config{BaseEndpoint: aws.String("http://127.0.0.1:5000")}) {
		t.Error("BaseEndpoint not recognised")
	}
	t.Setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000")
	if !CustomEndpoint(aws.Config{}) {
		t.Error("AWS_ENDPOINT_URL_S3 not recognised")
	}
}

func TestRegion(t *testing.T) {
	for in, want := range map[string]string{"": "us-east-1", "global": "us-east-1", "eu-west-1": "eu-west-1"} {
		r := "us-east-1"
		Region(in)(&r)
		if r != want {
			t.Errorf("Region(%q) gave %q, want %q", in, r, want)
		}
	}
}

func TestBucketRegion(t *testing.T) {
	for in, want := range map[string]string{"": "us-east-1", "EU": "eu-west-1", "eu-central-1": "eu-central-1", "us-east-1": "us-east-1"} {
		if got := BucketRegion(in); got != want {
			t.Errorf("BucketRegion(%q) = %q, want %q", in, got, want)
		}
	}
}
