package collect

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsarn "github.com/aws/aws-sdk-go-v2/aws/arn"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/trailseal/trailseal/internal/inventory"
)

func TestDecodePolicy(t *testing.T) {
	doc := `{"Statement":[{"Effect":"Allow","Action":"cloudtrail:*","Resource":"*"}]}`
	tests := []struct{ name, in, want string }{
		{"already decoded", doc, doc},
		{"url encoded", "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22cloudtrail%3A%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D", doc},
		{"plus kept literal", "%7B%22a%22%3A%22x+y%22%7D", `{"a":"x+y"}`},
		{"empty", "", ""},
		{"not encoded, not json", "%zz", "%zz"},
	}
	for _, tt := range tests {
		if got := decodePolicy(tt.in); got != tt.want {
			t.Errorf("%s: decodePolicy(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestLifecycleRulePrefix(t *testing.T) {
	tests := []struct {
		name string
		in   s3types.LifecycleRule
		want string
	}{
		{"filter prefix", s3types.LifecycleRule{Filter: &s3types.LifecycleRuleFilter{Prefix: aws.String("AWSLogs/")}}, "AWSLogs/"},
		{"and prefix", s3types.LifecycleRule{Filter: &s3types.LifecycleRuleFilter{And: &s3types.LifecycleRuleAndOperator{Prefix: aws.String("digests/")}}}, "digests/"},
		{"legacy prefix", s3types.LifecycleRule{Prefix: aws.String("old/")}, "old/"},
		{"whole bucket", s3types.LifecycleRule{Filter: &s3types.LifecycleRuleFilter{}}, ""},
	}
	for _, tt := range tests {
		if got := lifecycleRule(tt.in).Prefix; got != tt.want {
			t.Errorf("%s: prefix %q, want %q", tt.name, got, tt.want)
		}
	}
	got := lifecycleRule(s3types.LifecycleRule{
		ID: aws.String("r"), Status: s3types.ExpirationStatusEnabled,
		NoncurrentVersionTransitions: []s3types.NoncurrentVersionTransition{{NoncurrentDays: aws.Int32(30), StorageClass: s3types.TransitionStorageClassGlacier}},
	})
	want := inventory.LifecycleRule{ID: "r", Status: "Enabled", Transitions: []inventory.Transition{{Days: 30, StorageClass: "GLACIER", Noncurrent: true}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("noncurrent transition (-want +got):\n%s", diff)
	}
}

// The ARN helpers read the SDK's parse (aws/arn): a resource may hold
// colons of its own, and a key alias is no ARN.
func TestARNHelpers(t *testing.T) {
	const logs = "arn:aws-cn:logs:cn-north-1:111122223333:log-group:a:b:*"
	if p, r, a := partitionOf(logs), regionOf(logs), accountOf(logs); p != "aws-cn" || r != "cn-north-1" || a != "111122223333" {
		t.Errorf("partition, region, account of %s: %q %q %q", logs, p, r, a)
	}
	if parsed, err := awsarn.Parse(logs); err != nil || parsed.Service != "logs" || parsed.Resource != "log-group:a:b:*" {
		t.Errorf("service and resource of %s: %+v %v", logs, parsed, err)
	}
	if r, a := regionOf("alias/trail"), accountOf("alias/trail"); r != "" || a != "" {
		t.Errorf("an alias read as an ARN: region %q, account %q", r, a)
	}
	if got := partitionOf("not-an-arn"); got != "aws" {
		t.Errorf("partitionOf fallback = %q, want aws", got)
	}
}
