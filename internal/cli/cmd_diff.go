package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"
	"github.com/spf13/cobra"

	"github.com/trailseal/trailseal/internal/drift"
	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/report"
	"github.com/trailseal/trailseal/internal/store"
)

func newDiffCommand(g *globals) *cobra.Command {
	o := &storeQuery{}
	cmd := &cobra.Command{
		Use:   "diff [RUN-A] [RUN-B]",
		Short: "Show what changed between two stored scans: new failures, fixes, changed evidence, drift",
		Long: `Diff compares two runs that 'trailseal scan --store' recorded, over the
accounts both scanned:

  new failures   FAIL in RUN-B, not FAIL (or not reported) in RUN-A
  fixed          FAIL in RUN-A, reported and not FAIL in RUN-B
  no longer      FAIL in RUN-A, not reported in RUN-B (the resource is gone)
  changed        a status change that is neither, or a verdict other than
                 PASS with different evidence
  drift          trails removed, trail destinations changed, logging
                 interrupted and checks that regressed, from RUN-A to RUN-B

With no argument it compares the newest two runs (of --account, when
given); with one, that run and the newest. Run IDs are those of
'trailseal history'. --format markdown writes a pull-request comment.

Exit codes:
` + exitCodesHelp("diff"),
		Example: `  # what changed since the previous scan
  trailseal diff

  # what changed since run 41, as a pull-request comment
  trailseal diff 41 --format markdown > comment.md

  # two given runs of one account, for scripts
  trailseal diff 41 57 --account 111122223333 --format json | jq '.diff.newFailures | length'`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(cmd.Context(), g, o, args)
		},
	}
	o.addFlags(cmd.Flags(), "only this account ID: compare it alone, in the newest runs that covered it", []string{"table", "json", "markdown"})
	return cmd
}

// diffResult is what diff prints, in every format.
type diffResult struct {
	Runs struct {
		A store.Run `json:"a"`
		B store.Run `json:"b"`
	} `json:"runs"`
	Warnings []string   `json:"warnings"`
	Diff     drift.Diff `json:"diff"`
}

func runDiff(ctx context.Context, g *globals, o *storeQuery, args []string) error {
	switch o.format {
	case "table", "json", "markdown":
	default:
		return usageError("--format must be table, json or markdown, not %q", o.format)
	}
	if err := o.checkAccount(); err != nil {
		return err
	}
	ids, err := parseRunIDs(args)
	if err != nil {
		return err
	}
	out, st, err := o.open(ctx, g)
	if err != nil {
		return err
	}
	defer st.Close()
	a, b, err := pickRuns(ctx, st, ids, o.account)
	if err != nil {
		return err
	}
	res := &diffResult{}
	res.Runs.A, res.Runs.B = *a, *b
	runA, err := loadDriftRun(ctx, st, a, o.account)
	if err != nil {
		return storeError(err)
	}
	runB, err := loadDriftRun(ctx, st, b, o.account)
	if err != nil {
		return storeError(err)
	}
	res.Diff = drift.Between(*runA, *runB)
	res.Warnings = diffWarnings(res)
	return out.write(func(w io.Writer) error {
		switch o.format {
		case "json":
			return writeJSON(w, res)
		case "markdown":
			return writeDiffMarkdown(w, res)
		}
		width := defaultWidth
		if out.toStdout() {
			width = terminalWidth(g.stdout)
		}
		writeDiffTable(w, res, out.toStdout() && g.useColor(g.stdout), width)
		return nil
	})
}

func parseRunIDs(args []string) ([]int64, error) {
	var ids []int64
	for _, a := range args {
		id, err := strconv.ParseInt(strings.TrimPrefix(a, "#"), 10, 64)
		if err != nil || id < 1 {
			return nil, usageError("run ID %q is not a positive number (see 'trailseal history')", a)
		}
		ids = append(ids, id)
	}
	if len(ids) == 2 && ids[0] == ids[1] {
		return nil, usageError("cannot compare run %d with itself", ids[0])
	}
	return ids, nil
}

// pickRuns finds the two runs to compare: the given ones, or the newest.
func pickRuns(ctx context.Context, st *store.Store, ids []int64, account string) (*store.Run, *store.Run, error) {
	if len(ids) == 2 {
		a, err := st.Run(ctx, ids[0])
		if err != nil {
			return nil, nil, storeError(err)
		}
		b, err := st.Run(ctx, ids[1])
		if err != nil {
			return nil, nil, storeError(err)
		}
		return a, b, nil
	}
	newest, err := st.Runs(ctx, store.Filter{Account: account, Limit: 2})
	if err != nil {
		return nil, nil, storeError(err)
	}
	if len(ids) == 0 {
		if len(newest) < 2 {
			return nil, nil, usageError("%s holds %d run(s)%s: diff needs two (run 'trailseal scan --store' again)", st.Location(), len(newest), forAccount(account))
		}
		return &newest[1], &newest[0], nil
	}
	a, err := st.Run(ctx, ids[0])
	if err != nil {
		return nil, nil, storeError(err)
	}
	if len(newest) == 0 || newest[0].ID == a.ID {
		return nil, nil, usageError("run %d is the newest run%s: give a second run to compare it with", a.ID, forAccount(account))
	}
	return a, &newest[0], nil
}

// loadDriftRun reads what Between needs of a run: the findings and the
// snapshot of every account it scanned (only account's, when set).
func loadDriftRun(ctx context.Context, st *store.Store, r *store.Run, account string) (*drift.Run, error) {
	out := &drift.Run{ID: r.ID, Time: r.StartedAt, Inventories: map[string]*inventory.Inventory{}}
	for _, acct := range r.Accounts {
		if account != "" && acct != account {
			continue
		}
		inv, err := st.Snapshot(ctx, r.ID, acct)
		if err != nil {
			return nil, err
		}
		if inv != nil {
			out.Inventories[acct] = inv
		}
	}
	fs, err := st.Findings(ctx, r.ID, account)
	if err != nil {
		return nil, err
	}
	out.Findings = fs
	return out, nil
}

func diffWarnings(res *diffResult) []string {
	a, b, d := res.Runs.A, res.Runs.B, res.Diff
	var out []string
	if a.StartedAt.After(b.StartedAt) {
		out = append(out, fmt.Sprintf("run %d is older than run %d: this shows the changes backwards in time", b.ID, a.ID))
	}
	if a.CatalogVersion != b.CatalogVersion {
		out = append(out, fmt.Sprintf("the runs used different rule catalogs (trailseal %s, catalog %s; trailseal %s, catalog %s): "+
			"some new failures or fixes may come from rule changes, not account changes", a.ToolVersion, a.CatalogVersion, b.ToolVersion, b.CatalogVersion))
	}
	if len(d.Accounts) == 0 {
		out = append(out, fmt.Sprintf("run %d and run %d scanned no account in common: nothing to compare", a.ID, b.ID))
	}
	if len(d.OnlyA) > 0 {
		out = append(out, fmt.Sprintf("not compared, scanned only by run %d: %s", a.ID, strings.Join(d.OnlyA, ", ")))
	}
	if len(d.OnlyB) > 0 {
		out = append(out, fmt.Sprintf("not compared, scanned only by run %d: %s", b.ID, strings.Join(d.OnlyB, ", ")))
	}
	return out
}

// diffSection is one category of the diff as rows of text.
type diffSection struct {
	title   string
	headers []string
	rows    [][]string
}

// diffSections lays the diff out for the table and Markdown writers.
func diffSections(d drift.Diff) []diffSection {
	transitions := func(title string, ts []drift.Transition) diffSection {
		s := diffSection{title: title, headers: []string{"SEVERITY", "RULE", "RESOURCE", "REGION", "WAS", "NOW", "MESSAGE"}}
		for _, t := range ts {
			f := t.Finding()
			msg := f.Message
			if t.Before != nil && t.After != nil && t.Before.Message != t.After.Message {
				msg = t.After.Message + " (was: " + t.Before.Message + ")"
			}
			s.rows = append(s.rows, []string{string(f.Severity), f.RuleID, report.ShortResource(f.Resource), f.Region,
				statusText(t.Before), statusText(t.After), msg})
		}
		return s
	}
	sections := []diffSection{
		transitions("New failures", d.NewFailures),
		transitions("Fixed", d.Fixed),
		transitions("No longer reported", d.Vanished),
		transitions("Changed", d.Changed),
	}
	dr := diffSection{title: "Drift", headers: []string{"SEVERITY", "RULE", "RESOURCE", "REGION", "STATUS", "MESSAGE"}}
	for _, f := range d.Drift {
		dr.rows = append(dr.rows, []string{string(f.Severity), f.RuleID, report.ShortResource(f.Resource), f.Region, string(f.Status), f.Message})
	}
	return append(sections, dr)
}

func statusText(f *findings.Finding) string {
	if f == nil {
		return "-"
	}
	return string(f.Status)
}

func diffSummary(d drift.Diff) string {
	return fmt.Sprintf("%d new failures, %d fixed, %d no longer reported, %d changed, %d drift findings",
		len(d.NewFailures), len(d.Fixed), len(d.Vanished), len(d.Changed), len(d.Drift))
}

func runLabel(r store.Run) string {
	return fmt.Sprintf("run %d (%s UTC)", r.ID, r.StartedAt.Format("2006-01-02 15:04:05"))
}

func writeDiffTable(w io.Writer, res *diffResult, color bool, width int) {
	re := report.Renderer(w, color)
	bold := re.NewStyle().Bold(true)
	fmt.Fprintf(w, "%s  %s -> %s  accounts: %s\n\n", bold.Render("trailseal diff"), runLabel(res.Runs.A), runLabel(res.Runs.B),
		strings.Join(res.Diff.Accounts, ","))
	for _, warn := range res.Warnings {
		fmt.Fprintf(w, "warning: %s\n\n", warn)
	}
	for _, s := range diffSections(res.Diff) {
		if len(s.rows) == 0 {
			continue
		}
		fmt.Fprintf(w, "%s (%d)\n", bold.Render(strings.ToUpper(s.title)), len(s.rows))
		wrapLastColumn(s, width)
		t := table.New().
			Border(lipgloss.NormalBorder()).
			BorderStyle(re.NewStyle().Foreground(lipgloss.Color("8"))).
			Headers(s.headers...).
			Rows(s.rows...).
			StyleFunc(func(row, col int) lipgloss.Style {
				st := re.NewStyle().Padding(0, 1)
				if row == table.HeaderRow {
					return st.Bold(true)
				}
				return st
			})
		fmt.Fprintln(w, t.Render())
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, diffSummary(res.Diff))
}

// wrapLastColumn wraps the message column so that the table fits width.
func wrapLastColumn(s diffSection, width int) {
	last := len(s.headers) - 1
	used := 0
	for col := 0; col < last; col++ {
		w := lipgloss.Width(s.headers[col])
		for _, r := range s.rows {
			w = max(w, lipgloss.Width(r[col]))
		}
		used += w
	}
	// Borders between and around the columns, one space of padding on each
	// side of every cell.
	msgWidth := width - used - (last + 2) - 2*(last+1)
	if msgWidth < 24 {
		return
	}
	wrap := lipgloss.NewStyle().Width(msgWidth)
	for _, r := range s.rows {
		r[last] = strings.TrimRight(wrap.Render(r[last]), " ")
	}
}

func writeDiffMarkdown(w io.Writer, res *diffResult) error {
	var b strings.Builder
	a, bRun, d := res.Runs.A, res.Runs.B, res.Diff
	fmt.Fprintf(&b, "### trailseal: what changed from run %d to run %d\n\n", a.ID, bRun.ID)
	fmt.Fprintf(&b, "%s → %s; accounts compared: %s.\n\n", runLabel(a), runLabel(bRun), mdList(d.Accounts))
	fmt.Fprintf(&b, "**%s**\n\n", diffSummary(d))
	for _, warn := range res.Warnings {
		fmt.Fprintf(&b, "> **Warning:** %s\n\n", mdCell(warn))
	}
	for _, s := range diffSections(d) {
		if len(s.rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "#### %s (%d)\n\n", s.title, len(s.rows))
		headers := make([]string, len(s.headers))
		for i, h := range s.headers {
			headers[i] = strings.ToUpper(h[:1]) + strings.ToLower(h[1:])
		}
		fmt.Fprintf(&b, "| %s |\n|%s\n", strings.Join(headers, " | "), strings.Repeat("---|", len(headers)))
		for _, r := range s.rows {
			cells := slices.Clone(r)
			for i := range cells {
				cells[i] = mdCell(cells[i])
			}
			cells[1], cells[2] = "`"+r[1]+"`", "`"+mdCode(r[2])+"`"
			fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
		}
		b.WriteString("\n")
	}
	b.WriteString("How to fix a finding: `trailseal explain RULE-ID`.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func mdList(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

// mdCell makes text safe in a Markdown table cell of a pull-request
// comment: no column breaks, no line breaks, no HTML.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\r", "", "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}

// mdCode keeps a code span intact: a backtick would end it, a pipe would
// end the cell.
func mdCode(s string) string {
	return strings.NewReplacer("`", "'", "|", `\|`, "\n", " ").Replace(s)
}
