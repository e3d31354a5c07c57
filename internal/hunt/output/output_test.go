package output

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/trailseal/trailseal/internal/hunt"
	"github.com/trailseal/trailseal/internal/hunt/detection"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// fixedReport hunts over three corpus files without context, with the
// generation time and version fixed so that outputs can be compared.
func fixedReport(t *testing.T) *detection.Report {
	t.Helper()
	files := []string{
		"../testdata/corpus/invictus-aws_dataset.json",
		"../testdata/corpus/stratus-red-team-detonation-logs.json",
		"../testdata/corpus/elastic-beats-tests.json",
	}
	rep, err := hunt.Run(context.Background(), hunt.Files{Paths: files}, hunt.Options{Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	rep.GeneratedAt = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rep.Version = "test"
	rep.Context = detection.ContextInfo{Kind: "none"}
	if len(rep.Detections) < 5 {
		t.Fatalf("only %d detections in the fixed report", len(rep.Detections))
	}
	return rep
}

func render(t *testing.T, format string, rep *detection.Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, format, rep, Options{}); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	rep := fixedReport(t)
	for _, f := range Formats() {
		got := render(t, f, rep)
		p := filepath.Join("testdata", "golden", "hunt."+f)
		if *update {
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("%s differs from %s (-want +got):\n%s", f, p, diff)
		}
	}
}

func TestOCSFValidAgainstSchema(t *testing.T) {
	f, err := os.Open("testdata/ocsf-1.3.0-detection-finding.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("s.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("s.json")
	if err != nil {
		t.Fatal(err)
	}
	rep := fixedReport(t)
	// One attempt, one service caller: both shapes must validate.
	rep.Detections[0].Attempt, rep.Detections[0].ErrorCode = true, "AccessDenied"
	rep.Detections[1].SourceIP = "cloudtrail.amazonaws.com"
	out := render(t, "ocsf", rep)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(inst); err != nil {
		t.Fatalf("not a valid OCSF 1.3.0 Detection Finding: %v", err)
	}
	var events []map[string]any
	json.Unmarshal(out, &events)
	if len(events) != len(rep.Detections) {
		t.Fatalf("%d events for %d detections", len(events), len(rep.Detections))
	}
}

func TestJSONFields(t *testing.T) {
	rep := fixedReport(t)
	var doc struct {
		SchemaVersion int              `json:"schemaVersion"`
		Detections    []map[string]any `json:"detections"`
	}
	if err := json.Unmarshal(render(t, "json", rep), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SchemaVersion != detection.SchemaVersion || len(doc.Detections) != len(rep.Detections) {
		t.Fatalf("schemaVersion %d, %d detections", doc.SchemaVersion, len(doc.Detections))
	}
	for _, k := range []string{"detectionId", "severity", "attempt", "eventID", "eventName", "eventTime", "account", "region",
		"actor", "sourceIPAddress", "userAgent", "resource", "message", "weakens"} {
		if _, ok := doc.Detections[0][k]; !ok {
			t.Errorf("detections[0] has no %q", k)
		}
	}
}

func TestCSVRows(t *testing.T) {
	rep := fixedReport(t)
	rows, err := csv.NewReader(bytes.NewReader(render(t, "csv", rep))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(rep.Detections)+1 || rows[0][0] != "detection_id" {
		t.Fatalf("%d rows for %d detections", len(rows), len(rep.Detections))
	}
}

// TestTimelineByActor: each actor once, its detections oldest first.
func TestTimelineByActor(t *testing.T) {
	rep := fixedReport(t)
	groups := ByActor(rep.Detections)
	seen := map[string]bool{}
	total := 0
	for _, g := range groups {
		if seen[g.Actor.Key()] {
			t.Errorf("actor %s appears twice", g.Actor.Key())
		}
		seen[g.Actor.Key()] = true
		for i := 1; i < len(g.Detections); i++ {
			if g.Detections[i].EventTime.Before(g.Detections[i-1].EventTime) {
				t.Errorf("%s: not in time order", g.Actor.Key())
			}
		}
		total += len(g.Detections)
	}
	if total != len(rep.Detections) || len(groups) < 2 {
		t.Errorf("%d groups holding %d of %d detections", len(groups), total, len(rep.Detections))
	}
	text := string(render(t, "timeline", rep))
	if !strings.Contains(text, "user/bert-jan") || !strings.Contains(text, "trailseal explain DETECTION-ID") {
		t.Errorf("timeline:\n%s", text)
	}
}

// TestHTMLEscapesRecordValues: a user agent or resource name from a record
// cannot inject markup into the page.
func TestHTMLEscapesRecordValues(t *testing.T) {
	rep := fixedReport(t)
	rep.Detections[0].UserAgent = `<script>alert(1)</script>`
	rep.Detections[0].Resource = `bucket/"><img src=x onerror=alert(2)>`
	page := string(render(t, "html", rep))
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "<img src=x") {
		t.Fatal("record values were not escaped")
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(page, `id="timeline"`) {
		t.Fatal("escaped values or the timeline section missing")
	}
}
