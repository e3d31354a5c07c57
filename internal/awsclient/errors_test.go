package awsclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func TestErrorHelpers(t *testing.T) {
	denied := fmt.Errorf("operation error S3: GetBucketPolicy: %w", &smithy.GenericAPIError{Code: "AccessDenied", Message: "no"})
	plain := errors.New("dial tcp: connection refused\nbody follows")

	if got := ErrorCode(denied); got != "AccessDenied" {
		t.Errorf("ErrorCode(wrapped AccessDenied) = %q", got)
	}
	if got := ErrorCode(plain); got != "" {
		t.Errorf("ErrorCode(network error) = %q, want empty", got)
	}
	if !HasCode(denied, "NoSuchBucket", "AccessDenied") || HasCode(denied, "NoSuchBucket") || HasCode(plain, "") {
		t.Error("HasCode matched the wrong codes")
	}
	if !IsAccessDenied(denied) || IsAccessDenied(plain) {
		t.Error("IsAccessDenied is wrong")
	}
	for _, tt := range []struct {
		err       error
		code, msg string
	}{
		{denied, "AccessDenied", "no"},
		{plain, "RequestError", "dial tcp: connection refused"},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), "Timeout", ""},
		{fmt.Errorf("x: %w", context.Canceled), "Canceled", ""},
	} {
		if code, msg := Failure(tt.err); code != tt.code || msg != tt.msg {
			t.Errorf("Failure(%v) = %q, %q; want %q, %q", tt.err, code, msg, tt.code, tt.msg)
		}
	}
	if got := Describe(denied); got != "AccessDenied: no" {
		t.Errorf("Describe(AccessDenied) = %q", got)
	}
	if got := Describe(plain); got != "dial tcp: connection refused" {
		t.Errorf("Describe(network error) = %q", got)
	}
}

// TestIdentityError: the first call's failure is blamed on what failed.
func TestIdentityError(t *testing.T) {
	refused := &url.Error{Op: "Post", URL: "https://sts.us-east-1.amazonaws.com/",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"given up", fmt.Errorf("operation error STS: GetCallerIdentity, %w", &UnreachableError{
			Endpoint: "https://sts.us-east-1.amazonaws.com", For: time.Minute, Last: "connection refused", Hint: "--network-timeout 1m0s"}),
			"cannot reach AWS: sts:GetCallerIdentity: https://sts.us-east-1.amazonaws.com did not answer for 1m0s (last: connection refused); gave up (--network-timeout 1m0s); check the network"},
		{"refused", fmt.Errorf("operation error STS: GetCallerIdentity, %w", &smithyhttp.RequestSendError{Err: refused}),
			"cannot reach AWS: sts:GetCallerIdentity at https://sts.us-east-1.amazonaws.com: connection refused; check the network"},
		{"expired", fmt.Errorf("operation error STS: GetCallerIdentity, %w", &smithy.GenericAPIError{Code: "ExpiredToken", Message: "expired"}),
			"no usable AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run 'aws sso login' (sts:GetCallerIdentity: ExpiredToken)"},
		{"none found", errors.New("operation error STS: GetCallerIdentity, get identity: get credentials: failed to refresh cached credentials, no EC2 IMDS role found, operation error ec2imds: GetMetadata, request canceled"),
			"no usable AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run 'aws sso login' (sts:GetCallerIdentity: no credentials found)"},
		{"something else", fmt.Errorf("operation error STS: GetCallerIdentity, %w", &smithy.GenericAPIError{Code: "AccessDenied", Message: "explicit deny in an SCP"}),
			"cannot confirm the AWS identity: sts:GetCallerIdentity: AccessDenied: explicit deny in an SCP"},
	} {
		if got := IdentityError(tt.err, "").Error(); !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s:\n got %s\nwant %s...", tt.name, got, tt.want)
		}
	}
	if got := IdentityError(errors.New("x"), "for the management account").Error(); !strings.Contains(got, "identity for the management account") {
		t.Errorf("whose is not said: %s", got)
	}
}

// TestReachError: any call that tells whether AWS can be used (keys
// export's ListPublicKeys) is worded as the first call is, naming the call
// once; a failure that is neither the network nor the credentials is left
// to the caller.
func TestReachError(t *testing.T) {
	ep := "https://cloudtrail.eu-west-1.amazonaws.com"
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"endpoint given up during another call", &UnreachableError{Endpoint: ep, Call: "cloudtrail:GetTrailStatus", For: time.Minute, Last: "connection refused"},
			"cannot reach AWS: cloudtrail:ListPublicKeys: " + ep + " did not answer for 1m0s (last: connection refused); gave up; check the network"},
		{"this call given up", &UnreachableError{Endpoint: ep, Call: "cloudtrail:ListPublicKeys", For: time.Minute, Last: "connection refused", PerCall: true},
			"cannot reach AWS: cloudtrail:ListPublicKeys at " + ep + " failed for 1m0s (last: connection refused); gave up; check the network"},
		{"refused credentials", &smithy.GenericAPIError{Code: "UnrecognizedClientException", Message: "bad token"},
			"no usable AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run 'aws sso login' (cloudtrail:ListPublicKeys: UnrecognizedClientException)"},
	} {
		got := ReachError(fmt.Errorf("cloudtrail ListPublicKeys in eu-west-1: %w", tt.err), "cloudtrail:ListPublicKeys", "")
		if got == nil || !strings.HasPrefix(got.Error(), tt.want) {
			t.Errorf("%s:\n got %v\nwant %s...", tt.name, got, tt.want)
		}
	}
	if got := ReachError(&smithy.GenericAPIError{Code: "AccessDenied"}, "cloudtrail:ListPublicKeys", ""); got != nil {
		t.Errorf("AccessDenied is an answer, not the network or the credentials: %v", got)
	}
}
