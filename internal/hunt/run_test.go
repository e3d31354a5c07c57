package hunt

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailseal/trailseal/internal/hunt/detection"
	"github.com/trailseal/trailseal/internal/testenv"
)

func writeGz(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func stratusLog(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/corpus/stratus-red-team-detonation-logs.json")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestDirSource: the offline copy's log files are read, in both layouts;
// digests, sidecars and files delivered outside the period are not.
func TestDirSource(t *testing.T) {
	root := t.TempDir()
	log := stratusLog(t)
	const prefix = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/01/"
	inside := filepath.Join(root, "trail-bucket", prefix, "111122223333_CloudTrail_us-east-1_20260301T1005Z_a.json.gz")
	writeGz(t, inside, log)
	writeGz(t, filepath.Join(root, "trail-bucket", prefix, "111122223333_CloudTrail_us-east-1_20260220T1005Z_early.json.gz"), log)
	writeGz(t, filepath.Join(root, "trail-bucket", prefix, "111122223333_CloudTrail_us-east-1_20260310T1005Z_late.json.gz"), log)
	writeGz(t, filepath.Join(root, "trail-bucket", "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/03/01/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20260301T100000Z.json.gz"), []byte("{}"))
	os.WriteFile(inside+".metadata.json", []byte(`{"x":"y"}`), 0o644)
	synced := filepath.Join(root, prefix, "111122223333_CloudTrail_us-east-1_20260301T1105Z_b.json")
	os.MkdirAll(filepath.Dir(synced), 0o755)
	os.WriteFile(synced, log, 0o644)

	var got []detection.Origin
	err := Dir{Root: root, Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}.Units(context.Background(), func(u Unit) error {
		got = append(got, u.Origin)
		return u.Err
	})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range got {
		keys = append(keys, o.Key)
	}
	slices.Sort(keys)
	want := []string{prefix + "111122223333_CloudTrail_us-east-1_20260301T1005Z_a.json.gz", prefix + "111122223333_CloudTrail_us-east-1_20260301T1105Z_b.json"}
	if !slices.Equal(keys, want) {
		t.Fatalf("keys %v, want %v", keys, want)
	}
	if err := (Dir{Root: t.TempDir()}).Units(context.Background(), func(Unit) error { return nil }); err == nil || !strings.Contains(err.Error(), "no CloudTrail log files") {
		t.Fatalf("empty folder: %v", err)
	}
}

// TestFileScanWriter: fed through Hunter.File (as verify would feed the
// bytes it hashes), a log file yields the same detections as when read as
// a unit, with the verification status verify sets; an event read twice
// is reported once.
func TestFileScanWriter(t *testing.T) {
	log := stratusLog(t)
	h := NewHunter(Options{})
	f := h.File(detection.Origin{Kind: "s3", Location: "s3://trail-bucket/k1", Key: "k1"})
	for p := log; len(p) > 0; p = p[min(len(p), 100):] {
		if _, err := f.Write(p[:min(len(p), 100)]); err != nil {
			t.Fatal(err)
		}
	}
	f.SetVerification("valid")
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	viaWriter := h.Report()

	p := filepath.Join(t.TempDir(), "copy.json")
	os.WriteFile(p, log, 0o644)
	h2 := NewHunter(Options{})
	for _, loc := range []string{p, p} {
		h2.ReadUnit(context.Background(), Unit{Origin: detection.Origin{Kind: "file", Location: loc},
			Open: func(context.Context) (io.ReadCloser, error) { return os.Open(loc) }})
	}
	viaFile := h2.Report()
	if len(viaWriter.Detections) != 4 || len(viaFile.Detections) != len(viaWriter.Detections) {
		t.Fatalf("writer %d detections, file (read twice) %d", len(viaWriter.Detections), len(viaFile.Detections))
	}
	for i, d := range viaWriter.Detections {
		if d.EventID != viaFile.Detections[i].EventID || d.Origin.Verification != "valid" || d.Origin.Key != "k1" {
			t.Errorf("detection %d: %+v vs %+v", i, d.Origin, viaFile.Detections[i].Origin)
		}
	}
	if viaFile.Sources.Files != 2 || viaFile.Sources.Records != 12 {
		t.Errorf("sources %+v", viaFile.Sources)
	}
}

// TestRecordsWithoutEventID: records an export stripped of eventID are
// each reported, not merged.
func TestRecordsWithoutEventID(t *testing.T) {
	p := filepath.Join(t.TempDir(), "export.jsonl")
	os.WriteFile(p, []byte(`{"eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","requestParameters":{"name":"a"}}
{"eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","requestParameters":{"name":"b"}}
`), 0o644)
	rep, err := Run(context.Background(), Files{Paths: []string{p}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Detections) != 2 {
		t.Fatalf("%d detections, want 2", len(rep.Detections))
	}
}

// TestTimeWindow: records outside --start-time/--end-time are not judged.
func TestTimeWindow(t *testing.T) {
	p := filepath.Join(t.TempDir(), "log.json")
	os.WriteFile(p, stratusLog(t), 0o644)
	// The detonation log's events are on 2024-07-31 and 2024-08-02.
	rep, err := Run(context.Background(), Files{Paths: []string{p}}, Options{
		Start: time.Date(2024, 7, 31, 12, 48, 0, 0, time.UTC), End: time.Date(2024, 8, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range rep.Detections {
		names = append(names, d.EventName)
	}
	if !slices.Equal(names, []string{"PutEventSelectors", "StopLogging"}) {
		t.Fatalf("in the window: %v", names)
	}
}

// TestLookupRefusedRegion: a region whose event history is refused is
// reported as a source that could not be read, after one call; the other
// region is read in full.
func TestLookupRefusedRegion(t *testing.T) {
	m := emulator(t)
	rec, err := testenv.StartTrailRecorder(m.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	rec.DenyLookups("eu-west-1")
	rec.LookupRate(50)
	rep, err := Run(context.Background(), &Lookup{Config: clientConfig(t, rec.URL, "AKIAEXAMPLEREADER001", "us-east-1"),
		Regions: []string{"us-east-1", "eu-west-1"}, Start: time.Now().Add(-time.Hour), Rate: 50}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Sources.Errors) != 1 || rep.Sources.Errors[0].Location != "event history eu-west-1" || !strings.Contains(rep.Sources.Errors[0].Error, "AccessDenied") {
		t.Fatalf("errors %+v", rep.Sources.Errors)
	}
	perRegion := map[string]int{}
	for _, c := range rec.Lookups() {
		if !c.Throttled {
			perRegion[c.Region]++
		}
	}
	if perRegion["eu-west-1"] != 1 || perRegion["us-east-1"] != len(detection.EventNames(true)) {
		t.Fatalf("lookups per region %v", perRegion)
	}
}

// TestLakeExport reads records as a CloudTrail Lake query exports them:
// lower-case column names, requestparameters a map<string,string> whose
// nested objects are JSON text, eventtime without a zone, and ids in
// string form (written from the Lake SQL schema, query-supported-event-schemas
// in the CloudTrail user guide).
func TestLakeExport(t *testing.T) {
	lake := `{"eventversion":"1.09","useridentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Ops/eve","accountid":"111122223333","sessioncontext":{"sessionissuer":{"arn":"arn:aws:iam::111122223333:role/Ops"}}},"eventtime":"2026-03-01 10:00:00.000","eventsource":"cloudtrail.amazonaws.com","eventname":"PutEventSelectors","awsregion":"us-east-1","requestparameters":{"trailName":"audit","eventSelectors":"[{\"readWriteType\":\"WriteOnly\",\"includeManagementEvents\":true}]"},"eventid":"lake-1","readonly":false,"recipientaccountid":"111122223333"}
{"eventversion":"1.09","useridentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Ops/eve"},"eventtime":"2026-03-01 10:01:00.000","eventsource":"s3.amazonaws.com","eventname":"PutBucketLifecycle","awsregion":"us-east-1","requestparameters":{"bucketName":"acme-cloudtrail-logs","LifecycleConfiguration":"{\"Rule\":{\"ID\":\"x\",\"Status\":\"Enabled\",\"Filter\":{\"Prefix\":\"\"},\"Expiration\":{\"Days\":\"7\"}}}"},"eventid":"lake-2","readonly":false,"recipientaccountid":"111122223333"}
{"eventversion":"1.09","useridentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Ops/eve"},"eventtime":"2026-03-01 10:02:00.000","eventsource":"cloudtrail.amazonaws.com","eventname":"UpdateTrail","awsregion":"us-east-1","requestparameters":{"name":"audit","enableLogFileValidation":"false"},"eventid":"lake-3","readonly":false,"recipientaccountid":"111122223333"}
`
	p := filepath.Join(t.TempDir(), "lake.jsonl")
	os.WriteFile(p, []byte(lake), 0o644)
	rep, err := Run(context.Background(), Files{Paths: []string{p}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range rep.Detections {
		got = append(got, d.DetectionID)
		if d.Actor.ARN != "arn:aws:sts::111122223333:assumed-role/Ops/eve" || d.EventTime.IsZero() {
			t.Errorf("%s: actor %q time %v", d.DetectionID, d.Actor.ARN, d.EventTime)
		}
	}
	want := []string{"hunt.trail_selectors_reduced", "hunt.bucket_lifecycle_expires_logs", "hunt.trail_weakened"}
	if !slices.Equal(got, want) || len(rep.Sources.Errors) > 0 {
		t.Fatalf("detections %v (errors %+v), want %v", got, rep.Sources.Errors, want)
	}
}
