package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/spf13/cobra"

	"github.com/trailseal/trailseal/internal/awsclient"
	"github.com/trailseal/trailseal/internal/verify"
)

type keysExportOptions struct {
	aws       awsOptions
	regions   string
	startTime string
	endTime   string
	output    string
	now       time.Time
}

func newKeysCommand(g *globals) *cobra.Command {
	keys := &cobra.Command{
		Use:   "keys",
		Short: "Work with the public keys CloudTrail signs digests with",
		Args:  cobra.NoArgs,
	}
	o := &keysExportOptions{}
	export := &cobra.Command{
		Use:   "export",
		Short: "Write CloudTrail's public keys for a period as JSON, for offline verification",
		Long: `Export calls CloudTrail ListPublicKeys in each region given, all regions at
once, and writes their keys (to stdout, or to -o FILE) in the JSON form of 'aws cloudtrail
list-public-keys', with a Region field on each key, which 'trailseal verify
--public-keys' reads. CloudTrail signs each region's digests with that
region's own keys: export every region the trail records. --regions all
exports every region enabled in the account (account:ListRegions, else
ec2:DescribeRegions).

The keys cover three hours before --start-time to two hours after
--end-time, as verify asks online: digests are signed up to an hour after
their period, and the first digest of a period links to one before it.

Exit codes:
` + exitCodesHelp("keys export"),
		Example: `  trailseal keys export --regions all --start-time 2026-01-01T00:00:00Z > keys.json
  trailseal keys export --regions us-east-1,eu-west-1 --start-time 2026-01-01T00:00:00Z > keys.json
  trailseal verify --trail-arn ARN --start-time 2026-01-01T00:00:00Z --from-dir evidence/ --public-keys keys.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runKeysExport(cmd.Context(), g, o)
		},
	}
	f := export.Flags()
	f.StringVar(&o.regions, "regions", "", "comma-separated regions whose keys to export, or 'all' for every region enabled in the account (required)")
	f.StringVar(&o.startTime, "start-time", "", "cover digests of log files delivered at or after this time (UTC; e.g. 2026-01-08T05:21:42Z; required)")
	f.StringVar(&o.endTime, "end-time", "", "cover digests of log files delivered at or before this time (UTC; default: now)")
	addOutputFlag(f, &o.output)
	addAWSFlags(f, &o.aws)
	keys.AddCommand(export)
	return keys
}

func runKeysExport(ctx context.Context, g *globals, o *keysExportOptions) error {
	now := o.now
	if now.IsZero() {
		now = time.Now()
	}
	start, end, err := periodFlags(o.startTime, o.endTime, now)
	if err != nil {
		return err
	}
	if strings.TrimSpace(o.regions) == "" {
		return usageError("--regions is required: the regions the trail records, e.g. --regions us-east-1,eu-west-1, or --regions all")
	}
	regions, err := parseRegions("--regions", o.regions)
	if err != nil {
		return err
	}
	if err := o.aws.validate(); err != nil {
		return err
	}
	out := newOutput(g, "--output", o.output)
	if err := checkOutputs(out); err != nil {
		return err
	}
	cfg, err := loadAWSConfig(ctx, g, o.aws)
	if err != nil {
		return err
	}
	if regions == nil {
		enabled, err := verify.EnabledRegions(ctx, cfg, "")
		if err != nil {
			if rerr := awsclient.ReachError(err, "account:ListRegions, ec2:DescribeRegions", ""); rerr != nil {
				return fmt.Errorf("--regions all: %w", rerr)
			}
			return fmt.Errorf("--regions all: %w; name the regions instead", err)
		}
		for _, r := range enabled {
			regions = append(regions, r.Region)
		}
	}
	from, to := verify.KeyRange(start, end)
	keys, err := verify.ExportKeys(ctx, verify.APIKeys{Client: func(region string) *cloudtrail.Client {
		return cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) { o.Region = region })
	}}, regions, from, to)
	if err != nil {
		// An endpoint that does not answer is not a refused credential,
		// and neither is a failure of ListPublicKeys itself.
		if rerr := awsclient.ReachError(err, "cloudtrail:ListPublicKeys", ""); rerr != nil {
			return rerr
		}
		return err
	}
	if len(keys) == 0 {
		return fmt.Errorf("ListPublicKeys returned no key for %s to %s in %s; check the regions and period",
			start.Format(time.RFC3339), end.Format(time.RFC3339), strings.Join(regions, ", "))
	}
	return out.write(func(w io.Writer) error { return verify.WriteKeysFile(w, keys) })
}
