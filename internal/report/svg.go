package report

import (
	"fmt"
	"slices"
	"sort"

	"github.com/trailseal/trailseal/internal/findings"
)

// The report's pictures are inline SVG built here as numbers and classes;
// the template only writes them out and the stylesheet colours them. Every
// shape carries data-count (and its key) so that the Chromium test can
// check the picture against the report's counts.

// svgBar is a horizontal bar split into one segment per category, widths in
// percent of the total.
type svgBar struct {
	// Name says what the bar counts ("findings", "controls").
	Name string
	// Filter is the findings filter its legend sets ("status",
	// "severity"), or "" for a legend that filters nothing.
	Filter   string
	Total    int
	Segments []svgSegment
}

// svgSegment is one category of a bar.
type svgSegment struct {
	// Key is the category (a status or severity) and Label its legend text.
	Key, Label, Class string
	N                 int
	// X and W are the segment's offset and width in percent.
	X, W float64
	// Mid is the segment's centre, in percent, where its count is written.
	Mid float64
	// Share is N of the total, rounded, for the legend ("12%").
	Share string
	// Inside is true when the segment is wide enough for its count.
	Inside bool
	// Filter, when set, is the filter a click on its legend entry sets
	// ("kind=log verdict=missing"), for a bar whose legend entries filter
	// on more than one field.
	Filter string
}

// newBar lays out the segments side by side; empty ones keep their legend
// entry but get no width.
func newBar(name string, segs []svgSegment) svgBar {
	b := svgBar{Name: name}
	for _, s := range segs {
		b.Total += s.N
	}
	x := 0.0
	for i := range segs {
		s := &segs[i]
		s.X = x
		if b.Total > 0 {
			s.W = float64(s.N) * 100 / float64(b.Total)
			s.Share = fmt.Sprintf("%.0f%%", s.W)
		}
		s.Mid = x + s.W/2
		s.Inside = s.W >= 4
		x += s.W
	}
	b.Segments = segs
	return b
}

// statusBar counts every finding by status.
func statusBar(rep *findings.Report) svgBar {
	counts := rep.Counts()
	var segs []svgSegment
	for _, s := range findings.Statuses {
		segs = append(segs, svgSegment{Key: string(s), Label: string(s), Class: statusClass(s), N: counts[s]})
	}
	b := newBar("findings", segs)
	b.Filter = "status"
	return b
}

// severityBar counts the unsuppressed FAIL findings by severity.
func severityBar(rep *findings.Report) svgBar {
	bySev := map[findings.Severity]int{}
	for _, f := range rep.Failing(findings.Info) {
		bySev[f.Severity]++
	}
	var segs []svgSegment
	for _, s := range findings.Severities {
		segs = append(segs, svgSegment{Key: string(s), Label: string(s), Class: string(s), N: bySev[s]})
	}
	b := newBar("open FAIL findings", segs)
	b.Filter = "severity"
	return b
}

// htmlAccounts is the per-account part of a report that covers several
// accounts: a heat map of open FAIL findings by account and severity, and a
// table of every account.
type htmlAccounts struct {
	Heat svgHeat
	Rows []htmlAccountRow
	// Shown of Total accounts are in the heat map (the worst first).
	Shown, Total int
}

// htmlAccountRow is one account's findings. Sev counts unsuppressed FAIL
// findings per severity, in findings.Severities order; the others count
// unsuppressed findings by status.
type htmlAccountRow struct {
	ID, Name                string
	Sev                     []int
	Error, Manual, Pass, NA int
	Suppressed              int
	Coverage, CoverageClass string
}

// heatMapLimit bounds the heat map's rows; the table lists every account.
const heatMapLimit = 60

// accountViews returns the per-account view, or nil for a report of one
// account.
func accountViews(rep *findings.Report) *htmlAccounts {
	rows := map[string]*htmlAccountRow{}
	row := func(id string) *htmlAccountRow {
		r := rows[id]
		if r == nil {
			r = &htmlAccountRow{ID: id, Sev: make([]int, len(findings.Severities))}
			rows[id] = r
		}
		return r
	}
	for _, id := range rep.Accounts {
		row(id)
	}
	total := map[string]int{}
	for _, f := range rep.Findings {
		r := row(f.Account)
		if r.Name == "" {
			r.Name = f.AccountName
		}
		total[f.Account]++
		if f.Suppressed != nil {
			r.Suppressed++
			continue
		}
		switch f.Status {
		case findings.Fail:
			if i := slices.Index(findings.Severities, f.Severity); i >= 0 {
				r.Sev[i]++
			}
		case findings.Error:
			r.Error++
		case findings.Manual:
			r.Manual++
		case findings.Pass:
			r.Pass++
		case findings.NA:
			r.NA++
		}
	}
	if len(rows) < 2 {
		return nil
	}
	a := &htmlAccounts{Total: len(rows)}
	for _, r := range rows {
		r.Coverage, r.CoverageClass = coverage(r, total[r.ID])
		a.Rows = append(a.Rows, *r)
	}
	sort.Slice(a.Rows, func(i, j int) bool { return worse(a.Rows[i], a.Rows[j]) })
	a.Shown = min(len(a.Rows), heatMapLimit)
	a.Heat = heatMap(a.Rows[:a.Shown])
	return a
}

// coverage says whether an account was audited: "not scanned" when every
// finding about it is an ERROR (its role could not be assumed), "incomplete"
// when some evidence could not be read.
func coverage(r *htmlAccountRow, total int) (string, string) {
	switch {
	case total == 0:
		return "no findings", "na"
	case r.Error == total:
		return "not scanned", "error"
	case r.Error > 0:
		return fmt.Sprintf("incomplete (%d ERROR)", r.Error), "error"
	}
	return "audited", "pass"
}

// worse orders accounts by their most severe open FAIL findings, then by
// ERROR count, then by ID.
func worse(a, b htmlAccountRow) bool {
	for i := range a.Sev {
		if a.Sev[i] != b.Sev[i] {
			return a.Sev[i] > b.Sev[i]
		}
	}
	if a.Error != b.Error {
		return a.Error > b.Error
	}
	return a.ID < b.ID
}

// svgHeat is the heat map: one row per account, one column per severity,
// each cell shaded by its count against the column's largest.
type svgHeat struct {
	Width, Height int
	Cols          []heatCol
	Rows          []heatRow
}

type heatCol struct {
	X     int
	Label string
}

type heatRow struct {
	Y        int
	ID, Name string
	Cells    []heatCell
}

type heatCell struct {
	X, Y, W, H int
	Severity   string
	N          int
	// Level is 0 for an empty cell, else 1 to 4 by the count's share of
	// the column's largest.
	Level int
}

// Heat map geometry, in SVG user units (pixels at 100%).
const (
	heatLabelWidth = 250
	heatCellWidth  = 76
	heatCellHeight = 28
	heatHeader     = 26
	heatGap        = 2
)

func heatMap(rows []htmlAccountRow) svgHeat {
	h := svgHeat{Width: heatLabelWidth + len(findings.Severities)*heatCellWidth, Height: heatHeader + len(rows)*heatCellHeight}
	colMax := make([]int, len(findings.Severities))
	for _, r := range rows {
		for i, n := range r.Sev {
			colMax[i] = max(colMax[i], n)
		}
	}
	for i, s := range findings.Severities {
		h.Cols = append(h.Cols, heatCol{X: heatLabelWidth + i*heatCellWidth + heatCellWidth/2, Label: string(s)})
	}
	for ri, r := range rows {
		y := heatHeader + ri*heatCellHeight
		hr := heatRow{Y: y + heatCellHeight/2, ID: r.ID, Name: truncate(r.Name, 28)}
		for i, s := range findings.Severities {
			c := heatCell{X: heatLabelWidth + i*heatCellWidth + heatGap/2, Y: y + heatGap/2,
				W: heatCellWidth - heatGap, H: heatCellHeight - heatGap, Severity: string(s), N: r.Sev[i]}
			if c.N > 0 {
				// ceil(4 * n / max): the largest count is level 4.
				c.Level = (4*c.N + colMax[i] - 1) / colMax[i]
			}
			hr.Cells = append(hr.Cells, c)
		}
		h.Rows = append(h.Rows, hr)
	}
	return h
}
