package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"

	"github.com/trailseal/trailseal/internal/awsclient"
)

// awsOptions select the credentials a command uses, and how long it waits
// for AWS endpoints that do not answer.
type awsOptions struct {
	profile    string
	roleARN    string
	externalID string
	region     string
	// networkTimeout is --network-timeout (awsclient.NetworkOptions.GiveUpAfter).
	networkTimeout time.Duration
}

// loadAWSConfig builds an SDK configuration from the standard chain
// (environment, shared config and credentials files, SSO, container and
// instance roles), optionally assuming --role-arn on top. Endpoints follow the
// SDK's standard overrides (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>).
// Every client built from it goes through the run's awsclient.Network,
// which bounds retries by --network-timeout, says on stderr what is
// retrying and, with --debug, logs each request with secrets redacted.
func loadAWSConfig(ctx context.Context, g *globals, o awsOptions) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{config.WithLogger(sdkLogger{g})}
	if o.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.profile))
	}
	if o.region != "" {
		opts = append(opts, config.WithRegion(o.region))
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
		g.logger.Debug("no region configured, using us-east-1 for global calls")
	}
	g.awsNetwork(o).Apply(&cfg)
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

// sdkLogger takes the lines the AWS SDK logs on its own (by default
// written to stderr with a date, like "SDK 2026/12/07 01:22:32 WARN falling
// back to IMDSv1 ...", while it looks for credentials) into the run's
// logger at debug level: shown with --debug, never mixed into a normal
// run's output. What the SDK warns of that matters to the run (no
// credentials, an endpoint that does not answer) comes back as an error
// and is said in words.
type sdkLogger struct{ g *globals }

func (l sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	l.g.logger.Debug(fmt.Sprintf(format, v...), "aws_sdk", string(c))
}

// awsNetwork is the run's one awsclient.Network: a command that loads its
// configuration twice (hunt) still gives up on an endpoint once.
func (g *globals) awsNetwork(o awsOptions) *awsclient.Network {
	if g.network == nil {
		g.network = awsclient.NewNetwork(awsclient.NetworkOptions{
			GiveUpAfter: o.networkTimeout,
			Logger:      g.logger,
			Hint:        "--network-timeout " + o.networkTimeout.String(),
		})
	}
	return g.network
}

// reportUnreachable ends a run's stderr with each AWS endpoint it gave up
// on, unless the error already names it: the reason so much evidence is
// missing, said once, last, where it is seen.
func reportUnreachable(g *globals, err error) {
	if g.network == nil {
		return
	}
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	for _, u := range g.network.Unreachable() {
		if (u.Anywhere || !strings.Contains(msg, u.Endpoint)) && !strings.Contains(msg, u.Error()) {
			fmt.Fprintf(g.stderr, "trailseal: %v; what it holds was not read\n", u)
		}
	}
}
