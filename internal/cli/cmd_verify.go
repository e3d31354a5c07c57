package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/trailseal/trailseal/internal/hunt/detection"
	"github.com/trailseal/trailseal/internal/verify"
)

type verifyOptions struct {
	trailFlags
	publicKeys []string
	format     string
	output     string
	outputDir  string
	// out is where the reports go, from --format, -o and --output-dir.
	out         verifyOutput
	configFile  string
	verbose     bool
	concurrency int
	// concurrencySet: --concurrency was given; otherwise --from-dir reads
	// with 4 per CPU, since more only adds memory on a local disk.
	concurrencySet bool
	// now pins the current time in tests.
	now time.Time
	// hunt: --hunt and its context flags.
	hunt verifyHuntOptions
	// archive holds the flags of runs over many chains; spec is the target
	// an archive run starts from.
	archive archiveFlags
	spec    verify.TargetSpec
}

// errArchive tells runVerify that the flags or the trail ask for a run
// over many chains.
var errArchive = errors.New("archive run")

var verifyLong = `Verify proves that the CloudTrail log files of a period are complete and
unchanged. It lists the trail's digest files for every source region, checks
each digest's RSA signature (SHA256withRSA) with its own region's public keys
(CloudTrail signs each region with its own key pair: ListPublicKeys in that
region, or --public-keys) and its link to the previous digest, then
re-hashes every log file a digest names. The flags of 'aws cloudtrail
validate-logs' keep their names and meaning.

Regions: the trail's home region always; for a multi-region trail every
region enabled in the account (account:ListRegions, else
ec2:DescribeRegions), whatever folders the bucket holds. A region that must
have digests and has none is DIGEST_NONE; an opted-in region without digests
is MANUAL (the APIs do not say when it was enabled). --regions all is that
set; --regions r1,r2 verifies exactly those. When the regions cannot be
learnt (DescribeTrails or the region listing denied, the trail deleted, an
offline copy without the record 'trailseal pull' writes) the run is never a
pass: name them with --regions.

Beyond validate-logs, verify reports with a reason code each: consecutive
deleted digests (one range per region), deleted newest digests (the chain
end is compared with the trail's latest digest delivery and with the hourly
cadence up to --end-time), data appended after a gzip member, wrong
previousDigestHashValue/previousDigestSignature links, log files in the
period that no digest names, unsupported signature algorithms, unknown keys.

A gap (a chain restart CloudTrail signed with previousDigestSignature null:
validation or logging was off) is not tampering: the result line says GAPS
with the times, the log files written then are LOG_NOT_COVERED, and the exit
code is 3 when nothing else is wrong. For each missing digest or log file in
a versioned bucket, verify reports the delete marker, checks the surviving
version against its digest, and prints the command that restores it.

--from-dir verifies an offline copy made by 'trailseal pull' (DIR/<bucket>/
<key>, signatures in <key>.metadata.json); files are then named by path.
Without the metadata files a digest's signature is taken from the next
digest, so the newest digest of each chain is reported as unverifiable.
Offline runs need --public-keys ('trailseal keys export --regions all');
--public-keys may be repeated to merge files, and may come from
TRAILSEAL_PUBLIC_KEYS or the settings file's public-keys key. --regions
never comes from there: what verify proves is what the command line says.

--hunt also runs hunt's detections (see 'trailseal hunt --help') over the
log files verified, from the same bytes as the hash, and names on each gap
the calls that stopped and restarted logging or validation: who, when, from
where, read from the log files on either side of the gap or, when they do
not hold them, from CloudTrail event history in the trail's home region.
Which resources are the trail's comes from the account's inventory,
--snapshot FILE or nothing (--no-context; offline, unless --snapshot).
With --hunt, a detection exits 3 like a gap, and a file the hunt could not
read 4.

An organization trail's whole archive is verified in one run: every account
of the organization (Organizations ListAccounts when allowed, else the
account folders in the bucket; --account-id a,b narrows it), each region it
must record, every chain (account x region) through one pool. The report
lists problems first, then one line per account. --state FILE|s3://B/K makes
runs incremental: only digests newer than the last one verified are read,
and day folders verified before are listed again and verified again when
they changed. --shard I/N (or auto, from JOB_COMPLETION_INDEX or
AWS_BATCH_JOB_ARRAY_INDEX with --shards N) verifies one shard of the chains;
'trailseal verify merge' combines the shards' JSON reports. A progress bar is
drawn on stderr when it is a terminal (--quiet: never). -o writes the
report to a file (or, for a run over many chains, to s3://BUCKET/KEY).

--format text (the default) or json, html (one page for people), junit (a
test suite per region, a testcase per reason code) or sarif (a rule per
reason code, a result per problem); several, comma-separated, go into
--output-dir as report.<format> ({shard} in it is the shard index). The
exit code is the same for every format.

Exit codes:
` + exitCodesHelp("verify")

const verifyExample = `  # the same flags as 'aws cloudtrail validate-logs', every region of the trail
  trailseal verify --trail-arn arn:aws:cloudtrail:us-east-1:111122223333:trail/org-audit \
      --start-time 2026-01-01T00:00:00Z --end-time 2026-02-01T00:00:00Z

  # one member account of an organization trail, two regions, JSON report
  trailseal verify --trail-arn arn:aws:cloudtrail:us-east-1:111122223333:trail/org-audit \
      --account-id 444455556666 --regions eu-west-1,us-east-1 \
      --start-time 2026-01-01T00:00:00Z --format json > report.json

  # a page for people, JUnit for the CI test report and SARIF for code scanning
  trailseal verify --trail-arn ARN --start-time 2026-01-01T00:00:00Z \
      --format html,junit,sarif --output-dir verify-report/

  # who stopped the trail: each gap with the calls that opened and closed it
  trailseal verify --trail-arn arn:aws:cloudtrail:us-east-1:111122223333:trail/org-audit \
      --start-time 2026-01-01T00:00:00Z --hunt

  # every account of an organization trail; then only what is new since
  trailseal verify --trail-arn arn:aws:cloudtrail:us-east-1:111122223333:trail/org-audit \
      --start-time 2026-01-01T00:00:00Z --state s3://audit-reports/trailseal/state.json

  # shard 2 of 8 (Kubernetes Indexed Job: --shard auto), then merge the reports
  trailseal verify --trail-arn ARN --start-time 2026-01-01T00:00:00Z --shard 2/8 \
      --format json --output reports/shard-{shard}.json
  trailseal verify merge reports/shard-*.json

  # air-gapped: verify a copy made by 'trailseal pull' with exported keys
  trailseal keys export --regions all --start-time 2026-01-01T00:00:00Z > keys.json
  trailseal pull --trail-arn ARN --start-time 2026-01-01T00:00:00Z --to evidence/
  trailseal verify --trail-arn ARN --start-time 2026-01-01T00:00:00Z \
      --from-dir evidence/ --public-keys keys.json`

func newVerifyCommand(g *globals) *cobra.Command {
	o := &verifyOptions{}
	cmd := &cobra.Command{
		Use:     "verify",
		Short:   "Verify CloudTrail digest chains and log files: complete, unchanged, in place",
		Long:    verifyLong,
		Example: verifyExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.concurrencySet = cmd.Flags().Changed("concurrency")
			return runVerify(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	addTrailFlags(f, &o.trailFlags, "verify")
	f.Lookup("account-id").Usage = "comma-separated accounts to verify (default: the trail's account; for an organization trail every account of the organization)"
	addArchiveFlags(f, o)
	f.IntVar(&o.archive.shards, "shards", 0, "the number of shards, for --shard auto")
	f.IntVar(&o.archive.chains, "chains", 0, "maximum chains (account x region) verified in full at once (default: --concurrency / 4)")
	f.StringArrayVar(&o.publicKeys, "public-keys", nil, "read public keys from this JSON file ('trailseal keys export' or 'aws cloudtrail list-public-keys') instead of calling ListPublicKeys; repeat to merge files")
	f.StringVar(&o.fromDir, "from-dir", "", "verify an offline copy laid out as DIR/<bucket>/<key> (made by 'trailseal pull') instead of S3")
	addVerifyFormatFlags(f, &o.format, &o.outputDir)
	addOutputFlag(f, &o.output)
	f.Lookup("output").Usage += "; for a run over many chains also s3://BUCKET/KEY, and {shard} is replaced by the shard index"
	addConfigFlag(f, &o.configFile)
	f.BoolVarP(&o.verbose, "verbose", "v", false, "list every valid digest and log file too")
	addConcurrencyFlag(f, &o.concurrency, 128, "objects read", "with --from-dir the default is 4 per CPU")
	addVerifyHuntFlags(f, &o.hunt)
	cmd.AddCommand(newVerifyMergeCommand(g))
	return cmd
}

// parseFlagTime accepts RFC 3339 and, as UTC, a date or a date and time
// without zone, like validate-logs does.
func parseFlagTime(flag, s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, usageError("--%s %q is not a time; use ISO 8601 such as 2026-01-08T05:21:42Z", flag, s)
}

// periodFlags validates --start-time and --end-time.
func periodFlags(start, end string, now time.Time) (time.Time, time.Time, error) {
	if start == "" {
		return time.Time{}, time.Time{}, usageError("--start-time is required, e.g. --start-time 2026-01-01T00:00:00Z")
	}
	s, err := parseFlagTime("start-time", start)
	if err != nil {
		return s, s, err
	}
	e := now.UTC()
	if end != "" {
		if e, err = parseFlagTime("end-time", end); err != nil {
			return s, e, err
		}
	}
	if !s.Before(e) {
		return s, e, usageError("--start-time %s is not before --end-time %s", s.Format(time.RFC3339), e.Format(time.RFC3339))
	}
	return s, e, nil
}

func runVerify(ctx context.Context, g *globals, o *verifyOptions) error {
	report, hunted, err := executeVerify(ctx, g, o)
	if errors.Is(err, errArchive) {
		return runArchive(ctx, g, o, o.spec)
	}
	if err != nil {
		return err
	}
	if strings.HasPrefix(o.output, "s3://") {
		return usageError("--output %s: s3:// is for runs over many chains (several accounts, --state or --shard); give a file", o.output)
	}
	if err := o.out.write(ctx, g, aws.Config{}, renderVerify(g, o.out, report, hunted), report.ResultLine()); err != nil {
		return err
	}
	if hunted != nil {
		return verifyHuntExit(report, hunted)
	}
	return verifyExit(report)
}

// executeVerify validates the flags and runs the verification, with --hunt
// the hunt too; the caller prints the reports.
func executeVerify(ctx context.Context, g *globals, o *verifyOptions) (*verify.Report, *detection.Report, error) {
	now := o.now
	if now.IsZero() {
		now = time.Now()
	}
	formats, err := parseVerifyFormats(o.format, o.output, o.outputDir)
	if err != nil {
		return nil, nil, err
	}
	if err := checkConcurrency("--concurrency", o.concurrency); err != nil {
		return nil, nil, err
	}
	if err := o.hunt.check(); err != nil {
		return nil, nil, err
	}
	o.archive.accounts = parseAccounts(o.account)
	account := o.account
	if len(o.archive.accounts) > 1 {
		account = "" // each one is checked by the archive run
	}
	sh, err := verify.ParseShard(o.archive.shard, o.archive.shards, os.Getenv)
	if err != nil {
		return nil, nil, asUsage(err)
	}
	o.archive.shardSpec = sh
	o.out = newVerifyOutput(g, formats, o.output, o.outputDir, sh, o.verbose)
	if o.archive.chains < 0 {
		return nil, nil, usageError("--chains must be at least 1, not %d", o.archive.chains)
	}
	if err := o.checkOutputs(g); err != nil {
		return nil, nil, err
	}
	concurrency := o.concurrency
	if o.fromDir != "" && !o.concurrencySet {
		concurrency = 4 * runtime.GOMAXPROCS(0)
	}
	tf := o.trailFlags
	tf.account = account
	spec, err := targetSpec(ctx, g, tf, now)
	if err != nil {
		return nil, nil, err
	}
	spec.KeyFiles, spec.NeedKeys, spec.Concurrency, spec.Prefetch = o.publicKeys, true, concurrency, true
	if o.now.IsZero() {
		o.now = now
	}
	if o.archiveMode() {
		spec.Prefetch = false
		o.spec = spec
		return nil, nil, errArchive
	}
	t, err := verify.ResolveTarget(ctx, spec)
	if err != nil {
		return nil, nil, targetError(err)
	}
	defer t.Close()
	if o.account == "" && t.Layout.OrgID != "" {
		// An organization trail's archive: every account of it.
		spec.Prefetch = false
		o.spec = spec
		return nil, nil, errArchive
	}
	return verifyTarget(ctx, g, o, t, spec, now)
}

// verifyTarget verifies one chain's target (with --hunt, hunting its log
// files in the same pass).
func verifyTarget(ctx context.Context, g *globals, o *verifyOptions, t *verify.Target, spec verify.TargetSpec, now time.Time) (*verify.Report, *detection.Report, error) {
	vh, err := startVerifyHunt(ctx, g, o, spec)
	if err != nil {
		return nil, nil, err
	}
	vo := t.Options()
	vo.Now, vo.ListValidLogs = now, o.out.wants("json") || o.verbose
	if vh != nil {
		vo.LogSink = vh.hunter.LogSink()
	}
	var finish func()
	vo.Progress, finish = newProgress(g)
	report, err := verify.Run(ctx, vo)
	finish()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil, nil, err
		}
		return nil, nil, explain(errUnreadable, fmt.Errorf("verify s3://%s: %w", t.Bucket, err))
	}
	report.Trail, report.Tool, report.Version = spec.Trail.Raw, "trailseal", Version()
	if vh == nil {
		return report, nil, nil
	}
	hunted, err := vh.finish(ctx, t, report, spec.Trail.Raw, now)
	if err != nil {
		return nil, nil, err
	}
	return report, hunted, nil
}

// targetSpec checks the shared flags and, online, loads the AWS
// configuration for the trail's home region.
func targetSpec(ctx context.Context, g *globals, f trailFlags, now time.Time) (verify.TargetSpec, error) {
	arn, err := verify.ParseTrailARN(f.arn)
	if err != nil {
		return verify.TargetSpec{}, asUsage(err)
	}
	start, end, err := periodFlags(f.start, f.end, now)
	if err != nil {
		return verify.TargetSpec{}, err
	}
	regions, err := parseRegions("--regions", f.regions)
	if err != nil {
		return verify.TargetSpec{}, err
	}
	if err := f.aws.validate(); err != nil {
		return verify.TargetSpec{}, err
	}
	spec := verify.TargetSpec{Trail: arn, Bucket: f.bucket, Prefix: f.prefix, AccountID: f.account, FromDir: f.fromDir,
		Regions: regions, Start: start, End: end, Logger: g.logger}
	if f.fromDir == "" {
		a := f.aws
		a.region = arn.Region
		if spec.AWS, err = loadAWSConfig(ctx, g, a); err != nil {
			return verify.TargetSpec{}, err
		}
	}
	return spec, nil
}

// targetError maps an error settling the target to its exit code: a bad
// flag or file is a usage error, anything else means nothing could be
// verified.
func targetError(err error) error {
	switch {
	case verify.IsSpecError(err):
		return asUsage(err)
	case errors.Is(err, context.Canceled):
		return err
	}
	return explain(errUnreadable, err)
}

// setProcessLimits is called by Main, for the real process only: tests
// run commands in-process and must not change the runtime's settings.
func setProcessLimits(args []string) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	for _, a := range args {
		if a == "verify" || a == "pull" {
			// The live set of verify (about 250 bytes per log file) is
			// small, but the garbage of reading millions of objects is
			// not: a soft limit makes the collector keep the heap near the
			// live set on long periods, without extra work on short ones.
			debug.SetMemoryLimit(64 << 20)
			return
		}
	}
}

// checkOutputs checks, before any AWS call, the local files verify will
// write: -o or the --output-dir files, and --state (with {shard}
// replaced). An s3:// location is checked when it is written.
func (o *verifyOptions) checkOutputs(g *globals) error {
	outs := o.out.files()
	if path := expandShard(o.archive.state, o.archive.shardSpec); path != "" && !strings.HasPrefix(path, "s3://") {
		outs = append(outs, newOutput(g, "--state", path))
	}
	return checkOutputs(outs...)
}

// verifyExit maps the outcome to an exit outcome; the report already says
// why. The outcome already ranks them: invalid (1) over could not verify
// (4) over gaps (3): exit 3 means every file present was checked and is
// valid, and the period has gaps.
func verifyExit(r *verify.Report) error {
	switch r.Outcome {
	case verify.OutcomeValid:
		return nil
	case verify.OutcomeInvalid:
		return errInvalid
	case verify.OutcomeGaps:
		return errGaps
	default:
		return errUnreadable
	}
}
