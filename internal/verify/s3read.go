package verify

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyauth "github.com/aws/smithy-go/auth"
	"github.com/aws/smithy-go/encoding/httpbinding"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/trailseal/trailseal/internal/awsclient"
)

// objectReader reads the objects of one bucket with plain SigV4-signed GET
// requests, built from the S3 client's own endpoint resolver, credentials,
// signer, retryer and HTTP client.
//
// Why not s3.Client.GetObject: verify reads every object of a trail once,
// and most are a few kilobytes. The SDK runs some forty middlewares per
// operation (endpoint rules, auth scheme resolution, checksum set-up, user
// agent, metrics); profiled, that costs more CPU than downloading,
// gunzipping and hashing the object itself. Resolving the endpoint once per
// bucket and signing each GET directly does the same wire work for about
// half the CPU (BenchmarkOpen). Anything this reader does not model (an
// endpoint whose auth scheme is not plain SigV4, such as S3 Express or
// multi-Region access points, or anonymous credentials) keeps the SDK path.
type objectReader struct {
	scheme, host  string
	path, rawPath string      // the bucket's endpoint path, unescaped and escaped
	headers       http.Header // headers the endpoint asks for
	signingName   string
	signingRegion string
	creds         aws.CredentialsProvider
	signer        *v4.Signer
	client        s3.HTTPClient
	retryer       aws.Retryer
	// skewed is set once S3 refused a request's time: the SDK path,
	// which corrects for clock skew, reads the bucket from then on.
	skewed atomic.Bool
}

// isClockSkew tells whether S3 refused a request for its time.
func isClockSkew(err error) bool {
	return awsclient.HasCode(err, "RequestTimeTooSkewed", "RequestExpired")
}

// emptySHA256 is the SHA-256 of an empty body, the payload hash of a GET.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// newObjectReader prepares a reader for bucket, or returns nil when the
// SDK path must be kept.
func newObjectReader(ctx context.Context, c *s3.Client, bucket string) *objectReader {
	o := c.Options()
	if o.Credentials == nil || o.EndpointResolverV2 == nil || o.HTTPClient == nil || strings.HasPrefix(bucket, "arn:") {
		return nil
	}
	if _, anon := o.Credentials.(aws.AnonymousCredentials); anon {
		return nil
	}
	ep, err := o.EndpointResolverV2.ResolveEndpoint(ctx, s3.EndpointParameters{
		Bucket:                         aws.String(bucket),
		Region:                         aws.String(o.Region),
		UseFIPS:                        aws.Bool(o.EndpointOptions.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled),
		UseDualStack:                   aws.Bool(o.EndpointOptions.UseDualStackEndpoint == aws.DualStackEndpointStateEnabled),
		Endpoint:                       o.BaseEndpoint,
		ForcePathStyle:                 aws.Bool(o.UsePathStyle),
		Accelerate:                     aws.Bool(o.UseAccelerate),
		DisableMultiRegionAccessPoints: aws.Bool(o.DisableMultiRegionAccessPoints),
		UseArnRegion:                   aws.Bool(o.UseARNRegion),
		DisableS3ExpressSessionAuth:    o.DisableS3ExpressSessionAuth,
	})
	if err != nil {
		return nil
	}
	opts, _ := smithyauth.GetAuthOptions(&ep.Properties)
	// Endpoint rules name the scheme "sigv4"; smithy names it
	// "aws.auth#sigv4". Both are plain SigV4.
	if len(opts) == 0 || (opts[0].SchemeID != "sigv4" && opts[0].SchemeID != smithyauth.SchemeIDSigV4) {
		return nil
	}
	name, _ := smithyhttp.GetSigV4SigningName(&opts[0].SignerProperties)
	region, _ := smithyhttp.GetSigV4SigningRegion(&opts[0].SignerProperties)
	if name == "" {
		name = "s3"
	}
	if region == "" {
		region = o.Region
	}
	rawPath := ep.URI.RawPath
	if rawPath == "" {
		rawPath = ep.URI.Path
	}
	retryer := o.Retryer
	if retryer == nil {
		retryer = aws.NopRetryer{}
	}
	return &objectReader{
		scheme: ep.URI.Scheme, host: ep.URI.Host, path: ep.URI.Path, rawPath: rawPath,
		headers: ep.Headers, signingName: name, signingRegion: region,
		creds: o.Credentials, client: o.HTTPClient, retryer: retryer,
		// S3 signs the path as sent, without escaping it a second time.
		signer: v4.NewSigner(func(so *v4.SignerOptions) { so.DisableURIPathEscaping = true }),
	}
}

// open GETs key, retrying what the client's retryer would retry.
func (r *objectReader) open(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error) {
	for attempt := 1; ; attempt++ {
		body, info, err := r.get(ctx, key)
		if err == nil || errors.Is(err, ErrNotFound) || ctx.Err() != nil ||
			attempt >= r.retryer.MaxAttempts() || !r.retryer.IsErrorRetryable(err) {
			return body, info, err
		}
		delay, derr := r.retryer.RetryDelay(attempt, err)
		if derr != nil {
			return nil, ObjectInfo{}, err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ObjectInfo{}, err
		case <-t.C:
		}
	}
}

func (r *objectReader) get(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error) {
	opErr := func(err error) error {
		return &smithy.OperationError{ServiceID: "S3", OperationName: "GetObject", Err: err}
	}
	creds, err := r.creds.Retrieve(ctx)
	if err != nil {
		return nil, ObjectInfo{}, opErr(fmt.Errorf("get credentials: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "", nil)
	if err != nil {
		return nil, ObjectInfo{}, opErr(err)
	}
	req.URL = &url.URL{
		Scheme:  r.scheme,
		Host:    r.host,
		Path:    smithyhttp.JoinPath(r.path, key),
		RawPath: smithyhttp.JoinPath(r.rawPath, httpbinding.EscapePath(key, false)),
	}
	req.Host = r.host
	for k := range r.headers {
		req.Header.Set(k, r.headers.Get(k))
	}
	// Without this, Go's transport asks for gzip and silently inflates an
	// object stored with Content-Encoding: gzip: the hash would be taken
	// over other bytes than the ones stored.
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	req.Header.Set("User-Agent", "trailseal aws-sdk-go-v2/"+aws.SDKVersion)
	if err := r.signer.SignHTTP(ctx, creds, req, emptySHA256, r.signingName, r.signingRegion, time.Now().UTC()); err != nil {
		return nil, ObjectInfo{}, opErr(fmt.Errorf("sign request: %w", err))
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, ObjectInfo{}, opErr(&smithyhttp.RequestSendError{Err: err})
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, ObjectInfo{}, responseError(resp, opErr)
	}
	md := map[string]string{}
	for name, values := range resp.Header {
		if len(name) > len("x-amz-meta-") && strings.EqualFold(name[:len("x-amz-meta-")], "x-amz-meta-") && len(values) > 0 {
			md[strings.ToLower(name[len("x-amz-meta-"):])] = strings.TrimSpace(values[0])
		}
	}
	return resp.Body, ObjectInfo{Metadata: md, VersionID: resp.Header.Get("X-Amz-Version-Id"), ETag: resp.Header.Get("ETag")}, nil
}

// responseError reads S3's error document into the error the SDK would
// return, so that the retryer and the messages treat both paths alike.
func responseError(resp *http.Response, opErr func(error) error) error {
	defer resp.Body.Close()
	var doc struct {
		Code      string `xml:"Code"`
		Message   string `xml:"Message"`
		RequestID string `xml:"RequestId"`
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = xml.Unmarshal(data, &doc)
	if doc.Code == "" {
		// A HEAD-like answer without a body: name it by its status, as
		// the SDK does.
		doc.Code = strings.ReplaceAll(http.StatusText(resp.StatusCode), " ", "")
		if doc.Code == "" {
			doc.Code = fmt.Sprintf("HTTP%d", resp.StatusCode)
		}
		doc.Message = http.StatusText(resp.StatusCode)
	}
	if resp.StatusCode == http.StatusNotFound && (doc.Code == "NoSuchKey" || doc.Code == "NotFound") {
		return ErrNotFound
	}
	id := resp.Header.Get("X-Amz-Request-Id")
	if id == "" {
		id = doc.RequestID
	}
	return opErr(&awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: resp},
			Err:      &smithy.GenericAPIError{Code: doc.Code, Message: doc.Message},
		},
		RequestID: id,
	})
}
