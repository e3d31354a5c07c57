package fix

import (
	"errors"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/trailseal/trailseal/internal/awsclient"
)

// Clients builds SDK clients for any region from one configuration and
// counts every call they make, so that tests can hold the calls against the
// published IAM policy.
type Clients struct {
	cfg     aws.Config
	custom  bool
	counter *awsclient.Counter
}

// NewClients wraps cfg.
func NewClients(cfg aws.Config) *Clients {
	c := &Clients{cfg: cfg.Copy(), counter: awsclient.NewCounter(0), custom: awsclient.CustomEndpoint(cfg)}
	c.cfg.APIOptions = append(c.cfg.APIOptions, c.counter.Middleware)
	return c
}

// Calls returns the "service:Operation" names called so far, sorted.
func (c *Clients) Calls() []string {
	m := c.counter.Counts()
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (c *Clients) s3(r string) *s3.Client {
	return s3.NewFromConfig(c.cfg, awsclient.S3(r, c.custom))
}

func (c *Clients) cloudtrail(r string) *cloudtrail.Client {
	return cloudtrail.NewFromConfig(c.cfg, func(o *cloudtrail.Options) { awsclient.Region(r)(&o.Region) })
}

func (c *Clients) kms(r string) *kms.Client {
	return kms.NewFromConfig(c.cfg, func(o *kms.Options) { awsclient.Region(r)(&o.Region) })
}

func (c *Clients) logs(r string) *cloudwatchlogs.Client {
	return cloudwatchlogs.NewFromConfig(c.cfg, func(o *cloudwatchlogs.Options) { awsclient.Region(r)(&o.Region) })
}

func (c *Clients) cloudwatch(r string) *cloudwatch.Client {
	return cloudwatch.NewFromConfig(c.cfg, awsclient.CloudWatch(r, c.custom))
}

func (c *Clients) iam() *iam.Client { return iam.NewFromConfig(c.cfg) }

func (c *Clients) sns(r string) *sns.Client {
	return sns.NewFromConfig(c.cfg, func(o *sns.Options) { awsclient.Region(r)(&o.Region) })
}

// errorCode returns the AWS error code of err, or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
