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
// AWS error code and message; for an endpoint given up on,
// EndpointUnreachable; for an endpoint that could not be talked to,
// ConnectionError and what went wrong ("https://host: connection
// refused"); for a call cut short, Timeout or Canceled; else RequestError
// and the first line of the error.
func Failure(err error) (code, msg string) {
	var apiErr smithy.APIError
	var unreachable *UnreachableError
	switch {
	case errors.As(err, &apiErr):
		return apiErr.ErrorCode(), apiErr.ErrorMessage()
	case errors.As(err, &unreachable):
		return "EndpointUnreachable", unreachable.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return "Timeout", ""
	case errors.Is(err, context.Canceled):
		return "Canceled", ""
	}
	if p := ConnectionProblem(err); p != "" {
		return "ConnectionError", endpointOf(err) + ": " + p
	}
	return "RequestError", FirstLine(err.Error())
}

// Describe is err in one line for a message: "Code: message" for an AWS
// error, the reason for an endpoint that could not be reached, else the
// error's first line.
func Describe(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode() + ": " + apiErr.ErrorMessage()
	}
	var unreachable *UnreachableError
	if errors.As(err, &unreachable) {
		return unreachable.Error()
	}
	if p := ConnectionProblem(err); p != "" {
		return "cannot reach " + endpointOf(err) + ": " + p
	}
	return FirstLine(err.Error())
}

// FirstLine is s up to its first newline: SDK errors can carry a response
// body, which has no place in a one-line message.
func FirstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// Described is err shown as Describe words it, one line without the SDK's
// "operation error ... request send failed" wrapping, and still unwrapping
// to err for errors.Is and errors.As.
func Described(err error) error {
	if err == nil {
		return nil
	}
	return describedError{err}
}

type describedError struct{ err error }

func (e describedError) Error() string { return Describe(e.err) }
func (e describedError) Unwrap() error { return e.err }
