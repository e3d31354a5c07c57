package verify

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// LogObject names a log file verify reads, for a LogSink.
type LogObject struct {
	Region, Bucket, Key string
	// Location is how the report names it: s3://bucket/key, or its path
	// in an offline copy.
	Location string
}

// LogWriter takes the uncompressed bytes of one read of a log file.
type LogWriter interface {
	io.Writer
	// Finish is called once the file's hash was compared with its digest,
	// with the file's verdict (valid, or invalid and why).
	Finish(status Status, reasons []Reason)
	// Discard is called instead when the read failed (the object is
	// missing, or reading it broke off): what was written is void, and
	// the read may be tried again with a new LogWriter.
	Discard()
}

// LogSink returns the writer for one read of a log file. Options.LogSink
// sets it: verify --hunt parses the records of every log file it hashes
// from the same bytes, with no second read.
type LogSink func(LogObject) LogWriter

// sinkWriter passes bytes on to a LogWriter and keeps its failures from
// the hash: whatever the sink makes of the bytes (records it cannot
// parse), the file's verdict is the hash's alone. After the sink's first
// error the rest of the file is not passed on.
type sinkWriter struct {
	w      LogWriter
	failed bool
}

func (s *sinkWriter) Write(p []byte) (int, error) {
	if !s.failed {
		if _, err := s.w.Write(p); err != nil {
			s.failed = true
		}
	}
	return len(p), nil
}

// logObject names lf for a LogSink.
func (v *verifier) logObject(region string, lf logRef) LogObject {
	// The report's FromDir is set only when it is assembled.
	r := Report{FromDir: v.o.FromDir}
	return LogObject{Region: region, Bucket: lf.bucket, Key: lf.key, Location: r.where(lf.bucket, lf.key)}
}

// GapEvent is a CloudTrail event that opened or closed a gap: the call
// that stopped logging or turned validation off, or the one that started
// it again. verify --hunt finds them in the log files on either side of
// the gap or in CloudTrail event history.
type GapEvent struct {
	EventName string    `json:"eventName"`
	EventTime time.Time `json:"eventTime"`
	EventID   string    `json:"eventID,omitempty"`
	// Change says what the call did to the trail ("logging stopped",
	// "log file validation turned off", ...).
	Change  string `json:"change"`
	Trail   string `json:"trail"`
	Account string `json:"account,omitempty"`
	Region  string `json:"region,omitempty"`
	// Actor is who made the call, in short (user/alice, role/Admin
	// (session bob), root); ActorARN, AccessKeyID and InvokedBy say more.
	Actor       string `json:"actor"`
	ActorARN    string `json:"actorArn,omitempty"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	InvokedBy   string `json:"invokedBy,omitempty"`
	SourceIP    string `json:"sourceIPAddress,omitempty"`
	UserAgent   string `json:"userAgent,omitempty"`
	// ReadFrom is where the record was read: a log file (and its
	// verification status) or "event history REGION".
	ReadFrom string `json:"readFrom"`
}

// writeGapEvents adds what --hunt found about a gap to the text report.
func writeGapEvents(b *strings.Builder, g Gap) {
	for _, e := range g.Events() {
		fmt.Fprintf(b, "               %s %s\n                 %s\n", e.Label, e.Event.Describe(), e.Event.Source())
	}
	if g.Unexplained != "" {
		fmt.Fprintf(b, "               %s\n", g.Unexplained)
	}
}

// LabeledGapEvent is a call that opened or closed a gap.
type LabeledGapEvent struct {
	// Label is "opened by" or "closed by".
	Label string
	Event *GapEvent
}

// Events are the calls --hunt found to have opened and closed the gap.
func (g Gap) Events() []LabeledGapEvent {
	var out []LabeledGapEvent
	if g.OpenedBy != nil {
		out = append(out, LabeledGapEvent{"opened by", g.OpenedBy})
	}
	if g.ClosedBy != nil {
		out = append(out, LabeledGapEvent{"closed by", g.ClosedBy})
	}
	return out
}

// Describe says what the call did and who made it, from where:
// "StopLogging at T: logging stopped, by user/alice with access key K from
// IP". Every report format says it in these words.
func (ev *GapEvent) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s at %s: %s, by %s", ev.EventName, ev.EventTime.UTC().Format(displayTime), ev.Change, ev.Actor)
	if ev.ActorARN != "" && !strings.HasSuffix(ev.ActorARN, ev.Actor) {
		fmt.Fprintf(&b, " (%s)", ev.ActorARN)
	}
	if ev.AccessKeyID != "" {
		fmt.Fprintf(&b, " with access key %s", ev.AccessKeyID)
	}
	if ev.InvokedBy != "" {
		fmt.Fprintf(&b, " through %s", ev.InvokedBy)
	}
	if ev.SourceIP != "" {
		fmt.Fprintf(&b, " from %s", ev.SourceIP)
	}
	return b.String()
}

// Source says which record it is and where it was read.
func (ev *GapEvent) Source() string {
	return fmt.Sprintf("event %s, read from %s", ev.EventID, ev.ReadFrom)
}
