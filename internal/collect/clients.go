package collect

import (
	"context"
	"maps"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// callCounter counts API calls by "service:Operation" and bounds how many
// are in flight. Both live in one SDK middleware so that every call made
// through any client is counted and limited, whoever made it.
type callCounter struct {
	sem    chan struct{}
	mu     sync.Mutex
	counts map[string]int
}

func newCallCounter(limit int) *callCounter {
	return &callCounter{sem: make(chan struct{}, limit), counts: map[string]int{}}
}

func (cc *callCounter) middleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("trailsealCallCounter",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			name := callName(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx))
			cc.mu.Lock()
			cc.counts[name]++
			cc.mu.Unlock()
			select {
			case cc.sem <- struct{}{}:
			case <-ctx.Done():
				return middleware.InitializeOutput{}, middleware.Metadata{}, ctx.Err()
			}
			defer func() { <-cc.sem }()
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

func (cc *callCounter) snapshot() map[string]int {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return maps.Clone(cc.counts)
}

// callName maps an SDK service ID to the prefix IAM policies use, so that
// counts and error messages read like the permissions a user must grant.
func callName(serviceID, op string) string {
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

// hasCustomEndpoint reports whether requests are sent somewhere other than
// AWS (an emulator or a test proxy), which changes how S3 must address
// buckets.
func hasCustomEndpoint(cfg aws.Config) bool {
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

func withRegion(region string) func(*string) {
	return func(r *string) {
		if region != "" {
			*r = region
		}
	}
}

func (c *collector) sts() *sts.Client { return sts.NewFromConfig(c.cfg) }

func (c *collector) ec2(region string) *ec2.Client {
	return ec2.NewFromConfig(c.cfg, func(o *ec2.Options) { withRegion(region)(&o.Region) })
}

func (c *collector) organizations() *organizations.Client {
	return organizations.NewFromConfig(c.cfg)
}

func (c *collector) iam() *iam.Client { return iam.NewFromConfig(c.cfg) }

func (c *collector) cloudtrail(region string) *cloudtrail.Client {
	return cloudtrail.NewFromConfig(c.cfg, func(o *cloudtrail.Options) { withRegion(region)(&o.Region) })
}

func (c *collector) kms(region string) *kms.Client {
	return kms.NewFromConfig(c.cfg, func(o *kms.Options) { withRegion(region)(&o.Region) })
}

func (c *collector) logs(region string) *cloudwatchlogs.Client {
	return cloudwatchlogs.NewFromConfig(c.cfg, func(o *cloudwatchlogs.Options) { withRegion(region)(&o.Region) })
}

func (c *collector) cloudwatch(region string) *cloudwatch.Client {
	return cloudwatch.NewFromConfig(c.cfg, func(o *cloudwatch.Options) {
		withRegion(region)(&o.Region)
		if o.BaseEndpoint != nil {
			o.Protocol = EmulatorCloudWatchProtocol()
		}
	})
}

// EmulatorCloudWatchProtocol is the wire protocol to use for CloudWatch
// behind a custom endpoint. The SDK speaks Smithy RPCv2 CBOR to CloudWatch
// by default, which emulators such as moto do not understand; CloudWatch
// still accepts the older AWS query protocol, which they do.
func EmulatorCloudWatchProtocol() smithyhttp.ClientProtocol {
	return awsquery.New(cwschemas.GraniteServiceVersion20100801)
}

func (c *collector) sns(region string) *sns.Client {
	return sns.NewFromConfig(c.cfg, func(o *sns.Options) { withRegion(region)(&o.Region) })
}

func (c *collector) config(region string) *configservice.Client {
	return configservice.NewFromConfig(c.cfg, func(o *configservice.Options) { withRegion(region)(&o.Region) })
}

func (c *collector) s3(region string) *s3.Client {
	return s3.NewFromConfig(c.cfg, func(o *s3.Options) {
		withRegion(region)(&o.Region)
		// Emulators listen on one host:port and cannot serve
		// bucket.host virtual-hosted names.
		if o.BaseEndpoint != nil || c.custom {
			o.UsePathStyle = true
		}
	})
}

func (c *collector) s3control(region string) *s3control.Client {
	return s3control.NewFromConfig(c.cfg, func(o *s3control.Options) {
		withRegion(region)(&o.Region)
		if o.BaseEndpoint != nil {
			o.EndpointResolverV2 = accountlessEndpoint{next: o.EndpointResolverV2}
		}
	})
}

// accountlessEndpoint undoes the account-ID host prefix that the S3 Control
// endpoint rules put in front of a custom endpoint. AWS routes
// 123456789012.s3-control.<region>.amazonaws.com by that label, but an
// emulator or proxy on 127.0.0.1:port has no such names, and the account
// is also sent in the x-amz-account-id header, which is what emulators
// read. Only used when a custom endpoint is configured.
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
