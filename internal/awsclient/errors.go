package awsclient

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/aws/smithy-go"
)

// ErrorCode returns the AWS error code err carries ("AccessDenied",
// "NoSuchBucket"), or "" when it never got an answer from AWS.
func ErrorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// HasCode reports whether err carries one of the AWS error codes.
func HasCode(err error, codes ...string) bool {
	code := ErrorCode(err)
	return code != "" && slices.Contains(codes, code)
}

// IsAccessDenied covers the spellings services use for a refused call.
func IsAccessDenied(err error) bool {
	return HasCode(err, "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError")
}

// Failure describes a failed call for the evidence it leaves missing: the
// AWS error code and message, or for a failure that never reached AWS a
// short code (Timeout, Canceled, RequestError) and the first line of the
// error.
func Failure(err error) (code, msg string) {
	var apiErr smithy.APIError
	switch {
	case errors.As(err, &apiErr):
		return apiErr.ErrorCode(), apiErr.ErrorMessage()
	case errors.Is(err, context.DeadlineExceeded):
		return "Timeout", ""
	case errors.Is(err, context.Canceled):
		return "Canceled", ""
	}
	return "RequestError", FirstLine(err.Error())
}

// Describe is err in one line for a message: "Code: message" for an AWS
// error, else the error's first line.
func Describe(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode() + ": " + apiErr.ErrorMessage()
	}
	return FirstLine(err.Error())
}

// FirstLine is s up to its first newline: SDK errors can carry a response
// body, which has no place in a one-line message.
func FirstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}
