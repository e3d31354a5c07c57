package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailseal/trailseal/internal/verify"
)

type pullOptions struct {
	aws         awsOptions
	trailARN    string
	startTime   string
	endTime     string
	bucket      string
	prefix      string
	accountID   string
	regions     string
	to          string
	concurrency int
	now         time.Time
}

func newPullCommand(g *globals) *cobra.Command {
	o := &pullOptions{}
	cmd := &cobra.Command{
		Use:   "pull",
		Short: "Copy a period's digests and log files to a folder, signatures kept, for offline verification",
		Long: `Pull copies the digest files of a period and every log file they name (and
every other log file in the period's folders) to DIR/<bucket>/<key>. The S3
user metadata of each object, which holds the digest signatures, is kept in
<key>.metadata.json next to it, so 'trailseal verify --from-dir DIR' can
check every signature offline. Objects are copied byte for byte; nothing is
verified while pulling.

Exit codes:
` + exitCodesHelp("pull"),
		Example: `  trailseal pull --trail-arn arn:aws:cloudtrail:us-east-1:111122223333:trail/org-audit \
      --start-time 2026-01-01T00:00:00Z --end-time 2026-01-08T00:00:00Z --to evidence/
  trailseal verify --trail-arn arn:aws:cloudtrail:us-east-1:111122223333:trail/org-audit \
      --start-time 2026-01-01T00:00:00Z --end-time 2026-01-08T00:00:00Z \
      --from-dir evidence/ --public-keys keys.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPull(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	addTrailFlags(f, &o.trailARN, &o.startTime, &o.endTime, &o.bucket, &o.prefix, &o.accountID, &o.regions)
	f.StringVar(&o.to, "to", "", "folder to copy into (required); created if missing")
	f.IntVar(&o.concurrency, "concurrency", 32, "maximum objects copied at once")
	addAWSFlags(f, &o.aws)
	return cmd
}

func runPull(ctx context.Context, g *globals, o *pullOptions) error {
	now := o.now
	if now.IsZero() {
		now = time.Now()
	}
	arn, err := parseTrailARN(o.trailARN)
	if err != nil {
		return err
	}
	start, end, err := periodFlags(o.startTime, o.endTime, now)
	if err != nil {
		return err
	}
	regions, err := parseRegions(o.regions)
	if err != nil {
		return err
	}
	if o.to == "" {
		return usageError("--to is required: the folder to copy the evidence into")
	}
	if o.concurrency < 1 || o.concurrency > 1024 {
		return usageError("--concurrency must be between 1 and 1024, not %d", o.concurrency)
	}
	if err := o.aws.validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(o.to, 0o755); err != nil {
		return usageError("--to: %v", err)
	}
	t, err := resolveTarget(ctx, g, o.aws, arn, o.bucket, o.prefix, o.accountID, "", "", false, nil)
	if err != nil {
		return err
	}
	po := verify.PullOptions{Store: t.store, Bucket: t.bucket, Layout: t.layout, Regions: regions,
		Start: start, End: end, Dest: o.to, Concurrency: o.concurrency}
	var finish func()
	po.Progress, finish = newProgress(g)
	stats, err := verify.Pull(ctx, po)
	finish()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return explain(errUnreadable, fmt.Errorf("pull from s3://%s: %w", t.bucket, err))
	}
	fmt.Fprintf(g.stdout, "Copied %d digest files and %d log files (%d bytes) from s3://%s to %s\n", stats.Digests, stats.Logs, stats.Bytes, t.bucket, o.to)
	for _, l := range stats.Earlier {
		fmt.Fprintf(g.stdout, "  the trail was moved in the period: its chain was followed into %s\n", l)
	}
	for _, m := range stats.Missing {
		fmt.Fprintf(g.stdout, "  not found: s3://%s\n", m)
	}
	for _, f := range stats.Failed {
		fmt.Fprintf(g.stdout, "  not copied: s3://%s\n", f)
	}
	switch {
	case stats.Digests == 0 && len(stats.Missing) == 0 && len(stats.Failed) == 0:
		// An empty copy would verify as "no digest": say so now.
		return fmt.Errorf("no digest file of trail %s found in s3://%s/%s for the period; check --s3-bucket, --s3-prefix, --account-id and the times",
			arn.name, t.bucket, t.layout.DigestRoot())
	case len(stats.Failed) > 0:
		return explain(errUnreadable, fmt.Errorf("%d objects could not be copied; run pull again", len(stats.Failed)))
	case len(stats.Missing) > 0:
		return explain(errInvalid, fmt.Errorf("%d objects named by digests do not exist; verify the copy to see the full report", len(stats.Missing)))
	}
	return nil
}
