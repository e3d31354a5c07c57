package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"
	"github.com/muesli/termenv"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/rules"
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

// writeTable prints findings grouped by severity, most severe first, then a
// summary line. PASS and N/A rows are shown only with Verbose.
func writeTable(w io.Writer, rep *findings.Report, _ []rules.Rule, opts Options) error {
	re := lipgloss.NewRenderer(w)
	if opts.Color {
		re.SetColorProfile(termenv.ANSI256)
	} else {
		re.SetColorProfile(termenv.Ascii)
	}
	bold := re.NewStyle().Bold(true)

	fmt.Fprintf(w, "%s  accounts: %s  regions: %s  source: %s\n\n",
		bold.Render("trailseal scan"), strings.Join(rep.Accounts, ","), regionSummary(rep.Regions), rep.Source)

	shown := 0
	for _, sev := range findings.Severities {
		var rows [][]string
		var statuses []findings.Status
		for _, f := range rep.Findings {
			if f.Severity != sev || (!opts.Verbose && (f.Status == findings.Pass || f.Status == findings.NA)) {
				continue
			}
			status := string(f.Status)
			if f.Suppressed != nil {
				status += " (suppressed)"
			}
			rows = append(rows, []string{status, f.RuleID, shortResource(f.Resource), f.Region, f.Message})
			statuses = append(statuses, f.Status)
		}
		if len(rows) == 0 {
			continue
		}
		shown += len(rows)
		wrapMessages(rows, opts.Width)
		head := re.NewStyle().Bold(true).Foreground(lipgloss.Color(severityColor[sev]))
		fmt.Fprintf(w, "%s (%d)\n", head.Render(strings.ToUpper(string(sev))), len(rows))
		t := table.New().
			Border(lipgloss.NormalBorder()).
			BorderStyle(re.NewStyle().Foreground(lipgloss.Color("8"))).
			Headers("STATUS", "RULE", "RESOURCE", "REGION", "MESSAGE").
			Rows(rows...).
			StyleFunc(func(row, col int) lipgloss.Style {
				s := re.NewStyle().Padding(0, 1)
				if row == table.HeaderRow {
					return s.Bold(true)
				}
				if col == 0 && row >= 0 && row < len(statuses) {
					return s.Foreground(lipgloss.Color(statusColor[statuses[row]])).Bold(true)
				}
				return s
			})
		fmt.Fprintln(w, t.Render())
		fmt.Fprintln(w)
	}
	if shown == 0 {
		fmt.Fprintln(w, "No failing, erroring or manual findings.")
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, Summary(rep))
	if shown > 0 {
		fmt.Fprintln(w, "How to fix a finding: trailseal explain RULE-ID (console, AWS CLI and Terraform steps), or --format html for a full report.")
	}
	return nil
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

// shortResource keeps the table readable: "arn:aws:cloudtrail:us-west-2:
// 111122223333:trail/legacy-audit" becomes "trail/legacy-audit" (the region
// and account have their own columns or header). Other strings pass through.
func shortResource(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return arn
	}
	service, account, resource := parts[2], parts[4], parts[5]
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

// wrapMessages wraps the last (message) column so the table fits in width
// columns, leaving the short columns intact; lipgloss's own table width
// would squeeze every column alike and split rule IDs.
func wrapMessages(rows [][]string, width int) {
	if width <= 0 || len(rows) == 0 {
		return
	}
	last := len(rows[0]) - 1
	headers := []string{"STATUS", "RULE", "RESOURCE", "REGION"}
	used := 0
	for col := 0; col < last; col++ {
		w := lipgloss.Width(headers[col])
		for _, r := range rows {
			w = max(w, lipgloss.Width(r[col]))
		}
		used += w
	}
	// one border per column plus the closing one, and a padding of one
	// space on each side of every cell.
	msgWidth := width - used - (last + 2) - 2*(last+1)
	if msgWidth < 24 {
		return
	}
	for _, r := range rows {
		r[last] = wordwrap(r[last], msgWidth)
	}
}

// wordwrap breaks s at spaces so that no line is longer than width, and
// hard-breaks words longer than width.
func wordwrap(s string, width int) string {
	var out, line strings.Builder
	flush := func() {
		if out.Len() > 0 {
			out.WriteByte('\n')
		}
		out.WriteString(line.String())
		line.Reset()
	}
	for _, word := range strings.Fields(s) {
		for len(word) > width {
			if line.Len() > 0 {
				flush()
			}
			line.WriteString(word[:width])
			flush()
			word = word[width:]
		}
		if line.Len() > 0 && line.Len()+1+len(word) > width {
			flush()
		}
		if line.Len() > 0 {
			line.WriteByte(' ')
		}
		line.WriteString(word)
	}
	if line.Len() > 0 {
		flush()
	}
	return out.String()
}
