package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/findings"
)

// sarifFingerprint names the partial fingerprint that carries the stable
// finding ID, so code scanning tracks a finding across runs.
const sarifFingerprint = "trailsealFindingId/v1"

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
	l, err := newSARIFLog(rep.Version)
	if err != nil {
		return err
	}
	for _, r := range entries {
		l.addRule(scanRule(r))
	}
	for _, f := range rep.Findings {
		if f.Status != findings.Fail && f.Status != findings.Error && f.Status != findings.Manual {
			continue
		}
		if !l.hasRule(f.RuleID) {
			// A finding whose rule is not in the catalog still gets a
			// descriptor, so that ruleIndex is always valid.
			l.addRule(scanRule(catalog.Rule{ID: f.RuleID, Severity: f.Severity}))
		}
		l.addResult(scanResult(l, f))
	}
	return l.write(w)
}

// scanRule describes a catalog rule: its help is the remediation, its
// tags and security-severity what code scanning filters and ranks by.
func scanRule(r catalog.Rule) *sarif.ReportingDescriptor {
	d := sarifRule(r.ID, r.ID, nonEmpty(r.Title, r.ID), nonEmpty(r.Rationale, r.Title, r.ID),
		nonEmpty(remediationText(r.Remediation), r.Title, r.ID), sarifLevel(r.Severity))
	d.Help.WithMarkdown(sarifHelpMarkdown(r))
	withHelpURI(d, r.References)
	tags := []string{"security", "cloudtrail", string(r.Severity)}
	if r.Scope != "" {
		tags = append(tags, r.Scope)
	}
	pb := ruleProperties(tags, securitySeverity[r.Severity])
	pb.Add("precision", "high")
	if fw := frameworkRefs(r); len(fw) > 0 {
		pb.Add("frameworks", fw)
	}
	d.AttachPropertyBag(pb)
	return d
}

// scanResult is the result of a finding, located at its resource: the
// logical location carries the same ARN for viewers that understand it.
func scanResult(l *sarifLog, f findings.Finding) *sarif.Result {
	res := l.result(f.RuleID, nonEmpty(f.Message, f.RuleID))
	kind, level := sarifKindLevel(f)
	res.WithKind(kind).WithLevel(level)
	uri := resourceURI(f.Resource, f.Account)
	res.AddLocation(sarifLocationAt(uri, resourceName(uri), uri, "resource"))
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
	return res
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

func nonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}
