package report

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/testenv"
)

var moto *testenv.Moto

func TestMain(m *testing.M) {
	// Chromium is checked before moto starts: a missing browser fails the
	// package in its first second, not after the other tests.
	testenv.Main(m, testenv.Setup{
		Package: "report",
		Require: []testenv.Tool{testenv.Chromium},
		Ready:   func(m *testenv.Moto, _ *testenv.Proxy) error { moto = m; return nil },
	})
}

// TestASFFImportsIntoSecurityHub sends the ASFF output through the real SDK
// to Security Hub on moto_server and reads it back.
func TestASFFImportsIntoSecurityHub(t *testing.T) {
	ctx := context.Background()
	cfg, err := testenv.Config(ctx, moto.Endpoint, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	hub := securityhub.NewFromConfig(cfg)
	if _, err := hub.EnableSecurityHub(ctx, &securityhub.EnableSecurityHubInput{}); err != nil {
		t.Fatalf("EnableSecurityHub: %v", err)
	}
	rep := normalise(testReport())
	doc := render(t, "asff", rep)
	var batch []types.AwsSecurityFinding
	if err := json.Unmarshal(doc, &batch); err != nil {
		t.Fatalf("ASFF output does not decode into the SDK's AwsSecurityFinding: %v", err)
	}
	if len(batch) != 6 {
		t.Fatalf("want 6 ASFF findings (every finding but N/A), got %d", len(batch))
	}
	out, err := hub.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: batch})
	if err != nil {
		t.Fatalf("BatchImportFindings: %v", err)
	}
	if aws.ToInt32(out.FailedCount) != 0 || aws.ToInt32(out.SuccessCount) != int32(len(batch)) {
		t.Fatalf("import: %d ok, %d failed: %+v", aws.ToInt32(out.SuccessCount), aws.ToInt32(out.FailedCount), out.FailedFindings)
	}
	got, err := hub.GetFindings(ctx, &securityhub.GetFindingsInput{MaxResults: aws.Int32(100)})
	if err != nil {
		t.Fatalf("GetFindings: %v", err)
	}
	byID := map[string]types.AwsSecurityFinding{}
	for _, f := range got.Findings {
		byID[aws.ToString(f.Id)] = f
	}
	wantCompliance := map[findings.Status]types.ComplianceStatus{
		findings.Fail: types.ComplianceStatusFailed, findings.Pass: types.ComplianceStatusPassed,
		findings.Error: types.ComplianceStatusNotAvailable, findings.Manual: types.ComplianceStatusWarning,
	}
	for _, f := range rep.Findings {
		if f.Status == findings.NA {
			if _, ok := byID[f.ID]; ok {
				t.Errorf("N/A finding %s was exported", f.ID)
			}
			continue
		}
		h, ok := byID[f.ID]
		if !ok {
			t.Errorf("finding %s (%s %s) not read back", f.ID, f.RuleID, f.Status)
			continue
		}
		region := asffRegion(f.Region, rep.Regions)
		if want := fmt.Sprintf("arn:aws:securityhub:%s:%s:product/%s/default", region, f.Account, f.Account); aws.ToString(h.ProductArn) != want {
			t.Errorf("%s ProductArn = %s, want %s", f.ID, aws.ToString(h.ProductArn), want)
		}
		if aws.ToString(h.GeneratorId) != f.RuleID || aws.ToString(h.AwsAccountId) != f.Account || aws.ToString(h.SchemaVersion) != "2018-10-08" {
			t.Errorf("%s: generator %s account %s schema %s", f.ID, aws.ToString(h.GeneratorId), aws.ToString(h.AwsAccountId), aws.ToString(h.SchemaVersion))
		}
		if h.Compliance == nil || h.Compliance.Status != wantCompliance[f.Status] {
			t.Errorf("%s: compliance = %+v, want %s", f.ID, h.Compliance, wantCompliance[f.Status])
		}
		if h.Severity == nil || string(h.Severity.Label) != strings.ToUpper(string(f.Severity)) {
			t.Errorf("%s: severity = %+v, want %s", f.ID, h.Severity, f.Severity)
		}
		if len(h.Resources) != 1 || aws.ToString(h.Resources[0].Id) != f.Resource {
			t.Errorf("%s: resources = %+v", f.ID, h.Resources)
		}
		wantWorkflow := types.WorkflowStatusNew
		switch {
		case f.Suppressed != nil:
			wantWorkflow = types.WorkflowStatusSuppressed
		case f.Status == findings.Pass:
			wantWorkflow = types.WorkflowStatusResolved
		}
		if h.Workflow == nil || h.Workflow.Status != wantWorkflow {
			t.Errorf("%s: workflow = %+v, want %s", f.ID, h.Workflow, wantWorkflow)
		}
	}
}
