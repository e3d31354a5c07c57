package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/collect"
	"github.com/trailseal/trailseal/internal/compliance"
	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/fix"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/report"
	"github.com/trailseal/trailseal/internal/rules"
	"github.com/trailseal/trailseal/internal/store"
	"github.com/trailseal/trailseal/internal/suppress"
)

// scanOptions are the flags of 'trailseal scan'.
type scanOptions struct {
	accountFlags
	ruleFlags

	snapshot     string
	saveSnapshot string
	configFile   string

	formats   string
	output    string
	outputDir string
	failOn    string
	// failOnError: unsuppressed ERROR findings exit 4 (audit incomplete).
	failOnError bool
	statuses    []string
	verbose     bool

	complianceID string
	suppressions string

	minRetentionDays  int
	logArchiveAccount string

	org orgOptions

	// store is the history store URL (--store); see scan_store.go.
	store string

	// set reports which flags the user gave on the command line (not
	// those the environment or the settings file filled).
	set func(name string) bool
}

const scanExample = `  # every enabled region, default credential chain
  trailseal scan

  # one profile, two regions
  trailseal scan --profile prod --regions us-east-1,eu-west-1

  # assume an audit role first
  trailseal scan --role-arn arn:aws:iam::111122223333:role/Audit

  # machine-readable findings, and keep the collected inventory
  trailseal scan --format json --output findings.json --save-snapshot acct.json

  # evaluate a saved inventory again, without any AWS call
  trailseal scan --snapshot acct.json --min-retention-days 400

  # only fail the pipeline on high and critical findings
  trailseal scan --fail-on high

  # only the critical and high findings, failures only, no MFA Delete rule
  trailseal scan --severity critical,high --status FAIL --exclude-rules bucket.mfa_delete

  # remember the run and report drift since the previous one (note the '=')
  trailseal scan --store
  trailseal scan --store=postgres://trailseal@db.internal/trailseal`

const settingsHelp = `Settings: a flag on the command line wins over the environment variable
TRAILSEAL_<FLAG> (TRAILSEAL_REGIONS, TRAILSEAL_FAIL_ON, ...), which wins over
the key of the same name in the settings file (--config FILE, else
$TRAILSEAL_CONFIG, else trailseal.yaml in the working folder), which wins
over the default. docs/scan.md lists the settings.`

func newScanCommand(g *globals) *cobra.Command {
	o := &scanOptions{}
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Audit the CloudTrail setup of an account: trails, buckets, keys, log groups, alarms, IAM",
		Long: `Scan collects every CloudTrail trail of the account in every enabled region
(or those given with --regions), together with everything a trail depends on:
its S3 bucket, KMS key, CloudWatch Logs group, metric filters and alarms, the
IAM principals that may turn it off, and AWS Config. It then evaluates the
rule catalog ('trailseal rules') and reports one finding per rule and
resource: PASS, FAIL, ERROR (evidence could not be read), MANUAL (the
resource is in another account) or N/A.

--rules, --exclude-rules and --severity decide what is evaluated and counts
for the exit code; --status only decides what the report shows (the exit
code still counts every finding).

Scan is read-only. The IAM permissions it needs are in docs/permissions.md.

` + settingsHelp + `

Exit codes:
` + exitCodesHelp("scan"),
		Example: scanExample,
		Args:    noArgsAfterStore,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.set = func(name string) bool { return cmd.Flags().Changed(name) }
			return runScan(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	addAccountFlags(f, &o.accountFlags)
	f.StringVar(&o.snapshot, "snapshot", "", "evaluate this saved inventory instead of calling AWS")
	f.StringVar(&o.saveSnapshot, "save-snapshot", "", "also write the collected inventory to this file")
	addConfigFlag(f, &o.configFile)
	addFormatFlag(f, &o.formats, "table", report.Formats(), " (comma-separated with --output-dir)")
	addOutputFlag(f, &o.output)
	f.StringVar(&o.outputDir, "output-dir", "", "write one report per format into this folder (report.<format>; created if missing)")
	f.StringVar(&o.failOn, "fail-on", "low", "exit 3 when a FAIL at or above this severity is found: "+severityNames())
	f.BoolVar(&o.failOnError, "fail-on-error", true, "exit 4 (audit incomplete) when evidence could not be read (ERROR findings) and no FAIL decides the exit code")
	addRuleFlags(f, &o.ruleFlags, "evaluate")
	f.StringSliceVar(&o.statuses, "status", nil, "show only findings of these statuses (comma-separated): "+statusNames()+"; the exit code still counts all")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "show PASS and N/A findings in the table too")
	f.StringVar(&o.complianceID, "compliance", "", "show a compliance view instead of the findings: "+strings.Join(compliance.IDs(), ", "))
	f.StringVar(&o.suppressions, "suppressions", "", "YAML file of accepted findings (rule, resource, reason, expires); see docs/reports.md")
	f.IntVar(&o.minRetentionDays, "min-retention-days", 365, "shortest acceptable retention of trail logs, in days")
	f.StringVar(&o.logArchiveAccount, "log-archive-account", "", "account ID of the dedicated log archive account, if you have one")
	addOrgFlags(f, &o.org)
	addStoreFlag(f, &o.store)
	return cmd
}

var accountIDPattern = regexp.MustCompile(`^\d{12}$`)

// resolvedScan is a scanOptions after the settings, defaults and
// validation have been applied.
type resolvedScan struct {
	regions []string
	formats []string
	failOn  findings.Severity
	// failOnError: exit 4 on unsuppressed ERROR findings.
	failOnError bool
	ruleset     []rules.Rule
	// severities (--severity) keep findings of these severities; statuses
	// (--status) decide what the report shows.
	severities []findings.Severity
	statuses   []findings.Status
	ruleOpts   rules.Options
	parallel   int
	verbose    bool
	framework  *compliance.Framework
	// report is -o (standard output when not given); dir holds one file
	// per format with --output-dir instead; snapshot is --save-snapshot.
	report   *outputFile
	dir      []formatOutput
	snapshot *outputFile
	suppress *suppress.File
	store    *store.Location // nil: no history store
}

// resolveScan validates every input before any AWS call, so that a typo
// costs nothing; the outputs are checked last.
func resolveScan(g *globals, o *scanOptions) (*resolvedScan, error) {
	set := o.set
	if set == nil {
		set = func(string) bool { return false }
	}
	r := &resolvedScan{parallel: o.concurrency, verbose: o.verbose, failOnError: o.failOnError}
	configured, configuredRef, _ := g.setting("store")
	var err error
	if r.store, err = resolveStoreLocation(o.store, set("store"), g.ref("store"), configured, configuredRef); err != nil {
		return nil, err
	}
	if err := r.resolveEvaluation(g, o); err != nil {
		return nil, err
	}
	if err := r.resolveOutput(g, o, set); err != nil {
		return nil, err
	}
	if o.suppressions != "" {
		if r.suppress, err = loadSuppressions(o.suppressions); err != nil {
			return nil, err
		}
	}
	if err := o.aws.validate(); err != nil {
		return nil, err
	}
	var state *outputFile
	if o.org.resume != "" {
		// The state file of an organization scan is read and rewritten.
		state = newOutput(g, "--resume", o.org.resume)
	}
	if err := r.checkOutputs(state); err != nil {
		return nil, err
	}
	return r, nil
}

// formatOutput is one report file of --output-dir.
type formatOutput struct {
	format string
	out    *outputFile
}

// checkOutputs checks every file the scan writes, last, once every other
// input is known good.
func (r *resolvedScan) checkOutputs(more ...*outputFile) error {
	outs := append([]*outputFile{r.report, r.snapshot}, more...)
	for _, d := range r.dir {
		outs = append(outs, d.out)
	}
	return checkOutputs(outs...)
}

// ruleOptions are the options the rules read: flags and settings, and the
// settings file's full-access keys, which have no flag.
func ruleOptions(g *globals, minDays int, archive, archiveRef string) (rules.Options, error) {
	opts := rules.DefaultOptions()
	opts.MinRetentionDays, opts.LogArchiveAccount = minDays, archive
	if v, _, ok := g.fileSetting("full-access-allow-list"); ok {
		opts.FullAccessAllowList = v.List
	}
	if v, ref, ok := g.fileSetting("full-access-limit"); ok {
		if v.Number < 0 {
			return opts, usageError("%s must be 0 or more, got %d", ref, v.Number)
		}
		opts.FullAccessLimit = v.Number
	}
	if opts.MinRetentionDays < 1 {
		return opts, usageError("%s must be at least 1, got %d", g.ref("min-retention-days"), opts.MinRetentionDays)
	}
	if a := opts.LogArchiveAccount; a != "" && !accountIDPattern.MatchString(a) {
		return opts, usageError("%s %q is not a 12-digit account ID", archiveRef, a)
	}
	return opts, nil
}

// resolveEvaluation checks what decides the verdicts: regions, --fail-on,
// the rule options and the rules.
func (r *resolvedScan) resolveEvaluation(g *globals, o *scanOptions) error {
	var err error
	if r.regions, err = parseRegions(g.ref("regions"), o.regions); err != nil {
		return err
	}
	if r.failOn, err = findings.ParseSeverity(o.failOn); err != nil {
		return usageError("%s: %v", g.ref("fail-on"), err)
	}
	if r.ruleOpts, err = ruleOptions(g, o.minRetentionDays, o.logArchiveAccount, g.ref("log-archive-account")); err != nil {
		return err
	}
	if err := checkConcurrency(g.ref("concurrency"), r.parallel); err != nil {
		return err
	}
	if r.ruleset, r.severities, err = g.selectRules(o.ruleFlags); err != nil {
		return err
	}
	if r.statuses, err = parseStatuses(g.ref("status"), o.statuses); err != nil {
		return err
	}
	return nil
}

// resolveOutput checks the formats, where they go, and the flags that
// cannot go with --snapshot or a compliance view.
func (r *resolvedScan) resolveOutput(g *globals, o *scanOptions, set func(string) bool) error {
	for _, name := range strings.Split(o.formats, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		if _, err := report.Lookup(name); err != nil {
			return usageError("--format: %v", err)
		}
		if !slices.Contains(r.formats, name) {
			r.formats = append(r.formats, name)
		}
	}
	switch {
	case len(r.formats) == 0:
		return usageError("--format: no format given")
	case o.output != "" && o.outputDir != "":
		return usageError("--output and --output-dir cannot be used together")
	case len(r.formats) > 1 && o.outputDir == "":
		return usageError("several formats need --output-dir (one file per format)")
	}
	r.report = newOutput(g, "--output", o.output)
	if o.outputDir != "" {
		for _, format := range r.formats {
			path := filepath.Join(o.outputDir, "report."+fileExtension(format))
			r.dir = append(r.dir, formatOutput{format, newOutput(g, "--output-dir", path)})
		}
	}
	if o.saveSnapshot != "" {
		r.snapshot = newOutput(g, "--save-snapshot", o.saveSnapshot)
		r.snapshot.perm = 0o600 // an inventory maps the account's defences
	}
	if o.snapshot != "" {
		// Only flags given on the command line conflict: a region list
		// from the environment or the settings file is for live scans.
		for _, flag := range []string{"profile", "role-arn", "external-id", "regions"} {
			if set(flag) {
				return usageError("--%s cannot be used with --snapshot (a snapshot makes no AWS call)", flag)
			}
		}
		if o.saveSnapshot != "" {
			return usageError("--save-snapshot cannot be used with --snapshot")
		}
	}
	if o.complianceID != "" {
		fw, err := compliance.Load(o.complianceID)
		if err != nil {
			return usageError("--compliance: %v", err)
		}
		if !slices.Contains([]string{"table", "json", "html"}, r.formats[0]) || len(r.formats) > 1 {
			return usageError("--compliance prints a table, JSON or HTML view: use --format table, json or html")
		}
		r.framework = fw
	}
	return nil
}

// loadSuppressions reads a suppressions file and checks its rule IDs.
func loadSuppressions(path string) (*suppress.File, error) {
	sf, err := suppress.Load(path)
	if err != nil {
		return nil, asUsage(err)
	}
	if err := sf.Resolve(catalog.All()); err != nil {
		return nil, asUsage(err)
	}
	return sf, nil
}

func runScan(ctx context.Context, g *globals, o *scanOptions) error {
	if o.org.requested(o.set) {
		return runOrgScan(ctx, g, o)
	}
	r, err := resolveScan(g, o)
	if err != nil {
		return err
	}
	hist, err := openScanHistory(ctx, r.store)
	if err != nil {
		return err
	}
	defer hist.close()
	var inv *inventory.Inventory
	source := "aws"
	if o.snapshot != "" {
		inv, err = inventory.Load(o.snapshot)
		if err != nil {
			return asUsage(err)
		}
		source = "snapshot:" + o.snapshot
	} else {
		cfg, err := loadAWSConfig(ctx, g, o.aws)
		if err != nil {
			return err
		}
		progress, finish := scanProgress(g)
		inv, err = collect.Collect(ctx, cfg, collect.Options{
			Regions:     r.regions,
			Concurrency: r.parallel,
			Logger:      g.logger,
			Progress:    progress,
		})
		finish()
		if err != nil {
			return err
		}
	}
	// The snapshot is written first and on its own: when it cannot be,
	// the report still is, and the other way round.
	var snapErr error
	if r.snapshot != nil {
		snapErr = r.snapshot.write(func(w io.Writer) error { return inventory.Write(w, inv) })
	}
	hist.begin(ctx, []store.Account{{ID: inv.Account.ID, Name: inv.Account.Name, Inventory: inv}})
	rep := evaluate(inv, r.ruleset, r.ruleOpts, source)
	rep.Findings = keepSeverities(rep.Findings, r.severities)
	hist.addDrift(rep)
	return hist.save(ctx, g, rep, afterWrite(snapErr, emit(g, rep, r, nil)))
}

// afterWrite combines a failed write with what came after it: the write
// error, which exits 1, joined to a later error but not to an outcome
// (the report already told the findings).
func afterWrite(writeErr, later error) error {
	if writeErr == nil {
		return later
	}
	if later == nil || silent(later) {
		return writeErr
	}
	return joinErrors(writeErr, later)
}

// applySuppressions marks accepted findings and warns, one line each, about
// entries that have expired and so no longer suppress anything.
func applySuppressions(g *globals, rep *findings.Report, r *resolvedScan) {
	if r.suppress == nil {
		return
	}
	for _, e := range r.suppress.Apply(rep, time.Now()) {
		fmt.Fprintf(g.stderr, "trailseal: warning: %s:%d: suppression of %s on %s expired on %s and no longer applies\n",
			r.suppress.Path, e.Line, e.Rule, e.Resource, e.ExpiresString())
	}
}

// evaluate runs the rules over an inventory and builds the report.
func evaluate(inv *inventory.Inventory, ruleset []rules.Rule, opts rules.Options, source string) *findings.Report {
	return &findings.Report{
		Tool:        "trailseal",
		Version:     Version(),
		GeneratedAt: time.Now().UTC(),
		Source:      source,
		Accounts:    []string{inv.Account.ID},
		Regions:     inv.Regions,
		Findings:    rules.Evaluate(inv, ruleset, opts),
	}
}

// emit writes the report in every requested format and decides the exit
// code from the unsuppressed FAIL findings at or above --fail-on. Output is
// written in full before the exit code is returned; an output that cannot
// be written does not stop the others.
//
// afterTable, when set, adds to the terminal table (the organization scan's
// per-account summary); it runs after suppressions are applied.
func emit(g *globals, rep *findings.Report, r *resolvedScan, afterTable func(io.Writer)) error {
	applySuppressions(g, rep, r)
	shown := showStatuses(rep, r.statuses)
	verbose := r.verbose || len(r.statuses) > 0 // --status decides what shows
	var err error
	switch {
	case r.framework != nil:
		err = emitCompliance(g, rep, r)
	case len(r.dir) > 0:
		var errs []error
		for _, d := range r.dir {
			errs = append(errs, d.out.write(func(w io.Writer) error { return writeReport(w, d.format, shown) }))
		}
		g.info(report.Summary(rep))
		err = joinErrors(errs...)
	case !r.report.toStdout():
		err = r.report.write(func(w io.Writer) error { return writeReport(w, r.formats[0], shown) })
		g.info(report.Summary(rep))
	default:
		err = writeStdout(g, shown, r.formats[0], verbose)
		if err == nil && r.formats[0] == "table" && afterTable != nil {
			afterTable(g.stdout)
		}
		if err == nil && len(r.statuses) > 0 {
			// The report counts what it shows; the run is more.
			g.info("all findings (--status shows some): " + report.Summary(rep))
		}
	}
	if err != nil {
		return err
	}
	if failing := rep.Failing(r.failOn); len(failing) > 0 {
		return errFindings
	}
	// Evidence nobody could read is no clean bill of health: a pipeline
	// must not go green on an account that was never audited.
	if r.failOnError && len(rep.Unreadable()) > 0 {
		return errUnreadable
	}
	return nil
}

// showStatuses is the report as --status shows it: only findings of those
// statuses (all without --status). The exit code and the store use the
// whole report.
func showStatuses(rep *findings.Report, statuses []findings.Status) *findings.Report {
	if len(statuses) == 0 {
		return rep
	}
	shown := *rep
	shown.Findings = nil
	for _, f := range rep.Findings {
		if slices.Contains(statuses, f.Status) {
			shown.Findings = append(shown.Findings, f)
		}
	}
	return &shown
}

// emitCompliance writes the compliance view of the report.
func emitCompliance(g *globals, rep *findings.Report, r *resolvedScan) error {
	view := compliance.Evaluate(r.framework, rep)
	color := r.report.toStdout() && g.useColor(g.stdout)
	err := r.report.write(func(w io.Writer) error {
		if r.formats[0] == "html" {
			return report.WriteComplianceHTML(w, view, rep)
		}
		return compliance.WriteView(w, view, r.formats[0], color)
	})
	if err == nil && !r.report.toStdout() {
		g.info(report.Summary(rep))
	}
	return err
}

func writeStdout(g *globals, rep *findings.Report, format string, verbose bool) error {
	opts := report.Options{Color: g.useColor(g.stdout), Verbose: verbose, Width: terminalWidth(g.stdout), Fixable: fix.Fixable}
	return report.Write(g.stdout, format, rep, catalog.All(), opts)
}

// writeReport writes the report in format to a file.
func writeReport(w io.Writer, format string, rep *findings.Report) error {
	return report.Write(w, format, rep, catalog.All(), report.Options{Fixable: fix.Fixable})
}

func fileExtension(format string) string {
	switch format {
	case "table", "text":
		return "txt"
	case "sarif":
		return "sarif.json"
	case "asff":
		return "asff.json"
	case "ocsf":
		return "ocsf.json"
	case "junit":
		return "junit.xml"
	}
	return format
}
