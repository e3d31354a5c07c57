package awsclient

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
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
)

// Clients builds an SDK client of any service trailseal calls, for any
// region, from one configuration. Every call made through them passes the
// Counter (when one is given), and each client gets the options that make
// it work behind an emulator too (see S3, CloudWatch, S3Control).
type Clients struct {
	cfg     aws.Config
	custom  bool
	counter *Counter
}

// NewClients wraps a copy of cfg; counter may be nil.
func NewClients(cfg aws.Config, counter *Counter) *Clients {
	cfg = cfg.Copy()
	if counter != nil {
		cfg.APIOptions = append(cfg.APIOptions, counter.Middleware)
	}
	return &Clients{cfg: cfg, custom: CustomEndpoint(cfg), counter: counter}
}

// AWSConfig is the configuration the clients are built from.
func (c *Clients) AWSConfig() aws.Config { return c.cfg }

// Counter is the counter every call passes, or nil.
func (c *Clients) Counter() *Counter { return c.counter }

// A region argument of "" keeps the configuration's region; "global" does
// too (see Region). IAM, STS and Organizations are global services.

func (c *Clients) STS() *sts.Client { return sts.NewFromConfig(c.cfg) }

func (c *Clients) IAM() *iam.Client { return iam.NewFromConfig(c.cfg) }

func (c *Clients) Organizations() *organizations.Client { return organizations.NewFromConfig(c.cfg) }

func (c *Clients) EC2(region string) *ec2.Client {
	return ec2.NewFromConfig(c.cfg, func(o *ec2.Options) { Region(region)(&o.Region) })
}

func (c *Clients) CloudTrail(region string) *cloudtrail.Client {
	return cloudtrail.NewFromConfig(c.cfg, func(o *cloudtrail.Options) { Region(region)(&o.Region) })
}

func (c *Clients) KMS(region string) *kms.Client {
	return kms.NewFromConfig(c.cfg, func(o *kms.Options) { Region(region)(&o.Region) })
}

func (c *Clients) Logs(region string) *cloudwatchlogs.Client {
	return cloudwatchlogs.NewFromConfig(c.cfg, func(o *cloudwatchlogs.Options) { Region(region)(&o.Region) })
}

func (c *Clients) CloudWatch(region string) *cloudwatch.Client {
	return cloudwatch.NewFromConfig(c.cfg, CloudWatch(region, c.custom))
}

func (c *Clients) SNS(region string) *sns.Client {
	return sns.NewFromConfig(c.cfg, func(o *sns.Options) { Region(region)(&o.Region) })
}

func (c *Clients) ConfigService(region string) *configservice.Client {
	return configservice.NewFromConfig(c.cfg, func(o *configservice.Options) { Region(region)(&o.Region) })
}

func (c *Clients) S3(region string) *s3.Client {
	return s3.NewFromConfig(c.cfg, S3(region, c.custom))
}

func (c *Clients) S3Control(region string) *s3control.Client {
	return s3control.NewFromConfig(c.cfg, S3Control(region))
}
