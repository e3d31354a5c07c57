package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/collect"
	"github.com/trailseal/trailseal/internal/compliance"
	"github.com/trailseal/trailseal/internal/config"
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

	snapshot     string
	saveSnapshot string
	configFile   string

	formats   string
	output    string
	outputDir string
	failOn    string
	// failOnError: unsuppressed ERROR findings exit 4 (audit incomplete).
	failOnError bool
	ruleIDs     []string
	verbose     bool

	complianceID string
	suppressions string

	minRetentionDays  int
	logArchiveAccount string

	org orgOptions

	// store is the history store URL (--store); see scan_store.go.
	store string

	// set reports which flags the user gave, so the config file only fills
	// the others.
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

  # remember the run and report drift since the previous one (note the '=')
  trailseal scan --store
  trailseal scan --store=postgres://trailseal@db.internal/trailseal`

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

Scan is read-only. The IAM permissions it needs are in docs/permissions.md.

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
	f.StringVar(&o.configFile, "config", "", "read settings from this YAML file (flags override it)")
	f.StringVarP(&o.formats, "format", "f", "table", "output format: "+strings.Join(report.Formats(), ", ")+" (comma-separated with --output-dir)")
	f.StringVarP(&o.output, "output", "o", "", "write the report to this file instead of stdout")
	f.StringVar(&o.outputDir, "output-dir", "", "write one report per format into this directory (report.<format>)")
	f.StringVar(&o.failOn, "fail-on", "low", "exit 3 when a FAIL at or above this severity is found: critical, high, medium, low, info")
	f.BoolVar(&o.failOnError, "fail-on-error", true, "exit 4 (audit incomplete) when evidence could not be read (ERROR findings) and no FAIL decides the exit code")
	f.StringSliceVar(&o.ruleIDs, "rules", nil, "evaluate only these rule IDs (comma-separated)")
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

// resolvedScan is a scanOptions after the config file, defaults and
// validation have been applied.
type resolvedScan struct {
	regions []string
	formats []string
	failOn  findings.Severity
	// failOnError: exit 4 on unsuppressed ERROR findings.
	failOnError bool
	ruleset     []rules.Rule
	ruleOpts    rules.Options
	parallel    int
	outputDir   string
	verbose     bool
	framework   *compliance.Framework
	suppress    *suppress.File
	store       *store.Location // nil: no history store
}

// scanSettings are the settings the config file may give, before
// validation: a flag the user gave wins over the file.
type scanSettings struct {
	regions  string
	failOn   string
	ruleIDs  []string
	ruleOpts rules.Options
	parallel int
	store    *string // the config file's store, if any
}

// resolveScan merges the config file and validates every input before any
// AWS call, so that a typo costs nothing.
func resolveScan(o *scanOptions) (*resolvedScan, error) {
	set := o.set
	if set == nil {
		set = func(string) bool { return false }
	}
	in, err := scanConfig(o, set)
	if err != nil {
		return nil, err
	}
	r := &resolvedScan{ruleOpts: in.ruleOpts, parallel: in.parallel, outputDir: o.outputDir, verbose: o.verbose, failOnError: o.failOnError}
	if r.store, err = resolveStoreLocation(o.store, set("store"), in.store); err != nil {
		return nil, err
	}
	if err := r.resolveEvaluation(in); err != nil {
		return nil, err
	}
	if err := r.resolveOutput(o, set); err != nil {
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
	return r, nil
}

// scanConfig reads the config file, if any, under the flags.
func scanConfig(o *scanOptions, set func(string) bool) (scanSettings, error) {
	in := scanSettings{regions: o.regions, failOn: o.failOn, ruleIDs: o.ruleIDs, ruleOpts: rules.DefaultOptions(), parallel: o.concurrency}
	in.ruleOpts.MinRetentionDays = o.minRetentionDays
	in.ruleOpts.LogArchiveAccount = o.logArchiveAccount
	if o.configFile == "" {
		return in, nil
	}
	cf, err := config.Load(o.configFile)
	if err != nil {
		return in, asUsage(err)
	}
	if len(cf.Regions) > 0 && !set("regions") {
		in.regions = strings.Join(cf.Regions, ",")
	}
	if cf.MinRetentionDays != nil && !set("min-retention-days") {
		in.ruleOpts.MinRetentionDays = *cf.MinRetentionDays
	}
	if cf.LogArchiveAccount != nil && !set("log-archive-account") {
		in.ruleOpts.LogArchiveAccount = *cf.LogArchiveAccount
	}
	if cf.FailOn != nil && !set("fail-on") {
		in.failOn = *cf.FailOn
	}
	if len(cf.Rules) > 0 && !set("rules") {
		in.ruleIDs = cf.Rules
	}
	if cf.Concurrency != nil && !set("concurrency") {
		in.parallel = *cf.Concurrency
	}
	in.ruleOpts.FullAccessAllowList = cf.FullAccessAllowList
	if cf.FullAccessLimit != nil {
		in.ruleOpts.FullAccessLimit = *cf.FullAccessLimit
	}
	in.store = cf.Store
	return in, nil
}

// resolveEvaluation checks what decides the verdicts: regions, --fail-on,
// the rule options and the rules.
func (r *resolvedScan) resolveEvaluation(in scanSettings) error {
	var err error
	if in.regions != "" {
		if r.regions, err = parseRegions(in.regions); err != nil {
			return err
		}
	}
	if r.failOn, err = findings.ParseSeverity(in.failOn); err != nil {
		return usageError("--fail-on: %v", err)
	}
	if r.ruleOpts.MinRetentionDays < 1 {
		return usageError("--min-retention-days must be at least 1, got %d", r.ruleOpts.MinRetentionDays)
	}
	if a := r.ruleOpts.LogArchiveAccount; a != "" && !accountIDPattern.MatchString(a) {
		return usageError("--log-archive-account %q is not a 12-digit account ID", a)
	}
	if r.parallel < 1 || r.parallel > 512 {
		return usageError("--concurrency must be between 1 and 512, got %d", r.parallel)
	}
	if r.ruleset, err = rules.Select(rules.All(), in.ruleIDs); err != nil {
		return asUsage(err)
	}
	return nil
}

// resolveOutput checks the formats, where they go, and the flags that
// cannot go with --snapshot or a compliance view.
func (r *resolvedScan) resolveOutput(o *scanOptions, set func(string) bool) error {
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
	if o.snapshot != "" {
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
	r, err := resolveScan(o)
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
		cfg, err := loadAWSConfig(ctx, o.aws, g.logger, g.debug)
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
		if o.saveSnapshot != "" {
			if err := inventory.Save(o.saveSnapshot, inv); err != nil {
				return err
			}
		}
	}
	hist.begin(ctx, []store.Account{{ID: inv.Account.ID, Name: inv.Account.Name, Inventory: inv}})
	rep := evaluate(inv, r.ruleset, r.ruleOpts, source)
	hist.addDrift(rep)
	return hist.save(ctx, g, rep, emit(g, rep, r, o.output, nil))
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
// written in full before the exit code is returned.
//
// afterTable, when set, adds to the terminal table (the organization scan's
// per-account summary); it runs after suppressions are applied.
func emit(g *globals, rep *findings.Report, r *resolvedScan, output string, afterTable func(io.Writer)) error {
	applySuppressions(g, rep, r)
	switch {
	case r.framework != nil:
		view := compliance.Evaluate(r.framework, rep)
		var buf bytes.Buffer
		color := output == "" && g.useColor(g.stdout)
		write := func() error { return compliance.WriteView(&buf, view, r.formats[0], color) }
		if r.formats[0] == "html" {
			write = func() error { return report.WriteComplianceHTML(&buf, view, rep) }
		}
		if err := write(); err != nil {
			return err
		}
		if err := writeOut(g, output, buf.Bytes()); err != nil {
			return err
		}
		if output != "" {
			fmt.Fprintln(g.stderr, report.Summary(rep))
		}
	case r.outputDir != "":
		if err := os.MkdirAll(r.outputDir, 0o755); err != nil {
			return fmt.Errorf("--output-dir: %w", err)
		}
		for _, format := range r.formats {
			path := filepath.Join(r.outputDir, "report."+fileExtension(format))
			if err := writeReportFile(path, format, rep); err != nil {
				return err
			}
		}
		fmt.Fprintln(g.stderr, report.Summary(rep))
	case output != "":
		if err := writeReportFile(output, r.formats[0], rep); err != nil {
			return err
		}
		fmt.Fprintln(g.stderr, report.Summary(rep))
	default:
		if err := writeStdout(g, rep, r.formats[0], r.verbose); err != nil {
			return err
		}
		if r.formats[0] == "table" && afterTable != nil {
			afterTable(g.stdout)
		}
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

func writeStdout(g *globals, rep *findings.Report, format string, verbose bool) error {
	opts := report.Options{Color: g.useColor(g.stdout), Verbose: verbose, Width: terminalWidth(g.stdout), Fixable: fix.Fixable}
	return report.Write(g.stdout, format, rep, catalog.All(), opts)
}

// writeOut writes data to path, or to stdout when path is empty.
func writeOut(g *globals, path string, data []byte) error {
	if path == "" {
		_, err := g.stdout.Write(data)
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

func writeReportFile(path, format string, rep *findings.Report) error {
	var buf bytes.Buffer
	if err := report.Write(&buf, format, rep, catalog.All(), report.Options{Fixable: fix.Fixable}); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
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
