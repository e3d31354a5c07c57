package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trailseal/trailseal/internal/decodeerr"
	"github.com/trailseal/trailseal/internal/hunt/detection"
	"github.com/trailseal/trailseal/internal/verify"
)

// archiveFlags are verify's flags for many accounts, incremental runs and
// shards.
type archiveFlags struct {
	state     string
	shard     string
	shards    int
	chains    int
	accounts  []string
	shardSpec verify.Shard
}

func addArchiveFlags(f *pflag.FlagSet, o *verifyOptions) {
	f.StringVar(&o.archive.state, "state", "", "incremental: remember where each chain was left in this file or s3://BUCKET/KEY (written with a conditional put) and read only what is new next time; {shard} is replaced by the shard index")
	f.StringVar(&o.archive.shard, "shard", "", "verify one shard of the chains (account x region): I/N (0-based), or auto (the index from JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX, N from --shards)")
}

// archiveMode tells whether the flags ask for a run over many chains: more
// than one account, a state file or a shard. An organization trail without
// --account-id is found to be one after the target is resolved.
func (o *verifyOptions) archiveMode() bool {
	return len(o.archive.accounts) > 1 || o.archive.state != "" || o.archive.shard != ""
}

// parseAccounts splits --account-id.
func parseAccounts(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// expandShard replaces {shard} in a path given for a sharded run.
func expandShard(path string, sh verify.Shard) string {
	return strings.ReplaceAll(path, "{shard}", strconv.Itoa(sh.Index))
}

// runArchive verifies every chain of the trail (or of a shard) and writes
// the archive report.
func runArchive(ctx context.Context, g *globals, o *verifyOptions, spec verify.TargetSpec) error {
	as := verify.ArchiveSpec{TargetSpec: spec, Accounts: o.archive.accounts, Shard: o.archive.shardSpec,
		ListValidLogs: o.verbose, Now: o.now, Chains: o.archive.chains}
	if o.archive.state != "" {
		st, err := verify.OpenStateStore(ctx, expandShard(o.archive.state, as.Shard), spec.AWS)
		if err != nil {
			return targetError(err)
		}
		as.State = st
	}
	vh, err := startVerifyHunt(ctx, g, o, spec)
	if err != nil {
		return err
	}
	if vh != nil {
		as.LogSink = vh.hunter.LogSink()
	}
	bar := newArchiveProgress(g, g.quiet)
	as.Progress = bar
	r, err := verify.RunArchive(ctx, as)
	bar.finish()
	if err != nil {
		return targetError(err)
	}
	r.Tool, r.Version = "trailseal", Version()
	var hunted *detection.Report
	if vh != nil {
		if hunted, err = vh.finishArchive(ctx, spec, r, o.now); err != nil {
			return err
		}
	}
	if err := o.out.write(ctx, g, spec.AWS, renderArchive(g, o.out, r, hunted), r.ResultLine()); err != nil {
		return err
	}
	if code := archiveExit(r, hunted); code != nil {
		return code
	}
	if s := r.State; s != nil && !s.Saved {
		return explain(errUnreadable, fmt.Errorf("the state %s was not saved: %s", s.Path, s.Error))
	}
	return nil
}

// archiveExit maps the archive's outcome, and with --hunt the hunt's, to
// verify's exit codes.
func archiveExit(r *verify.ArchiveReport, hunted *detection.Report) error {
	if hunted != nil {
		return verifyHuntExit(&verify.Report{Outcome: r.Outcome}, hunted)
	}
	return verifyExit(&verify.Report{Outcome: r.Outcome})
}

// mergeOptions are the flags of 'verify merge'.
type mergeOptions struct {
	format    string
	verbose   bool
	output    string
	outputDir string
}

func newVerifyMergeCommand(g *globals) *cobra.Command {
	o := &mergeOptions{}
	cmd := &cobra.Command{
		Use:   "merge REPORT.json...",
		Short: "Combine the JSON reports of every shard of a sharded verify into one report",
		Long: `Merge reads the JSON reports of the N shards of one 'trailseal verify --shard
I/N --format json' run and writes the report one run over every chain would
have written, with verify's exit codes. It refuses reports of different
trails, buckets, prefixes, periods or shard counts, and a missing or
duplicated shard: a merge of part of the shards would leave chains
unverified.

Exit codes:
` + exitCodesHelp("verify merge"),
		Example: `  trailseal verify merge reports/shard-0.json reports/shard-1.json reports/shard-2.json
  trailseal verify merge --format json reports/*.json > archive.json
  trailseal verify merge --format html,junit,sarif --output-dir merged/ reports/*.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerifyMerge(cmd.Context(), g, o, args)
		},
	}
	f := cmd.Flags()
	addVerifyFormatFlags(f, &o.format, &o.outputDir)
	f.BoolVarP(&o.verbose, "verbose", "v", false, "list every chain (and valid object, when the shards listed them)")
	addOutputFlag(f, &o.output)
	return cmd
}

func runVerifyMerge(ctx context.Context, g *globals, o *mergeOptions, paths []string) error {
	formats, err := parseVerifyFormats(o.format, o.output, o.outputDir)
	if err != nil {
		return err
	}
	if strings.HasPrefix(o.output, "s3://") {
		return usageError("--output of verify merge is a file")
	}
	out := newVerifyOutput(g, formats, o.output, o.outputDir, verify.Shard{}, o.verbose)
	if err := checkOutputs(out.files()...); err != nil {
		return err
	}
	var reports []*verify.ArchiveReport
	var hunts []*detection.Report
	for _, p := range paths {
		r, err := readShardReport(p)
		if err != nil {
			return err
		}
		reports, hunts = append(reports, &r.ArchiveReport), append(hunts, r.Hunt)
	}
	merged, err := verify.MergeArchiveReports(reports, paths)
	if err != nil {
		return asUsage(err)
	}
	hunted, err := mergeHuntReports(hunts)
	if err != nil {
		return err
	}
	if err := out.write(ctx, g, aws.Config{}, renderArchive(g, out, merged, hunted), merged.ResultLine()); err != nil {
		return err
	}
	return archiveExit(merged, hunted)
}

// shardReport is what verify merge reads of a shard's JSON report: the
// archive report and, from a run with --hunt, the hunt's.
type shardReport struct {
	verify.ArchiveReport
	Hunt *detection.Report `json:"hunt"`
}

// readShardReport reads one shard's JSON report. A value of the wrong type
// is named by its line and field, with the type expected in words.
func readShardReport(path string) (*shardReport, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError("verify merge: %v", err)
	}
	var r shardReport
	if err := decodeerr.Unmarshal(b, &r); err != nil {
		if m := (*decodeerr.Mismatch)(nil); errors.As(err, &m) {
			return nil, usageError("verify merge: %s: %v", path, err)
		}
		return nil, usageError("verify merge: %s is not a JSON report: %v", path, err)
	}
	if r.SchemaVersion != verify.ReportSchemaVersion {
		return nil, usageError("verify merge: %s has schema version %d, this build reads %d", path, r.SchemaVersion, verify.ReportSchemaVersion)
	}
	return &r, nil
}

// archiveProgress draws chains and objects done of planned on a terminal.
type archiveProgress struct {
	*progressBar
}

func newArchiveProgress(g *globals, quiet bool) *archiveProgress {
	if quiet || !isTerminal(g.stderr) {
		return &archiveProgress{}
	}
	return &archiveProgress{progressBar: &progressBar{g: g, throttle: progressThrottle}}
}

func (p *archiveProgress) Plan(objects int, bytes int64) {
	if p.progressBar != nil {
		p.progressBar.Plan(objects, bytes)
	}
}

func (p *archiveProgress) Done(bytes int64) {
	if p.progressBar != nil {
		p.progressBar.Done(bytes)
	}
}

func (p *archiveProgress) Chains(planned, done int) {
	if p.progressBar != nil {
		p.progressBar.Chains(planned, done)
	}
}

func (p *archiveProgress) finish() {
	if p.progressBar != nil {
		p.progressBar.finish()
	}
}
