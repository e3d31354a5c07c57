package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
)

var (
	trailDenied     = inventory.Failed[inventory.TrailStatus]("cloudtrail:GetTrailStatus", "AccessDeniedException", "not authorized")
	trailOtherOwner = inventory.InAccount[inventory.TrailStatus](trailMgmtAcct, "organization trail of the management account")
)

func trailNoTrails() *inventory.Inventory { return trailTestInventory() }

// trailDescribeDenied is an account whose trail list could not be read in
// one region: "no trail" is then no fact.
func trailDescribeDenied() *inventory.Inventory {
	inv := trailTestInventory()
	inv.RegionErrors = []inventory.RegionError{{Region: "eu-west-1", Error: inventory.CallError{Call: "cloudtrail:DescribeTrails", Code: "AccessDeniedException"}}}
	return inv
}

func TestTrailStatusRules(t *testing.T) {
	trailRunCases(t, []trailCase{
		{rule: "trail.logging", name: "logging", inv: trailTestInventory(trailGood("main")), want: findings.Pass, message: "logging since 2026-01-30T12:00:00Z"},
		{rule: "trail.logging", name: "stopped", inv: trailTestInventory(trailWithStatus(func(s *inventory.TrailStatus) {
			s.IsLogging, s.StopLoggingTime = false, trailAgo(2*time.Hour)
		})), want: findings.Fail, message: "logging stopped at 2026-03-01T10:00:00Z"},
		{rule: "trail.logging", name: "status denied", inv: trailTestInventory(trailWith(func(t *inventory.Trail) { t.Status = trailDenied })), want: findings.Error, message: "cloudtrail:GetTrailStatus failed: AccessDeniedException"},
		{rule: "trail.logging", name: "status held elsewhere", inv: trailTestInventory(trailWith(func(t *inventory.Trail) { t.Status = trailOtherOwner })), want: findings.Manual, message: trailMgmtAcct},
		{rule: "trail.logging", name: "no trail", inv: trailNoTrails(), want: findings.NA, message: "no CloudTrail trail"},

		{rule: "trail.digest_delivery", name: "recent digest", inv: trailTestInventory(trailGood("main")), want: findings.Pass, message: "2026-03-01T11:20:00Z"},
		{rule: "trail.digest_delivery", name: "validation off", inv: trailTestInventory(trailWith(func(t *inventory.Trail) { t.LogFileValidationEnabled = false })), want: findings.NA, message: "validation is disabled"},
		{rule: "trail.digest_delivery", name: "delivery error", inv: trailTestInventory(trailWithStatus(func(s *inventory.TrailStatus) { s.LatestDigestDeliveryError = "AccessDenied" })), want: findings.Fail, message: "digest delivery error: AccessDenied"},
		{rule: "trail.digest_delivery", name: "never delivered", inv: trailTestInventory(trailWithStatus(func(s *inventory.TrailStatus) { s.LatestDigestDeliveryTime = nil })), want: findings.Fail, message: "no digest file was ever delivered"},
		{rule: "trail.digest_delivery", name: "three hours old", inv: trailTestInventory(trailWithStatus(func(s *inventory.TrailStatus) { s.LatestDigestDeliveryTime = trailAgo(3 * time.Hour) })), want: findings.Fail, message: "newest digest delivered at 2026-03-01T09:00:00Z, 3h0m0s before the scan"},
		{rule: "trail.digest_delivery", name: "old digest on stopped trail", inv: trailTestInventory(trailWithStatus(func(s *inventory.TrailStatus) {
			s.IsLogging, s.LatestDigestDeliveryTime = false, trailAgo(48*time.Hour)
		})), want: findings.Pass, message: "2026-02-27T12:00:00Z"},
		{rule: "trail.digest_delivery", name: "status denied", inv: trailTestInventory(trailWith(func(t *inventory.Trail) { t.Status = trailDenied })), want: findings.Error, message: "AccessDeniedException"},

		{rule: "trail.delivery_health", name: "healthy", inv: trailTestInventory(trailGood("main")), want: findings.Pass, message: "no delivery errors"},
		{rule: "trail.delivery_health", name: "delivery error", inv: trailTestInventory(trailWithStatus(func(s *inventory.TrailStatus) { s.LatestDeliveryError = "NoSuchBucket" })), want: findings.Fail, message: "log delivery error: NoSuchBucket"},
		{rule: "trail.delivery_health", name: "notification error", inv: trailTestInventory(trailWithStatus(func(s *inventory.TrailStatus) { s.LatestNotificationError = "AuthorizationError" })), want: findings.Fail, message: "SNS notification error: AuthorizationError"},
		{rule: "trail.delivery_health", name: "stale", inv: trailTestInventory(trailWithStatus(func(s *inventory.TrailStatus) { s.LatestDeliveryTime = trailAgo(30 * time.Hour) })), want: findings.Fail, message: "2026-02-28T06:00:00Z"},
		{rule: "trail.delivery_health", name: "never delivered", inv: trailTestInventory(trailWithStatus(func(s *inventory.TrailStatus) { s.LatestDeliveryTime = nil })), want: findings.Fail, message: "no log file was ever delivered"},
		{rule: "trail.delivery_health", name: "stale but stopped", inv: trailTestInventory(trailWithStatus(func(s *inventory.TrailStatus) {
			s.IsLogging, s.LatestDeliveryTime = false, trailAgo(30*time.Hour)
		})), want: findings.Pass, message: "no delivery errors"},
		{rule: "trail.delivery_health", name: "status denied", inv: trailTestInventory(trailWith(func(t *inventory.Trail) { t.Status = trailDenied })), want: findings.Error, message: "AccessDeniedException"},

		{rule: "trail.cloudwatch_logs", name: "delivering", inv: trailTestInventory(trailGood("main")), want: findings.Pass, message: "log-group:cloudtrail/main"},
		{rule: "trail.cloudwatch_logs", name: "no log group", inv: trailTestInventory(trailWith(func(t *inventory.Trail) { t.CloudWatchLogsLogGroupARN = "" })), want: findings.Fail, message: "no CloudWatch Logs log group"},
		{rule: "trail.cloudwatch_logs", name: "delivery error", inv: trailTestInventory(trailWithStatus(func(s *inventory.TrailStatus) { s.LatestCloudWatchLogsDeliveryError = "AccessDeniedException" })), want: findings.Fail, message: "CloudWatch Logs delivery error: AccessDeniedException"},
		{rule: "trail.cloudwatch_logs", name: "stale", inv: trailTestInventory(trailWithStatus(func(s *inventory.TrailStatus) { s.LatestCloudWatchLogsDeliveryTime = trailAgo(25 * time.Hour) })), want: findings.Fail, message: "25h0m0s before the scan"},
		{rule: "trail.cloudwatch_logs", name: "status denied", inv: trailTestInventory(trailWith(func(t *inventory.Trail) { t.Status = trailDenied })), want: findings.Error, message: "AccessDeniedException"},
		{rule: "trail.cloudwatch_logs", name: "no trail", inv: trailNoTrails(), want: findings.NA, message: "no CloudTrail trail"},

		{rule: "trail.insights", name: "both types", inv: trailTestInventory(trailGood("main")), want: findings.Pass, message: "ApiCallRateInsight and ApiErrorRateInsight"},
		{rule: "trail.insights", name: "none", inv: trailTestInventory(trailWith(func(t *inventory.Trail) { t.Insights = inventory.Ok([]string{}) })), want: findings.Fail, message: "no Insights selectors"},
		{rule: "trail.insights", name: "one type", inv: trailTestInventory(trailWith(func(t *inventory.Trail) { t.Insights = inventory.Ok([]string{"ApiErrorRateInsight"}) })), want: findings.Pass, message: "ApiErrorRateInsight only"},
		{rule: "trail.insights", name: "not logging", inv: trailTestInventory(trailWithStatus(func(s *inventory.TrailStatus) { s.IsLogging = false })), want: findings.NA, message: "not logging"},
		{rule: "trail.insights", name: "insights unreadable", inv: trailTestInventory(trailWith(func(t *inventory.Trail) {
			t.Insights = inventory.Failed[[]string]("cloudtrail:GetInsightSelectors", "ThrottlingException", "")
		})), want: findings.Error, message: "cloudtrail:GetInsightSelectors failed: ThrottlingException"},
		{rule: "trail.insights", name: "never collected", inv: trailTestInventory(trailWith(func(t *inventory.Trail) { t.Insights = inventory.Result[[]string]{} })), want: findings.Error, message: "not collected"},
	})
}

func TestTrailConfigurationRules(t *testing.T) {
	single := trailWith(func(t *inventory.Trail) { t.IsMultiRegion = false })
	singleNoGlobal := trailWith(func(t *inventory.Trail) { t.IsMultiRegion, t.IncludeGlobalServiceEvents = false, false })
	regional := trailGood("regional")
	regional.IsMultiRegion, regional.IncludeGlobalServiceEvents = false, false
	trailRunCases(t, []trailCase{
		{rule: "trail.multi_region", name: "multi-region", inv: trailTestInventory(trailGood("main")), want: findings.Pass, message: "multi-region trail"},
		{rule: "trail.multi_region", name: "single-region", inv: trailTestInventory(single), want: findings.Fail, message: "records us-east-1 only"},
		{rule: "trail.multi_region", name: "no trail", inv: trailNoTrails(), want: findings.NA, message: "no CloudTrail trail"},

		{rule: "trail.global_service_events", name: "on", inv: trailTestInventory(trailGood("main")), want: findings.Pass, message: "IncludeGlobalServiceEvents is true"},
		{rule: "trail.global_service_events", name: "off on multi-region", inv: trailTestInventory(trailWith(func(t *inventory.Trail) { t.IncludeGlobalServiceEvents = false })), want: findings.Fail, message: "IncludeGlobalServiceEvents is false"},
		{rule: "trail.global_service_events", name: "off on the only trail", inv: trailTestInventory(singleNoGlobal), want: findings.Fail, message: "IncludeGlobalServiceEvents is false"},
		{rule: "trail.global_service_events", name: "off on a regional trail beside a multi-region one", inv: trailTestInventory(trailGood("main"), regional), of: "regional", want: findings.NA, message: "single-region trail alongside other trails"},

		{rule: "trail.log_file_validation", name: "enabled", inv: trailTestInventory(trailGood("main")), want: findings.Pass, message: "enabled"},
		{rule: "trail.log_file_validation", name: "disabled", inv: trailTestInventory(trailWith(func(t *inventory.Trail) { t.LogFileValidationEnabled = false })), want: findings.Fail, message: "log file validation is disabled"},

		{rule: "trail.kms_encryption", name: "key", inv: trailTestInventory(trailGood("main")), want: findings.Pass, message: trailKeyARN},
		{rule: "trail.kms_encryption", name: "SSE-S3 only", inv: trailTestInventory(trailWith(func(t *inventory.Trail) { t.KMSKeyID = "" })), want: findings.Fail, message: "SSE-S3 only"},
		{rule: "trail.kms_encryption", name: "no trail", inv: trailNoTrails(), want: findings.NA, message: "no CloudTrail trail"},
	})
}

func TestTrailManagementEvents(t *testing.T) {
	withSel := func(sel inventory.EventSelectors) inventory.Trail {
		return trailWith(func(t *inventory.Trail) { t.Selectors = inventory.Ok(sel) })
	}
	writesOnly := inventory.EventSelectors{Advanced: []inventory.AdvancedEventSelector{
		{Name: "W", FieldSelectors: []inventory.FieldSelector{trailFS("eventCategory", "Management"), trailFS("readOnly", "false")}},
	}}
	noKMS := inventory.EventSelectors{Basic: []inventory.EventSelector{
		{ReadWriteType: "All", IncludeManagementEvents: true, ExcludeManagementEventSources: []string{"kms.amazonaws.com"}},
	}}
	trailRunCases(t, []trailCase{
		{rule: "trail.management_events", name: "advanced all", inv: trailTestInventory(trailGood("main")), want: findings.Pass, message: "management events: all (read and write)"},
		{rule: "trail.management_events", name: "default selectors", inv: trailTestInventory(withSel(inventory.EventSelectors{})), want: findings.Pass, message: "all (read and write)"},
		{rule: "trail.management_events", name: "writes only", inv: trailTestInventory(withSel(writesOnly)), want: findings.Fail, message: `management events: writes only (selector "W": readOnly Equals false)`},
		{rule: "trail.management_events", name: "kms excluded", inv: trailTestInventory(withSel(noKMS)), want: findings.Fail, message: "eventSource NotEquals kms.amazonaws.com"},
		{rule: "trail.management_events", name: "selectors denied", inv: trailTestInventory(trailWith(func(t *inventory.Trail) {
			t.Selectors = inventory.Failed[inventory.EventSelectors]("cloudtrail:GetEventSelectors", "AccessDeniedException", "")
		})), want: findings.Error, message: "cloudtrail:GetEventSelectors failed: AccessDeniedException"},
	})
}

func TestTrailKMSRules(t *testing.T) {
	noKey := trailWith(func(t *inventory.Trail) { t.KMSKeyID = "" })
	keyEdit := func(edit func(k *inventory.KMSKey)) *inventory.Inventory {
		return trailEditInv(func(inv *inventory.Inventory) { edit(&inv.Keys[0]) }, trailGood("main"))
	}
	withState := func(state string) *inventory.Inventory {
		return keyEdit(func(k *inventory.KMSKey) {
			md := *k.Metadata.Value
			md.KeyState, md.Enabled = state, false
			k.Metadata = inventory.Ok(md)
		})
	}
	trailRunCases(t, []trailCase{
		{rule: "trail.kms_key_rotation", name: "rotation on", inv: trailTestInventory(trailGood("main")), want: findings.Pass, message: "rotation is on"},
		{rule: "trail.kms_key_rotation", name: "rotation off", inv: keyEdit(func(k *inventory.KMSKey) { k.Rotation = inventory.Ok(false) }), want: findings.Fail, message: "rotation is off for customer managed key " + trailKeyARN},
		{rule: "trail.kms_key_rotation", name: "AWS managed key", inv: keyEdit(func(k *inventory.KMSKey) {
			md := *k.Metadata.Value
			md.KeyManager = "AWS"
			k.Metadata, k.Rotation = inventory.Ok(md), inventory.Result[bool]{}
		}), want: findings.Pass, message: "rotated automatically"},
		{rule: "trail.kms_key_rotation", name: "rotation status denied", inv: keyEdit(func(k *inventory.KMSKey) {
			k.Rotation = inventory.Failed[bool]("kms:GetKeyRotationStatus", "AccessDeniedException", "")
		}), want: findings.Error, message: "kms:GetKeyRotationStatus failed: AccessDeniedException"},
		{rule: "trail.kms_key_rotation", name: "key in the log archive account", inv: keyEdit(func(k *inventory.KMSKey) {
			k.Metadata = inventory.InAccount[inventory.KeyMetadata](trailMgmtAcct, "key of the log archive account")
		}), want: findings.Manual, message: "held by account " + trailMgmtAcct},
		{rule: "trail.kms_key_rotation", name: "key never collected", inv: trailEditInv(func(inv *inventory.Inventory) { inv.Keys = nil }, trailGood("main")), want: findings.Error, message: "not collected"},
		{rule: "trail.kms_key_rotation", name: "no key", inv: trailTestInventory(noKey), want: findings.NA, message: "does not use a KMS key"},

		{rule: "trail.kms_key_usable", name: "enabled, same region", inv: trailTestInventory(trailGood("main")), want: findings.Pass, message: "enabled and in the bucket's region us-east-1"},
		{rule: "trail.kms_key_usable", name: "disabled", inv: withState("Disabled"), want: findings.Fail, message: "is in state Disabled"},
		{rule: "trail.kms_key_usable", name: "pending deletion", inv: withState("PendingDeletion"), want: findings.Fail, message: "is in state PendingDeletion"},
		{rule: "trail.kms_key_usable", name: "other region", inv: keyEdit(func(k *inventory.KMSKey) { k.Region = "eu-west-1" }), want: findings.Fail, message: "is in eu-west-1 but bucket trail-logs is in us-east-1"},
		{rule: "trail.kms_key_usable", name: "key region from ARN", inv: keyEdit(func(k *inventory.KMSKey) { k.Region = "" }), want: findings.Pass, message: "us-east-1"},
		{rule: "trail.kms_key_usable", name: "bucket region denied", inv: trailEditInv(func(inv *inventory.Inventory) {
			inv.Buckets[0].Region = inventory.Failed[string]("s3:GetBucketLocation", "AccessDenied", "")
		}, trailGood("main")), want: findings.Error, message: "s3:GetBucketLocation failed: AccessDenied"},
		{rule: "trail.kms_key_usable", name: "bucket in another account", inv: trailEditInv(func(inv *inventory.Inventory) {
			inv.Buckets[0].Region = inventory.InAccount[string](trailMgmtAcct, "bucket of the log archive account")
		}, trailGood("main")), want: findings.Manual, message: trailMgmtAcct},
		{rule: "trail.kms_key_usable", name: "describe key denied", inv: keyEdit(func(k *inventory.KMSKey) {
			k.Metadata = inventory.Failed[inventory.KeyMetadata]("kms:DescribeKey", "AccessDeniedException", "")
		}), want: findings.Error, message: "kms:DescribeKey failed: AccessDeniedException"},
		{rule: "trail.kms_key_usable", name: "no key", inv: trailTestInventory(noKey), want: findings.NA, message: "does not use a KMS key"},
	})
}

func TestTrailS3DataEvents(t *testing.T) {
	withSel := func(name string, sel inventory.EventSelectors) inventory.Trail {
		tr := trailGood(name)
		tr.Selectors = inventory.Ok(sel)
		return tr
	}
	mgmtOnly := inventory.EventSelectors{Basic: []inventory.EventSelector{{ReadWriteType: "All", IncludeManagementEvents: true}}}
	oneBucket := inventory.EventSelectors{Advanced: []inventory.AdvancedEventSelector{
		{Name: "Log all S3 events", FieldSelectors: []inventory.FieldSelector{trailFS("eventCategory", "Data"), trailFS("resources.type", "AWS::S3::Object"),
			{Field: "resources.ARN", StartsWith: []string{"arn:aws:s3:::payments/"}}}},
	}}
	writesOnly := inventory.EventSelectors{Basic: []inventory.EventSelector{{ReadWriteType: "WriteOnly", IncludeManagementEvents: true,
		DataResources: []inventory.DataResource{{Type: "AWS::S3::Object", Values: []string{"arn:aws:s3"}}}}}}
	single := trailGood("main")
	single.IsMultiRegion = false
	stopped := trailWithStatus(func(s *inventory.TrailStatus) { s.IsLogging = false })
	denied := trailWith(func(t *inventory.Trail) {
		t.Selectors = inventory.Failed[inventory.EventSelectors]("cloudtrail:GetEventSelectors", "AccessDeniedException", "")
	})
	trailRunCases(t, []trailCase{
		{rule: "trail.s3_data_events_write", name: "all buckets", inv: trailTestInventory(trailGood("main")), want: findings.Pass, message: "main records S3 object writes for all buckets"},
		{rule: "trail.s3_data_events_write", name: "management only", inv: trailTestInventory(withSel("main", mgmtOnly)), want: findings.Fail, message: "main: none"},
		{rule: "trail.s3_data_events_write", name: "one bucket despite its name", inv: trailTestInventory(withSel("main", oneBucket)), want: findings.Fail, message: "main: some buckets: payments/"},
		{rule: "trail.s3_data_events_write", name: "all buckets but single-region", inv: trailTestInventory(single), want: findings.Fail, message: "main: all buckets (single-region)"},
		{rule: "trail.s3_data_events_write", name: "all buckets but stopped", inv: trailTestInventory(stopped), want: findings.Fail, message: "(not logging)"},
		{rule: "trail.s3_data_events_write", name: "one trail of two covers all", inv: trailTestInventory(withSel("partial", oneBucket), trailGood("full")), want: findings.Pass, message: "partial: some buckets: payments/"},
		{rule: "trail.s3_data_events_write", name: "basic write only", inv: trailTestInventory(withSel("main", writesOnly)), want: findings.Pass, message: "all buckets"},
		{rule: "trail.s3_data_events_write", name: "selectors denied", inv: trailTestInventory(denied), want: findings.Error, message: "cloudtrail:GetEventSelectors failed: AccessDeniedException"},
		{rule: "trail.s3_data_events_write", name: "selectors denied but another trail passes", inv: trailTestInventory(denied, trailGood("full")), want: findings.Pass, message: "full records"},
		// Account-scoped: with no trail nothing records, so CIS 3.8/3.9 and
		// FSBP S3.22/S3.23 fail.
		{rule: "trail.s3_data_events_write", name: "no trail", inv: trailNoTrails(), want: findings.Fail, message: "no CloudTrail trail records account 111122223333, so no S3 object writes are logged"},
		{rule: "trail.s3_data_events_write", name: "no trail seen, DescribeTrails denied", inv: trailDescribeDenied(), want: findings.Error, message: "trails could not be listed in eu-west-1"},

		{rule: "trail.s3_data_events_read", name: "all buckets", inv: trailTestInventory(trailGood("main")), want: findings.Pass, message: "reads for all buckets"},
		{rule: "trail.s3_data_events_read", name: "write-only selector", inv: trailTestInventory(withSel("main", writesOnly)), want: findings.Fail, message: "main: none (basic selector 1: readOnly Equals false)"},
		{rule: "trail.s3_data_events_read", name: "selectors denied", inv: trailTestInventory(denied), want: findings.Error, message: "AccessDeniedException"},
		{rule: "trail.s3_data_events_read", name: "no trail", inv: trailNoTrails(), want: findings.Fail, message: "so no S3 object reads are logged"},
		{rule: "trail.s3_data_events_read", name: "no trail seen, DescribeTrails denied", inv: trailDescribeDenied(), want: findings.Error, message: "cloudtrail:DescribeTrails: AccessDeniedException"},
	})
}

// TestTrailRuleMetadata checks that every rule of the two families carries
// what the catalog, the reports and the remediation planner need.
func TestTrailRuleMetadata(t *testing.T) {
	want := []string{
		"account.trail_logging", "account.multi_region_trail", "account.organization_trail",
		"trail.logging", "trail.multi_region", "trail.global_service_events", "trail.management_events",
		"trail.log_file_validation", "trail.digest_delivery", "trail.delivery_health", "trail.cloudwatch_logs",
		"trail.log_group_retention", "trail.log_group_encryption",
		"trail.kms_encryption", "trail.kms_key_rotation", "trail.kms_key_usable",
		"trail.s3_data_events_write", "trail.s3_data_events_read", "trail.insights",
	}
	rules := append(accountRules(), trailRules()...)
	var got []string
	for _, r := range rules {
		got = append(got, r.ID)
		if r.Title == "" || r.Scope == "" || r.Rationale == "" || r.Audit == "" || r.Severity.Rank() < 0 || r.Check == nil {
			t.Errorf("%s: incomplete metadata", r.ID)
		}
		if r.Remediation.Console == "" || !strings.Contains(r.Remediation.CLI, "aws ") || !strings.Contains(r.Remediation.Terraform, "resource \"aws_") {
			t.Errorf("%s: remediation needs console steps, an AWS CLI command and a Terraform resource", r.ID)
		}
		if len(r.References) == 0 {
			t.Errorf("%s: no references", r.ID)
		}
		for _, ref := range r.References {
			if !strings.HasPrefix(ref, "https://docs.aws.amazon.com/") {
				t.Errorf("%s: reference %s is not AWS documentation", r.ID, ref)
			}
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("rule IDs\n got %v\nwant %v", got, want)
	}
	fw := func(id string) map[string]string {
		r, _ := Lookup(rules, id)
		m := map[string]string{}
		for _, f := range r.Frameworks {
			m[f.Framework] = f.Control
		}
		return m
	}
	checks := []struct{ rule, framework, control string }{
		{"account.multi_region_trail", "cis-1.4", "3.1"},
		{"account.multi_region_trail", "cis-5.0", "3.1"},
		{"account.multi_region_trail", "fsbp", "CloudTrail.1"},
		{"account.trail_logging", "fsbp", "CloudTrail.3"},
		{"trail.log_file_validation", "cis-3.0", "3.2"},
		{"trail.log_file_validation", "fsbp", "CloudTrail.4"},
		{"trail.kms_encryption", "cis-1.4", "3.7"},
		{"trail.kms_encryption", "cis-4.0", "3.5"},
		{"trail.kms_encryption", "fsbp", "CloudTrail.2"},
		{"trail.kms_key_rotation", "cis-1.4", "3.8"},
		{"trail.kms_key_rotation", "cis-3.0", "3.6"},
		{"trail.cloudwatch_logs", "cis-1.4", "3.4"},
		{"trail.cloudwatch_logs", "fsbp", "CloudTrail.5"},
		{"trail.s3_data_events_write", "cis-1.4", "3.10"},
		{"trail.s3_data_events_write", "cis-5.0", "3.8"},
		{"trail.s3_data_events_write", "fsbp", "S3.22"},
		{"trail.s3_data_events_read", "cis-1.4", "3.11"},
		{"trail.s3_data_events_read", "cis-3.0", "3.9"},
		{"trail.s3_data_events_read", "fsbp", "S3.23"},
		{"trail.logging", "conformity", "CT-001"},
		{"trail.global_service_events", "conformity", "CT-005"},
		{"trail.management_events", "conformity", "CT-010"},
		{"trail.delivery_health", "conformity", "CT-011"},
	}
	for _, c := range checks {
		if got := fw(c.rule)[c.framework]; got != c.control {
			t.Errorf("%s maps %s to %q, want %q", c.rule, c.framework, got, c.control)
		}
	}
	if _, ok := fw("trail.cloudwatch_logs")["cis-3.0"]; ok {
		t.Errorf("trail.cloudwatch_logs is not a CIS v3 control")
	}
}

// TestTrailRulesNameUnlistedRegions: trails found elsewhere are judged, but
// a region whose trails could not be listed is one ERROR per rule, so the
// scan never reads as complete.
func TestTrailRulesNameUnlistedRegions(t *testing.T) {
	inv := trailDescribeDenied()
	inv.Trails = []inventory.Trail{trailGood("main")}
	for _, id := range []string{"trail.logging", "trail.log_file_validation", "trail.log_group_retention"} {
		r, _ := Lookup(All(), id)
		res := r.Check(inv, DefaultOptions())
		var statuses []string
		gap := false
		for _, x := range res {
			statuses = append(statuses, string(x.Status))
			if x.Status == findings.Error && strings.Contains(x.Message, "trails could not be listed in eu-west-1 (cloudtrail:DescribeTrails: AccessDeniedException)") {
				gap = true
			}
		}
		if !gap || len(res) != 2 {
			t.Errorf("%s: %v, want the trail's finding and one ERROR naming eu-west-1", id, statuses)
		}
	}
	for _, id := range []string{"bucket.versioning", "config.recorder"} {
		r, _ := Lookup(All(), id)
		if res := r.Check(inv, DefaultOptions()); res[len(res)-1].Status != findings.Error {
			t.Errorf("%s: last finding %s, want the ERROR for eu-west-1", id, res[len(res)-1].Status)
		}
	}
}

func TestCloudWatchLogsOnStoppedTrail(t *testing.T) {
	// The spec fails a trail whose newest CloudWatch Logs delivery is older
	// than 24 hours, logging or not: a stopped trail delivers nothing, and
	// "delivers to ..., newest delivery at never" is not a PASS.
	stopped := func(last *time.Time) inventory.Trail {
		return trailWithStatus(func(s *inventory.TrailStatus) {
			s.IsLogging = false
			s.StopLoggingTime = trailAgo(48 * time.Hour)
			s.LatestCloudWatchLogsDeliveryTime = last
		})
	}
	trailRunCases(t, []trailCase{
		{rule: "trail.cloudwatch_logs", name: "stopped, never delivered", inv: trailTestInventory(stopped(nil)), want: findings.Fail, message: "nothing was ever delivered"},
		{rule: "trail.cloudwatch_logs", name: "stopped, stale", inv: trailTestInventory(stopped(trailAgo(48 * time.Hour))), want: findings.Fail, message: "48h0m0s before the scan"},
		{rule: "trail.cloudwatch_logs", name: "stopped an hour ago, recent delivery", inv: trailTestInventory(stopped(trailAgo(time.Hour))), want: findings.Pass, message: "newest delivery"},
	})
}

func TestFreshnessNeedsScanTime(t *testing.T) {
	// Without CollectedAt the age of a delivery cannot be judged; a zero
	// scan time made every delivery look fresh.
	noTime := func(trails ...inventory.Trail) *inventory.Inventory {
		inv := trailTestInventory(trails...)
		inv.CollectedAt = time.Time{}
		return inv
	}
	stale := trailWithStatus(func(s *inventory.TrailStatus) {
		s.LatestDeliveryTime = trailAgo(30 * 24 * time.Hour)
		s.LatestDigestDeliveryTime = trailAgo(30 * 24 * time.Hour)
		s.LatestCloudWatchLogsDeliveryTime = trailAgo(30 * 24 * time.Hour)
	})
	var cases []trailCase
	for _, id := range []string{"trail.digest_delivery", "trail.delivery_health", "trail.cloudwatch_logs"} {
		cases = append(cases,
			trailCase{rule: id, name: "no scan time", inv: noTime(stale), want: findings.Error, message: "scan time"},
			trailCase{rule: id, name: "stale with scan time", inv: trailTestInventory(stale), want: findings.Fail, message: "before the scan"})
	}
	trailRunCases(t, cases)
}
