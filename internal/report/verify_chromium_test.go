package report

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trailseal/trailseal/internal/verify"
)

// The verify page is checked in headless Chromium like the scan report
// (openInChromium): screenshots go to $TRAILSEAL_SCREENSHOT_DIR.

// TestVerifyHTMLInChromium opens the archive page, checks its pictures
// against the report's counts, then filters as a reader would.
func TestVerifyHTMLInChromium(t *testing.T) {
	ar := verifyArchive(t)
	p := openInChromium(t, renderVerify(t, "html", ar))
	p.screenshot("verify-archive-wide.png")
	t.Run("offline", func(t *testing.T) { checkOffline(t, p) })
	t.Run("verdict", func(t *testing.T) { checkVerifyVerdict(t, p, ar.Outcome) })
	t.Run("bars", func(t *testing.T) { checkVerifyBars(t, p, "#by-digest", "#by-log", ar.Totals) })
	t.Run("tables", func(t *testing.T) { checkVerifyTables(t, p, ar) })
	t.Run("timeline", func(t *testing.T) { checkVerifyTimeline(t, p, ar) })
	t.Run("cards", func(t *testing.T) { checkVerifyCards(t, p, ar.Problems, ar.Gaps) })
	t.Run("filters", func(t *testing.T) { checkVerifyFilters(t, p, ar) })
	t.Run("narrow", func(t *testing.T) {
		p.do(chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#cards")))
		if eval[bool](p, `document.documentElement.scrollWidth > window.innerWidth + 1`) {
			t.Error("the page scrolls sideways at 390px wide")
		}
		p.screenshot("verify-archive-narrow.png")
	})
}

// TestVerifyAccountHTMLInChromium opens one account's page: no account
// table or filter, a row per region, the cards of the real run.
func TestVerifyAccountHTMLInChromium(t *testing.T) {
	r := verifyAccount(t)
	p := openInChromium(t, renderVerify(t, "html", r))
	p.screenshot("verify-account.png")
	checkOffline(t, p)
	checkVerifyVerdict(t, p, r.Outcome)
	var totals verify.Counts
	for _, s := range r.Summary {
		c := s.Counts()
		totals.DigestsValid += c.DigestsValid
		totals.DigestsMissing += c.DigestsMissing
		totals.DigestsInvalid += c.DigestsInvalid
		totals.DigestsUnverified += c.DigestsUnverified
		totals.LogsValid += c.LogsValid
		totals.LogsInvalid += c.LogsInvalid
		totals.LogsMissing += c.LogsMissing
		totals.LogsUnreferenced += c.LogsUnreferenced
		totals.LogsUnverified += c.LogsUnverified
		totals.LogsNotCovered += c.LogsNotCovered
	}
	checkVerifyBars(t, p, "#by-digest", "#by-log", totals)
	// The page names the report's account on each problem.
	problems := r.Problems()
	for i := range problems {
		problems[i].Account = r.Account
	}
	gaps := append([]verify.Gap(nil), r.Gaps...)
	for i := range gaps {
		gaps[i].Account = r.Account
	}
	checkVerifyCards(t, p, problems, gaps)
	if n := eval[int](p, `document.querySelectorAll("#vaccounts, #f-account").length`); n != 0 {
		t.Errorf("one account's page has an account table or filter (%d)", n)
	}
	if got := eval[[]string](p, `Array.from(document.querySelectorAll("#chain-table tbody tr")).map(r => r.dataset.region)`); len(got) != len(r.Summary) {
		t.Errorf("region rows %v, want one per summary region (%d)", got, len(r.Summary))
	}
	p.screenshotOf(`#cards .card[data-reason~="DIGEST_SLOT_MISSING"]`, "verify-card-recoverable.png")
	p.screenshotOf(`#cards .card[data-verdict="gap"]`, "verify-card-gap.png")
}

func checkVerifyVerdict(t *testing.T, p *page, o verify.Outcome) {
	t.Helper()
	got := eval[[]string](p, `[document.querySelector("#verdict h1").textContent, document.querySelector("#verdict").className]`)
	if got[0] != o.Verdict() || !strings.Contains(got[1], map[verify.Outcome]string{verify.OutcomeInvalid: "fail", verify.OutcomeValid: "pass", verify.OutcomeGaps: "gap", verify.OutcomeUnverifiable: "error"}[o]) {
		t.Errorf("verdict %q (class %q), want %s", got[0], got[1], o.Verdict())
	}
}

func checkVerifyBars(t *testing.T, p *page, digests, logs string, c verify.Counts) {
	t.Helper()
	checkBar(t, "digests", drawnBar(t, p, digests+" svg.bar"), map[string]int{"valid": c.DigestsValid, "invalid": c.DigestsInvalid,
		"missing": c.DigestsMissing, "unverified": c.DigestsUnverified})
	checkBar(t, "log files", drawnBar(t, p, logs+" svg.bar"), map[string]int{"valid": c.LogsValid, "invalid": c.LogsInvalid,
		"missing": c.LogsMissing, "unreferenced": c.LogsUnreferenced, "unverified": c.LogsUnverified, "gap": c.LogsNotCovered})
}

// checkVerifyTables: an account row per account (problems first) and a
// chain row per chain, each with bars that count its digests.
func checkVerifyTables(t *testing.T, p *page, ar *verify.ArchiveReport) {
	type row struct {
		Account, Outcome string
		Digests          map[string]int
	}
	rows := eval[[]row](p, `Array.from(document.querySelectorAll("#vaccount-table tbody tr")).map(r => ({Account: r.dataset.account,
		Outcome: r.querySelector(".oc").textContent,
		Digests: Object.fromEntries(Array.from(r.querySelectorAll("td.bar")[0].querySelectorAll("g.seg")).map(g => [g.dataset.key, +g.dataset.count]))}))`)
	if len(rows) != len(ar.Accounts) {
		t.Fatalf("%d account rows, want %d", len(rows), len(ar.Accounts))
	}
	for i, a := range ar.Accounts {
		if rows[i].Account != a.Account || rows[i].Outcome != a.Outcome.Verdict() || rows[i].Digests["valid"] != a.DigestsValid || rows[i].Digests["missing"] != a.DigestsMissing {
			t.Errorf("account row %d = %+v, want %s %s %d valid %d missing", i, rows[i], a.Account, a.Outcome.Verdict(), a.DigestsValid, a.DigestsMissing)
		}
	}
	if rows[len(rows)-1].Outcome != "VALID" || rows[0].Outcome != "INVALID" {
		t.Errorf("accounts not ordered worst first: %+v", rows)
	}
	if n := eval[int](p, `document.querySelectorAll("#chain-table tbody tr").length`); n != len(ar.Chains) {
		t.Errorf("%d chain rows, want %d", n, len(ar.Chains))
	}
}

// checkVerifyTimeline: a row per chain; where valid digests cover it, and
// a gap segment at each gap's times.
func checkVerifyTimeline(t *testing.T, p *page, ar *verify.ArchiveReport) {
	type seg struct{ Kind, From, To string }
	type row struct {
		Account, Region string
		Segs            []seg
		Width           float64
	}
	rows := eval[[]row](p, `Array.from(document.querySelectorAll("#coverage .tl-row")).map(r => ({Account: r.dataset.account, Region: r.dataset.region,
		Width: r.querySelector("svg").getBoundingClientRect().width,
		Segs: Array.from(r.querySelectorAll("rect.tl-seg")).map(s => ({Kind: s.dataset.kind, From: s.dataset.from, To: s.dataset.to}))}))`)
	if len(rows) != len(ar.Chains) {
		t.Fatalf("%d timeline rows, want %d", len(rows), len(ar.Chains))
	}
	byChain := map[string]row{}
	for _, r := range rows {
		byChain[r.Account+" "+r.Region] = r
		if r.Width < 300 {
			t.Errorf("timeline %s %s drawn %.0f px wide", r.Account, r.Region, r.Width)
		}
	}
	for _, c := range ar.Chains {
		r := byChain[c.Account+" "+c.Region]
		covered := !c.CoveredFrom.IsZero()
		has := false
		for _, s := range r.Segs {
			has = has || s.Kind == "covered" && s.From == c.CoveredFrom.UTC().Format(verifyTime) && s.To == c.CoveredTo.UTC().Format(verifyTime)
		}
		if has != covered {
			t.Errorf("timeline %s %s: covered segment %v, want %v (%+v)", c.Account, c.Region, has, covered, r.Segs)
		}
	}
	for _, g := range ar.Gaps {
		found := false
		for _, s := range byChain[g.Account+" "+g.Region].Segs {
			found = found || s.Kind == "gap" && s.From == g.From.UTC().Format(verifyTime) && s.To == g.To.UTC().Format(verifyTime)
		}
		if !found {
			t.Errorf("gap %s %s %s not drawn", g.Account, g.Region, g.From)
		}
	}
	p.screenshotOf("#coverage", "verify-timeline.png")
}

// checkVerifyCards: a card per problem (the log files of a gap on the
// gap's card), worst first, each naming its object, with the restore
// command of a recoverable one.
func checkVerifyCards(t *testing.T, p *page, problems []verify.Item, gaps []verify.Gap) {
	t.Helper()
	type card struct {
		Verdict, Reason, Account, Region, Text string
		Restore                                []string
		Files                                  int
	}
	cards := eval[[]card](p, `Array.from(document.querySelectorAll("#cards .card")).map(c => ({Verdict: c.dataset.verdict, Reason: c.dataset.reason,
		Account: c.dataset.account, Region: c.dataset.region, Text: c.textContent,
		Restore: Array.from(c.querySelectorAll("pre.restore")).map(p => p.textContent), Files: c.querySelectorAll("ul.files li").length}))`)
	notCovered := 0
	for _, it := range problems {
		if it.Primary() == verify.LogNotCovered {
			notCovered++
		}
	}
	if want := len(problems) - notCovered + len(gaps); len(cards) != want {
		t.Fatalf("%d cards, want %d (%d problems, %d of them on their gap's card, %d gaps)", len(cards), want, len(problems), notCovered, len(gaps))
	}
	files := 0
	rank := map[string]int{"invalid": 3, "missing": 3, "unreferenced": 3, "unverified": 2, "manual": 2, "gap": 1}
	for i, c := range cards {
		files += c.Files
		if i > 0 && rank[c.Verdict] > rank[cards[i-1].Verdict] {
			t.Errorf("card %d (%s) after a %s card: not worst first", i, c.Verdict, cards[i-1].Verdict)
		}
	}
	if files != notCovered {
		t.Errorf("gap cards list %d log files, the report has %d LOG_NOT_COVERED", files, notCovered)
	}
	for _, it := range problems {
		if it.Primary() == verify.LogNotCovered {
			continue
		}
		found := false
		for _, c := range cards {
			if !strings.Contains(" "+c.Reason+" ", " "+string(it.Primary())+" ") || c.Account != it.Account || c.Region != it.Region || !strings.Contains(c.Text, it.Key) {
				continue
			}
			found = true
			for _, cmd := range restoreCommands(it) {
				if !containsString(c.Restore, cmd) {
					t.Errorf("%s %s: restore command not shown: %s", it.Primary(), it.Key, cmd)
				}
			}
		}
		if !found {
			t.Errorf("no card for %s %s %s %s", it.Account, it.Region, it.Primary(), it.Key)
		}
	}
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

type shownVerifyCard struct {
	Verdict, Kind, Reason, Account, Region string
}

func visibleVerifyCards(p *page) []shownVerifyCard {
	return eval[[]shownVerifyCard](p, `Array.from(document.querySelectorAll("#cards .card")).filter(c => c.offsetParent !== null).map(c => ({
		Verdict: c.dataset.verdict, Kind: c.dataset.kind, Reason: c.dataset.reason, Account: c.dataset.account, Region: c.dataset.region}))`)
}

// checkVerifyFilters clicks an account row, a legend entry and a timeline
// row, picks a reason and searches for a key.
func checkVerifyFilters(t *testing.T, p *page, ar *verify.ArchiveReport) {
	defer p.reset()
	p.click(fmt.Sprintf(`#vaccount-table tr[data-account=%q]`, acctDenied))
	if got := visibleVerifyCards(p); len(got) != 1 || got[0].Reason != string(verify.DigestReadError) {
		t.Errorf("account %s row shows %+v, want its one unreadable region", acctDenied, got)
	}
	p.click(`#by-digest .legend [data-key="missing"]`)
	want := 0
	for _, it := range ar.Problems {
		if it.Kind == "digest" && it.Status == verify.StatusMissing {
			want++
		}
	}
	got := visibleVerifyCards(p)
	if len(got) != want || want == 0 {
		t.Errorf("missing digests legend: %d cards, want %d", len(got), want)
	}
	for _, c := range got {
		if c.Kind != "digest" || c.Verdict != "missing" {
			t.Errorf("missing digests legend shows %+v", c)
		}
	}
	p.click(fmt.Sprintf(`#coverage .tl-row[data-account=%q][data-region="us-east-1"]`, acctTampered))
	for _, c := range visibleVerifyCards(p) {
		if c.Account != acctTampered || c.Region != "us-east-1" {
			t.Errorf("timeline row %s us-east-1 shows %+v", acctTampered, c)
		}
	}
	p.reset()
	p.choose("f-reason", string(verify.LogNotCovered))
	if got := visibleVerifyCards(p); len(got) != len(ar.Gaps) {
		t.Errorf("reason LOG_NOT_COVERED: %d cards, want the %d gaps that list them", len(got), len(ar.Gaps))
	}
	p.reset()
	var key string
	for _, it := range ar.Problems {
		if it.Primary() == verify.LogModified {
			key = it.Key
		}
	}
	p.do(chromedp.SendKeys(chromedp.ID("f-search"), key[strings.LastIndex(key, "_")+1:]))
	if got := visibleVerifyCards(p); len(got) != 1 || got[0].Reason != string(verify.LogModified) {
		t.Errorf("search for the modified file's name: %+v", got)
	}
	p.screenshot("verify-archive-search.png")
}
