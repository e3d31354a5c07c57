package hunt

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/trailseal/trailseal/internal/verify"
	"github.com/trailseal/trailseal/internal/verify/chaingen"
)

// TestLogSinkCarriesVerdict runs verify offline with the hunter as its log
// sink over a signed chain whose log files hold two StopLogging records
// (the Stratus detonation's, ht-031): one in a file left as delivered, one
// in a file modified after delivery (a space appended, so its hash no
// longer matches its digest). Both are detected, each with its file's
// verdict; every log file is counted once, and the StopLogging calls are
// kept as trail events.
func TestLogSinkCarriesVerdict(t *testing.T) {
	first := time.Date(2026, 3, 1, 0, 1, 31, 0, time.UTC)
	signers, err := chaingen.NewSigners(1024, first.Add(-24*time.Hour), first.Add(30*24*time.Hour), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	stop := corpusRecord(t, "ht-031", nil)
	raw := func(id string) []byte { // the recorded record under another event ID
		var m map[string]any
		if err := json.Unmarshal(corpusRecs["ht-031"], &m); err != nil {
			t.Fatal(err)
		}
		m["eventID"] = id
		b, _ := json.Marshal(m)
		return b
	}
	spec := chaingen.Spec{Bucket: "sink-trail", Layout: verify.Layout{AccountID: "111122223333", TrailName: "audit", HomeRegion: "us-east-1"},
		Regions: []string{"us-east-1"}, First: first, Hours: 3, LogsPerDigest: 2, LogBytes: 400, Signers: signers, Seed: 9,
		Records: func(_ string, h, i int) [][]byte {
			switch {
			case h == 0 && i == 1:
				return [][]byte{raw("kept")}
			case h == 2 && i == 0:
				return [][]byte{raw("tampered")}
			}
			return nil
		}}
	a, err := chaingen.Generate(spec)
	if err != nil {
		t.Fatal(err)
	}
	modified := a.LogKeys("us-east-1")[4]
	o := a.Get(modified)
	o.Body = chaingen.Gzip(append(chaingen.Gunzip(o.Body), ' '))
	dir := t.TempDir()
	if err := a.WriteDir(dir, true); err != nil {
		t.Fatal(err)
	}
	h := NewHunter(Options{TrailEvents: true})
	r, err := verify.Run(context.Background(), verify.Options{Store: verify.DirStore{Root: dir}, Bucket: "sink-trail", Layout: spec.Layout,
		Regions: []string{"us-east-1"}, Start: first.Truncate(time.Hour), End: first.Add(3 * time.Hour), Offline: true, FromDir: dir,
		Keys: verify.StaticKeys(signers.PublicKeys()), Concurrency: 4, Now: first.Add(24 * time.Hour), LogSink: h.LogSink()})
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != verify.OutcomeInvalid {
		t.Fatalf("outcome %s, want invalid (one log modified)", r.Outcome)
	}
	rep := h.Report()
	verdicts := map[string]string{}
	for _, d := range rep.Detections {
		if d.DetectionID == "hunt.trail_logging_stopped" {
			verdicts[d.EventID] = d.Origin.Verification
			if d.Origin.Kind != "file" || !bytes.HasPrefix([]byte(d.Origin.Location), []byte(dir)) || d.Actor.ARN != ActorOf(stop.UserIdentity).ARN {
				t.Errorf("detection origin %+v, actor %+v", d.Origin, d.Actor)
			}
		}
	}
	if verdicts["kept"] != "valid" || verdicts["tampered"] != "invalid: LOG_MODIFIED" {
		t.Errorf("verdicts %v, want kept valid and tampered invalid: LOG_MODIFIED", verdicts)
	}
	if rep.Sources.Files != 6 || len(rep.Sources.Errors) != 0 {
		t.Errorf("sources %+v, want the 6 log files read once", rep.Sources)
	}
	if ev := h.TrailEvents(); len(ev) != 2 || ev[0].Effect != Stops || ev[0].Origin.Verification == "" {
		t.Errorf("trail events %+v", ev)
	}
}
