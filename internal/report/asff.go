package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/findings"
)

// ASFF (AWS Security Finding Format) limits, from the Security Hub
// BatchImportFindings documentation.
const (
	asffTitleMax       = 256
	asffDescriptionMax = 1024
	asffRecommendMax   = 512
	asffSchemaVersion  = "2018-10-08"
	asffFindingType    = "Software and Configuration Checks/AWS Security Best Practices/CloudTrail"
)

// asffFinding is the subset of AwsSecurityFinding that trailseal fills.
// Field names are those of the ASFF JSON document.
type asffFinding struct {
	SchemaVersion string            `json:"SchemaVersion"`
	Id            string            `json:"Id"`
	ProductArn    string            `json:"ProductArn"`
	ProductName   string            `json:"ProductName"`
	CompanyName   string            `json:"CompanyName"`
	GeneratorId   string            `json:"GeneratorId"`
	AwsAccountId  string            `json:"AwsAccountId"`
	Region        string            `json:"Region,omitempty"`
	Types         []string          `json:"Types"`
	CreatedAt     string            `json:"CreatedAt"`
	UpdatedAt     string            `json:"UpdatedAt"`
	Severity      asffSeverity      `json:"Severity"`
	Title         string            `json:"Title"`
	Description   string            `json:"Description"`
	Remediation   *asffRemediation  `json:"Remediation,omitempty"`
	ProductFields map[string]string `json:"ProductFields,omitempty"`
	Resources     []asffResource    `json:"Resources"`
	Compliance    asffCompliance    `json:"Compliance"`
	Workflow      asffWorkflow      `json:"Workflow"`
	RecordState   string            `json:"RecordState"`
}

type asffSeverity struct {
	Label    string `json:"Label"`
	Original string `json:"Original"`
}

type asffRemediation struct {
	Recommendation asffRecommendation `json:"Recommendation"`
}

type asffRecommendation struct {
	Text string `json:"Text"`
	Url  string `json:"Url,omitempty"`
}

type asffResource struct {
	Type      string `json:"Type"`
	Id        string `json:"Id"`
	Partition string `json:"Partition"`
	Region    string `json:"Region"`
}

type asffCompliance struct {
	Status              string             `json:"Status"`
	StatusReasons       []asffStatusReason `json:"StatusReasons,omitempty"`
	RelatedRequirements []string           `json:"RelatedRequirements,omitempty"`
}

type asffStatusReason struct {
	ReasonCode  string `json:"ReasonCode"`
	Description string `json:"Description"`
}

type asffWorkflow struct {
	Status string `json:"Status"`
}

var asffSeverityLabel = map[findings.Severity]string{
	findings.Critical: "CRITICAL",
	findings.High:     "HIGH",
	findings.Medium:   "MEDIUM",
	findings.Low:      "LOW",
	findings.Info:     "INFORMATIONAL",
}

// asffComplianceStatus maps a trailseal status; N/A findings are not
// exported. ERROR is NOT_AVAILABLE (the check could not run: an API error);
// MANUAL is WARNING (information is held where trailseal cannot look).
var asffComplianceStatus = map[findings.Status]string{
	findings.Fail:   "FAILED",
	findings.Pass:   "PASSED",
	findings.Error:  "NOT_AVAILABLE",
	findings.Manual: "WARNING",
}

// writeASFF writes a JSON array of ASFF findings, ready for
// BatchImportFindings (at most 100 per call: split the array). Each
// finding's ProductArn is the account's own default product in the
// finding's region, which is how Security Hub accepts findings from a
// custom integration.
func writeASFF(w io.Writer, rep *findings.Report, entries []catalog.Rule, _ Options) error {
	idx := ruleIndex(entries)
	ts := rep.GeneratedAt.UTC().Format("2006-01-02T15:04:05.000Z")
	out := []asffFinding{}
	for _, f := range rep.Findings {
		status, ok := asffComplianceStatus[f.Status]
		if !ok {
			continue
		}
		r := idx[f.RuleID]
		region := asffRegion(f.Region, rep.Regions)
		af := asffFinding{
			SchemaVersion: asffSchemaVersion,
			Id:            f.ID,
			ProductArn:    fmt.Sprintf("arn:%s:securityhub:%s:%s:product/%s/default", partition(region), region, f.Account, f.Account),
			ProductName:   "trailseal",
			CompanyName:   "trailseal",
			GeneratorId:   f.RuleID,
			AwsAccountId:  f.Account,
			Region:        region,
			Types:         []string{asffFindingType},
			CreatedAt:     ts,
			UpdatedAt:     ts,
			Severity:      asffSeverity{Label: asffSeverityLabel[f.Severity], Original: string(f.Severity)},
			Title:         truncate(nonEmpty(r.Title, f.RuleID), asffTitleMax),
			Description:   truncate(nonEmpty(f.Message, r.Title, f.RuleID), asffDescriptionMax),
			Resources:     []asffResource{asffResourceFor(f, region)},
			Compliance:    asffCompliance{Status: status, RelatedRequirements: asffRequirements(r)},
			Workflow:      asffWorkflow{Status: "NEW"},
			RecordState:   "ACTIVE",
			ProductFields: map[string]string{
				"trailseal/Status":   string(f.Status),
				"trailseal/RuleId":   f.RuleID,
				"trailseal/Resource": f.Resource,
			},
		}
		if ev := evidenceJSON(f.Evidence); ev != "" {
			af.ProductFields["trailseal/Evidence"] = truncate(ev, 2048)
		}
		if f.Status == findings.Pass {
			af.Workflow.Status = "RESOLVED"
		}
		if f.Status == findings.Error || f.Status == findings.Manual {
			af.Compliance.StatusReasons = []asffStatusReason{{ReasonCode: "TRAILSEAL_" + string(f.Status), Description: truncate(f.Message, 2048)}}
		}
		if f.Suppressed != nil {
			af.Workflow.Status = "SUPPRESSED"
			af.ProductFields["trailseal/SuppressionReason"] = f.Suppressed.Reason
			af.ProductFields["trailseal/SuppressionExpires"] = f.Suppressed.Expires
		}
		if rem := remediationText(r.Remediation); rem != "" {
			af.Remediation = &asffRemediation{Recommendation: asffRecommendation{Text: truncate(rem, asffRecommendMax)}}
			if len(r.References) > 0 && strings.HasPrefix(r.References[0], "https://") {
				af.Remediation.Recommendation.Url = r.References[0]
			}
		}
		out = append(out, af)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// asffRegion picks a concrete region: global findings (IAM, account level)
// are filed in the first scanned region.
func asffRegion(region string, scanned []string) string {
	if region != "" && region != "global" && region != "aws-global" {
		return region
	}
	if len(scanned) > 0 {
		return scanned[0]
	}
	return "us-east-1"
}

func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// asffResourceFor types the resource from its ARN service; Security Hub
// accepts "Other" for anything without a dedicated type.
func asffResourceFor(f findings.Finding, region string) asffResource {
	id := f.Resource
	typ := "Other"
	if id == "" {
		id = "AWS::::Account:" + f.Account
		typ = "AwsAccount"
	} else if a, err := arn.Parse(id); err == nil {
		switch a.Service {
		case "s3":
			typ = "AwsS3Bucket"
		case "cloudtrail":
			typ = "AwsCloudTrailTrail"
		case "kms":
			typ = "AwsKmsKey"
		case "logs":
			typ = "AwsLogsLogGroup"
		case "iam":
			switch {
			case strings.HasPrefix(a.Resource, "role/"):
				typ = "AwsIamRole"
			case strings.HasPrefix(a.Resource, "user/"):
				typ = "AwsIamUser"
			case strings.HasPrefix(a.Resource, "policy/"):
				typ = "AwsIamPolicy"
			case strings.HasPrefix(a.Resource, "group/"):
				typ = "AwsIamGroup"
			}
		case "sns":
			typ = "AwsSnsTopic"
		case "cloudwatch":
			typ = "AwsCloudWatchAlarm"
		}
	}
	return asffResource{Type: typ, Id: id, Partition: partition(region), Region: region}
}

var asffStandardNames = map[string]string{
	"cis-1.4": "CIS AWS Foundations Benchmark v1.4.0",
	"cis-3.0": "CIS AWS Foundations Benchmark v3.0.0",
	"cis-4.0": "CIS AWS Foundations Benchmark v4.0.0",
	"cis-5.0": "CIS AWS Foundations Benchmark v5.0.0",
	"fsbp":    "AWS Foundational Security Best Practices",
}

func asffRequirements(r catalog.Rule) []string {
	var out []string
	for _, f := range r.Frameworks {
		name := asffStandardNames[f.Framework]
		if name == "" {
			name = f.Framework
		}
		out = append(out, name+"/"+f.Control)
	}
	return out
}
