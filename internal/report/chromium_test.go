package report

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/trailseal/trailseal/internal/compliance"
	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/fix"
	"github.com/trailseal/trailseal/internal/testenv"
)

// The HTML report is checked where people read it: in headless Chromium,
// against an organization report built from the demo account. Screenshots
// go to $TRAILSEAL_SCREENSHOT_DIR (.ci/run keeps them as artifacts), else
// to the test's temporary directory.

// Accounts of the organization fixture.
var orgAccounts = []struct{ id, name string }{
	{"111122223333", "acme-prod"},
	{"222233334444", "acme-staging"},
	{"333344445555", "acme-sandbox"},
	{"444455556666", "acme-legacy"},
}

// orgFixture is an organization scan made of the demo account, scanned by
// the real catalog (acme-prod, one FAIL suppressed), two copies of it with
// fewer failures (staging fixed two FAIL in three and its critical one;
// sandbox fixed all but the medium ones and could not read one bucket's
// versioning), and an account whose audit role could not be assumed.
func orgFixture(t *testing.T) *findings.Report {
	t.Helper()
	base := demoReport(t)
	rep := &findings.Report{Tool: "trailseal", Version: "v0.0.0-test", GeneratedAt: base.GeneratedAt,
		Source: "aws-org:o-7h2k9x4m1q", Regions: base.Regions}
	suppressed := false
	for ai, acct := range orgAccounts[:3] {
		fails := 0
		for _, f := range base.Findings {
			f.Account = strings.ReplaceAll(f.Account, orgAccounts[0].id, acct.id)
			f.Resource = strings.ReplaceAll(f.Resource, orgAccounts[0].id, acct.id)
			f.Message = strings.ReplaceAll(f.Message, orgAccounts[0].id, acct.id)
			f.AccountName = acct.name
			if f.Status == findings.Fail {
				fails++
				switch {
				case ai == 0 && !suppressed && f.RuleID == "bucket.mfa_delete":
					f.Suppressed = &findings.Suppression{Reason: "Object Lock COMPLIANCE instead (RISK-142)", Expires: "2027-06-30"}
					suppressed = true
				case ai == 1 && (fails%3 != 0 || f.Severity == findings.Critical):
					f.Status, f.Message = findings.Pass, "fixed in staging"
				case ai == 2 && f.RuleID == "bucket.versioning":
					f.Status, f.Message = findings.Error, "cannot read versioning: GetBucketVersioning AccessDenied"
					f.Evidence = findings.Evidence{"call": "GetBucketVersioning", "errorCode": "AccessDenied"}
				case ai == 2 && f.Severity != findings.Medium:
					f.Status, f.Message = findings.Pass, "fixed in sandbox"
				}
			}
			f.ID = findings.StableID(f.RuleID, f.Account, f.Region, f.Resource)
			rep.Findings = append(rep.Findings, f)
		}
	}
	legacy := orgAccounts[3]
	role := "arn:aws:iam::" + legacy.id + ":role/TrailsealAudit"
	rep.Findings = append(rep.Findings, findings.Finding{ID: findings.StableID("org.account_access", legacy.id, "global", role),
		RuleID: "org.account_access", Status: findings.Error, Severity: findings.High, Account: legacy.id, AccountName: legacy.name,
		Region: "global", Resource: role, Message: "cannot assume " + role + ": AccessDenied",
		Evidence: findings.Evidence{"call": "sts:AssumeRole", "errorCode": "AccessDenied"}})
	for _, a := range orgAccounts {
		rep.Accounts = append(rep.Accounts, a.id)
	}
	return rep
}

func actionable(f findings.Finding) bool {
	return f.Status == findings.Fail || f.Status == findings.Error || f.Status == findings.Manual
}

// countActionable counts the FAIL, ERROR and MANUAL findings (one card
// each) for which keep is true.
func countActionable(rep *findings.Report, keep func(findings.Finding) bool) int {
	n := 0
	for _, f := range rep.Findings {
		if actionable(f) && keep(f) {
			n++
		}
	}
	return n
}

// page is a report open in headless Chromium.
type page struct {
	t     *testing.T
	ctx   context.Context
	shots string
	mu    sync.Mutex
	// requests are the URLs the page asked for.
	requests []string
}

func openInChromium(t *testing.T, html []byte) *page {
	t.Helper()
	chromium, err := testenv.Chromium.Path()
	if err != nil {
		t.Fatalf("%v: install it with '%s'", err, testenv.InstallCommand(testenv.Chromium))
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	if err := os.WriteFile(path, html, 0o644); err != nil {
		t.Fatal(err)
	}
	p := &page{t: t, shots: os.Getenv("TRAILSEAL_SCREENSHOT_DIR")}
	if p.shots == "" {
		p.shots = dir
	} else if err := os.MkdirAll(p.shots, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.WindowSize(1280, 900))
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(alloc, chromedp.WithListener(func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			p.mu.Lock()
			p.requests = append(p.requests, e.Request.URL)
			p.mu.Unlock()
		}
	}))
	t.Cleanup(cancelBrowser)
	p.ctx = browser
	p.do(chromedp.Navigate("file://"+path), chromedp.WaitVisible(chromedp.CSS("body")))
	return p
}

func (p *page) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatal(err)
	}
}

// eval runs a script in the page and decodes its result into out.
func eval[T any](p *page, script string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](script))
	if err != nil {
		p.t.Fatalf("%v\nscript: %s", err, script)
	}
	return v
}

func (p *page) screenshot(name string) {
	p.t.Helper()
	// From the top, so that the sticky filter bar is drawn where it sits.
	p.do(chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	img, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatal(err)
	}
	if len(img) < 1000 || !bytes.HasPrefix(img, []byte("\x89PNG")) && !bytes.HasPrefix(img, []byte("\xff\xd8")) {
		p.t.Fatalf("screenshot %s is not an image (%d bytes)", name, len(img))
	}
	path := filepath.Join(p.shots, name)
	if err := os.WriteFile(path, img, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s", path)
}

// screenshotOf saves a picture of one element.
func (p *page) screenshotOf(selector, name string) {
	p.t.Helper()
	img, err := chromedp.Run(p.ctx, chromedp.Screenshot(chromedp.CSS(selector)))
	if err != nil {
		p.t.Fatal(err)
	}
	path := filepath.Join(p.shots, name)
	if err := os.WriteFile(path, img, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s", path)
}

// shownCard is a card the reader can see.
type shownCard struct {
	Status, Severity, Account, Region, Rule, Suppressed, Text string
}

func (p *page) visibleCards() []shownCard {
	p.t.Helper()
	return eval[[]shownCard](p, `Array.from(document.querySelectorAll("#cards .card")).filter(c => c.offsetParent !== null).map(c => ({
		Status: c.dataset.status, Severity: c.dataset.severity, Account: c.dataset.account, Region: c.dataset.region,
		Rule: c.dataset.rule, Suppressed: c.dataset.suppressed, Text: c.textContent.toLowerCase()}))`)
}

// choose picks a value in a filter's select, as a user does.
func (p *page) choose(id, value string) {
	p.t.Helper()
	p.do(chromedp.SetValue(chromedp.ID(id), value),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.getElementById(%q).dispatchEvent(new Event("change"))`, id)))
}

func (p *page) click(selector string) {
	p.t.Helper()
	p.do(chromedp.Click(chromedp.CSS(selector)))
}

func (p *page) reset() {
	p.t.Helper()
	p.click("#f-reset")
}

// TestHTMLInChromium opens the organization report, checks every number of
// its pictures against the report, then uses it as a reader would: types in
// the search box, picks a region, clicks a heat map cell, a legend entry and
// an account row, and checks the cards shown each time.
func TestHTMLInChromium(t *testing.T) {
	rep := orgFixture(t)
	var buf bytes.Buffer
	if err := writeHTML(&buf, rep, reportedCatalog(), Options{Fixable: fix.Fixable}); err != nil {
		t.Fatal(err)
	}
	p := openInChromium(t, buf.Bytes())
	p.screenshot("report-wide.png")

	t.Run("offline", func(t *testing.T) { checkOffline(t, p) })
	t.Run("bars", func(t *testing.T) { checkBars(t, p, rep) })
	t.Run("compliance", func(t *testing.T) { checkCompliance(t, p, rep) })
	t.Run("heat map", func(t *testing.T) { checkHeatMap(t, p, rep) })
	t.Run("cards", func(t *testing.T) { checkCards(t, p, rep) })
	t.Run("remediation tabs", func(t *testing.T) { checkTabs(t, p) })
	t.Run("search and region", func(t *testing.T) { checkSearch(t, p, rep) })
	t.Run("clicks", func(t *testing.T) { checkClicks(t, p, rep) })
	t.Run("narrow", func(t *testing.T) { checkNarrow(t, p) })
}

// checkOffline: the page asked for nothing but itself.
func checkOffline(t *testing.T, p *page) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.requests) == 0 {
		t.Fatal("no request recorded: the listener saw nothing, so this check proves nothing")
	}
	for _, u := range p.requests {
		if !strings.HasPrefix(u, "file://") || !strings.HasSuffix(u, "/report.html") {
			t.Errorf("the report requested %s: it must load nothing", u)
		}
	}
}

// barSegment is a bar segment as drawn: its count, and its drawn width as
// a share of the bar's.
type barSegment struct {
	Key   string
	Count int
	Share float64
	Label string
}

func drawnBar(t *testing.T, p *page, selector string) []barSegment {
	t.Helper()
	return eval[[]barSegment](p, fmt.Sprintf(`(() => {
		const svg = document.querySelector(%q);
		const total = svg.getBoundingClientRect().width;
		return Array.from(svg.querySelectorAll("g.seg")).map(g => ({Key: g.dataset.key, Count: +g.dataset.count,
			Share: g.querySelector("rect").getBoundingClientRect().width / total,
			Label: (g.querySelector("text") || {textContent: ""}).textContent}));
	})()`, selector))
}

// checkBar compares a drawn bar with the counts it should show.
func checkBar(t *testing.T, name string, got []barSegment, want map[string]int) {
	t.Helper()
	total := 0
	for _, n := range want {
		total += n
	}
	seen := map[string]bool{}
	for _, s := range got {
		seen[s.Key] = true
		if s.Count != want[s.Key] {
			t.Errorf("%s bar: %s = %d, the report has %d", name, s.Key, s.Count, want[s.Key])
		}
		if share := float64(want[s.Key]) / float64(total); math.Abs(s.Share-share) > 0.005 {
			t.Errorf("%s bar: %s drawn as %.3f of the bar, want %.3f", name, s.Key, s.Share, share)
		}
		if s.Label != "" && s.Label != fmt.Sprint(want[s.Key]) {
			t.Errorf("%s bar: %s labelled %q, want %d", name, s.Key, s.Label, want[s.Key])
		}
	}
	for k, n := range want {
		if n > 0 && !seen[k] {
			t.Errorf("%s bar: no segment for %d %s", name, n, k)
		}
	}
}

func checkBars(t *testing.T, p *page, rep *findings.Report) {
	byStatus := map[string]int{}
	bySev := map[string]int{}
	for _, f := range rep.Findings {
		byStatus[string(f.Status)]++
		if f.Status == findings.Fail && f.Suppressed == nil {
			bySev[string(f.Severity)]++
		}
	}
	checkBar(t, "status", drawnBar(t, p, "#by-status svg.bar"), byStatus)
	checkBar(t, "severity", drawnBar(t, p, "#by-severity svg.bar"), bySev)
	legend := eval[map[string]string](p, `Object.fromEntries(Array.from(document.querySelectorAll("#by-status .legend .key")).map(k => [k.dataset.key, k.querySelector("b").textContent]))`)
	for _, s := range findings.Statuses {
		if legend[string(s)] != fmt.Sprint(byStatus[string(s)]) {
			t.Errorf("status legend: %s = %q, want %d", s, legend[string(s)], byStatus[string(s)])
		}
	}
}

// checkCompliance: each framework's score is its passing controls over
// the controls that apply, and its bar counts controls by status.
func checkCompliance(t *testing.T, p *page, rep *findings.Report) {
	type shownFramework struct {
		ID, Percent string
	}
	shown := eval[[]shownFramework](p, `Array.from(document.querySelectorAll("#compliance .fw")).map(f => ({ID: f.dataset.framework, Percent: f.querySelector(".score").textContent}))`)
	if len(shown) != len(compliance.List()) {
		t.Fatalf("%d frameworks shown, want %d", len(shown), len(compliance.List()))
	}
	for i, fw := range compliance.List() {
		v := compliance.Evaluate(&fw, rep)
		byStatus := map[string]int{}
		for _, c := range v.Controls {
			byStatus[string(c.Status)]++
		}
		applies := len(v.Controls) - byStatus[string(findings.NA)]
		want := fmt.Sprintf("%d%%", byStatus[string(findings.Pass)]*100/applies)
		if shown[i].ID != fw.ID || shown[i].Percent != want {
			t.Errorf("framework %d: %s %s, want %s %s", i, shown[i].ID, shown[i].Percent, fw.ID, want)
		}
		checkBar(t, fw.ID, drawnBar(t, p, fmt.Sprintf(`#compliance .fw[data-framework=%q] svg.bar`, fw.ID)), byStatus)
	}
}

// checkHeatMap: every account, every severity, the count of its open FAIL
// findings, in the cell and in the table.
func checkHeatMap(t *testing.T, p *page, rep *findings.Report) {
	want := map[string]int{}
	for _, f := range rep.Findings {
		if f.Status == findings.Fail && f.Suppressed == nil {
			want[f.Account+" "+string(f.Severity)]++
		}
	}
	type cell struct {
		Account, Severity, Text string
		Count                   int
	}
	cells := eval[[]cell](p, `Array.from(document.querySelectorAll("svg.heat g.cell")).map(c => ({Account: c.dataset.account, Severity: c.dataset.severity, Count: +c.dataset.count, Text: c.querySelector("text").textContent}))`)
	if len(cells) != len(orgAccounts)*len(findings.Severities) {
		t.Fatalf("%d heat map cells, want %d accounts x %d severities", len(cells), len(orgAccounts), len(findings.Severities))
	}
	for _, c := range cells {
		n := want[c.Account+" "+c.Severity]
		if c.Count != n || c.Text != fmt.Sprint(n) {
			t.Errorf("heat map %s %s: %d (%q), the report has %d", c.Account, c.Severity, c.Count, c.Text, n)
		}
	}
	rows := eval[[][]string](p, `Array.from(document.querySelectorAll("#account-table tbody tr")).map(r => Array.from(r.cells).map(c => c.textContent))`)
	if len(rows) != len(orgAccounts) {
		t.Fatalf("%d account rows, want %d", len(rows), len(orgAccounts))
	}
	for _, r := range rows {
		for i, s := range findings.Severities {
			if r[2+i] != fmt.Sprint(want[r[0]+" "+string(s)]) {
				t.Errorf("account table %s %s = %s, want %d", r[0], s, r[2+i], want[r[0]+" "+string(s)])
			}
		}
		errors := countActionable(&findings.Report{Findings: rep.Findings}, func(f findings.Finding) bool {
			return f.Account == r[0] && f.Status == findings.Error && f.Suppressed == nil
		})
		if r[7] != fmt.Sprint(errors) {
			t.Errorf("account table %s ERROR = %s, want %d", r[0], r[7], errors)
		}
	}
	if rows[0][0] != orgAccounts[0].id || rows[len(rows)-1][11] != "not scanned" && rows[len(rows)-2][11] != "not scanned" {
		t.Errorf("accounts not ordered worst first, or the unscanned account not marked: %v", rows)
	}
}

// checkCards: remediation open, raw evidence folded, the finding's names in
// the commands, and the fix command on exactly the fixable FAIL findings.
func checkCards(t *testing.T, p *page, rep *findings.Report) {
	type card struct {
		Rule, Status, Account, CLI, Fix string
		RemedyOpen, EvidenceOpen        bool
		HasEvidence, EvidenceVisible    bool
		Placeholders                    []string
	}
	cards := eval[[]card](p, `Array.from(document.querySelectorAll("#cards .card")).map(c => {
		const ev = c.querySelector("details.evidence"), rem = c.querySelector("details.remedy");
		return {Rule: c.dataset.rule, Status: c.dataset.status, Account: c.dataset.account,
			CLI: (c.querySelector("pre.cli") || {textContent: ""}).textContent,
			Fix: (c.querySelector(".fixcmd") || {textContent: ""}).textContent,
			RemedyOpen: !!rem && rem.open, EvidenceOpen: !!ev && ev.open, HasEvidence: !!ev,
			EvidenceVisible: !!ev && ev.querySelector("dl").checkVisibility(),
			Placeholders: Array.from(c.querySelectorAll("pre mark.ph")).map(m => m.textContent)};
	})`)
	if want := countActionable(rep, func(findings.Finding) bool { return true }); len(cards) != want {
		t.Fatalf("%d cards, want %d", len(cards), want)
	}
	versioning := false
	for _, c := range cards {
		if !c.RemedyOpen {
			t.Errorf("%s: remediation is folded", c.Rule)
		}
		if c.HasEvidence && (c.EvidenceOpen || c.EvidenceVisible) {
			t.Errorf("%s: raw evidence is open", c.Rule)
		}
		wantFix := ""
		if c.Status == "fail" && slices.Contains(fix.Fixable, c.Rule) {
			wantFix = "trailseal fix --rules " + c.Rule
		}
		if c.Fix != wantFix {
			t.Errorf("%s %s: fix command %q, want %q", c.Status, c.Rule, c.Fix, wantFix)
		}
		if c.Rule == "bucket.versioning" && c.Status == "fail" && c.Account == orgAccounts[0].id {
			versioning = true
			if !strings.Contains(c.CLI, "--bucket acme-legacy-cloudtrail ") || strings.Contains(c.CLI, "BUCKET") || len(c.Placeholders) > 0 {
				t.Errorf("versioning command not filled in: %q, placeholders %v", c.CLI, c.Placeholders)
			}
		}
		if c.Rule == "trail.kms_encryption" && !slices.Contains(c.Placeholders, "<key ARN>") {
			t.Errorf("trail.kms_encryption: the key to use is the user's choice and must stay a marked placeholder: %q %v", c.CLI, c.Placeholders)
		}
	}
	if !versioning {
		t.Error("no bucket.versioning FAIL card in the fixture")
	}
	p.screenshotOf(`#cards .card[data-rule="trail.kms_encryption"]`, "report-card-placeholder.png")
}

// checkTabs: the AWS CLI commands show first; a click on Terraform shows
// its snippet instead.
func checkTabs(t *testing.T, p *page) {
	const card = `#cards .card:first-of-type`
	shown := func() [2]bool {
		return eval[[2]bool](p, `[document.querySelector("`+card+` pre.cli").checkVisibility(), document.querySelector("`+card+` pre.tf").checkVisibility()]`)
	}
	if got := shown(); got != [2]bool{true, false} {
		t.Fatalf("first card: CLI, Terraform visible = %v, want CLI only", got)
	}
	p.click(card + ` .tabs label[for$="-tf"]`)
	if got := shown(); got != [2]bool{false, true} {
		t.Errorf("after a click on Terraform: CLI, Terraform visible = %v, want Terraform only", got)
	}
	p.click(card + ` .tabs label[for$="-cli"]`)
}

// checkSearch types in the search box and picks a region.
func checkSearch(t *testing.T, p *page, rep *findings.Report) {
	defer p.reset()
	const bucket = "acme-legacy-cloudtrail"
	p.do(chromedp.SendKeys(chromedp.ID("f-search"), bucket))
	got := p.visibleCards()
	// The bucket's name is in its findings' resource, message or evidence:
	// those must all show. The search also reads titles and account names,
	// so every card shown must at least contain the name.
	want := countActionable(rep, func(f findings.Finding) bool {
		return strings.Contains(f.Resource+f.Message+evidenceJSON(f.Evidence), bucket)
	})
	if len(got) < want || want == 0 {
		t.Errorf("search %q: %d cards shown, want at least %d", bucket, len(got), want)
	}
	for _, c := range got {
		if !strings.Contains(c.Text, bucket) {
			t.Errorf("search %q shows a %s card without it", bucket, c.Rule)
		}
	}
	p.screenshot("report-search.png")

	// An account's name and a region: exactly that account's cards there.
	p.reset()
	staging := orgAccounts[1]
	p.do(chromedp.SendKeys(chromedp.ID("f-search"), strings.ToUpper(staging.name)))
	want = countActionable(rep, func(f findings.Finding) bool { return f.AccountName == staging.name })
	if got := p.visibleCards(); len(got) != want || want == 0 {
		t.Errorf("search %q: %d cards, want %d", staging.name, len(got), want)
	}
	p.choose("f-region", "eu-west-1")
	want = countActionable(rep, func(f findings.Finding) bool { return f.AccountName == staging.name && f.Region == "eu-west-1" })
	got = p.visibleCards()
	if len(got) != want || want == 0 {
		t.Errorf("search %q in eu-west-1: %d cards, want %d", staging.name, len(got), want)
	}
	for _, c := range got {
		if c.Region != "eu-west-1" || c.Account != staging.id {
			t.Errorf("search %q in eu-west-1 shows %s in %s of %s", staging.name, c.Rule, c.Region, c.Account)
		}
	}

	p.reset()
	p.choose("f-region", "eu-west-1")
	want = countActionable(rep, func(f findings.Finding) bool { return f.Region == "eu-west-1" })
	if got := p.visibleCards(); len(got) != want {
		t.Errorf("region eu-west-1: %d cards, want %d", len(got), want)
	}
	all := countActionable(rep, func(findings.Finding) bool { return true })
	if shown := eval[string](p, `document.getElementById("shown").textContent`); shown != fmt.Sprintf("%d of %d shown", want, all) {
		t.Errorf("counter = %q", shown)
	}
}

// checkClicks clicks a heat map cell, a legend entry and an account row.
func checkClicks(t *testing.T, p *page, rep *findings.Report) {
	defer p.reset()
	acct, sev := orgAccounts[1].id, "medium"
	p.click(fmt.Sprintf(`svg.heat g.cell[data-account=%q][data-severity=%q]`, acct, sev))
	want := countActionable(rep, func(f findings.Finding) bool {
		return f.Account == acct && string(f.Severity) == sev && f.Status == findings.Fail && f.Suppressed == nil
	})
	got := p.visibleCards()
	if len(got) != want || want == 0 {
		t.Errorf("heat map cell %s %s: %d cards shown, want %d", acct, sev, len(got), want)
	}
	for _, c := range got {
		if c.Account != acct || c.Severity != sev || c.Status != "fail" {
			t.Errorf("heat map cell %s %s shows %+v", acct, sev, c)
		}
	}

	p.click(`#by-status .legend [data-filter="status=error"]`)
	want = countActionable(rep, func(f findings.Finding) bool { return f.Status == findings.Error })
	if got := p.visibleCards(); len(got) != want || want == 0 {
		t.Errorf("ERROR legend: %d cards shown, want %d", len(got), want)
	}

	legacy := orgAccounts[3].id
	p.click(fmt.Sprintf(`#account-table tr[data-account=%q]`, legacy))
	if got := p.visibleCards(); len(got) != 1 || got[0].Rule != "org.account_access" {
		t.Errorf("account %s row: shows %v, want its one access ERROR", legacy, got)
	}

	p.reset()
	p.choose("f-suppressed", "only")
	if got := p.visibleCards(); len(got) != 1 || got[0].Suppressed != "yes" {
		t.Errorf("suppressed only: %v", got)
	}
}

// checkNarrow: on a phone nothing scrolls sideways.
func checkNarrow(t *testing.T, p *page) {
	p.do(chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#cards")))
	if eval[bool](p, `document.documentElement.scrollWidth > window.innerWidth + 1`) {
		t.Error("the page scrolls sideways at 390px wide")
	}
	p.screenshot("report-narrow.png")
}

// TestComplianceHTMLInChromium opens the CIS 5.0 view of the organization
// report: its score and one row per control.
func TestComplianceHTMLInChromium(t *testing.T) {
	fw, v, page := renderComplianceHTML(t, orgFixture(t), "cis-5.0")
	p := openInChromium(t, page)
	p.screenshot("compliance-cis-5.0.png")
	checkOffline(t, p)
	if got := eval[int](p, `document.querySelectorAll("table.controls tbody tr").length`); got != len(fw.Controls) {
		t.Errorf("%d control rows, want %d", got, len(fw.Controls))
	}
	applies := len(v.Controls) - v.Summary[findings.NA]
	if got, want := eval[string](p, `document.querySelector(".fw .score").textContent`), fmt.Sprintf("%d%%", v.Summary[findings.Pass]*100/applies); got != want {
		t.Errorf("score %s, want %s", got, want)
	}
}
