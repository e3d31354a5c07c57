package hunt

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/trailseal/trailseal/internal/hunt/detection"
	"github.com/trailseal/trailseal/internal/hunt/record"
	"github.com/trailseal/trailseal/internal/verify"
)

// The trail of the Elastic test records ht-051 (StartLogging by name),
// ht-052 (StopLogging by ARN) and ht-036 (UpdateTrail turning validation
// off, by ARN).
const elasticTrail = "arn:aws:cloudtrail:us-west-2:0123456789012:trail/TEST-trail"

func at(s string) func(m map[string]any) {
	return func(m map[string]any) { m["eventTime"] = s }
}

func mustEvent(t *testing.T, r *record.Record, location string) TrailEvent {
	t.Helper()
	e, ok := trailEventOf(r)
	if !ok {
		t.Fatalf("%s %s: not a trail event", r.EventName, r.EventID)
	}
	e.Origin = detection.Origin{Kind: "s3", Location: location, Verification: "valid"}
	return e
}

// TestTrailEventsOfRecords: which recorded calls stop or start a trail's
// logging or validation. Failed calls (TrailNotFoundException) and an
// UpdateTrail that leaves validation alone are not trail events.
func TestTrailEventsOfRecords(t *testing.T) {
	tests := []struct {
		name   string
		rec    *record.Record
		effect Effect
		change string
	}{
		{"StopLogging by ARN (ht-052)", corpusRecord(t, "ht-052", nil), Stops, "logging stopped"},
		{"StartLogging by name (ht-051)", corpusRecord(t, "ht-051", nil), Starts, "logging started"},
		{"UpdateTrail validation off (ht-036)", corpusRecord(t, "ht-036", nil), Stops, "log file validation turned off"},
		{"UpdateTrail validation on (ht-036 edited)", corpusRecord(t, "ht-036", func(m map[string]any) { params(m)["enableLogFileValidation"] = true }),
			Starts, "log file validation turned on"},
		{"UpdateTrail of other settings (ht-036 without enableLogFileValidation)",
			corpusRecord(t, "ht-036", func(m map[string]any) { delete(params(m), "enableLogFileValidation") }), 0, ""},
		{"CreateTrail (ht-003)", corpusRecord(t, "ht-003", nil), Creates, "trail created"},
		{"StopLogging refused as TrailNotFoundException (ht-010)", corpusRecord(t, "ht-010", nil), 0, ""},
		{"DeleteTrail", written(t, "cloudtrail.amazonaws.com", "DeleteTrail", `{"name":"audit"}`, ""), Stops, "trail deleted"},
		{"StopLogging denied", written(t, "cloudtrail.amazonaws.com", "StopLogging", `{"name":"audit"}`, "AccessDenied"), 0, ""},
	}
	for _, tt := range tests {
		e, ok := trailEventOf(tt.rec)
		if ok != (tt.effect != 0) || e.Effect != tt.effect || e.Change != tt.change {
			t.Errorf("%s: event %v %+v, want effect %d %q", tt.name, ok, e, tt.effect, tt.change)
		}
	}
	id := TrailIDOf(elasticTrail)
	for _, ref := range []string{"ht-051", "ht-052", "ht-036"} {
		if e, _ := trailEventOf(corpusRecord(t, ref, nil)); !id.Names(e) {
			t.Errorf("%s (trail %q, %s, %s) does not name %s", ref, e.Trail, e.Account, e.Region, elasticTrail)
		}
	}
	for _, other := range []TrailID{TrailIDOf("arn:aws:cloudtrail:us-east-1:0123456789012:trail/TEST-trail"),
		TrailIDOf("arn:aws:cloudtrail:us-west-2:0123456789012:trail/TEST-trail-2")} {
		if e, _ := trailEventOf(corpusRecord(t, "ht-052", nil)); other.Names(e) {
			t.Errorf("ht-052 names %s", other.ARN)
		}
		if e, _ := trailEventOf(corpusRecord(t, "ht-051", nil)); other.Names(e) {
			t.Errorf("ht-051 (a name called in us-west-2) names %s", other.ARN)
		}
	}
}

// TestExplainGaps: a restart is explained by the StopLogging before it and
// the StartLogging after it, read from the logs; another trail's calls are
// not taken; what the logs lack is asked from event history once, over
// the gaps' window; offline or beyond event history's 90 days the gap
// says what was not found.
func TestExplainGaps(t *testing.T) {
	now := time.Date(2020, 2, 1, 0, 0, 0, 0, time.UTC)
	trail := TrailIDOf(elasticTrail)
	stop := mustEvent(t, corpusRecord(t, "ht-052", nil), "s3://b/stop.json.gz") // 2020-01-09T16:46:16Z
	start := mustEvent(t, corpusRecord(t, "ht-051", at("2020-01-09T19:10:00Z")), "s3://b/start.json.gz")
	otherStop := mustEvent(t, corpusRecord(t, "ht-031", at("2020-01-09T16:50:00Z")), "s3://b/other.json.gz")
	validationOff := mustEvent(t, corpusRecord(t, "ht-036", at("2020-01-12T09:40:00Z")), "s3://b/off.json.gz")
	validationOn := mustEvent(t, corpusRecord(t, "ht-036", func(m map[string]any) {
		m["eventTime"], m["eventID"], m["sourceIPAddress"] = "2020-01-12T13:20:00Z", "validation-on", "203.0.113.9"
		params(m)["enableLogFileValidation"] = true
	}), "event history us-west-2")
	validationOn.Origin = detection.Origin{Kind: "event-history", Location: "event history us-west-2"}
	gap := func(from, to string, where string) verify.Gap {
		f, _ := time.Parse(time.RFC3339, from)
		tt, _ := time.Parse(time.RFC3339, to)
		return verify.Gap{Region: "us-west-2", From: f, To: tt, Reason: verify.ValidationGap, Where: where}
	}

	t.Run("from the logs", func(t *testing.T) {
		gaps := []verify.Gap{gap("2020-01-09T17:01:31Z", "2020-01-09T19:01:31Z", verify.GapRestart)}
		calls := 0
		history := func(context.Context, time.Time, time.Time) ([]TrailEvent, error) { calls++; return nil, nil }
		if err := ExplainGaps(context.Background(), gaps, trail, []TrailEvent{otherStop, stop, start}, history, now); err != nil {
			t.Fatal(err)
		}
		g := gaps[0]
		if g.OpenedBy == nil || g.OpenedBy.EventID != stop.EventID || g.OpenedBy.Actor != "user/Alice" || g.OpenedBy.SourceIP != "127.0.0.1" ||
			g.OpenedBy.ReadFrom != "s3://b/stop.json.gz (valid)" || g.OpenedBy.Change != "logging stopped" {
			t.Errorf("opened by %+v, want ht-052's StopLogging by user/Alice", g.OpenedBy)
		}
		if g.ClosedBy == nil || g.ClosedBy.EventName != "StartLogging" || !g.ClosedBy.EventTime.Equal(start.Time) || g.ClosedBy.ActorARN != "arn:aws:iam::0123456789012:user/Alice" {
			t.Errorf("closed by %+v, want ht-051's StartLogging", g.ClosedBy)
		}
		if calls != 0 || g.Unexplained != "" {
			t.Errorf("event history asked %d times, unexplained %q: the logs explain the gap", calls, g.Unexplained)
		}
	})

	t.Run("from event history", func(t *testing.T) {
		gaps := []verify.Gap{gap("2020-01-09T17:01:31Z", "2020-01-09T19:01:31Z", verify.GapRestart),
			gap("2020-01-12T10:01:31Z", "2020-01-12T13:01:31Z", verify.GapRestart)}
		var asked [][2]time.Time
		history := func(_ context.Context, from, to time.Time) ([]TrailEvent, error) {
			asked = append(asked, [2]time.Time{from, to})
			return []TrailEvent{validationOn, otherStop}, nil
		}
		if err := ExplainGaps(context.Background(), gaps, trail, []TrailEvent{stop, start, validationOff}, history, now); err != nil {
			t.Fatal(err)
		}
		if len(asked) != 1 || !asked[0][0].Equal(gaps[1].From.Add(-2*time.Hour)) || !asked[0][1].Equal(gaps[1].To.Add(2*time.Hour)) {
			t.Errorf("event history asked for %v, want once, for the second gap's window", asked)
		}
		g := gaps[1]
		if g.OpenedBy == nil || g.OpenedBy.Change != "log file validation turned off" || g.ClosedBy == nil ||
			g.ClosedBy.EventID != "validation-on" || g.ClosedBy.ReadFrom != "event history us-west-2" || g.ClosedBy.SourceIP != "203.0.113.9" {
			t.Errorf("second gap: opened by %+v, closed by %+v", g.OpenedBy, g.ClosedBy)
		}
		if gaps[0].ClosedBy == nil || gaps[0].ClosedBy.EventName != "StartLogging" || g.Unexplained != "" {
			t.Errorf("gaps %+v", gaps)
		}
	})

	t.Run("offline, after the chain, beyond 90 days", func(t *testing.T) {
		gaps := []verify.Gap{gap("2020-01-12T10:01:31Z", "2020-01-12T13:01:31Z", verify.GapRestart),
			gap("2020-01-09T17:01:31Z", "2020-01-10T00:00:00Z", verify.GapAfterChain)}
		if err := ExplainGaps(context.Background(), gaps, trail, []TrailEvent{stop, start, validationOff}, nil, now); err != nil {
			t.Fatal(err)
		}
		if gaps[0].ClosedBy != nil || !strings.Contains(gaps[0].Unexplained, "no StartLogging, UpdateTrail turning validation on or CreateTrail after it") ||
			!strings.Contains(gaps[0].Unexplained, "event history was not asked (offline)") {
			t.Errorf("offline: %+v", gaps[0])
		}
		if gaps[1].OpenedBy == nil || gaps[1].ClosedBy != nil || gaps[1].Unexplained != "" {
			t.Errorf("a gap after the last digest needs only what opened it: %+v", gaps[1])
		}
		gaps = []verify.Gap{gap("2020-01-12T10:01:31Z", "2020-01-12T13:01:31Z", verify.GapRestart)}
		asked := false
		history := func(context.Context, time.Time, time.Time) ([]TrailEvent, error) {
			asked = true
			return nil, errors.New("unreachable")
		}
		if err := ExplainGaps(context.Background(), gaps, trail, nil, history, now.AddDate(0, 6, 0)); err != nil {
			t.Fatal(err)
		}
		if asked || !strings.Contains(gaps[0].Unexplained, "event history keeps only 90 days") || !strings.Contains(gaps[0].Unexplained, "no StopLogging") {
			t.Errorf("beyond 90 days: asked %v, %q", asked, gaps[0].Unexplained)
		}
	})
}
