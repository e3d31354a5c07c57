package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/trailseal/trailseal/internal/verify"
)

// The verify page shares the scan report's stylesheet, brand and bars (the
// templates of html.tmpl, cloned) and adds its own blocks from
// verify_html.tmpl: no fonts, scripts or images are loaded.

//go:embed verify_html.tmpl
var verifyHTMLSource string

var verifyHTMLTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(parseHTMLTemplate().Funcs(template.FuncMap{
		"utc":     func(t time.Time) string { return t.UTC().Format(verifyTime) },
		"upper":   strings.ToUpper,
		"verdict": func(o verify.Outcome) string { return o.Verdict() },
	}).Parse(verifyHTMLSource))
})

// verifyPage is what the verify page shows, computed here so that the
// template only lays it out.
type verifyPage struct {
	D       *verifyDoc
	Verdict htmlVerdict
	// Counts is the line under the verdict: problems, gaps, files.
	Counts    string
	Scope     []htmlKV
	DigestBar svgBar
	LogBar    svgBar
	Timeline  verifyTimeline
	Accounts  []verifyAccountRow
	Chains    []verifyChainRow
	Cards     []verifyCard
	Filters   verifyFilters
	// Reasons explains every reason code the page shows.
	Reasons []verify.ReasonInfo
	Notes   []string
	// Hunt is the hunt's timeline section, with 'verify --hunt'.
	Hunt template.HTML
}

type verifyFilters struct {
	Statuses, Kinds, Reasons, Regions, Accounts []string
}

// writeVerifyHTML writes one self-contained page for a security lead: the
// verdict, the digests and log files by verdict, a coverage timeline per
// region, a summary per account and per region with bars, then a card per
// problem and per gap (the worst first) with its reason, times, object,
// version and the command that restores it, behind a filter bar.
func writeVerifyHTML(w io.Writer, d *verifyDoc, o VerifyOptions) error {
	p := verifyPage{D: d, Verdict: verifyVerdict(d), Scope: verifyScope(d)}
	var err error
	if p.Hunt, err = huntSection(o.HuntTimeline); err != nil {
		return err
	}
	p.DigestBar, p.LogBar = digestBar(d.Totals), logBar(d.Totals)
	p.Accounts = verifyAccountRows(d)
	p.Chains = verifyChainRows(d)
	p.Timeline = newVerifyTimeline(d, p.Chains)
	p.Cards = verifyCards(d)
	p.Filters, p.Reasons = verifyFilterChoices(d, p.Cards)
	p.Counts = verifyCountsLine(d)
	p.Notes = verifyNotes(d)
	return verifyHTMLTemplate().ExecuteTemplate(w, "verify-page", p)
}

// verifyVerdict is the answer at the top: VALID, INVALID, GAPS or COULD
// NOT VERIFY, with the text report's result line under it.
func verifyVerdict(d *verifyDoc) htmlVerdict {
	// The result line starts with the verdict the headline already says.
	detail := strings.TrimPrefix(d.ResultLine, d.Outcome.Verdict()+": ")
	detail = strings.TrimPrefix(detail, "UNVERIFIABLE: ")
	detail = strings.ReplaceAll(detail, "(see PROBLEMS)", "(see the problems below)")
	v := htmlVerdict{Headline: d.Outcome.Verdict(), Detail: strings.ToUpper(detail[:1]) + detail[1:]}
	switch d.Outcome {
	case verify.OutcomeValid:
		v.Class = "pass"
	case verify.OutcomeInvalid:
		v.Class = "fail"
	case verify.OutcomeGaps:
		v.Class = "gap"
	default:
		v.Class = "error"
	}
	return v
}

func verifyCountsLine(d *verifyDoc) string {
	t := d.Totals
	var parts []string
	if n := len(d.Problems) - t.LogsNotCovered; n > 0 {
		parts = append(parts, plural(n, "problem", "problems"))
	}
	if len(d.Gaps) > 0 {
		parts = append(parts, plural(len(d.Gaps), "gap", "gaps"))
	}
	parts = append(parts, fmt.Sprintf("%d of %d digests valid", t.DigestsValid, t.DigestsValid+t.DigestsInvalid+t.DigestsMissing+t.DigestsUnverified),
		fmt.Sprintf("%d of %d log files valid", t.LogsValid, t.LogsValid+t.LogsInvalid+t.LogsMissing+t.LogsUnreferenced+t.LogsUnverified+t.LogsNotCovered))
	if t.LogsNotCovered > 0 {
		parts = append(parts, fmt.Sprintf("%d not covered by any digest", t.LogsNotCovered))
	}
	return strings.Join(parts, " · ")
}

func verifyScope(d *verifyDoc) []htmlKV {
	kv := []htmlKV{{"Trail", d.Trail}, {"Location", d.Where}, {"Period", d.Start.UTC().Format(verifyTime) + " to " + d.End.UTC().Format(verifyTime)}}
	if d.Archive {
		accounts := fmt.Sprint(len(d.Accounts))
		if d.Organization != "" {
			accounts += " (" + d.Organization + ")"
		}
		kv = append(kv, htmlKV{"Accounts", accounts}, htmlKV{"Chains", fmt.Sprint(len(d.Chains))})
	} else {
		kv = append(kv, htmlKV{"Account", d.Account}, htmlKV{"Regions", fmt.Sprint(len(d.Chains))})
	}
	return append(kv, htmlKV{"Version", d.Version})
}

// verifyNotes are the facts a reader must know to read the rest: where
// the accounts came from, a shard, a state, a moved trail, accounts not
// verified, regions that could not be learnt.
func verifyNotes(d *verifyDoc) []string {
	var out []string
	if d.ExpectedUnknown != "" {
		out = append(out, "The regions that must have digests could not be learnt ("+d.ExpectedUnknown+"): a region deleted whole cannot be seen, so the run is never a pass; name the regions with --regions.")
	}
	if d.Archive {
		n := "Accounts from " + d.AccountsSource
		if d.AccountsNote != "" {
			n += " (" + d.AccountsNote + ")"
		}
		out = append(out, n+".")
	}
	if d.Shard != nil {
		out = append(out, fmt.Sprintf("Shard %d of %d (0-based): merge the shards' JSON reports with 'trailseal verify merge' for the whole archive.", d.Shard.Index, d.Shard.Count))
	}
	if s := d.State; s != nil {
		n := fmt.Sprintf("State %s: %d chains read since their checkpoint, %d verified again (day folders changed), %d in full; %d advanced.",
			s.Path, s.SinceCheckpoint, s.Again, s.InFull, s.Advanced)
		if !s.Saved {
			n += " NOT SAVED: " + s.Error
		}
		out = append(out, n)
	}
	for _, l := range d.Earlier {
		who := l.Region
		if d.Archive {
			who = l.Account + " " + l.Region
		}
		out = append(out, fmt.Sprintf("%s: the trail was moved; its chain was followed into %s for %s to %s (linked from %s).",
			who, d.location(l.Bucket, l.Prefix), l.From.UTC().Format(verifyTime), l.To.UTC().Format(verifyTime), l.LinkedFrom))
	}
	for _, s := range d.Skipped {
		out = append(out, fmt.Sprintf("Account %s not verified: %s.", s.Account, s.Why))
	}
	return out
}

// digestBar counts hourly digests by verdict; a click on a legend entry
// shows those cards.
func digestBar(c verify.Counts) svgBar {
	return newBar("digests", []svgSegment{
		{Key: "valid", Label: "valid", Class: "pass", N: c.DigestsValid},
		{Key: "invalid", Label: "invalid", Class: "fail", N: c.DigestsInvalid, Filter: "kind=digest verdict=invalid"},
		{Key: "missing", Label: "missing", Class: "missing", N: c.DigestsMissing, Filter: "kind=digest verdict=missing"},
		{Key: "unverified", Label: "could not verify", Class: "error", N: c.DigestsUnverified, Filter: "kind=digest verdict=unverified"},
	})
}

// logBar counts log files by verdict.
func logBar(c verify.Counts) svgBar {
	return newBar("log files", []svgSegment{
		{Key: "valid", Label: "valid", Class: "pass", N: c.LogsValid},
		{Key: "invalid", Label: "modified", Class: "fail", N: c.LogsInvalid, Filter: "kind=log verdict=invalid"},
		{Key: "missing", Label: "missing", Class: "missing", N: c.LogsMissing, Filter: "kind=log verdict=missing"},
		{Key: "unreferenced", Label: "named by no digest", Class: "unref", N: c.LogsUnreferenced, Filter: "kind=log verdict=unreferenced"},
		{Key: "unverified", Label: "could not verify", Class: "error", N: c.LogsUnverified, Filter: "kind=log verdict=unverified"},
		{Key: "gap", Label: "not covered (gap)", Class: "gap", N: c.LogsNotCovered, Filter: "verdict=gap"},
	})
}

// verifyChainRow is one account and region in the summary table.
type verifyChainRow struct {
	verifyChain
	Class              string
	Digests, Logs      svgBar
	Covered            string
	Problems, GapCount int
	// Filter is the card filter a click on the row sets.
	Filter string
}

func verifyChainRows(d *verifyDoc) []verifyChainRow {
	var out []verifyChainRow
	for _, c := range d.Chains {
		items, gaps := d.chainProblems(c.Account, c.Region)
		r := verifyChainRow{verifyChain: c, Class: outcomeClass(c.Outcome), Digests: digestBar(c.Counts), Logs: logBar(c.Counts),
			Problems: len(items), GapCount: len(gaps), Filter: "region=" + c.Region}
		if d.Archive {
			r.Filter = "account=" + c.Account + " " + r.Filter
		}
		if !c.CoveredFrom.IsZero() {
			r.Covered = shortSpan(c.CoveredFrom, c.CoveredTo)
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool { return outcomeRank(out[i].Outcome) > outcomeRank(out[j].Outcome) })
	return out
}

// verifyAccountRow is one account of an archive run.
type verifyAccountRow struct {
	verify.AccountSummary
	Class         string
	Digests, Logs svgBar
}

func verifyAccountRows(d *verifyDoc) []verifyAccountRow {
	var out []verifyAccountRow
	for _, a := range d.Accounts {
		out = append(out, verifyAccountRow{AccountSummary: a, Class: outcomeClass(a.Outcome), Digests: digestBar(a.Counts), Logs: logBar(a.Counts)})
	}
	return out
}

func outcomeClass(o verify.Outcome) string {
	switch o {
	case verify.OutcomeValid:
		return "pass"
	case verify.OutcomeInvalid:
		return "fail"
	case verify.OutcomeGaps:
		return "gap"
	}
	return "error"
}

func outcomeRank(o verify.Outcome) int {
	switch o {
	case verify.OutcomeInvalid:
		return 3
	case verify.OutcomeUnverifiable:
		return 2
	case verify.OutcomeGaps:
		return 1
	}
	return 0
}

// statusRank orders cards: proofs of tampering first, then what could not
// be verified, then gaps.
func statusRank(s verify.Status) int {
	switch s {
	case verify.StatusInvalid, verify.StatusMissing:
		return 3
	case verify.StatusUnverifiable, verify.StatusError, verify.StatusManual:
		return 2
	}
	return 1
}

// shortSpan writes a period to the minute, the date once when both ends
// are on the same day: 2026-03-01 03:01 to 08:01.
func shortSpan(from, to time.Time) string {
	from, to = from.UTC(), to.UTC()
	const day, clock = "2006-01-02", "15:04"
	if from.Format(day) == to.Format(day) {
		return from.Format(day+" "+clock) + " to " + to.Format(clock)
	}
	return from.Format(day+" "+clock) + " to " + to.Format(day+" "+clock)
}
