package report

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/trailseal/trailseal/internal/verify"
)

// verifyCard is one problem, or one gap with the log files written in it.
type verifyCard struct {
	ID string
	// Verdict groups statuses as the bars do: invalid, missing,
	// unreferenced, unverified, manual, gap. The filter bar selects on it.
	Verdict string
	Status  verify.Status
	// Class colours the card and its badge.
	Class  string
	Kind   string
	Reason verify.Reason
	Codes  []verify.Reason
	// ReasonList is every reason the card stands for, space-separated,
	// for the reason filter.
	ReasonList      string
	Title           string
	Account, Region string
	Object          string
	Time            string
	Detail          string
	Meaning         string
	Facts           []htmlKV
	Recovery        *verifyRecovery
	// Gap, on a gap's card: its period, and the log files written in it.
	Gap     *verify.Gap
	GapLogs []string
	// GapLogsMore counts the files beyond gapLogLimit.
	GapLogsMore int
	// GapEvents are the calls 'verify --hunt' found to have opened and
	// closed the gap; Unexplained what it could not find.
	GapEvents   []verifyGapEvent
	Unexplained string
	Search      string
}

// verifyRecovery is what a versioned bucket keeps of a missing object.
type verifyRecovery struct {
	// Class: pass (a valid version can be restored), fail (modified or
	// gone), na (not known).
	Class, Headline string
	Objects         []verifyRecovered
}

type verifyGapEvent struct {
	Label, What, Source string
}

type verifyRecovered struct {
	Object, Marker, Version, Verdict, Class, Detail, Restore string
}

// gapLogLimit bounds the log files listed on one gap's card; the JSON
// report lists them all.
const gapLogLimit = 200

// verdictGroup is an item's place in the bars and the filter bar.
func verdictGroup(it verify.Item) string {
	switch it.Status {
	case verify.StatusInvalid:
		if it.Primary() == verify.LogUnreferenced {
			return "unreferenced"
		}
		return "invalid"
	case verify.StatusMissing, verify.StatusManual, verify.StatusGap:
		return string(it.Status)
	}
	return "unverified"
}

var verdictClass = map[string]string{"invalid": "fail", "missing": "missing", "unreferenced": "unref",
	"unverified": "error", "manual": "manual", "gap": "gap"}

// verifyCards builds a card per problem and per gap, the worst first. The
// log files written in a gap (LOG_NOT_COVERED) are listed on the gap's
// card rather than each on its own.
func verifyCards(d *verifyDoc) []verifyCard {
	var cards []verifyCard
	gapCards := make([]verifyCard, len(d.Gaps))
	gapsOf := map[string][]int{}
	for i, g := range d.Gaps {
		gapCards[i] = gapCard(d, g, i)
		gapsOf[g.Account+"/"+g.Region] = append(gapsOf[g.Account+"/"+g.Region], i)
	}
	for _, it := range d.Problems {
		if it.Primary() == verify.LogNotCovered {
			if i := gapOfItem(d.Gaps, gapsOf[it.Account+"/"+it.Region], it); i >= 0 {
				c := &gapCards[i]
				if len(c.GapLogs) < gapLogLimit {
					c.GapLogs = append(c.GapLogs, d.name(it.Bucket, it.Key))
					c.Search += " " + strings.ToLower(d.name(it.Bucket, it.Key))
				} else {
					c.GapLogsMore++
				}
				continue
			}
		}
		cards = append(cards, itemCard(d, it, len(cards)))
	}
	for i := range gapCards {
		if c := &gapCards[i]; c.Gap.Logs > 0 {
			c.ReasonList += " " + string(verify.LogNotCovered)
		}
	}
	cards = append(cards, gapCards...)
	sort.SliceStable(cards, func(i, j int) bool { return statusRank(cards[i].Status) > statusRank(cards[j].Status) })
	return cards
}

// gapOfItem finds the gap a LOG_NOT_COVERED file was written in, among
// the gaps of its account and region (candidates): the time in its name
// within the gap, as verify places it.
func gapOfItem(gaps []verify.Gap, candidates []int, it verify.Item) int {
	t, ok := keyTime(it.Key)
	if !ok {
		return -1
	}
	for _, i := range candidates {
		if g := gaps[i]; !t.Before(g.From.Truncate(time.Minute)) && !t.After(g.To) {
			return i
		}
	}
	return -1
}

func itemCard(d *verifyDoc, it verify.Item, n int) verifyCard {
	primary := it.Primary()
	ri := primary.Info()
	c := verifyCard{ID: fmt.Sprintf("p%d", n+1), Verdict: verdictGroup(it), Status: it.Status, Kind: it.Kind, Reason: primary,
		Codes: it.Reasons, Title: ri.Title, Account: it.Account, Region: it.Region, Time: itemTime(it), Detail: it.Detail,
		Meaning: ri.PlainMeaning()}
	c.Class = verdictClass[c.Verdict]
	c.ReasonList = strings.Join(reasonStrings(it.Reasons), " ")
	if it.Key != "" {
		c.Object = d.name(it.Bucket, it.Key)
	}
	if it.Count > 0 {
		c.Facts = append(c.Facts, htmlKV{"hourly digests", fmt.Sprint(it.Count)})
	}
	for _, kv := range []htmlKV{{"version ID", it.VersionID}, {"ETag", it.ETag}, {"signing key", it.KeyFingerprint}, {"key of region", it.KeyRegion}} {
		if kv.V != "" {
			c.Facts = append(c.Facts, kv)
		}
	}
	if it.Size > 0 {
		c.Facts = append(c.Facts, htmlKV{"uncompressed bytes", fmt.Sprint(it.Size)})
	}
	if it.Backfill {
		c.Facts = append(c.Facts, htmlKV{"backfill", "yes"})
	}
	if it.Recovery != nil {
		c.Recovery = recoveryView(d, it)
	}
	search := []string{string(it.Status), it.Kind, reasonCodes(it.Reasons), ri.Title, it.Account, it.Region, c.Object, c.Time, it.Detail}
	for _, f := range c.Facts {
		search = append(search, f.V)
	}
	c.Search = strings.ToLower(strings.Join(search, " "))
	return c
}

func gapCard(d *verifyDoc, g verify.Gap, n int) verifyCard {
	ri := g.Reason.Info()
	c := verifyCard{ID: fmt.Sprintf("g%d", n+1), Verdict: "gap", Class: "gap", Status: verify.StatusGap, Kind: "period",
		Reason: g.Reason, Codes: []verify.Reason{g.Reason}, Title: ri.Title, Account: g.Account, Region: g.Region,
		Time: g.From.UTC().Format(verifyTime) + " to " + g.To.UTC().Format(verifyTime), Meaning: ri.PlainMeaning(), Gap: &g, ReasonList: string(g.Reason)}
	c.Detail = fmt.Sprintf("No digest covers %s (%s, %s): validation or logging was off. %s written then %s not covered. Look for StopLogging and UpdateTrail calls around these times.",
		c.Time, g.Where, duration(g.To.Sub(g.From)), plural(g.Logs, "log file", "log files"), map[bool]string{true: "is", false: "are"}[g.Logs == 1])
	search := []string{"gap", string(g.Reason), string(verify.LogNotCovered), ri.Title, g.Account, g.Region, c.Time, g.Where, g.Unexplained}
	for _, e := range g.Events() {
		c.GapEvents = append(c.GapEvents, verifyGapEvent{Label: e.Label, What: e.Event.Describe(), Source: e.Event.Source()})
		search = append(search, e.Event.Describe())
	}
	c.Unexplained = g.Unexplained
	if len(c.GapEvents) > 0 {
		c.Detail = strings.TrimSuffix(c.Detail, " Look for StopLogging and UpdateTrail calls around these times.")
	}
	c.Search = strings.ToLower(strings.Join(search, " "))
	return c
}

// duration says how long a period is, in the largest whole units.
func duration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%.1f days", d.Hours()/24)
	case d >= 2*time.Hour:
		return fmt.Sprintf("%.1f hours", d.Hours())
	}
	return fmt.Sprintf("%d minutes", int(d.Minutes()))
}

// recoveryView lays out what the bucket keeps of a missing object, in the
// text report's words (verify's RecoveryLines) where it has no versions.
func recoveryView(d *verifyDoc, it verify.Item) *verifyRecovery {
	rec := it.Recovery
	v := &verifyRecovery{Class: "na"}
	if rec.Error != "" || rec.Versioning == "not enabled" || len(rec.Objects) == 0 {
		if rec.Versioning == "not enabled" {
			v.Class = "fail"
		}
		v.Headline = strings.Join(d.recovery(it), "; ")
		return v
	}
	valid := 0
	for _, o := range rec.Objects {
		ro := verifyRecovered{Object: d.name(it.Bucket, o.Key), Detail: o.Detail, Class: "na"}
		if m := o.DeleteMarker; m != nil {
			ro.Marker = fmt.Sprintf("deleted at %s (delete marker %s)", m.Time.UTC().Format(verifyTime), m.VersionID)
		}
		switch {
		case o.Version == nil:
			ro.Verdict, ro.Class = "no version survives", "fail"
		case o.Verdict == verify.VersionValid:
			ro.Verdict, ro.Class, ro.Restore = "valid version "+o.Version.VersionID, "pass", o.Restore
			valid++
		case o.Verdict == verify.VersionModified:
			ro.Verdict, ro.Class = "modified version "+o.Version.VersionID, "fail"
		default:
			ro.Verdict, ro.Restore = "unchecked version "+o.Version.VersionID, o.Restore
		}
		v.Objects = append(v.Objects, ro)
	}
	switch {
	case valid == 1 && len(rec.Objects) == 1:
		v.Class, v.Headline = "pass", "Recoverable: a valid version survives; the command below restores it"
	case valid == len(rec.Objects):
		v.Class, v.Headline = "pass", fmt.Sprintf("Recoverable: a valid version of each of the %d objects survives; the commands below restore them", valid)
	case valid > 0:
		v.Class, v.Headline = "pass", fmt.Sprintf("Partly recoverable: %d of %d objects have a valid version", valid, len(rec.Objects))
	default:
		v.Headline = "Versions found (bucket versioning " + rec.Versioning + "), none verified valid"
	}
	return v
}

// verifyFilterChoices are the options of the filter bar (only values some
// card has) and the reasons the page shows, in the table's order.
func verifyFilterChoices(d *verifyDoc, cards []verifyCard) (verifyFilters, []verify.ReasonInfo) {
	verdicts, kinds, reasons, regions, accounts := map[string]bool{}, map[string]bool{}, map[verify.Reason]bool{}, map[string]bool{}, map[string]bool{}
	for _, c := range cards {
		verdicts[c.Verdict], kinds[c.Kind], regions[c.Region] = true, true, true
		if c.Account != "" {
			accounts[c.Account] = true
		}
		for _, r := range c.Codes {
			reasons[r] = true
		}
		if c.Gap != nil && c.Gap.Logs > 0 {
			reasons[verify.LogNotCovered] = true
		}
	}
	var f verifyFilters
	for _, v := range []string{"invalid", "missing", "unreferenced", "unverified", "manual", "gap"} {
		if verdicts[v] {
			f.Statuses = append(f.Statuses, v)
		}
	}
	for _, k := range []string{"digest", "log", "region", "period"} {
		if kinds[k] {
			f.Kinds = append(f.Kinds, k)
		}
	}
	var infos []verify.ReasonInfo
	for _, ri := range verify.ReasonTable {
		if reasons[ri.Code] {
			infos = append(infos, ri)
			f.Reasons = append(f.Reasons, string(ri.Code))
		}
	}
	f.Regions, f.Accounts = sortedKeys(regions), sortedKeys(accounts)
	if !d.Archive {
		f.Accounts = nil
	}
	return f, infos
}
