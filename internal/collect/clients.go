package collect

import (
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

	"github.com/trailseal/trailseal/internal/awsclient"
)

func (c *collector) sts() *sts.Client { return sts.NewFromConfig(c.cfg) }

func (c *collector) ec2(region string) *ec2.Client {
	return ec2.NewFromConfig(c.cfg, func(o *ec2.Options) { awsclient.Region(region)(&o.Region) })
}

func (c *collector) organizations() *organizations.Client {
	return organizations.NewFromConfig(c.cfg)
}

func (c *collector) iam() *iam.Client { return iam.NewFromConfig(c.cfg) }

func (c *collector) cloudtrail(region string) *cloudtrail.Client {
	return cloudtrail.NewFromConfig(c.cfg, func(o *cloudtrail.Options) { awsclient.Region(region)(&o.Region) })
}

func (c *collector) kms(region string) *kms.Client {
	return kms.NewFromConfig(c.cfg, func(o *kms.Options) { awsclient.Region(region)(&o.Region) })
}

func (c *collector) logs(region string) *cloudwatchlogs.Client {
	return cloudwatchlogs.NewFromConfig(c.cfg, func(o *cloudwatchlogs.Options) { awsclient.Region(region)(&o.Region) })
}

func (c *collector) cloudwatch(region string) *cloudwatch.Client {
	return cloudwatch.NewFromConfig(c.cfg, awsclient.CloudWatch(region, c.custom))
}

func (c *collector) sns(region string) *sns.Client {
	return sns.NewFromConfig(c.cfg, func(o *sns.Options) { awsclient.Region(region)(&o.Region) })
}

func (c *collector) config(region string) *configservice.Client {
	return configservice.NewFromConfig(c.cfg, func(o *configservice.Options) { awsclient.Region(region)(&o.Region) })
}

func (c *collector) s3(region string) *s3.Client {
	return s3.NewFromConfig(c.cfg, awsclient.S3(region, c.custom))
}

func (c *collector) s3control(region string) *s3control.Client {
	return s3control.NewFromConfig(c.cfg, awsclient.S3Control(region))
}
