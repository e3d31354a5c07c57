package report

import (
	_ "embed"
	"encoding/json"
	"html/template"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/trailseal/trailseal/internal/hunt/detection"
)

// The hunt timeline is its own template block ("timeline" in
// timeline.tmpl), apart from the scan report's template, so that either can
// change without the other; "hunt-page" wraps it into a page.

//go:embed timeline.tmpl
var timelineSource string

var timelineTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("timeline").Funcs(template.FuncMap{
		"lower": func(v any) string {
			switch x := v.(type) {
			case string:
				return strings.ToLower(x)
			default:
				b, _ := json.Marshal(x)
				return strings.ToLower(strings.Trim(string(b), `"`))
			}
		},
		"utc":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") },
		"json": func(v any) string { b, _ := json.MarshalIndent(v, "", "  "); return string(b) },
	}).Parse(timelineSource))
})

// TimelineGroup is one actor's detections, oldest first.
type TimelineGroup struct {
	Actor      detection.Actor
	Detections []detection.Detection
}

// Timeline is what the timeline section shows.
type Timeline struct {
	Generated, Version, Source, Context, Period, Summary string
	Groups                                               []TimelineGroup
	Errors                                               []detection.SourceError
	Notes                                                []string
	// Info holds each detection's catalog entry (title, meaning, response).
	Info map[string]detection.Info
}

// TimelineFor prepares a hunt report for the timeline section; summary and
// context are the report's one-line descriptions, groups its detections by
// actor.
func TimelineFor(rep *detection.Report, summary, context string, groups []TimelineGroup) Timeline {
	t := Timeline{Generated: rep.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC"), Version: rep.Version,
		Source: rep.Sources.Description, Context: context, Summary: summary, Groups: groups,
		Errors: rep.Sources.Errors, Notes: rep.Notes, Info: map[string]detection.Info{}}
	if rep.Start != nil || rep.End != nil {
		from, to := "the beginning", "now"
		if rep.Start != nil {
			from = rep.Start.UTC().Format(time.RFC3339)
		}
		if rep.End != nil {
			to = rep.End.UTC().Format(time.RFC3339)
		}
		t.Period = from + " to " + to
	}
	for _, d := range detection.Catalog() {
		t.Info[d.ID] = d
	}
	return t
}

// WriteTimelineHTML writes a self-contained page (inline CSS, no scripts
// or requests) with the timeline section. html/template escapes every value
// taken from the records, so a hostile user agent or bucket name cannot
// inject markup.
func WriteTimelineHTML(w io.Writer, t Timeline) error {
	return timelineTemplate().ExecuteTemplate(w, "hunt-page", t)
}
