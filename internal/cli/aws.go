package cli

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// awsOptions select the credentials a command uses.
type awsOptions struct {
	profile    string
	roleARN    string
	externalID string
	region     string
}

// loadAWSConfig builds an SDK configuration from the standard chain
// (environment, shared config and credentials files, SSO, container and
// instance roles), optionally assuming --role-arn on top. Endpoints follow the
// SDK's standard overrides (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>).
func loadAWSConfig(ctx context.Context, o awsOptions, logger *slog.Logger, debug bool) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if o.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.profile))
	}
	if o.region != "" {
		opts = append(opts, config.WithRegion(o.region))
	}
	if debug {
		opts = append(opts, config.WithClientLogMode(aws.LogRequest|aws.LogRetries))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		// A missing or broken profile is the usual cause.
		return aws.Config{}, usageError("AWS configuration: %v", err)
	}
	if cfg.Region == "" {
		// STS, Organizations and DescribeRegions need some region; the scan
		// itself covers every enabled region regardless.
		cfg.Region = "us-east-1"
		logger.Debug("no region configured, using us-east-1 for global calls")
	}
	if o.roleARN != "" {
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), o.roleARN, func(ao *stscreds.AssumeRoleOptions) {
			ao.RoleSessionName = "trailseal"
			if o.externalID != "" {
				ao.ExternalID = aws.String(o.externalID)
			}
		})
		cfg.Credentials = aws.NewCredentialsCache(provider)
	}
	return cfg, nil
}
