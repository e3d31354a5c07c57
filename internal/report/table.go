package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/findings"
)

var severityColor = map[findings.Severity]string{
	findings.Critical: "9",
	findings.High:     "202",
	findings.Medium:   "11",
	findings.Low:      "12",
	findings.Info:     "8",
}

var statusColor = map[findings.Status]string{
	findings.Fail:   "9",
	findings.Error:  "13",
	findings.Manual: "14",
	findings.Pass:   "10",
	findings.NA:     "8",
}

// tableRow is one finding as the terminal shows it.
type tableRow struct {
	status   findings.Status
	label    string // the status, with " (suppressed)" when it is
	rule     string
	resource string
	region   string
	message  string
}

// Layout limits of the terminal table.
const (
	// minMessageWidth is the narrowest message column the boxed table may
	// have; below it the narrow layout reads better.
	minMessageWidth = 32
	// tableOverhead is what the boxed table adds to its five columns: six
	// vertical borders and one space of padding on each side of each cell.
	tableOverhead = 6 + 2*5
	// narrowIndent indents the lines under a finding's status and rule in
	// the narrow layout.
	narrowIndent = 8
)

// Renderer styles text written to w: in 256 colours when color is set,
// as plain text otherwise, whatever w's terminal could show. The table,
// the hunt timeline and the diff table use it.
func Renderer(w io.Writer, color bool) *lipgloss.Renderer {
	re := lipgloss.NewRenderer(w)
	re.SetColorProfile(termenv.Ascii)
	if color {
		re.SetColorProfile(termenv.ANSI256)
	}
	return re
}

// writeTable prints findings grouped by severity, most severe first, then a
// summary line. PASS and N/A rows are shown only with Verbose.
//
// With a width, every line fits in it: the boxed table when its short
// columns leave room for a message column of minMessageWidth, otherwise a
// narrow layout with the status and rule on one line and the resource and
// message wrapped on their own lines below.
func writeTable(w io.Writer, rep *findings.Report, _ []catalog.Rule, opts Options) error {
	re := Renderer(w, opts.Color)
	bold := re.NewStyle().Bold(true)
	lw := &lineWriter{w: w, width: opts.Width}

	lw.para(fmt.Sprintf("%s  accounts: %s  regions: %s  source: %s",
		bold.Render("trailseal scan"), strings.Join(rep.Accounts, ","), regionSummary(rep.Regions), rep.Source))
	lw.blank()

	groups := tableGroups(rep, opts.Verbose)
	narrow := opts.Width > 0 && !boxFits(groups, opts.Width)
	shown := 0
	for _, sev := range findings.Severities {
		rows := groups[sev]
		if len(rows) == 0 {
			continue
		}
		shown += len(rows)
		head := re.NewStyle().Bold(true).Foreground(lipgloss.Color(severityColor[sev]))
		lw.line(fmt.Sprintf("%s (%d)", head.Render(strings.ToUpper(string(sev))), len(rows)))
		if narrow {
			writeNarrow(lw, re, rows)
		} else {
			lw.line(boxTable(re, rows, opts.Width))
		}
		lw.blank()
	}
	if shown == 0 {
		lw.para("No failing, erroring or manual findings.")
		lw.blank()
	}
	lw.para(Summary(rep))
	if shown > 0 {
		lw.para("How to fix a finding: trailseal explain RULE-ID (console, AWS CLI and Terraform steps), or --format html for a full report.")
	}
	return lw.err
}

// tableGroups collects the rows to show, by severity.
func tableGroups(rep *findings.Report, verbose bool) map[findings.Severity][]tableRow {
	groups := map[findings.Severity][]tableRow{}
	for _, f := range rep.Findings {
		if !verbose && (f.Status == findings.Pass || f.Status == findings.NA) {
			continue
		}
		label := string(f.Status)
		if f.Suppressed != nil {
			label += " (suppressed)"
		}
		groups[f.Severity] = append(groups[f.Severity], tableRow{status: f.Status, label: label, rule: f.RuleID,
			resource: ShortResource(f.Resource), region: f.Region, message: f.Message})
	}
	return groups
}

// shortColumns returns the widths of the four short columns, headers
// included, over the rows given.
func shortColumns(rows []tableRow) [4]int {
	cols := [4]int{len("STATUS"), len("RULE"), len("RESOURCE"), len("REGION")}
	for _, r := range rows {
		for i, s := range []string{r.label, r.rule, r.resource, r.region} {
			cols[i] = max(cols[i], ansi.StringWidth(s))
		}
	}
	return cols
}

// boxFits reports whether every severity's boxed table fits in width with
// a message column of at least minMessageWidth. One answer for the whole
// report, so that its sections look alike.
func boxFits(groups map[findings.Severity][]tableRow, width int) bool {
	for _, rows := range groups {
		cols := shortColumns(rows)
		if width-(cols[0]+cols[1]+cols[2]+cols[3])-tableOverhead < minMessageWidth {
			return false
		}
	}
	return true
}

// boxTable renders rows as a bordered table whose message column is
// wrapped to what width leaves (no wrapping when width is 0). Wrapping is
// ours, not lipgloss's: its table width would squeeze every column alike
// and split rule IDs.
func boxTable(re *lipgloss.Renderer, rows []tableRow, width int) string {
	cols := shortColumns(rows)
	msgWidth := 0
	if width > 0 {
		msgWidth = width - (cols[0] + cols[1] + cols[2] + cols[3]) - tableOverhead
	}
	cells := make([][]string, len(rows))
	for i, r := range rows {
		msg := r.message
		if msgWidth > 0 {
			msg = strings.Join(wrapText(msg, msgWidth), "\n")
		}
		cells[i] = []string{r.label, r.rule, r.resource, r.region, msg}
	}
	return table.New().
		Border(lipgloss.NormalBorder()).
		BorderStyle(re.NewStyle().Foreground(lipgloss.Color("8"))).
		Headers("STATUS", "RULE", "RESOURCE", "REGION", "MESSAGE").
		Rows(cells...).
		StyleFunc(func(row, col int) lipgloss.Style {
			s := re.NewStyle().Padding(0, 1)
			if row == table.HeaderRow {
				return s.Bold(true)
			}
			if col == 0 && row >= 0 && row < len(rows) {
				return s.Foreground(lipgloss.Color(statusColor[rows[row].status])).Bold(true)
			}
			return s
		}).Render()
}

// writeNarrow prints each finding as a small block:
//
//	FAIL    bucket.public_access
//	        us-west-2  bucket/acme-legacy-cloudtrail
//	        acme-legacy-cloudtrail: ACL grants READ to AllUsers and
//	        IgnorePublicAcls is off; ...
//
// with a blank line between findings.
func writeNarrow(lw *lineWriter, re *lipgloss.Renderer, rows []tableRow) {
	indent := narrowIndent
	if lw.width < 3*narrowIndent {
		indent = 2
	}
	body := max(lw.width-indent, 1)
	pad := strings.Repeat(" ", indent)
	for i, r := range rows {
		if i > 0 {
			lw.blank()
		}
		status := re.NewStyle().Bold(true).Foreground(lipgloss.Color(statusColor[r.status])).Render(string(r.status))
		gap := strings.Repeat(" ", max(indent-len(r.status), 1))
		rule := r.rule
		if r.label != string(r.status) {
			rule += " (suppressed)"
		}
		// The status and the rule share the first line when both fit.
		first := wrapText(rule, max(lw.width-len(r.status)-len(gap), 1))
		if len(first) == 1 {
			lw.line(status + gap + re.NewStyle().Bold(true).Render(first[0]))
		} else {
			lw.line(status)
			for _, l := range wrapText(rule, body) {
				lw.line(pad + re.NewStyle().Bold(true).Render(l))
			}
		}
		where := strings.TrimSpace(r.region + "  " + r.resource)
		if ansi.StringWidth(where) <= body {
			lw.line(pad + where)
		} else {
			for _, l := range wrapText(where, body) {
				lw.line(pad + l)
			}
		}
		for _, l := range wrapText(r.message, body) {
			lw.line(pad + l)
		}
	}
}

// lineWriter writes lines, remembering the first error, and wraps
// paragraphs to its width (0: no wrapping).
type lineWriter struct {
	w     io.Writer
	width int
	err   error
}

func (b *lineWriter) line(s string) {
	if b.err == nil {
		_, b.err = fmt.Fprintln(b.w, s)
	}
}

func (b *lineWriter) blank() { b.line("") }

// para writes s, wrapped at spaces when it is wider than the width.
func (b *lineWriter) para(s string) {
	if b.width <= 0 || ansi.StringWidth(s) <= b.width {
		b.line(s)
		return
	}
	for _, l := range wrapText(s, b.width) {
		b.line(l)
	}
}

// Summary is the one-line tally printed at the end of the table, for example
// "34 findings: 5 FAIL (1 critical, 4 high), 1 ERROR, 0 MANUAL, 26 PASS, 2 N/A".
func Summary(rep *findings.Report) string {
	counts := rep.Counts()
	bySev := make(map[findings.Severity]int)
	suppressed := 0
	for _, f := range rep.Findings {
		if f.Status != findings.Fail {
			continue
		}
		if f.Suppressed != nil {
			suppressed++
			continue
		}
		bySev[f.Severity]++
	}
	var sevParts []string
	for _, s := range findings.Severities {
		if bySev[s] > 0 {
			sevParts = append(sevParts, fmt.Sprintf("%d %s", bySev[s], s))
		}
	}
	fail := fmt.Sprintf("%d FAIL", counts[findings.Fail])
	if len(sevParts) > 0 {
		fail += " (" + strings.Join(sevParts, ", ") + ")"
	}
	parts := []string{fail}
	for _, st := range []findings.Status{findings.Error, findings.Manual, findings.Pass, findings.NA} {
		parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
	}
	line := fmt.Sprintf("%d findings: %s", len(rep.Findings), strings.Join(parts, ", "))
	if suppressed > 0 {
		line += fmt.Sprintf("; %d FAIL suppressed", suppressed)
	}
	if unread := rep.Unreadable(); len(unread) > 0 {
		ruleIDs := map[string]bool{}
		for _, f := range unread {
			ruleIDs[f.RuleID] = true
		}
		what := fmt.Sprintf("%d rules could not read their evidence", len(ruleIDs))
		if len(ruleIDs) == 1 {
			what = "1 rule could not read its evidence"
		}
		line += "; AUDIT INCOMPLETE: " + what + " (see the ERROR findings)"
	}
	return line
}

func regionSummary(regions []string) string {
	if len(regions) <= 4 {
		return strings.Join(regions, ",")
	}
	return fmt.Sprintf("%s,... (%d)", strings.Join(regions[:3], ","), len(regions))
}

// ShortResource keeps a table readable: "arn:aws:cloudtrail:us-west-2:
// 111122223333:trail/legacy-audit" becomes "trail/legacy-audit" (the region
// and account have their own columns or header). Other strings pass through.
func ShortResource(s string) string {
	a, err := arn.Parse(s)
	if err != nil {
		return s
	}
	service, account, resource := a.Service, a.AccountID, a.Resource
	switch {
	case service == "s3" && account == "":
		return "bucket/" + resource
	case service == "iam" && resource == "root":
		return "account/" + account
	case service == "logs":
		return strings.TrimSuffix(resource, ":*")
	}
	return resource
}

// wrapText breaks s at spaces into lines of at most width terminal cells,
// and hard-breaks a word longer than width (an ARN, a policy). Widths are
// measured in cells, not bytes, and ANSI styling is not counted.
func wrapText(s string, width int) []string {
	if width < 1 {
		width = 1
	}
	var lines []string
	var line strings.Builder
	lineWidth := 0
	flush := func() {
		lines = append(lines, line.String())
		line.Reset()
		lineWidth = 0
	}
	for _, word := range strings.Fields(s) {
		ww := ansi.StringWidth(word)
		if lineWidth > 0 && lineWidth+1+ww <= width {
			line.WriteByte(' ')
			line.WriteString(word)
			lineWidth += 1 + ww
			continue
		}
		if lineWidth > 0 {
			flush()
		}
		if ww <= width {
			line.WriteString(word)
			lineWidth = ww
			continue
		}
		parts := strings.Split(ansi.Hardwrap(word, width, true), "\n")
		lines = append(lines, parts[:len(parts)-1]...)
		line.WriteString(parts[len(parts)-1])
		lineWidth = ansi.StringWidth(parts[len(parts)-1])
	}
	if lineWidth > 0 || len(lines) == 0 {
		flush()
	}
	return lines
}
