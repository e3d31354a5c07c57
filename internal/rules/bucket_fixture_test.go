package rules

import (
	"strings"
	"testing"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
)

const (
	bucketTestAccount = "111122223333"
	bucketTestName    = "org-trail-logs"
	bucketTestTrail   = "arn:aws:cloudtrail:us-east-1:111122223333:trail/main"
)

// bucketGoodPolicy is a trail bucket policy that every policy rule accepts.
const bucketGoodPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
     "Action": "s3:GetBucketAcl", "Resource": "arn:aws:s3:::org-trail-logs",
     "Condition": {"StringEquals": {"aws:SourceArn": "arn:aws:cloudtrail:us-east-1:111122223333:trail/main"}}},
    {"Sid": "AWSCloudTrailWrite", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
     "Action": "s3:PutObject", "Resource": "arn:aws:s3:::org-trail-logs/audit/AWSLogs/111122223333/*",
     "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": "arn:aws:cloudtrail:us-east-1:111122223333:trail/main"}}},
    {"Sid": "Admins", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/admin"},
     "Action": "s3:*", "Resource": ["arn:aws:s3:::org-trail-logs", "arn:aws:s3:::org-trail-logs/*"]},
    {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
     "Resource": ["arn:aws:s3:::org-trail-logs", "arn:aws:s3:::org-trail-logs/*"],
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
  ]
}`

// bucketGoodInventory returns an account with one trail whose bucket passes
// every bucket rule except dedicated_account, which is N/A (no organization).
func bucketGoodInventory() *inventory.Inventory {
	allOn := inventory.PublicAccessBlock{Configured: true, BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
	return &inventory.Inventory{
		SchemaVersion: inventory.SchemaVersion,
		Partition:     "aws",
		Account:       inventory.Account{ID: bucketTestAccount},
		Organization:  inventory.Ok(inventory.Organization{Member: false}),
		Trails: []inventory.Trail{{
			ARN: bucketTestTrail, Name: "main", HomeRegion: "us-east-1", OwnerAccountID: bucketTestAccount,
			S3BucketName: bucketTestName, S3KeyPrefix: "audit", IsMultiRegion: true, LogFileValidationEnabled: true,
		}},
		Buckets: []inventory.Bucket{{
			Name: bucketTestName, ARN: "arn:aws:s3:::" + bucketTestName,
			OwnedByScannedAccount: true, OwnerAccountID: bucketTestAccount,
			Region:            inventory.Ok("eu-west-1"),
			Versioning:        inventory.Ok(inventory.Versioning{Status: "Enabled", MFADelete: "Enabled"}),
			ObjectLock:        inventory.Ok(inventory.ObjectLock{Enabled: true, DefaultMode: "COMPLIANCE", Years: 1}),
			Encryption:        inventory.Ok(inventory.Encryption{Rules: []inventory.EncryptionRule{{SSEAlgorithm: "aws:kms", KMSMasterKeyID: "arn:aws:kms:eu-west-1:111122223333:key/k"}}}),
			PublicAccessBlock: inventory.Ok(allOn),
			Policy:            inventory.Ok(inventory.BucketPolicy{Exists: true, Document: bucketGoodPolicy}),
			PolicyStatus:      inventory.Ok(inventory.PolicyStatus{IsPublic: false}),
			ACL: inventory.Ok(inventory.ACL{OwnerID: "ownercanon", Grants: []inventory.Grant{
				{GranteeType: "CanonicalUser", ID: "ownercanon", Permission: "FULL_CONTROL"}}}),
			Ownership: inventory.Ok(inventory.Ownership{ObjectOwnership: "BucketOwnerEnforced"}),
			Logging:   inventory.Ok(inventory.AccessLogging{Enabled: true, TargetBucket: "access-logs", TargetPrefix: "org-trail-logs/"}),
			Lifecycle: inventory.Ok(inventory.Lifecycle{Configured: true, Rules: []inventory.LifecycleRule{
				{ID: "archive", Status: "Enabled", Prefix: "audit/AWSLogs/", ExpirationDays: 2557,
					Transitions: []inventory.Transition{{Days: 90, StorageClass: "GLACIER"}}},
				{ID: "scratch", Status: "Enabled", Prefix: "tmp/", ExpirationDays: 1},
			}}),
		}},
		AccountPublicAccessBlock: inventory.Ok(allOn),
	}
}

// bucketForeignInventory is a member account's view of an organization trail
// whose bucket lives in the management account.
func bucketForeignInventory() *inventory.Inventory {
	const owner, why = "999988887777", "bucket of an organization trail owned by the management account"
	inv := bucketGoodInventory()
	inv.Organization = inventory.Ok(inventory.Organization{Member: true, ID: "o-abc123", ManagementAccountID: owner})
	inv.Trails[0].OwnerAccountID = owner
	inv.Trails[0].IsOrganizationTrail = true
	inv.Buckets = []inventory.Bucket{{
		Name: bucketTestName, ARN: "arn:aws:s3:::" + bucketTestName, OwnerAccountID: owner,
		Region:            inventory.InAccount[string](owner, why),
		Versioning:        inventory.InAccount[inventory.Versioning](owner, why),
		ObjectLock:        inventory.InAccount[inventory.ObjectLock](owner, why),
		Encryption:        inventory.InAccount[inventory.Encryption](owner, why),
		PublicAccessBlock: inventory.InAccount[inventory.PublicAccessBlock](owner, why),
		Policy:            inventory.InAccount[inventory.BucketPolicy](owner, why),
		PolicyStatus:      inventory.InAccount[inventory.PolicyStatus](owner, why),
		ACL:               inventory.InAccount[inventory.ACL](owner, why),
		Ownership:         inventory.InAccount[inventory.Ownership](owner, why),
		Logging:           inventory.InAccount[inventory.AccessLogging](owner, why),
		Lifecycle:         inventory.InAccount[inventory.Lifecycle](owner, why),
	}}
	return inv
}

func bucketRule(t *testing.T, id string) Rule {
	t.Helper()
	r, ok := Lookup(bucketRules(), id)
	if !ok {
		t.Fatalf("rule %s is not in bucketRules", id)
	}
	return r
}

// bucketRunOne runs a rule that must yield exactly one result.
func bucketRunOne(t *testing.T, id string, inv *inventory.Inventory, opts Options) Result {
	t.Helper()
	got := bucketRule(t, id).Check(inv, opts)
	if len(got) != 1 {
		t.Fatalf("%s returned %d results, want 1: %+v", id, len(got), got)
	}
	return got[0]
}

func bucketExpect(t *testing.T, r Result, status findings.Status, msgParts ...string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("status %s, want %s (message %q)", r.Status, status, r.Message)
	}
	for _, p := range msgParts {
		if !strings.Contains(r.Message, p) {
			t.Errorf("message %q does not mention %q", r.Message, p)
		}
	}
}

// bucketWithPolicy replaces the bucket policy document.
func bucketWithPolicy(doc string) func(*inventory.Inventory) {
	return func(inv *inventory.Inventory) {
		inv.Buckets[0].Policy = inventory.Ok(inventory.BucketPolicy{Exists: true, Document: doc})
	}
}
