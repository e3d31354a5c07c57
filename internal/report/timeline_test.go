package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/hunt/detection"
)

// timelineReport is a hunt report with two actors, an attempt, long
// unbroken values (an ARN, a user agent) and an unreadable source.
func timelineReport() *detection.Report {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	mallory := detection.Actor{Type: "AssumedRole", ARN: "arn:aws:sts::111122223333:assumed-role/BreakGlass/mallory",
		SessionName: "mallory", SessionIssuer: "arn:aws:iam::111122223333:role/BreakGlass", AccessKeyID: "ASIAEXAMPLEMALLORY01"}
	ci := detection.Actor{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/ci", AccessKeyID: "AKIAEXAMPLECI0000001"}
	d := func(id, name string, a detection.Actor, min int, attempt bool) detection.Detection {
		sev := findings.Critical
		if attempt {
			sev = findings.High
		}
		return detection.Detection{DetectionID: id, Severity: sev, Attempt: attempt, EventID: "e-" + name, EventName: name,
			EventTime: at.Add(time.Duration(min) * time.Minute), Account: "111122223333", Region: "us-east-1", Actor: a,
			SourceIP: "198.51.100.23", UserAgent: strings.Repeat("aws-sdk-go-v2/1.30.3#", 12), Resource: "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail",
			Message: name + " on org-trail", Weakens: []string{"trail.logging"}, Techniques: []string{"T1562.008"},
			Evidence: map[string]any{"trail": "org-trail"}, Origin: detection.Origin{Kind: "file", Location: "copy/x.json.gz", Key: "AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/01/f.json.gz", Record: 3}}
	}
	return &detection.Report{SchemaVersion: detection.SchemaVersion, Version: "test", GeneratedAt: at.Add(time.Hour),
		Sources: detection.SourceSummary{Description: "offline copy copy", Files: 3, Records: 40, Selected: 4,
			Errors: []detection.SourceError{{Location: "copy/bad.json.gz", Error: "corrupt gzip data"}}},
		Detections: []detection.Detection{
			d("hunt.trail_logging_stopped", "StopLogging", ci, 0, true),
			d("hunt.trail_logging_stopped", "StopLogging", mallory, 5, false),
			d("hunt.trail_deleted", "DeleteTrail", mallory, 9, false),
		}}
}

// TestTimelineInChromium renders the timeline page in headless Chromium:
// one group per actor, one entry per detection, nothing loaded from
// elsewhere, and nothing overflows sideways on a phone-sized screen.
func TestTimelineInChromium(t *testing.T) {
	rep := timelineReport()
	groups := []TimelineGroup{{Actor: rep.Detections[0].Actor, Detections: rep.Detections[:1]},
		{Actor: rep.Detections[1].Actor, Detections: rep.Detections[1:]}}
	var b bytes.Buffer
	if err := WriteTimelineHTML(&b, TimelineFor(rep, "3 detections", "snapshot s.json", groups)); err != nil {
		t.Fatal(err)
	}
	p := openInChromium(t, b.Bytes())
	p.do(chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("timeline")))
	counts := eval[[]int](p, `[document.querySelectorAll("#timeline .actor").length, document.querySelectorAll("#timeline .event").length, document.querySelectorAll(".badge.attempt").length]`)
	if len(counts) != 3 || counts[0] != 2 || counts[1] != 3 || counts[2] != 1 {
		t.Fatalf("actors, events, attempts shown: %v, want [2 3 1]", counts)
	}
	checkOffline(t, p)
	if eval[bool](p, `document.documentElement.scrollWidth > window.innerWidth + 1`) {
		t.Error("the timeline scrolls sideways at 390px wide")
	}
	p.screenshot("hunt-timeline-narrow.png")
}
