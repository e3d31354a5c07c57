package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailseal/trailseal/internal/verify"
)

type pullOptions struct {
	trailFlags
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
verified while pulling. DIR/trailseal-pull.json records which regions the
trail must have digests in (as verify learns them online), so that an
offline verify reports a region deleted whole as DIGEST_NONE.

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
	addTrailFlags(f, &o.trailFlags, "copy")
	f.StringVar(&o.to, "to", "", "folder to copy into (required); created if missing")
	addConcurrencyFlag(f, &o.concurrency, 32, "objects copied", "")
	return cmd
}

func runPull(ctx context.Context, g *globals, o *pullOptions) error {
	now := o.now
	if now.IsZero() {
		now = time.Now()
	}
	if o.to == "" {
		return usageError("--to is required: the folder to copy the evidence into")
	}
	if err := checkConcurrency("--concurrency", o.concurrency); err != nil {
		return err
	}
	if err := checkPullFolder(o.to); err != nil {
		return err
	}
	spec, err := targetSpec(ctx, g, o.trailFlags, now)
	if err != nil {
		return err
	}
	spec.Concurrency = o.concurrency
	t, err := verify.ResolveTarget(ctx, spec)
	if err != nil {
		return targetError(err)
	}
	defer t.Close()
	po := verify.PullOptions{Store: t.Store, Bucket: t.Bucket, Layout: t.Layout, Regions: spec.Regions,
		Start: spec.Start, End: spec.End, Dest: o.to, Concurrency: o.concurrency}
	var finish func()
	po.Progress, finish = newProgress(g)
	stats, err := verify.Pull(ctx, po)
	finish()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return explain(errUnreadable, fmt.Errorf("pull from s3://%s: %w", t.Bucket, err))
	}
	if err := recordPull(ctx, t, o.to); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(o.to, verify.PullRecordName), err)
	}
	fmt.Fprintf(g.stdout, "Copied %d digest files and %d log files (%d bytes) from s3://%s to %s\n", stats.Digests, stats.Logs, stats.Bytes, t.Bucket, o.to)
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
			spec.Trail.Name, t.Bucket, t.Layout.DigestRoot())
	case len(stats.Failed) > 0:
		return explain(errUnreadable, fmt.Errorf("%d objects could not be copied; run pull again", len(stats.Failed)))
	case len(stats.Missing) > 0:
		return explain(errInvalid, fmt.Errorf("%d objects named by digests do not exist; verify the copy to see the full report", len(stats.Missing)))
	}
	return nil
}

// checkPullFolder makes the folder pull copies into, before any AWS
// call, and checks that it takes files.
func checkPullFolder(dir string) error {
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return usageError("--to %s is a file, not a folder", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usageError("--to %s: %s", dir, pathProblem(err))
	}
	if err := probeFolder(dir); err != nil {
		return usageError("--to %s: %s", dir, pathProblem(err))
	}
	return nil
}

// recordPull writes which regions the trail must have digests in next to
// the copy, so that an offline verify checks for whole regions deleted.
func recordPull(ctx context.Context, t *verify.Target, dir string) error {
	rec, err := verify.ReadPullRecord(dir)
	if err != nil {
		return err
	}
	exp := t.Expected(ctx)
	if t.Spec.Regions != nil {
		exp = verify.Expectation{}
		for _, r := range t.Spec.Regions {
			exp.Regions = append(exp.Regions, verify.ExpectedRegion{Region: r, Why: verify.WhyNamed})
		}
	}
	rec.Add(verify.PulledAccount{Trail: t.Spec.Trail.Raw, Account: t.Layout.AccountID, Bucket: t.Bucket, Prefix: t.Layout.Prefix,
		Start: t.Spec.Start, End: t.Spec.End, Expected: exp})
	return rec.Write(dir)
}
