package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/spf13/cobra"

	"github.com/trailseal/trailseal/internal/verify"
)

type keysExportOptions struct {
	aws       awsOptions
	regions   string
	startTime string
	endTime   string
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
		Long: `Export calls CloudTrail ListPublicKeys in each region given and writes the
keys to stdout in the JSON form of 'aws cloudtrail list-public-keys', which
'trailseal verify --public-keys' reads. Digests are signed with the keys of
the trail's home region: export that region's keys at least.

Exit codes:
` + exitCodesHelp("keys export"),
		Example: `  trailseal keys export --regions us-east-1 --start-time 2026-01-01T00:00:00Z > keys.json
  trailseal verify --trail-arn ARN --start-time 2026-01-01T00:00:00Z --from-dir evidence/ --public-keys keys.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runKeysExport(cmd.Context(), g, o)
		},
	}
	f := export.Flags()
	f.StringVar(&o.regions, "regions", "", "comma-separated regions whose keys to export (required; the trail's home region)")
	f.StringVar(&o.startTime, "start-time", "", "first moment the keys must cover (required)")
	f.StringVar(&o.endTime, "end-time", "", "last moment the keys must cover (default: now)")
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
	if strings.TrimSpace(o.regions) == "" || o.regions == "all" {
		return usageError("--regions is required: the trail's home region, e.g. --regions us-east-1")
	}
	regions, err := parseRegions(o.regions)
	if err != nil {
		return err
	}
	if err := o.aws.validate(); err != nil {
		return err
	}
	seen := map[string]bool{}
	var all []verify.PublicKey
	for _, region := range regions {
		a := o.aws
		a.region = region
		cfg, err := loadAWSConfig(ctx, a, g.logger, g.debug)
		if err != nil {
			return err
		}
		// Signing may happen up to two hours after a digest's period, and
		// verify also checks the digest before --start-time that the first
		// one links to: the same window verify asks for online.
		keys, err := verify.APIKeys{Client: cloudtrail.NewFromConfig(cfg)}.Keys(ctx, start.Add(-3*time.Hour), end.Add(2*time.Hour))
		if err != nil {
			return fmt.Errorf("%s: %w", region, err)
		}
		for _, k := range keys {
			if !seen[k.Fingerprint] {
				seen[k.Fingerprint] = true
				all = append(all, k)
			}
		}
	}
	if len(all) == 0 {
		return fmt.Errorf("ListPublicKeys returned no key for %s to %s; check the regions and period", start.Format(time.RFC3339), end.Format(time.RFC3339))
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ValidityStart.Before(all[j].ValidityStart) })
	return verify.WriteKeysFile(g.stdout, all)
}
