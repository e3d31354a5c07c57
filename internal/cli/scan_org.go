package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/orgscan"
	"github.com/trailseal/trailseal/internal/rules"
)

// orgOptions are the flags of 'trailseal scan --org'.
type orgOptions struct {
	enabled         bool
	roleName        string
	accounts        string
	excludeAccounts string
	resume          string
}

// orgOnlyFlags make sense only with --org.
var orgOnlyFlags = []string{"role-name", "accounts", "exclude-accounts", "resume"}

func addOrgFlags(f *pflag.FlagSet, o *orgOptions) {
	f.BoolVar(&o.enabled, "org", false, "scan every ACTIVE account of the AWS Organization (run from the management account or a delegated administrator)")
	f.StringVar(&o.roleName, "role-name", "", "with --org: the IAM role to assume in each account (required)")
	f.StringVar(&o.accounts, "accounts", "", "with --org: scan only these account IDs (comma-separated)")
	f.StringVar(&o.excludeAccounts, "exclude-accounts", "", "with --org: skip these account IDs (comma-separated)")
	f.StringVar(&o.resume, "resume", "", "with --org: record finished accounts in this state file and skip those it already holds")
}

// requested reports whether the user asked for an organization scan, or gave
// one of its flags (which then needs --org).
func (o *orgOptions) requested(set func(string) bool) bool {
	if o.enabled {
		return true
	}
	for _, name := range orgOnlyFlags {
		if set != nil && set(name) {
			return true
		}
	}
	return false
}

var roleNamePattern = regexp.MustCompile(`^[\w+=,.@/-]{1,64}$`)

// parseAccountList reads a comma-separated list of 12-digit account IDs.
func parseAccountList(flag, s string) ([]string, error) {
	var out []string
	for _, id := range strings.Split(s, ",") {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		if !accountIDPattern.MatchString(id) {
			return nil, usageError("--%s: %q is not a 12-digit account ID", flag, id)
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// orgScanPlan is the validated input of an organization scan.
type orgScanPlan struct {
	r                 *resolvedScan
	opts              orgscan.Options
	fullRuleset       bool
	defaultedParallel bool
}

func resolveOrgScan(g *globals, o *scanOptions) (*orgScanPlan, error) {
	set := o.set
	if set == nil {
		set = func(string) bool { return false }
	}
	if !o.org.enabled {
		for _, name := range orgOnlyFlags {
			if set(name) {
				return nil, usageError("--%s needs --org", name)
			}
		}
	}
	switch {
	case o.snapshot != "":
		return nil, usageError("--org cannot be used with --snapshot (a snapshot holds one account)")
	case o.aws.roleARN != "":
		return nil, usageError("--org cannot be used with --role-arn: give the role to assume in each account with --role-name")
	case o.saveSnapshot != "":
		return nil, usageError("--org cannot be used with --save-snapshot: use --resume FILE, which keeps every account's inventory")
	case o.org.roleName == "":
		return nil, usageError("--org needs --role-name, the IAM role to assume in every account")
	case !roleNamePattern.MatchString(o.org.roleName):
		return nil, usageError("--role-name %q is not an IAM role name (letters, digits and +=,.@_-, up to 64 characters; no ARN)", o.org.roleName)
	}
	include, err := parseAccountList("accounts", o.org.accounts)
	if err != nil {
		return nil, err
	}
	exclude, err := parseAccountList("exclude-accounts", o.org.excludeAccounts)
	if err != nil {
		return nil, err
	}
	if set("accounts") && len(include) == 0 {
		return nil, usageError("--accounts: no account ID given")
	}

	// The shared validation treats --external-id as belonging to
	// --role-arn; in an organization scan it goes with --role-name.
	shared := *o
	shared.aws.externalID = ""
	r, err := resolveScan(g, &shared)
	if err != nil {
		return nil, err
	}
	p := &orgScanPlan{r: r}
	if !set("concurrency") && r.parallel == 16 {
		// 16 suits one account; an organization has calls to spare for
		// many more in flight, and the limiter paces each service.
		r.parallel = orgscan.DefaultConcurrency
		p.defaultedParallel = true
	}
	p.fullRuleset = len(r.ruleset) == len(rules.All())
	p.opts = orgscan.Options{
		RoleName:    o.org.roleName,
		ExternalID:  o.aws.externalID,
		Accounts:    include,
		Exclude:     exclude,
		Regions:     r.regions,
		Concurrency: r.parallel,
		StatePath:   o.org.resume,
	}
	return p, nil
}

// runOrgScan scans every selected account of the organization and reports
// them together. An account that cannot be scanned is an ERROR finding, not
// a runtime error; only an organization that cannot be read at all, or with
// no account scanned, exits 1.
func runOrgScan(ctx context.Context, g *globals, o *scanOptions) error {
	plan, err := resolveOrgScan(g, o)
	if err != nil {
		return err
	}
	hist, err := openScanHistory(ctx, plan.r.store)
	if err != nil {
		return err
	}
	defer hist.close()
	cfg, err := loadAWSConfig(ctx, awsOptions{profile: o.aws.profile}, g.logger, g.debug)
	if err != nil {
		return err
	}
	opts := plan.opts
	opts.Logger = g.logger
	var progressTo io.Writer = g.stderr
	if g.quiet {
		progressTo = io.Discard
	}
	prog := newOrgProgress(progressTo, isTerminal(g.stderr) && !g.quiet, plan.r.ruleset, plan.r.ruleOpts)
	opts.Started, opts.Finished = prog.started, prog.finished
	stop := prog.run()
	res, scanErr := orgscan.Scan(ctx, cfg, opts)
	stop()

	interrupted := errors.Is(scanErr, context.Canceled)
	switch {
	case errors.Is(scanErr, orgscan.ErrState):
		return asUsage(fmt.Errorf("--resume: %w", scanErr))
	case res == nil:
		return scanErr
	case scanErr != nil && !interrupted:
		// The scan finished but the state file could not be written:
		// report what was found, then fail.
		g.logger.Warn("resume state not saved", "error", scanErr)
	}

	if !interrupted {
		hist.begin(ctx, orgStoreAccounts(res))
	}
	fs := keepSeverities(orgscan.Evaluate(res, plan.r.ruleset, plan.r.ruleOpts, plan.fullRuleset), plan.r.severities)
	rep := orgReport(res, fs, plan.r.regions)
	if !interrupted {
		hist.addDrift(rep)
	}
	emitErr := emit(g, rep, plan.r, func(w io.Writer) {
		writeAccountSummary(w, orgscan.Summarize(res, rep.Findings))
	})

	if interrupted {
		fmt.Fprintf(g.stderr, "interrupted: %d of %d accounts finished%s\n", len(res.Accounts), len(res.Accounts)+len(res.Pending), resumeHint(o.org.resume))
		return scanErr
	}
	if scanErr != nil {
		return fmt.Errorf("--resume: %w", scanErr)
	}
	if !anyScanned(res) {
		return fmt.Errorf("no account of organization %s could be scanned: check that role %s exists in the accounts and trusts account %s",
			res.Organization.ID, o.org.roleName, res.Organization.CallerAccountID)
	}
	// Only a finished scan is stored: an interrupted one returned above.
	return hist.save(ctx, g, rep, emitErr)
}

func resumeHint(state string) string {
	if state == "" {
		return " (use --resume FILE to keep progress across runs)"
	}
	return "; run the same command again to resume from " + state
}

func anyScanned(res *orgscan.Result) bool {
	for _, r := range res.Accounts {
		if r.Inventory != nil {
			return true
		}
	}
	return false
}

// orgReport builds the report of an organization scan: every account it
// covers, and the regions scanned (as asked, or as found).
func orgReport(res *orgscan.Result, fs []findings.Finding, regions []string) *findings.Report {
	var accounts []string
	for _, r := range res.Accounts {
		accounts = append(accounts, r.Account.ID)
	}
	if len(regions) == 0 {
		seen := map[string]bool{}
		for _, r := range res.Accounts {
			if r.Inventory == nil {
				continue
			}
			for _, reg := range r.Inventory.Regions {
				if !seen[reg] {
					seen[reg] = true
					regions = append(regions, reg)
				}
			}
		}
		slices.Sort(regions)
	}
	return &findings.Report{
		Tool:        "trailseal",
		Version:     Version(),
		GeneratedAt: time.Now().UTC(),
		Source:      "aws-org:" + res.Organization.ID,
		Accounts:    accounts,
		Regions:     regions,
		Findings:    fs,
	}
}

// writeAccountSummary prints one line per account: whether it was scanned
// and its unsuppressed findings by status.
func writeAccountSummary(w io.Writer, summary []orgscan.AccountSummary) {
	if len(summary) == 0 {
		return
	}
	fmt.Fprintln(w, "\nPer account:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tNAME\tSCAN\tFAIL\tERROR\tMANUAL\tPASS\tN/A")
	for _, s := range summary {
		state := "ok"
		if !s.Scanned {
			state = "not scanned (" + s.Problem + ")"
		}
		c := s.Counts
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\n", s.Account.ID, s.Account.Name, state,
			c[findings.Fail], c[findings.Error], c[findings.Manual], c[findings.Pass], c[findings.NA])
	}
	tw.Flush()
}

// orgProgress shows accounts done, FAIL findings so far and unreachable
// accounts on one stderr line, redrawn a few times a second, when stderr is
// a terminal.
type orgProgress struct {
	w        io.Writer
	live     bool
	ruleset  []rules.Rule
	ruleOpts rules.Options

	mu                         sync.Mutex
	total, done, fails, denied int
	start                      time.Time
}

func newOrgProgress(w io.Writer, live bool, ruleset []rules.Rule, opts rules.Options) *orgProgress {
	return &orgProgress{w: w, live: live, ruleset: ruleset, ruleOpts: opts, start: time.Now()}
}

func (p *orgProgress) started(total, resumed int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total = total
	if resumed > 0 && !p.live {
		fmt.Fprintf(p.w, "resuming: %d of %d accounts already finished\n", resumed, total)
	}
}

func (p *orgProgress) finished(r orgscan.AccountResult) {
	fails := 0
	if p.live && r.Inventory != nil {
		// A per-account evaluation is cheap next to collecting it, and
		// gives the running count a user watches for.
		for _, f := range rules.Evaluate(r.Inventory, p.ruleset, p.ruleOpts) {
			if f.Status == findings.Fail {
				fails++
			}
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	p.fails += fails
	if r.AccessError != nil {
		p.denied++
	}
}

func (p *orgProgress) line() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.total == 0 {
		return "listing the organization's accounts..."
	}
	return fmt.Sprintf("accounts %d/%d  FAIL findings %d  accounts not scanned %d  %s",
		p.done, p.total, p.fails, p.denied, time.Since(p.start).Round(time.Second))
}

// run starts redrawing and returns a function that stops and clears the
// line.
func (p *orgProgress) run() (stop func()) {
	if !p.live {
		return func() {}
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			fmt.Fprintf(p.w, "\r\033[K%s", p.line())
			select {
			case <-quit:
				fmt.Fprint(p.w, "\r\033[K")
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(quit); wg.Wait() }
}
