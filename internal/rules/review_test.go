package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
)

// These tests pin down false verdicts found in review: each case once gave
// PASS (or a verdict) that the evidence did not support.

func TestDedicatedAccountUnknownOwnershipIsError(t *testing.T) {
	// When s3:ListBuckets fails, the collector reads the bucket anyway but
	// cannot say who owns it: OwnedByScannedAccount is false and no owner is
	// recorded. That is missing evidence, not "owned by another account".
	inv := bucketGoodInventory()
	inv.Organization = inventory.Ok(inventory.Organization{Member: true, ID: "o-abc123"})
	inv.Buckets[0].OwnedByScannedAccount = false
	inv.Buckets[0].OwnerAccountID = ""
	r := bucketRunOne(t, "bucket.dedicated_account", inv, DefaultOptions())
	bucketExpect(t, r, findings.Error, "which account owns", "s3:ListBuckets")

	// A bucket recorded as held elsewhere (not in ListBuckets) still passes.
	inv = bucketGoodInventory()
	inv.Organization = inventory.Ok(inventory.Organization{Member: true, ID: "o-abc123"})
	b := &inv.Buckets[0]
	b.OwnedByScannedAccount = false
	b.OwnerAccountID = ""
	b.Region = inventory.InAccount[string]("", "the bucket is not in this account's s3:ListBuckets")
	r = bucketRunOne(t, "bucket.dedicated_account", inv, DefaultOptions())
	bucketExpect(t, r, findings.Pass, "another account")

	// An owner recorded as the scanned account itself is not a dedicated account.
	inv = bucketGoodInventory()
	inv.Organization = inventory.Ok(inventory.Organization{Member: true, ID: "o-abc123"})
	inv.Buckets[0].OwnedByScannedAccount = false
	r = bucketRunOne(t, "bucket.dedicated_account", inv, DefaultOptions())
	bucketExpect(t, r, findings.Fail, "o-abc123")
}

func TestEncryptionKMSKeyIDDenyBlocksDigests(t *testing.T) {
	deny := func(principal, cond string) string {
		return `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject",
  "Resource":"arn:aws:s3:::org-trail-logs/audit/AWSLogs/111122223333/*"},
 {"Sid":"KMSOnly","Effect":"Deny",` + principal + `,"Action":"s3:PutObject",
  "Resource":"arn:aws:s3:::org-trail-logs/*","Condition":` + cond + `}]}`
	}
	const keyID = `{"StringNotEquals":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:eu-west-1:111122223333:key/k"}}`
	const keyIDIfExists = `{"StringNotEqualsIfExists":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:eu-west-1:111122223333:key/k"}}`
	const keyIDWhenNamed = `{"StringNotEquals":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:eu-west-1:111122223333:key/k"},"Null":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"false"}}`
	const kmsOnly = `{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}`
	const kmsOrAES = `{"StringNotEquals":{"s3:x-amz-server-side-encryption":["aws:kms","AES256"]}}`
	cases := []struct {
		name   string
		doc    string
		status findings.Status
	}{
		// A request carrying SSE-S3 has no KMS key ID header, so a negated
		// match on the key ID denies it: digests cannot be delivered.
		{"deny unless key id", deny(`"Principal":"*"`, keyID), findings.Fail},
		{"deny unless key id if exists", deny(`"Principal":"*"`, keyIDIfExists), findings.Fail},
		// A NotPrincipal deny reaches CloudTrail unless it names it.
		{"NotPrincipal deny", deny(`"NotPrincipal":{"AWS":"arn:aws:iam::111122223333:role/admin"}`, kmsOnly), findings.Fail},
		{"NotPrincipal sparing cloudtrail", deny(`"NotPrincipal":{"Service":"cloudtrail.amazonaws.com"}`, kmsOnly), findings.Pass},
		// Denying only requests that name another key lets SSE-S3 through.
		{"deny other key when one is named", deny(`"Principal":"*"`, keyIDWhenNamed), findings.Pass},
		{"AES256 allowed", deny(`"Principal":"*"`, kmsOrAES), findings.Pass},
		{"deny to another principal", deny(`"Principal":{"AWS":"arn:aws:iam::111122223333:role/app"}`, keyID), findings.Pass},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv := bucketGoodInventory()
			bucketWithPolicy(tc.doc)(inv)
			r := bucketRunOne(t, "bucket.encryption", inv, DefaultOptions())
			bucketExpect(t, r, tc.status)
		})
	}
}

func TestLifecyclePrefixWithTrailingSlash(t *testing.T) {
	// If CloudTrail joins S3KeyPrefix and "/AWSLogs/" as written, a prefix
	// written "audit/" yields keys under "audit//AWSLogs/". A rule on that
	// exact prefix must be seen to reach the logs.
	inv := bucketGoodInventory()
	inv.Trails[0].S3KeyPrefix = "audit/"
	inv.Buckets[0].Lifecycle = inventory.Ok(inventory.Lifecycle{Configured: true, Rules: []inventory.LifecycleRule{
		{ID: "purge", Status: "Enabled", Prefix: "audit//AWSLogs/", ExpirationDays: 30},
	}})
	r := bucketRunOne(t, "bucket.lifecycle", inv, DefaultOptions())
	bucketExpect(t, r, findings.Fail, "purge")

	// The trimmed reading is still checked too.
	inv.Buckets[0].Lifecycle = inventory.Ok(inventory.Lifecycle{Configured: true, Rules: []inventory.LifecycleRule{
		{ID: "purge", Status: "Enabled", Prefix: "audit/AWSLogs/", ExpirationDays: 30},
	}})
	r = bucketRunOne(t, "bucket.lifecycle", inv, DefaultOptions())
	bucketExpect(t, r, findings.Fail, "purge")

	// A rule on another folder does not reach the logs, so no rule
	// manages them.
	inv.Buckets[0].Lifecycle = inventory.Ok(inventory.Lifecycle{Configured: true, Rules: []inventory.LifecycleRule{
		{ID: "tmp", Status: "Enabled", Prefix: "audit/tmp/", ExpirationDays: 30},
	}})
	r = bucketRunOne(t, "bucket.lifecycle", inv, DefaultOptions())
	bucketExpect(t, r, findings.Fail, "its prefix is outside the trail logs")
	if r.Severity != "" {
		t.Errorf("severity %q: a rule that does not reach the logs destroys no evidence", r.Severity)
	}
}

func TestAlarmFilterMustCatchEveryCaller(t *testing.T) {
	// A filter that only matches calls by IAM users, or only in the log
	// group's region, misses role sessions and other regions of a
	// multi-region trail: it must not count as catching the events.
	const names = `($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging)`
	cases := []struct {
		name    string
		pattern string
		status  findings.Status
		// narrowed: the filter catches the plain sample but not every caller.
		narrowed bool
	}{
		{"IAM users only", `{ (` + names + `) && ($.userIdentity.type = "IAMUser") }`, findings.Fail, true},
		{"log group region only", `{ (` + names + `) && ($.awsRegion = "eu-west-1") }`, findings.Fail, true},
		{"excludes one sample IP", `{ (` + names + `) && ($.sourceIPAddress != "203.0.113.10") }`, findings.Fail, false},
		{"all callers", `{ ` + names + ` }`, findings.Pass, false},
		{"all callers but AWS services", `{ (` + names + `) && ($.userIdentity.type != "AWSService") }`, findings.Pass, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv := monInventory()
			monSetFilters(inv, inventory.MetricFilter{Name: "f", Pattern: tc.pattern,
				Metrics: []inventory.MetricTarget{{Name: "TrailChanges", Namespace: "CIS"}}})
			res := monRule(t, "monitoring.trail_changes_alarm").Check(inv, DefaultOptions())
			if len(res) != 1 {
				t.Fatalf("got %d results, want 1", len(res))
			}
			if res[0].Status != tc.status {
				t.Errorf("status %s, want %s (%s)", res[0].Status, tc.status, res[0].Message)
			}
			if tc.narrowed && !strings.Contains(res[0].Message, "some identity types, addresses or regions") {
				t.Errorf("message %q does not say the filter is narrowed to some callers", res[0].Message)
			}
		})
	}
}

// TestNoPassOnUncollectedEvidence runs every rule on an inventory whose
// evidence was never collected (every Result empty, bucket ownership
// unknown): no rule beyond the DescribeTrails fields may say PASS.
func TestNoPassOnUncollectedEvidence(t *testing.T) {
	const acct = "111122223333"
	for _, member := range []bool{false, true} {
		inv := &inventory.Inventory{
			SchemaVersion: inventory.SchemaVersion,
			Partition:     "aws",
			Account:       inventory.Account{ID: acct},
			Regions:       []string{"us-east-1"},
			Trails: []inventory.Trail{{
				ARN: "arn:aws:cloudtrail:us-east-1:111122223333:trail/t", Name: "t", HomeRegion: "us-east-1",
				OwnerAccountID: acct, S3BucketName: "b", KMSKeyID: "arn:aws:kms:us-east-1:111122223333:key/k",
				CloudWatchLogsLogGroupARN: "arn:aws:logs:us-east-1:111122223333:log-group:g:*",
				IsMultiRegion:             true, LogFileValidationEnabled: true, IncludeGlobalServiceEvents: true,
			}},
			Buckets:   []inventory.Bucket{{Name: "b", ARN: "arn:aws:s3:::b"}},
			Keys:      []inventory.KMSKey{{ARN: "arn:aws:kms:us-east-1:111122223333:key/k", Region: "us-east-1"}},
			LogGroups: []inventory.LogGroup{{ARN: "arn:aws:logs:us-east-1:111122223333:log-group:g:*", Name: "g", Region: "us-east-1"}},
		}
		if member {
			inv.Organization = inventory.Ok(inventory.Organization{Member: true, ID: "o-abc123"})
		}
		fromDescribeTrails := map[string]bool{
			"trail.multi_region": true, "trail.log_file_validation": true,
			"trail.global_service_events": true, "trail.kms_encryption": true,
		}
		for _, f := range Evaluate(inv, All(), DefaultOptions()) {
			if f.Status == findings.Pass && !fromDescribeTrails[f.RuleID] {
				t.Errorf("member=%v: %s on %s: PASS on evidence never collected: %s", member, f.RuleID, f.Resource, f.Message)
			}
		}
	}
}

func TestIAMWildcardResourceInOtherPartitions(t *testing.T) {
	for _, res := range []string{"arn:aws-us-gov:*", "arn:aws-cn:cloud*", "arn:aws:*"} {
		t.Run(res, func(t *testing.T) {
			doc := `{"Statement":{"Effect":"Allow","Action":"cloudtrail:*","Resource":"` + res + `"}}`
			inv := iamInventory(inventory.IAMAuthorization{Principals: []inventory.Principal{{Type: "user", Name: "carol",
				ARN: "arn:aws:iam::111122223333:user/carol", InlinePolicies: []inventory.InlinePolicy{{Name: "ct", Document: doc}}}}})
			bucketExpect(t, iamRunOne(t, "iam.cloudtrail_wildcard", inv, DefaultOptions()), findings.Fail, "inline policy ct")
		})
	}
	// A resource of another service in that partition grants no CloudTrail access.
	doc := `{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws-us-gov:s3:::b/*"}}`
	inv := iamInventory(inventory.IAMAuthorization{Principals: []inventory.Principal{{Type: "user", Name: "carol",
		ARN: "arn:aws:iam::111122223333:user/carol", InlinePolicies: []inventory.InlinePolicy{{Name: "ct", Document: doc}}}}})
	bucketExpect(t, iamRunOne(t, "iam.cloudtrail_wildcard", inv, DefaultOptions()), findings.Pass)
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
