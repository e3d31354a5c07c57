package fix

import (
	"context"
	"errors"
	"maps"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/trailseal/trailseal/internal/collect"
)

// Clients builds SDK clients for any region from one configuration and
// counts every call they make, so that tests can hold the calls against the
// published IAM policy.
type Clients struct {
	cfg    aws.Config
	custom bool

	mu    sync.Mutex
	calls map[string]int
}

// NewClients wraps cfg.
func NewClients(cfg aws.Config) *Clients {
	c := &Clients{cfg: cfg.Copy(), calls: map[string]int{}}
	c.custom = cfg.BaseEndpoint != nil || os.Getenv("AWS_ENDPOINT_URL") != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != ""
	c.cfg.APIOptions = append(c.cfg.APIOptions, c.count)
	return c
}

func (c *Clients) count(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("trailsealFixCallCounter",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			svc := awsmiddleware.GetServiceID(ctx)
			switch svc {
			case "CloudWatch Logs":
				svc = "logs"
			default:
				svc = strings.ToLower(strings.ReplaceAll(svc, " ", ""))
			}
			c.mu.Lock()
			c.calls[svc+":"+awsmiddleware.GetOperationName(ctx)]++
			c.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

// Calls returns the "service:Operation" names called so far, sorted.
func (c *Clients) Calls() []string {
	c.mu.Lock()
	m := maps.Clone(c.calls)
	c.mu.Unlock()
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func region(r string) func(*string) {
	return func(dst *string) {
		if r != "" && r != "global" {
			*dst = r
		}
	}
}

func (c *Clients) s3(r string) *s3.Client {
	return s3.NewFromConfig(c.cfg, func(o *s3.Options) {
		region(r)(&o.Region)
		if o.BaseEndpoint != nil || c.custom {
			o.UsePathStyle = true
		}
	})
}

func (c *Clients) cloudtrail(r string) *cloudtrail.Client {
	return cloudtrail.NewFromConfig(c.cfg, func(o *cloudtrail.Options) { region(r)(&o.Region) })
}

func (c *Clients) kms(r string) *kms.Client {
	return kms.NewFromConfig(c.cfg, func(o *kms.Options) { region(r)(&o.Region) })
}

func (c *Clients) logs(r string) *cloudwatchlogs.Client {
	return cloudwatchlogs.NewFromConfig(c.cfg, func(o *cloudwatchlogs.Options) { region(r)(&o.Region) })
}

func (c *Clients) cloudwatch(r string) *cloudwatch.Client {
	return cloudwatch.NewFromConfig(c.cfg, func(o *cloudwatch.Options) {
		region(r)(&o.Region)
		if o.BaseEndpoint != nil || c.custom {
			o.Protocol = collect.EmulatorCloudWatchProtocol()
		}
	})
}

func (c *Clients) iam() *iam.Client { return iam.NewFromConfig(c.cfg) }

func (c *Clients) sns(r string) *sns.Client {
	return sns.NewFromConfig(c.cfg, func(o *sns.Options) { region(r)(&o.Region) })
}

// errorCode returns the AWS error code of err, or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
