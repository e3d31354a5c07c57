package detection

import (
	"slices"
	"strings"

	"github.com/trailseal/trailseal/internal/findings"
)

// Info describes one detection.
type Info struct {
	ID       string            `json:"id"`
	Title    string            `json:"title"`
	Severity findings.Severity `json:"severity"`
	// Scope is trail, lake, bucket, key, monitoring or account.
	Scope string `json:"scope"`
	// EventSource and EventNames are the CloudTrail records it reads.
	EventSource string   `json:"eventSource"`
	EventNames  []string `json:"eventNames"`
	// Context is true when the detection fires only on resources known to
	// belong to a trail (from the inventory, or shown by the record).
	Context bool `json:"needsContext"`
	// DataEvents are the event names among EventNames that are S3
	// object-level data events: they reach a trail's log files only when
	// the trail records data events on the bucket, and event history
	// (--lookup-events) never has them.
	DataEvents []string    `json:"dataEvents,omitempty"`
	Techniques []Technique `json:"techniques"`
	// Weakens lists the scan rules whose protection the change removes.
	Weakens    []string `json:"weakens"`
	Meaning    string   `json:"meaning"`
	Response   string   `json:"response"`
	References []string `json:"references"`
}

// Technique is a MITRE ATT&CK technique.
type Technique struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// URL is the technique's page on attack.mitre.org.
func (t Technique) URL() string {
	return "https://attack.mitre.org/techniques/" + strings.ReplaceAll(t.ID, ".", "/") + "/"
}

// The techniques the catalog uses.
var (
	cloudLogs      = Technique{"T1562.008", "Impair Defenses: Disable or Modify Cloud Logs"}
	disableTools   = Technique{"T1562.001", "Impair Defenses: Disable or Modify Tools"}
	indicatorRemov = Technique{"T1070", "Indicator Removal"}
	destruction    = Technique{"T1485", "Data Destruction"}
	hierarchy      = Technique{"T1666", "Modify Cloud Resource Hierarchy"}
)

// Event sources.
const (
	srcCloudTrail = "cloudtrail.amazonaws.com"
	srcS3         = "s3.amazonaws.com"
	srcKMS        = "kms.amazonaws.com"
	srcLogs       = "logs.amazonaws.com"
	srcCloudWatch = "monitoring.amazonaws.com"
	srcSNS        = "sns.amazonaws.com"
	srcConfig     = "config.amazonaws.com"
	srcGuardDuty  = "guardduty.amazonaws.com"
	srcOrgs       = "organizations.amazonaws.com"
)

func ctAPI(op string) string {
	return "https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_" + op + ".html"
}

func s3API(op string) string {
	return "https://docs.aws.amazon.com/AmazonS3/latest/API/API_" + op + ".html"
}

func kmsAPI(op string) string {
	return "https://docs.aws.amazon.com/kms/latest/APIReference/API_" + op + ".html"
}

func stratus(technique string) string {
	return "https://stratus-red-team.cloud/attack-techniques/AWS/aws.defense-evasion." + technique + "/"
}

// Catalog returns every detection in catalog order.
func Catalog() []Info {
	var all []Info
	all = append(all, trailDetections()...)
	all = append(all, lakeDetections()...)
	all = append(all, bucketDetections()...)
	all = append(all, keyDetections()...)
	all = append(all, monitoringDetections()...)
	all = append(all, relatedDetections()...)
	return all
}

// Lookup finds a detection by ID.
func Lookup(id string) (Info, bool) {
	for _, d := range Catalog() {
		if d.ID == id {
			return d, true
		}
	}
	return Info{}, false
}

// EventNames returns every event name the catalog reads, sorted; with
// managementOnly, those event history (LookupEvents) can return.
func EventNames(managementOnly bool) []string {
	var names []string
	for _, d := range Catalog() {
		for _, n := range d.EventNames {
			if !managementOnly || !slices.Contains(d.DataEvents, n) {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Techniques returns the technique IDs of a detection.
func (d Info) TechniqueIDs() []string {
	ids := make([]string, len(d.Techniques))
	for i, t := range d.Techniques {
		ids[i] = t.ID
	}
	return ids
}

func trailDetections() []Info {
	return []Info{
		{
			ID: "hunt.trail_logging_stopped", Title: "Trail logging stopped", Severity: findings.Critical,
			Scope: "trail", EventSource: srcCloudTrail, EventNames: []string{"StopLogging"},
			Techniques: []Technique{cloudLogs},
			Weakens:    []string{"trail.logging", "account.trail_logging"},
			Meaning: `StopLogging turns a trail off: from that moment CloudTrail writes no log files and no digest
files for it, in any region it covers, until someone calls StartLogging. The configuration
stays as it was, so a later scan sees a healthy trail once logging is back on; only the gap
in the logs (and this record) remains. Stopping a trail is the first step of Stratus Red
Team's cloudtrail-stop technique and of many real intrusions.`,
			Response: `Check the trail's status now (aws cloudtrail get-trail-status --name TRAIL: IsLogging,
StopLoggingTime, StartLoggingTime) and restart it if it is still stopped
(aws cloudtrail start-logging --name TRAIL). The window between this event and the next
StartLogging has no trail logs: read event history (trailseal hunt --lookup-events, which
keeps management events for 90 days whatever the trail does) and other sources (VPC flow
logs, S3 server access logs) for that window. Find out why the actor could call
cloudtrail:StopLogging and take that permission away (see iam.cloudtrail_full_access), or
deny it with a service control policy.`,
			References: []string{ctAPI("StopLogging"), cloudLogs.URL(), stratus("cloudtrail-stop")},
		},
		{
			ID: "hunt.trail_deleted", Title: "Trail deleted", Severity: findings.Critical,
			Scope: "trail", EventSource: srcCloudTrail, EventNames: []string{"DeleteTrail"},
			Techniques: []Technique{cloudLogs},
			Weakens:    []string{"account.trail_logging", "account.multi_region_trail", "account.organization_trail"},
			Meaning: `DeleteTrail removes a trail and everything the scan judged about it: its findings simply
disappear from the next scan. Logging stops at once for every region the trail covered. The
log files already delivered stay in the bucket (unless they are deleted too), but no new
ones arrive. Stratus Red Team's cloudtrail-delete technique does exactly this.`,
			Response: `Recreate the trail with its previous settings (the last scan snapshot has them: trailseal
scan --snapshot OLD.json shows the configuration) and start logging. Read event history
for the time since the deletion. Check whether the same actor also touched the bucket, key or
log group (the other detections of this hunt, grouped by actor). Remove
cloudtrail:DeleteTrail from principals that do not need it, or deny it with a service
control policy.`,
			References: []string{ctAPI("DeleteTrail"), cloudLogs.URL(), stratus("cloudtrail-delete")},
		},
		{
			ID: "hunt.trail_weakened", Title: "Trail settings weakened", Severity: findings.High,
			Scope: "trail", EventSource: srcCloudTrail, EventNames: []string{"UpdateTrail"},
			Techniques: []Technique{cloudLogs},
			Weakens: []string{"trail.log_file_validation", "trail.multi_region", "trail.global_service_events",
				"trail.kms_encryption", "trail.cloudwatch_logs", "account.multi_region_trail", "account.organization_trail"},
			Meaning: `UpdateTrail changed a setting the trail's protection depends on: log file validation turned
off (no more signed digests, so later tampering cannot be proven), multi-region or global
service events turned off (whole regions or IAM, STS and CloudFront go unrecorded), the
organization trail turned into an account trail, KMS encryption or CloudWatch Logs delivery
removed, or the S3 bucket or prefix changed (log files now go somewhere else). An
UpdateTrail that only strengthens a trail (turning validation on, adding a key) is not
reported. Without context, only settings turned off are judged; a changed bucket or prefix
needs the inventory to compare with.`,
			Response: `Compare the trail's settings now (aws cloudtrail get-trail --name TRAIL) with the evidence of
this detection and with the last scan snapshot, and restore the ones that were weakened
(aws cloudtrail update-trail --name TRAIL --enable-log-file-validation
--is-multi-region-trail --include-global-service-events --kms-key-id KEY ...). If the
bucket changed, find out who owns the new bucket and whether log files went there; the
digest chain (trailseal verify) shows where validation or delivery stopped.`,
			References: []string{ctAPI("UpdateTrail"), cloudLogs.URL()},
		},
		{
			ID: "hunt.trail_selectors_reduced", Title: "Trail event selectors reduce what is recorded", Severity: findings.High,
			Scope: "trail", EventSource: srcCloudTrail, EventNames: []string{"PutEventSelectors"},
			Techniques: []Technique{cloudLogs},
			Weakens:    []string{"trail.management_events", "trail.s3_data_events_write", "trail.s3_data_events_read"},
			Meaning: `PutEventSelectors replaced the trail's selectors with ones that record less: management
events no longer recorded (all of them, the writes, or some event sources), or less S3
object-level activity than the inventory shows. The trail still looks alive (it is logging,
files arrive), which is what makes this quieter than StopLogging. Stratus Red Team's
cloudtrail-event-selectors technique sets selectors that record only read-only data events.
Coverage is decided by the same selector evaluator the scan rules use.`,
			Response: `Read the trail's selectors now (aws cloudtrail get-event-selectors --trail-name TRAIL) and
put back the ones that record every management event (read and write) and the data events
you need. Use event history (--lookup-events) to see the management events the trail missed
in the meantime.`,
			References: []string{ctAPI("PutEventSelectors"), cloudLogs.URL(), stratus("cloudtrail-event-selectors")},
		},
		{
			ID: "hunt.trail_insights_reduced", Title: "Trail Insights turned off", Severity: findings.Low,
			Scope: "trail", EventSource: srcCloudTrail, EventNames: []string{"PutInsightSelectors"},
			Techniques: []Technique{cloudLogs},
			Weakens:    []string{"trail.insights"},
			Meaning: `PutInsightSelectors removed Insights types from the trail (API call rate, API error rate), so
unusual bursts of activity, such as a mass deletion or an enumeration, no longer produce
Insights events.`,
			Response: `Turn the Insights types back on (aws cloudtrail put-insight-selectors --trail-name TRAIL
--insight-selectors '[{"InsightType":"ApiCallRateInsight"},{"InsightType":"ApiErrorRateInsight"}]').`,
			References: []string{ctAPI("PutInsightSelectors")},
		},
	}
}

func lakeDetections() []Info {
	return []Info{
		{
			ID: "hunt.lake_store_deleted", Title: "CloudTrail Lake event data store deleted", Severity: findings.High,
			Scope: "lake", EventSource: srcCloudTrail, EventNames: []string{"DeleteEventDataStore"},
			Techniques: []Technique{cloudLogs, destruction},
			Weakens:    []string{},
			Meaning: `DeleteEventDataStore stops ingestion into a CloudTrail Lake event data store and schedules it
for deletion after a waiting period; the events it holds are then lost. The scan does not
read event data stores, so no scan rule covers this: the record is the only trace.`,
			Response: `Restore the store while it is still pending deletion
(aws cloudtrail restore-event-data-store --event-data-store ARN) and turn termination
protection on (update-event-data-store --termination-protection-enabled).`,
			References: []string{ctAPI("DeleteEventDataStore")},
		},
		{
			ID: "hunt.lake_ingestion_stopped", Title: "CloudTrail Lake ingestion stopped", Severity: findings.High,
			Scope: "lake", EventSource: srcCloudTrail, EventNames: []string{"StopEventDataStoreIngestion"},
			Techniques: []Technique{cloudLogs},
			Weakens:    []string{},
			Meaning: `StopEventDataStoreIngestion stops an event data store from receiving events, the Lake
equivalent of StopLogging.`,
			Response: `Start ingestion again (aws cloudtrail start-event-data-store-ingestion --event-data-store
ARN) and read event history for the gap.`,
			References: []string{ctAPI("StopEventDataStoreIngestion")},
		},
		{
			ID: "hunt.lake_store_weakened", Title: "CloudTrail Lake event data store weakened", Severity: findings.Medium,
			Scope: "lake", EventSource: srcCloudTrail, EventNames: []string{"UpdateEventDataStore"},
			Techniques: []Technique{cloudLogs},
			Weakens:    []string{},
			Meaning: `UpdateEventDataStore turned termination protection off (the store can now be deleted in one
call), turned multi-region or organization collection off, shortened retention below the
minimum, or set advanced event selectors that no longer record every management event.`,
			Response: `Read the store's settings (aws cloudtrail get-event-data-store --event-data-store ARN) and
restore them with update-event-data-store.`,
			References: []string{ctAPI("UpdateEventDataStore")},
		},
	}
}

func bucketDetections() []Info {
	return []Info{
		{
			ID: "hunt.bucket_lifecycle_expires_logs", Title: "Lifecycle rule expires trail logs early", Severity: findings.High,
			Scope: "bucket", EventSource: srcS3, EventNames: []string{"PutBucketLifecycle", "PutBucketLifecycleConfiguration"},
			Context: true, Techniques: []Technique{cloudLogs, indicatorRemov},
			Weakens: []string{"bucket.lifecycle"},
			Meaning: `A lifecycle configuration was put on a trail's bucket with an enabled rule that expires (or
permanently deletes noncurrent versions of) objects the trail writes sooner than the
retention minimum. S3 then deletes the log files by itself, without any DeleteObject call
in the logs. CloudTrail records PutBucketLifecycleConfiguration calls under the event name
PutBucketLifecycle. Stratus Red Team's cloudtrail-lifecycle-rule technique sets a one-day
expiration; note that its filter prefix "*" is taken literally by S3 (it matches only keys
that begin with "*"), which this detection reports but still counts as an attempt to expire
the logs.`,
			Response: `Read the bucket's lifecycle rules (aws s3api get-bucket-lifecycle-configuration --bucket
BUCKET) and remove or lengthen the rule. Protect the logs from expiration and deletion with
Object Lock in compliance mode (bucket.object_lock) and check with trailseal verify which
log files are already gone.`,
			References: []string{s3API("PutBucketLifecycleConfiguration"), stratus("cloudtrail-lifecycle-rule"), cloudLogs.URL()},
		},
		{
			ID: "hunt.bucket_policy_weakened", Title: "Trail bucket policy opened or blocks CloudTrail", Severity: findings.High,
			Scope: "bucket", EventSource: srcS3, EventNames: []string{"PutBucketPolicy", "DeleteBucketPolicy"},
			Context: true, Techniques: []Technique{cloudLogs},
			Weakens: []string{"bucket.public_access", "bucket.policy_source_arn", "trail.delivery_health"},
			Meaning: `The trail bucket's policy was replaced by one that grants access to everybody without a
restricting condition, or that no longer lets cloudtrail.amazonaws.com write log files (no
Allow for s3:PutObject, or a Deny), or it was deleted, which also stops delivery: CloudTrail
needs the bucket policy to write.`,
			Response: `Read the policy (aws s3api get-bucket-policy --bucket BUCKET), restore the CloudTrail
statements (AWSCloudTrailAclCheck, AWSCloudTrailWrite with aws:SourceArn) and remove public
grants. Check the trail's delivery status (get-trail-status: LatestDeliveryError) and verify
the digest chain for the window.`,
			References: []string{s3API("PutBucketPolicy"), s3API("DeleteBucketPolicy"),
				"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html"},
		},
		{
			ID: "hunt.bucket_acl_public", Title: "Trail bucket ACL made public", Severity: findings.High,
			Scope: "bucket", EventSource: srcS3, EventNames: []string{"PutBucketAcl"},
			Context: true, Techniques: []Technique{cloudLogs},
			Weakens: []string{"bucket.public_access"},
			Meaning: `PutBucketAcl granted access on a trail's bucket to AllUsers or AuthenticatedUsers (a canned
public-read, public-read-write or authenticated-read ACL, or explicit grants to those
groups). Unless Block Public Access ignores public ACLs, anyone can then list or read the
audit logs.`,
			Response: `Set the ACL back to private (aws s3api put-bucket-acl --bucket BUCKET --acl private), turn on
Block Public Access and bucket owner enforced object ownership, and review S3 server access
logs for reads from outside the account.`,
			References: []string{s3API("PutBucketAcl")},
		},
		{
			ID: "hunt.bucket_public_access_block_removed", Title: "Trail bucket Block Public Access turned off", Severity: findings.High,
			Scope: "bucket", EventSource: srcS3,
			EventNames: []string{"PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock", "PutPublicAccessBlock", "DeletePublicAccessBlock"},
			Context:    true, Techniques: []Technique{cloudLogs},
			Weakens: []string{"bucket.public_access"},
			Meaning: `A trail bucket's Block Public Access configuration was deleted or set with one or more of its
four settings off. That is the usual step before a public policy or ACL.`,
			Response: `Turn all four settings back on (aws s3api put-public-access-block --bucket BUCKET
--public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true)
and look for policy or ACL changes that followed.`,
			References: []string{s3API("PutPublicAccessBlock"), s3API("DeletePublicAccessBlock")},
		},
		{
			ID: "hunt.account_public_access_block_removed", Title: "Account-level Block Public Access turned off", Severity: findings.High,
			Scope: "account", EventSource: srcS3, EventNames: []string{"PutAccountPublicAccessBlock", "DeleteAccountPublicAccessBlock"},
			Techniques: []Technique{cloudLogs},
			Weakens:    []string{"bucket.public_access"},
			Meaning: `The account's S3 Block Public Access configuration was deleted or set with a setting off. It
protects every bucket of the account, the trail's included, where the bucket's own
configuration does not.`,
			Response: `Turn the account-level settings back on (aws s3control put-public-access-block --account-id
ACCOUNT --public-access-block-configuration ...) and check the trail buckets' own settings.`,
			References: []string{"https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_PutPublicAccessBlock.html"},
		},
		{
			ID: "hunt.bucket_versioning_weakened", Title: "Trail bucket versioning suspended or MFA Delete off", Severity: findings.Medium,
			Scope: "bucket", EventSource: srcS3, EventNames: []string{"PutBucketVersioning"},
			Context: true, Techniques: []Technique{cloudLogs, indicatorRemov},
			Weakens: []string{"bucket.versioning", "bucket.mfa_delete"},
			Meaning: `Versioning of a trail's bucket was suspended (an overwritten or deleted log file is then gone
for good) or MFA Delete was turned off (versions can be deleted without the root user's MFA
device).`,
			Response: `Enable versioning again (aws s3api put-bucket-versioning --bucket BUCKET
--versioning-configuration Status=Enabled); MFA Delete can only be turned on by the root
user with its MFA device. Look for DeleteObject calls on the bucket after this event.`,
			References: []string{s3API("PutBucketVersioning")},
		},
		{
			ID: "hunt.bucket_access_logging_disabled", Title: "Trail bucket access logging turned off", Severity: findings.Medium,
			Scope: "bucket", EventSource: srcS3, EventNames: []string{"PutBucketLogging"},
			Context: true, Techniques: []Technique{cloudLogs},
			Weakens: []string{"bucket.access_logging"},
			Meaning: `PutBucketLogging with an empty BucketLoggingStatus turned server access logging off for a
trail's bucket: reads and deletions of log files (including lifecycle expirations, which
CloudTrail never records) are no longer logged anywhere.`,
			Response: `Turn access logging back on to a separate bucket (aws s3api put-bucket-logging --bucket
BUCKET --bucket-logging-status ...).`,
			References: []string{s3API("PutBucketLogging")},
		},
		{
			ID: "hunt.bucket_object_lock_weakened", Title: "Trail bucket Object Lock retention weakened", Severity: findings.High,
			Scope: "bucket", EventSource: srcS3, EventNames: []string{"PutObjectLockConfiguration", "PutObjectRetention"},
			Context: true, DataEvents: []string{"PutObjectRetention"}, Techniques: []Technique{cloudLogs, indicatorRemov},
			Weakens: []string{"bucket.object_lock", "bucket.object_lock_retention"},
			Meaning: `The default Object Lock retention of a trail's bucket was removed, shortened below the
retention minimum or the inventory's, or moved from compliance to governance mode (which
privileged users can bypass); or one log object's retention was shortened or moved to
governance mode, with x-amz-bypass-governance-retention where it overrode a governance lock.
PutObjectRetention is a data event: it is only in the logs of a trail that records S3 data
events on the bucket.`,
			Response: `Restore the default retention (aws s3api put-object-lock-configuration --bucket BUCKET
--object-lock-configuration ...) in compliance mode, and find out who holds
s3:BypassGovernanceRetention.`,
			References: []string{s3API("PutObjectLockConfiguration"), s3API("PutObjectRetention")},
		},
		{
			ID: "hunt.bucket_log_objects_deleted", Title: "Trail log files deleted", Severity: findings.High,
			Scope: "bucket", EventSource: srcS3, EventNames: []string{"DeleteObject", "DeleteObjects"},
			Context: true, DataEvents: []string{"DeleteObject", "DeleteObjects"}, Techniques: []Technique{indicatorRemov, destruction},
			Weakens: []string{},
			Meaning: `Objects were deleted from a trail's bucket: log or digest files, the evidence itself. With
x-amz-bypass-governance-retention the caller also overrode a governance-mode Object Lock.
These are data events: they appear only in the logs of a trail that records S3 write data
events on the bucket (trail.s3_data_events_write), never in event history.`,
			Response: `Run trailseal verify over the period: it names every missing or changed log file. Restore
deleted versions if versioning kept them (list-object-versions, then copy the version back),
and move the bucket to compliance-mode Object Lock so that this cannot happen again.`,
			References: []string{s3API("DeleteObject"), s3API("DeleteObjects")},
		},
		{
			ID: "hunt.bucket_deleted", Title: "Trail bucket deleted", Severity: findings.Critical,
			Scope: "bucket", EventSource: srcS3, EventNames: []string{"DeleteBucket"},
			Context: true, Techniques: []Technique{destruction, cloudLogs},
			Weakens: []string{"trail.delivery_health"},
			Meaning: `A trail's bucket was deleted (S3 deletes only empty buckets, so its objects were removed
first). Every trail writing there now fails to deliver, and anyone who creates a bucket of
the same name receives the account's logs.`,
			Response: `Recreate the bucket at once under the same name (in this account) with the CloudTrail
bucket policy, or point the trail at another bucket; then find out how the objects were
removed (DeleteObjects detections, lifecycle rules).`,
			References: []string{s3API("DeleteBucket")},
		},
		{
			ID: "hunt.bucket_encryption_weakened", Title: "Trail bucket default encryption weakened", Severity: findings.Low,
			Scope: "bucket", EventSource: srcS3, EventNames: []string{"PutBucketEncryption", "DeleteBucketEncryption"},
			Context: true, Techniques: []Technique{cloudLogs},
			Weakens: []string{"bucket.encryption"},
			Meaning: `The default encryption of a trail's bucket was deleted (S3 falls back to SSE-S3), changed from
SSE-KMS to SSE-S3, or set to a KMS key of another account.`,
			Response: `Put the SSE-KMS configuration back (aws s3api put-bucket-encryption --bucket BUCKET
--server-side-encryption-configuration ...).`,
			References: []string{s3API("PutBucketEncryption"), s3API("DeleteBucketEncryption")},
		},
		{
			ID: "hunt.bucket_replication_removed", Title: "Trail bucket replication removed", Severity: findings.Medium,
			Scope: "bucket", EventSource: srcS3, EventNames: []string{"PutBucketReplication", "DeleteBucketReplication"},
			Context: true, Techniques: []Technique{cloudLogs},
			Weakens: []string{},
			Meaning: `Replication of a trail's bucket to another bucket (often a copy in a log archive account) was
deleted or replaced by a configuration whose rules are all disabled: new log files are no
longer copied out of reach of this account.`,
			Response: `Restore the replication configuration (aws s3api put-bucket-replication ...) and replicate
the objects written since (S3 Batch Replication).`,
			References: []string{s3API("PutBucketReplication"), s3API("DeleteBucketReplication")},
		},
	}
}

func keyDetections() []Info {
	return []Info{
		{
			ID: "hunt.key_disabled", Title: "Trail KMS key disabled", Severity: findings.Critical,
			Scope: "key", EventSource: srcKMS, EventNames: []string{"DisableKey"},
			Context: true, Techniques: []Technique{cloudLogs},
			Weakens: []string{"trail.kms_key_usable"},
			Meaning: `The KMS key a trail encrypts its log files with was disabled. CloudTrail can no longer encrypt,
so delivery fails, and nobody can decrypt the log files already written until the key is
enabled again.`,
			Response: `Enable the key (aws kms enable-key --key-id KEY), check the trail's delivery status and read
event history for the gap.`,
			References: []string{kmsAPI("DisableKey")},
		},
		{
			ID: "hunt.key_deletion_scheduled", Title: "Trail KMS key scheduled for deletion", Severity: findings.Critical,
			Scope: "key", EventSource: srcKMS, EventNames: []string{"ScheduleKeyDeletion"},
			Context: true, Techniques: []Technique{cloudLogs, destruction},
			Weakens: []string{"trail.kms_key_usable"},
			Meaning: `The trail's KMS key was scheduled for deletion. Once the waiting period ends, every log file
encrypted with it is unreadable for ever; until then, delivery fails.`,
			Response: `Cancel the deletion now (aws kms cancel-key-deletion --key-id KEY, then enable-key) and take
kms:ScheduleKeyDeletion away from principals that do not need it.`,
			References: []string{kmsAPI("ScheduleKeyDeletion")},
		},
		{
			ID: "hunt.key_policy_drops_cloudtrail", Title: "Trail KMS key policy no longer lets CloudTrail encrypt", Severity: findings.High,
			Scope: "key", EventSource: srcKMS, EventNames: []string{"PutKeyPolicy"},
			Context: true, Techniques: []Technique{cloudLogs},
			Weakens: []string{"trail.kms_key_usable", "trail.delivery_health"},
			Meaning: `The trail key's new policy does not allow cloudtrail.amazonaws.com kms:GenerateDataKey* (or
denies it): CloudTrail can no longer encrypt log files and delivery fails.`,
			Response: `Restore the CloudTrail statement of the key policy (see the CloudTrail guide's key policy
section) and check delivery.`,
			References: []string{kmsAPI("PutKeyPolicy"), "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html"},
		},
		{
			ID: "hunt.key_rotation_disabled", Title: "Trail KMS key rotation turned off", Severity: findings.Low,
			Scope: "key", EventSource: srcKMS, EventNames: []string{"DisableKeyRotation"},
			Context: true, Techniques: []Technique{cloudLogs},
			Weakens:    []string{"trail.kms_key_rotation"},
			Meaning:    `Automatic rotation of the trail's KMS key was turned off.`,
			Response:   `Turn it back on (aws kms enable-key-rotation --key-id KEY).`,
			References: []string{kmsAPI("DisableKeyRotation")},
		},
	}
}

func monitoringDetections() []Info {
	mon := []string{"monitoring.trail_changes_alarm", "monitoring.bucket_policy_changes_alarm"}
	return []Info{
		{
			ID: "hunt.log_group_deleted", Title: "Trail CloudWatch Logs group deleted", Severity: findings.High,
			Scope: "monitoring", EventSource: srcLogs, EventNames: []string{"DeleteLogGroup"},
			Context: true, Techniques: []Technique{cloudLogs, indicatorRemov},
			Weakens: append([]string{"trail.cloudwatch_logs"}, mon...),
			Meaning: `The log group a trail delivers to was deleted, with every event in it, its metric filters and
therefore the alarms built on them. Delivery to CloudWatch Logs fails from then on.`,
			Response: `Recreate the log group with its retention, metric filters and alarms (trailseal fix plans
them), and check the trail's CloudWatch Logs delivery status.`,
			References: []string{"https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DeleteLogGroup.html"},
		},
		{
			ID: "hunt.log_stream_deleted", Title: "Trail CloudWatch Logs stream deleted", Severity: findings.Medium,
			Scope: "monitoring", EventSource: srcLogs, EventNames: []string{"DeleteLogStream"},
			Context: true, Techniques: []Technique{indicatorRemov},
			Weakens: []string{"trail.cloudwatch_logs"},
			Meaning: `A log stream of the trail's log group was deleted, with the events it held.`,
			Response: `The events are gone from CloudWatch Logs; the trail's S3 log files still hold them (verify
them with trailseal verify).`,
			References: []string{"https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DeleteLogStream.html"},
		},
		{
			ID: "hunt.log_retention_shortened", Title: "Trail log group retention shortened", Severity: findings.Medium,
			Scope: "monitoring", EventSource: srcLogs, EventNames: []string{"PutRetentionPolicy"},
			Context: true, Techniques: []Technique{indicatorRemov},
			Weakens: []string{"trail.cloudwatch_logs"},
			Meaning: `The retention of the trail's log group was set below the retention minimum: CloudWatch Logs
deletes older events by itself.`,
			Response: `Set the retention back (aws logs put-retention-policy --log-group-name GROUP
--retention-in-days DAYS).`,
			References: []string{"https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html"},
		},
		{
			ID: "hunt.metric_filter_deleted", Title: "Trail metric filter deleted", Severity: findings.High,
			Scope: "monitoring", EventSource: srcLogs, EventNames: []string{"DeleteMetricFilter"},
			Context: true, Techniques: []Technique{disableTools},
			Weakens: mon,
			Meaning: `A metric filter on the trail's log group was deleted. The alarm built on its metric stops
receiving data and never fires again (for example on the next StopLogging).`,
			Response:   `Recreate the filter (trailseal fix plans the CIS filters) and test the alarm.`,
			References: []string{"https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DeleteMetricFilter.html"},
		},
		{
			ID: "hunt.alarm_deleted", Title: "Trail alarm deleted", Severity: findings.High,
			Scope: "monitoring", EventSource: srcCloudWatch, EventNames: []string{"DeleteAlarms"},
			Context: true, Techniques: []Technique{disableTools},
			Weakens: mon,
			Meaning: `An alarm on a metric of the trail's metric filters was deleted: nobody is told any more when
the trail or its bucket policy changes.`,
			Response:   `Recreate the alarm with its SNS action and test it.`,
			References: []string{"https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DeleteAlarms.html"},
		},
		{
			ID: "hunt.alarm_actions_disabled", Title: "Trail alarm actions disabled", Severity: findings.High,
			Scope: "monitoring", EventSource: srcCloudWatch, EventNames: []string{"DisableAlarmActions"},
			Context: true, Techniques: []Technique{disableTools},
			Weakens:    mon,
			Meaning:    `The actions of a trail alarm were disabled: it still changes state, but notifies nobody.`,
			Response:   `Enable them again (aws cloudwatch enable-alarm-actions --alarm-names NAME).`,
			References: []string{"https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DisableAlarmActions.html"},
		},
		{
			ID: "hunt.alarm_topic_deleted", Title: "Alarm SNS topic deleted", Severity: findings.High,
			Scope: "monitoring", EventSource: srcSNS, EventNames: []string{"DeleteTopic"},
			Context: true, Techniques: []Technique{disableTools},
			Weakens: mon,
			Meaning: `The SNS topic a trail alarm notifies was deleted, with its subscriptions: the alarm fires into
nothing.`,
			Response: `Recreate the topic and its subscriptions (each must be confirmed again) and point the alarms
at it.`,
			References: []string{"https://docs.aws.amazon.com/sns/latest/api/API_DeleteTopic.html"},
		},
		{
			ID: "hunt.alarm_topic_unsubscribed", Title: "Alarm SNS topic subscription removed", Severity: findings.Medium,
			Scope: "monitoring", EventSource: srcSNS, EventNames: []string{"Unsubscribe"},
			Context: true, Techniques: []Technique{disableTools},
			Weakens: mon,
			Meaning: `A subscription of the trail alarms' SNS topic was removed: whoever it delivered to is no longer
told.`,
			Response:   `Subscribe the endpoint again and have it confirm.`,
			References: []string{"https://docs.aws.amazon.com/sns/latest/api/API_Unsubscribe.html"},
		},
		{
			ID: "hunt.alarm_topic_policy_changed", Title: "Alarm SNS topic policy or encryption changed", Severity: findings.Medium,
			Scope: "monitoring", EventSource: srcSNS, EventNames: []string{"SetTopicAttributes"},
			Context: true, Techniques: []Technique{disableTools},
			Weakens: mon,
			Meaning: `The access policy or KMS key of the trail alarms' SNS topic was changed. A policy without
CloudWatch's permission to publish, or a key CloudWatch may not use, silently drops every
alarm notification.`,
			Response: `Read the topic's attributes (aws sns get-topic-attributes --topic-arn ARN) and restore the
policy and key.`,
			References: []string{"https://docs.aws.amazon.com/sns/latest/api/API_SetTopicAttributes.html"},
		},
	}
}

func relatedDetections() []Info {
	return []Info{
		{
			ID: "hunt.config_recorder_stopped", Title: "AWS Config recorder stopped", Severity: findings.Medium,
			Scope: "account", EventSource: srcConfig, EventNames: []string{"StopConfigurationRecorder"},
			Techniques: []Technique{disableTools},
			Weakens:    []string{"config.recorder"},
			Meaning: `AWS Config stopped recording configuration changes in the region: the history that shows how
the trail, bucket and key were configured over time stops.`,
			Response:   `Start it again (aws configservice start-configuration-recorder --configuration-recorder-name NAME).`,
			References: []string{"https://docs.aws.amazon.com/config/latest/APIReference/API_StopConfigurationRecorder.html"},
		},
		{
			ID: "hunt.config_recorder_deleted", Title: "AWS Config recorder deleted", Severity: findings.Medium,
			Scope: "account", EventSource: srcConfig, EventNames: []string{"DeleteConfigurationRecorder"},
			Techniques: []Technique{disableTools},
			Weakens:    []string{"config.recorder"},
			Meaning:    `The region's AWS Config recorder was deleted.`,
			Response:   `Recreate the recorder and its delivery channel, and start it.`,
			References: []string{"https://docs.aws.amazon.com/config/latest/APIReference/API_DeleteConfigurationRecorder.html"},
		},
		{
			ID: "hunt.config_delivery_channel_deleted", Title: "AWS Config delivery channel deleted", Severity: findings.Medium,
			Scope: "account", EventSource: srcConfig, EventNames: []string{"DeleteDeliveryChannel"},
			Techniques: []Technique{disableTools},
			Weakens:    []string{"config.recorder"},
			Meaning:    `The region's AWS Config delivery channel was deleted: configuration history and snapshots are no longer delivered.`,
			Response:   `Recreate the delivery channel (aws configservice put-delivery-channel ...).`,
			References: []string{"https://docs.aws.amazon.com/config/latest/APIReference/API_DeleteDeliveryChannel.html"},
		},
		{
			ID: "hunt.guardduty_detector_deleted", Title: "GuardDuty detector deleted", Severity: findings.High,
			Scope: "account", EventSource: srcGuardDuty, EventNames: []string{"DeleteDetector"},
			Techniques: []Technique{disableTools},
			Weakens:    []string{},
			Meaning: `GuardDuty was turned off in the region by deleting its detector, with its findings. GuardDuty
is what notices StopLogging and other tampering when nobody reads the logs.`,
			Response: `Create a detector again (aws guardduty create-detector --enable) or, in an organization, let
the delegated administrator re-enable it.`,
			References: []string{"https://docs.aws.amazon.com/guardduty/latest/APIReference/API_DeleteDetector.html"},
		},
		{
			ID: "hunt.guardduty_detector_disabled", Title: "GuardDuty detector disabled", Severity: findings.High,
			Scope: "account", EventSource: srcGuardDuty, EventNames: []string{"UpdateDetector"},
			Techniques: []Technique{disableTools},
			Weakens:    []string{},
			Meaning:    `UpdateDetector with enable=false suspended GuardDuty in the region.`,
			Response:   `Enable it again (aws guardduty update-detector --detector-id ID --enable).`,
			References: []string{"https://docs.aws.amazon.com/guardduty/latest/APIReference/API_UpdateDetector.html"},
		},
		{
			ID: "hunt.organization_left", Title: "Account left its organization", Severity: findings.High,
			Scope: "account", EventSource: srcOrgs, EventNames: []string{"LeaveOrganization"},
			Techniques: []Technique{hierarchy, cloudLogs},
			Weakens:    []string{"account.organization_trail", "org.trail_coverage"},
			Meaning: `The account left its AWS Organization. The organization trail stops recording it and the
organization's service control policies (which often deny StopLogging and DeleteTrail) no
longer apply. Stratus Red Team's organizations-leave technique tries this; a denied call is
reported as an attempt.`,
			Response: `Invite the account back from the management account, and check what it did while outside
(event history and any account trail).`,
			References: []string{"https://docs.aws.amazon.com/organizations/latest/APIReference/API_LeaveOrganization.html", hierarchy.URL()},
		},
	}
}
