package permissions

import (
	"bytes"
	"os"
	"slices"
	"testing"
)

func TestEmbeddedPolicyMatchesDocs(t *testing.T) {
	doc, err := os.ReadFile("../../docs/policies/scan.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc, scanPolicy) {
		t.Fatal("internal/permissions/scan.json differs from docs/policies/scan.json: copy the docs file over")
	}
}

func TestAction(t *testing.T) {
	for call, want := range map[string]string{
		"s3:ListBuckets":                               "s3:ListAllMyBuckets",
		"cloudtrail:GetTrailStatus":                    "cloudtrail:GetTrailStatus",
		"configservice:DescribeConfigurationRecorders": "config:DescribeConfigurationRecorders",
		"cloudwatchlogs:DescribeMetricFilters":         "logs:DescribeMetricFilters",
		"s3control:GetPublicAccessBlock":               "s3:GetAccountPublicAccessBlock",
		"STS:GetCallerIdentity":                        "sts:GetCallerIdentity",
	} {
		got, err := Action(call)
		if err != nil || got != want {
			t.Errorf("Action(%q) = %q, %v; want %q", call, got, err, want)
		}
	}
	if _, err := Action("GetTrailStatus"); err == nil {
		t.Error("a call without a service must be an error")
	}
}

func TestMissing(t *testing.T) {
	missing, err := Missing(scanPolicy, []string{"cloudtrail:DescribeTrails", "s3:GetBucketAcl", "cloudtrail:StopLogging"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(missing, []string{"cloudtrail:StopLogging (needs cloudtrail:StopLogging)"}) {
		t.Fatalf("Missing = %v", missing)
	}
}

func TestScanPolicyIsReadOnly(t *testing.T) {
	actions, err := Actions(scanPolicy)
	if err != nil {
		t.Fatal(err)
	}
	if len(actions) == 0 {
		t.Fatal("scan policy allows nothing")
	}
	for _, a := range actions {
		_, op, _ := bytes.Cut([]byte(a), []byte(":"))
		if !(bytes.HasPrefix(op, []byte("Get")) || bytes.HasPrefix(op, []byte("Describe")) || bytes.HasPrefix(op, []byte("List"))) {
			t.Errorf("scan policy allows %s, which is not a read-only action", a)
		}
	}
}
