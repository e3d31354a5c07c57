package awsclient

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
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
