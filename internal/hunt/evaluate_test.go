package hunt

import (
	"strings"
	"testing"
	"time"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/hunt/detection"
	"github.com/trailseal/trailseal/internal/hunt/record"
	"github.com/trailseal/trailseal/internal/inventory"
)

// evalCase is one record in one context and what hunt must say about it.
// want "" means nothing is reported (a near miss).
type evalCase struct {
	name    string
	rec     func(t *testing.T) *record.Record
	ctx     *Context
	want    string
	attempt bool
	// msg and match, when set, must appear in the detection's message and
	// match; actor, when set, is the actor's ARN.
	msg, match, actor string
}

func ht(id string) func(t *testing.T) *record.Record {
	return func(t *testing.T) *record.Record { return corpusRecord(t, id, nil) }
}

func htEdit(id string, edit func(m map[string]any)) func(t *testing.T) *record.Record {
	return func(t *testing.T) *record.Record { return corpusRecord(t, id, edit) }
}

func wr(source, name, params, errorCode string) func(t *testing.T) *record.Record {
	return func(t *testing.T) *record.Record { return written(t, source, name, params, errorCode) }
}

func runCases(t *testing.T, cases []evalCase) {
	t.Helper()
	ev := NewEvaluator()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.rec(t)
			ctx := tc.ctx
			if ctx == nil {
				ctx = NoContext(DefaultThresholds())
			}
			got, _ := ev.Evaluate(r, ctx)
			if tc.want == "" {
				if len(got) != 0 {
					t.Fatalf("near miss reported: %+v", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("want one %s, got %d: %+v", tc.want, len(got), got)
			}
			d := got[0]
			if d.DetectionID != tc.want {
				t.Fatalf("detection %s, want %s (%s)", d.DetectionID, tc.want, d.Message)
			}
			info, _ := detection.Lookup(tc.want)
			wantSev := info.Severity
			if tc.attempt {
				wantSev = detection.Lower(wantSev)
			}
			if d.Attempt != tc.attempt || d.Severity != wantSev {
				t.Errorf("attempt %v severity %s, want %v %s", d.Attempt, d.Severity, tc.attempt, wantSev)
			}
			if !strings.Contains(d.Message, tc.msg) {
				t.Errorf("message %q does not say %q", d.Message, tc.msg)
			}
			if !strings.Contains(d.Match, tc.match) {
				t.Errorf("match %q, want %q", d.Match, tc.match)
			}
			if tc.actor != "" && d.Actor.ARN != tc.actor {
				t.Errorf("actor %q, want %q", d.Actor.ARN, tc.actor)
			}
			if d.EventID != r.EventID || d.EventTime != r.EventTime.Time || d.Region != r.AWSRegion || d.SourceIP != r.SourceIPAddress {
				t.Errorf("evidence fields not carried over: %+v", d)
			}
		})
	}
}

// Accounts and names of the corpus records used as context.
const (
	invictusAcct  = "123837392027"
	ctlrBucket    = "stratus-red-team-ctlr-bucket-zqfsvooxqj"
	bert          = "arn:aws:iam::123837392027:user/bert-jan"
	elasticAcct   = "000000000"
	panther1Acct  = "111111111111"
	docsKMSAcct   = "111122223333"
	docsKeyID     = "1234abcd-12ab-34cd-56ef-1234567890ab"
	docsKeyWest2  = "arn:aws:kms:us-west-2:111122223333:key/" + docsKeyID
	writtenBucket = "acme-cloudtrail-logs"
	mallory       = "arn:aws:iam::111122223333:user/mallory"
)

func TestTrailDetections(t *testing.T) {
	testTrail := func(validation bool, kms string) *Context {
		return invCtx("0123456789012", longAgo, func(inv *inventory.Inventory) {
			tr := trailWith("0123456789012", "us-west-2", "TEST-trail", "test-cloudtrail-bucket")
			tr.LogFileValidationEnabled, tr.KMSKeyID = validation, kms
			inv.Trails = []inventory.Trail{tr}
		})
	}
	// A console "Edit trail" that turns validation on, written from ht-036
	// (the same console edit with enableLogFileValidation true).
	validationOn := htEdit("ht-036", func(m map[string]any) { params(m)["enableLogFileValidation"] = true })
	mgmtWithS3 := invCtx(docsKMSAcct, longAgo, func(inv *inventory.Inventory) {
		tr := trailWith(docsKMSAcct, "us-west-2", "sample-cloudtrail-name", "b")
		tr.Selectors = inventory.Ok(inventory.EventSelectors{Basic: []inventory.EventSelector{{ReadWriteType: "All", IncludeManagementEvents: true,
			DataResources: []inventory.DataResource{{Type: "AWS::S3::Object", Values: []string{"arn:aws:s3"}}}}}})
		tr.Insights = inventory.Ok([]string{"ApiCallRateInsight", "ApiErrorRateInsight"})
		inv.Trails = []inventory.Trail{tr}
	})
	runCases(t, []evalCase{
		// StopLogging
		{name: "ht-031 Stratus cloudtrail-stop (recorded-anonymised)", rec: ht("ht-031"), want: "hunt.trail_logging_stopped",
			actor: "arn:aws:iam::143434273843:user/christophe", msg: "stratus-red-team-ct-stop-trail-buykxbqejv"},
		{name: "ht-052 console StopLogging (recorded-anonymised)", rec: ht("ht-052"), want: "hunt.trail_logging_stopped", actor: "arn:aws:iam::0123456789012:user/Alice"},
		{name: "ht-031 denied: an attempt one severity lower", rec: htEdit("ht-031", func(m map[string]any) { m["errorCode"] = "AccessDenied" }),
			want: "hunt.trail_logging_stopped", attempt: true, msg: "attempt refused with AccessDenied, nothing changed"},
		{name: "ht-010 TrailNotFoundException has no effect (recorded)", rec: ht("ht-010")},
		{name: "ht-079 InvalidTrailNameException has no effect (synthetic)", rec: ht("ht-079")},
		// DeleteTrail
		{name: "ht-029 Stratus cloudtrail-delete (recorded-anonymised)", rec: ht("ht-029"), want: "hunt.trail_deleted", actor: "arn:aws:iam::847129010505:user/christophe"},
		{name: "ht-020 Stratus clean-up deletes the trail (recorded)", rec: ht("ht-020"), want: "hunt.trail_deleted", actor: bert},
		{name: "ht-053 DeleteTrail by ARN (recorded-anonymised)", rec: ht("ht-053"), want: "hunt.trail_deleted"},
		{name: "ht-001 DeleteTrail TrailNotFoundException (recorded)", rec: ht("ht-001")},
		// UpdateTrail
		{name: "ht-036 console edit turns validation off (recorded-anonymised)", rec: ht("ht-036"), want: "hunt.trail_weakened",
			msg: "log file validation turned off"},
		{name: "ht-036 with the trail in an earlier inventory that had validation on", rec: ht("ht-036"), ctx: testTrail(true, ""),
			want: "hunt.trail_weakened", msg: "log file validation turned off", match: "inventory"},
		{name: "ht-036 with an earlier inventory that had validation off already and no key", rec: ht("ht-036"), ctx: testTrail(false, "")},
		{name: "ht-036 removes the KMS key the inventory shows", rec: ht("ht-036"), ctx: testTrail(false, "arn:aws:kms:us-west-2:0123456789012:key/k1"),
			want: "hunt.trail_weakened", msg: "KMS encryption removed"},
		{name: "ht-036 edited to move the bucket", rec: htEdit("ht-036", func(m map[string]any) {
			params(m)["enableLogFileValidation"] = true
			params(m)["s3BucketName"] = "exfil-bucket-elsewhere"
		}), ctx: testTrail(false, ""), want: "hunt.trail_weakened", msg: `S3 bucket changed from "test-cloudtrail-bucket" to "exfil-bucket-elsewhere"`},
		{name: "ht-036 edited to turn validation on, no context (written from ht-036)", rec: htEdit("ht-036", func(m map[string]any) {
			p := params(m)
			delete(p, "kmsKeyId")
			p["enableLogFileValidation"] = true
		})},
		{name: "ht-036 edited to turn validation on, earlier inventory", rec: validationOn, ctx: testTrail(false, "")},
		{name: "UpdateTrail --enable-log-file-validation (written from the UpdateTrail API reference)",
			rec: wr("cloudtrail.amazonaws.com", "UpdateTrail", `{"name":"audit","enableLogFileValidation":true}`, "")},
		{name: "ht-063 UpdateTrail TrailNotFoundException (doc-example)", rec: ht("ht-063")},
		// PutEventSelectors
		{name: "ht-005 Stratus cloudtrail-event-selectors (recorded)", rec: ht("ht-005"), want: "hunt.trail_selectors_reduced", actor: bert, msg: "management events: none"},
		{name: "ht-030 Stratus detonation log (recorded-anonymised)", rec: ht("ht-030"), want: "hunt.trail_selectors_reduced"},
		{name: "ht-070 Panther's recorded copy", rec: ht("ht-070"), want: "hunt.trail_selectors_reduced", actor: "arn:aws:sts::111122223333:assumed-role/SampleRole/leroy.jenkins"},
		{name: "ht-016 Stratus clean-up restores all management events (recorded)", rec: ht("ht-016")},
		{name: "ht-071 Panther's edited copy records everything (edited-copy)", rec: ht("ht-071")},
		{name: "ht-071 drops the S3 data events the inventory shows", rec: ht("ht-071"), ctx: mgmtWithS3, want: "hunt.trail_selectors_reduced",
			msg: "S3 object writes: none", match: "inventory"},
		// PutInsightSelectors: the corpus has none; written from the API reference.
		{name: "PutInsightSelectors with no types (written)", rec: wr("cloudtrail.amazonaws.com", "PutInsightSelectors", `{"trailName":"audit","insightSelectors":[]}`, ""),
			want: "hunt.trail_insights_reduced", actor: mallory},
		{name: "PutInsightSelectors drops a type the inventory shows (written)", rec: wr("cloudtrail.amazonaws.com", "PutInsightSelectors",
			`{"trailName":"arn:aws:cloudtrail:us-west-2:111122223333:trail/sample-cloudtrail-name","insightSelectors":[{"insightType":"ApiCallRateInsight"}]}`, ""),
			ctx: mgmtWithS3, want: "hunt.trail_insights_reduced", msg: "ApiErrorRateInsight"},
		{name: "PutInsightSelectors adding a type (written)", rec: wr("cloudtrail.amazonaws.com", "PutInsightSelectors", `{"trailName":"audit","insightSelectors":[{"insightType":"ApiCallRateInsight"}]}`, "")},
	})
}

func TestLakeDetections(t *testing.T) {
	// The corpus has no CloudTrail Lake records; these are written from the
	// CloudTrail API reference (DeleteEventDataStore,
	// StopEventDataStoreIngestion, UpdateEventDataStore request syntax).
	const store = `"arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE"`
	runCases(t, []evalCase{
		{name: "DeleteEventDataStore (written)", rec: wr("cloudtrail.amazonaws.com", "DeleteEventDataStore", `{"eventDataStore":`+store+`}`, ""), want: "hunt.lake_store_deleted"},
		{name: "DeleteEventDataStore not found (written)", rec: wr("cloudtrail.amazonaws.com", "DeleteEventDataStore", `{"eventDataStore":`+store+`}`, "EventDataStoreNotFoundException")},
		{name: "StopEventDataStoreIngestion (written)", rec: wr("cloudtrail.amazonaws.com", "StopEventDataStoreIngestion", `{"eventDataStore":`+store+`}`, ""), want: "hunt.lake_ingestion_stopped"},
		{name: "StopEventDataStoreIngestion denied (written)", rec: wr("cloudtrail.amazonaws.com", "StopEventDataStoreIngestion", `{"eventDataStore":`+store+`}`, "AccessDeniedException"),
			want: "hunt.lake_ingestion_stopped", attempt: true},
		{name: "StopEventDataStoreIngestion on a stopped store (written)", rec: wr("cloudtrail.amazonaws.com", "StopEventDataStoreIngestion", `{"eventDataStore":`+store+`}`, "InvalidEventDataStoreStatusException")},
		{name: "UpdateEventDataStore termination protection off (written)", rec: wr("cloudtrail.amazonaws.com", "UpdateEventDataStore",
			`{"eventDataStore":`+store+`,"terminationProtectionEnabled":false}`, ""), want: "hunt.lake_store_weakened", msg: "termination protection turned off"},
		{name: "UpdateEventDataStore 30-day retention and write-only selectors (written)", rec: wr("cloudtrail.amazonaws.com", "UpdateEventDataStore",
			`{"eventDataStore":`+store+`,"retentionPeriod":30,"advancedEventSelectors":[{"name":"w","fieldSelectors":[{"field":"eventCategory","equals":["Management"]},{"field":"readOnly","equals":["false"]}]}]}`, ""),
			want: "hunt.lake_store_weakened", msg: "retention set to 30 days"},
		{name: "UpdateEventDataStore seven years, protected (written)", rec: wr("cloudtrail.amazonaws.com", "UpdateEventDataStore",
			`{"eventDataStore":`+store+`,"retentionPeriod":2557,"terminationProtectionEnabled":true,"advancedEventSelectors":[{"name":"all","fieldSelectors":[{"field":"eventCategory","equals":["Management"]}]}]}`, "")},
	})
}

func TestBucketDetections(t *testing.T) {
	invictusCtlr := bucketCtx(invictusAcct, "us-east-1", ctlrBucket, later)
	otherBucket := bucketCtx(invictusAcct, "us-east-1", "acme-audit-logs", later)
	bdbp := bucketCtx(invictusAcct, "us-east-1", "stratus-red-team-bdbp-lhfzvgcamn", later)
	example := bucketCtx("123456789012", "us-west-2", "example-bucket", later)
	important := bucketCtx(panther1Acct, "us-east-1", "important-files-bucket", later)
	critical := func(mfa string) *Context {
		return invCtx(panther1Acct, longAgo, func(inv *inventory.Inventory) {
			inv.Trails = []inventory.Trail{trailWith(panther1Acct, "us-east-1", "audit", "critical-data-bucket")}
			inv.Buckets = []inventory.Bucket{{Name: "critical-data-bucket", Versioning: inventory.Ok(inventory.Versioning{Status: "Enabled", MFADelete: mfa})}}
		})
	}
	corporate := bucketCtx(panther1Acct, "us-east-1", "corporate-documents", later)
	aclBucket := bucketCtx("123456789012", "us-west-2", "bucket", later)
	lockCtx := invCtx(docsKMSAcct, longAgo, func(inv *inventory.Inventory) {
		inv.Trails = []inventory.Trail{trailWith(docsKMSAcct, "us-east-1", "audit", writtenBucket)}
		inv.Buckets = []inventory.Bucket{{Name: writtenBucket, ObjectLock: inventory.Ok(inventory.ObjectLock{Enabled: true, DefaultMode: "COMPLIANCE", Years: 1}),
			Encryption: inventory.Ok(inventory.Encryption{Rules: []inventory.EncryptionRule{{SSEAlgorithm: "aws:kms", KMSMasterKeyID: "arn:aws:kms:us-east-1:111122223333:key/k"}}})}}
	})
	logKeys := `"AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/01/111122223333_CloudTrail_us-east-1_20260301T0000Z_abc.json.gz"`
	runCases(t, []evalCase{
		// Lifecycle
		{name: "ht-009 Stratus cloudtrail-lifecycle-rule, trail bucket in the inventory (recorded)", rec: ht("ht-009"), ctx: invictusCtlr,
			want: "hunt.bucket_lifecycle_expires_logs", match: "inventory", actor: bert, msg: `expires objects after 1 days`},
		{name: "ht-072 Panther's recorded copy, no context: the bucket's name shows it", rec: ht("ht-072"),
			want: "hunt.bucket_lifecycle_expires_logs", match: "record: bucket name", msg: `S3 takes "*" literally`},
		{name: "ht-009 lifecycle change on an unrelated bucket", rec: ht("ht-009"), ctx: otherBucket},
		{name: "ht-009 without context: nothing shows it is a trail bucket", rec: ht("ht-009")},
		{name: "ht-073 Panther's edited copy: the rule is disabled (edited-copy)", rec: ht("ht-073")},
		{name: "ht-074 expiry after 730 days is beyond the minimum (recorded-anonymised)", rec: ht("ht-074")},
		{name: "ht-017 DeleteBucketLifecycle is not read (recorded)", rec: ht("ht-017"), ctx: invictusCtlr},
		// Bucket policy
		{name: "ht-026 DeleteBucketPolicy on a trail bucket (recorded)", rec: ht("ht-026"), ctx: bdbp, want: "hunt.bucket_policy_weakened", msg: "deleted"},
		{name: "ht-026 DeleteBucketPolicy on an unrelated bucket (recorded)", rec: ht("ht-026")},
		{name: "ht-076 public policy on a trail bucket (synthetic)", rec: ht("ht-076"), ctx: example, want: "hunt.bucket_policy_weakened",
			msg: "grants s3:GetBucketAcl to everybody"},
		{name: "ht-077 policy naming CloudTrail without s3:PutObject (synthetic)", rec: ht("ht-077"), want: "hunt.bucket_policy_weakened",
			match: "record: the policy names cloudtrail.amazonaws.com", msg: "no statement allows cloudtrail.amazonaws.com s3:PutObject"},
		{name: "ht-002 Stratus sets up a proper CloudTrail bucket policy (recorded)", rec: ht("ht-002")},
		{name: "ht-006 the same on the lifecycle bucket, with context (recorded)", rec: ht("ht-006"), ctx: invictusCtlr},
		{name: "ht-025 cross-account grant on an unrelated bucket (recorded)", rec: ht("ht-025")},
		// ACL: the corpus has only a private ACL; the public one is ht-078 edited.
		{name: "ht-078 edited to public-read on a trail bucket", rec: htEdit("ht-078", func(m map[string]any) { params(m)["x-amz-acl"] = []any{"public-read"} }),
			ctx: aclBucket, want: "hunt.bucket_acl_public", msg: "public-read"},
		{name: "PutBucketAcl granting AllUsers (written from the PutBucketAcl API reference)", rec: wr("s3.amazonaws.com", "PutBucketAcl",
			`{"bucketName":"`+writtenBucket+`","acl":"","AccessControlPolicy":{"AccessControlList":{"Grant":[{"Grantee":{"xsi:type":"Group","URI":"http://acs.amazonaws.com/groups/global/AllUsers"},"Permission":"READ"}]}}}`, ""),
			want: "hunt.bucket_acl_public", match: "record: bucket name"},
		{name: "ht-078 private ACL on a trail bucket (synthetic)", rec: ht("ht-078"), ctx: aclBucket},
		// Block Public Access
		{name: "ht-084 DeleteBucketPublicAccessBlock on a trail bucket (synthetic)", rec: ht("ht-084"), ctx: corporate, want: "hunt.bucket_public_access_block_removed"},
		{name: "ht-084 on an unrelated bucket (synthetic)", rec: ht("ht-084")},
		{name: "PutBucketPublicAccessBlock with BlockPublicPolicy off (written)", rec: wr("s3.amazonaws.com", "PutBucketPublicAccessBlock",
			`{"bucketName":"`+writtenBucket+`","publicAccessBlock":"","PublicAccessBlockConfiguration":{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":false,"RestrictPublicBuckets":true}}`, ""),
			want: "hunt.bucket_public_access_block_removed", msg: "BlockPublicPolicy off"},
		{name: "PutBucketPublicAccessBlock all on (written)", rec: wr("s3.amazonaws.com", "PutBucketPublicAccessBlock",
			`{"bucketName":"`+writtenBucket+`","PublicAccessBlockConfiguration":{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":true,"RestrictPublicBuckets":true}}`, "")},
		{name: "DeleteAccountPublicAccessBlock (written from the S3 Control API reference)", rec: wr("s3.amazonaws.com", "DeleteAccountPublicAccessBlock", `{"accountId":"111122223333"}`, ""),
			want: "hunt.account_public_access_block_removed"},
		{name: "PutAccountPublicAccessBlock all on (written)", rec: wr("s3.amazonaws.com", "PutAccountPublicAccessBlock",
			`{"accountId":"111122223333","PublicAccessBlockConfiguration":{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":true,"RestrictPublicBuckets":true}}`, "")},
		// Versioning
		{name: "ht-081 versioning suspended on a trail bucket (synthetic)", rec: ht("ht-081"), ctx: important, want: "hunt.bucket_versioning_weakened", msg: "versioning suspended"},
		{name: "ht-083 the same, denied: an attempt (synthetic)", rec: ht("ht-083"), ctx: important, want: "hunt.bucket_versioning_weakened", attempt: true,
			actor: "arn:aws:iam::111111111111:user/testuser"},
		{name: "ht-082 versioning enabled (synthetic)", rec: ht("ht-082"), ctx: important},
		{name: "ht-042 versioning enabled on a bucket named for CloudTrail (recorded-anonymised)", rec: ht("ht-042")},
		{name: "ht-087 MFA Delete off where an earlier inventory had it on (synthetic)", rec: ht("ht-087"), ctx: critical("Enabled"),
			want: "hunt.bucket_versioning_weakened", msg: "MFA Delete turned off"},
		{name: "ht-087 MFA Delete was off already (synthetic)", rec: ht("ht-087"), ctx: critical("Disabled")},
		// Access logging
		{name: "ht-085 access logging off on a trail bucket (synthetic)", rec: ht("ht-085"), ctx: bucketCtx(panther1Acct, "us-west-2", "critical-data-bucket", later),
			want: "hunt.bucket_access_logging_disabled"},
		{name: "ht-086 access logging on (synthetic)", rec: ht("ht-086"), ctx: bucketCtx(panther1Acct, "us-west-2", "critical-data-bucket", later)},
		{name: "ht-040 access logging on, bucket named for CloudTrail (recorded-anonymised)", rec: ht("ht-040")},
		// Object Lock: none in the corpus; written from the S3 API reference.
		{name: "PutObjectLockConfiguration 1-day GOVERNANCE (written)", rec: wr("s3.amazonaws.com", "PutObjectLockConfiguration",
			`{"bucketName":"`+writtenBucket+`","object-lock":"","ObjectLockConfiguration":{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"GOVERNANCE","Days":1}}}}`, ""),
			ctx: lockCtx, want: "hunt.bucket_object_lock_weakened", msg: "COMPLIANCE to GOVERNANCE", match: "inventory"},
		{name: "PutObjectLockConfiguration 400-day COMPLIANCE (written)", rec: wr("s3.amazonaws.com", "PutObjectLockConfiguration",
			`{"bucketName":"`+writtenBucket+`","ObjectLockConfiguration":{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"COMPLIANCE","Days":400}}}}`, ""), ctx: lockCtx},
		{name: "PutObjectRetention bypassing governance on a log file (written; the header is recorded like x-amz-acl in ht-078)",
			rec:  wr("s3.amazonaws.com", "PutObjectRetention", `{"bucketName":"logs-2026","key":`+logKeys+`,"retention":"","x-amz-bypass-governance-retention":["true"],"Retention":{"Mode":"GOVERNANCE","RetainUntilDate":"2026-03-03T00:00:00Z"}}`, ""),
			want: "hunt.bucket_object_lock_weakened", match: "CloudTrail's layout", msg: "bypassed"},
		{name: "PutObjectRetention extending COMPLIANCE (written)", rec: wr("s3.amazonaws.com", "PutObjectRetention",
			`{"bucketName":"logs-2026","key":`+logKeys+`,"Retention":{"Mode":"COMPLIANCE","RetainUntilDate":"2030-01-01T00:00:00Z"}}`, "")},
		// Object deletion
		{name: "ht-080 DeleteObjects on a trail bucket (synthetic)", rec: ht("ht-080"), ctx: example, want: "hunt.bucket_log_objects_deleted", msg: "example-object"},
		{name: "DeleteObjects of log files bypassing governance (written from the DeleteObjects API reference)", rec: wr("s3.amazonaws.com", "DeleteObjects",
			`{"bucketName":"logs-2026","delete":"","x-amz-bypass-governance-retention":["true"],"Delete":{"Object":[{"Key":`+logKeys+`}],"Quiet":true}}`, ""),
			want: "hunt.bucket_log_objects_deleted", msg: "bypassing governance-mode retention"},
		{name: "ht-080 on an unrelated bucket (synthetic)", rec: ht("ht-080")},
		// Bucket deletion
		{name: "ht-024 DeleteBucket of the trail bucket (recorded)", rec: ht("ht-024"), ctx: invictusCtlr, want: "hunt.bucket_deleted", actor: bert, msg: "trails writing there: audit"},
		{name: "ht-022 DeleteBucket BucketNotEmpty has no effect (recorded)", rec: ht("ht-022"), ctx: invictusCtlr},
		{name: "ht-027 DeleteBucket of an unrelated bucket (recorded)", rec: ht("ht-027"), ctx: invictusCtlr},
		// Encryption: written from the S3 API reference.
		{name: "DeleteBucketEncryption where the inventory has SSE-KMS (written)", rec: wr("s3.amazonaws.com", "DeleteBucketEncryption", `{"bucketName":"`+writtenBucket+`","encryption":""}`, ""),
			ctx: lockCtx, want: "hunt.bucket_encryption_weakened"},
		{name: "PutBucketEncryption with a key of another account (written)", rec: wr("s3.amazonaws.com", "PutBucketEncryption",
			`{"bucketName":"`+writtenBucket+`","ServerSideEncryptionConfiguration":{"Rule":{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"arn:aws:kms:us-east-1:999988887777:key/x"}}}}`, ""),
			want: "hunt.bucket_encryption_weakened", msg: "account 999988887777"},
		{name: "PutBucketEncryption SSE-KMS with the account's key (written)", rec: wr("s3.amazonaws.com", "PutBucketEncryption",
			`{"bucketName":"`+writtenBucket+`","ServerSideEncryptionConfiguration":{"Rule":{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"arn:aws:kms:us-east-1:111122223333:key/k"}}}}`, ""),
			ctx: lockCtx},
		// Replication
		{name: "DeleteBucketReplication on a bucket named for CloudTrail (written)", rec: wr("s3.amazonaws.com", "DeleteBucketReplication", `{"bucketName":"`+writtenBucket+`","replication":""}`, ""),
			want: "hunt.bucket_replication_removed"},
		{name: "ht-044 PutBucketReplication with an enabled rule (recorded-anonymised)", rec: ht("ht-044")},
		{name: "ht-044 edited to disable its rule", rec: htEdit("ht-044", func(m map[string]any) {
			params(m)["ReplicationConfiguration"].(map[string]any)["Rule"].(map[string]any)["Status"] = "Disabled"
		}), want: "hunt.bucket_replication_removed", msg: "every rule disabled"},
	})
}

func TestKeyAndMonitoringDetections(t *testing.T) {
	keyCtx := func(account, keyARN string) *Context {
		return invCtx(account, later, func(inv *inventory.Inventory) {
			tr := trailWith(account, "us-east-1", "audit", "b")
			tr.KMSKeyID = keyARN
			inv.Trails = []inventory.Trail{tr}
			inv.Keys = []inventory.KMSKey{{ARN: keyARN, Metadata: inventory.Ok(inventory.KeyMetadata{KeyID: keyARN[strings.LastIndex(keyARN, "/")+1:]})}}
		})
	}
	elasticKey := keyCtx("1010101010101", "arn:aws:kms:us-east-1:1010101010101:key/65479477-67d5-4b84-b71c-d540f7a8f31f")
	docsKey := keyCtx(docsKMSAcct, docsKeyWest2)
	otherKey := keyCtx(docsKMSAcct, "arn:aws:kms:us-west-2:111122223333:key/ffffffff-0000-0000-0000-000000000000")
	const lgARN = "arn:aws:logs:us-east-1:111122223333:log-group:trail-events:*"
	monCtx := invCtx(docsKMSAcct, later, func(inv *inventory.Inventory) {
		tr := trailWith(docsKMSAcct, "us-east-1", "audit", "b")
		tr.CloudWatchLogsLogGroupARN = lgARN
		inv.Trails = []inventory.Trail{tr}
		inv.LogGroups = []inventory.LogGroup{{ARN: lgARN, Name: "trail-events", Region: "us-east-1",
			MetricFilters: inventory.Ok([]inventory.MetricFilter{{Name: "TrailChanges", Metrics: []inventory.MetricTarget{{Name: "TrailChangeCount", Namespace: "CISBenchmark"}}}}),
			Alarms: inventory.Ok([]inventory.Alarm{{Name: "trail-changes", MetricName: "TrailChangeCount", Namespace: "CISBenchmark",
				AlarmActions: []string{"arn:aws:sns:us-east-1:111122223333:security-alerts", "arn:aws:sns:us-west-2:123456789012:hello-topic"}}})}}
	})
	// ht-069's default key policy, extended with the CloudTrail statement
	// from the CloudTrail guide's key policy section.
	withCloudTrail := htEdit("ht-069", func(m map[string]any) {
		params(m)["policy"] = `{"Version":"2012-10-17","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},` +
			`{"Sid":"Allow CloudTrail to encrypt logs","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:GenerateDataKey*","Resource":"*"}]}`
	})
	runCases(t, []evalCase{
		{name: "ht-037 DisableKey of the trail key (recorded-anonymised)", rec: ht("ht-037"), ctx: elasticKey, want: "hunt.key_disabled", match: "inventory"},
		{name: "ht-057 DisableKey by key ID, key ARN from resources[] (doc-example)", rec: ht("ht-057"), ctx: docsKey, want: "hunt.key_disabled"},
		{name: "ht-057 without context (doc-example)", rec: ht("ht-057")},
		{name: "ht-037 of another key", rec: ht("ht-037"), ctx: otherKey},
		{name: "ht-065 ScheduleKeyDeletion of the trail key (doc-example)", rec: ht("ht-065"), ctx: docsKey, want: "hunt.key_deletion_scheduled", msg: "Apr 12, 2021"},
		{name: "ht-043 ScheduleKeyDeletion, 7 days (recorded-anonymised)", rec: ht("ht-043"),
			ctx: keyCtx(elasticAcct, "arn:aws:kms:us-east-1:000000000:key/27d7cd14-7557-4509-a438-15fbf1e8db11"), want: "hunt.key_deletion_scheduled"},
		{name: "ht-066 ScheduleKeyDeletion of another key (doc-example)", rec: ht("ht-066"), ctx: docsKey},
		{name: "ht-069 PutKeyPolicy without CloudTrail on the trail key (doc-example)", rec: ht("ht-069"), ctx: docsKey, want: "hunt.key_policy_drops_cloudtrail"},
		{name: "ht-069 with the CloudTrail statement (written from ht-069)", rec: withCloudTrail, ctx: docsKey},
		{name: "ht-068 DisableKeyRotation of the trail key (doc-example)", rec: ht("ht-068"), ctx: docsKey, want: "hunt.key_rotation_disabled"},
		{name: "ht-068 without context (doc-example)", rec: ht("ht-068")},
		// Log groups
		{name: "ht-046 DeleteLogGroup named for CloudTrail (recorded-anonymised)", rec: ht("ht-046"), want: "hunt.log_group_deleted", match: "record: log group name"},
		{name: "ht-046 with the group in the inventory", rec: htEdit("ht-046", func(m map[string]any) { params(m)["logGroupName"] = "trail-events" }),
			ctx: monCtx, want: "hunt.log_group_deleted", match: "inventory"},
		{name: "ht-018 DeleteLogGroup of flow logs (recorded)", rec: ht("ht-018"), ctx: monCtx},
		{name: "ht-045 DeleteLogStream (recorded-anonymised)", rec: ht("ht-045"), want: "hunt.log_stream_deleted"},
		{name: "DeleteLogStream of an application group (written)", rec: wr("logs.amazonaws.com", "DeleteLogStream", `{"logGroupName":"app","logStreamName":"s"}`, ""), ctx: monCtx},
		{name: "PutRetentionPolicy 30 days (written from the CloudWatch Logs API reference)", rec: wr("logs.amazonaws.com", "PutRetentionPolicy",
			`{"logGroupName":"trail-events","retentionInDays":30}`, ""), ctx: monCtx, want: "hunt.log_retention_shortened"},
		{name: "PutRetentionPolicy 400 days (written)", rec: wr("logs.amazonaws.com", "PutRetentionPolicy", `{"logGroupName":"trail-events","retentionInDays":400}`, ""), ctx: monCtx},
		{name: "DeleteMetricFilter of the trail-changes filter (written)", rec: wr("logs.amazonaws.com", "DeleteMetricFilter",
			`{"logGroupName":"trail-events","filterName":"TrailChanges"}`, ""), ctx: monCtx, want: "hunt.metric_filter_deleted", msg: "alarm trail-changes watched its metric"},
		{name: "DeleteMetricFilter of another group (written)", rec: wr("logs.amazonaws.com", "DeleteMetricFilter", `{"logGroupName":"app","filterName":"Errors"}`, ""), ctx: monCtx},
		// Alarms and topics
		{name: "DeleteAlarms of a trail alarm (written from the CloudWatch API reference)", rec: wr("monitoring.amazonaws.com", "DeleteAlarms",
			`{"alarmNames":["cpu-mon","trail-changes"]}`, ""), ctx: monCtx, want: "hunt.alarm_deleted", msg: "trail-changes"},
		{name: "ht-041 DeleteAlarms of a CPU alarm (recorded-anonymised)", rec: ht("ht-041"), ctx: monCtx},
		{name: "DisableAlarmActions of a trail alarm (written)", rec: wr("monitoring.amazonaws.com", "DisableAlarmActions", `{"alarmNames":["trail-changes"]}`, ""),
			ctx: monCtx, want: "hunt.alarm_actions_disabled"},
		{name: "DisableAlarmActions of another alarm (written)", rec: wr("monitoring.amazonaws.com", "DisableAlarmActions", `{"alarmNames":["cpu-mon"]}`, ""), ctx: monCtx},
		{name: "ht-055 DeleteTopic of the alarm topic (doc-example)", rec: ht("ht-055"), ctx: monCtx, want: "hunt.alarm_topic_deleted"},
		{name: "ht-055 DeleteTopic of an unrelated topic (doc-example)", rec: ht("ht-055")},
		{name: "Unsubscribe from the alarm topic (written from the SNS API reference)", rec: wr("sns.amazonaws.com", "Unsubscribe",
			`{"subscriptionArn":"arn:aws:sns:us-east-1:111122223333:security-alerts:0b5e-4f44"}`, ""), ctx: monCtx, want: "hunt.alarm_topic_unsubscribed"},
		{name: "Unsubscribe from another topic (written)", rec: wr("sns.amazonaws.com", "Unsubscribe", `{"subscriptionArn":"arn:aws:sns:us-east-1:111122223333:news:1"}`, ""), ctx: monCtx},
		{name: "SetTopicAttributes Policy on the alarm topic (written)", rec: wr("sns.amazonaws.com", "SetTopicAttributes",
			`{"topicArn":"arn:aws:sns:us-east-1:111122223333:security-alerts","attributeName":"Policy","attributeValue":"{}"}`, ""), ctx: monCtx, want: "hunt.alarm_topic_policy_changed"},
		{name: "SetTopicAttributes DisplayName (written)", rec: wr("sns.amazonaws.com", "SetTopicAttributes",
			`{"topicArn":"arn:aws:sns:us-east-1:111122223333:security-alerts","attributeName":"DisplayName","attributeValue":"x"}`, ""), ctx: monCtx},
	})
}

func TestRelatedDetections(t *testing.T) {
	runCases(t, []evalCase{
		{name: "ht-038 StopConfigurationRecorder (recorded-anonymised)", rec: ht("ht-038"), want: "hunt.config_recorder_stopped"},
		{name: "ht-060 StopConfigurationRecorder (doc-example)", rec: ht("ht-060"), want: "hunt.config_recorder_stopped", actor: "arn:aws:iam::222222222222:user/JohnDoe"},
		{name: "StopConfigurationRecorder of no recorder (written)", rec: wr("config.amazonaws.com", "StopConfigurationRecorder",
			`{"configurationRecorderName":"default"}`, "NoSuchConfigurationRecorderException")},
		{name: "DeleteConfigurationRecorder (written from the AWS Config API reference)", rec: wr("config.amazonaws.com", "DeleteConfigurationRecorder",
			`{"configurationRecorderName":"default"}`, ""), want: "hunt.config_recorder_deleted"},
		{name: "DeleteConfigurationRecorder of no recorder (written)", rec: wr("config.amazonaws.com", "DeleteConfigurationRecorder",
			`{"configurationRecorderName":"default"}`, "NoSuchConfigurationRecorderException")},
		{name: "ht-058 DeleteDeliveryChannel (doc-example)", rec: ht("ht-058"), want: "hunt.config_delivery_channel_deleted"},
		{name: "DeleteDeliveryChannel while recording (written)", rec: wr("config.amazonaws.com", "DeleteDeliveryChannel",
			`{"deliveryChannelName":"default"}`, "LastDeliveryChannelDeleteFailedException")},
		{name: "ht-039 DeleteDetector (recorded-anonymised)", rec: ht("ht-039"), want: "hunt.guardduty_detector_deleted"},
		{name: "DeleteDetector of no detector (written)", rec: wr("guardduty.amazonaws.com", "DeleteDetector", `{"detectorId":"x"}`, "BadRequestException")},
		{name: "UpdateDetector enable=false (written from the GuardDuty API reference)", rec: wr("guardduty.amazonaws.com", "UpdateDetector",
			`{"detectorId":"12abc34d567e8fa901bc2d34e56789f0","enable":false}`, ""), want: "hunt.guardduty_detector_disabled"},
		{name: "UpdateDetector changing the publishing frequency (written)", rec: wr("guardduty.amazonaws.com", "UpdateDetector",
			`{"detectorId":"12abc34d567e8fa901bc2d34e56789f0","findingPublishingFrequency":"SIX_HOURS"}`, "")},
		{name: "ht-013 LeaveOrganization denied: an attempt (recorded)", rec: ht("ht-013"), want: "hunt.organization_left", attempt: true,
			actor: "arn:aws:sts::123837392027:assumed-role/stratus-red-team-leave-org-role/aws-go-sdk-1688990515440126480"},
		{name: "ht-075 LeaveOrganization denied (recorded-anonymised)", rec: ht("ht-075"), want: "hunt.organization_left", attempt: true},
		{name: "ht-034 edited to succeed", rec: htEdit("ht-034", func(m map[string]any) { delete(m, "errorCode"); delete(m, "errorMessage") }), want: "hunt.organization_left"},
		{name: "LeaveOrganization from the management account (written)", rec: wr("organizations.amazonaws.com", "LeaveOrganization", `{}`, "ConstraintViolationException")},
	})
}

// TestCatalogAndChecksInStep: every detection has a check and every check a
// detection; IDs are unique hunt.*; every scan rule a detection weakens
// exists; metadata is complete.
func TestCatalogAndChecksInStep(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range detection.Catalog() {
		if seen[d.ID] || !strings.HasPrefix(d.ID, "hunt.") {
			t.Errorf("%s: duplicate or not hunt.*", d.ID)
		}
		seen[d.ID] = true
		if checks[d.ID] == nil {
			t.Errorf("%s has no check", d.ID)
		}
		if d.Title == "" || d.Meaning == "" || d.Response == "" || len(d.References) == 0 || len(d.Techniques) == 0 || len(d.EventNames) == 0 {
			t.Errorf("%s: incomplete metadata", d.ID)
		}
		if d.Severity.Rank() < 0 || d.Weakens == nil {
			t.Errorf("%s: severity %q, weakens %v", d.ID, d.Severity, d.Weakens)
		}
	}
	for id := range checks {
		if !seen[id] {
			t.Errorf("check %s has no catalog entry", id)
		}
	}
}

// TestEveryEventNameTested: each event name the catalog reads appears in a
// test above with a detection and without one (a near miss).
func TestEveryEventNameTested(t *testing.T) {
	// The table tests above are the evidence; this guards that none of the
	// catalog's event names was forgotten when a detection was added.
	tested := map[string]bool{}
	for _, n := range []string{"StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "PutInsightSelectors",
		"DeleteEventDataStore", "StopEventDataStoreIngestion", "UpdateEventDataStore", "PutBucketLifecycle", "PutBucketPolicy",
		"DeleteBucketPolicy", "PutBucketAcl", "PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock", "PutAccountPublicAccessBlock",
		"DeleteAccountPublicAccessBlock", "PutBucketVersioning", "PutBucketLogging", "PutObjectLockConfiguration", "PutObjectRetention",
		"DeleteObjects", "DeleteBucket", "PutBucketEncryption", "DeleteBucketEncryption", "PutBucketReplication", "DeleteBucketReplication",
		"DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy", "DisableKeyRotation", "DeleteLogGroup", "DeleteLogStream", "PutRetentionPolicy",
		"DeleteMetricFilter", "DeleteAlarms", "DisableAlarmActions", "DeleteTopic", "Unsubscribe", "SetTopicAttributes",
		"StopConfigurationRecorder", "DeleteConfigurationRecorder", "DeleteDeliveryChannel", "DeleteDetector", "UpdateDetector", "LeaveOrganization"} {
		tested[n] = true
	}
	// Aliases of the same API under another event name share the tests of
	// their twin: PutBucketLifecycleConfiguration is recorded as
	// PutBucketLifecycle; PutPublicAccessBlock/DeletePublicAccessBlock are
	// the API names of the bucket-level Block Public Access events;
	// DeleteObject is the single-object form of DeleteObjects.
	for _, alias := range []string{"PutBucketLifecycleConfiguration", "PutPublicAccessBlock", "DeletePublicAccessBlock", "DeleteObject"} {
		tested[alias] = true
	}
	for _, n := range detection.EventNames(false) {
		if !tested[n] {
			t.Errorf("event %s has no positive and near-miss test", n)
		}
	}
}

func TestAttemptSeverity(t *testing.T) {
	for in, want := range map[findings.Severity]findings.Severity{findings.Critical: findings.High, findings.High: findings.Medium,
		findings.Medium: findings.Low, findings.Low: findings.Info, findings.Info: findings.Info} {
		if got := detection.Lower(in); got != want {
			t.Errorf("Lower(%s) = %s, want %s", in, got, want)
		}
	}
	for code, want := range map[string]bool{"AccessDenied": true, "AccessDeniedException": true, "Client.UnauthorizedOperation": true,
		"AuthorizationError": true, "TrailNotFoundException": false, "BucketNotEmpty": false, "ThrottlingException": false} {
		if authorizationFailure(code) != want {
			t.Errorf("authorizationFailure(%s) != %v", code, want)
		}
	}
}

func TestActorOf(t *testing.T) {
	a := ActorOf(corpusRecord(t, "ht-013", nil).UserIdentity)
	if a.SessionName != "aws-go-sdk-1688990515440126480" || a.SessionIssuer != "arn:aws:iam::123837392027:role/stratus-red-team-leave-org-role" ||
		a.Name() != "role/stratus-red-team-leave-org-role (session aws-go-sdk-1688990515440126480)" {
		t.Errorf("assumed role actor: %+v (%s)", a, a.Name())
	}
	c := ActorOf(corpusRecord(t, "ht-052", nil).UserIdentity)
	if c.InvokedBy != "signin.amazonaws.com" || c.Name() != "user/Alice" || c.MFAAuthenticated != "true" {
		t.Errorf("console actor: %+v (%s)", c, c.Name())
	}
	_ = time.Time{}
}

// TestUnreadableRequestsAreNoted: a request hunt cannot interpret is not
// silently passed over: it counts as a source that could not be read.
func TestUnreadableRequestsAreNoted(t *testing.T) {
	ev := NewEvaluator()
	for _, tc := range []struct {
		name string
		rec  *record.Record
		ctx  *Context
	}{
		{"selectors", written(t, "cloudtrail.amazonaws.com", "PutEventSelectors", `{"trailName":"audit","eventSelectors":"not json"}`, ""), nil},
		{"bucket policy", written(t, "s3.amazonaws.com", "PutBucketPolicy", `{"bucketName":"`+writtenBucket+`","bucketPolicy":"{not json"}`, ""), nil},
		{"key policy", written(t, "kms.amazonaws.com", "PutKeyPolicy", `{"keyId":"alias/cloudtrail-key","policy":"cloudtrail.amazonaws.com {"}`, ""), nil},
	} {
		ds, notes := ev.Evaluate(tc.rec, NoContext(DefaultThresholds()))
		if len(ds) != 0 || len(notes) != 1 || !notes[0].Unreadable || !strings.Contains(notes[0].Text, "judge") {
			t.Errorf("%s: detections %v, notes %v", tc.name, ds, notes)
		}
	}
}
