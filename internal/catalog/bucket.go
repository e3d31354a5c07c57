package catalog

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

func bucketObjectLockRule() Rule {
	return Rule{
		ID:       "bucket.object_lock",
		Severity: Medium,
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
	}
}

func bucketObjectLockRetentionRule() Rule {
	return Rule{
		ID:       "bucket.object_lock_retention",
		Severity: Medium,
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
	}
}

func bucketVersioningRule() Rule {
	return Rule{
		ID:       "bucket.versioning",
		Severity: Medium,
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
	}
}

func bucketMFADeleteRule() Rule {
	return Rule{
		ID:       "bucket.mfa_delete",
		Severity: Medium,
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
	}
}

func bucketLifecycleRule() Rule {
	return Rule{
		ID:       "bucket.lifecycle",
		Severity: Low,
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
	}
}

func bucketPublicAccessRule() Rule {
	return Rule{
		ID:       "bucket.public_access",
		Severity: Critical,
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
	}
}

func bucketAccessLoggingRule() Rule {
	return Rule{
		ID:       "bucket.access_logging",
		Severity: Medium,
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
	}
}

func bucketEncryptionRule() Rule {
	return Rule{
		ID:       "bucket.encryption",
		Severity: Low,
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
	}
}

func bucketPolicySourceARNRule() Rule {
	return Rule{
		ID:       "bucket.policy_source_arn",
		Severity: Medium,
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
	}
}

func bucketLeastPrivilegeRule() Rule {
	return Rule{
		ID:       "bucket.least_privilege",
		Severity: Medium,
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
	}
}

func bucketDedicatedAccountRule() Rule {
	return Rule{
		ID:       "bucket.dedicated_account",
		Severity: Low,
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
	}
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
