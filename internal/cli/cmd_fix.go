package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"

	"github.com/trailseal/trailseal/internal/awsclient"
	"github.com/trailseal/trailseal/internal/collect"
	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/fix"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/rules"
)

// fixOptions are the flags of 'trailseal fix'.
type fixOptions struct {
	accountFlags
	ruleFlags
	configFile string

	apply   bool
	yes     bool
	emit    string
	format  string
	output  string
	undo    string
	force   bool
	journal string

	withReadEvents   bool
	kmsKey           string
	retentionDays    int
	lockMode         string
	minRetentionDays int
	logRetentionDays int
	accessLogBucket  string
	alarmTopic       string

	// set reports which flags the user gave on the command line.
	set func(name string) bool
}

const fixExample = `  # show what would change, per finding, with before -> after
  trailseal fix --regions us-east-1

  # apply it (asks first; --yes skips the question)
  trailseal fix --regions us-east-1 --apply --access-log-bucket my-access-logs \
    --alarm-topic arn:aws:sns:us-east-1:111122223333:security-alerts

  # only two rules
  trailseal fix --rules bucket.object_lock,trail.log_file_validation --apply --yes

  # the plan as a script or as Terraform, to run yourself
  trailseal fix --emit cli > fix.sh
  trailseal fix --emit terraform > fix.tf

  # take back what an --apply run changed
  trailseal fix --undo ~/.config/trailseal/journal-20250101T120000Z.json`

func newFixCommand(g *globals) *cobra.Command {
	o := &fixOptions{}
	cmd := &cobra.Command{
		Use:   "fix",
		Short: "Plan and apply safe remediations for what scan found",
		Long: `Fix scans the account afresh and plans a change for every FAIL finding that
can be fixed without risk to log delivery: trail settings, event selectors,
KMS encryption with a new CloudTrail-scoped key, CloudWatch Logs delivery with
the CIS alarms, and the trail bucket's versioning, Object Lock, Block Public
Access, lifecycle, server access logging and policy. Each change is shown with
its before and after value, the rules it fixes, what it depends on and
whether it can be undone. Rules without a safe automatic fix (MFA Delete, a
dedicated log archive account, holders of AWSCloudTrail_FullAccess) get
manual steps instead.

Without --apply nothing is changed. With --apply the changes run in
dependency order after a confirmation; every change and the value it replaced
go to a journal file, which --undo reads to revert what can be reverted.
Fix never deletes a bucket, object, trail, key or log group, and refuses a
change that would stop delivery, saying why.

Object Lock, once enabled, cannot be turned off, and a COMPLIANCE retention
can never be shortened or removed, not even by the root user. The default
--lock-mode is GOVERNANCE for that reason.

The IAM permissions fix needs are in docs/policies/fix.json; see docs/fix.md.

` + settingsHelp + `

Exit codes:
` + exitCodesHelp("fix"),
		Example: fixExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.set = func(name string) bool { return cmd.Flags().Changed(name) }
			return runFix(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	addAccountFlags(f, &o.accountFlags)
	f.BoolVar(&o.apply, "apply", false, "make the changes (default: only show the plan)")
	f.BoolVarP(&o.yes, "yes", "y", false, "with --apply or --undo: do not ask for confirmation")
	addRuleFlags(f, &o.ruleFlags, "fix")
	f.StringVar(&o.emit, "emit", "", "write the plan as 'cli' (a bash script of AWS CLI commands) or 'terraform' instead of showing it")
	addFormatFlag(f, &o.format, "text", []string{"text", "json"}, " (the plan)")
	addOutputFlag(f, &o.output)
	addConfigFlag(f, &o.configFile)
	f.StringVar(&o.undo, "undo", "", "revert the changes recorded in this journal file")
	f.BoolVar(&o.force, "force", false, "with --undo: also revert changes whose resource was changed again after fix changed it")
	f.StringVar(&o.journal, "journal", "", "with --apply: write the journal here (default: a new file under the user state directory)")
	f.BoolVar(&o.withReadEvents, "with-read-events", false, "also record S3 object read data events (billed per event)")
	f.StringVar(&o.kmsKey, "kms-key", "", "encrypt trails with this existing KMS key ARN instead of creating one")
	f.IntVar(&o.retentionDays, "retention-days", 365, "default Object Lock retention for the trail bucket, in days")
	f.StringVar(&o.lockMode, "lock-mode", "GOVERNANCE", "Object Lock retention mode: GOVERNANCE or COMPLIANCE (COMPLIANCE can never be shortened or removed)")
	f.IntVar(&o.minRetentionDays, "min-retention-days", 365, "shortest acceptable retention of trail logs, in days (no lifecycle rule fix writes expires them sooner)")
	f.IntVar(&o.logRetentionDays, "log-retention-days", 365, "retention of a CloudWatch Logs group created for a trail, in days")
	f.StringVar(&o.accessLogBucket, "access-log-bucket", "", "bucket that receives the trail bucket's server access logs (same account and region, no Object Lock)")
	f.StringVar(&o.alarmTopic, "alarm-topic", "", "SNS topic ARN the CIS 4.5 and 4.8 alarms notify")
	return cmd
}

var (
	kmsKeyARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$`)
	snsARNPattern    = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$`)
)

// resolvedFix is a fixOptions after the settings, defaults and validation
// have been applied.
type resolvedFix struct {
	plan     fix.Options
	regions  []string
	parallel int
	// severities (--severity) keep the findings fix plans for.
	severities []findings.Severity
	// ruleOpts judge the account as 'scan' with the same settings does.
	ruleOpts rules.Options
	// out is -o: the plan or the emitted script.
	out *outputFile
}

// resolveFix validates every flag and setting before any AWS call.
func resolveFix(g *globals, o *fixOptions) (*resolvedFix, error) {
	if err := checkFixModes(o); err != nil {
		return nil, err
	}
	r := &resolvedFix{plan: fix.DefaultOptions(), parallel: o.concurrency, out: newOutput(g, "--output", o.output)}
	var err error
	if r.regions, err = parseRegions(g.ref("regions"), o.regions); err != nil {
		return nil, err
	}
	if err := checkConcurrency(g.ref("concurrency"), r.parallel); err != nil {
		return nil, err
	}
	ruleset, sevs, err := g.selectRules(o.ruleFlags)
	if err != nil {
		return nil, err
	}
	if len(ruleset) < len(rules.All()) {
		for _, rule := range ruleset {
			r.plan.Rules = append(r.plan.Rules, rule.ID)
		}
	}
	r.severities = sevs
	minDays, lockDays := o.minRetentionDays, o.retentionDays
	if !o.isSet("retention-days") {
		// The Object Lock default follows a raised minimum unless given.
		lockDays = max(lockDays, minDays)
	}
	// fix has no --log-archive-account: the value comes from the
	// environment or the settings file only.
	archive, archiveRef, _ := g.setting("log-archive-account")
	if r.ruleOpts, err = ruleOptions(g, minDays, archive, archiveRef); err != nil {
		return nil, err
	}
	if err := resolveFixValues(g, o, &r.plan, minDays, lockDays); err != nil {
		return nil, err
	}
	return r, checkFixOutputs(g, o, r)
}

// checkFixOutputs checks -o and the journal an --apply run will write.
func checkFixOutputs(g *globals, o *fixOptions, r *resolvedFix) error {
	if !o.apply {
		return checkOutputs(r.out)
	}
	path := o.journal
	if path == "" {
		var err error
		if path, err = fix.DefaultJournalPath(time.Now()); err != nil {
			return err
		}
	}
	journal := newOutput(g, "--journal", path)
	journal.dirPerm = 0o700 // the journal records the account's changes
	return checkOutputs(r.out, journal)
}

// checkFixModes refuses flags that do not go together.
func checkFixModes(o *fixOptions) error {
	if o.undo != "" {
		for _, conflict := range []struct {
			set  bool
			name string
		}{{o.apply, "--apply"}, {o.emit != "", "--emit"}, {o.isSet("rules"), "--rules"}, {o.isSet("exclude-rules"), "--exclude-rules"},
			{o.isSet("severity"), "--severity"}, {o.journal != "", "--journal"}, {o.output != "", "--output"}} {
			if conflict.set {
				return usageError("--undo cannot be combined with %s", conflict.name)
			}
		}
	}
	switch o.emit {
	case "", "cli", "terraform":
	default:
		return usageError("--emit must be cli or terraform, not %q", o.emit)
	}
	switch {
	case o.emit != "" && o.apply:
		return usageError("--emit and --apply cannot be used together: either run the emitted plan yourself or let fix apply it")
	case o.output != "" && o.apply:
		return usageError("--output writes the plan or the emitted script, which --apply shows on the terminal to confirm: leave it out")
	case o.format != "text" && o.format != "json":
		return usageError("--format must be text or json, not %q", o.format)
	case o.journal != "" && !o.apply:
		return usageError("--journal only applies with --apply")
	case o.yes && !o.apply && o.undo == "":
		return usageError("--yes only applies with --apply or --undo")
	case o.force && o.undo == "":
		return usageError("--force only applies with --undo")
	}
	if o.journal != "" {
		if _, err := os.Lstat(o.journal); err == nil {
			return usageError("--journal %s already exists, and it may be the only record of an earlier run's changes: name a new file", o.journal)
		}
	}
	return nil
}

// resolveFixValues checks the values that shape the plan.
func resolveFixValues(g *globals, o *fixOptions, opts *fix.Options, minDays, lockDays int) error {
	opts.LockMode = strings.ToUpper(o.lockMode)
	switch {
	case opts.LockMode != "GOVERNANCE" && opts.LockMode != "COMPLIANCE":
		return usageError("--lock-mode must be GOVERNANCE or COMPLIANCE, not %q", o.lockMode)
	case lockDays < minDays:
		return usageError("--retention-days %d is shorter than %s %d, so bucket.object_lock_retention would still fail: raise it", lockDays, g.ref("min-retention-days"), minDays)
	case !slices.Contains(fix.LogRetentionValues, o.logRetentionDays):
		return usageError("--log-retention-days %d is not a value CloudWatch Logs accepts (for example 365, 400, 731, 3653)", o.logRetentionDays)
	case o.kmsKey != "" && !kmsKeyARNPattern.MatchString(o.kmsKey):
		return usageError("--kms-key %q is not a KMS key ARN (want arn:aws:kms:REGION:ACCOUNT:key/ID)", o.kmsKey)
	case o.alarmTopic != "" && !snsARNPattern.MatchString(o.alarmTopic):
		return usageError("--alarm-topic %q is not an SNS topic ARN (want arn:aws:sns:REGION:ACCOUNT:NAME)", o.alarmTopic)
	}
	if err := o.aws.validate(); err != nil {
		return err
	}
	opts.WithReadEvents = o.withReadEvents
	opts.KMSKeyARN = o.kmsKey
	opts.RetentionDays = lockDays
	opts.MinRetentionDays = minDays
	opts.LogRetentionDays = o.logRetentionDays
	opts.AccessLogBucket = o.accessLogBucket
	opts.AlarmTopicARN = o.alarmTopic
	return nil
}

func (o *fixOptions) isSet(name string) bool { return o.set != nil && o.set(name) }

func runFix(ctx context.Context, g *globals, o *fixOptions) error {
	r, err := resolveFix(g, o)
	if err != nil {
		return err
	}
	if o.undo != "" {
		return runUndo(ctx, g, o)
	}
	if o.apply && !o.yes && !canPrompt(g.stdin) {
		return usageError("no terminal to confirm the changes on: pass --yes to apply without a prompt")
	}
	cfg, err := loadAWSConfig(ctx, g, o.aws)
	if err != nil {
		return err
	}
	inv, err := collect.Collect(ctx, cfg, collect.Options{Regions: r.regions, Concurrency: r.parallel, Logger: g.logger})
	if err != nil {
		return err
	}
	fs := keepSeverities(rules.Evaluate(inv, rules.All(), r.ruleOpts), r.severities)
	clients := fix.NewClients(cfg)
	settleJournals(ctx, g, clients, inv.Account.ID)
	if err := fix.Probe(ctx, clients, inv.Account.ID, cfg.Region, &r.plan); err != nil {
		return err
	}
	plan := fix.NewPlan(inv, fs, r.plan)
	if done, err := showPlan(g, o, r.out, plan, inv); done || err != nil {
		return err
	}
	return applyPlan(ctx, g, o, clients, plan)
}

// showPlan writes the plan, or the emitted script or Terraform, to out. It
// reports done when there is nothing left to apply.
func showPlan(g *globals, o *fixOptions, out *outputFile, plan *fix.Plan, inv *inventory.Inventory) (bool, error) {
	if o.emit != "" {
		err := out.write(func(w io.Writer) error {
			if o.emit == "terraform" {
				return fix.EmitTerraform(w, plan, inv)
			}
			return fix.EmitCLI(w, plan)
		})
		if err != nil {
			return true, err
		}
		// The script has no place for them: stderr does.
		for _, u := range plan.Unjudged {
			g.info("not judged: %s on %s: %s", u.Rule, u.Resource, u.Reason)
		}
		return true, unjudged(plan)
	}
	err := out.write(func(w io.Writer) error {
		if o.format == "json" {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(plan)
		}
		writePlan(w, plan)
		return nil
	})
	if err != nil {
		return true, err
	}
	switch {
	case !o.apply && plan.Empty():
		return true, unjudged(plan)
	case !o.apply:
		g.info("Nothing was changed. Run again with --apply to make these changes.")
		return true, errPlanPending
	case plan.Empty():
		g.info("Nothing to apply.")
		return true, unjudged(plan)
	}
	return false, nil
}

// unjudged is the outcome of a plan that is complete only as far as the
// evidence could be read: errUnreadable when some rule fix acts on said
// ERROR, so that "nothing to fix" never passes for an account whose
// evidence was not read (exit 4; pending changes and failures win).
func unjudged(plan *fix.Plan) error {
	if len(plan.Unjudged) == 0 {
		return nil
	}
	what := fmt.Sprintf("%d rules fix acts on", len(plan.Unjudged))
	if len(plan.Unjudged) == 1 {
		what = "1 rule fix acts on"
	}
	return explain(errUnreadable, fmt.Errorf("%s could not be judged (its evidence could not be read: see 'not judged' above), so the plan may lack changes; grant the reads or fix the network, and run again", what))
}

// applyPlan asks, then applies the plan with a journal. A first interrupt
// lets the call in flight finish; a second abandons it; either way the
// journal records what is true and the exit code is 130.
func applyPlan(ctx context.Context, g *globals, o *fixOptions, clients *fix.Clients, plan *fix.Plan) error {
	if !o.yes {
		ok, err := confirm(g, fmt.Sprintf("Apply %d changes to account %s? [y/N] ", len(plan.Steps), plan.Account))
		if err != nil || !ok {
			if err == nil {
				fmt.Fprintln(g.stderr, "Nothing was changed.")
			}
			return err
		}
	}
	path := o.journal
	if path == "" {
		var err error
		if path, err = fix.DefaultJournalPath(time.Now()); err != nil {
			return err
		}
	}
	j := fix.NewJournal(path, plan.Account)
	abandon, stop := watchInterrupts(ctx, g.stderr)
	defer stop()
	a := &fix.Applier{Clients: clients, Journal: j, Abandon: abandon, Progress: func(e fix.Entry) {
		g.info("%-8s %s: %s", e.Status, e.Step.ID, orDash(e.Error))
	}}
	out, err := a.Apply(ctx, plan)
	if err != nil {
		return fmt.Errorf("%v: the changes made so far are listed above", err)
	}
	writeApplyReport(g.stdout, j, out)
	switch {
	case out.Interrupted:
		if err := ctx.Err(); err != nil {
			return err
		}
		return context.Canceled
	case out.Failed+out.Skipped > 0:
		return fmt.Errorf("%d of %d changes were not made (%d failed, %d of them partially applied, %d not attempted); journal %s", out.Failed+out.Skipped, len(plan.Steps), out.Failed, out.Partial, out.Skipped, j.Path())
	}
	return unjudged(plan)
}

// watchInterrupts says on stderr what an interrupted apply does, and
// closes the returned channel on the second SIGINT or SIGTERM, which
// abandons the call in flight. The first one cancels ctx (see Main).
func watchInterrupts(ctx context.Context, stderr io.Writer) (<-chan struct{}, func()) {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	abandon, done := make(chan struct{}), make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-done:
			return
		}
		fmt.Fprintln(stderr, "trailseal: interrupted: finishing the call in flight, then recording what is true (interrupt again to abandon the call; its result is then read back)")
		for n := 0; ; {
			select {
			case <-sigs:
				if n++; n == 2 {
					close(abandon)
					return
				}
			case <-done:
				return
			}
		}
	}()
	return abandon, func() { signal.Stop(sigs); close(done) }
}

// settleJournals reads back the steps that earlier runs against this
// account left in progress (a killed run), in the journals of the default
// directory, and records what is true. Problems are warnings: they do not
// stop this run.
func settleJournals(ctx context.Context, g *globals, clients *fix.Clients, account string) {
	dir, err := fix.JournalDir()
	if err != nil {
		return
	}
	paths, err := fix.FindJournals(dir)
	if err != nil {
		fmt.Fprintf(g.stderr, "trailseal: warning: journals in %s: %v\n", dir, err)
	}
	for _, path := range paths {
		j, err := fix.LoadJournal(path)
		if err != nil || j.Account != account || len(j.Unsettled()) == 0 {
			continue
		}
		settleJournal(ctx, g, clients, j)
	}
}

func settleJournal(ctx context.Context, g *globals, clients *fix.Clients, j *fix.Journal) {
	settled, err := fix.Settle(ctx, clients, j)
	for _, e := range settled {
		what := e.Status
		if e.Error != "" {
			what += ": " + e.Error
		}
		if e.Note != "" {
			what += " (" + e.Note + ")"
		}
		fmt.Fprintf(g.stderr, "trailseal: journal %s: step %s was in progress when its run stopped; read back now, it is %s\n", j.Path(), e.Step.ID, what)
	}
	if err != nil {
		fmt.Fprintf(g.stderr, "trailseal: warning: journal %s: %v\n", j.Path(), err)
	}
}

func orDash(s string) string {
	if s == "" {
		return "ok"
	}
	return s
}

func runUndo(ctx context.Context, g *globals, o *fixOptions) error {
	j, err := fix.LoadJournal(o.undo)
	if err != nil {
		return asUsage(err)
	}
	if len(j.Undoable()) == 0 && len(j.Unsettled()) == 0 {
		return nothingToUndo(g, j)
	}
	if !o.yes && !canPrompt(g.stdin) {
		return usageError("no terminal to confirm the undo on: pass --yes to undo without a prompt")
	}
	clients, err := undoClients(ctx, g, o, j)
	if err != nil {
		return err
	}
	settleJournal(ctx, g, clients, j)
	undoable := j.Undoable()
	if len(undoable) == 0 {
		return nothingToUndo(g, j)
	}
	listUndo(g.stdout, j, undoable)
	if !o.yes {
		ok, err := confirm(g, fmt.Sprintf("Revert these changes in account %s? [y/N] ", j.Account))
		if err != nil || !ok {
			if err == nil {
				fmt.Fprintln(g.stderr, "Nothing was changed.")
			}
			return err
		}
	}
	return reportUndo(g.stdout, (&fix.Undoer{Clients: clients, Journal: j, Force: o.force}).Undo(ctx))
}

// undoClients loads the credentials and checks that they are of the
// journal's account.
func undoClients(ctx context.Context, g *globals, o *fixOptions, j *fix.Journal) (*fix.Clients, error) {
	cfg, err := loadAWSConfig(ctx, g, o.aws)
	if err != nil {
		return nil, err
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, awsclient.IdentityError(err, "")
	}
	if acct := aws.ToString(id.Account); acct != j.Account {
		return nil, usageError("journal %s is for account %s but the credentials are for %s: use credentials of %s", o.undo, j.Account, acct, j.Account)
	}
	return fix.NewClients(cfg), nil
}

// nothingToUndo reports a journal with nothing left to revert: it records
// no change, or an earlier undo dealt with everything.
func nothingToUndo(g *globals, j *fix.Journal) error {
	done := j.Undone()
	if len(done) == 0 {
		fmt.Fprintf(g.stdout, "Journal %s records no change: nothing to undo.\n", j.Path())
		return nil
	}
	fmt.Fprintf(g.stdout, "Journal %s: an earlier undo reverted every change it records that can be reverted: nothing to undo.\n", j.Path())
	for _, e := range done {
		if e.Undone != nil && e.Undone.Status == fix.Reverted {
			fmt.Fprintf(g.stdout, "  already reverted %s on %s\n", e.Step.ID, e.Undone.At.Format(time.RFC3339))
		} else {
			fmt.Fprintf(g.stdout, "  cannot undo      %s: %s\n", e.Step.ID, e.Step.NotReversible)
		}
	}
	return nil
}

// listUndo says, newest first, what the undo will try.
func listUndo(w io.Writer, j *fix.Journal, undoable []fix.Entry) {
	partial := 0
	for _, e := range undoable {
		if e.Partial() {
			partial++
		}
	}
	fmt.Fprintf(w, "Journal %s: %d applied and %d partially applied changes to account %s.\n", j.Path(), len(undoable)-partial, partial, j.Account)
	for i := len(undoable) - 1; i >= 0; i-- {
		e := undoable[i]
		s := e.Step
		switch {
		case e.Partial():
			for k := len(e.Changes) - 1; k >= 0; k-- {
				ch := e.Changes[k]
				switch {
				case ch.Pending || ch.Undone != nil:
				case ch.Reversible:
					fmt.Fprintf(w, "  revert      %s (partially applied): %s\n", s.ID, ch.Summary)
				default:
					fmt.Fprintf(w, "  cannot undo %s (partially applied): %s: %s\n", s.ID, ch.Summary, ch.NotReversible)
				}
			}
		case s.Reversible:
			fmt.Fprintf(w, "  revert      %s: %s\n", s.ID, s.Summary)
		default:
			fmt.Fprintf(w, "  cannot undo %s: %s\n", s.ID, s.NotReversible)
		}
	}
}

// reportUndo prints what the undo did and decides the exit code.
func reportUndo(w io.Writer, results []fix.UndoResult) error {
	failed, refused := 0, 0
	for _, r := range results {
		id := r.Step.ID
		if r.Change != "" {
			id += " (partially applied)"
		}
		fmt.Fprintf(w, "%-12s %s: %s\n", r.Status, id, r.Detail)
		switch r.Status {
		case fix.UndoFailed:
			failed++
		case fix.Refused:
			refused++
		}
	}
	switch {
	case failed > 0:
		return fmt.Errorf("%d changes could not be reverted and %d were refused; see above", failed, refused)
	case refused > 0:
		return fmt.Errorf("%d changes were left alone because their resource changed after fix changed it; see above, and undo again with --force to revert them anyway", refused)
	}
	return nil
}

// canPrompt reports whether a confirmation can be asked: a terminal, or a
// reader that is not a file at all (tests, pipes set up by a caller).
func canPrompt(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return r != nil
	}
	return isTerminal(f)
}

func confirm(g *globals, question string) (bool, error) {
	fmt.Fprint(g.stderr, question)
	line, err := bufio.NewReader(g.stdin).ReadString('\n')
	if err != nil && line == "" {
		if errors.Is(err, io.EOF) {
			fmt.Fprintln(g.stderr)
			return false, nil
		}
		return false, fmt.Errorf("read confirmation: %w", err)
	}
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes", nil
}

func writePlan(w io.Writer, plan *fix.Plan) {
	irreversible := 0
	for _, s := range plan.Steps {
		if !s.Reversible {
			irreversible++
		}
	}
	fmt.Fprintf(w, "Plan for account %s: %d changes (%d not reversible), %d manual, %d not planned",
		plan.Account, len(plan.Steps), irreversible, len(plan.Manual), len(plan.Refused))
	if len(plan.Unjudged) > 0 {
		fmt.Fprintf(w, ", %d not judged (evidence unreadable)", len(plan.Unjudged))
	}
	fmt.Fprintln(w)
	for i, s := range plan.Steps {
		fmt.Fprintf(w, "\n%2d. %s  [%s]\n", i+1, s.ID, strings.Join(s.Rules, ", "))
		fmt.Fprintf(w, "    %s (%s, %s)\n", s.Summary, s.Kind, s.Region)
		fmt.Fprintf(w, "    before: %s\n", s.Before)
		fmt.Fprintf(w, "    after:  %s\n", s.After)
		if len(s.DependsOn) > 0 {
			fmt.Fprintf(w, "    after step: %s\n", strings.Join(s.DependsOn, ", "))
		}
		if !s.Reversible {
			fmt.Fprintf(w, "    not reversible: %s\n", s.NotReversible)
		}
		if s.Warning != "" {
			fmt.Fprintf(w, "    WARNING: %s\n", s.Warning)
		}
	}
	if len(plan.Manual) > 0 {
		fmt.Fprintf(w, "\nManual steps (no safe automatic fix):\n")
		for _, m := range plan.Manual {
			fmt.Fprintf(w, "  %s on %s:\n", m.Rule, m.Resource)
			for _, st := range m.Steps {
				fmt.Fprintf(w, "    - %s\n", st)
			}
		}
	}
	if len(plan.Refused) > 0 {
		fmt.Fprintf(w, "\nNot planned:\n")
		for _, r := range plan.Refused {
			fmt.Fprintf(w, "  %s on %s: %s\n", r.Rule, r.Resource, r.Reason)
		}
	}
	if len(plan.Unjudged) > 0 {
		fmt.Fprintf(w, "\nNot judged (the evidence could not be read, so whether these need a change is unknown):\n")
		for _, u := range plan.Unjudged {
			fmt.Fprintf(w, "  %s on %s: %s\n", u.Rule, u.Resource, u.Reason)
		}
	}
}

func writeApplyReport(w io.Writer, j *fix.Journal, out fix.Outcome) {
	fmt.Fprintf(w, "\nApplied %d, failed %d, not attempted %d. Journal: %s\n", out.Applied, out.Failed, out.Skipped, j.Path())
	for _, e := range j.Entries {
		switch e.Status {
		case fix.Applied:
			note := ""
			if e.Note != "" {
				note = " (" + e.Note + ")"
			}
			fmt.Fprintf(w, "  changed     %s: %s%s\n", e.Step.ID, e.Step.Summary, note)
		case fix.Failed:
			fmt.Fprintf(w, "  FAILED      %s: %s\n", e.Step.ID, e.Error)
		case fix.InProgress:
			fmt.Fprintf(w, "  UNKNOWN     %s: %s\n", e.Step.ID, e.Error)
		default:
			fmt.Fprintf(w, "  not changed %s: %s\n", e.Step.ID, e.Error)
		}
	}
	if out.Applied+out.Partial > 0 {
		fmt.Fprintf(w, "Undo with: trailseal fix --undo %s\n", j.Path())
	}
}
