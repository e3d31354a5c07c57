package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/chromedp/chromedp"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/testenv"
)

var moto *testenv.Moto

func TestMain(m *testing.M) {
	// Chromium is checked before moto starts: a missing browser fails the
	// package in its first second, not after the other tests.
	testenv.RequireOrExit("report", testenv.MotoServer, testenv.Chromium)
	var err error
	moto, err = testenv.StartMoto()
	if err != nil {
		// A missing emulator is a failure, never a skip.
		fmt.Fprintln(os.Stderr, "report tests:", err)
		os.Exit(1)
	}
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

// TestASFFImportsIntoSecurityHub sends the ASFF output through the real SDK
// to Security Hub on moto_server and reads it back.
func TestASFFImportsIntoSecurityHub(t *testing.T) {
	ctx := context.Background()
	cfg, err := testenv.Config(ctx, moto.Endpoint, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	hub := securityhub.NewFromConfig(cfg)
	if _, err := hub.EnableSecurityHub(ctx, &securityhub.EnableSecurityHubInput{}); err != nil {
		t.Fatalf("EnableSecurityHub: %v", err)
	}
	rep := normalise(testReport())
	doc := render(t, "asff", rep)
	var batch []types.AwsSecurityFinding
	if err := json.Unmarshal(doc, &batch); err != nil {
		t.Fatalf("ASFF output does not decode into the SDK's AwsSecurityFinding: %v", err)
	}
	if len(batch) != 6 {
		t.Fatalf("want 6 ASFF findings (every finding but N/A), got %d", len(batch))
	}
	out, err := hub.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: batch})
	if err != nil {
		t.Fatalf("BatchImportFindings: %v", err)
	}
	if aws.ToInt32(out.FailedCount) != 0 || aws.ToInt32(out.SuccessCount) != int32(len(batch)) {
		t.Fatalf("import: %d ok, %d failed: %+v", aws.ToInt32(out.SuccessCount), aws.ToInt32(out.FailedCount), out.FailedFindings)
	}
	got, err := hub.GetFindings(ctx, &securityhub.GetFindingsInput{MaxResults: aws.Int32(100)})
	if err != nil {
		t.Fatalf("GetFindings: %v", err)
	}
	byID := map[string]types.AwsSecurityFinding{}
	for _, f := range got.Findings {
		byID[aws.ToString(f.Id)] = f
	}
	wantCompliance := map[findings.Status]types.ComplianceStatus{
		findings.Fail: types.ComplianceStatusFailed, findings.Pass: types.ComplianceStatusPassed,
		findings.Error: types.ComplianceStatusNotAvailable, findings.Manual: types.ComplianceStatusWarning,
	}
	for _, f := range rep.Findings {
		if f.Status == findings.NA {
			if _, ok := byID[f.ID]; ok {
				t.Errorf("N/A finding %s was exported", f.ID)
			}
			continue
		}
		h, ok := byID[f.ID]
		if !ok {
			t.Errorf("finding %s (%s %s) not read back", f.ID, f.RuleID, f.Status)
			continue
		}
		region := asffRegion(f.Region, rep.Regions)
		if want := fmt.Sprintf("arn:aws:securityhub:%s:%s:product/%s/default", region, f.Account, f.Account); aws.ToString(h.ProductArn) != want {
			t.Errorf("%s ProductArn = %s, want %s", f.ID, aws.ToString(h.ProductArn), want)
		}
		if aws.ToString(h.GeneratorId) != f.RuleID || aws.ToString(h.AwsAccountId) != f.Account || aws.ToString(h.SchemaVersion) != "2018-10-08" {
			t.Errorf("%s: generator %s account %s schema %s", f.ID, aws.ToString(h.GeneratorId), aws.ToString(h.AwsAccountId), aws.ToString(h.SchemaVersion))
		}
		if h.Compliance == nil || h.Compliance.Status != wantCompliance[f.Status] {
			t.Errorf("%s: compliance = %+v, want %s", f.ID, h.Compliance, wantCompliance[f.Status])
		}
		if h.Severity == nil || string(h.Severity.Label) != strings.ToUpper(string(f.Severity)) {
			t.Errorf("%s: severity = %+v, want %s", f.ID, h.Severity, f.Severity)
		}
		if len(h.Resources) != 1 || aws.ToString(h.Resources[0].Id) != f.Resource {
			t.Errorf("%s: resources = %+v", f.ID, h.Resources)
		}
		wantWorkflow := types.WorkflowStatusNew
		switch {
		case f.Suppressed != nil:
			wantWorkflow = types.WorkflowStatusSuppressed
		case f.Status == findings.Pass:
			wantWorkflow = types.WorkflowStatusResolved
		}
		if h.Workflow == nil || h.Workflow.Status != wantWorkflow {
			t.Errorf("%s: workflow = %+v, want %s", f.ID, h.Workflow, wantWorkflow)
		}
	}
}

// TestHTMLInChromium renders the report in headless Chromium, takes
// screenshots (wide and narrow) and drives the filters.
func TestHTMLInChromium(t *testing.T) {
	chromium, err := testenv.Chromium.Path()
	if err != nil {
		t.Fatalf("%v: install it with '%s'", err, testenv.InstallCommand(testenv.Chromium))
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, render(t, "html", normalise(testReport())), 0o644); err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("TRAILSEAL_SCREENSHOT_DIR")
	if shots == "" {
		shots = dir
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()

	visible := func() []string {
		t.Helper()
		ids, err := chromedp.Run(browser, chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll("#cards .card")).filter(c => !c.hidden && c.offsetParent !== null).map(c => c.dataset.status + "|" + c.dataset.suppressed + "|" + c.dataset.account)`))
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if err := chromedp.Do(browser,
		chromedp.Navigate("file://"+page),
		chromedp.WaitVisible(chromedp.CSS("#cards")),
	); err != nil {
		t.Fatalf("render in chromium: %v", err)
	}
	wide, err := chromedp.Run(browser, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	writeShot(t, filepath.Join(shots, "report-wide.png"), wide)
	if got := visible(); len(got) != 5 {
		t.Fatalf("initially %d cards visible, want 5: %v", len(got), got)
	}

	// Click the ERROR tile in the summary: only the ERROR card remains.
	if err := chromedp.Do(browser, chromedp.Click(chromedp.CSS(`.tile[data-summary-status="ERROR"]`))); err != nil {
		t.Fatal(err)
	}
	if got := visible(); len(got) != 1 || !strings.HasPrefix(got[0], "error|") {
		t.Errorf("after clicking ERROR: visible %v, want the one ERROR card", got)
	}
	shown, err := chromedp.Run(browser, chromedp.Text(chromedp.ID("shown")))
	if err != nil {
		t.Fatal(err)
	}
	if shown != "1 of 5 shown" {
		t.Errorf("counter = %q", shown)
	}

	// Pick values in the select filters as a user would, then check.
	choose := func(id, value string) {
		t.Helper()
		if err := chromedp.Do(browser,
			chromedp.SetValue(chromedp.ID(id), value),
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.getElementById(%q).dispatchEvent(new Event("change"))`, id)),
		); err != nil {
			t.Fatal(err)
		}
	}
	choose("f-status", "fail")
	if got := visible(); len(got) != 3 {
		t.Errorf("status=fail: visible %v, want 3 FAIL cards", got)
	}
	choose("f-suppressed", "hide")
	if got := visible(); len(got) != 2 {
		t.Errorf("status=fail, suppressed hidden: visible %v, want 2", got)
	}
	choose("f-suppressed", "only")
	if got := visible(); len(got) != 1 || got[0] != "fail|yes|"+acctA {
		t.Errorf("suppressed only: visible %v", got)
	}
	choose("f-suppressed", "")
	choose("f-status", "")
	choose("f-account", acctB)
	got := visible()
	if len(got) != 3 {
		t.Errorf("account %s: visible %v, want its 3 cards", acctB, got)
	}
	for _, c := range got {
		if !strings.HasSuffix(c, "|"+acctB) {
			t.Errorf("account filter shows %s", c)
		}
	}

	// Narrow screen: nothing overflows horizontally.
	if err := chromedp.Do(browser,
		chromedp.EmulateViewport(390, 844),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS("#cards")),
	); err != nil {
		t.Fatal(err)
	}
	overflow, err := chromedp.Run(browser, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if err != nil {
		t.Fatal(err)
	}
	narrow, err := chromedp.Run(browser, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	writeShot(t, filepath.Join(shots, "report-narrow.png"), narrow)
	if overflow {
		t.Error("the page scrolls sideways at 390px wide")
	}
}

func writeShot(t *testing.T, path string, img []byte) {
	t.Helper()
	if len(img) < 1000 || !bytes.HasPrefix(img, []byte("\x89PNG")) && !bytes.HasPrefix(img, []byte("\xff\xd8")) {
		t.Fatalf("screenshot %s is not an image (%d bytes)", path, len(img))
	}
	if err := os.WriteFile(path, img, 0o644); err != nil {
		t.Fatal(err)
	}
}
