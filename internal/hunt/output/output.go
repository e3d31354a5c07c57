// Package output writes a hunt report: a timeline for people (grouped by
// actor, newest last), JSON, OCSF Detection Findings (class 2004), CSV and
// an HTML page (the timeline section of the HTML report). Writers read the
// report and the detection catalog only.
package output

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/trailseal/trailseal/internal/hunt/detection"
)

// Options tune the writers.
type Options struct {
	// Color enables ANSI colour in the timeline.
	Color bool
}

// Writer renders a report in one format.
type Writer func(w io.Writer, rep *detection.Report, opts Options) error

var writers = map[string]Writer{
	"timeline": writeTimeline,
	"json":     writeJSON,
	"ocsf":     writeOCSF,
	"csv":      writeCSV,
	"html":     writeHTML,
}

// Formats returns the format names, the default first.
func Formats() []string {
	names := []string{"timeline"}
	var rest []string
	for n := range writers {
		if n != "timeline" {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	return append(names, rest...)
}

// Write renders rep in format.
func Write(w io.Writer, format string, rep *detection.Report, opts Options) error {
	wr, ok := writers[strings.ToLower(format)]
	if !ok {
		return fmt.Errorf("unknown format %q (supported: %s)", format, strings.Join(Formats(), ", "))
	}
	return wr(w, rep, opts)
}

// ActorGroup is the detections of one actor, oldest first.
type ActorGroup struct {
	Actor      detection.Actor
	Detections []detection.Detection
}

// ByActor groups detections by actor; groups are ordered by their first
// detection, and each group's detections by time (newest last).
func ByActor(ds []detection.Detection) []ActorGroup {
	idx := map[string]int{}
	var groups []ActorGroup
	sorted := slices.Clone(ds)
	slices.SortStableFunc(sorted, func(a, b detection.Detection) int {
		return cmp.Or(a.EventTime.Compare(b.EventTime), cmp.Compare(a.EventID, b.EventID))
	})
	for _, d := range sorted {
		k := d.Actor.Key()
		i, ok := idx[k]
		if !ok {
			i = len(groups)
			idx[k] = i
			groups = append(groups, ActorGroup{Actor: d.Actor})
		}
		groups[i].Detections = append(groups[i].Detections, d)
	}
	return groups
}

// Summary is the one-line count of a report.
func Summary(rep *detection.Report) string {
	bySev, attempts := rep.Counts()
	var parts []string
	for _, s := range []string{"critical", "high", "medium", "low", "info"} {
		for sev, n := range bySev {
			if string(sev) == s && n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n, s))
			}
		}
	}
	actors := len(ByActor(rep.Detections))
	out := fmt.Sprintf("%d detection%s", len(rep.Detections), plural(len(rep.Detections)))
	if len(parts) > 0 {
		out += " (" + strings.Join(parts, ", ") + ")"
	}
	if attempts == 1 {
		out += ", 1 of them a refused attempt,"
	} else if attempts > 1 {
		out += fmt.Sprintf(", %d of them refused attempts,", attempts)
	}
	if actors > 0 {
		out += fmt.Sprintf(" by %d actor%s", actors, plural(actors))
	}
	unit := "file"
	if strings.HasPrefix(rep.Sources.Description, "CloudTrail event history") {
		unit = "page"
	}
	out += fmt.Sprintf("; %d %s%s read, %d records, %d of them decoded",
		rep.Sources.Files, unit, plural(rep.Sources.Files), rep.Sources.Records, rep.Sources.Selected)
	if n := len(rep.Sources.Errors); n > 0 {
		out += fmt.Sprintf("; %d source%s could not be read", n, plural(n))
	}
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// ContextLine describes the context of a hunt in one line.
func ContextLine(c detection.ContextInfo) string {
	switch c.Kind {
	case "inventory", "snapshot":
		s := "inventory of account " + c.Account
		if c.Kind == "snapshot" {
			s = "snapshot " + c.Location + " of account " + c.Account
		}
		if !c.CollectedAt.IsZero() {
			s += ", collected " + c.CollectedAt.UTC().Format("2006-01-02 15:04Z")
		}
		return s
	}
	return "none (--no-context): bucket, key, log group and alarm detections fire only where the record shows the resource is a trail's"
}
