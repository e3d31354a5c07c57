package cli

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/pflag"

	"github.com/trailseal/trailseal/internal/awsclient"
	"github.com/trailseal/trailseal/internal/regions"
	"github.com/trailseal/trailseal/internal/verify"
)

// The flags several commands share, spelled and explained once.

// addAWSFlags adds the credential and network flags of every command that
// calls AWS.
func addAWSFlags(f *pflag.FlagSet, a *awsOptions) {
	f.StringVar(&a.profile, "profile", "", "use this profile from the AWS config files")
	f.StringVar(&a.roleARN, "role-arn", "", "assume this IAM role first")
	f.StringVar(&a.externalID, "external-id", "", "external ID for --role-arn")
	f.DurationVar(&a.networkTimeout, "network-timeout", awsclient.DefaultGiveUpAfter,
		"give up on an AWS endpoint, naming it, once it has failed this long without answering (refused, unreachable, timed out, TLS or 5xx errors); also bounds one call's retries")
}

// accountFlags are the flags of commands that read a whole account (scan
// and fix): credentials, regions and the bound on concurrent calls.
type accountFlags struct {
	aws         awsOptions
	regions     string
	concurrency int
}

func addAccountFlags(f *pflag.FlagSet, a *accountFlags) {
	addAWSFlags(f, &a.aws)
	f.StringVar(&a.regions, "regions", "", "comma-separated regions to read, or 'all' (default): every region enabled in the account")
	addConcurrencyFlag(f, &a.concurrency, 16, "AWS API calls", "")
}

// maxConcurrency bounds --concurrency on every command.
const maxConcurrency = 1024

// addConcurrencyFlag adds --concurrency. What it counts and its default
// differ by command; its range and wording do not.
func addConcurrencyFlag(f *pflag.FlagSet, p *int, def int, what, note string) {
	usage := fmt.Sprintf("maximum %s at once, 1 to %d", what, maxConcurrency)
	if note != "" {
		usage += " (" + note + ")"
	}
	f.IntVar(p, "concurrency", def, usage)
}

// checkConcurrency checks a --concurrency value; ref names its source.
func checkConcurrency(ref string, n int) error {
	if n < 1 || n > maxConcurrency {
		return usageError("%s must be between 1 and %d, got %d", ref, maxConcurrency, n)
	}
	return nil
}

const outputUsage = "write the report to this file instead of standard output ('-': standard output; missing folders are created)"

// addOutputFlag adds -o/--output to a command that writes a report.
func addOutputFlag(f *pflag.FlagSet, p *string) {
	f.StringVarP(p, "output", "o", "", outputUsage)
}

// completeValues is the flag annotation that lists the values completion
// offers (see completion.go).
const completeValues = "trailseal_values"

// addFormatFlag adds -f/--format with the formats a command writes; the
// shell completes them.
func addFormatFlag(f *pflag.FlagSet, p *string, def string, formats []string, more string) {
	f.StringVarP(p, "format", "f", def, "output format: "+strings.Join(formats, ", ")+more)
	f.SetAnnotation("format", completeValues, formats)
}

// checkFormat checks a --format value against the command's formats.
func checkFormat(format string, formats []string) error {
	if !slices.Contains(formats, format) {
		return usageError("--format must be one of %s, not %q", strings.Join(formats, ", "), format)
	}
	return nil
}

// trailFlags name a trail's files, a period and the credentials to read
// them: the flags verify and pull share, spelled as 'aws cloudtrail
// validate-logs' spells them.
type trailFlags struct {
	arn, start, end, bucket, prefix, account, regions string
	// fromDir is verify's offline copy; pull has no such flag.
	fromDir string
	aws     awsOptions
}

// verb says what the command does with the files ("verify", "copy"), so
// that each command's help describes that command.
func addTrailFlags(f *pflag.FlagSet, t *trailFlags, verb string) {
	f.StringVar(&t.arn, "trail-arn", "", "ARN of the trail (required)")
	f.StringVar(&t.start, "start-time", "", verb+" log files delivered at or after this time (UTC; e.g. 2026-01-08T05:21:42Z; required)")
	f.StringVar(&t.end, "end-time", "", verb+" log files delivered at or before this time (UTC; default: now)")
	f.StringVar(&t.bucket, "s3-bucket", "", trailBucketUsage)
	f.StringVar(&t.prefix, "s3-prefix", "", trailPrefixUsage)
	f.StringVar(&t.account, "account-id", "", "account whose files to "+verb+" (member account of an organization trail; default: the trail's account)")
	f.StringVar(&t.regions, "regions", "", "comma-separated source regions to "+verb+", each of which must have digests, or 'all' (default): every region the trail must record and every region with folders")
	addAWSFlags(f, &t.aws)
}

// Where a trail's files are, when the trail no longer says (verify, pull
// and hunt --trail-arn).
const (
	trailBucketUsage = "bucket of the trail's files, when it differs from the trail's current bucket"
	trailPrefixUsage = "key prefix of the trail's files, when it differs from the trail's current prefix"
)

// validate checks the credential flags before any AWS call.
func (a awsOptions) validate() error {
	if a.externalID != "" && a.roleARN == "" {
		return usageError("--external-id needs --role-arn")
	}
	if a.roleARN != "" && !roleARNPattern.MatchString(a.roleARN) {
		return usageError("--role-arn %q is not an IAM role ARN (want arn:aws:iam::111122223333:role/Name)", a.roleARN)
	}
	// Zero is the value of a command that sets no flags (demo): the
	// default applies (awsclient.NewNetwork).
	if a.networkTimeout < 0 || (a.networkTimeout > 0 && a.networkTimeout < time.Second) {
		return usageError("--network-timeout %s is too short: give 1s or more (default %s)", a.networkTimeout, awsclient.DefaultGiveUpAfter)
	}
	return nil
}

var roleARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$`)

// parseRegions reads --regions (ref names where the value came from): nil
// (every region) for "" or "all".
func parseRegions(ref, s string) ([]string, error) {
	if s = strings.TrimSpace(s); s == "" || strings.EqualFold(s, "all") {
		return nil, nil
	}
	out, err := regions.Parse(s)
	if err != nil {
		if strings.Contains(strings.ToLower(s), "all") {
			return nil, usageError("%s: 'all' stands alone (every region), not in a list: %v", ref, err)
		}
		return nil, usageError("%s: %v", ref, err)
	}
	return out, nil
}

// progressBar draws progress on stderr when it is a terminal: collection
// tasks for scan, objects (and an archive run's chains) for verify and
// pull. It is the one place that knows the progress bar library.
//
// The work to do is found while it is being done (tasks discover tasks,
// listings find objects while earlier objects are read), so the done count
// often catches up with the planned one before the plan is complete. The
// library treats reaching its maximum as the end: it stops drawing for
// good, and a later larger maximum does not bring it back. So the bar is
// shown at most one short of the planned count until finish says the run
// is over.
type progressBar struct {
	g   *globals
	bar *progressbar.ProgressBar
	// throttle is the least time between two drawings.
	throttle time.Duration
	// planned and done are objects (verify, pull) or tasks (scan); drawnMax
	// is the total the bar was last given.
	planned, done, drawnMax int
	// chainsPlanned and chains are an archive run's chains.
	chainsPlanned, chains int
	mu                    sync.Mutex // called from many goroutines
}

// progressThrottle keeps a bar from redrawing more than ten times a second.
const progressThrottle = 100 * time.Millisecond

// scanProgress returns a progress callback that draws a bar of collection
// tasks (nil when stderr is not a terminal, or with --debug, whose log
// lines would tear it), and a function that clears it.
func scanProgress(g *globals) (func(done, total int), func()) {
	if !isTerminal(g.stderr) || g.debug || g.quiet {
		return nil, func() {}
	}
	p := &progressBar{g: g, throttle: progressThrottle}
	return p.tasks, p.finish
}

func (p *progressBar) tasks(done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.planned, p.done = total, done
	p.show("collecting", "")
}

// newProgress returns a progress bar for verify and pull when stderr is a
// terminal (nil otherwise, so nothing is drawn into logs), and the function
// that clears it.
func newProgress(g *globals) (verify.Progress, func()) {
	if !isTerminal(g.stderr) || g.quiet {
		return nil, func() {}
	}
	p := &progressBar{g: g, throttle: progressThrottle}
	return p, p.finish
}

func (p *progressBar) describe() string {
	if p.chainsPlanned == 0 {
		return "verifying"
	}
	return fmt.Sprintf("chains %d/%d", p.chains, p.chainsPlanned)
}

// show creates the bar on the first planned unit of work and draws done of
// planned, held one short of planned (see progressBar). its names the
// units and adds a rate and the time left; empty, a bare count. Called
// with p.mu held.
func (p *progressBar) show(description, its string) {
	if p.planned <= 0 {
		return
	}
	if p.bar == nil {
		opts := []progressbar.Option{
			progressbar.OptionSetWriter(p.g.stderr),
			progressbar.OptionSetDescription(description),
			progressbar.OptionShowCount(),
			progressbar.OptionThrottle(p.throttle),
			progressbar.OptionClearOnFinish(),
		}
		if its != "" {
			opts = append(opts,
				progressbar.OptionSetItsString(its),
				progressbar.OptionShowIts(),
				progressbar.OptionSetPredictTime(true))
		}
		p.bar = progressbar.NewOptions(p.planned, opts...)
	} else if p.planned != p.drawnMax {
		p.bar.ChangeMax(p.planned)
	}
	p.drawnMax = p.planned
	p.bar.Set(min(p.done, p.planned-1))
}

// Plan is called as objects are found to read (digests, then logs, of
// every chain at once in an archive run); totals add up. The bar counts
// objects: done of found, their rate and the time left.
func (p *progressBar) Plan(objects int, _ int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.planned += objects
	p.show(p.describe(), "objects")
}

// Done is called once per object read.
func (p *progressBar) Done(int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	p.show(p.describe(), "objects")
}

// Chains is told the chains planned and done of an archive run (verify
// over many accounts), shown before the objects.
func (p *progressBar) Chains(planned, done int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.chainsPlanned, p.chains = planned, done
	if p.bar != nil {
		p.bar.Describe(p.describe())
	}
}

// finish ends the bar: the library fills it and clears its line.
func (p *progressBar) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Finish()
	}
}
