package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailseal/trailseal/internal/collect"
	"github.com/trailseal/trailseal/internal/hunt"
	"github.com/trailseal/trailseal/internal/hunt/detection"
	"github.com/trailseal/trailseal/internal/hunt/output"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/verify"
)

// huntOptions are the flags of 'trailseal hunt'.
type huntOptions struct {
	aws awsOptions

	fromDir      string
	lookupEvents bool
	start, end   string
	regions      string

	// trail: --trail-arn and where its files are (verify's flags).
	trailARN, bucket, prefix, accountID string

	snapshot  string
	noContext bool

	format, output   string
	configFile       string
	minRetentionDays int
	concurrency      int
	// concurrencySet: --concurrency was given (0 means two per CPU).
	concurrencySet bool
}

var huntLong = `Hunt reads CloudTrail's own records and reports who weakened the audit
trail or what it depends on: who stopped or deleted a trail, narrowed its
event selectors, turned validation off, expired or deleted its log files,
opened its bucket, disabled its key, deleted its log group, alarms or
topic, or switched off AWS Config or GuardDuty; when, from where, with
which credentials. Refused calls are reported as attempts, one severity
lower. 'trailseal detections' lists what it looks for.

Records come from one source:
  FILE...          CloudTrail log files ({"Records":[...]}, gzipped or not),
                   JSON Lines or JSON arrays of records (Lake, Athena, SIEM
                   exports); "-" reads standard input
  --trail-arn ARN  the trail's log files in S3, found as verify finds them
                   (its bucket and prefix, the organization folder of an
                   organization trail: every member account's files, or
                   --account-id's); needs --start-time
  --from-dir DIR   an offline copy of a trail's bucket, as 'trailseal pull'
                   writes it (DIR/<bucket>/AWSLogs/...)
  --lookup-events  CloudTrail event history (90 days of management events,
                   whatever the trails do) in every enabled region, paced
                   to its limit of 2 requests per second per region

Which bucket, key, log group, alarm and topic belong to a trail comes from
the account's inventory, collected at the start (trails and their
dependencies only), or from --snapshot (a 'scan --save-snapshot' file, to
hunt offline). With --no-context those detections fire only where the
record itself shows the resource is a trail's, and the output says so.

Exit codes:
` + exitCodesHelp("hunt")

const huntExample = `  # log files copied from the trail's bucket, context from a saved scan
  trailseal hunt --snapshot acct.json logs/*.json.gz

  # an organization trail's log files in S3, every member account, since March
  trailseal hunt --trail-arn arn:aws:cloudtrail:us-east-1:111122223333:trail/org-audit \
      --start-time 2026-03-01

  # an offline copy made by 'trailseal pull', without any AWS call
  trailseal hunt --from-dir evidence/ --snapshot acct.json --start-time 2026-01-01

  # event history of the last week in every enabled region, as JSON
  trailseal hunt --lookup-events --start-time 2026-03-01T00:00:00Z --format json

  # a CloudTrail Lake or SIEM export (JSON Lines), no context
  trailseal hunt --no-context export.jsonl`

func newHuntCommand(g *globals) *cobra.Command {
	o := &huntOptions{}
	cmd := &cobra.Command{
		Use:     "hunt [FILE...]",
		Short:   "Find in CloudTrail's records who weakened the audit trail, when and from where",
		Long:    huntLong,
		Example: huntExample,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.concurrencySet = cmd.Flags().Changed("concurrency")
			return runHunt(cmd.Context(), g, o, args)
		},
	}
	f := cmd.Flags()
	addAWSFlags(f, &o.aws)
	f.StringVar(&o.fromDir, "from-dir", "", "read the offline copy of a trail's bucket in DIR (as 'trailseal pull' writes it)")
	f.BoolVar(&o.lookupEvents, "lookup-events", false, "read CloudTrail event history (management events of the last 90 days) in every enabled region")
	f.StringVar(&o.trailARN, "trail-arn", "", "ARN of the trail whose log files to read from S3, found as verify finds them (with --start-time)")
	f.StringVar(&o.bucket, "s3-bucket", "", trailBucketUsage)
	f.StringVar(&o.prefix, "s3-prefix", "", trailPrefixUsage)
	f.StringVar(&o.accountID, "account-id", "", "account whose files to read with --trail-arn, for an organization trail (default: every account)")
	f.StringVar(&o.start, "start-time", "", "read events at or after this time (UTC; e.g. 2026-01-08T05:21:42Z; required with --lookup-events and --trail-arn)")
	f.StringVar(&o.end, "end-time", "", "read events at or before this time (UTC; default: no limit; now with --lookup-events and --trail-arn)")
	f.StringVar(&o.regions, "regions", "", "comma-separated regions for --lookup-events, --trail-arn and the context, or 'all' (default): every enabled region; every region folder with --trail-arn")
	f.StringVar(&o.snapshot, "snapshot", "", "take the context from this saved inventory ('scan --save-snapshot') instead of the account")
	f.BoolVar(&o.noContext, "no-context", false, "hunt without an inventory: trail-resource detections fire only where the record shows the resource is a trail's")
	addFormatFlag(f, &o.format, "timeline", output.Formats(), "")
	addOutputFlag(f, &o.output)
	addConfigFlag(f, &o.configFile)
	f.IntVar(&o.minRetentionDays, "min-retention-days", 365, "shortest acceptable retention of trail logs, in days (lifecycle, log group and Lake retention)")
	addConcurrencyFlag(f, &o.concurrency, 0, "files read", "default: two per CPU")
	return cmd
}

// huntPlan is a huntOptions after validation.
type huntPlan struct {
	source     hunt.Source
	start, end time.Time
	regions    []string
	trail      verify.TrailARN
	out        *outputFile
}

// resolveHunt validates every input before anything is read, so that a
// typo costs nothing.
func resolveHunt(g *globals, o *huntOptions, args []string, now time.Time) (*huntPlan, error) {
	kinds := 0
	for _, on := range []bool{len(args) > 0, o.fromDir != "", o.lookupEvents, o.trailARN != ""} {
		if on {
			kinds++
		}
	}
	switch {
	case kinds == 0:
		return nil, usageError("nothing to read: give log files, --from-dir DIR, --lookup-events or --trail-arn ARN (see 'trailseal hunt --help')")
	case kinds > 1:
		return nil, usageError("give one source: log files, --from-dir, --lookup-events or --trail-arn")
	case o.trailARN == "" && (o.bucket != "" || o.prefix != "" || o.accountID != ""):
		return nil, usageError("--s3-bucket, --s3-prefix and --account-id go with --trail-arn")
	case o.snapshot != "" && o.noContext:
		return nil, usageError("--snapshot and --no-context exclude each other")
	case o.minRetentionDays < 1:
		return nil, usageError("%s must be at least 1, got %d", g.ref("min-retention-days"), o.minRetentionDays)
	}
	if o.concurrency != 0 || o.concurrencySet {
		if err := checkConcurrency("--concurrency", o.concurrency); err != nil {
			return nil, err
		}
	}
	if err := o.aws.validate(); err != nil {
		return nil, err
	}
	if _, err := outputFormat(o.format); err != nil {
		return nil, err
	}
	p := &huntPlan{}
	var err error
	if o.start != "" {
		if p.start, err = parseFlagTime("start-time", o.start); err != nil {
			return nil, err
		}
	}
	if o.end != "" {
		if p.end, err = parseFlagTime("end-time", o.end); err != nil {
			return nil, err
		}
	}
	if !p.start.IsZero() && !p.end.IsZero() && !p.start.Before(p.end) {
		return nil, usageError("--start-time %s is not before --end-time %s", p.start.Format(time.RFC3339), p.end.Format(time.RFC3339))
	}
	if p.regions, err = parseRegions(g.ref("regions"), o.regions); err != nil {
		return nil, err
	}
	if err := p.pickSource(g, o, args, now); err != nil {
		return nil, err
	}
	p.out = newOutput(g, "--output", o.output)
	return p, checkOutputs(p.out)
}

// pickSource checks the source the flags name and makes it (event
// history is made once the AWS configuration is loaded).
func (p *huntPlan) pickSource(g *globals, o *huntOptions, args []string, now time.Time) error {
	switch {
	case o.trailARN != "":
		var err error
		if p.trail, err = verify.ParseTrailARN(o.trailARN); err != nil {
			return asUsage(err)
		}
		if p.start.IsZero() {
			return usageError("--trail-arn needs --start-time (the log files of the period are listed by day), e.g. --start-time %s", now.AddDate(0, 0, -7).Format("2006-01-02"))
		}
		if p.end.IsZero() {
			p.end = now.UTC()
		}
	case o.lookupEvents:
		if p.start.IsZero() {
			return usageError("--lookup-events needs --start-time (event history keeps 90 days), e.g. --start-time %s", now.AddDate(0, 0, -7).Format("2006-01-02"))
		}
		if p.end.IsZero() {
			p.end = now.UTC()
		}
	case o.fromDir != "":
		fi, err := os.Stat(o.fromDir)
		if err != nil || !fi.IsDir() {
			return usageError("--from-dir %s is not a folder", o.fromDir)
		}
		p.source = hunt.Dir{Root: o.fromDir, Start: p.start, End: p.end}
	default:
		for _, a := range args {
			if a == "-" {
				continue
			}
			fi, err := os.Stat(a)
			if err != nil {
				return usageError("%s: %v", a, unwrapPath(err))
			}
			if fi.IsDir() {
				return usageError("%s is a folder: give its log files, or use --from-dir for an offline copy", a)
			}
		}
		p.source = hunt.Files{Paths: args, Stdin: g.stdin}
	}
	return nil
}

func outputFormat(f string) (string, error) {
	for _, name := range output.Formats() {
		if strings.EqualFold(f, name) {
			return name, nil
		}
	}
	return "", usageError("--format must be one of %s, not %q", strings.Join(output.Formats(), ", "), f)
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func runHunt(ctx context.Context, g *globals, o *huntOptions, args []string) error {
	p, err := resolveHunt(g, o, args, time.Now())
	if err != nil {
		return err
	}
	thresholds := hunt.Thresholds{MinRetentionDays: o.minRetentionDays}
	hctx, cinfo, err := huntContext(ctx, g, o, p, thresholds)
	if err != nil {
		return err
	}
	if o.lookupEvents {
		cfg, err := loadAWSConfig(ctx, o.aws, g.logger, g.debug)
		if err != nil {
			return err
		}
		p.source = &hunt.Lookup{Config: cfg, Regions: p.regions, Start: p.start, End: p.end}
		if isTerminal(g.stderr) && !g.quiet {
			fmt.Fprintf(g.stderr, "reading event history: %d event names per region at %d requests/second/region\n",
				len(detection.EventNames(true)), hunt.LookupRate)
		}
	}
	concurrency := o.concurrency
	if o.trailARN != "" {
		t, err := trailTarget(ctx, g, o, p)
		if err != nil {
			return err
		}
		defer t.Close()
		p.source = &hunt.TrailLogs{Store: t.Store, Bucket: t.Bucket, Layout: t.Layout, AllAccounts: o.accountID == "",
			Regions: p.regions, Start: p.start, End: p.end}
		if concurrency == 0 {
			concurrency = s3HuntConcurrency
		}
	}
	rep, err := hunt.Run(ctx, p.source, hunt.Options{Context: hctx, Start: p.start, End: p.end, Concurrency: concurrency})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, hunt.ErrNoLogFiles) {
			return asUsage(fmt.Errorf("--from-dir: %w", err))
		}
		return err
	}
	rep.Version = Version()
	rep.Context = cinfo
	if err := writeHuntReport(g, o, p.out, rep); err != nil {
		return err
	}
	return huntOutcome(rep)
}

// s3HuntConcurrency is how many log files hunt --trail-arn reads at once:
// S3 GETs wait on the network more than on the CPU.
const s3HuntConcurrency = 32

// trailTarget finds where the trail's log files are, as verify does: the
// bucket and prefix from DescribeTrails unless given, the bucket's region,
// the organization folder.
func trailTarget(ctx context.Context, g *globals, o *huntOptions, p *huntPlan) (*verify.Target, error) {
	a := o.aws
	a.region = p.trail.Region
	cfg, err := loadAWSConfig(ctx, a, g.logger, g.debug)
	if err != nil {
		return nil, err
	}
	// Regions set (even empty) and keys given: hunt needs neither the
	// regions that must have digests nor CloudTrail's public keys, and
	// ResolveTarget then asks for neither.
	spec := verify.TargetSpec{Trail: p.trail, Bucket: o.bucket, Prefix: o.prefix, AccountID: o.accountID,
		Regions: []string{}, Start: p.start, End: p.end, AWS: cfg, Logger: g.logger,
		Keys: verify.NewKeyCache(ctx, verify.StaticKeys{})}
	t, err := verify.ResolveTarget(ctx, spec)
	if err != nil {
		if verify.IsSpecError(err) || ctx.Err() != nil {
			return nil, targetError(err)
		}
		return nil, explain(errUnreadable, fmt.Errorf("--trail-arn: %w", err))
	}
	return t, nil
}

// huntOutcome decides the outcome from the report, as scan does:
// detections, else a source that could not be read.
func huntOutcome(rep *detection.Report) error {
	switch {
	case len(rep.Detections) > 0:
		return errDetections
	case len(rep.Sources.Errors) > 0:
		return errUnreadable
	}
	return nil
}

// huntContext loads the snapshot, collects the account's trails and their
// dependencies, or returns no context.
func huntContext(ctx context.Context, g *globals, o *huntOptions, p *huntPlan, th hunt.Thresholds) (*hunt.Context, detection.ContextInfo, error) {
	var inv *inventory.Inventory
	var info detection.ContextInfo
	switch {
	case o.noContext:
		return hunt.NoContext(th), detection.ContextInfo{Kind: "none"}, nil
	case o.snapshot != "":
		var err error
		if inv, err = inventory.Load(o.snapshot); err != nil {
			return nil, info, asUsage(err)
		}
		info = detection.ContextInfo{Kind: "snapshot", Location: o.snapshot}
	default:
		cfg, err := loadAWSConfig(ctx, o.aws, g.logger, g.debug)
		if err != nil {
			return nil, info, err
		}
		inv, err = collect.Collect(ctx, cfg, collect.Options{Regions: p.regions, Logger: g.logger, TrailDependenciesOnly: true})
		if err != nil {
			if ctx.Err() != nil {
				return nil, info, ctx.Err()
			}
			return nil, info, fmt.Errorf("%w (to hunt without AWS access, give --snapshot FILE or --no-context)", err)
		}
		info = detection.ContextInfo{Kind: "inventory"}
	}
	info.Account, info.CollectedAt = inv.Account.ID, inv.CollectedAt
	for _, t := range inv.Trails {
		info.Trails = append(info.Trails, t.ARN)
	}
	return hunt.NewContext(inv, th), info, nil
}

func writeHuntReport(g *globals, o *huntOptions, out *outputFile, rep *detection.Report) error {
	format, _ := outputFormat(o.format)
	opts := output.Options{Color: out.toStdout() && g.useColor(g.stdout)}
	return out.write(func(w io.Writer) error { return output.Write(w, format, rep, opts) })
}
