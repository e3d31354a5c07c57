package awsclient

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Redacted replaces a secret in logs.
const Redacted = "[REDACTED]"

// secretHeaders are headers whose whole value is a secret:
//   - Authorization: the SigV4 signature (and credential scope), or a bearer
//     token for container credentials;
//   - X-Amz-Security-Token: the session token of temporary credentials;
//   - X-Amz-Sso_bearer_token: the SSO portal's access token
//     (sso:GetRoleCredentials);
//   - X-Aws-Ec2-Metadata-Token: an IMDSv2 session token;
//   - the SSE-C headers, which carry an object's encryption key;
//   - proxy credentials and cookies.
var secretHeaders = []string{
	"authorization", "proxy-authorization", "x-amz-security-token", "x-amz-sso_bearer_token",
	"x-aws-ec2-metadata-token", "x-amz-server-side-encryption-customer-key",
	"x-amz-copy-source-server-side-encryption-customer-key", "cookie", "set-cookie",
}

// secretWords mark, in the name of an x-amz- or x-aws- header or query
// parameter not listed above, a value to keep out of logs anyway: a
// presigned URL carries the credential, signature and session token as
// X-Amz-Credential, X-Amz-Signature and X-Amz-Security-Token. Names
// outside those prefixes are judged by secretAnywhere only, so that
// pagination tokens (continuation-token) stay readable.
var secretWords = []string{"token", "signature", "credential", "secret", "password", "accesskey", "authorization"}

// secretAnywhere mark a secret whatever the name's prefix; signature and
// awsaccesskeyid are SigV2's presigned query parameters.
var secretAnywhere = []string{"secret", "password", "signature", "awsaccesskeyid", "authorization"}

// IsSecretName reports whether the value of a header or query parameter
// named name must not be logged.
func IsSecretName(name string) bool {
	l := strings.ToLower(name)
	if slices.Contains(secretHeaders, l) {
		return true
	}
	words := secretAnywhere
	if strings.HasPrefix(l, "x-amz-") || strings.HasPrefix(l, "x-aws-") {
		words = secretWords
	}
	for _, w := range words {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// RedactHeader returns the value of header name fit for a log: secrets are
// replaced. Of a SigV4 Authorization header only the algorithm is kept.
func RedactHeader(name, value string) string {
	if !IsSecretName(name) {
		return value
	}
	if strings.EqualFold(name, "authorization") {
		if alg, _, ok := strings.Cut(value, " "); ok && strings.HasPrefix(alg, "AWS4-") {
			return alg + " " + Redacted
		}
	}
	return Redacted
}

// RedactHeaders renders h on one line, "Name: value; ...", sorted, with
// secrets replaced.
func RedactHeaders(h http.Header) string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, k := range names {
		for _, v := range h[k] {
			if b.Len() > 0 {
				b.WriteString("; ")
			}
			b.WriteString(k + ": " + RedactHeader(k, v))
		}
	}
	return b.String()
}

// RedactURL returns u as a string with the values of secret query
// parameters replaced, and any user:password removed.
func RedactURL(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User(Redacted)
	}
	if c.RawQuery != "" {
		parts := strings.Split(c.RawQuery, "&")
		for i, p := range parts {
			k, _, hasValue := strings.Cut(p, "=")
			if name, err := url.QueryUnescape(k); err == nil && hasValue && IsSecretName(name) {
				parts[i] = k + "=" + Redacted
			}
		}
		c.RawQuery = strings.Join(parts, "&")
	}
	return c.String()
}
