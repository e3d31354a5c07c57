package report

import (
	"io"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/ocsf"
)

// complianceEvent is an OCSF 1.3.0 Compliance Finding (class 2003).
type complianceEvent struct {
	ocsf.Finding
	Message     string            `json:"message"`
	Metadata    ocsf.Metadata     `json:"metadata"`
	FindingInfo ocsf.FindingInfo  `json:"finding_info"`
	Compliance  ocsfCompliance    `json:"compliance"`
	Cloud       ocsf.Cloud        `json:"cloud"`
	Resources   []ocsf.Resource   `json:"resources,omitempty"`
	Remediation *ocsf.Remediation `json:"remediation,omitempty"`
	Unmapped    map[string]any    `json:"unmapped,omitempty"`
}

type ocsfCompliance struct {
	Standards    []string `json:"standards"`
	Requirements []string `json:"requirements,omitempty"`
	Control      string   `json:"control"`
	StatusID     int      `json:"status_id"`
	Status       string   `json:"status"`
	StatusDetail string   `json:"status_detail,omitempty"`
}

// ocsfComplianceStatus: ERROR and MANUAL are "Warning" (the check did not
// yield a result for lack of information); N/A has no OCSF equivalent and is
// "Other" with the status label kept.
var ocsfComplianceStatus = map[findings.Status]struct {
	id   int
	name string
}{
	findings.Pass:   {1, "Pass"},
	findings.Error:  {2, "Warning"},
	findings.Manual: {2, "Warning"},
	findings.Fail:   {3, "Fail"},
	findings.NA:     {99, "Not applicable"},
}

// writeOCSF writes a JSON array of OCSF Compliance Finding events (class
// 2003, schema 1.3.0), one per finding of every status.
func writeOCSF(w io.Writer, rep *findings.Report, entries []catalog.Rule, _ Options) error {
	idx := ruleIndex(entries)
	ms := rep.GeneratedAt.UnixMilli()
	out := []complianceEvent{}
	for _, f := range rep.Findings {
		r := idx[f.RuleID]
		cs := ocsfComplianceStatus[f.Status]
		ev := complianceEvent{
			Finding:  ocsf.NewFinding(ocsf.ComplianceFinding, f.Severity, ms),
			Message:  f.Message,
			Metadata: ocsf.TrailsealMetadata(rep.Version, "trailseal scan"),
			FindingInfo: ocsf.FindingInfo{
				UID: f.ID, Title: nonEmpty(r.Title, f.RuleID), Desc: r.Rationale,
				Types: []string{"CloudTrail posture"}, CreatedTime: ms,
			},
			Compliance: ocsfCompliance{
				Standards:    ocsfStandards(r),
				Requirements: frameworkRefs(r),
				Control:      f.RuleID,
				StatusID:     cs.id,
				Status:       cs.name,
				StatusDetail: f.Message,
			},
			Cloud: ocsf.AWSCloud(f.Region, ocsf.AWSAccount(f.Account, f.AccountName)),
		}
		if f.Suppressed != nil {
			ev.StatusID, ev.Status = 3, "Suppressed"
			ev.Unmapped = map[string]any{"suppression": f.Suppressed}
		}
		if f.Resource != "" {
			ar := asffResourceFor(f, f.Region)
			ev.Resources = []ocsf.Resource{{UID: f.Resource, Name: resourceName(f.Resource), Type: ar.Type, Region: f.Region, CloudPartition: ar.Partition}}
		}
		if len(f.Evidence) > 0 {
			if ev.Unmapped == nil {
				ev.Unmapped = map[string]any{}
			}
			ev.Unmapped["evidence"] = f.Evidence
		}
		if rem := remediationText(r.Remediation); rem != "" {
			ev.Remediation = &ocsf.Remediation{Desc: rem, References: r.References}
		}
		out = append(out, ev)
	}
	return ocsf.Write(w, out)
}

// ocsfStandards names the frameworks a rule belongs to; a rule outside
// every framework belongs to trailseal's own best practices.
func ocsfStandards(r catalog.Rule) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range r.Frameworks {
		name := asffStandardNames[f.Framework]
		if name == "" {
			name = f.Framework
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return append(out, "trailseal audit trail best practices")
}
