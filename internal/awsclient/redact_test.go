package awsclient

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestRedactHeaders(t *testing.T) {
	h := http.Header{
		"Authorization":                             {"AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20260102/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcdef0123"},
		"X-Amz-Security-Token":                      {"IQoJb3JpZ2luX2VjEXAMPLETOKEN"},
		"X-Amz-Server-Side-Encryption-Customer-Key": {"c2VjcmV0LWtleQ=="},
		"X-Amz-Sso_bearer_token":                    {"sso-portal-token"},
		"X-Aws-Ec2-Metadata-Token":                  {"imds-token"},
		"Proxy-Authorization":                       {"Basic dXNlcjpwYXNz"},
		"X-Amz-Date":                                {"20260102T030405Z"},
		"X-Amz-Target":                              {"CloudTrail_20131101.DescribeTrails"},
	}
	got := RedactHeaders(h)
	for _, secret := range []string{"ASIAEXAMPLE", "abcdef0123", "EXAMPLETOKEN", "c2VjcmV0", "sso-portal-token", "imds-token", "dXNlcjpwYXNz"} {
		if strings.Contains(got, secret) {
			t.Errorf("%q survived redaction: %s", secret, got)
		}
	}
	for _, kept := range []string{"Authorization: AWS4-HMAC-SHA256 [REDACTED]", "X-Amz-Date: 20260102T030405Z", "X-Amz-Target: CloudTrail_20131101.DescribeTrails"} {
		if !strings.Contains(got, kept) {
			t.Errorf("%q missing: %s", kept, got)
		}
	}
}

// TestRedactPresignedURL: a presigned URL carries the credential, the
// signature and the session token in its query (SigV4 query-string
// authentication, and SigV2's AWSAccessKeyId and Signature); pagination
// tokens are kept.
func TestRedactPresignedURL(t *testing.T) {
	signer := v4.NewSigner()
	req, _ := http.NewRequest(http.MethodGet, "https://trail-logs.s3.us-east-1.amazonaws.com/AWSLogs/x.json.gz?continuation-token=page2", nil)
	creds := aws.Credentials{AccessKeyID: "ASIAPRESIGNED", SecretAccessKey: "presign-secret", SessionToken: "presign-session-token"}
	signed, _, err := signer.PresignHTTP(context.Background(), creds, req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(signed)
	sig := u.Query().Get("X-Amz-Signature")
	got := RedactURL(u)
	for _, secret := range []string{"ASIAPRESIGNED", "presign-session-token", sig} {
		if strings.Contains(got, secret) || strings.Contains(got, url.QueryEscape(secret)) {
			t.Errorf("%q survived redaction: %s", secret, got)
		}
	}
	if !strings.Contains(got, "continuation-token=page2") || !strings.Contains(got, "X-Amz-Signature=[REDACTED]") {
		t.Errorf("redacted too much or too little: %s", got)
	}
	v2, _ := url.Parse("https://b.s3.amazonaws.com/k?AWSAccessKeyId=AKIAV2&Expires=1&Signature=v2sig")
	if got := RedactURL(v2); strings.Contains(got, "AKIAV2") || strings.Contains(got, "v2sig") || !strings.Contains(got, "Expires=1") {
		t.Errorf("SigV2 presigned URL: %s", got)
	}
}

// TestDebugLinesNameTheCallAndHideSecrets: under --debug each attempt is
// one line naming its operation, with the session credentials' secrets
// nowhere in the log.
func TestDebugLinesNameTheCallAndHideSecrets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-Requestid", "req-1")
		w.Header().Set("Content-Type", "text/xml")
		w.Write([]byte(`<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn><UserId>AROA:s</UserId></GetCallerIdentityResult></GetCallerIdentityResponse>`))
	}))
	defer srv.Close()
	var log syncBuffer
	n := NewNetwork(NetworkOptions{Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("ASIADEBUGTEST", "debug-secret-key", "debug-session-token"),
		BaseEndpoint: aws.String(srv.URL),
	}
	n.Apply(&cfg)
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	out := log.String()
	for _, secret := range []string{"ASIADEBUGTEST", "debug-secret-key", "debug-session-token", "Signature="} {
		if strings.Contains(out, secret) {
			t.Errorf("%q in the debug log:\n%s", secret, out)
		}
	}
	for _, want := range []string{"call=sts:GetCallerIdentity", "attempt=1", "status=200", "requestId=req-1", "X-Amz-Security-Token: [REDACTED]"} {
		if !strings.Contains(out, want) {
			t.Errorf("%q missing from the debug log:\n%s", want, out)
		}
	}
}
