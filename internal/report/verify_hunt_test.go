package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trailseal/trailseal/internal/hunt/detection"
	"github.com/trailseal/trailseal/internal/verify"
)

// The story of the hunted fixture: user/alice stopped the trail at
// 04:00:12 from 203.0.113.7 and started it again at 05:00:40, which is the
// account fixture's gap in both regions; hunt found the StopLogging call
// in a log file verified valid (hunt.trail_logging_stopped) and one
// region's StartLogging only in event history, the other not at all.
const (
	huntAttacker = "arn:aws:iam::111122223333:user/alice"
	huntStopLog  = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/01/111122223333_CloudTrail_us-east-1_20260301T0405Z_5C1E0D9A2B7F4E31.json.gz"
)

func verifyHunted(t *testing.T) (*verify.Report, *detection.Report, *Timeline) {
	t.Helper()
	r := verifyAccount(t)
	stopAt := time.Date(2026, 3, 1, 4, 0, 12, 0, time.UTC)
	stop := &verify.GapEvent{EventName: "StopLogging", EventTime: stopAt, EventID: "8f7d2c1e-4b5a-4c3d-9e8f-0a1b2c3d4e5f",
		Change: "logging stopped", Trail: r.Trail, Account: r.Account, Region: "us-east-1", Actor: "user/alice", ActorARN: huntAttacker,
		AccessKeyID: "AKIAEXAMPLEALICE0001", SourceIP: "203.0.113.7", UserAgent: "aws-cli/2.15.0",
		ReadFrom: "s3://golden-trail/" + huntStopLog + " (valid)"}
	start := *stop
	start.EventName, start.EventTime, start.EventID, start.Change = "StartLogging", stopAt.Add(time.Hour+28*time.Second), "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "logging started"
	start.ReadFrom = "event history us-east-1"
	for i := range r.Gaps {
		r.Gaps[i].OpenedBy = stop
		if r.Gaps[i].Region == "us-east-1" {
			r.Gaps[i].ClosedBy = &start
		} else {
			r.Gaps[i].Unexplained = "not explained: no StartLogging, UpdateTrail turning validation on or CreateTrail after it was found in the log files verified or in event history"
		}
	}
	var info detection.Info
	for _, d := range detection.Catalog() {
		if d.ID == "hunt.trail_logging_stopped" {
			info = d
		}
	}
	var techniques []string
	for _, tq := range info.Techniques {
		techniques = append(techniques, tq.ID)
	}
	hr := &detection.Report{SchemaVersion: detection.SchemaVersion, Tool: "trailseal", Version: "v0.0.0-test",
		GeneratedAt: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), Context: detection.ContextInfo{Kind: "none"},
		Sources: detection.SourceSummary{Description: "the log files verified in s3://golden-trail", Files: 38},
		Detections: []detection.Detection{{DetectionID: info.ID, Title: info.Title, Severity: info.Severity, EventID: stop.EventID,
			EventName: "StopLogging", Source: "cloudtrail.amazonaws.com", EventTime: stopAt, Account: r.Account, Region: "us-east-1",
			Actor:    detection.Actor{Type: "IAMUser", ARN: huntAttacker, AccountID: r.Account, AccessKeyID: stop.AccessKeyID, UserName: "alice"},
			SourceIP: stop.SourceIP, UserAgent: stop.UserAgent, Resource: r.Trail, Message: "logging stopped for trail " + r.Trail,
			Weakens: info.Weakens, Techniques: techniques, Origin: detection.Origin{Kind: "file", Location: "s3://golden-trail/" + huntStopLog, Key: huntStopLog, Record: 3, Verification: "valid"}}}}
	tl := TimelineFor(hr, "1 detection: 1 critical", "none: every trail resource is judged by the record alone",
		[]TimelineGroup{{Actor: hr.Detections[0].Actor, Detections: hr.Detections}})
	return r, hr, &tl
}

func renderHunted(t *testing.T, format string) []byte {
	t.Helper()
	r, hr, tl := verifyHunted(t)
	var buf bytes.Buffer
	if err := WriteVerify(&buf, format, r, VerifyOptions{Hunt: hr, HuntTimeline: tl}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestVerifyHuntFormats: with 'verify --hunt', the JSON holds the hunt
// under "hunt", every format says who opened and closed each gap (in
// verify's words), SARIF and JUnit carry the detections, and the page the
// hunt's timeline.
func TestVerifyHuntFormats(t *testing.T) {
	r, _, _ := verifyHunted(t)
	opened := r.Gaps[0].OpenedBy.Describe()
	var doc struct {
		Gaps []verify.Gap     `json:"gaps"`
		Hunt detection.Report `json:"hunt"`
	}
	if err := json.Unmarshal(renderHunted(t, "json"), &doc); err != nil || len(doc.Hunt.Detections) != 1 || doc.Gaps[0].OpenedBy == nil {
		t.Errorf("JSON: %v, %d detections under hunt, gap %+v", err, len(doc.Hunt.Detections), doc.Gaps)
	}

	s := compileSchema(t, "sarif-schema-2.1.0.json")
	sarifDoc := renderHunted(t, "sarif")
	if err := validate(t, s, sarifDoc); err != nil {
		t.Fatalf("not valid SARIF 2.1.0: %v", err)
	}
	var log sarifVerifyLog
	if err := json.Unmarshal(sarifDoc, &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	found, gapsTold := false, 0
	for _, res := range run.Results {
		if run.Tool.Driver.Rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("ruleIndex %d is not %s", res.RuleIndex, res.RuleID)
		}
		if res.RuleID == "hunt.trail_logging_stopped" {
			found = res.Level == "error" && res.Properties["sourceIPAddress"] == "203.0.113.7" && res.Locations[0].Physical.Artifact.URI == r.Trail
		}
		if res.RuleID == "GAP" && strings.Contains(res.Message.Text, "opened by "+opened) {
			gapsTold++
		}
	}
	if !found || gapsTold != len(r.Gaps) {
		t.Errorf("SARIF: detection found %v, %d of %d gap results say who opened them", found, gapsTold, len(r.Gaps))
	}

	var j junitVerify
	if err := xml.Unmarshal(renderHunted(t, "junit"), &j); err != nil {
		t.Fatal(err)
	}
	hunt, gapText := false, 0
	for _, suite := range j.Suites {
		for _, c := range suite.Cases {
			if suite.Name == "hunt" && c.Name == "hunt.trail_logging_stopped" && c.Failure != nil && strings.Contains(c.Failure.Text, "203.0.113.7") {
				hunt = true
			}
			if c.Name == "GAP" && c.Failure != nil && strings.Contains(c.Failure.Text, "opened by "+opened) {
				gapText++
			}
		}
	}
	if !hunt || gapText != len(r.Gaps) {
		t.Errorf("JUnit: hunt suite failing on the detection %v; %d of %d GAP testcases say who opened the gap", hunt, gapText, len(r.Gaps))
	}

	page := string(renderHunted(t, "html"))
	for _, want := range []string{"opened by</b> " + opened, "closed by</b> StartLogging", "not explained: no StartLogging", `<div class="panel" id="hunt"><section id="timeline">`, "Trail logging stopped"} {
		if !strings.Contains(page, strings.ReplaceAll(want, "'", "&#39;")) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

// TestVerifyHuntHTMLInChromium: the gap cards say who stopped the trail,
// the hunt's timeline is on the page, and nothing is loaded.
func TestVerifyHuntHTMLInChromium(t *testing.T) {
	p := openInChromium(t, renderHunted(t, "html"))
	checkOffline(t, p)
	got := eval[[]string](p, `Array.from(document.querySelectorAll('#cards .card[data-verdict="gap"] .annot')).map(a => a.innerText)`)
	if len(got) != 2 || !strings.Contains(got[0], "StopLogging") || !strings.Contains(got[0], "user/alice") {
		t.Errorf("gap annotations shown: %q", got)
	}
	if !eval[bool](p, `document.querySelector("#hunt .event[data-severity=critical]").checkVisibility()`) {
		t.Error("the hunt's critical detection is not visible")
	}
	p.screenshotOf(`#cards .card[data-verdict="gap"]`, "verify-hunt-gap.png")
	p.screenshotOf("#hunt", "verify-hunt-timeline.png")
	p.do(chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#hunt")))
	if eval[bool](p, `document.documentElement.scrollWidth > window.innerWidth + 1`) {
		t.Error("the page with the hunt scrolls sideways at 390px wide")
	}
}
