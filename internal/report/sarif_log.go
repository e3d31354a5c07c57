package report

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"

	"github.com/owenrumney/go-sarif/v2/sarif"
)

// What the SARIF writers of scan, verify and verify --hunt share.

const sarifInformationURI = "https://github.com/trailseal/trailseal"

// sarifLog is a SARIF 2.1.0 log of one trailseal run being built. Rules
// are added before the results that refer to them.
type sarifLog struct {
	log     *sarif.Report
	run     *sarif.Run
	ruleIdx map[string]int
}

// newSARIFLog starts a log whose tool is trailseal at version ("dev" when
// empty). Its rules and results are empty lists, never absent.
func newSARIFLog(version string) (*sarifLog, error) {
	log, err := sarif.New(sarif.Version210)
	if err != nil {
		return nil, err
	}
	if version == "" {
		version = "dev"
	}
	driver := sarif.NewVersionedDriver("trailseal", version).WithInformationURI(sarifInformationURI)
	run := sarif.NewRun(sarif.Tool{Driver: driver})
	run.Tool.Driver.Rules = []*sarif.ReportingDescriptor{}
	run.Results = []*sarif.Result{}
	return &sarifLog{log: log, run: run, ruleIdx: map[string]int{}}, nil
}

// addRule describes a rule in tool.driver.rules.
func (l *sarifLog) addRule(d *sarif.ReportingDescriptor) {
	l.ruleIdx[d.ID] = len(l.run.Tool.Driver.Rules)
	l.run.Tool.Driver.Rules = append(l.run.Tool.Driver.Rules, d)
}

func (l *sarifLog) hasRule(id string) bool {
	_, ok := l.ruleIdx[id]
	return ok
}

// result starts a result of rule id saying msg; it names the rule's index
// when the run describes the rule. The caller adds it with addResult.
func (l *sarifLog) result(id, msg string) *sarif.Result {
	res := sarif.NewRuleResult(id).WithMessage(sarif.NewTextMessage(msg))
	if i, ok := l.ruleIdx[id]; ok {
		res.WithRuleIndex(i)
	}
	return res
}

func (l *sarifLog) addResult(res *sarif.Result) {
	l.run.AddResult(res)
}

func (l *sarifLog) write(w io.Writer) error {
	l.log.AddRun(l.run)
	return writeCleanJSON(w, l.log)
}

// sarifRule is a rule descriptor with its descriptions, its help text and
// the level its results have by default. A caller adds Markdown to
// FullDescription or Help with their WithMarkdown.
func sarifRule(id, name, short, full, help, level string) *sarif.ReportingDescriptor {
	return sarif.NewRule(id).WithName(name).
		WithShortDescription(sarif.NewMultiformatMessageString(short)).
		WithFullDescription(sarif.NewMultiformatMessageString(full)).
		WithHelp(sarif.NewMultiformatMessageString(help)).
		WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(level))
}

// withHelpURI points d's help at the first reference when it is a web page.
func withHelpURI(d *sarif.ReportingDescriptor, references []string) {
	if len(references) > 0 && strings.HasPrefix(references[0], "http") {
		d.WithHelpURI(references[0])
	}
}

// ruleProperties starts a rule's property bag with its tags and the
// "security-severity" score GitHub code scanning ranks alerts by.
func ruleProperties(tags []string, securitySeverity string) *sarif.PropertyBag {
	pb := sarif.NewPropertyBag()
	pb.Add("tags", tags)
	pb.Add("security-severity", securitySeverity)
	return pb
}

// resourceURI is the artifact URI of an AWS resource: its ARN (a valid
// URI, scheme "arn"), or the account's when there is no resource.
func resourceURI(resource, account string) string {
	if resource == "" {
		return "arn:aws:::" + account
	}
	return resource
}

// sarifLocationAt locates a result by an artifact URI (code scanning needs
// one) and by a logical location of kind named name and fullName, for
// viewers that group by it.
func sarifLocationAt(uri, name, fullName, kind string) *sarif.Location {
	loc := sarif.NewLocation().WithPhysicalLocation(
		sarif.NewPhysicalLocation().WithArtifactLocation(sarif.NewSimpleArtifactLocation(uri)))
	loc.LogicalLocations = []*sarif.LogicalLocation{
		sarif.NewLogicalLocation().WithName(name).WithFullyQualifiedName(fullName).WithKind(kind),
	}
	return loc
}

// writeCleanJSON marshals v, drops null members, and writes it indented.
// go-sarif serialises some unset optional members (suppression location,
// guid, status) as null, which the SARIF schema rejects.
func writeCleanJSON(w io.Writer, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(dropNulls(tree))
}

func dropNulls(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if x == nil {
				delete(t, k)
				continue
			}
			t[k] = dropNulls(x)
		}
	case []any:
		for i, x := range t {
			t[i] = dropNulls(x)
		}
	}
	return v
}
