package fix

import (
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/trailseal/trailseal/internal/awsclient"
)

// Clients builds SDK clients for any region from one configuration and
// counts every call they make, so that tests can hold the calls against the
// published IAM policy.
type Clients struct {
	aws *awsclient.Clients
}

// NewClients wraps cfg.
func NewClients(cfg aws.Config) *Clients {
	return &Clients{aws: awsclient.NewClients(cfg, awsclient.NewCounter(0))}
}

// Calls returns the "service:Operation" names called so far, sorted.
func (c *Clients) Calls() []string {
	m := c.aws.Counter().Counts()
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (c *Clients) s3(r string) *s3.Client                 { return c.aws.S3(r) }
func (c *Clients) cloudtrail(r string) *cloudtrail.Client { return c.aws.CloudTrail(r) }
func (c *Clients) kms(r string) *kms.Client               { return c.aws.KMS(r) }
func (c *Clients) logs(r string) *cloudwatchlogs.Client   { return c.aws.Logs(r) }
func (c *Clients) cloudwatch(r string) *cloudwatch.Client { return c.aws.CloudWatch(r) }
func (c *Clients) iam() *iam.Client                       { return c.aws.IAM() }
func (c *Clients) sns(r string) *sns.Client               { return c.aws.SNS(r) }

// errorCode returns the AWS error code of err, or "".
var errorCode = awsclient.ErrorCode
