package output

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/hunt/detection"
	"github.com/trailseal/trailseal/internal/report"
)

var severityColor = map[findings.Severity]string{
	findings.Critical: "9",
	findings.High:     "202",
	findings.Medium:   "11",
	findings.Low:      "12",
	findings.Info:     "8",
}

// writeTimeline prints detections grouped by actor, each group in time
// order (newest last), with the evidence needed to act: where, from where,
// which request, which log file.
func writeTimeline(w io.Writer, rep *detection.Report, opts Options) error {
	re := report.Renderer(w, opts.Color)
	bold := re.NewStyle().Bold(true)
	dim := re.NewStyle().Faint(true)

	var b strings.Builder
	fmt.Fprintf(&b, "%s  source: %s\n", bold.Render("trailseal hunt"), rep.Sources.Description)
	fmt.Fprintf(&b, "context: %s\n", ContextLine(rep.Context))
	if rep.Start != nil || rep.End != nil {
		fmt.Fprintf(&b, "period: %s to %s\n", timeOr(rep.Start, "the beginning"), timeOr(rep.End, "now"))
	}
	for _, g := range ByActor(rep.Detections) {
		b.WriteString("\n")
		b.WriteString(bold.Render(g.Actor.Name()))
		fmt.Fprintf(&b, "  %s\n", dim.Render(actorDetails(g.Actor, len(g.Detections))))
		for _, d := range g.Detections {
			sev := re.NewStyle().Foreground(lipgloss.Color(severityColor[d.Severity])).Bold(true).Render(fmt.Sprintf("%-8s", strings.ToUpper(string(d.Severity))))
			attempt := ""
			if d.Attempt {
				attempt = " (attempt)"
			}
			fmt.Fprintf(&b, "  %s  %s  %s%s  %s  %s\n", d.EventTime.UTC().Format("2006-01-02 15:04:05Z"), sev, d.DetectionID, attempt, d.EventName, d.Region)
			fmt.Fprintf(&b, "      %s\n", d.Message)
			fmt.Fprintf(&b, "      %s\n", dim.Render(evidenceLine(d)))
		}
	}
	if len(rep.Detections) == 0 {
		b.WriteString("\nNothing weakened the audit trail in the records read.\n")
	}
	if len(rep.Sources.Errors) > 0 {
		b.WriteString("\nCould not read:\n")
		for _, e := range rep.Sources.Errors {
			fmt.Fprintf(&b, "  %s: %s\n", e.Location, e.Error)
		}
	}
	if len(rep.Notes) > 0 {
		b.WriteString("\nNot judged:\n")
		for _, n := range rep.Notes {
			fmt.Fprintf(&b, "  %s\n", n)
		}
	}
	fmt.Fprintf(&b, "\n%s\n", Summary(rep))
	if len(rep.Detections) > 0 {
		b.WriteString("What a detection means and how to respond: trailseal explain DETECTION-ID\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func timeOr(t *time.Time, def string) string {
	if t == nil || t.IsZero() {
		return def
	}
	return t.UTC().Format(time.RFC3339)
}

// actorDetails says what kind of principal the actor is and how it signed in.
func actorDetails(a detection.Actor, n int) string {
	var parts []string
	if a.Type != "" {
		parts = append(parts, a.Type)
	}
	if a.ARN != "" && a.Name() != a.ARN {
		parts = append(parts, a.ARN)
	}
	if a.AccessKeyID != "" {
		parts = append(parts, "access key "+a.AccessKeyID)
	}
	if a.InvokedBy != "" && a.Type != "AWSService" {
		parts = append(parts, "via "+a.InvokedBy)
	}
	if a.MFAAuthenticated == "true" {
		parts = append(parts, "MFA")
	}
	if a.SourceIdentity != "" {
		parts = append(parts, "source identity "+a.SourceIdentity)
	}
	parts = append(parts, fmt.Sprintf("%d detection%s", n, plural(n)))
	return strings.Join(parts, ", ")
}

// evidenceLine names where the call came from and where the record was read.
func evidenceLine(d detection.Detection) string {
	var parts []string
	if d.SourceIP != "" {
		parts = append(parts, "from "+d.SourceIP)
	}
	if d.UserAgent != "" {
		ua := d.UserAgent
		if len(ua) > 60 {
			ua = ua[:57] + "..."
		}
		parts = append(parts, ua)
	}
	parts = append(parts, "account "+d.Account, "event "+d.EventID)
	loc := d.Origin.Key
	if loc == "" {
		loc = d.Origin.Location
	}
	if loc != "" {
		where := fmt.Sprintf("read from %s", loc)
		if d.Origin.Kind != "event-history" {
			where += fmt.Sprintf(" record %d", d.Origin.Record)
		}
		if d.Origin.Verification != "" {
			where += " (" + d.Origin.Verification + ")"
		}
		parts = append(parts, where)
	}
	if d.Match != "" && d.Match != "inventory" {
		parts = append(parts, "trail resource by "+d.Match)
	}
	return strings.Join(parts, " · ")
}
