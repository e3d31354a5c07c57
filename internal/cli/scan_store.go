package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/sync/errgroup"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/drift"
	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/orgscan"
	"github.com/trailseal/trailseal/internal/rules"
	"github.com/trailseal/trailseal/internal/store"
)

// storeDefault is the value of a bare --store: the store the config file
// names, else the SQLite file in the user's data directory.
const storeDefault = "default"

// storeOff disables a store that the config file names.
const storeOff = "off"

const storeFlagUsage = "remember this run in a history store and report drift since the previous run: " +
	"sqlite:PATH or postgres://USER@HOST/DB; a bare --store uses the config file's store, else " +
	"~/.local/share/trailseal/history.db; --store=off disables it (see docs/history.md)"

// addStoreFlag adds --store to scan. Its value is optional, so it must be
// joined with '=' (--store=sqlite:h.db); noArgsAfterStore explains that
// when it is not.
func addStoreFlag(f *pflag.FlagSet, p *string) {
	f.StringVar(p, "store", "", storeFlagUsage)
	f.Lookup("store").NoOptDefVal = storeDefault
}

// noArgsAfterStore is scan's argument check: none allowed, and a store URL
// given after a space instead of '=' gets a message that says so.
func noArgsAfterStore(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		if fl := cmd.Flags().Lookup("store"); fl != nil && fl.Changed && fl.Value.String() == storeDefault {
			return usageError("--store takes its URL after '=': --store=%s", args[0])
		}
	}
	return cobra.NoArgs(cmd, args)
}

// resolveStoreLocation decides which store a command uses: the flag's
// value (given, or filled from the environment or the settings file),
// except that a bare --store takes the configured store; nil when none
// (scan's default). The refs name where each value came from, for errors.
func resolveStoreLocation(flag string, flagSet bool, flagRef, configured, configuredRef string) (*store.Location, error) {
	value, ref := strings.TrimSpace(flag), flagRef
	if flagSet && flag == storeDefault && configured != "" && configured != storeOff {
		value, ref = strings.TrimSpace(configured), configuredRef
	}
	switch value {
	case "", storeOff:
		return nil, nil
	}
	loc, err := store.ParseLocation(value)
	if err != nil {
		return nil, usageError("%s: %v", ref, trimInvalid(err))
	}
	return &loc, nil
}

// trimInvalid drops the "invalid store: " prefix of a store.ErrInvalid,
// which the flag name already says.
func trimInvalid(err error) string {
	return strings.TrimPrefix(err.Error(), store.ErrInvalid.Error()+": ")
}

// storeError maps an error of the store to an exit code: a store that
// cannot be used as given is a usage error, anything else (a server that
// does not answer, a failed write) a runtime error.
func storeError(err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, store.ErrInvalid), errors.Is(err, store.ErrNotFound):
		return usageError("--store: %s", trimInvalid(err))
	case errors.Is(err, store.ErrNoRun):
		return usageError("%v (see 'trailseal history')", err)
	}
	return fmt.Errorf("store: %w", err)
}

// catalogVersion identifies the rule catalog a run was evaluated with: a
// digest of every rule's ID, severity and frameworks, so that it changes
// when a rule is added, removed or re-rated, without anyone having to
// remember to bump a number. 'trailseal diff' warns when two runs differ.
func catalogVersion() string {
	h := sha256.New()
	for _, r := range catalog.All() {
		fmt.Fprintf(h, "%s\x00%s\x00", r.ID, r.Severity)
		for _, f := range r.Frameworks {
			fmt.Fprintf(h, "%s=%s\x00", f.Framework, f.Control)
		}
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// scanHistory is a scan's connection to its history store.
type scanHistory struct {
	st      *store.Store
	started time.Time

	// Filled by begin while the rules run, read after wait.
	work     *errgroup.Group
	accounts []store.Account
	prior    []*drift.Side // by index of accounts; nil: no previous run
	problem  []error       // by index of accounts: the previous run is unreadable
}

// openScanHistory opens the store before anything is collected, so that a
// bad URL or an unreachable server costs no AWS call. It returns nil when
// the scan has no store.
func openScanHistory(ctx context.Context, loc *store.Location) (*scanHistory, error) {
	if loc == nil {
		return nil, nil
	}
	st, err := store.Open(ctx, *loc, store.Create)
	if err != nil {
		return nil, storeError(err)
	}
	return &scanHistory{st: st, started: time.Now().UTC()}, nil
}

func (h *scanHistory) close() {
	if h == nil {
		return
	}
	if h.work != nil {
		h.work.Wait() // a scan that failed after begin
	}
	h.st.Close()
}

// priorWorkers bounds the accounts whose previous run is read, and whose
// snapshot is encoded, at once: the PostgreSQL pool has four connections.
const priorWorkers = 4

// begin starts the store's share of the work as soon as the inventories
// exist, while the rules run: reading each account's previous run and
// encoding each snapshot. addDrift and save wait for it.
func (h *scanHistory) begin(ctx context.Context, accounts []store.Account) {
	if h == nil {
		return
	}
	h.accounts = accounts
	h.prior = make([]*drift.Side, len(accounts))
	h.problem = make([]error, len(accounts))
	h.work = &errgroup.Group{}
	h.work.SetLimit(priorWorkers)
	for i := range accounts {
		a := &h.accounts[i]
		if a.Inventory == nil {
			continue
		}
		h.work.Go(func() error {
			h.prior[i], h.problem[i] = h.previous(ctx, a.ID)
			var err error
			if a.Snapshot, err = store.EncodeSnapshot(a.Inventory); err != nil {
				return fmt.Errorf("encode the snapshot of %s: %w", a.ID, err)
			}
			return nil
		})
	}
}

// addDrift compares every scanned account with its previous stored run and
// adds the drift findings to the report.
func (h *scanHistory) addDrift(rep *findings.Report) {
	if h == nil {
		return
	}
	h.work.Wait()
	for i, a := range h.accounts {
		if a.Inventory == nil {
			continue
		}
		cur := drift.Side{Time: h.started, Inventory: a.Inventory, Findings: findingsOf(rep.Findings, a.ID)}
		var fs []findings.Finding
		if h.problem[i] != nil {
			fs = drift.Unavailable(cur, h.problem[i].Error())
		} else {
			fs = drift.Compare(h.prior[i], cur)
		}
		for i := range fs {
			fs[i].AccountName = a.Name
		}
		rep.Findings = append(rep.Findings, fs...)
	}
	rules.SortFindings(rep.Findings)
}

// previous loads an account's side of its newest stored run, or nil: the
// run and its snapshot, and the findings that passed (all the regression
// check compares).
func (h *scanHistory) previous(ctx context.Context, account string) (*drift.Side, error) {
	prior, err := h.st.LatestSnapshot(ctx, account)
	if err != nil || prior == nil {
		return nil, err
	}
	fs, err := h.st.Passed(ctx, prior.RunID, account)
	if err != nil {
		return nil, err
	}
	return &drift.Side{RunID: prior.RunID, Time: prior.StartedAt, Inventory: prior.Inventory, Findings: fs}, nil
}

func findingsOf(fs []findings.Finding, account string) []findings.Finding {
	var out []findings.Finding
	for _, f := range fs {
		if f.Account == account {
			out = append(out, f)
		}
	}
	return out
}

// save stores the run once its report is out, with the exit code the scan
// ends with (decided by emitErr), and returns that outcome; a failed write
// is a runtime error, reported after the findings.
func (h *scanHistory) save(ctx context.Context, g *globals, rep *findings.Report, emitErr error) error {
	if h == nil {
		return emitErr
	}
	if err := h.work.Wait(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	id, err := h.st.Save(ctx, &store.Record{
		StartedAt:      h.started,
		FinishedAt:     time.Now().UTC(),
		Source:         rep.Source,
		ToolVersion:    Version(),
		CatalogVersion: catalogVersion(),
		ExitCode:       exitCode(emitErr),
		Regions:        slices.Clone(rep.Regions),
		Accounts:       h.accounts,
		Findings:       rep.Findings,
	})
	if err != nil {
		return storeError(err)
	}
	g.info("run %d stored in %s", id, h.st.Location())
	return emitErr
}

// orgStoreAccounts lists every account an organization scan covered, with
// the inventory of those it could scan.
func orgStoreAccounts(res *orgscan.Result) []store.Account {
	out := make([]store.Account, 0, len(res.Accounts))
	for _, r := range res.Accounts {
		out = append(out, store.Account{ID: r.Account.ID, Name: r.Account.Name, Inventory: r.Inventory})
	}
	return out
}
