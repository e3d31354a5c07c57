package report

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/trailseal/trailseal/internal/hunt/detection"
	"github.com/trailseal/trailseal/internal/verify"
)

// What 'verify --hunt' adds to verify's reports: the calls that opened and
// closed each gap (in verify.Gap, said in verify's words), and the hunt's
// detections over the log files verified.

// sarifHuntFingerprint names the partial fingerprint of a detection: the
// same record and detection keep their alert across runs.
const sarifHuntFingerprint = "trailsealHuntId/v1"

// gapEventLines says what --hunt found about a gap, as the text report
// does.
func gapEventLines(g verify.Gap) []string {
	var out []string
	for _, e := range g.Events() {
		out = append(out, e.Label+" "+e.Event.Describe()+" ("+e.Event.Source()+")")
	}
	if g.Unexplained != "" {
		out = append(out, g.Unexplained)
	}
	return out
}

// addHuntSARIF adds a rule per detection of the catalog and a result per
// detection found.
func addHuntSARIF(l *sarifLog, hr *detection.Report) {
	for _, info := range detection.Catalog() {
		d := sarifRule(info.ID, info.ID, info.Title, nonEmpty(info.Meaning, info.Title),
			nonEmpty(info.Response, info.Meaning, info.Title), sarifLevel(info.Severity))
		withHelpURI(d, info.References)
		d.AttachPropertyBag(ruleProperties([]string{"security", "cloudtrail", "hunt", string(info.Severity)}, securitySeverity[info.Severity]))
		l.addRule(d)
	}
	for _, det := range hr.Detections {
		res := l.result(det.DetectionID, nonEmpty(det.Title, det.DetectionID)+": "+det.Message).
			WithKind("fail").WithLevel(sarifLevel(det.Severity))
		res.AddLocation(regionLocation(resourceURI(det.Resource, det.Account), det.Account, det.Region))
		res.WithPartialFingerPrints(map[string]any{sarifHuntFingerprint: verifyFingerprint(det.DetectionID, det.EventID)})
		pb := sarif.NewPropertyBag()
		pb.Add("severity", string(det.Severity))
		pb.Add("eventName", det.EventName)
		pb.Add("eventTime", timeKey(det.EventTime))
		pb.Add("eventID", det.EventID)
		pb.Add("account", det.Account)
		pb.Add("region", det.Region)
		pb.Add("actor", det.Actor.Name())
		addNonEmpty(pb, "actorArn", det.Actor.ARN)
		addNonEmpty(pb, "sourceIPAddress", det.SourceIP)
		pb.Add("readFrom", readFrom(det.Origin))
		if det.Attempt {
			pb.Add("attempt", true)
		}
		res.AttachPropertyBag(pb)
		l.addResult(res)
	}
}

func readFrom(o detection.Origin) string {
	where := o.Location
	if o.Key != "" {
		where = o.Key
	}
	if o.Verification != "" {
		where += " (" + o.Verification + ")"
	}
	return where
}

// junitHunt is the hunt's suite: a testcase per detection found, failing
// and listing each record, an error when sources could not be read, and a
// passing testcase when nothing weakened the trail.
func junitHunt(hr *detection.Report) junitSuite {
	s := junitSuite{Name: "hunt"}
	byID := map[string][]detection.Detection{}
	for _, d := range hr.Detections {
		byID[d.DetectionID] = append(byID[d.DetectionID], d)
	}
	ids := sortedKeys(byID)
	for _, id := range ids {
		ds := byID[id]
		var b strings.Builder
		for _, d := range ds {
			fmt.Fprintf(&b, "%s %s %s in %s, account %s, by %s", d.EventTime.UTC().Format(verifyTime), strings.ToUpper(string(d.Severity)),
				d.EventName, d.Region, d.Account, d.Actor.Name())
			if d.SourceIP != "" {
				fmt.Fprintf(&b, " from %s", d.SourceIP)
			}
			fmt.Fprintf(&b, "\n  %s\n  resource %s; event %s, read from %s\n", d.Message, d.Resource, d.EventID, readFrom(d.Origin))
		}
		s.Cases = append(s.Cases, junitTestCase{Name: id, Classname: "verify.hunt",
			Failure: &junitProblem{Message: fmt.Sprintf("%s: %d", nonEmpty(ds[0].Title, id), len(ds)), Type: id, Text: b.String()}})
	}
	if len(hr.Sources.Errors) > 0 {
		var b strings.Builder
		for _, e := range hr.Sources.Errors {
			fmt.Fprintf(&b, "%s: %s\n", e.Location, e.Error)
		}
		s.Cases = append(s.Cases, junitTestCase{Name: "records read", Classname: "verify.hunt",
			Error: &junitProblem{Message: plural(len(hr.Sources.Errors), "source", "sources") + " could not be read", Type: "HUNT_SOURCE_ERROR", Text: b.String()}})
	}
	if len(ids) == 0 {
		s.Cases = append(s.Cases, junitTestCase{Name: "no change weakened the trail", Classname: "verify.hunt",
			SystemOut: hr.Sources.Description})
	}
	return s
}

// huntSection renders the hunt's timeline section for the verify page.
// The section is html/template output, every value in it escaped.
func huntSection(t *Timeline) (template.HTML, error) {
	if t == nil {
		return "", nil
	}
	var buf bytes.Buffer
	if err := timelineTemplate().ExecuteTemplate(&buf, "timeline", *t); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil //nolint:gosec // escaped by html/template above
}
