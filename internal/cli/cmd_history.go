package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/store"
)

// storeOptions are the flags with which history and diff find the store.
type storeOptions struct {
	store      string
	configFile string
}

func addStoreReadFlags(f *pflag.FlagSet, o *storeOptions) {
	f.StringVar(&o.store, "store", storeDefault, "the history store: sqlite:PATH or postgres://USER@HOST/DB "+
		"(default: TRAILSEAL_STORE, else the settings file's store, else ~/.local/share/trailseal/history.db)")
	addConfigFlag(f, &o.configFile)
}

// openReadStore opens the store that history and diff read. A SQLite file
// that does not exist is an error, not a new empty store.
func openReadStore(ctx context.Context, g *globals, o *storeOptions) (*store.Store, error) {
	configured, configuredRef, _ := g.setting("store")
	loc, err := resolveStoreLocation(o.store, true, g.ref("store"), configured, configuredRef)
	if err != nil {
		return nil, err
	}
	if loc == nil {
		return nil, usageError("--store=off: this command reads a store")
	}
	st, err := store.Open(ctx, *loc, store.MustExist)
	if err != nil {
		return nil, storeError(err)
	}
	return st, nil
}

// storeQuery is what history and diff share: the store to read, the
// account to keep to, and the format and file of the output.
type storeQuery struct {
	storeOptions
	account string
	format  string
	output  string
}

// addFlags adds --store, --config, --account (accountHelp says what it
// keeps), --format (one of formats, table by default) and --output.
func (q *storeQuery) addFlags(f *pflag.FlagSet, accountHelp string, formats []string) {
	addStoreReadFlags(f, &q.storeOptions)
	f.StringVar(&q.account, "account", "", accountHelp)
	addFormatFlag(f, &q.format, "table", formats, "")
	addOutputFlag(f, &q.output)
}

func (q *storeQuery) checkAccount() error {
	if q.account != "" && !accountIDPattern.MatchString(q.account) {
		return usageError("--account %q is not a 12-digit account ID", q.account)
	}
	return nil
}

// open checks the output, then opens the store; the caller closes it.
func (q *storeQuery) open(ctx context.Context, g *globals) (*outputFile, *store.Store, error) {
	out := newOutput(g, "--output", q.output)
	if err := checkOutputs(out); err != nil {
		return nil, nil, err
	}
	st, err := openReadStore(ctx, g, &q.storeOptions)
	if err != nil {
		return nil, nil, err
	}
	return out, st, nil
}

type historyOptions struct {
	storeQuery
	limit int
}

func newHistoryCommand(g *globals) *cobra.Command {
	o := &historyOptions{}
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List the scans stored with --store: time, accounts, findings, exit code",
		Long: `History lists the runs that 'trailseal scan --store' recorded, newest first:
the run ID (which 'trailseal diff' takes), when it started, how long it took,
what it scanned, its findings by status and the exit code it ended with.

The store is the one --store names, else the config file's store key (with
--config), else the default SQLite file in the user's data directory. See
docs/history.md.

Exit codes:
` + exitCodesHelp("history"),
		Example: `  # the newest 20 runs in the default store
  trailseal history

  # every run of one account in a team's PostgreSQL store
  trailseal history --store postgres://trailseal@db.internal/trailseal --account 111122223333 --limit 0

  # for scripts
  trailseal history --format json | jq '.[0].counts.FAIL'

  # keep the newest 90 runs, or drop those older than 30 days
  trailseal history prune --keep 90
  trailseal history prune --older-than 30d`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHistory(cmd.Context(), g, o)
		},
	}
	o.addFlags(cmd.Flags(), "only this account ID: the runs that covered it", []string{"table", "json"})
	cmd.Flags().IntVar(&o.limit, "limit", 20, "show at most this many runs (0: all)")
	cmd.AddCommand(newPruneCommand(g))
	return cmd
}

func runHistory(ctx context.Context, g *globals, o *historyOptions) error {
	if o.format != "table" && o.format != "json" {
		return usageError("--format must be table or json, not %q", o.format)
	}
	if o.limit < 0 {
		return usageError("--limit must be 0 (all) or more, got %d", o.limit)
	}
	if err := o.checkAccount(); err != nil {
		return err
	}
	out, st, err := o.open(ctx, g)
	if err != nil {
		return err
	}
	defer st.Close()
	runs, err := st.Runs(ctx, store.Filter{Account: o.account, Limit: o.limit})
	if err != nil {
		return storeError(err)
	}
	return out.write(func(w io.Writer) error {
		if o.format == "json" {
			if runs == nil {
				runs = []store.Run{}
			}
			return writeJSON(w, runs)
		}
		if len(runs) == 0 {
			fmt.Fprintf(w, "No runs stored in %s%s yet: run 'trailseal scan --store'.\n", st.Location(), forAccount(o.account))
			return nil
		}
		writeHistoryTable(w, runs)
		if o.limit > 0 && len(runs) == o.limit {
			fmt.Fprintf(w, "\nThe newest %d runs; --limit 0 shows all. 'trailseal diff' compares the newest two.\n", o.limit)
		}
		return nil
	})
}

func forAccount(account string) string {
	if account == "" {
		return ""
	}
	return " for account " + account
}

func writeHistoryTable(w io.Writer, runs []store.Run) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTARTED (UTC)\tTOOK\tSOURCE\tACCOUNTS\tFAIL\tERROR\tMANUAL\tPASS\tN/A\tEXIT")
	for _, r := range runs {
		c := r.Counts
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\n", r.ID, r.StartedAt.Format("2006-01-02 15:04:05"),
			took(r.FinishedAt.Sub(r.StartedAt)), r.Source, accountList(r.Accounts),
			c[findings.Fail], c[findings.Error], c[findings.Manual], c[findings.Pass], c[findings.NA], r.ExitCode)
	}
	tw.Flush()
}

// took rounds a run's duration to what a reader compares: milliseconds
// under a second, tenths of a second above.
func took(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}

// accountList shows one or two account IDs, or the first and a count.
func accountList(ids []string) string {
	if len(ids) <= 2 {
		return strings.Join(ids, ",")
	}
	return fmt.Sprintf("%s +%d more", ids[0], len(ids)-1)
}

type pruneOptions struct {
	storeOptions
	set       func(string) bool
	keep      int
	olderThan string
	dryRun    bool
}

func newPruneCommand(g *globals) *cobra.Command {
	o := &pruneOptions{}
	cmd := &cobra.Command{
		Use:   "prune (--keep N | --older-than DURATION)",
		Short: "Delete old runs from the history store",
		Long: `Prune deletes stored runs with their snapshots and findings, in one
transaction: either all but the newest N (--keep N), or those that started
more than DURATION ago (--older-than 30d; units d, w, h, m). Run IDs are never
reused. --dry-run lists what would go and deletes nothing.

Exit codes:
` + exitCodesHelp("history prune"),
		Example: `  trailseal history prune --keep 90
  trailseal history prune --older-than 26w --dry-run
  trailseal history prune --older-than 720h --store postgres://trailseal@db.internal/trailseal`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.set = func(name string) bool { return cmd.Flags().Changed(name) }
			return runPrune(cmd.Context(), g, o, time.Now())
		},
	}
	f := cmd.Flags()
	addStoreReadFlags(f, &o.storeOptions)
	f.IntVar(&o.keep, "keep", 0, "keep the newest N runs, delete the rest")
	f.StringVar(&o.olderThan, "older-than", "", "delete runs that started longer ago than this (30d, 2w, 36h)")
	f.BoolVar(&o.dryRun, "dry-run", false, "list the runs that would be deleted, delete nothing")
	return cmd
}

func runPrune(ctx context.Context, g *globals, o *pruneOptions, now time.Time) error {
	var po store.PruneOptions
	switch {
	case o.set("keep") && o.set("older-than"):
		return usageError("give --keep or --older-than, not both")
	case o.set("keep"):
		if o.keep < 1 {
			return usageError("--keep must be at least 1, got %d (to delete every run, delete the store)", o.keep)
		}
		po.Keep = o.keep
	case o.set("older-than"):
		d, err := parseAge(o.olderThan)
		if err != nil {
			return usageError("--older-than: %v", err)
		}
		po.OlderThan = now.Add(-d)
	default:
		return usageError("prune needs --keep N or --older-than DURATION (see 'trailseal history prune --help')")
	}
	po.DryRun = o.dryRun
	st, err := openReadStore(ctx, g, &o.storeOptions)
	if err != nil {
		return err
	}
	defer st.Close()
	ids, err := st.Prune(ctx, po)
	if err != nil {
		return storeError(err)
	}
	verb := "deleted"
	if o.dryRun {
		verb = "would delete"
	}
	fmt.Fprintf(g.stdout, "%s %d runs%s from %s\n", verb, len(ids), runRange(ids), st.Location())
	return nil
}

func runRange(ids []int64) string {
	switch len(ids) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf(" (run %d)", ids[0])
	}
	return fmt.Sprintf(" (runs %d to %d)", ids[0], ids[len(ids)-1])
}

// parseAge reads a positive age: a Go duration (36h, 90m) or a number of
// days or weeks (30d, 2w), which Go's durations lack.
func parseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number of days", s)
		}
		d = time.Duration(days) * 24 * time.Hour
	} else if n, ok := strings.CutSuffix(s, "w"); ok {
		weeks, err := strconv.Atoi(n)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number of weeks", s)
		}
		d = time.Duration(weeks) * 7 * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q is not a duration (30d, 2w, 36h)", s)
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration", s)
	}
	return d, nil
}
