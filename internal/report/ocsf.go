package report

import (
	"encoding/json"
	"io"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/findings"
)

// OCSF pins: the schema version and the Compliance Finding class.
const (
	ocsfVersion        = "1.3.0"
	ocsfCategoryUID    = 2 // Findings
	ocsfClassUID       = 2003
	ocsfActivityCreate = 1
)

type ocsfEvent struct {
	ActivityID   int              `json:"activity_id"`
	ActivityName string           `json:"activity_name"`
	CategoryUID  int              `json:"category_uid"`
	CategoryName string           `json:"category_name"`
	ClassUID     int              `json:"class_uid"`
	ClassName    string           `json:"class_name"`
	TypeUID      int              `json:"type_uid"`
	TypeName     string           `json:"type_name"`
	SeverityID   int              `json:"severity_id"`
	Severity     string           `json:"severity"`
	StatusID     int              `json:"status_id"`
	Status       string           `json:"status"`
	Time         int64            `json:"time"`
	Message      string           `json:"message"`
	Metadata     ocsfMetadata     `json:"metadata"`
	FindingInfo  ocsfFindingInfo  `json:"finding_info"`
	Compliance   ocsfCompliance   `json:"compliance"`
	Cloud        ocsfCloud        `json:"cloud"`
	Resources    []ocsfResource   `json:"resources,omitempty"`
	Remediation  *ocsfRemediation `json:"remediation,omitempty"`
	Unmapped     map[string]any   `json:"unmapped,omitempty"`
}

type ocsfMetadata struct {
	Version string      `json:"version"`
	Product ocsfProduct `json:"product"`
	LogName string      `json:"log_name,omitempty"`
}

type ocsfProduct struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
	Version    string `json:"version,omitempty"`
}

type ocsfFindingInfo struct {
	UID         string   `json:"uid"`
	Title       string   `json:"title"`
	Desc        string   `json:"desc,omitempty"`
	Types       []string `json:"types,omitempty"`
	CreatedTime int64    `json:"created_time"`
}

type ocsfCompliance struct {
	Standards    []string `json:"standards"`
	Requirements []string `json:"requirements,omitempty"`
	Control      string   `json:"control"`
	StatusID     int      `json:"status_id"`
	Status       string   `json:"status"`
	StatusDetail string   `json:"status_detail,omitempty"`
}

type ocsfCloud struct {
	Provider string      `json:"provider"`
	Region   string      `json:"region,omitempty"`
	Account  ocsfAccount `json:"account"`
}

type ocsfAccount struct {
	UID    string `json:"uid"`
	Name   string `json:"name,omitempty"`
	TypeID int    `json:"type_id"`
	Type   string `json:"type"`
}

type ocsfResource struct {
	UID            string `json:"uid"`
	Name           string `json:"name,omitempty"`
	Type           string `json:"type,omitempty"`
	Region         string `json:"region,omitempty"`
	CloudPartition string `json:"cloud_partition,omitempty"`
}

type ocsfRemediation struct {
	Desc       string   `json:"desc"`
	References []string `json:"references,omitempty"`
}

var ocsfSeverity = map[findings.Severity]struct {
	id   int
	name string
}{
	findings.Info:     {1, "Informational"},
	findings.Low:      {2, "Low"},
	findings.Medium:   {3, "Medium"},
	findings.High:     {4, "High"},
	findings.Critical: {5, "Critical"},
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
	out := []ocsfEvent{}
	for _, f := range rep.Findings {
		r := idx[f.RuleID]
		sev, ok := ocsfSeverity[f.Severity]
		if !ok {
			sev = ocsfSeverity[findings.Info]
			sev.id, sev.name = 0, "Unknown"
		}
		cs := ocsfComplianceStatus[f.Status]
		ev := ocsfEvent{
			ActivityID: ocsfActivityCreate, ActivityName: "Create",
			CategoryUID: ocsfCategoryUID, CategoryName: "Findings",
			ClassUID: ocsfClassUID, ClassName: "Compliance Finding",
			TypeUID: ocsfClassUID*100 + ocsfActivityCreate, TypeName: "Compliance Finding: Create",
			SeverityID: sev.id, Severity: sev.name,
			StatusID: 1, Status: "New",
			Time:    ms,
			Message: f.Message,
			Metadata: ocsfMetadata{
				Version: ocsfVersion,
				Product: ocsfProduct{Name: "trailseal", VendorName: "trailseal", Version: rep.Version},
				LogName: "trailseal scan",
			},
			FindingInfo: ocsfFindingInfo{
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
			Cloud: ocsfCloud{
				Provider: "AWS",
				Region:   f.Region,
				Account:  ocsfAccount{UID: f.Account, Name: f.AccountName, TypeID: 10, Type: "AWS Account"},
			},
		}
		if f.Suppressed != nil {
			ev.StatusID, ev.Status = 3, "Suppressed"
			ev.Unmapped = map[string]any{"suppression": f.Suppressed}
		}
		if f.Resource != "" {
			ar := asffResourceFor(f, f.Region)
			ev.Resources = []ocsfResource{{UID: f.Resource, Name: resourceName(f.Resource), Type: ar.Type, Region: f.Region, CloudPartition: ar.Partition}}
		}
		if len(f.Evidence) > 0 {
			if ev.Unmapped == nil {
				ev.Unmapped = map[string]any{}
			}
			ev.Unmapped["evidence"] = f.Evidence
		}
		if rem := remediationText(r.Remediation); rem != "" {
			ev.Remediation = &ocsfRemediation{Desc: rem, References: r.References}
		}
		out = append(out, ev)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
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
