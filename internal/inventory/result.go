package inventory

import "fmt"

// CallError records an API call that failed while collecting evidence.
type CallError struct {
	// Call is "service:Operation", for example "s3:GetBucketVersioning".
	Call string `json:"call"`
	// Code is the AWS error code (AccessDenied, ThrottlingException...) or a
	// short description of a transport failure.
	Code    string `json:"code"`
	Message string `json:"message,omitempty"`
}

func (e *CallError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("%s failed: %s", e.Call, e.Code)
	}
	return fmt.Sprintf("%s failed: %s: %s", e.Call, e.Code, e.Message)
}

// Elsewhere marks evidence that lives in another account which the scanning
// identity is not expected to read (a member account looking at an
// organization trail's bucket, say). Rules report it as MANUAL.
type Elsewhere struct {
	// OwnerAccountID is the account that holds the resource, when known.
	OwnerAccountID string `json:"ownerAccountId,omitempty"`
	Reason         string `json:"reason"`
}

// Result is one piece of evidence: the value read, or why it could not be read.
//
// Exactly one of Value, Error and Elsewhere is set on collected evidence. A
// Result with none set was never collected; rules treat it like an error.
type Result[T any] struct {
	Value     *T         `json:"value,omitempty"`
	Error     *CallError `json:"error,omitempty"`
	Elsewhere *Elsewhere `json:"elsewhere,omitempty"`
}

// Ok wraps a value.
func Ok[T any](v T) Result[T] { return Result[T]{Value: &v} }

// Failed wraps a failed call.
func Failed[T any](call, code, msg string) Result[T] {
	return Result[T]{Error: &CallError{Call: call, Code: code, Message: msg}}
}

// InAccount marks evidence as held by another account.
func InAccount[T any](owner, reason string) Result[T] {
	return Result[T]{Elsewhere: &Elsewhere{OwnerAccountID: owner, Reason: reason}}
}

// Known reports whether the value was read.
func (r Result[T]) Known() bool { return r.Value != nil }

// Problem describes why the value is missing: a failed call, another
// account, or evidence that was never collected. It returns "" when the
// value is known.
func (r Result[T]) Problem() string {
	switch {
	case r.Value != nil:
		return ""
	case r.Error != nil:
		return r.Error.Error()
	case r.Elsewhere != nil:
		if r.Elsewhere.OwnerAccountID != "" {
			return fmt.Sprintf("held by account %s: %s", r.Elsewhere.OwnerAccountID, r.Elsewhere.Reason)
		}
		return r.Elsewhere.Reason
	default:
		return "evidence was not collected"
	}
}
