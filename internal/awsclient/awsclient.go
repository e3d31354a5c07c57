// Package awsclient holds what every package that calls AWS shares: the
// names calls are counted under, a counting (and optionally limiting) SDK
// middleware, and the client options that make the SDK work against an
// emulator or test proxy as well as against AWS.
package awsclient

import (
	"context"
	"maps"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// CallName maps an SDK service ID and operation to "prefix:Operation" with
// the prefix IAM policies use, so that counts and error messages read like
// the permissions a user must grant.
func CallName(serviceID, op string) string {
	var svc string
	switch serviceID {
	case "CloudWatch Logs":
		svc = "logs"
	case "Config Service":
		svc = "config"
	case "S3 Control":
		svc = "s3control"
	default:
		svc = strings.ToLower(strings.ReplaceAll(serviceID, " ", ""))
	}
	return svc + ":" + op
}

// Counter counts API calls by CallName and, when built with a limit,
// bounds how many are in flight. Both live in one middleware so that every
// call made through any client built from the configuration is counted
// (and limited), whoever made it. Retries of a call count once.
type Counter struct {
	sem    chan struct{}
	mu     sync.Mutex
	counts map[string]int
}

// NewCounter returns a counter; limit > 0 also bounds concurrent calls.
func NewCounter(limit int) *Counter {
	c := &Counter{counts: map[string]int{}}
	if limit > 0 {
		c.sem = make(chan struct{}, limit)
	}
	return c
}

// Middleware is an SDK API option: append it to aws.Config.APIOptions.
func (c *Counter) Middleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("trailsealCallCounter",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			name := CallName(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx))
			c.mu.Lock()
			c.counts[name]++
			c.mu.Unlock()
			if c.sem != nil {
				select {
				case c.sem <- struct{}{}:
				case <-ctx.Done():
					return middleware.InitializeOutput{}, middleware.Metadata{}, ctx.Err()
				}
				defer func() { <-c.sem }()
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

// Counts returns a copy of the counts so far.
func (c *Counter) Counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.counts)
}

// CustomEndpoint reports whether requests go somewhere other than AWS (an
// emulator or a test proxy), set in code or through the SDK's standard
// environment overrides. It changes how S3 must address buckets.
func CustomEndpoint(cfg aws.Config) bool {
	if cfg.BaseEndpoint != nil {
		return true
	}
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"} {
		if os.Getenv(k) != "" {
			return true
		}
	}
	return false
}

// Region returns an option body that sets a client's region, unless r is
// empty (keep the configuration's) or "global".
func Region(r string) func(*string) {
	return func(dst *string) {
		if r != "" && r != "global" {
			*dst = r
		}
	}
}

// S3 returns S3 client options for region r. Behind a custom endpoint it
// uses path-style addressing: emulators listen on one host:port and cannot
// serve bucket.host virtual-hosted names.
func S3(r string, custom bool) func(*s3.Options) {
	return func(o *s3.Options) {
		Region(r)(&o.Region)
		if o.BaseEndpoint != nil || custom {
			o.UsePathStyle = true
		}
	}
}

// CloudWatch returns CloudWatch client options for region r. The SDK speaks
// Smithy RPCv2 CBOR to CloudWatch by default, which emulators such as moto
// do not understand; behind a custom endpoint it switches to the AWS query
// protocol, which CloudWatch still accepts.
func CloudWatch(r string, custom bool) func(*cloudwatch.Options) {
	return func(o *cloudwatch.Options) {
		Region(r)(&o.Region)
		if o.BaseEndpoint != nil || custom {
			o.Protocol = EmulatorCloudWatchProtocol()
		}
	}
}

// EmulatorCloudWatchProtocol is the wire protocol CloudWatch clients use
// behind a custom endpoint (see CloudWatch).
func EmulatorCloudWatchProtocol() smithyhttp.ClientProtocol {
	return awsquery.New(cwschemas.GraniteServiceVersion20100801)
}

// S3Control returns S3 Control client options for region r. Behind a custom
// endpoint it removes the account-ID host prefix the endpoint rules add:
// AWS routes 123456789012.s3-control.<region>.amazonaws.com by that label,
// but an emulator on 127.0.0.1:port has no such names, and the account is
// also sent in the x-amz-account-id header, which is what emulators read.
func S3Control(r string) func(*s3control.Options) {
	return func(o *s3control.Options) {
		Region(r)(&o.Region)
		if o.BaseEndpoint != nil {
			o.EndpointResolverV2 = accountlessEndpoint{next: o.EndpointResolverV2}
		}
	}
}

type accountlessEndpoint struct {
	next s3control.EndpointResolverV2
}

func (r accountlessEndpoint) ResolveEndpoint(ctx context.Context, p s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	next := r.next
	if next == nil {
		next = s3control.NewDefaultEndpointResolverV2()
	}
	ep, err := next.ResolveEndpoint(ctx, p)
	if err != nil || p.AccountId == nil {
		return ep, err
	}
	prefix := *p.AccountId + "."
	if strings.HasPrefix(ep.URI.Host, prefix) {
		u := ep.URI
		u.Host = strings.TrimPrefix(u.Host, prefix)
		ep.URI = url.URL(u)
	}
	return ep, nil
}
