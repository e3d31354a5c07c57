package rules

import (
	"reflect"
	"strings"
	"testing"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
)

// specIDs are the rule IDs of the specification (docs/rules.md). IDs are
// stable: users put them in suppression files.
var specIDs = []string{
	"account.trail_logging", "account.multi_region_trail", "account.organization_trail",
	"trail.logging", "trail.multi_region", "trail.global_service_events", "trail.management_events",
	"trail.log_file_validation", "trail.digest_delivery", "trail.delivery_health", "trail.cloudwatch_logs",
	"trail.log_group_retention", "trail.log_group_encryption",
	"trail.kms_encryption", "trail.kms_key_rotation", "trail.kms_key_usable",
	"trail.s3_data_events_write", "trail.s3_data_events_read", "trail.insights",
	"bucket.object_lock", "bucket.object_lock_retention", "bucket.versioning", "bucket.mfa_delete",
	"bucket.lifecycle", "bucket.public_access", "bucket.access_logging", "bucket.encryption",
	"bucket.policy_source_arn", "bucket.least_privilege", "bucket.dedicated_account",
	"iam.cloudtrail_full_access", "iam.cloudtrail_wildcard",
	"monitoring.trail_changes_alarm", "monitoring.bucket_policy_changes_alarm", "config.recorder",
}

func TestCatalogCoversSpec(t *testing.T) {
	all := All()
	for _, id := range specIDs {
		if _, ok := Lookup(all, id); !ok {
			t.Errorf("rule %s of the specification is not in the catalog", id)
		}
	}
	if len(all) != len(specIDs) {
		t.Errorf("catalog has %d rules, the specification %d", len(all), len(specIDs))
	}
}

// TestNoPassOnEmptyInventory runs every rule on an inventory where nothing
// but the trail list could be read: no rule that needs more may say PASS.
func TestNoPassOnEmptyInventory(t *testing.T) {
	denied := func(call string) *inventory.CallError {
		return &inventory.CallError{Call: call, Code: "AccessDenied"}
	}
	inv := &inventory.Inventory{
		SchemaVersion: inventory.SchemaVersion,
		Partition:     "aws",
		Account:       inventory.Account{ID: "111122223333"},
		Regions:       []string{"us-east-1"},
		Organization:  inventory.Result[inventory.Organization]{Error: denied("organizations:DescribeOrganization")},
		Trails: []inventory.Trail{{
			ARN: "arn:aws:cloudtrail:us-east-1:111122223333:trail/t", Name: "t", HomeRegion: "us-east-1",
			OwnerAccountID: "111122223333", S3BucketName: "b", KMSKeyID: "arn:aws:kms:us-east-1:111122223333:key/k",
			CloudWatchLogsLogGroupARN: "arn:aws:logs:us-east-1:111122223333:log-group:g:*",
			IsMultiRegion:             true, LogFileValidationEnabled: true, IncludeGlobalServiceEvents: true,
			Status:    inventory.Result[inventory.TrailStatus]{Error: denied("cloudtrail:GetTrailStatus")},
			Selectors: inventory.Result[inventory.EventSelectors]{Error: denied("cloudtrail:GetEventSelectors")},
			Insights:  inventory.Result[[]string]{Error: denied("cloudtrail:GetInsightSelectors")},
		}},
		Buckets:                  []inventory.Bucket{{Name: "b", ARN: "arn:aws:s3:::b", OwnedByScannedAccount: true}},
		Keys:                     []inventory.KMSKey{{ARN: "arn:aws:kms:us-east-1:111122223333:key/k", Region: "us-east-1"}},
		LogGroups:                []inventory.LogGroup{{ARN: "arn:aws:logs:us-east-1:111122223333:log-group:g:*", Name: "g", Region: "us-east-1"}},
		AccountPublicAccessBlock: inventory.Result[inventory.PublicAccessBlock]{Error: denied("s3control:GetPublicAccessBlock")},
		IAM:                      inventory.Result[inventory.IAMAuthorization]{Error: denied("iam:GetAccountAuthorizationDetails")},
	}
	// These rules read only DescribeTrails fields, which were read.
	fromDescribeTrails := map[string]bool{
		"trail.multi_region": true, "trail.log_file_validation": true,
		"trail.global_service_events": true, "trail.kms_encryption": true,
	}
	for _, f := range Evaluate(inv, All(), DefaultOptions()) {
		if f.Status == findings.Pass && !fromDescribeTrails[f.RuleID] {
			t.Errorf("%s on %s: PASS although no evidence could be read: %s", f.RuleID, f.Resource, f.Message)
		}
		if f.Message == "" {
			t.Errorf("%s on %s: empty message", f.RuleID, f.Resource)
		}
	}
}

// TestCatalogAndChecksAgree: every account rule of the catalog has exactly
// one check, in catalog order, carrying the catalog's metadata unchanged,
// and no check judges a rule the catalog does not describe.
func TestCatalogAndChecksAgree(t *testing.T) {
	entries, all := catalog.Account(), All()
	if len(entries) != len(all) {
		t.Errorf("the catalog has %d account rules, the checks %d", len(entries), len(all))
	}
	for i := range min(len(entries), len(all)) {
		e, r := entries[i], all[i]
		switch {
		case e.ID != r.ID:
			t.Errorf("position %d: catalog has %s, checks have %s", i, e.ID, r.ID)
		case r.Check == nil:
			t.Errorf("%s has no check", r.ID)
		case !reflect.DeepEqual(e, r.Rule):
			t.Errorf("%s: the check carries other metadata than the catalog", r.ID)
		}
	}
}

// The rules of one family, in catalog order, as the family tests use them.
func accountRules() []Rule    { return rulesWithPrefix("account.") }
func trailRules() []Rule      { return rulesWithPrefix("trail.") }
func bucketRules() []Rule     { return rulesWithPrefix("bucket.") }
func identityRules() []Rule   { return rulesWithPrefix("iam.") }
func monitoringRules() []Rule { return rulesWithPrefix("monitoring.", "config.") }

func trailLogGroupRetentionRule() Rule {
	r, _ := Lookup(All(), "trail.log_group_retention")
	return r
}

func rulesWithPrefix(prefixes ...string) []Rule {
	var out []Rule
	for _, r := range All() {
		for _, p := range prefixes {
			if strings.HasPrefix(r.ID, p) {
				out = append(out, r)
			}
		}
	}
	return out
}
