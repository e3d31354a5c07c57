package demo

import (
	"bytes"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailseal/trailseal/internal/inventory"
)

var update = flag.Bool("update", false, "rewrite sample.json from sampleInventory")

// The sample account: acme-prod (111122223333), the management account of
// organization o-7h2k9x4m1q.
//   - organization-trail: an organization trail done right (multi-region,
//     validation, KMS with rotation, CloudWatch Logs with the trail-change
//     alarm, locked, versioned, private and logged bucket), except that its
//     advanced selectors log S3 data events for two buckets only although the
//     selector is named "Log all S3 events".
//   - legacy-audit: a single-region trail from years ago, no validation, no
//     KMS, writing to a bucket that is public through its ACL and policy.
//   - security-tooling: a trail someone stopped.
const (
	acct      = "111122223333"
	orgID     = "o-7h2k9x4m1q"
	archive   = "444455556666"
	partition = "aws"
)

var collectedAt = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func ago(d time.Duration) *time.Time {
	t := collectedAt.Add(-d)
	return &t
}

func sampleInventory() *inventory.Inventory {
	orgTrail := "arn:aws:cloudtrail:us-east-1:" + acct + ":trail/organization-trail"
	legacyTrail := "arn:aws:cloudtrail:us-west-2:" + acct + ":trail/legacy-audit"
	stoppedTrail := "arn:aws:cloudtrail:eu-west-1:" + acct + ":trail/security-tooling"
	keyARN := "arn:aws:kms:us-east-1:" + acct + ":key/6f1d2a4e-93b1-4c57-8f0e-2b7d1c9a0e11"
	logGroupARN := "arn:aws:logs:us-east-1:" + acct + ":log-group:aws-cloudtrail-logs-organization:*"
	topicARN := "arn:aws:sns:us-east-1:" + acct + ":security-alerts"

	return &inventory.Inventory{
		SchemaVersion: inventory.SchemaVersion,
		Generator:     "trailseal demo",
		CollectedAt:   collectedAt,
		Partition:     partition,
		Account:       inventory.Account{ID: acct, Name: "acme-prod", CallerARN: "arn:aws:sts::" + acct + ":assumed-role/SecurityAudit/trailseal"},
		Regions:       []string{"eu-west-1", "us-east-1", "us-west-2"},
		Organization: inventory.Ok(inventory.Organization{
			Member: true, ID: orgID, ARN: "arn:aws:organizations::" + acct + ":organization/" + orgID, ManagementAccountID: acct,
		}),
		Trails: []inventory.Trail{
			{
				ARN: orgTrail, Name: "organization-trail", HomeRegion: "us-east-1", OwnerAccountID: acct,
				S3BucketName: "acme-org-audit-logs", S3KeyPrefix: "",
				IsMultiRegion: true, IncludeGlobalServiceEvents: true, IsOrganizationTrail: true, LogFileValidationEnabled: true,
				KMSKeyID:                  keyARN,
				CloudWatchLogsLogGroupARN: logGroupARN,
				CloudWatchLogsRoleARN:     "arn:aws:iam::" + acct + ":role/CloudTrailToCloudWatch",
				HasCustomEventSelectors:   true, HasInsightSelectors: true,
				Status: inventory.Ok(inventory.TrailStatus{
					IsLogging: true, StartLoggingTime: ago(400 * 24 * time.Hour),
					LatestDeliveryTime: ago(4 * time.Minute), LatestDigestDeliveryTime: ago(38 * time.Minute),
					LatestCloudWatchLogsDeliveryTime: ago(3 * time.Minute),
				}),
				Selectors: inventory.Ok(inventory.EventSelectors{Advanced: []inventory.AdvancedEventSelector{
					{Name: "Management events", FieldSelectors: []inventory.FieldSelector{
						{Field: "eventCategory", Equals: []string{"Management"}},
					}},
					{Name: "Log all S3 events", FieldSelectors: []inventory.FieldSelector{
						{Field: "eventCategory", Equals: []string{"Data"}},
						{Field: "resources.type", Equals: []string{"AWS::S3::Object"}},
						{Field: "resources.ARN", StartsWith: []string{"arn:aws:s3:::acme-payments-data/", "arn:aws:s3:::acme-customer-exports/"}},
					}},
				}}),
				Insights: inventory.Ok([]string{"ApiCallRateInsight"}),
			},
			{
				ARN: legacyTrail, Name: "legacy-audit", HomeRegion: "us-west-2", OwnerAccountID: acct,
				S3BucketName: "acme-legacy-cloudtrail", S3KeyPrefix: "trail",
				IsMultiRegion: false, IncludeGlobalServiceEvents: false, LogFileValidationEnabled: false,
				Status: inventory.Ok(inventory.TrailStatus{
					IsLogging: true, StartLoggingTime: ago(6 * 365 * 24 * time.Hour),
					LatestDeliveryTime: ago(9 * time.Minute),
				}),
				Selectors: inventory.Ok(inventory.EventSelectors{Basic: []inventory.EventSelector{
					{ReadWriteType: "WriteOnly", IncludeManagementEvents: true},
				}}),
				Insights: inventory.Ok([]string{}),
			},
			{
				ARN: stoppedTrail, Name: "security-tooling", HomeRegion: "eu-west-1", OwnerAccountID: acct,
				S3BucketName:  "acme-security-tooling-trail",
				IsMultiRegion: true, IncludeGlobalServiceEvents: true, LogFileValidationEnabled: true,
				Status: inventory.Ok(inventory.TrailStatus{
					IsLogging: false, StartLoggingTime: ago(200 * 24 * time.Hour), StopLoggingTime: ago(19 * 24 * time.Hour),
					LatestDeliveryTime: ago(19 * 24 * time.Hour), LatestDigestDeliveryTime: ago(19 * 24 * time.Hour),
				}),
				Selectors: inventory.Ok(inventory.EventSelectors{Basic: []inventory.EventSelector{
					{ReadWriteType: "All", IncludeManagementEvents: true, ExcludeManagementEventSources: []string{"kms.amazonaws.com"}},
				}}),
				Insights: inventory.Ok([]string{}),
			},
		},
		Buckets: []inventory.Bucket{
			orgBucket(),
			legacyBucket(),
			stoppedBucket(),
		},
		Keys: []inventory.KMSKey{{
			ARN: keyARN, Region: "us-east-1", OwnerAccountID: acct,
			Metadata: inventory.Ok(inventory.KeyMetadata{KeyID: "6f1d2a4e-93b1-4c57-8f0e-2b7d1c9a0e11", KeyState: "Enabled", KeyManager: "CUSTOMER", KeySpec: "SYMMETRIC_DEFAULT", Enabled: true}),
			Rotation: inventory.Ok(true),
			Policy:   inventory.Ok(keyPolicy(orgTrail)),
		}},
		LogGroups: []inventory.LogGroup{{
			ARN: logGroupARN, Name: "aws-cloudtrail-logs-organization", Region: "us-east-1", OwnerAccountID: acct,
			Info: inventory.Ok(inventory.LogGroupInfo{Exists: true, RetentionDays: 400}),
			MetricFilters: inventory.Ok([]inventory.MetricFilter{{
				Name:    "cloudtrail-changes",
				Pattern: "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }",
				Metrics: []inventory.MetricTarget{{Name: "CloudTrailChangeCount", Namespace: "CISBenchmark"}},
			}, {
				Name:    "s3-bucket-policy-changes",
				Pattern: "{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = DeleteBucketPolicy)) }",
				Metrics: []inventory.MetricTarget{{Name: "S3BucketPolicyChangeCount", Namespace: "CISBenchmark"}},
			}}),
			Alarms: inventory.Ok([]inventory.Alarm{{
				Name: "cloudtrail-changes", ARN: "arn:aws:cloudwatch:us-east-1:" + acct + ":alarm:cloudtrail-changes",
				MetricName: "CloudTrailChangeCount", Namespace: "CISBenchmark", ActionsEnabled: true, AlarmActions: []string{topicARN},
			}, {
				Name: "s3-bucket-policy-changes", ARN: "arn:aws:cloudwatch:us-east-1:" + acct + ":alarm:s3-bucket-policy-changes",
				MetricName: "S3BucketPolicyChangeCount", Namespace: "CISBenchmark", ActionsEnabled: true, AlarmActions: []string{topicARN},
			}}),
		}},
		Topics: []inventory.SNSTopic{{
			ARN: topicARN, Region: "us-east-1",
			Subscriptions: inventory.Ok([]inventory.Subscription{
				{SubscriptionARN: topicARN + ":0b6c2f1e-5b8a-4d0e-9a67-3f2d9e8c7b10", Protocol: "email", Endpoint: "secops@acme.example"},
			}),
		}},
		AccountPublicAccessBlock: inventory.Ok(inventory.PublicAccessBlock{Configured: false}),
		IAM: inventory.Ok(inventory.IAMAuthorization{
			Principals: []inventory.Principal{
				{Type: "role", Name: "SecurityAudit", ARN: "arn:aws:iam::" + acct + ":role/SecurityAudit",
					AttachedPolicyARNs: []string{"arn:aws:iam::aws:policy/SecurityAudit"}},
				{Type: "role", Name: "PlatformDeploy", ARN: "arn:aws:iam::" + acct + ":role/PlatformDeploy",
					AttachedPolicyARNs: []string{"arn:aws:iam::aws:policy/AWSCloudTrail_FullAccess", "arn:aws:iam::" + acct + ":policy/ops-cloudtrail-admin"}},
				{Type: "user", Name: "jenkins", ARN: "arn:aws:iam::" + acct + ":user/jenkins",
					InlinePolicies: []inventory.InlinePolicy{{Name: "deploy", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::acme-artifacts/*"}]}`}}},
			},
			ManagedPolicies: []inventory.ManagedPolicy{{
				ARN: "arn:aws:iam::" + acct + ":policy/ops-cloudtrail-admin", Name: "ops-cloudtrail-admin", AttachmentCount: 1,
				Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:*","Resource":"*"}]}`,
			}},
		}),
		ConfigRecorders: []inventory.ConfigRegion{
			{Region: "us-east-1", Recorders: inventory.Ok([]inventory.ConfigRecorder{{Name: "default", Recording: true, AllSupported: true, LastStatus: "SUCCESS"}})},
			{Region: "us-west-2", Recorders: inventory.Ok([]inventory.ConfigRecorder{})},
			{Region: "eu-west-1", Recorders: inventory.Ok([]inventory.ConfigRecorder{{Name: "default", Recording: true, AllSupported: false, ResourceTypes: []string{"AWS::EC2::Instance"}, LastStatus: "SUCCESS"}})},
		},
	}
}

func orgBucket() inventory.Bucket {
	name := "acme-org-audit-logs"
	policy := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"AWSCloudTrailAclCheck","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::` + name + `","Condition":{"StringEquals":{"aws:SourceArn":"arn:aws:cloudtrail:us-east-1:` + acct + `:trail/organization-trail"}}},` +
		`{"Sid":"AWSCloudTrailWrite","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::` + name + `/AWSLogs/` + acct + `/*","Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control","aws:SourceArn":"arn:aws:cloudtrail:us-east-1:` + acct + `:trail/organization-trail"}}},` +
		`{"Sid":"AWSCloudTrailOrgWrite","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::` + name + `/AWSLogs/` + orgID + `/*","Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control","aws:SourceArn":"arn:aws:cloudtrail:us-east-1:` + acct + `:trail/organization-trail"}}},` +
		`{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::` + name + `","arn:aws:s3:::` + name + `/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}` +
		`]}`
	return inventory.Bucket{
		Name: name, ARN: "arn:aws:s3:::" + name, OwnedByScannedAccount: true, OwnerAccountID: acct,
		Region:            inventory.Ok("us-east-1"),
		Versioning:        inventory.Ok(inventory.Versioning{Status: "Enabled", MFADelete: "Disabled"}),
		ObjectLock:        inventory.Ok(inventory.ObjectLock{Enabled: true, DefaultMode: "COMPLIANCE", Years: 1, Days: 30}),
		Encryption:        inventory.Ok(inventory.Encryption{Rules: []inventory.EncryptionRule{{SSEAlgorithm: "aws:kms", KMSMasterKeyID: "arn:aws:kms:us-east-1:" + acct + ":key/6f1d2a4e-93b1-4c57-8f0e-2b7d1c9a0e11", BucketKeyEnabled: true}}}),
		PublicAccessBlock: inventory.Ok(inventory.PublicAccessBlock{Configured: true, BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}),
		Policy:            inventory.Ok(inventory.BucketPolicy{Exists: true, Document: policy}),
		PolicyStatus:      inventory.Ok(inventory.PolicyStatus{IsPublic: false}),
		ACL: inventory.Ok(inventory.ACL{OwnerID: "7c3e5d1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d", Grants: []inventory.Grant{
			{GranteeType: "CanonicalUser", ID: "7c3e5d1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d", Permission: "FULL_CONTROL"},
		}}),
		Ownership: inventory.Ok(inventory.Ownership{ObjectOwnership: "BucketOwnerEnforced"}),
		Logging:   inventory.Ok(inventory.AccessLogging{Enabled: true, TargetBucket: "acme-s3-access-logs", TargetPrefix: "acme-org-audit-logs/"}),
		Lifecycle: inventory.Ok(inventory.Lifecycle{Configured: true, Rules: []inventory.LifecycleRule{{
			ID: "archive-then-expire", Status: "Enabled", Prefix: "AWSLogs/",
			ExpirationDays: 2555, NoncurrentExpirationDays: 400,
			Transitions: []inventory.Transition{{Days: 90, StorageClass: "GLACIER_IR"}, {Days: 365, StorageClass: "DEEP_ARCHIVE"}},
		}}}),
	}
}

func legacyBucket() inventory.Bucket {
	name := "acme-legacy-cloudtrail"
	policy := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"AWSCloudTrailAclCheck","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::` + name + `"},` +
		`{"Sid":"AWSCloudTrailWrite","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::` + name + `/*"},` +
		`{"Sid":"LegacyReporting","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + name + `/*"}` +
		`]}`
	return inventory.Bucket{
		Name: name, ARN: "arn:aws:s3:::" + name, OwnedByScannedAccount: true, OwnerAccountID: acct,
		Region:            inventory.Ok("us-west-2"),
		Versioning:        inventory.Ok(inventory.Versioning{Status: "", MFADelete: ""}),
		ObjectLock:        inventory.Ok(inventory.ObjectLock{Enabled: false}),
		Encryption:        inventory.Ok(inventory.Encryption{Rules: []inventory.EncryptionRule{{SSEAlgorithm: "AES256"}}}),
		PublicAccessBlock: inventory.Ok(inventory.PublicAccessBlock{Configured: false}),
		Policy:            inventory.Ok(inventory.BucketPolicy{Exists: true, Document: policy}),
		PolicyStatus:      inventory.Ok(inventory.PolicyStatus{IsPublic: true}),
		ACL: inventory.Ok(inventory.ACL{OwnerID: "7c3e5d1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d", Grants: []inventory.Grant{
			{GranteeType: "CanonicalUser", ID: "7c3e5d1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d", Permission: "FULL_CONTROL"},
			{GranteeType: "Group", URI: "http://acs.amazonaws.com/groups/global/AllUsers", Permission: "READ"},
		}}),
		Ownership: inventory.Ok(inventory.Ownership{ObjectOwnership: "ObjectWriter"}),
		Logging:   inventory.Ok(inventory.AccessLogging{Enabled: false}),
		Lifecycle: inventory.Ok(inventory.Lifecycle{Configured: true, Rules: []inventory.LifecycleRule{{
			ID: "cost-saving", Status: "Enabled", Prefix: "", ExpirationDays: 90,
		}}}),
	}
}

func stoppedBucket() inventory.Bucket {
	name := "acme-security-tooling-trail"
	policy := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"AWSCloudTrailAclCheck","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::` + name + `","Condition":{"StringEquals":{"aws:SourceAccount":"` + acct + `"}}},` +
		`{"Sid":"AWSCloudTrailWrite","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::` + name + `/AWSLogs/` + acct + `/*","Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control","aws:SourceAccount":"` + acct + `"}}},` +
		`{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::` + name + `","arn:aws:s3:::` + name + `/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}` +
		`]}`
	return inventory.Bucket{
		Name: name, ARN: "arn:aws:s3:::" + name, OwnedByScannedAccount: true, OwnerAccountID: acct,
		Region:            inventory.Ok("eu-west-1"),
		Versioning:        inventory.Ok(inventory.Versioning{Status: "Enabled", MFADelete: "Disabled"}),
		ObjectLock:        inventory.Ok(inventory.ObjectLock{Enabled: true, DefaultMode: "GOVERNANCE", Days: 90}),
		Encryption:        inventory.Ok(inventory.Encryption{Rules: []inventory.EncryptionRule{{SSEAlgorithm: "AES256"}}}),
		PublicAccessBlock: inventory.Ok(inventory.PublicAccessBlock{Configured: true, BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}),
		Policy:            inventory.Ok(inventory.BucketPolicy{Exists: true, Document: policy}),
		PolicyStatus:      inventory.Ok(inventory.PolicyStatus{IsPublic: false}),
		ACL: inventory.Ok(inventory.ACL{OwnerID: "7c3e5d1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d", Grants: []inventory.Grant{
			{GranteeType: "CanonicalUser", ID: "7c3e5d1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d", Permission: "FULL_CONTROL"},
		}}),
		Ownership: inventory.Ok(inventory.Ownership{ObjectOwnership: "BucketOwnerEnforced"}),
		Logging:   inventory.Ok(inventory.AccessLogging{Enabled: true, TargetBucket: "acme-s3-access-logs-euw1", TargetPrefix: name + "/"}),
		Lifecycle: inventory.Ok(inventory.Lifecycle{Configured: false}),
	}
}

func keyPolicy(trailARN string) string {
	return `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"EnableRootPermissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"kms:*","Resource":"*"},` +
		`{"Sid":"AllowCloudTrailEncrypt","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:GenerateDataKey*","Resource":"*","Condition":{"StringEquals":{"aws:SourceArn":"` + trailARN + `"},"StringLike":{"kms:EncryptionContext:aws:cloudtrail:arn":"arn:aws:cloudtrail:*:` + acct + `:trail/*"}}},` +
		`{"Sid":"AllowCloudTrailDescribe","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:DescribeKey","Resource":"*"}` +
		`]}`
}

// TestSampleUpToDate keeps sample.json in step with sampleInventory.
func TestSampleUpToDate(t *testing.T) {
	var buf bytes.Buffer
	if err := inventory.Write(&buf, sampleInventory()); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("sample.json", buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(buf.Bytes(), sampleJSON) {
		t.Fatal("sample.json is out of date: run go test ./internal/demo -update")
	}
	inv, err := Snapshot()
	if err != nil {
		t.Fatalf("embedded sample does not load: %v", err)
	}
	if diff := cmp.Diff(sampleInventory(), inv); diff != "" {
		t.Fatalf("sample does not round-trip through JSON (-built +loaded):\n%s", diff)
	}
}
