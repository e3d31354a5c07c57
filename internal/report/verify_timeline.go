package report

import (
	"fmt"
	"sort"
	"time"

	"github.com/trailseal/trailseal/internal/verify"
)

// verifyTimeline draws the verified period once per account and region:
// where valid digests cover it, and where digests are missing, invalid or
// unverifiable, where a gap is, and where a log file is wrong. Positions
// are percentages of the period, so the picture scales with the page.
type verifyTimeline struct {
	Rows  []timelineRow
	Ticks []timelineTick
	// Shown of Total chains are drawn (the worst first).
	Shown, Total int
}

type timelineRow struct {
	Account, Region, Label string
	Class                  string
	Outcome                verify.Outcome
	Segs                   []timelineSeg
	Filter                 string
}

type timelineSeg struct {
	// Kind is covered, gap, or a verdict group (missing, invalid,
	// unreferenced, unverified, manual); Class colours it.
	Kind, Class string
	X, W        float64
	From, To    string
	Title       string
}

type timelineTick struct {
	X      float64
	Label  string
	Anchor string
}

// timelineLimit bounds the rows drawn; the tables list every chain.
const timelineLimit = 60

// timelineMinWidth is the narrowest segment drawn, in percent, so that one
// hour of a year or one log file stays visible.
const timelineMinWidth = 0.35

func newVerifyTimeline(d *verifyDoc, rows []verifyChainRow) verifyTimeline {
	tl := verifyTimeline{Total: len(rows), Shown: min(len(rows), timelineLimit), Ticks: timelineTicks(d.Start, d.End)}
	for _, r := range rows[:tl.Shown] {
		tl.Rows = append(tl.Rows, d.timelineRow(r))
	}
	return tl
}

func (d *verifyDoc) timelineRow(r verifyChainRow) timelineRow {
	label := r.Region
	if d.Archive {
		label = r.Account + " " + r.Region
	}
	row := timelineRow{Account: r.Account, Region: r.Region, Label: label, Class: r.Class, Outcome: r.Outcome, Filter: r.Filter}
	add := func(kind, class string, from, to time.Time, title string) {
		x0, x1 := d.pos(from), d.pos(to)
		if x1-x0 < timelineMinWidth {
			mid := (x0 + x1) / 2
			x0 = min(max(mid-timelineMinWidth/2, 0), 100-timelineMinWidth)
			x1 = x0 + timelineMinWidth
		}
		row.Segs = append(row.Segs, timelineSeg{Kind: kind, Class: class, X: x0, W: x1 - x0,
			From: from.UTC().Format(verifyTime), To: to.UTC().Format(verifyTime), Title: title})
	}
	if !r.CoveredFrom.IsZero() {
		add("covered", "pass", r.CoveredFrom, r.CoveredTo, "valid digests cover "+r.CoveredFrom.UTC().Format(verifyTime)+" to "+r.CoveredTo.UTC().Format(verifyTime))
	}
	chainItems, gaps := d.chainProblems(r.Account, r.Region)
	items := append([]verify.Item(nil), chainItems...)
	for _, g := range gaps {
		add("gap", "gap", g.From, g.To, fmt.Sprintf("gap %s to %s: %d log files not covered", g.From.UTC().Format(verifyTime), g.To.UTC().Format(verifyTime), g.Logs))
	}
	// Digests and regions first, log files on top: a log file is a tick
	// that must not disappear under its hour's digest.
	sort.SliceStable(items, func(i, j int) bool { return items[i].Kind != "log" && items[j].Kind == "log" })
	for _, it := range items {
		if it.Primary() == verify.LogNotCovered {
			continue // the gap shows them
		}
		from, to, ok := d.itemSpan(it)
		if !ok {
			continue
		}
		g := verdictGroup(it)
		title := string(it.Primary()) + " " + itemTime(it)
		add(g, verdictClass[g], from, to, title)
	}
	return row
}

// itemSpan is the period an item stands for: a digest's hour (or a range
// of hours), a log file's time, a region's whole period.
func (d *verifyDoc) itemSpan(it verify.Item) (time.Time, time.Time, bool) {
	switch {
	case !it.Start.IsZero() && !it.End.IsZero():
		return it.Start, it.End, true
	case !it.End.IsZero():
		return it.End.Add(-time.Hour), it.End, true
	}
	if t, ok := keyTime(it.Key); ok {
		if it.Kind == "digest" {
			return t.Add(-time.Hour), t, true
		}
		return t, t, true
	}
	if it.Kind == "region" || it.Key == "" {
		return d.Start, d.End, true
	}
	return time.Time{}, time.Time{}, false
}

// pos is a time's place in the period, in percent, clamped to it.
func (d *verifyDoc) pos(t time.Time) float64 {
	span := d.End.Sub(d.Start)
	if span <= 0 {
		return 0
	}
	p := float64(t.Sub(d.Start)) * 100 / float64(span)
	return min(max(p, 0), 100)
}

// timelineTicks labels the period's start, end and three times between.
func timelineTicks(start, end time.Time) []timelineTick {
	layout := "2006-01-02 15:04"
	if end.Sub(start) >= 72*time.Hour {
		layout = "2006-01-02"
	}
	var out []timelineTick
	for i := 0; i <= 4; i++ {
		t := start.Add(end.Sub(start) * time.Duration(i) / 4)
		anchor := "middle"
		switch i {
		case 0:
			anchor = "start"
		case 4:
			anchor = "end"
		}
		out = append(out, timelineTick{X: float64(i) * 25, Label: t.UTC().Format(layout), Anchor: anchor})
	}
	return out
}
