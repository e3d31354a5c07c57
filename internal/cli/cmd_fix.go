package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"

	"github.com/trailseal/trailseal/internal/collect"
	"github.com/trailseal/trailseal/internal/fix"
	"github.com/trailseal/trailseal/internal/rules"
)

// fixOptions are the flags of 'trailseal fix'.
type fixOptions struct {
	accountFlags

	apply   bool
	yes     bool
	ruleIDs []string
	emit    string
	format  string
	undo    string
	journal string

	withReadEvents   bool
	kmsKey           string
	retentionDays    int
	lockMode         string
	minRetentionDays int
	logRetentionDays int
	accessLogBucket  string
	alarmTopic       string
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

Exit codes:
` + exitCodesHelp("fix"),
		Example: fixExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFix(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	addAccountFlags(f, &o.accountFlags)
	f.BoolVar(&o.apply, "apply", false, "make the changes (default: only show the plan)")
	f.BoolVarP(&o.yes, "yes", "y", false, "with --apply or --undo: do not ask for confirmation")
	f.StringSliceVar(&o.ruleIDs, "rules", nil, "fix only these rule IDs (comma-separated)")
	f.StringVar(&o.emit, "emit", "", "write the plan as 'cli' (a bash script of AWS CLI commands) or 'terraform' instead of showing it")
	f.StringVar(&o.format, "format", "text", "plan format on stdout: text or json")
	f.StringVar(&o.undo, "undo", "", "revert the changes recorded in this journal file")
	f.StringVar(&o.journal, "journal", "", "with --apply: write the journal here (default: a new file under the user state directory)")
	f.BoolVar(&o.withReadEvents, "with-read-events", false, "also record S3 object read data events (billed per event)")
	f.StringVar(&o.kmsKey, "kms-key", "", "encrypt trails with this existing KMS key ARN instead of creating one")
	f.IntVar(&o.retentionDays, "retention-days", 365, "default Object Lock retention for the trail bucket, in days")
	f.StringVar(&o.lockMode, "lock-mode", "GOVERNANCE", "Object Lock retention mode: GOVERNANCE or COMPLIANCE (COMPLIANCE can never be shortened or removed)")
	f.IntVar(&o.minRetentionDays, "min-retention-days", 365, "no lifecycle rule may expire trail logs sooner than this")
	f.IntVar(&o.logRetentionDays, "log-retention-days", 365, "retention of a CloudWatch Logs group created for a trail, in days")
	f.StringVar(&o.accessLogBucket, "access-log-bucket", "", "bucket that receives the trail bucket's server access logs (same account and region, no Object Lock)")
	f.StringVar(&o.alarmTopic, "alarm-topic", "", "SNS topic ARN the CIS 4.5 and 4.8 alarms notify")
	return cmd
}

var (
	kmsKeyARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$`)
	snsARNPattern    = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$`)
	// Log group retention values CloudWatch Logs accepts.
	logRetentionValues = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)

// resolveFix validates every flag before any AWS call and returns the
// planning options.
func resolveFix(o *fixOptions) (fix.Options, []string, error) {
	opts := fix.DefaultOptions()
	if o.undo != "" {
		for _, conflict := range []struct {
			set  bool
			name string
		}{{o.apply, "--apply"}, {o.emit != "", "--emit"}, {len(o.ruleIDs) > 0, "--rules"}, {o.journal != "", "--journal"}} {
			if conflict.set {
				return opts, nil, usageError("--undo cannot be combined with %s", conflict.name)
			}
		}
	}
	switch o.emit {
	case "", "cli", "terraform":
	default:
		return opts, nil, usageError("--emit must be cli or terraform, not %q", o.emit)
	}
	if o.emit != "" && o.apply {
		return opts, nil, usageError("--emit and --apply cannot be used together: either run the emitted plan yourself or let fix apply it")
	}
	if o.format != "text" && o.format != "json" {
		return opts, nil, usageError("--format must be text or json, not %q", o.format)
	}
	if o.journal != "" && !o.apply {
		return opts, nil, usageError("--journal only applies with --apply")
	}
	if o.yes && !o.apply && o.undo == "" {
		return opts, nil, usageError("--yes only applies with --apply or --undo")
	}
	regs, err := parseRegions(o.regions)
	if err != nil {
		return opts, nil, err
	}
	if o.concurrency < 1 || o.concurrency > 512 {
		return opts, nil, usageError("--concurrency must be between 1 and 512, got %d", o.concurrency)
	}
	if len(o.ruleIDs) > 0 {
		selected, err := rules.Select(rules.All(), o.ruleIDs)
		if err != nil {
			return opts, nil, asUsage(err)
		}
		for _, r := range selected {
			opts.Rules = append(opts.Rules, r.ID)
		}
	}
	opts.LockMode = strings.ToUpper(o.lockMode)
	if opts.LockMode != "GOVERNANCE" && opts.LockMode != "COMPLIANCE" {
		return opts, nil, usageError("--lock-mode must be GOVERNANCE or COMPLIANCE, not %q", o.lockMode)
	}
	if o.minRetentionDays < 1 {
		return opts, nil, usageError("--min-retention-days must be at least 1, got %d", o.minRetentionDays)
	}
	if o.retentionDays < o.minRetentionDays {
		return opts, nil, usageError("--retention-days %d is shorter than --min-retention-days %d, so bucket.object_lock_retention would still fail: raise it", o.retentionDays, o.minRetentionDays)
	}
	if !slices.Contains(logRetentionValues, o.logRetentionDays) {
		return opts, nil, usageError("--log-retention-days %d is not a value CloudWatch Logs accepts (for example 365, 400, 731, 3653)", o.logRetentionDays)
	}
	if o.kmsKey != "" && !kmsKeyARNPattern.MatchString(o.kmsKey) {
		return opts, nil, usageError("--kms-key %q is not a KMS key ARN (want arn:aws:kms:REGION:ACCOUNT:key/ID)", o.kmsKey)
	}
	if o.alarmTopic != "" && !snsARNPattern.MatchString(o.alarmTopic) {
		return opts, nil, usageError("--alarm-topic %q is not an SNS topic ARN (want arn:aws:sns:REGION:ACCOUNT:NAME)", o.alarmTopic)
	}
	if err := o.aws.validate(); err != nil {
		return opts, nil, err
	}
	opts.WithReadEvents = o.withReadEvents
	opts.KMSKeyARN = o.kmsKey
	opts.RetentionDays = o.retentionDays
	opts.MinRetentionDays = o.minRetentionDays
	opts.LogRetentionDays = o.logRetentionDays
	opts.AccessLogBucket = o.accessLogBucket
	opts.AlarmTopicARN = o.alarmTopic
	return opts, regs, nil
}

func runFix(ctx context.Context, g *globals, o *fixOptions) error {
	opts, regs, err := resolveFix(o)
	if err != nil {
		return err
	}
	if o.undo != "" {
		return runUndo(ctx, g, o)
	}
	if o.apply && !o.yes && !canPrompt(g.stdin) {
		return usageError("no terminal to confirm the changes on: pass --yes to apply without a prompt")
	}
	cfg, err := loadAWSConfig(ctx, o.aws, g.logger, g.debug)
	if err != nil {
		return err
	}
	inv, err := collect.Collect(ctx, cfg, collect.Options{Regions: regs, Concurrency: o.concurrency, Logger: g.logger})
	if err != nil {
		return err
	}
	ruleOpts := rules.DefaultOptions()
	ruleOpts.MinRetentionDays = opts.MinRetentionDays
	fs := rules.Evaluate(inv, rules.All(), ruleOpts)
	clients := fix.NewClients(cfg)
	if err := fix.Probe(ctx, clients, inv.Account.ID, cfg.Region, &opts); err != nil {
		return err
	}
	plan := fix.NewPlan(inv, fs, opts)

	switch o.emit {
	case "cli":
		return fix.EmitCLI(g.stdout, plan)
	case "terraform":
		return fix.EmitTerraform(g.stdout, plan, inv)
	}
	if o.format == "json" {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(plan); err != nil {
			return err
		}
	} else {
		writePlan(g.stdout, plan)
	}
	if !o.apply {
		if plan.Empty() {
			return nil
		}
		fmt.Fprintln(g.stderr, "Nothing was changed. Run again with --apply to make these changes.")
		return errPlanPending
	}
	if plan.Empty() {
		fmt.Fprintln(g.stderr, "Nothing to apply.")
		return nil
	}
	if !o.yes {
		ok, err := confirm(g, fmt.Sprintf("Apply %d changes to account %s? [y/N] ", len(plan.Steps), inv.Account.ID))
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(g.stderr, "Nothing was changed.")
			return nil
		}
	}
	return applyPlan(ctx, g, clients, plan, inv.Account.ID, o.journal)
}

// applyPlan makes the planned changes, journaled, and reports them.
func applyPlan(ctx context.Context, g *globals, clients *fix.Clients, plan *fix.Plan, account, path string) error {
	if path == "" {
		var err error
		if path, err = fix.DefaultJournalPath(time.Now()); err != nil {
			return err
		}
	}
	j := fix.NewJournal(path, account)
	a := &fix.Applier{Clients: clients, Journal: j, Progress: func(e fix.Entry) {
		fmt.Fprintf(g.stderr, "%-8s %s: %s\n", e.Status, e.Step.ID, orDash(e.Error))
	}}
	out, err := a.Apply(ctx, plan)
	if err != nil {
		// %v: an interrupted apply exits 1 with what it changed listed.
		return fmt.Errorf("%v: the changes made so far are listed above", err)
	}
	writeApplyReport(g.stdout, j, out)
	if out.Failed+out.Skipped > 0 {
		return fmt.Errorf("%d of %d changes were not made (%d failed, %d of them partially applied, %d not attempted); journal %s", out.Failed+out.Skipped, len(plan.Steps), out.Failed, out.Partial, out.Skipped, j.Path())
	}
	return nil
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
	undoable := j.Undoable()
	if len(undoable) == 0 {
		fmt.Fprintf(g.stdout, "Journal %s records no change: nothing to undo.\n", o.undo)
		return nil
	}
	if !o.yes && !canPrompt(g.stdin) {
		return usageError("no terminal to confirm the undo on: pass --yes to undo without a prompt")
	}
	cfg, err := loadAWSConfig(ctx, o.aws, g.logger, g.debug)
	if err != nil {
		return err
	}
	clients := fix.NewClients(cfg)
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Errorf("no usable AWS credentials (sts:GetCallerIdentity: %v): set AWS_PROFILE or AWS_ACCESS_KEY_ID", err)
	}
	if acct := aws.ToString(id.Account); acct != j.Account {
		return usageError("journal %s is for account %s but the credentials are for %s: use credentials of %s", o.undo, j.Account, acct, j.Account)
	}
	partial := 0
	for _, e := range undoable {
		if e.Partial() {
			partial++
		}
	}
	fmt.Fprintf(g.stdout, "Journal %s: %d applied and %d partially applied changes to account %s.\n", o.undo, len(undoable)-partial, partial, j.Account)
	for i := len(undoable) - 1; i >= 0; i-- {
		e := undoable[i]
		s := e.Step
		switch {
		case e.Partial():
			for k := len(e.Changes) - 1; k >= 0; k-- {
				ch := e.Changes[k]
				if ch.Reversible {
					fmt.Fprintf(g.stdout, "  revert      %s (partially applied): %s\n", s.ID, ch.Summary)
				} else {
					fmt.Fprintf(g.stdout, "  cannot undo %s (partially applied): %s: %s\n", s.ID, ch.Summary, ch.NotReversible)
				}
			}
		case s.Reversible:
			fmt.Fprintf(g.stdout, "  revert      %s: %s\n", s.ID, s.Summary)
		default:
			fmt.Fprintf(g.stdout, "  cannot undo %s: %s\n", s.ID, s.NotReversible)
		}
	}
	if !o.yes {
		ok, err := confirm(g, fmt.Sprintf("Revert these changes in account %s? [y/N] ", j.Account))
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(g.stderr, "Nothing was changed.")
			return nil
		}
	}
	failed := 0
	for _, r := range fix.Undo(ctx, clients, j) {
		id := r.Step.ID
		if r.Change != "" {
			id += " (partially applied)"
		}
		fmt.Fprintf(g.stdout, "%-12s %s: %s\n", r.Status, id, r.Detail)
		if r.Status == fix.UndoFailed {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d changes could not be reverted; see above", failed)
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
	fmt.Fprintf(w, "Plan for account %s: %d changes (%d not reversible), %d manual, %d not planned\n",
		plan.Account, len(plan.Steps), irreversible, len(plan.Manual), len(plan.Refused))
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
}

func writeApplyReport(w io.Writer, j *fix.Journal, out fix.Outcome) {
	fmt.Fprintf(w, "\nApplied %d, failed %d, not attempted %d. Journal: %s\n", out.Applied, out.Failed, out.Skipped, j.Path())
	for _, e := range j.Entries {
		switch e.Status {
		case fix.Applied:
			fmt.Fprintf(w, "  changed     %s: %s\n", e.Step.ID, e.Step.Summary)
		case fix.Failed:
			fmt.Fprintf(w, "  FAILED      %s: %s\n", e.Step.ID, e.Error)
		default:
			fmt.Fprintf(w, "  not changed %s: %s\n", e.Step.ID, e.Error)
		}
	}
	if out.Applied+out.Partial > 0 {
		fmt.Fprintf(w, "Undo with: trailseal fix --undo %s\n", j.Path())
	}
}
