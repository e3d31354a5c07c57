package output

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/trailseal/trailseal/internal/hunt/detection"
	"github.com/trailseal/trailseal/internal/report"
)

// writeJSON writes the report as it is: schemaVersion, the context, the
// sources and detections[].
func writeJSON(w io.Writer, rep *detection.Report, _ Options) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rep)
}

var csvHeader = []string{
	"detection_id", "severity", "attempt", "event_time", "event_name", "event_source", "event_id", "account", "region",
	"actor_type", "actor_arn", "actor", "access_key_id", "session_issuer", "invoked_by", "source_ip", "user_agent",
	"resource", "message", "weakens", "techniques", "match", "error_code", "read_from", "log_file_key", "record", "verification", "evidence",
}

// writeCSV writes one row per detection after a header row, RFC 4180
// quoting and CRLF line ends, as the scan's CSV.
func writeCSV(w io.Writer, rep *detection.Report, _ Options) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, d := range rep.Detections {
		ev := ""
		if len(d.Evidence) > 0 {
			b, _ := json.Marshal(d.Evidence)
			ev = string(b)
		}
		row := []string{
			d.DetectionID, string(d.Severity), strconv.FormatBool(d.Attempt), d.EventTime.UTC().Format(time.RFC3339), d.EventName, d.Source, d.EventID,
			d.Account, d.Region, d.Actor.Type, d.Actor.ARN, d.Actor.Name(), d.Actor.AccessKeyID, d.Actor.SessionIssuer, d.Actor.InvokedBy,
			d.SourceIP, d.UserAgent, d.Resource, d.Message, strings.Join(d.Weakens, " "), strings.Join(d.Techniques, " "), d.Match,
			d.ErrorCode, d.Origin.Location, d.Origin.Key, strconv.Itoa(d.Origin.Record), d.Origin.Verification, ev,
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeHTML writes one self-contained page holding the HTML report's
// timeline section.
func writeHTML(w io.Writer, rep *detection.Report, _ Options) error {
	return report.WriteTimelineHTML(w, report.TimelineFor(rep, Summary(rep), ContextLine(rep.Context), groupsOf(rep)))
}

func groupsOf(rep *detection.Report) []report.TimelineGroup {
	var out []report.TimelineGroup
	for _, g := range ByActor(rep.Detections) {
		out = append(out, report.TimelineGroup{Actor: g.Actor, Detections: g.Detections})
	}
	return out
}
