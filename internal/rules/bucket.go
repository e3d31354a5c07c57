package rules

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/policy"
)

// bucketRules are the rules evaluated once per distinct trail bucket.
func bucketRules() []Rule {
	return []Rule{
		bucketObjectLockRule(),
		bucketObjectLockRetentionRule(),
		bucketVersioningRule(),
		bucketMFADeleteRule(),
		bucketLifecycleRule(),
		bucketPublicAccessRule(),
		bucketAccessLoggingRule(),
		bucketEncryptionRule(),
		bucketPolicySourceARNRule(),
		bucketLeastPrivilegeRule(),
		bucketDedicatedAccountRule(),
	}
}

// bucketTarget is one trail bucket with the trails that deliver to it.
type bucketTarget struct {
	name string
	// b is nil when the collector recorded nothing for the bucket.
	b        *inventory.Bucket
	trails   []inventory.Trail
	region   string
	resource string
	// partition is the scanned partition ("aws" when the inventory says nothing).
	partition string
}

func bucketPartition(inv *inventory.Inventory) string {
	if inv.Partition != "" {
		return inv.Partition
	}
	return "aws"
}

// bucketTargets groups the trails by bucket, in the order buckets first
// appear, so that each bucket yields one finding per rule.
func bucketTargets(inv *inventory.Inventory) []bucketTarget {
	part := bucketPartition(inv)
	var out []bucketTarget
	index := map[string]int{}
	for _, t := range inv.Trails {
		if t.S3BucketName == "" {
			continue
		}
		i, ok := index[t.S3BucketName]
		if !ok {
			bt := bucketTarget{
				name:      t.S3BucketName,
				b:         inv.Bucket(t.S3BucketName),
				resource:  fmt.Sprintf("arn:%s:s3:::%s", part, t.S3BucketName),
				partition: part,
			}
			if bt.b != nil && bt.b.Region.Value != nil {
				bt.region = *bt.b.Region.Value
			}
			index[t.S3BucketName] = len(out)
			out = append(out, bt)
			i = len(out) - 1
		}
		out[i].trails = append(out[i].trails, t)
	}
	return out
}

// bucketCheck runs check on every trail bucket and attaches the fields every
// bucket finding carries. A bucket the collector never recorded is ERROR.
func bucketCheck(inv *inventory.Inventory, check func(t bucketTarget) Result) []Result {
	targets := bucketTargets(inv)
	if len(targets) == 0 {
		return trailNone(inv, "no trail delivers to an S3 bucket, so there is no trail bucket to check")
	}
	out := make([]Result, 0, len(targets))
	for _, t := range targets {
		var r Result
		if t.b == nil {
			r = Result{
				Status:   findings.Error,
				Resource: t.resource,
				Message:  fmt.Sprintf("bucket %s of trail %s was not collected: re-run the scan with s3 read permissions", t.name, t.trails[0].Name),
			}
		} else {
			r = check(t)
		}
		if r.Evidence == nil {
			r.Evidence = findings.Evidence{}
		}
		r.Evidence["bucket"] = t.name
		r.Evidence["trails"] = t.trailARNs()
		if t.b != nil && !t.b.OwnedByScannedAccount && t.b.OwnerAccountID != "" {
			r.Evidence["bucketOwnerAccountId"] = t.b.OwnerAccountID
			// The finding belongs to the account that can act on it.
			r.Account = t.b.OwnerAccountID
		}
		out = append(out, r)
	}
	return trailListGap(inv, out)
}

func (t bucketTarget) trailARNs() []string {
	out := make([]string, 0, len(t.trails))
	for _, tr := range t.trails {
		out = append(out, tr.ARN)
	}
	return out
}

// owner is the account that owns the bucket, "" when unknown.
func (t bucketTarget) owner(inv *inventory.Inventory) string {
	if t.b.OwnerAccountID != "" {
		return t.b.OwnerAccountID
	}
	if t.b.OwnedByScannedAccount {
		return inv.Account.ID
	}
	return ""
}

// logPrefixes are the key prefixes under which the bucket's trails write log
// and digest files.
func (t bucketTarget) logPrefixes() []string {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, tr := range t.trails {
		p := strings.Trim(tr.S3KeyPrefix, "/")
		if p != "" {
			p += "/"
		}
		add(p + "AWSLogs/")
		// Whether CloudTrail collapses slashes at the edges of the prefix
		// is not documented; keep the key as written too, so a lifecycle
		// rule aimed at either form is seen to reach the logs.
		if raw := tr.S3KeyPrefix; raw != "" && raw != strings.TrimSuffix(p, "/") {
			add(raw + "/AWSLogs/")
		}
	}
	return out
}

// bucketPolicyDoc reads and parses the bucket policy. It returns a finished
// Result (MANUAL/ERROR) when the policy cannot be evaluated; doc is nil when
// the bucket has no policy.
func bucketPolicyDoc(t bucketTarget) (doc *policy.Document, stop *Result) {
	if r, bad := missing(t.b.Policy, "bucket policy of "+t.name, t.region, t.resource); bad {
		return nil, &r
	}
	if !t.b.Policy.Value.Exists {
		return nil, nil
	}
	d, err := policy.Parse(t.b.Policy.Value.Document)
	if err != nil {
		r := Result{
			Status:   findings.Error,
			Region:   t.region,
			Resource: t.resource,
			Message:  fmt.Sprintf("cannot evaluate bucket policy of %s: %v; inspect it with 'aws s3api get-bucket-policy --bucket %s'", t.name, err, t.name),
			Evidence: findings.Evidence{"policyParseError": err.Error()},
		}
		return nil, &r
	}
	return d, nil
}

func bucketStatementName(i int, s policy.Statement) string {
	if s.Sid != "" {
		return fmt.Sprintf("statement %d (%s)", i+1, s.Sid)
	}
	return fmt.Sprintf("statement %d", i+1)
}

func bucketMinRetention(opts Options) int {
	if opts.MinRetentionDays > 0 {
		return opts.MinRetentionDays
	}
	return DefaultOptions().MinRetentionDays
}

const (
	bucketRefTrailBucketPolicy = "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html"
	bucketRefTrailBestPractice = "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/best-practices-security.html"
	bucketRefObjectLock        = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html"
	bucketRefVersioning        = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html"
	bucketRefMFADelete         = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/MultiFactorAuthenticationDelete.html"
	bucketRefLifecycle         = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html"
	bucketRefLifecycleFilter   = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleRuleFilter.html"
	bucketRefBPA               = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html"
	bucketRefServerLogs        = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html"
	bucketRefEncryption        = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-encryption.html"
	bucketRefTrailKMS          = "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/encrypting-cloudtrail-log-files-with-aws-kms.html"
	bucketRefValidation        = "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html"
	bucketRefConfusedDeputy    = "https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html"
	bucketRefS3Security        = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html"
	bucketRefFSBP              = "https://docs.aws.amazon.com/securityhub/latest/userguide/cloudtrail-controls.html"
	bucketRefLogArchive        = "https://docs.aws.amazon.com/prescriptive-guidance/latest/security-reference-architecture/log-archive.html"
)

func bucketObjectLockRule() Rule {
	return Rule{
		ID:       "bucket.object_lock",
		Severity: findings.Medium,
		Title:    "Trail bucket has S3 Object Lock enabled",
		Scope:    "bucket",
		Rationale: "Without Object Lock anyone who gains delete rights on the bucket can remove log and digest files, " +
			"and an attacker's first move is often to erase the record of what they did. Object Lock makes each object " +
			"version immutable for its retention period, whatever permissions the caller holds (in COMPLIANCE mode).",
		Audit: "trailseal reads GetObjectLockConfiguration for every bucket a trail delivers to and fails when " +
			"ObjectLockEnabled is not \"Enabled\". By hand: aws s3api get-object-lock-configuration --bucket BUCKET " +
			"(ObjectLockConfigurationNotFoundError means Object Lock is off).",
		Remediation: Remediation{
			Console: "S3 console > the trail bucket > Properties > Bucket Versioning: Enable. Then Properties > Object Lock > Edit: " +
				"Enable, confirm, and set a default retention (COMPLIANCE, at least 365 days).",
			CLI: "aws s3api put-bucket-versioning --bucket BUCKET --versioning-configuration Status=Enabled\n" +
				"aws s3api put-object-lock-configuration --bucket BUCKET --object-lock-configuration " +
				"'{\"ObjectLockEnabled\":\"Enabled\",\"Rule\":{\"DefaultRetention\":{\"Mode\":\"COMPLIANCE\",\"Days\":365}}}'",
			Terraform: `resource "aws_s3_bucket_versioning" "trail" {
  bucket = aws_s3_bucket.trail.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_object_lock_configuration" "trail" {
  bucket     = aws_s3_bucket.trail.id
  depends_on = [aws_s3_bucket_versioning.trail]
  rule {
    default_retention {
      mode = "COMPLIANCE"
      days = 365
    }
  }
}`,
		},
		References: []string{bucketRefObjectLock, bucketRefTrailBestPractice},
		Frameworks: []Framework{{Framework: "conformity", Control: "Enable Object Lock for CloudTrail S3 Buckets"}},
		Check: func(inv *inventory.Inventory, opts Options) []Result {
			return bucketCheck(inv, func(t bucketTarget) Result {
				if r, bad := missing(t.b.ObjectLock, "Object Lock configuration of "+t.name, t.region, t.resource); bad {
					return r
				}
				ol := *t.b.ObjectLock.Value
				ev := findings.Evidence{"objectLockEnabled": ol.Enabled}
				if ol.Enabled {
					return pass(t.region, t.resource, fmt.Sprintf("Object Lock is enabled on %s", t.name), ev)
				}
				return fail(t.region, t.resource, fmt.Sprintf("Object Lock is not enabled on %s: trail logs can be deleted by anyone with delete rights", t.name), ev)
			})
		},
	}
}

func bucketObjectLockRetentionRule() Rule {
	return Rule{
		ID:       "bucket.object_lock_retention",
		Severity: findings.Medium,
		Title:    "Trail bucket Object Lock has a long enough default retention",
		Scope:    "bucket",
		Rationale: "Object Lock only protects objects that carry a retention period. CloudTrail does not set one on the " +
			"files it writes, so the bucket's default retention rule is what locks them; without it, or with a short one, " +
			"logs can be deleted soon after delivery. COMPLIANCE mode cannot be lifted by any user; GOVERNANCE mode can " +
			"be bypassed by principals holding s3:BypassGovernanceRetention.",
		Audit: "trailseal reads GetObjectLockConfiguration and fails when Object Lock is on but the rule has no default " +
			"retention, or the retention (days, or years counted as 365 days) is below the configured minimum " +
			"(min-retention-days, default 365). By hand: aws s3api get-object-lock-configuration --bucket BUCKET and read " +
			"Rule.DefaultRetention.",
		Remediation: Remediation{
			Console: "S3 console > the trail bucket > Properties > Object Lock > Edit: Default retention Enable, mode Compliance, " +
				"retention period at least the required minimum.",
			CLI: "aws s3api put-object-lock-configuration --bucket BUCKET --object-lock-configuration " +
				"'{\"ObjectLockEnabled\":\"Enabled\",\"Rule\":{\"DefaultRetention\":{\"Mode\":\"COMPLIANCE\",\"Days\":365}}}'",
			Terraform: `resource "aws_s3_bucket_object_lock_configuration" "trail" {
  bucket = aws_s3_bucket.trail.id
  rule {
    default_retention {
      mode = "COMPLIANCE"
      days = 365
    }
  }
}`,
		},
		References: []string{bucketRefObjectLock, "https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-configure.html"},
		Check: func(inv *inventory.Inventory, opts Options) []Result {
			minDays := bucketMinRetention(opts)
			return bucketCheck(inv, func(t bucketTarget) Result {
				if r, bad := missing(t.b.ObjectLock, "Object Lock configuration of "+t.name, t.region, t.resource); bad {
					return r
				}
				ol := *t.b.ObjectLock.Value
				if !ol.Enabled {
					r := notApplicable(t.region, t.resource, fmt.Sprintf("Object Lock is not enabled on %s (see bucket.object_lock)", t.name))
					r.Evidence = findings.Evidence{"objectLockEnabled": false}
					return r
				}
				days := ol.RetentionDays()
				ev := findings.Evidence{"objectLockEnabled": true, "defaultMode": ol.DefaultMode, "retentionDays": days, "minRetentionDays": minDays}
				switch {
				case ol.DefaultMode == "":
					return fail(t.region, t.resource, fmt.Sprintf("Object Lock is on for %s but there is no default retention rule, so CloudTrail's files are not locked", t.name), ev)
				case days < minDays:
					return fail(t.region, t.resource, fmt.Sprintf("default retention on %s is %s %d days, shorter than the required %d days", t.name, ol.DefaultMode, days, minDays), ev)
				case strings.EqualFold(ol.DefaultMode, "GOVERNANCE"):
					return pass(t.region, t.resource, fmt.Sprintf("default retention on %s is GOVERNANCE %d days; COMPLIANCE is stronger, as GOVERNANCE can be bypassed with s3:BypassGovernanceRetention", t.name, days), ev)
				}
				return pass(t.region, t.resource, fmt.Sprintf("default retention on %s is %s %d days", t.name, ol.DefaultMode, days), ev)
			})
		},
	}
}

func bucketVersioningRule() Rule {
	return Rule{
		ID:       "bucket.versioning",
		Severity: findings.Medium,
		Title:    "Trail bucket has versioning enabled",
		Scope:    "bucket",
		Rationale: "With versioning, overwriting or deleting a log file keeps the previous version, so tampering leaves " +
			"recoverable evidence. Versioning is also the prerequisite for Object Lock and MFA Delete.",
		Audit: "trailseal reads GetBucketVersioning and fails unless Status is \"Enabled\" (never enabled and Suspended both fail). " +
			"By hand: aws s3api get-bucket-versioning --bucket BUCKET.",
		Remediation: Remediation{
			Console: "S3 console > the trail bucket > Properties > Bucket Versioning > Edit: Enable.",
			CLI:     "aws s3api put-bucket-versioning --bucket BUCKET --versioning-configuration Status=Enabled",
			Terraform: `resource "aws_s3_bucket_versioning" "trail" {
  bucket = aws_s3_bucket.trail.id
  versioning_configuration {
    status = "Enabled"
  }
}`,
		},
		References: []string{bucketRefVersioning, bucketRefTrailBestPractice},
		Check: func(inv *inventory.Inventory, opts Options) []Result {
			return bucketCheck(inv, func(t bucketTarget) Result {
				if r, bad := missing(t.b.Versioning, "versioning of "+t.name, t.region, t.resource); bad {
					return r
				}
				v := *t.b.Versioning.Value
				ev := findings.Evidence{"versioningStatus": v.Status}
				if v.Status == "Enabled" {
					return pass(t.region, t.resource, fmt.Sprintf("versioning is Enabled on %s", t.name), ev)
				}
				state := v.Status
				if state == "" {
					state = "never enabled"
				}
				return fail(t.region, t.resource, fmt.Sprintf("versioning on %s is %s", t.name, state), ev)
			})
		},
	}
}

func bucketMFADeleteRule() Rule {
	return Rule{
		ID:       "bucket.mfa_delete",
		Severity: findings.Medium,
		Title:    "Trail bucket requires MFA to delete versions",
		Scope:    "bucket",
		Rationale: "MFA Delete makes permanently deleting an object version, or suspending versioning, require the root " +
			"user's MFA code, so stolen credentials alone cannot erase logs. S3 refuses a lifecycle configuration on a " +
			"bucket with MFA Delete; a trail bucket that needs lifecycle rules should rely on Object Lock in COMPLIANCE " +
			"mode instead, which is stronger and operable.",
		Audit: "trailseal reads GetBucketVersioning and fails unless MFADelete is \"Enabled\"; when the bucket also has a " +
			"lifecycle configuration it says that Object Lock COMPLIANCE is the way out. By hand: aws s3api " +
			"get-bucket-versioning --bucket BUCKET (MFADelete) and aws s3api get-bucket-lifecycle-configuration --bucket BUCKET.",
		Remediation: Remediation{
			Console: "MFA Delete cannot be set in the console. Sign in as the root user with an MFA device and use the CLI; " +
				"or, when the bucket needs lifecycle rules, enable Object Lock with COMPLIANCE default retention instead " +
				"(Properties > Object Lock).",
			CLI: "# as the root user of the bucket owner account\n" +
				"aws s3api put-bucket-versioning --bucket BUCKET --versioning-configuration Status=Enabled,MFADelete=Enabled " +
				"--mfa \"arn:aws:iam::ACCOUNT_ID:mfa/root-account-mfa-device 123456\"",
			Terraform: `# Applied with root credentials; "mfa" is the device serial, a space, and the current code.
resource "aws_s3_bucket_versioning" "trail" {
  bucket = aws_s3_bucket.trail.id
  mfa    = "arn:aws:iam::ACCOUNT_ID:mfa/root-account-mfa-device 123456"
  versioning_configuration {
    status     = "Enabled"
    mfa_delete = "Enabled"
  }
}`,
		},
		References: []string{bucketRefMFADelete, bucketRefTrailBestPractice, bucketRefObjectLock},
		Frameworks: []Framework{
			{Framework: "cis-1.4", Control: "2.1.3"},
			{Framework: "cis-3.0", Control: "2.1.2"},
			{Framework: "cis-4.0", Control: "2.1.2"},
			{Framework: "cis-5.0", Control: "2.1.2"},
			{Framework: "conformity", Control: "CT-004"},
		},
		Check: func(inv *inventory.Inventory, opts Options) []Result {
			return bucketCheck(inv, func(t bucketTarget) Result {
				if r, bad := missing(t.b.Versioning, "versioning of "+t.name, t.region, t.resource); bad {
					return r
				}
				v := *t.b.Versioning.Value
				ev := findings.Evidence{"mfaDelete": v.MFADelete, "versioningStatus": v.Status}
				if v.MFADelete == "Enabled" {
					return pass(t.region, t.resource, fmt.Sprintf("MFA Delete is Enabled on %s", t.name), ev)
				}
				state := v.MFADelete
				if state == "" {
					state = "never enabled"
				}
				lc := t.b.Lifecycle
				switch {
				case lc.Value != nil && lc.Value.Configured:
					ev["lifecycleConfigured"] = true
					return fail(t.region, t.resource, fmt.Sprintf("MFA Delete on %s is %s and the bucket has a lifecycle configuration, which MFA Delete cannot coexist with: rely on Object Lock in COMPLIANCE mode instead", t.name, state), ev)
				case lc.Value != nil:
					ev["lifecycleConfigured"] = false
				default:
					ev["lifecycle"] = lc.Problem()
				}
				return fail(t.region, t.resource, fmt.Sprintf("MFA Delete on %s is %s", t.name, state), ev)
			})
		},
	}
}

func bucketLifecycleRule() Rule {
	return Rule{
		ID:       "bucket.lifecycle",
		Severity: findings.Low,
		Title:    "Trail bucket manages log lifetime without expiring logs early",
		Scope:    "bucket",
		Rationale: "A lifecycle configuration moves old logs to cheaper storage and removes them once they are no longer " +
			"needed; without a rule that applies to the trail logs, their lifetime is left to chance, and a rule an intruder " +
			"put in place of the archive rule goes unnoticed. A rule that expires trail logs or their noncurrent versions " +
			"sooner than the required retention destroys evidence, and a missing digest breaks validation of the chain: " +
			"that finding is raised to HIGH.",
		Audit: "trailseal reads GetBucketLifecycleConfiguration and judges every rule against the trails' '<prefix>/AWSLogs/' " +
			"(log and digest files). A rule applies when it is enabled, its prefix overlaps the log prefix (an empty prefix " +
			"covers the whole bucket; S3 compares prefixes literally, so \"*\" matches only keys that begin with a star) and it " +
			"has no tag filter (CloudTrail writes log files without tags). It fails when there is no configuration or no rule " +
			"applies, naming each rule and why it does not apply; it fails at HIGH when a rule that applies expires current or " +
			"noncurrent versions sooner than min-retention-days (default 365). Rules that expire other objects that soon are " +
			"named too. By hand: aws s3api get-bucket-lifecycle-configuration --bucket BUCKET.",
		Remediation: Remediation{
			Console: "S3 console > the trail bucket > Management > Lifecycle rules: delete or narrow any rule that expires trail logs " +
				"sooner than the required retention; then Create lifecycle rule scoped to AWSLogs/ (or <prefix>/AWSLogs/), " +
				"add transitions to colder storage, and set any expiration no sooner than the required retention.",
			CLI: "cat > lifecycle.json <<'JSON'\n" +
				"{\"Rules\":[{\"ID\":\"trail-logs\",\"Status\":\"Enabled\",\"Filter\":{\"Prefix\":\"AWSLogs/\"}," +
				"\"Transitions\":[{\"Days\":90,\"StorageClass\":\"GLACIER\"}],\"Expiration\":{\"Days\":2557}," +
				"\"NoncurrentVersionExpiration\":{\"NoncurrentDays\":2557}}]}\n" +
				"JSON\n" +
				"# put-bucket-lifecycle-configuration replaces every rule of the bucket: add the other rules it needs to lifecycle.json\n" +
				"aws s3api put-bucket-lifecycle-configuration --bucket BUCKET --lifecycle-configuration file://lifecycle.json",
			Terraform: `resource "aws_s3_bucket_lifecycle_configuration" "trail" {
  bucket = aws_s3_bucket.trail.id
  rule {
    id     = "trail-logs"
    status = "Enabled"
    filter {
      prefix = "AWSLogs/"
    }
    transition {
      days          = 90
      storage_class = "GLACIER"
    }
    expiration {
      days = 2557
    }
    noncurrent_version_expiration {
      noncurrent_days = 2557
    }
  }
}`,
		},
		References: []string{bucketRefLifecycle, bucketRefLifecycleFilter, bucketRefTrailBestPractice},
		Check: func(inv *inventory.Inventory, opts Options) []Result {
			minDays := bucketMinRetention(opts)
			return bucketCheck(inv, func(t bucketTarget) Result {
				if r, bad := missing(t.b.Lifecycle, "lifecycle configuration of "+t.name, t.region, t.resource); bad {
					return r
				}
				return bucketLifecycle(t, *t.b.Lifecycle.Value, minDays)
			})
		},
	}
}

// bucketLifecycleVerdict is what one lifecycle rule means for the trail logs.
type bucketLifecycleVerdict struct {
	label string
	// applies: enabled, and its filter lets trail log objects through.
	applies bool
	// whyNot says why a rule does not apply to the trail logs.
	whyNot string
	// early lists how the rule deletes objects sooner than the retention.
	early []string
}

// bucketLifecycle judges a bucket's lifecycle configuration: some enabled
// rule must apply to the trail logs (otherwise their lifetime is left to
// chance, and a rule an attacker put in place of the archive rule goes
// unseen), and no rule that applies may delete them, or their noncurrent
// versions, sooner than the retention (destruction of evidence: HIGH).
func bucketLifecycle(t bucketTarget, lc inventory.Lifecycle, minDays int) Result {
	prefixes := t.logPrefixes()
	ev := findings.Evidence{"lifecycleConfigured": lc.Configured, "minRetentionDays": minDays, "logPrefixes": prefixes, "ruleCount": len(lc.Rules)}
	where := strings.Join(prefixes, ", ")
	if !lc.Configured || len(lc.Rules) == 0 {
		return fail(t.region, t.resource, fmt.Sprintf("%s has no lifecycle configuration: no rule manages the trail logs under %s", t.name, where), ev)
	}
	var applying, notApplying, destroying, elsewhere []string
	for _, r := range lc.Rules {
		v := bucketJudgeLifecycleRule(r, prefixes, minDays)
		switch {
		case v.applies && len(v.early) > 0:
			destroying = append(destroying, fmt.Sprintf("%s %s", v.label, strings.Join(v.early, " and ")))
		case v.applies:
			applying = append(applying, v.label)
		default:
			notApplying = append(notApplying, fmt.Sprintf("%s: %s", v.label, v.whyNot))
			if len(v.early) > 0 {
				elsewhere = append(elsewhere, fmt.Sprintf("%s %s", v.label, strings.Join(v.early, " and ")))
			}
		}
	}
	ev["applyingRules"] = applying
	ev["rulesNotApplying"] = notApplying
	ev["destroyingRules"] = destroying
	ev["shortExpirationsElsewhere"] = elsewhere
	var tail string
	if len(elsewhere) > 0 {
		tail = fmt.Sprintf("; rules that expire other objects sooner than %s: %s", bucketDays(minDays), strings.Join(elsewhere, "; "))
	}
	if len(destroying) > 0 {
		r := fail(t.region, t.resource, fmt.Sprintf("%s, sooner than the required %s: trail logs are deleted before the retention ends%s",
			strings.Join(destroying, "; "), bucketDays(minDays), tail), ev)
		r.Severity = findings.High
		return r
	}
	if len(applying) == 0 {
		return fail(t.region, t.resource, fmt.Sprintf("no enabled lifecycle rule of %s applies to the trail logs under %s (%s)%s",
			t.name, where, strings.Join(notApplying, "; "), tail), ev)
	}
	return pass(t.region, t.resource, fmt.Sprintf("%s applies to the trail logs under %s and none expires them sooner than %s%s",
		bucketRuleCount(applying), where, bucketDays(minDays), tail), ev)
}

// bucketJudgeLifecycleRule decides whether one lifecycle rule reaches the
// trail log objects and whether it deletes objects sooner than minDays.
// Lifecycle filters are literal prefixes, tags and object sizes
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleRuleFilter.html):
// CloudTrail writes its log and digest files under <prefix>/AWSLogs/ and
// puts no tags on them.
func bucketJudgeLifecycleRule(r inventory.LifecycleRule, logPrefixes []string, minDays int) bucketLifecycleVerdict {
	v := bucketLifecycleVerdict{label: "rule " + cmp.Or(r.ID, "(unnamed)")}
	switch {
	case r.Prefix != "":
		v.label += fmt.Sprintf(" (prefix %q)", r.Prefix)
	case len(r.Tags) == 0:
		v.label += " (whole bucket)"
	}
	enabled := strings.EqualFold(r.Status, "Enabled")
	switch {
	case !enabled:
		v.whyNot = "disabled"
	case len(r.Tags) > 0:
		v.whyNot = fmt.Sprintf("applies only to objects tagged %s, and CloudTrail writes its log files without tags", strings.Join(r.Tags, ", "))
	case !bucketPrefixOverlaps(r.Prefix, logPrefixes) && strings.ContainsAny(r.Prefix, "*?"):
		v.whyNot = fmt.Sprintf("S3 lifecycle prefixes are literal, not wildcards: it matches only keys that begin with %q, and no trail log does", r.Prefix)
	case !bucketPrefixOverlaps(r.Prefix, logPrefixes):
		v.whyNot = "its prefix is outside the trail logs"
	default:
		v.applies = true
	}
	if !enabled {
		return v
	}
	if r.ExpirationDate != "" {
		// From the date on, S3 deletes every matching object within a
		// day of its creation.
		v.early = append(v.early, fmt.Sprintf("expires every object on %s and anything written after it within a day", r.ExpirationDate))
	}
	if r.ExpirationDays > 0 && r.ExpirationDays < minDays {
		v.early = append(v.early, "expires objects after "+bucketDays(r.ExpirationDays))
	}
	if r.NoncurrentExpirationDays > 0 && r.NoncurrentExpirationDays < minDays {
		v.early = append(v.early, "expires noncurrent versions after "+bucketDays(r.NoncurrentExpirationDays))
	}
	return v
}

// bucketDays is "1 day" or "n days".
func bucketDays(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// bucketRuleCount is "rule a" or "2 rules (a, b)".
func bucketRuleCount(labels []string) string {
	if len(labels) == 1 {
		return labels[0]
	}
	return fmt.Sprintf("%d rules (%s)", len(labels), strings.Join(labels, ", "))
}

// bucketPrefixOverlaps reports whether a lifecycle rule prefix reaches any
// object under one of the log prefixes: a rule on "AWSLogs/1/" expires log
// files just as a rule on "" does.
func bucketPrefixOverlaps(rulePrefix string, logPrefixes []string) bool {
	if rulePrefix == "" {
		return true
	}
	for _, p := range logPrefixes {
		if strings.HasPrefix(p, rulePrefix) || strings.HasPrefix(rulePrefix, p) {
			return true
		}
	}
	return false
}

const (
	bucketAllUsersURI  = "http://acs.amazonaws.com/groups/global/AllUsers"
	bucketAuthUsersURI = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
)

// bucketTri is a Block Public Access setting seen through both levels.
type bucketTri int

const (
	bucketOff bucketTri = iota
	bucketOn
	bucketUnknown
)

// bucketBPASetting combines the bucket and account levels: a setting is on
// when either level has it on, off only when both are known to be off.
func bucketBPASetting(bucket, account inventory.Result[inventory.PublicAccessBlock], get func(inventory.PublicAccessBlock) bool) bucketTri {
	if (bucket.Value != nil && get(*bucket.Value)) || (account.Value != nil && get(*account.Value)) {
		return bucketOn
	}
	if bucket.Value != nil && account.Value != nil {
		return bucketOff
	}
	return bucketUnknown
}

func bucketPublicAccessRule() Rule {
	return Rule{
		ID:       "bucket.public_access",
		Severity: findings.Critical,
		Title:    "Trail bucket is not public and cannot easily become public",
		Scope:    "bucket",
		Rationale: "A public trail bucket hands an attacker the full record of the account's API activity, including " +
			"resource names, roles and network details. Block Public Access at bucket or account level is the guard " +
			"that stops a single careless ACL or policy edit from exposing it.",
		Audit: "trailseal reads GetBucketAcl, GetBucketPolicy, GetBucketPolicyStatus, the bucket's GetPublicAccessBlock and " +
			"the account's s3control GetPublicAccessBlock. It fails when an ACL grants to AllUsers or AuthenticatedUsers " +
			"and IgnorePublicAcls is off at both levels, when a policy statement allows \"*\" with no restricting condition " +
			"(aws:SourceArn, aws:SourceAccount, aws:SourceVpce, aws:PrincipalOrgID...) and RestrictPublicBuckets is off at " +
			"both levels, when the policy status is public, or when any of the four Block Public Access settings is off " +
			"at both levels. By hand: aws s3api get-bucket-acl / get-bucket-policy / get-bucket-policy-status / " +
			"get-public-access-block --bucket BUCKET, and aws s3control get-public-access-block --account-id ACCOUNT_ID.",
		Remediation: Remediation{
			Console: "S3 console > the trail bucket > Permissions > Block public access: Edit, turn on all four settings; remove " +
				"public grants under Access control list and public statements under Bucket policy. Also S3 console > " +
				"Block Public Access settings for this account: turn on all four.",
			CLI: "aws s3api put-public-access-block --bucket BUCKET --public-access-block-configuration " +
				"BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true\n" +
				"aws s3control put-public-access-block --account-id ACCOUNT_ID --public-access-block-configuration " +
				"BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true\n" +
				"aws s3api put-bucket-ownership-controls --bucket BUCKET --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'",
			Terraform: `resource "aws_s3_bucket_public_access_block" "trail" {
  bucket                  = aws_s3_bucket.trail.id
  block_public_acls       = true
  ignore_public_acls      = true
  block_public_policy     = true
  restrict_public_buckets = true
}

resource "aws_s3_account_public_access_block" "this" {
  block_public_acls       = true
  ignore_public_acls      = true
  block_public_policy     = true
  restrict_public_buckets = true
}`,
		},
		References: []string{bucketRefBPA, bucketRefFSBP, bucketRefTrailBestPractice},
		Frameworks: []Framework{
			{Framework: "cis-1.4", Control: "3.3"},
			{Framework: "fsbp", Control: "CloudTrail.6"},
		},
		Check: func(inv *inventory.Inventory, opts Options) []Result {
			return bucketCheck(inv, func(t bucketTarget) Result {
				return bucketPublicAccess(inv, t)
			})
		},
	}
}

func bucketPublicAccess(inv *inventory.Inventory, t bucketTarget) Result {
	b := t.b
	// Another account's bucket: nothing here can be judged, say where to look.
	if r, bad := missing(b.ACL, "ACL of "+t.name, t.region, t.resource); bad && r.Status == findings.Manual {
		return r
	}
	if r, bad := missing(b.Policy, "bucket policy of "+t.name, t.region, t.resource); bad && r.Status == findings.Manual {
		return r
	}
	ev := findings.Evidence{}
	var issues, unread []string
	var firstErr *inventory.CallError
	noteUnread := func(what string, problem string, err *inventory.CallError) {
		unread = append(unread, what+": "+problem)
		if firstErr == nil && err != nil {
			firstErr = err
		}
	}

	acct := inv.AccountPublicAccessBlock
	setting := func(get func(inventory.PublicAccessBlock) bool) bucketTri {
		return bucketBPASetting(b.PublicAccessBlock, acct, get)
	}
	ignoreACLs := setting(func(p inventory.PublicAccessBlock) bool { return p.IgnorePublicAcls })
	restrict := setting(func(p inventory.PublicAccessBlock) bool { return p.RestrictPublicBuckets })

	if b.ACL.Value != nil {
		var grants []string
		for _, g := range b.ACL.Value.Grants {
			if g.URI == bucketAllUsersURI || g.URI == bucketAuthUsersURI {
				grants = append(grants, fmt.Sprintf("%s to %s", g.Permission, g.URI[strings.LastIndex(g.URI, "/")+1:]))
			}
		}
		ev["publicAclGrants"] = grants
		if len(grants) > 0 {
			switch ignoreACLs {
			case bucketOff:
				issues = append(issues, "ACL grants "+strings.Join(grants, ", ")+" and IgnorePublicAcls is off")
			case bucketUnknown:
				noteUnread("IgnorePublicAcls", "Block Public Access could not be read at bucket and account level", nil)
			}
		}
	} else {
		noteUnread("ACL", b.ACL.Problem(), b.ACL.Error)
	}

	if b.Policy.Value != nil {
		if b.Policy.Value.Exists {
			d, err := policy.Parse(b.Policy.Value.Document)
			if err != nil {
				ev["policyParseError"] = err.Error()
				noteUnread("bucket policy", err.Error(), nil)
			} else {
				var public []string
				for i, s := range d.Statements {
					if s.IsPublicGrant() {
						public = append(public, bucketStatementName(i, s))
					}
				}
				ev["publicStatements"] = public
				if len(public) > 0 {
					switch restrict {
					case bucketOff:
						issues = append(issues, "policy "+strings.Join(public, ", ")+" allows \"*\" without a restricting condition and RestrictPublicBuckets is off")
					case bucketUnknown:
						noteUnread("RestrictPublicBuckets", "Block Public Access could not be read at bucket and account level", nil)
					}
				}
			}
		}
	} else {
		noteUnread("bucket policy", b.Policy.Problem(), b.Policy.Error)
	}

	if b.PolicyStatus.Value != nil {
		ev["policyIsPublic"] = b.PolicyStatus.Value.IsPublic
		if b.PolicyStatus.Value.IsPublic {
			issues = append(issues, "GetBucketPolicyStatus reports the bucket public")
		}
	} else if b.PolicyStatus.Elsewhere == nil {
		noteUnread("policy status", b.PolicyStatus.Problem(), b.PolicyStatus.Error)
	}

	bpa := []struct {
		name string
		get  func(inventory.PublicAccessBlock) bool
	}{
		{"BlockPublicAcls", func(p inventory.PublicAccessBlock) bool { return p.BlockPublicAcls }},
		{"IgnorePublicAcls", func(p inventory.PublicAccessBlock) bool { return p.IgnorePublicAcls }},
		{"BlockPublicPolicy", func(p inventory.PublicAccessBlock) bool { return p.BlockPublicPolicy }},
		{"RestrictPublicBuckets", func(p inventory.PublicAccessBlock) bool { return p.RestrictPublicBuckets }},
	}
	var off []string
	effective := map[string]string{}
	for _, s := range bpa {
		switch setting(s.get) {
		case bucketOn:
			effective[s.name] = "on"
		case bucketOff:
			effective[s.name] = "off"
			off = append(off, s.name)
		default:
			effective[s.name] = "unknown"
			problem := "bucket: " + b.PublicAccessBlock.Problem() + "; account: " + acct.Problem()
			if b.PublicAccessBlock.Value != nil {
				problem = "account: " + acct.Problem()
			} else if acct.Value != nil {
				problem = "bucket: " + b.PublicAccessBlock.Problem()
			}
			noteUnread(s.name, problem, nil)
		}
	}
	ev["blockPublicAccess"] = effective
	if b.PublicAccessBlock.Value != nil {
		ev["bucketPublicAccessBlock"] = *b.PublicAccessBlock.Value
	}
	if acct.Value != nil {
		ev["accountPublicAccessBlock"] = *acct.Value
	}
	if len(off) > 0 {
		issues = append(issues, "one step from public: Block Public Access "+strings.Join(off, ", ")+" off at both bucket and account level")
	}
	if len(unread) > 0 {
		ev["unread"] = unread
	}

	if len(issues) > 0 {
		msg := t.name + ": " + strings.Join(issues, "; ")
		if len(unread) > 0 {
			msg += fmt.Sprintf(" (also unread: %d items, see evidence)", len(unread))
		}
		return fail(t.region, t.resource, msg, ev)
	}
	if len(unread) > 0 {
		if firstErr != nil {
			ev["call"] = firstErr.Call
			ev["errorCode"] = firstErr.Code
		}
		return Result{
			Status:   findings.Error,
			Region:   t.region,
			Resource: t.resource,
			Message:  fmt.Sprintf("cannot tell whether %s is public: %s", t.name, strings.Join(unread, "; ")),
			Evidence: ev,
		}
	}
	return pass(t.region, t.resource, fmt.Sprintf("%s is not public: no public ACL grant or policy statement, policy status private, all four Block Public Access settings on", t.name), ev)
}

func bucketAccessLoggingRule() Rule {
	return Rule{
		ID:       "bucket.access_logging",
		Severity: findings.Medium,
		Title:    "Trail bucket has server access logging to another bucket",
		Scope:    "bucket",
		Rationale: "CloudTrail data events are not always on for the trail bucket itself; server access logs record who read, " +
			"listed or deleted log files, which is what an investigation of log tampering needs. Logging into the same " +
			"bucket creates a feedback loop of log objects.",
		Audit: "trailseal reads GetBucketLogging and fails when LoggingEnabled is absent or its TargetBucket is the trail " +
			"bucket itself. By hand: aws s3api get-bucket-logging --bucket BUCKET. Note that a bucket with Object Lock " +
			"cannot be the target, so the target must be a separate bucket without it.",
		Remediation: Remediation{
			Console: "S3 console > the trail bucket > Properties > Server access logging > Edit: Enable, and choose a " +
				"separate destination bucket (one without Object Lock).",
			CLI: "aws s3api put-bucket-logging --bucket BUCKET --bucket-logging-status " +
				"'{\"LoggingEnabled\":{\"TargetBucket\":\"ACCESS_LOG_BUCKET\",\"TargetPrefix\":\"BUCKET/\"}}'",
			Terraform: `resource "aws_s3_bucket_logging" "trail" {
  bucket        = aws_s3_bucket.trail.id
  target_bucket = aws_s3_bucket.access_logs.id
  target_prefix = "cloudtrail-bucket/"
}`,
		},
		References: []string{bucketRefServerLogs, bucketRefFSBP},
		Frameworks: []Framework{
			{Framework: "cis-1.4", Control: "3.6"},
			{Framework: "cis-3.0", Control: "3.4"},
			{Framework: "cis-4.0", Control: "3.4"},
			{Framework: "cis-5.0", Control: "3.4"},
			{Framework: "fsbp", Control: "CloudTrail.7"},
		},
		Check: func(inv *inventory.Inventory, opts Options) []Result {
			return bucketCheck(inv, func(t bucketTarget) Result {
				if r, bad := missing(t.b.Logging, "server access logging of "+t.name, t.region, t.resource); bad {
					return r
				}
				l := *t.b.Logging.Value
				ev := findings.Evidence{"loggingEnabled": l.Enabled, "targetBucket": l.TargetBucket, "targetPrefix": l.TargetPrefix}
				switch {
				case !l.Enabled:
					return fail(t.region, t.resource, fmt.Sprintf("server access logging is off on %s", t.name), ev)
				case l.TargetBucket == t.name:
					return fail(t.region, t.resource, fmt.Sprintf("server access logs of %s are written to the bucket itself", t.name), ev)
				}
				return pass(t.region, t.resource, fmt.Sprintf("server access logs of %s go to %s", t.name, l.TargetBucket), ev)
			})
		},
	}
}

func bucketEncryptionRule() Rule {
	return Rule{
		ID:       "bucket.encryption",
		Severity: findings.Low,
		Title:    "Trail bucket has default encryption that digest delivery can satisfy",
		Scope:    "bucket",
		Rationale: "Default encryption guarantees that every object at rest is encrypted. CloudTrail writes log files with " +
			"SSE-KMS when the trail has a key, but always writes digest files with SSE-S3; a bucket policy that denies " +
			"every PutObject not using aws:kms therefore silently stops digest delivery and breaks log file validation.",
		Audit: "trailseal reads GetBucketEncryption and fails when there is no rule. When a trail writing to the bucket has " +
			"log file validation on, it also reads the bucket policy and fails when a Deny on s3:PutObject requires " +
			"s3:x-amz-server-side-encryption to be aws:kms without also accepting AES256. By hand: aws s3api " +
			"get-bucket-encryption --bucket BUCKET and aws s3api get-bucket-policy --bucket BUCKET.",
		Remediation: Remediation{
			Console: "S3 console > the trail bucket > Properties > Default encryption > Edit: choose SSE-KMS (or SSE-S3). In " +
				"Permissions > Bucket policy, add \"AES256\" to the values of any Deny condition on " +
				"s3:x-amz-server-side-encryption.",
			CLI: "aws s3api put-bucket-encryption --bucket BUCKET --server-side-encryption-configuration " +
				"'{\"Rules\":[{\"ApplyServerSideEncryptionByDefault\":{\"SSEAlgorithm\":\"aws:kms\",\"KMSMasterKeyID\":\"KEY_ARN\"},\"BucketKeyEnabled\":true}]}'\n" +
				"# in the bucket policy the Deny condition must read:\n" +
				"#   \"StringNotEquals\": {\"s3:x-amz-server-side-encryption\": [\"aws:kms\", \"AES256\"]}\n" +
				"aws s3api put-bucket-policy --bucket BUCKET --policy file://policy.json",
			Terraform: `resource "aws_s3_bucket_server_side_encryption_configuration" "trail" {
  bucket = aws_s3_bucket.trail.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.trail.arn
    }
    bucket_key_enabled = true
  }
}`,
		},
		References: []string{bucketRefEncryption, bucketRefTrailKMS, bucketRefValidation},
		Check: func(inv *inventory.Inventory, opts Options) []Result {
			return bucketCheck(inv, func(t bucketTarget) Result {
				if r, bad := missing(t.b.Encryption, "default encryption of "+t.name, t.region, t.resource); bad {
					return r
				}
				enc := *t.b.Encryption.Value
				var algs []string
				for _, r := range enc.Rules {
					algs = append(algs, r.SSEAlgorithm)
				}
				ev := findings.Evidence{"sseAlgorithms": algs}
				if len(enc.Rules) == 0 {
					return fail(t.region, t.resource, fmt.Sprintf("%s has no default encryption", t.name), ev)
				}
				var validating []string
				for _, tr := range t.trails {
					if tr.LogFileValidationEnabled {
						validating = append(validating, tr.Name)
					}
				}
				ev["validatingTrails"] = validating
				if len(validating) == 0 {
					return pass(t.region, t.resource, fmt.Sprintf("%s encrypts by default with %s", t.name, strings.Join(algs, ", ")), ev)
				}
				doc, stop := bucketPolicyDoc(t)
				if stop != nil {
					return *stop
				}
				if doc != nil {
					if blocking := bucketKMSOnlyStatements(doc); len(blocking) > 0 {
						ev["kmsOnlyStatements"] = blocking
						return fail(t.region, t.resource, fmt.Sprintf("policy of %s %s denies PutObject unless SSE-KMS is used, but trail %s has log file validation on and digests are written with SSE-S3 (AES256)", t.name, strings.Join(blocking, ", "), strings.Join(validating, ", ")), ev)
					}
				}
				return pass(t.region, t.resource, fmt.Sprintf("%s encrypts by default with %s and its policy lets SSE-S3 digest files in", t.name, strings.Join(algs, ", ")), ev)
			})
		},
	}
}

// bucketKMSOnlyStatements names the Deny statements that refuse a PutObject
// whose encryption header is AES256: a negated string condition on
// s3:x-amz-server-side-encryption listing aws:kms but not AES256. Only denies
// that reach CloudTrail (everyone, or the cloudtrail service) matter.
func bucketKMSOnlyStatements(doc *policy.Document) []string {
	var out []string
	for i, s := range doc.Statements {
		if !s.Denies() || !s.CoversAction("s3:PutObject") {
			continue
		}
		// A NotPrincipal deny reaches everyone it does not name.
		reaches := s.Principal.IsAnyone() || s.Principal.HasService("cloudtrail.amazonaws.com") ||
			(s.NotPrincipal != nil && !s.NotPrincipal.IsAnyone() && !s.NotPrincipal.HasService("cloudtrail.amazonaws.com"))
		if !reaches {
			continue
		}
		// A negated match on the KMS key ID holds for SSE-S3 requests, which
		// carry no key ID: such a deny refuses every digest file.
		// A Null "false" test on the same key limits the deny to requests
		// that name a key, which SSE-S3 requests do not.
		keyOnly, keyNamed := false, false
		for _, c := range s.ConditionsOn("s3:x-amz-server-side-encryption-aws-kms-key-id") {
			base := strings.ToLower(c.Base)
			switch {
			case base == "null":
				keyNamed = keyNamed || (len(c.Values) == 1 && strings.EqualFold(c.Values[0], "false"))
			case c.Set == "" && (base == "stringnotequals" || base == "stringnotequalsignorecase" || base == "stringnotlike" || base == "arnnotequals" || base == "arnnotlike"):
				keyOnly = true
			}
		}
		keyOnly = keyOnly && !keyNamed
		if keyOnly {
			out = append(out, bucketStatementName(i, s))
			continue
		}
		for _, c := range s.ConditionsOn("s3:x-amz-server-side-encryption") {
			base := strings.ToLower(c.Base)
			if base != "stringnotequals" && base != "stringnotequalsignorecase" && base != "stringnotlike" {
				continue
			}
			kms, aes := false, false
			for _, v := range c.Values {
				switch {
				case strings.HasPrefix(strings.ToLower(v), "aws:kms"):
					kms = true
				case policy.MatchAction(v, "AES256"):
					aes = true
				}
			}
			if kms && !aes {
				out = append(out, bucketStatementName(i, s))
				break
			}
		}
	}
	return out
}

func bucketPolicySourceARNRule() Rule {
	return Rule{
		ID:       "bucket.policy_source_arn",
		Severity: findings.Medium,
		Title:    "Trail bucket policy ties CloudTrail's write access to your trails",
		Scope:    "bucket",
		Rationale: "A statement that lets cloudtrail.amazonaws.com write without an aws:SourceArn or aws:SourceAccount " +
			"condition lets any account's trail deliver into the bucket (the confused deputy problem): an outsider can " +
			"fill it with forged logs or costs. A resource broader than AWSLogs/<account or organization ID>/* widens the " +
			"same door.",
		Audit: "trailseal parses the bucket policy and, for each Allow to the cloudtrail.amazonaws.com service that covers " +
			"s3:PutObject, fails when no aws:SourceArn or aws:SourceAccount condition restricts it, or when a Resource is " +
			"wider than arn:aws:s3:::BUCKET/[prefix/]AWSLogs/<id>/* (a wildcard before or in the ID, or NotResource). By " +
			"hand: aws s3api get-bucket-policy --bucket BUCKET --query Policy --output text.",
		Remediation: Remediation{
			Console: "S3 console > the trail bucket > Permissions > Bucket policy > Edit: in the statement for " +
				"cloudtrail.amazonaws.com with s3:PutObject, set Resource to arn:aws:s3:::BUCKET/[prefix/]AWSLogs/ACCOUNT_ID/* " +
				"and add a condition StringEquals aws:SourceArn arn:aws:cloudtrail:REGION:ACCOUNT_ID:trail/TRAIL_NAME.",
			CLI: "# statement to use in policy.json:\n" +
				"# {\"Sid\":\"AWSCloudTrailWrite\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"cloudtrail.amazonaws.com\"}," +
				"\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::BUCKET/AWSLogs/ACCOUNT_ID/*\"," +
				"\"Condition\":{\"StringEquals\":{\"s3:x-amz-acl\":\"bucket-owner-full-control\"," +
				"\"aws:SourceArn\":\"arn:aws:cloudtrail:REGION:ACCOUNT_ID:trail/TRAIL_NAME\"}}}\n" +
				"aws s3api put-bucket-policy --bucket BUCKET --policy file://policy.json",
			Terraform: `data "aws_iam_policy_document" "trail_bucket" {
  statement {
    sid       = "AWSCloudTrailWrite"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.trail.arn}/AWSLogs/${data.aws_caller_identity.current.account_id}/*"]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-acl"
      values   = ["bucket-owner-full-control"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = ["arn:aws:cloudtrail:${var.region}:${data.aws_caller_identity.current.account_id}:trail/${var.trail_name}"]
    }
  }
}

resource "aws_s3_bucket_policy" "trail" {
  bucket = aws_s3_bucket.trail.id
  policy = data.aws_iam_policy_document.trail_bucket.json
}`,
		},
		References: []string{bucketRefTrailBucketPolicy, bucketRefConfusedDeputy},
		Check: func(inv *inventory.Inventory, opts Options) []Result {
			return bucketCheck(inv, func(t bucketTarget) Result {
				doc, stop := bucketPolicyDoc(t)
				if stop != nil {
					return *stop
				}
				ev := findings.Evidence{"policyExists": doc != nil}
				if doc == nil {
					return notApplicable(t.region, t.resource, fmt.Sprintf("%s has no bucket policy, so no statement grants CloudTrail write access", t.name))
				}
				var checked, problems []string
				for i, s := range doc.Statements {
					if !s.Allows() || !s.Principal.HasService("cloudtrail.amazonaws.com") || !s.CoversAction("s3:PutObject") {
						continue
					}
					name := bucketStatementName(i, s)
					checked = append(checked, name)
					if !bucketHasSourceCondition(s) {
						problems = append(problems, name+" has no aws:SourceArn or aws:SourceAccount condition")
					}
					if wide := bucketWideResources(s, t.partition, t.name); len(wide) > 0 {
						problems = append(problems, fmt.Sprintf("%s allows PutObject on %s, broader than .../AWSLogs/<account or org ID>/*", name, strings.Join(wide, ", ")))
					}
				}
				ev["cloudtrailWriteStatements"] = checked
				if len(checked) == 0 {
					r := notApplicable(t.region, t.resource, fmt.Sprintf("no statement in the policy of %s grants cloudtrail.amazonaws.com s3:PutObject", t.name))
					r.Evidence = ev
					return r
				}
				if len(problems) > 0 {
					ev["problems"] = problems
					return fail(t.region, t.resource, t.name+": "+strings.Join(problems, "; "), ev)
				}
				return pass(t.region, t.resource, fmt.Sprintf("CloudTrail write access to %s is conditioned on the source and limited to AWSLogs/<id>/* (%s)", t.name, strings.Join(checked, ", ")), ev)
			})
		},
	}
}

func bucketHasSourceCondition(s policy.Statement) bool {
	for _, key := range []string{"aws:SourceArn", "aws:SourceAccount"} {
		for _, c := range s.ConditionsOn(key) {
			if c.Restricts() {
				return true
			}
		}
	}
	return false
}

// bucketWideResources returns the statement's resources that reach beyond
// one account's or one organization's AWSLogs folder. Everything before
// "AWSLogs/" must be literal (the trail prefix), and so must the ID after it.
func bucketWideResources(s policy.Statement, partition, bucket string) []string {
	if s.NotResources != nil {
		return []string{"NotResource " + strings.Join(s.NotResources, ", ")}
	}
	return policy.WideLogResources(s.Resources, fmt.Sprintf("arn:%s:s3:::%s", partition, bucket))
}

// bucketProtectedActions are the calls that destroy logs or loosen the
// bucket's protection; only the owner account should be able to make them.
var bucketProtectedActions = []string{
	"s3:DeleteObject",
	"s3:DeleteObjectVersion",
	"s3:DeleteObjectTagging",
	"s3:DeleteObjectVersionTagging",
	"s3:PutBucketPolicy",
	"s3:PutLifecycleConfiguration",
	"s3:PutBucketVersioning",
	"s3:PutBucketObjectLockConfiguration",
}

func bucketLeastPrivilegeRule() Rule {
	return Rule{
		ID:       "bucket.least_privilege",
		Severity: findings.Medium,
		Title:    "Trail bucket policy keeps destructive actions in the owner account and requires TLS",
		Scope:    "bucket",
		Rationale: "Whoever can delete objects or rewrite the bucket's policy, lifecycle, versioning or Object Lock " +
			"configuration can erase the audit trail; granting that outside the owner account puts the logs in someone " +
			"else's hands. Denying requests without TLS keeps logs from crossing the network in clear text.",
		Audit: "trailseal parses the bucket policy and fails when an Allow statement covers s3:DeleteObject*, " +
			"s3:PutBucketPolicy, s3:PutLifecycleConfiguration, s3:PutBucketVersioning or " +
			"s3:PutBucketObjectLockConfiguration (directly or through wildcards such as s3:* and s3:Put*) for a principal " +
			"outside the bucket owner account (\"*\", another account, a service, a federated or unresolvable principal), " +
			"or when no statement denies all S3 actions to everyone when aws:SecureTransport is false. By hand: aws " +
			"s3api get-bucket-policy --bucket BUCKET --query Policy --output text.",
		Remediation: Remediation{
			Console: "S3 console > the trail bucket > Permissions > Bucket policy > Edit: remove delete and configuration " +
				"actions from statements for other accounts or \"*\", and add a statement denying s3:* to \"*\" when " +
				"aws:SecureTransport is false.",
			CLI: "# statement to add to policy.json:\n" +
				"# {\"Sid\":\"DenyInsecureTransport\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\"," +
				"\"Resource\":[\"arn:aws:s3:::BUCKET\",\"arn:aws:s3:::BUCKET/*\"]," +
				"\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}\n" +
				"aws s3api put-bucket-policy --bucket BUCKET --policy file://policy.json",
			Terraform: `data "aws_iam_policy_document" "trail_bucket" {
  # ... the CloudTrail statements ...
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.trail.arn, "${aws_s3_bucket.trail.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}`,
		},
		References: []string{bucketRefTrailBestPractice, bucketRefS3Security, bucketRefTrailBucketPolicy},
		Check: func(inv *inventory.Inventory, opts Options) []Result {
			return bucketCheck(inv, func(t bucketTarget) Result {
				doc, stop := bucketPolicyDoc(t)
				if stop != nil {
					return *stop
				}
				ev := findings.Evidence{"policyExists": doc != nil}
				if doc == nil {
					return fail(t.region, t.resource, fmt.Sprintf("%s has no bucket policy, so nothing denies access without TLS", t.name), ev)
				}
				owner := t.owner(inv)
				ownerCanonical := ""
				if t.b.ACL.Value != nil {
					ownerCanonical = t.b.ACL.Value.OwnerID
				}
				var problems []string
				for i, s := range doc.Statements {
					if !s.Allows() {
						continue
					}
					var actions []string
					for _, a := range bucketProtectedActions {
						if s.CoversAction(a) {
							actions = append(actions, a)
						}
					}
					if len(actions) == 0 {
						continue
					}
					if outside := bucketOutsidePrincipals(s, owner, ownerCanonical); len(outside) > 0 {
						problems = append(problems, fmt.Sprintf("%s allows %s to %s", bucketStatementName(i, s), strings.Join(actions, ", "), strings.Join(outside, ", ")))
					}
				}
				tls := doc.DeniesInsecureTransport(t.resource, t.resource+"/*")
				ev["deniesInsecureTransport"] = tls
				if !tls {
					problems = append(problems, "no statement denies s3:* to everyone when aws:SecureTransport is false")
				}
				if len(problems) > 0 {
					ev["problems"] = problems
					return fail(t.region, t.resource, t.name+": "+strings.Join(problems, "; "), ev)
				}
				return pass(t.region, t.resource, fmt.Sprintf("policy of %s grants destructive actions to no one outside account %s and denies non-TLS access", t.name, owner), ev)
			})
		},
	}
}

// bucketOutsidePrincipals describes the principals of an Allow statement
// that are not the bucket owner account. "*" counts as outside unless a
// condition pins aws:PrincipalAccount to the owner.
func bucketOutsidePrincipals(s policy.Statement, owner, ownerCanonical string) []string {
	var out []string
	if s.NotPrincipal != nil {
		return []string{"everyone except the NotPrincipal list"}
	}
	p := s.Principal
	if p == nil {
		return nil
	}
	if p.IsAnyone() && !bucketPinnedToAccount(s, owner) {
		out = append(out, "\"*\"")
	}
	accounts, unresolved := p.Accounts()
	for _, a := range accounts {
		if a != owner {
			out = append(out, "account "+a)
		}
	}
	for _, u := range unresolved {
		out = append(out, "unresolved principal "+u)
	}
	for _, sv := range p.Service {
		out = append(out, "service "+sv)
	}
	for _, f := range p.Federated {
		out = append(out, "federated "+f)
	}
	for _, c := range p.CanonicalUser {
		if c != ownerCanonical || c == "" {
			out = append(out, "canonical user "+c)
		}
	}
	return out
}

func bucketPinnedToAccount(s policy.Statement, owner string) bool {
	if owner == "" {
		return false
	}
	for _, c := range s.ConditionsOn("aws:PrincipalAccount") {
		if !c.Restricts() || !strings.EqualFold(c.Base, "StringEquals") {
			continue
		}
		all := true
		for _, v := range c.Values {
			if v != owner {
				all = false
			}
		}
		if all {
			return true
		}
	}
	return false
}

func bucketDedicatedAccountRule() Rule {
	return Rule{
		ID:       "bucket.dedicated_account",
		Severity: findings.Low,
		Title:    "Trail bucket lives in a dedicated log archive account",
		Scope:    "bucket",
		Rationale: "When the logs sit in the account they describe, an attacker with administrator rights there can " +
			"tamper with both the activity and its record. A separate log archive account, reachable by few people, " +
			"keeps the evidence outside the blast radius. This applies when an organization or a log archive account exists.",
		Audit: "trailseal checks whether the trail bucket appears in the scanned account's ListBuckets. It fails when it " +
			"does and either a different log-archive-account is configured or the account belongs to an AWS " +
			"Organization; it passes when another account (or the configured log archive account) owns the bucket. By " +
			"hand: aws s3api list-buckets --query \"Buckets[?Name=='BUCKET']\" and aws organizations describe-organization.",
		Remediation: Remediation{
			Console: "Create (or use) a log archive account, create a bucket there with the CloudTrail bucket policy, then " +
				"CloudTrail console > Trails > the trail > General details > Edit: choose the archive bucket. Prefer an " +
				"organization trail created from the management account.",
			CLI: "aws cloudtrail update-trail --name TRAIL_NAME --s3-bucket-name ARCHIVE_BUCKET --s3-key-prefix PREFIX",
			Terraform: `resource "aws_cloudtrail" "org" {
  name                          = "organization-trail"
  s3_bucket_name                = "ARCHIVE_BUCKET" # owned by the log archive account
  is_organization_trail         = true
  is_multi_region_trail         = true
  enable_log_file_validation    = true
  include_global_service_events = true
}`,
		},
		References: []string{bucketRefLogArchive, bucketRefTrailBestPractice},
		Check: func(inv *inventory.Inventory, opts Options) []Result {
			return bucketCheck(inv, func(t bucketTarget) Result {
				ev := findings.Evidence{"ownedByScannedAccount": t.b.OwnedByScannedAccount, "logArchiveAccount": opts.LogArchiveAccount}
				ownedHere := t.b.OwnedByScannedAccount || t.b.OwnerAccountID == inv.Account.ID
				// The collector marks a bucket it found outside ListBuckets by
				// recording its evidence as held elsewhere; a bucket with no
				// owner and readable evidence was read while ListBuckets failed.
				if !ownedHere && t.b.OwnerAccountID == "" && t.b.Region.Elsewhere == nil {
					return Result{
						Status:   findings.Error,
						Region:   t.region,
						Resource: t.resource,
						Message:  fmt.Sprintf("cannot tell which account owns %s (it was not matched against s3:ListBuckets): grant s3:ListAllMyBuckets and rescan", t.name),
						Evidence: ev,
					}
				}
				if !ownedHere {
					owner := t.b.OwnerAccountID
					if owner == "" {
						owner = "another account"
					} else {
						owner = "account " + owner
					}
					return pass(t.region, t.resource, fmt.Sprintf("%s is owned by %s, not by the logged account %s", t.name, owner, inv.Account.ID), ev)
				}
				switch {
				case opts.LogArchiveAccount != "" && opts.LogArchiveAccount == inv.Account.ID:
					return pass(t.region, t.resource, fmt.Sprintf("%s is owned by the configured log archive account %s", t.name, inv.Account.ID), ev)
				case opts.LogArchiveAccount != "":
					return fail(t.region, t.resource, fmt.Sprintf("%s is owned by the logged account %s, not by the log archive account %s", t.name, inv.Account.ID, opts.LogArchiveAccount), ev)
				}
				if r, bad := missing(inv.Organization, "organization membership", t.region, t.resource); bad {
					return r
				}
				org := *inv.Organization.Value
				ev["organizationMember"] = org.Member
				if org.Member {
					ev["organizationId"] = org.ID
					return fail(t.region, t.resource, fmt.Sprintf("%s is owned by the logged account %s although it belongs to organization %s: move logs to a log archive account", t.name, inv.Account.ID, org.ID), ev)
				}
				r := notApplicable(t.region, t.resource, fmt.Sprintf("%s is owned by the logged account, which has no organization and no configured log archive account", t.name))
				r.Evidence = ev
				return r
			})
		},
	}
}
