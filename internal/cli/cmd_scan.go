package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/trailseal/trailseal/internal/collect"
	"github.com/trailseal/trailseal/internal/compliance"
	"github.com/trailseal/trailseal/internal/config"
	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/fix"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/regions"
	"github.com/trailseal/trailseal/internal/report"
	"github.com/trailseal/trailseal/internal/rules"
	"github.com/trailseal/trailseal/internal/store"
	"github.com/trailseal/trailseal/internal/suppress"
)

// scanOptions are the flags of 'trailseal scan'.
type scanOptions struct {
	aws awsOptions

	regions      string
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
	concurrency       int

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
` + exitCodesHelp,
		Example: scanExample,
		Args:    noArgsAfterStore,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.set = func(name string) bool { return cmd.Flags().Changed(name) }
			return runScan(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.aws.profile, "profile", "", "use this profile from the AWS config files")
	f.StringVar(&o.aws.roleARN, "role-arn", "", "assume this IAM role before scanning")
	f.StringVar(&o.aws.externalID, "external-id", "", "external ID for --role-arn")
	f.StringVar(&o.regions, "regions", "", "comma-separated regions to scan (default: every region enabled in the account)")
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
	f.IntVar(&o.concurrency, "concurrency", 16, "maximum concurrent AWS API calls")
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

// resolveScan merges the config file and validates every input before any
// AWS call, so that a typo costs nothing.
func resolveScan(o *scanOptions) (*resolvedScan, error) {
	set := o.set
	if set == nil {
		set = func(string) bool { return false }
	}
	r := &resolvedScan{ruleOpts: rules.DefaultOptions(), failOnError: o.failOnError}
	regionList, failOn := o.regions, o.failOn
	ruleIDs := o.ruleIDs
	r.ruleOpts.MinRetentionDays = o.minRetentionDays
	r.ruleOpts.LogArchiveAccount = o.logArchiveAccount
	r.parallel = o.concurrency
	var configuredStore *string
	if o.configFile != "" {
		cf, err := config.Load(o.configFile)
		if err != nil {
			return nil, asUsage(err)
		}
		if len(cf.Regions) > 0 && !set("regions") {
			regionList = strings.Join(cf.Regions, ",")
		}
		if cf.MinRetentionDays != nil && !set("min-retention-days") {
			r.ruleOpts.MinRetentionDays = *cf.MinRetentionDays
		}
		if cf.LogArchiveAccount != nil && !set("log-archive-account") {
			r.ruleOpts.LogArchiveAccount = *cf.LogArchiveAccount
		}
		if cf.FailOn != nil && !set("fail-on") {
			failOn = *cf.FailOn
		}
		if len(cf.Rules) > 0 && !set("rules") {
			ruleIDs = cf.Rules
		}
		if cf.Concurrency != nil && !set("concurrency") {
			r.parallel = *cf.Concurrency
		}
		r.ruleOpts.FullAccessAllowList = cf.FullAccessAllowList
		if cf.FullAccessLimit != nil {
			r.ruleOpts.FullAccessLimit = *cf.FullAccessLimit
		}
		configuredStore = cf.Store
	}
	var err error
	if r.store, err = resolveStoreLocation(o.store, set("store"), configuredStore); err != nil {
		return nil, err
	}
	if regionList != "" {
		rs, err := regions.Parse(regionList)
		if err != nil {
			return nil, usageError("--regions: %v", err)
		}
		r.regions = rs
	}
	sev, err := findings.ParseSeverity(failOn)
	if err != nil {
		return nil, usageError("--fail-on: %v", err)
	}
	r.failOn = sev
	if r.ruleOpts.MinRetentionDays < 1 {
		return nil, usageError("--min-retention-days must be at least 1, got %d", r.ruleOpts.MinRetentionDays)
	}
	if a := r.ruleOpts.LogArchiveAccount; a != "" && !accountIDPattern.MatchString(a) {
		return nil, usageError("--log-archive-account %q is not a 12-digit account ID", a)
	}
	if r.parallel < 1 || r.parallel > 512 {
		return nil, usageError("--concurrency must be between 1 and 512, got %d", r.parallel)
	}
	if r.ruleset, err = rules.Select(rules.All(), ruleIDs); err != nil {
		return nil, asUsage(err)
	}
	for _, name := range strings.Split(o.formats, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		if _, err := report.Lookup(name); err != nil {
			return nil, usageError("--format: %v", err)
		}
		if !slices.Contains(r.formats, name) {
			r.formats = append(r.formats, name)
		}
	}
	if len(r.formats) == 0 {
		return nil, usageError("--format: no format given")
	}
	r.outputDir = o.outputDir
	r.verbose = o.verbose
	switch {
	case o.output != "" && o.outputDir != "":
		return nil, usageError("--output and --output-dir cannot be used together")
	case len(r.formats) > 1 && o.outputDir == "":
		return nil, usageError("several formats need --output-dir (one file per format)")
	}
	if o.snapshot != "" {
		for _, flag := range []string{"profile", "role-arn", "external-id", "regions"} {
			if set(flag) {
				return nil, usageError("--%s cannot be used with --snapshot (a snapshot makes no AWS call)", flag)
			}
		}
		if o.saveSnapshot != "" {
			return nil, usageError("--save-snapshot cannot be used with --snapshot")
		}
	}
	if o.complianceID != "" {
		fw, err := compliance.Load(o.complianceID)
		if err != nil {
			return nil, usageError("--compliance: %v", err)
		}
		if !slices.Contains([]string{"table", "json", "html"}, r.formats[0]) || len(r.formats) > 1 {
			return nil, usageError("--compliance prints a table, JSON or HTML view: use --format table, json or html")
		}
		r.framework = fw
	}
	if o.suppressions != "" {
		sf, err := suppress.Load(o.suppressions)
		if err != nil {
			return nil, asUsage(err)
		}
		if err := sf.Resolve(fullCatalog()); err != nil {
			return nil, asUsage(err)
		}
		r.suppress = sf
	}
	if o.aws.externalID != "" && o.aws.roleARN == "" {
		return nil, usageError("--external-id needs --role-arn")
	}
	if err := validateRoleARN(o.aws.roleARN); err != nil {
		return nil, err
	}
	return r, nil
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
			if errors.Is(err, context.Canceled) {
				return err
			}
			return withCode(ExitRuntime, err)
		}
		if o.saveSnapshot != "" {
			if err := inventory.Save(o.saveSnapshot, inv); err != nil {
				return withCode(ExitRuntime, err)
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

// scanProgress returns a progress callback that draws a bar of collection
// tasks on stderr when it is a terminal (nil otherwise), and a function that
// clears it.
func scanProgress(g *globals) (func(done, total int), func()) {
	if !isTerminal(g.stderr) || g.debug {
		return nil, func() {}
	}
	var mu sync.Mutex
	bar := progressbar.NewOptions(-1,
		progressbar.OptionSetWriter(g.stderr),
		progressbar.OptionSetDescription("collecting"),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	update := func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		bar.ChangeMax(total)
		bar.Set(done)
	}
	return update, func() { bar.Finish() }
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
	catalog := fullCatalog()
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
			return withCode(ExitRuntime, err)
		}
		if err := writeOut(g, output, buf.Bytes()); err != nil {
			return err
		}
		if output != "" {
			fmt.Fprintln(g.stderr, report.Summary(rep))
		}
	case r.outputDir != "":
		if err := os.MkdirAll(r.outputDir, 0o755); err != nil {
			return withCode(ExitRuntime, fmt.Errorf("--output-dir: %w", err))
		}
		for _, format := range r.formats {
			path := filepath.Join(r.outputDir, "report."+fileExtension(format))
			if err := writeReportFile(path, format, rep, catalog); err != nil {
				return err
			}
		}
		fmt.Fprintln(g.stderr, report.Summary(rep))
	case output != "":
		if err := writeReportFile(output, r.formats[0], rep, catalog); err != nil {
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
		return withCode(ExitFindings, nil)
	}
	// Evidence nobody could read is no clean bill of health: a pipeline
	// must not go green on an account that was never audited.
	if r.failOnError && len(rep.Unreadable()) > 0 {
		return withCode(ExitIncomplete, nil)
	}
	return nil
}

func writeStdout(g *globals, rep *findings.Report, format string, verbose bool) error {
	opts := report.Options{Color: g.useColor(g.stdout), Verbose: verbose, Width: terminalWidth(g.stdout), Fixable: fix.Fixable}
	if err := report.Write(g.stdout, format, rep, fullCatalog(), opts); err != nil {
		return withCode(ExitRuntime, err)
	}
	return nil
}

// writeOut writes data to path, or to stdout when path is empty.
func writeOut(g *globals, path string, data []byte) error {
	if path == "" {
		_, err := g.stdout.Write(data)
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return withCode(ExitRuntime, fmt.Errorf("write report: %w", err))
	}
	return nil
}

func writeReportFile(path, format string, rep *findings.Report, catalog []rules.Rule) error {
	var buf bytes.Buffer
	if err := report.Write(&buf, format, rep, catalog, report.Options{Fixable: fix.Fixable}); err != nil {
		return withCode(ExitRuntime, err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return withCode(ExitRuntime, fmt.Errorf("write report: %w", err))
	}
	return nil
}

func fileExtension(format string) string {
	switch format {
	case "table":
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
