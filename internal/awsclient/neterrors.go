package awsclient

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// UnreachableError is the error of a call that was not sent, or not sent
// again, because its endpoint has failed for longer than the Network's
// GiveUpAfter without a single answer: connections refused, reset or
// timed out, names that do not resolve, TLS failures, 5xx answers.
type UnreachableError struct {
	// Endpoint is scheme://host of the endpoint, for example
	// https://s3.eu-west-1.amazonaws.com.
	Endpoint string
	// Call is the refused call ("s3:GetObject"), when known.
	Call string
	// For is how long the endpoint (or, with Anywhere, every endpoint; or
	// with PerCall, this one call) had been failing.
	For time.Duration
	// Last describes the last failure, "connection refused" say; with
	// Anywhere, prefixed by the endpoint it came from.
	Last string
	// Anywhere: no endpoint of the run answered in that time, so every
	// call is given up, not only those to Endpoint.
	Anywhere bool
	// PerCall: this call failed for that long while others to the same
	// endpoint may have been answered.
	PerCall bool
	// Hint says how to change the limit (the CLI names its flag).
	Hint string
}

func (e *UnreachableError) Error() string {
	var b strings.Builder
	switch {
	case e.Anywhere:
		fmt.Fprintf(&b, "no AWS endpoint answered for %s (last: %s)", roundDuration(e.For), e.Last)
	case e.PerCall && e.Call != "":
		fmt.Fprintf(&b, "%s at %s failed for %s (last: %s)", e.Call, e.Endpoint, roundDuration(e.For), e.Last)
	default:
		fmt.Fprintf(&b, "%s did not answer for %s (last: %s)", e.Endpoint, roundDuration(e.For), e.Last)
	}
	b.WriteString("; gave up")
	if e.Hint != "" {
		b.WriteString(" (" + e.Hint + ")")
	}
	return b.String()
}

// RetryableError tells the SDK's retryers (aws/retry.RetryableError) not
// to try again: the time allowed for retries is spent.
func (e *UnreachableError) RetryableError() bool { return false }

// IsUnreachable reports whether err is, or wraps, an UnreachableError:
// further calls to that endpoint will fail at once too.
func IsUnreachable(err error) bool {
	var u *UnreachableError
	return errors.As(err, &u)
}

// ConnectionProblem describes, in a few words, a failure to exchange a
// request and an answer with an endpoint at all: "connection refused",
// "host not found", "timed out", "TLS: certificate signed by unknown
// authority", "connection closed without an answer". It returns "" for any
// other error (an AWS error answer, a canceled context, a bad request).
func ConnectionProblem(err error) string {
	if err == nil {
		return ""
	}
	var (
		dns      *net.DNSError
		tlsRec   tls.RecordHeaderError
		tlsAlert tls.AlertError
		certVer  *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		timeout  interface{ Timeout() bool }
	)
	switch {
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return "host not found: " + dns.Name
		}
		return "DNS lookup of " + dns.Name + " failed"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connection reset"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return "network unreachable"
	case errors.As(err, &certVer), errors.As(err, &unknown), errors.As(err, &hostname), errors.As(err, &invalid):
		return "TLS: " + tlsDetail(err)
	case errors.As(err, &tlsRec), errors.As(err, &tlsAlert):
		return "TLS handshake failed: " + tlsDetail(err)
	case !isTransport(err):
		return ""
	case errors.As(err, &timeout) && timeout.Timeout():
		return "timed out"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed without an answer"
	}
	return ""
}

// isTransport reports whether err arose sending a request or reading its
// answer (rather than, say, decoding an answer that did arrive).
func isTransport(err error) bool {
	var (
		send  *smithyhttp.RequestSendError
		urlE  *url.Error
		netOp *net.OpError
	)
	return errors.As(err, &send) || errors.As(err, &urlE) || errors.As(err, &netOp)
}

// tlsDetail is the innermost message of a TLS error, without the URL the
// HTTP client puts in front of it.
func tlsDetail(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return FirstLine(err.Error())
		}
		var u *url.Error
		if errors.As(err, &u) {
			err = u.Err
			continue
		}
		if _, ok := err.(*net.OpError); ok {
			return FirstLine(next.Error())
		}
		err = next
	}
}

// credentialCodes are the error codes AWS answers a request with when its
// credentials are wrong, expired or unknown (STS, IAM and the common
// errors of the AWS API references).
var credentialCodes = []string{
	"InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch",
	"IncompleteSignature", "ExpiredToken", "ExpiredTokenException", "InvalidAccessKeyId",
	"InvalidToken", "AuthFailure", "MissingAuthenticationToken", "RequestExpired",
	"TokenRefreshRequired", "InvalidSignatureException",
}

// IsCredentialError reports whether err says the credentials are unusable:
// AWS refused them, or none could be found (the SDK's credential chain
// ended without any, which it reports as the instance metadata service not
// answering).
func IsCredentialError(err error) bool {
	if HasCode(err, credentialCodes...) {
		return true
	}
	return noCredentials(err)
}

// noCredentials recognises the end of the SDK's default credential chain:
// nothing in the environment or the files, and no instance role (the
// metadata service, which exists only on EC2, did not answer). There is no
// error type for it; the SDK says "get credentials: failed to refresh
// cached credentials, no EC2 IMDS role found".
func noCredentials(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "get credentials:") && (strings.Contains(msg, "no EC2 IMDS role found") ||
		strings.Contains(msg, "ec2imds") || strings.Contains(msg, "static credentials are empty") ||
		strings.Contains(msg, "failed to retrieve credentials"))
}

// IdentityError explains why sts:GetCallerIdentity, the first call of a
// run, failed: an endpoint that cannot be reached is not a credentials
// problem, and "run aws sso login" would send the user the wrong way.
// whose names the credentials ("" or "for the management account").
func IdentityError(err error, whose string) error {
	if e := ReachError(err, "sts:GetCallerIdentity", whose); e != nil {
		return e
	}
	if whose != "" {
		whose = " " + whose
	}
	return fmt.Errorf("cannot confirm the AWS identity%s: sts:GetCallerIdentity: %s", whose, Describe(err))
}

// ReachError explains why call failed when its failure says AWS cannot be
// used at all: "cannot reach AWS" when the endpoint did not answer (the
// network, a proxy or AWS_ENDPOINT_URL), "no usable AWS credentials" when
// AWS refused the credentials or none were found. It returns nil for any
// other failure (an answer such as AccessDenied), which the caller words.
// whose names the credentials ("" or "for the management account").
func ReachError(err error, call, whose string) error {
	if whose != "" {
		whose = " " + whose
	}
	var u *UnreachableError
	switch {
	case errors.As(err, &u):
		prefix := call + ": "
		if u.PerCall && u.Call != "" {
			prefix = "" // the error names its call
		}
		return fmt.Errorf("cannot reach AWS%s: %s%w; check the network, a proxy (HTTPS_PROXY) or AWS_ENDPOINT_URL", whose, prefix, u)
	case IsCredentialError(err):
		what := ErrorCode(err)
		if what == "" {
			what = "no credentials found"
		}
		return fmt.Errorf("no usable AWS credentials%s: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run 'aws sso login' (%s: %s)", whose, call, what)
	}
	if p := ConnectionProblem(err); p != "" {
		return fmt.Errorf("cannot reach AWS%s: %s at %s: %s; check the network, a proxy (HTTPS_PROXY) or AWS_ENDPOINT_URL", whose, call, endpointOf(err), p)
	}
	return nil
}

// endpointOf is scheme://host of the request err is about, or "its
// endpoint" when err does not say.
func endpointOf(err error) string {
	var u *url.Error
	if errors.As(err, &u) {
		if p, perr := url.Parse(u.URL); perr == nil && p.Host != "" {
			return p.Scheme + "://" + p.Host
		}
	}
	return "its endpoint"
}

// roundDuration prints d to the second (to the millisecond below one).
func roundDuration(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}
