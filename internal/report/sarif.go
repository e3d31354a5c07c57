package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/findings"
)

const (
	sarifInformationURI = "https://github.com/trailseal/trailseal"
	// sarifFingerprint names the partial fingerprint that carries the
	// stable finding ID, so code scanning tracks a finding across runs.
	sarifFingerprint = "trailsealFindingId/v1"
)

// securitySeverity is the CVSS-like score GitHub code scanning reads from
// a rule's "security-severity" property to rank alerts.
var securitySeverity = map[findings.Severity]string{
	findings.Critical: "9.5",
	findings.High:     "8.0",
	findings.Medium:   "5.5",
	findings.Low:      "3.0",
	findings.Info:     "0.0",
}

// sarifKindLevel: a FAIL is kind "fail" with a level from its severity. An
// ERROR (the evidence could not be read) is kind "open", SARIF's "not enough
// information to decide pass or fail"; a MANUAL is kind "review", "a person
// must look". SARIF 2.1.0 §3.27.10 allows only level "none" on a result whose
// kind is not "fail", so both carry "none"; their severity and status stay in
// the result's properties.
func sarifKindLevel(f findings.Finding) (kind, level string) {
	switch f.Status {
	case findings.Fail:
		return "fail", sarifLevel(f.Severity)
	case findings.Error:
		return "open", "none"
	default:
		return "review", "none"
	}
}

func sarifLevel(s findings.Severity) string {
	switch s {
	case findings.Critical, findings.High:
		return "error"
	case findings.Medium:
		return "warning"
	}
	return "note"
}

// writeSARIF writes a SARIF 2.1.0 log with one result per FAIL, ERROR or
// MANUAL finding (PASS and N/A are not problems to track). Every rule of
// the catalog is described in tool.driver.rules.
func writeSARIF(w io.Writer, rep *findings.Report, entries []catalog.Rule, _ Options) error {
	log, err := sarif.New(sarif.Version210)
	if err != nil {
		return err
	}
	version := rep.Version
	if version == "" {
		version = "dev"
	}
	driver := sarif.NewVersionedDriver("trailseal", version).WithInformationURI(sarifInformationURI)
	run := sarif.NewRun(sarif.Tool{Driver: driver})
	run.Tool.Driver.Rules = []*sarif.ReportingDescriptor{}
	ruleIdx := map[string]int{}
	addRule := func(r catalog.Rule) {
		d := sarif.NewRule(r.ID).
			WithName(r.ID).
			WithShortDescription(sarif.NewMultiformatMessageString(nonEmpty(r.Title, r.ID))).
			WithFullDescription(sarif.NewMultiformatMessageString(nonEmpty(r.Rationale, r.Title, r.ID))).
			WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(sarifLevel(r.Severity)))
		help := nonEmpty(remediationText(r.Remediation), r.Title, r.ID)
		d.WithHelp(sarif.NewMultiformatMessageString(help).WithMarkdown(sarifHelpMarkdown(r)))
		if len(r.References) > 0 && strings.HasPrefix(r.References[0], "http") {
			d.WithHelpURI(r.References[0])
		}
		pb := sarif.NewPropertyBag()
		tags := []string{"security", "cloudtrail", string(r.Severity)}
		if r.Scope != "" {
			tags = append(tags, r.Scope)
		}
		pb.Add("tags", tags)
		pb.Add("security-severity", securitySeverity[r.Severity])
		pb.Add("precision", "high")
		if fw := frameworkRefs(r); len(fw) > 0 {
			pb.Add("frameworks", fw)
		}
		d.AttachPropertyBag(pb)
		ruleIdx[r.ID] = len(run.Tool.Driver.Rules)
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, d)
	}
	for _, r := range entries {
		addRule(r)
	}
	run.Results = []*sarif.Result{}
	for _, f := range rep.Findings {
		if f.Status != findings.Fail && f.Status != findings.Error && f.Status != findings.Manual {
			continue
		}
		if _, ok := ruleIdx[f.RuleID]; !ok {
			// A finding whose rule is not in the catalog still gets a
			// descriptor, so that ruleIndex is always valid.
			addRule(catalog.Rule{ID: f.RuleID, Severity: f.Severity})
		}
		res := sarif.NewRuleResult(f.RuleID).
			WithRuleIndex(ruleIdx[f.RuleID]).
			WithMessage(sarif.NewTextMessage(nonEmpty(f.Message, f.RuleID)))
		kind, level := sarifKindLevel(f)
		res.WithKind(kind).WithLevel(level)
		res.AddLocation(sarifLocation(f))
		res.WithPartialFingerPrints(map[string]interface{}{sarifFingerprint: f.ID})
		pb := sarif.NewPropertyBag()
		pb.Add("status", string(f.Status))
		pb.Add("severity", string(f.Severity))
		pb.Add("account", f.Account)
		pb.Add("region", f.Region)
		pb.Add("findingId", f.ID)
		if len(f.Evidence) > 0 {
			pb.Add("evidence", f.Evidence)
		}
		res.AttachPropertyBag(pb)
		if f.Suppressed != nil {
			s := sarif.NewSuppression("external").
				WithJustifcation(fmt.Sprintf("%s (expires %s)", f.Suppressed.Reason, f.Suppressed.Expires))
			res.AddSuppression(s)
		}
		run.AddResult(res)
	}
	log.AddRun(run)
	return writeCleanJSON(w, log)
}

// sarifLocation names the AWS resource. Code scanning needs an artifact
// URI; the resource ARN (a valid URI: scheme "arn") serves as one, and the
// logical location carries the same ARN for viewers that understand it.
func sarifLocation(f findings.Finding) *sarif.Location {
	uri := f.Resource
	if uri == "" {
		uri = fmt.Sprintf("arn:aws:::%s", f.Account)
	}
	loc := sarif.NewLocation().WithPhysicalLocation(
		sarif.NewPhysicalLocation().WithArtifactLocation(sarif.NewSimpleArtifactLocation(uri)))
	loc.LogicalLocations = []*sarif.LogicalLocation{
		sarif.NewLogicalLocation().WithName(resourceName(uri)).WithFullyQualifiedName(uri).WithKind("resource"),
	}
	return loc
}

func sarifHelpMarkdown(r catalog.Rule) string {
	var b strings.Builder
	if r.Rationale != "" {
		fmt.Fprintf(&b, "%s\n\n", r.Rationale)
	}
	if s := strings.TrimSpace(r.Remediation.Console); s != "" {
		fmt.Fprintf(&b, "**Console**\n\n%s\n\n", s)
	}
	if s := strings.TrimSpace(r.Remediation.CLI); s != "" {
		fmt.Fprintf(&b, "**AWS CLI**\n\n```sh\n%s\n```\n\n", s)
	}
	if s := strings.TrimSpace(r.Remediation.Terraform); s != "" {
		fmt.Fprintf(&b, "**Terraform**\n\n```hcl\n%s\n```\n\n", s)
	}
	for _, ref := range r.References {
		fmt.Fprintf(&b, "- %s\n", ref)
	}
	return nonEmpty(strings.TrimSpace(b.String()), r.ID)
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

func nonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}
