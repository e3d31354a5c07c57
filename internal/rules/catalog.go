package rules

import (
	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/inventory"
)

// Check judges one rule on an inventory. It returns one Result per
// resource examined (at least one: N/A when there is nothing to examine).
type Check func(inv *inventory.Inventory, opts Options) []Result

// checks maps every account rule of the catalog (catalog.Account) to its
// check, which lives in the file of its family. TestCatalogAndChecksAgree
// holds the two to each other.
var checks = map[string]Check{
	"account.trail_logging":      checkAccountTrailLogging,
	"account.multi_region_trail": checkAccountMultiRegionTrail,
	"account.organization_trail": checkAccountOrganizationTrail,

	"trail.logging":               checkTrailLogging,
	"trail.multi_region":          checkTrailMultiRegion,
	"trail.global_service_events": checkTrailGlobalServiceEvents,
	"trail.management_events":     checkTrailManagementEvents,
	"trail.log_file_validation":   checkTrailLogFileValidation,
	"trail.digest_delivery":       checkTrailDigestDelivery,
	"trail.delivery_health":       checkTrailDeliveryHealth,
	"trail.cloudwatch_logs":       checkTrailCloudWatchLogs,
	"trail.log_group_retention":   checkLogGroupRetention,
	"trail.log_group_encryption":  checkLogGroupEncryption,
	"trail.kms_encryption":        checkTrailKMSEncryption,
	"trail.kms_key_rotation":      checkTrailKMSKeyRotation,
	"trail.kms_key_usable":        checkTrailKMSKeyUsable,
	"trail.s3_data_events_write": func(inv *inventory.Inventory, _ Options) []Result {
		return checkTrailS3DataEvents(inv, true)
	},
	"trail.s3_data_events_read": func(inv *inventory.Inventory, _ Options) []Result {
		return checkTrailS3DataEvents(inv, false)
	},
	"trail.insights": checkTrailInsights,

	"bucket.object_lock":           checkBucketObjectLock,
	"bucket.object_lock_retention": checkBucketObjectLockRetention,
	"bucket.versioning":            checkBucketVersioning,
	"bucket.mfa_delete":            checkBucketMFADelete,
	"bucket.lifecycle":             checkBucketLifecycle,
	"bucket.public_access":         checkBucketPublicAccess,
	"bucket.access_logging":        checkBucketAccessLogging,
	"bucket.encryption":            checkBucketEncryption,
	"bucket.policy_source_arn":     checkBucketPolicySourceARN,
	"bucket.least_privilege":       checkBucketLeastPrivilege,
	"bucket.dedicated_account":     checkBucketDedicatedAccount,

	"iam.cloudtrail_full_access": checkIAMFullAccess,
	"iam.cloudtrail_wildcard":    checkIAMWildcard,

	"monitoring.trail_changes_alarm":         checkTrailChangesAlarm,
	"monitoring.bucket_policy_changes_alarm": checkBucketPolicyChangesAlarm,
	"config.recorder":                        checkConfigRecorder,
}

// All returns every account rule with its check, in catalog order.
func All() []Rule { return withChecks(catalog.Account()) }

// withChecks pairs catalog entries with their checks.
func withChecks(entries []catalog.Rule) []Rule {
	out := make([]Rule, 0, len(entries))
	for _, e := range entries {
		out = append(out, Rule{Rule: e, Check: checks[e.ID]})
	}
	return out
}
