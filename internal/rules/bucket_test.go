package rules

import (
	"strings"
	"testing"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
)

type bucketCase struct {
	name   string
	mutate func(inv *inventory.Inventory)
	opts   *Options
	want   findings.Status
	msg    []string
	// severity is the finding's own severity, when it raises the rule's.
	severity findings.Severity
}

func bucketRunCases(t *testing.T, ruleID string, cases []bucketCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv := bucketGoodInventory()
			if tc.mutate != nil {
				tc.mutate(inv)
			}
			opts := DefaultOptions()
			if tc.opts != nil {
				opts = *tc.opts
			}
			r := bucketRunOne(t, ruleID, inv, opts)
			bucketExpect(t, r, tc.want, tc.msg...)
			if r.Severity != tc.severity {
				t.Errorf("finding severity %q, want %q", r.Severity, tc.severity)
			}
			if r.Resource != "arn:aws:s3:::"+bucketTestName {
				t.Errorf("resource %q", r.Resource)
			}
			if r.Status != findings.Error && r.Region != "eu-west-1" {
				t.Errorf("region %q, want the bucket region eu-west-1", r.Region)
			}
			if trails, _ := r.Evidence["trails"].([]string); len(trails) == 0 || trails[0] != bucketTestTrail {
				t.Errorf("evidence trails = %v, want the trail ARN", r.Evidence["trails"])
			}
		})
	}
}

func TestBucketObjectLock(t *testing.T) {
	bucketRunCases(t, "bucket.object_lock", []bucketCase{
		{name: "enabled", want: findings.Pass, msg: []string{"enabled"}},
		{name: "disabled", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].ObjectLock = inventory.Ok(inventory.ObjectLock{})
		}, want: findings.Fail, msg: []string{"not enabled"}},
		{name: "unreadable", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].ObjectLock = inventory.Failed[inventory.ObjectLock]("s3:GetObjectLockConfiguration", "AccessDenied", "")
		}, want: findings.Error, msg: []string{"s3:GetObjectLockConfiguration", "AccessDenied"}},
	})
}

func TestBucketObjectLockRetention(t *testing.T) {
	bucketRunCases(t, "bucket.object_lock_retention", []bucketCase{
		{name: "compliance one year", want: findings.Pass, msg: []string{"COMPLIANCE 365 days"}},
		{name: "governance long enough passes with a note", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].ObjectLock = inventory.Ok(inventory.ObjectLock{Enabled: true, DefaultMode: "GOVERNANCE", Days: 400})
		}, want: findings.Pass, msg: []string{"GOVERNANCE 400 days", "COMPLIANCE is stronger"}},
		{name: "no default retention", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].ObjectLock = inventory.Ok(inventory.ObjectLock{Enabled: true})
		}, want: findings.Fail, msg: []string{"no default retention"}},
		{name: "too short", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].ObjectLock = inventory.Ok(inventory.ObjectLock{Enabled: true, DefaultMode: "COMPLIANCE", Days: 30})
		}, want: findings.Fail, msg: []string{"30 days", "365"}},
		{name: "custom minimum", opts: &Options{MinRetentionDays: 730}, want: findings.Fail, msg: []string{"365 days", "730"}},
		{name: "object lock off", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].ObjectLock = inventory.Ok(inventory.ObjectLock{})
		}, want: findings.NA, msg: []string{"bucket.object_lock"}},
		{name: "unreadable", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].ObjectLock = inventory.Failed[inventory.ObjectLock]("s3:GetObjectLockConfiguration", "ThrottlingException", "")
		}, want: findings.Error, msg: []string{"ThrottlingException"}},
	})
}

func TestBucketVersioning(t *testing.T) {
	bucketRunCases(t, "bucket.versioning", []bucketCase{
		{name: "enabled", want: findings.Pass},
		{name: "suspended", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].Versioning = inventory.Ok(inventory.Versioning{Status: "Suspended"})
		}, want: findings.Fail, msg: []string{"Suspended"}},
		{name: "never enabled", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].Versioning = inventory.Ok(inventory.Versioning{})
		}, want: findings.Fail, msg: []string{"never enabled"}},
		{name: "never collected", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].Versioning = inventory.Result[inventory.Versioning]{}
		}, want: findings.Error, msg: []string{"not collected"}},
	})
}

func TestBucketMFADelete(t *testing.T) {
	bucketRunCases(t, "bucket.mfa_delete", []bucketCase{
		{name: "enabled", want: findings.Pass},
		{name: "disabled with lifecycle advises object lock", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].Versioning = inventory.Ok(inventory.Versioning{Status: "Enabled", MFADelete: "Disabled"})
		}, want: findings.Fail, msg: []string{"Disabled", "lifecycle", "COMPLIANCE"}},
		{name: "disabled without lifecycle", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].Versioning = inventory.Ok(inventory.Versioning{Status: "Enabled"})
			inv.Buckets[0].Lifecycle = inventory.Ok(inventory.Lifecycle{})
		}, want: findings.Fail, msg: []string{"never enabled"}},
		{name: "unreadable", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].Versioning = inventory.Failed[inventory.Versioning]("s3:GetBucketVersioning", "AccessDenied", "")
		}, want: findings.Error, msg: []string{"s3:GetBucketVersioning"}},
	})
}

func TestBucketLifecycle(t *testing.T) {
	lifecycle := func(rules ...inventory.LifecycleRule) func(*inventory.Inventory) {
		return func(inv *inventory.Inventory) {
			inv.Buckets[0].Lifecycle = inventory.Ok(inventory.Lifecycle{Configured: true, Rules: rules})
		}
	}
	archive := inventory.LifecycleRule{ID: "archive", Status: "Enabled", Prefix: "audit/AWSLogs/", ExpirationDays: 2557}
	// The rule Stratus Red Team's lifecycle technique puts in place of the
	// bucket's rules, as CloudTrail recorded its PutBucketLifecycle call
	// (see internal/collect/testdata/stratus).
	stratus := inventory.LifecycleRule{ID: "nuke-cloudtrail-logs-after-1-day", Status: "Enabled", Prefix: "*", ExpirationDays: 1}
	bucketRunCases(t, "bucket.lifecycle", []bucketCase{
		{name: "long expiration on logs, short one elsewhere", want: findings.Pass,
			msg: []string{`rule archive (prefix "audit/AWSLogs/") applies to the trail logs`, `rule scratch (prefix "tmp/") expires objects after 1 day`}},
		{name: "no lifecycle", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].Lifecycle = inventory.Ok(inventory.Lifecycle{})
		}, want: findings.Fail, msg: []string{"no lifecycle configuration"}},
		{name: "Stratus: the archive rule replaced by a 1-day rule on a literal star", mutate: lifecycle(stratus), want: findings.Fail,
			msg: []string{"no enabled lifecycle rule of org-trail-logs applies to the trail logs under audit/AWSLogs/",
				`rule nuke-cloudtrail-logs-after-1-day (prefix "*"): S3 lifecycle prefixes are literal, not wildcards`,
				`rule nuke-cloudtrail-logs-after-1-day (prefix "*") expires objects after 1 day`}},
		{name: "Stratus rule beside the archive rule", mutate: lifecycle(archive, stratus), want: findings.Pass,
			msg: []string{"rule archive", `rule nuke-cloudtrail-logs-after-1-day (prefix "*") expires objects after 1 day`}},
		{name: "whole-bucket rule expires too soon", mutate: lifecycle(inventory.LifecycleRule{ID: "all", Status: "Enabled", ExpirationDays: 90}),
			want: findings.Fail, severity: findings.High, msg: []string{"rule all (whole bucket) expires objects after 90 days", "trail logs are deleted before the retention ends"}},
		{name: "whole-bucket rule expires after one day", mutate: lifecycle(inventory.LifecycleRule{ID: "all", Status: "Enabled", ExpirationDays: 1}),
			want: findings.Fail, severity: findings.High, msg: []string{"rule all (whole bucket) expires objects after 1 day,"}},
		{name: "short rule beside a good one still destroys logs", mutate: lifecycle(archive, inventory.LifecycleRule{ID: "purge", Status: "Enabled", Prefix: "audit/", ExpirationDays: 30}),
			want: findings.Fail, severity: findings.High, msg: []string{`rule purge (prefix "audit/") expires objects after 30 days`}},
		{name: "noncurrent expiration on the digest folder", mutate: lifecycle(inventory.LifecycleRule{ID: "digests", Status: "Enabled", Prefix: "audit/AWSLogs/111122223333/CloudTrail-Digest/", NoncurrentExpirationDays: 30}),
			want: findings.Fail, severity: findings.High, msg: []string{"noncurrent versions after 30 days"}},
		{name: "expiration on a fixed date", mutate: lifecycle(inventory.LifecycleRule{ID: "sunset", Status: "Enabled", ExpirationDate: "2031-06-30"}),
			want: findings.Fail, severity: findings.High, msg: []string{"rule sunset", "expires every object on 2031-06-30"}},
		{name: "only a disabled rule", mutate: lifecycle(inventory.LifecycleRule{ID: "old", Status: "Disabled", ExpirationDays: 7}),
			want: findings.Fail, msg: []string{"no enabled lifecycle rule", "rule old (whole bucket): disabled"}},
		{name: "disabled short rule beside a good one", mutate: lifecycle(archive, inventory.LifecycleRule{ID: "old", Status: "Disabled", Prefix: "audit/", ExpirationDays: 7}),
			want: findings.Pass, msg: []string{"rule archive"}},
		{name: "only a rule on another prefix", mutate: lifecycle(inventory.LifecycleRule{ID: "other", Status: "Enabled", Prefix: "AWSLogs/", ExpirationDays: 7}),
			want: findings.Fail, msg: []string{`rule other (prefix "AWSLogs/"): its prefix is outside the trail logs`, "expire other objects sooner than 365 days", "after 7 days"}},
		{name: "only a rule on tagged objects", mutate: lifecycle(inventory.LifecycleRule{ID: "tagged", Status: "Enabled", Tags: []string{"class=scratch"}, ExpirationDays: 1}),
			want: findings.Fail, msg: []string{"rule tagged: applies only to objects tagged class=scratch, and CloudTrail writes its log files without tags", "rule tagged expires objects after 1 day"}},
		{name: "size-filtered rule still reaches the logs", mutate: lifecycle(inventory.LifecycleRule{ID: "small", Status: "Enabled", ObjectSizeLessThan: 1 << 20, ExpirationDays: 30}),
			want: findings.Fail, severity: findings.High, msg: []string{"rule small (whole bucket) expires objects after 30 days"}},
		{name: "transitions only apply", mutate: lifecycle(inventory.LifecycleRule{ID: "cold", Status: "Enabled", Prefix: "audit/", Transitions: []inventory.Transition{{Days: 30, StorageClass: "GLACIER"}}}),
			want: findings.Pass, msg: []string{"rule cold"}},
		{name: "minimum from options", opts: &Options{MinRetentionDays: 3000}, want: findings.Fail, severity: findings.High, msg: []string{"2557 days", "3000"}},
		{name: "unreadable", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].Lifecycle = inventory.Failed[inventory.Lifecycle]("s3:GetBucketLifecycleConfiguration", "AccessDenied", "")
		}, want: findings.Error, msg: []string{"s3:GetBucketLifecycleConfiguration"}},
	})
}

// TestBucketLifecycleSaysOneDay: "after 1 days" was printed for a 1-day rule.
func TestBucketLifecycleSaysOneDay(t *testing.T) {
	inv := bucketGoodInventory()
	inv.Buckets[0].Lifecycle = inventory.Ok(inventory.Lifecycle{Configured: true, Rules: []inventory.LifecycleRule{
		{ID: "a", Status: "Enabled", ExpirationDays: 1, NoncurrentExpirationDays: 1}}})
	r := bucketRunOne(t, "bucket.lifecycle", inv, DefaultOptions())
	if strings.Contains(r.Message, "1 days") || !strings.Contains(r.Message, "after 1 day") {
		t.Errorf("message %q", r.Message)
	}
}

// TestBucketLifecycleSeverityReachesFinding: a rule deleting trail logs is
// reported HIGH through Evaluate, the rule stays LOW in the catalog.
func TestBucketLifecycleSeverityReachesFinding(t *testing.T) {
	inv := bucketGoodInventory()
	inv.Buckets[0].Lifecycle = inventory.Ok(inventory.Lifecycle{Configured: true, Rules: []inventory.LifecycleRule{{ID: "all", Status: "Enabled", ExpirationDays: 30}}})
	fs := Evaluate(inv, []Rule{bucketRule(t, "bucket.lifecycle")}, DefaultOptions())
	if len(fs) != 1 || fs[0].Severity != findings.High || fs[0].Status != findings.Fail {
		t.Fatalf("findings %+v, want one HIGH FAIL", fs)
	}
	inv.Buckets[0].Lifecycle = inventory.Ok(inventory.Lifecycle{})
	fs = Evaluate(inv, []Rule{bucketRule(t, "bucket.lifecycle")}, DefaultOptions())
	if len(fs) != 1 || fs[0].Severity != findings.Low {
		t.Fatalf("findings %+v, want the rule's own LOW", fs)
	}
}

func TestBucketPrefixOverlaps(t *testing.T) {
	logs := []string{"audit/AWSLogs/"}
	for _, tc := range []struct {
		rule string
		want bool
	}{
		{"", true}, {"audit/", true}, {"audit/AWSLogs/", true}, {"audit/AWSLogs/1/CloudTrail/", true}, {"a", true},
		{"AWSLogs/", false}, {"tmp/", false}, {"audit/other/", false},
	} {
		if got := bucketPrefixOverlaps(tc.rule, logs); got != tc.want {
			t.Errorf("bucketPrefixOverlaps(%q) = %v, want %v", tc.rule, got, tc.want)
		}
	}
}

func bucketSetBPA(bucket, account inventory.PublicAccessBlock) func(*inventory.Inventory) {
	return func(inv *inventory.Inventory) {
		inv.Buckets[0].PublicAccessBlock = inventory.Ok(bucket)
		inv.AccountPublicAccessBlock = inventory.Ok(account)
	}
}

func bucketChain(fs ...func(*inventory.Inventory)) func(*inventory.Inventory) {
	return func(inv *inventory.Inventory) {
		for _, f := range fs {
			f(inv)
		}
	}
}

const bucketPublicReadPolicy = `{"Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::org-trail-logs/*"}]}`

func TestBucketPublicAccess(t *testing.T) {
	none := inventory.PublicAccessBlock{}
	all := inventory.PublicAccessBlock{Configured: true, BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
	acls := inventory.PublicAccessBlock{Configured: true, BlockPublicAcls: true, IgnorePublicAcls: true}
	policies := inventory.PublicAccessBlock{Configured: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
	publicACL := func(inv *inventory.Inventory) {
		inv.Buckets[0].ACL.Value.Grants = append(inv.Buckets[0].ACL.Value.Grants,
			inventory.Grant{GranteeType: "Group", URI: bucketAllUsersURI, Permission: "READ"})
	}
	bucketRunCases(t, "bucket.public_access", []bucketCase{
		{name: "private, all settings on", want: findings.Pass, msg: []string{"not public"}},
		{name: "settings split across bucket and account levels", mutate: bucketSetBPA(acls, policies), want: findings.Pass},
		{name: "account level alone", mutate: bucketSetBPA(none, all), want: findings.Pass},
		{name: "one step from public", mutate: bucketSetBPA(acls, acls), want: findings.Fail,
			msg: []string{"one step from public", "BlockPublicPolicy", "RestrictPublicBuckets"}},
		{name: "public ACL neutralised by IgnorePublicAcls", mutate: bucketChain(publicACL, bucketSetBPA(all, none)), want: findings.Pass},
		{name: "public ACL not neutralised", mutate: bucketChain(publicACL, bucketSetBPA(policies, policies)), want: findings.Fail,
			msg: []string{"READ to AllUsers", "IgnorePublicAcls is off"}},
		{name: "authenticated users grant", mutate: bucketChain(func(inv *inventory.Inventory) {
			inv.Buckets[0].ACL.Value.Grants = append(inv.Buckets[0].ACL.Value.Grants,
				inventory.Grant{GranteeType: "Group", URI: bucketAuthUsersURI, Permission: "WRITE"})
		}, bucketSetBPA(none, none)), want: findings.Fail, msg: []string{"WRITE to AuthenticatedUsers"}},
		{name: "public policy neutralised by RestrictPublicBuckets", mutate: bucketChain(bucketWithPolicy(bucketPublicReadPolicy), bucketSetBPA(none, all)), want: findings.Pass},
		{name: "public policy not neutralised", mutate: bucketChain(bucketWithPolicy(bucketPublicReadPolicy), bucketSetBPA(acls, acls)), want: findings.Fail,
			msg: []string{"statement 1 (PublicRead)", "RestrictPublicBuckets is off"}},
		{name: "public principal with org condition is not public", mutate: bucketChain(bucketWithPolicy(
			`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}]}`),
			bucketSetBPA(all, none)), want: findings.Pass},
		{name: "policy status public", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].PolicyStatus = inventory.Ok(inventory.PolicyStatus{IsPublic: true})
		}, want: findings.Fail, msg: []string{"GetBucketPolicyStatus"}},
		{name: "ACL unreadable", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].ACL = inventory.Failed[inventory.ACL]("s3:GetBucketAcl", "AccessDenied", "")
		}, want: findings.Error, msg: []string{"ACL", "s3:GetBucketAcl", "AccessDenied"}},
		{name: "policy unreadable", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].Policy = inventory.Failed[inventory.BucketPolicy]("s3:GetBucketPolicy", "AccessDenied", "")
		}, want: findings.Error, msg: []string{"bucket policy", "s3:GetBucketPolicy"}},
		{name: "policy malformed", mutate: bucketWithPolicy(`{"Statement":[`), want: findings.Error, msg: []string{"not valid JSON"}},
		{name: "both BPA levels unreadable", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].PublicAccessBlock = inventory.Failed[inventory.PublicAccessBlock]("s3:GetPublicAccessBlock", "AccessDenied", "")
			inv.AccountPublicAccessBlock = inventory.Failed[inventory.PublicAccessBlock]("s3control:GetPublicAccessBlock", "AccessDenied", "")
		}, want: findings.Error, msg: []string{"BlockPublicAcls", "s3:GetPublicAccessBlock"}},
		{name: "account level unreadable but bucket all on", mutate: func(inv *inventory.Inventory) {
			inv.AccountPublicAccessBlock = inventory.Failed[inventory.PublicAccessBlock]("s3control:GetPublicAccessBlock", "AccessDenied", "")
		}, want: findings.Pass},
		{name: "exposure still reported when another piece is unreadable", mutate: bucketChain(bucketSetBPA(none, none), func(inv *inventory.Inventory) {
			inv.Buckets[0].ACL = inventory.Failed[inventory.ACL]("s3:GetBucketAcl", "AccessDenied", "")
		}), want: findings.Fail, msg: []string{"one step from public", "unread"}},
	})
}

func TestBucketAccessLogging(t *testing.T) {
	bucketRunCases(t, "bucket.access_logging", []bucketCase{
		{name: "to a separate bucket", want: findings.Pass, msg: []string{"access-logs"}},
		{name: "off", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].Logging = inventory.Ok(inventory.AccessLogging{})
		}, want: findings.Fail, msg: []string{"off"}},
		{name: "into itself", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].Logging = inventory.Ok(inventory.AccessLogging{Enabled: true, TargetBucket: bucketTestName})
		}, want: findings.Fail, msg: []string{"bucket itself"}},
		{name: "unreadable", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].Logging = inventory.Failed[inventory.AccessLogging]("s3:GetBucketLogging", "AccessDenied", "")
		}, want: findings.Error, msg: []string{"s3:GetBucketLogging"}},
	})
}

const bucketKMSOnlyPolicy = `{"Statement":[{"Sid":"RequireKMS","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::org-trail-logs/*",
  "Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}}]}`

func TestBucketEncryption(t *testing.T) {
	bucketRunCases(t, "bucket.encryption", []bucketCase{
		{name: "kms default, no forcing policy", want: findings.Pass, msg: []string{"aws:kms"}},
		{name: "no default encryption", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].Encryption = inventory.Ok(inventory.Encryption{})
		}, want: findings.Fail, msg: []string{"no default encryption"}},
		{name: "KMS-only deny with validation on", mutate: bucketWithPolicy(bucketKMSOnlyPolicy), want: findings.Fail,
			msg: []string{"RequireKMS", "main", "AES256"}},
		{name: "KMS-only deny with validation off", mutate: bucketChain(bucketWithPolicy(bucketKMSOnlyPolicy), func(inv *inventory.Inventory) {
			inv.Trails[0].LogFileValidationEnabled = false
		}), want: findings.Pass},
		{name: "deny that also accepts AES256", mutate: bucketWithPolicy(strings.Replace(bucketKMSOnlyPolicy, `"aws:kms"`, `["aws:kms","AES256"]`, 1)), want: findings.Pass},
		{name: "policy unreadable while validation is on", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].Policy = inventory.Failed[inventory.BucketPolicy]("s3:GetBucketPolicy", "AccessDenied", "")
		}, want: findings.Error, msg: []string{"s3:GetBucketPolicy"}},
		{name: "encryption unreadable", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].Encryption = inventory.Failed[inventory.Encryption]("s3:GetBucketEncryption", "AccessDenied", "")
		}, want: findings.Error, msg: []string{"s3:GetBucketEncryption"}},
	})
}

func TestBucketPolicySourceARN(t *testing.T) {
	write := func(resource, condition string) func(*inventory.Inventory) {
		return bucketWithPolicy(`{"Statement":[{"Sid":"W","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"` +
			resource + `"` + condition + `}]}`)
	}
	const src = `,"Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}`
	bucketRunCases(t, "bucket.policy_source_arn", []bucketCase{
		{name: "conditioned and scoped", want: findings.Pass, msg: []string{"AWSCloudTrailWrite"}},
		{name: "organization ID folder", mutate: write("arn:aws:s3:::org-trail-logs/audit/AWSLogs/o-abc123/*", src), want: findings.Pass},
		{name: "no source condition", mutate: write("arn:aws:s3:::org-trail-logs/audit/AWSLogs/111122223333/*", ""), want: findings.Fail,
			msg: []string{"statement 1 (W)", "no aws:SourceArn or aws:SourceAccount"}},
		{name: "IfExists source condition does not count", mutate: write("arn:aws:s3:::org-trail-logs/audit/AWSLogs/111122223333/*",
			`,"Condition":{"StringEqualsIfExists":{"aws:SourceAccount":"111122223333"}}`), want: findings.Fail, msg: []string{"no aws:SourceArn"}},
		{name: "whole bucket", mutate: write("arn:aws:s3:::org-trail-logs/*", src), want: findings.Fail, msg: []string{"broader than"}},
		{name: "wildcard account folder", mutate: write("arn:aws:s3:::org-trail-logs/audit/AWSLogs/*", src), want: findings.Fail, msg: []string{"broader than"}},
		{name: "wildcard before AWSLogs", mutate: write("arn:aws:s3:::org-trail-logs/*/AWSLogs/111122223333/*", src), want: findings.Fail, msg: []string{"broader than"}},
		{name: "no cloudtrail write statement", mutate: bucketWithPolicy(bucketPublicReadPolicy), want: findings.NA},
		{name: "no policy", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].Policy = inventory.Ok(inventory.BucketPolicy{})
		}, want: findings.NA},
		{name: "malformed policy", mutate: bucketWithPolicy(`{"Statement":{"Effect":"Allow"}}`), want: findings.Error, msg: []string{"neither Action nor NotAction"}},
		{name: "unreadable", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].Policy = inventory.Failed[inventory.BucketPolicy]("s3:GetBucketPolicy", "AccessDenied", "")
		}, want: findings.Error, msg: []string{"s3:GetBucketPolicy"}},
	})
}

func TestBucketLeastPrivilege(t *testing.T) {
	withExtra := func(stmt string) func(*inventory.Inventory) {
		return bucketWithPolicy(strings.Replace(bucketGoodPolicy, `"Statement": [`, `"Statement": [`+stmt+`,`, 1))
	}
	bucketRunCases(t, "bucket.least_privilege", []bucketCase{
		{name: "owner-only admin and TLS deny", want: findings.Pass, msg: []string{"111122223333"}},
		{name: "other account may delete", mutate: withExtra(`{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:DeleteObject*","Resource":"*"}`),
			want: findings.Fail, msg: []string{"Partner", "s3:DeleteObject", "account 444455556666"}},
		{name: "anyone may change the policy through s3:Put*", mutate: withExtra(`{"Effect":"Allow","Principal":"*","Action":"s3:Put*","Resource":"*"}`),
			want: findings.Fail, msg: []string{"s3:PutBucketPolicy", "s3:PutBucketObjectLockConfiguration", `"*"`}},
		{name: "anyone pinned to the owner account is fine", mutate: withExtra(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}`),
			want: findings.Pass},
		{name: "other account may only read", mutate: withExtra(`{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}`),
			want: findings.Pass},
		{name: "no TLS deny", mutate: bucketWithPolicy(strings.Replace(bucketGoodPolicy, `"aws:SecureTransport": "false"`, `"aws:SecureTransport": "true"`, 1)),
			want: findings.Fail, msg: []string{"aws:SecureTransport"}},
		{name: "no policy at all", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].Policy = inventory.Ok(inventory.BucketPolicy{})
		}, want: findings.Fail, msg: []string{"no bucket policy"}},
		{name: "malformed policy", mutate: bucketWithPolicy(`not json`), want: findings.Error, msg: []string{"not valid JSON"}},
		{name: "unreadable", mutate: func(inv *inventory.Inventory) {
			inv.Buckets[0].Policy = inventory.Failed[inventory.BucketPolicy]("s3:GetBucketPolicy", "AccessDenied", "")
		}, want: findings.Error, msg: []string{"s3:GetBucketPolicy"}},
	})
}

func TestBucketDedicatedAccount(t *testing.T) {
	member := func(inv *inventory.Inventory) {
		inv.Organization = inventory.Ok(inventory.Organization{Member: true, ID: "o-abc123"})
	}
	bucketRunCases(t, "bucket.dedicated_account", []bucketCase{
		{name: "no organization, no archive account", want: findings.NA},
		{name: "organization member owns its trail bucket", mutate: member, want: findings.Fail, msg: []string{"o-abc123"}},
		{name: "archive account configured elsewhere", opts: &Options{LogArchiveAccount: "555566667777"}, want: findings.Fail, msg: []string{"555566667777"}},
		{name: "this is the archive account", mutate: member, opts: &Options{LogArchiveAccount: bucketTestAccount}, want: findings.Pass, msg: []string{"log archive account"}},
		{name: "bucket owned by another account", mutate: func(inv *inventory.Inventory) {
			member(inv)
			inv.Buckets[0].OwnedByScannedAccount = false
			inv.Buckets[0].OwnerAccountID = "555566667777"
		}, want: findings.Pass, msg: []string{"account 555566667777"}},
		{name: "organization unreadable", mutate: func(inv *inventory.Inventory) {
			inv.Organization = inventory.Failed[inventory.Organization]("organizations:DescribeOrganization", "AccessDeniedException", "")
		}, want: findings.Error, msg: []string{"organizations:DescribeOrganization"}},
	})
}

// Every bucket rule defers to the owner account when the bucket is not
// readable from here, except dedicated_account, for which that is the answer.
func TestBucketForeignBucketIsManual(t *testing.T) {
	inv := bucketForeignInventory()
	for _, r := range bucketRules() {
		t.Run(r.ID, func(t *testing.T) {
			got := r.Check(inv, DefaultOptions())
			if len(got) != 1 {
				t.Fatalf("%d results, want 1", len(got))
			}
			if r.ID == "bucket.dedicated_account" {
				bucketExpect(t, got[0], findings.Pass, "999988887777")
				return
			}
			bucketExpect(t, got[0], findings.Manual, "999988887777")
			if got[0].Account != "999988887777" {
				t.Errorf("account %q, want the bucket owner", got[0].Account)
			}
			if got[0].Region != "" {
				t.Errorf("region %q, want empty for a bucket whose region is unknown", got[0].Region)
			}
		})
	}
}

func TestBucketRulesWithoutTrailsAreNA(t *testing.T) {
	inv := bucketGoodInventory()
	inv.Trails = nil
	for _, r := range bucketRules() {
		got := r.Check(inv, DefaultOptions())
		if len(got) != 1 || got[0].Status != findings.NA {
			t.Errorf("%s: %+v, want one N/A", r.ID, got)
		}
	}
}

func TestBucketOneFindingPerBucket(t *testing.T) {
	inv := bucketGoodInventory()
	second := inv.Trails[0]
	second.ARN, second.Name = "arn:aws:cloudtrail:eu-west-1:111122223333:trail/second", "second"
	third := inv.Trails[0]
	third.ARN, third.Name, third.S3BucketName = "arn:aws:cloudtrail:eu-west-1:111122223333:trail/third", "third", "uncollected-bucket"
	inv.Trails = append(inv.Trails, second, third)

	got := bucketRule(t, "bucket.versioning").Check(inv, DefaultOptions())
	if len(got) != 2 {
		t.Fatalf("%d results, want 2 (one per distinct bucket): %+v", len(got), got)
	}
	bucketExpect(t, got[0], findings.Pass)
	trails, _ := got[0].Evidence["trails"].([]string)
	if len(trails) != 2 || trails[1] != second.ARN {
		t.Errorf("trails of the shared bucket = %v, want both trails", trails)
	}
	bucketExpect(t, got[1], findings.Error, "uncollected-bucket", "not collected")
	if got[1].Resource != "arn:aws:s3:::uncollected-bucket" {
		t.Errorf("resource %q", got[1].Resource)
	}
}

func TestBucketPartitionInResource(t *testing.T) {
	inv := bucketGoodInventory()
	inv.Partition = "aws-us-gov"
	got := bucketRunOne(t, "bucket.versioning", inv, DefaultOptions())
	if got.Resource != "arn:aws-us-gov:s3:::"+bucketTestName {
		t.Errorf("resource %q", got.Resource)
	}
}

func TestBucketRuleMetadata(t *testing.T) {
	want := map[string]findings.Severity{
		"bucket.object_lock": findings.Medium, "bucket.object_lock_retention": findings.Medium,
		"bucket.versioning": findings.Medium, "bucket.mfa_delete": findings.Medium,
		"bucket.lifecycle": findings.Low, "bucket.public_access": findings.Critical,
		"bucket.access_logging": findings.Medium, "bucket.encryption": findings.Low,
		"bucket.policy_source_arn": findings.Medium, "bucket.least_privilege": findings.Medium,
		"bucket.dedicated_account": findings.Low,
	}
	rs := bucketRules()
	if len(rs) != len(want) {
		t.Errorf("%d bucket rules, want %d", len(rs), len(want))
	}
	for _, r := range rs {
		sev, ok := want[r.ID]
		if !ok {
			t.Errorf("unexpected rule %s", r.ID)
			continue
		}
		if r.Severity != sev {
			t.Errorf("%s severity %s, want %s", r.ID, r.Severity, sev)
		}
		if r.Scope != "bucket" || r.Title == "" || r.Rationale == "" || r.Audit == "" ||
			r.Remediation.Console == "" || r.Remediation.CLI == "" || r.Remediation.Terraform == "" || len(r.References) == 0 || r.Check == nil {
			t.Errorf("%s has incomplete metadata", r.ID)
		}
	}
	access, _ := Lookup(rs, "bucket.access_logging")
	if !bucketHasFramework(access, "cis-3.0", "3.4") || !bucketHasFramework(access, "fsbp", "CloudTrail.7") {
		t.Errorf("bucket.access_logging frameworks = %v", access.Frameworks)
	}
	public, _ := Lookup(rs, "bucket.public_access")
	if !bucketHasFramework(public, "cis-1.4", "3.3") || !bucketHasFramework(public, "fsbp", "CloudTrail.6") {
		t.Errorf("bucket.public_access frameworks = %v", public.Frameworks)
	}
}

func bucketHasFramework(r Rule, fw, control string) bool {
	for _, f := range r.Frameworks {
		if f.Framework == fw && f.Control == control {
			return true
		}
	}
	return false
}

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
