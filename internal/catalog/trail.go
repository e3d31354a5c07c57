package catalog

import (
	"fmt"
	"strings"
)

// trailRules are the rules judged per trail, plus the two S3 data event
// rules, which CIS judges per account (one good trail is enough).
func trailRules() []Rule {
	return []Rule{
		trailLoggingRule(),
		trailMultiRegionRule(),
		trailGlobalServiceEventsRule(),
		trailManagementEventsRule(),
		trailLogFileValidationRule(),
		trailDigestDeliveryRule(),
		trailDeliveryHealthRule(),
		trailCloudWatchLogsRule(),
		trailLogGroupRetentionRule(),
		trailLogGroupEncryptionRule(),
		trailKMSEncryptionRule(),
		trailKMSKeyRotationRule(),
		trailKMSKeyUsableRule(),
		trailS3DataEventsRule(true),
		trailS3DataEventsRule(false),
		trailInsightsRule(),
	}
}

func trailLoggingRule() Rule {
	return Rule{
		ID:        "trail.logging",
		Severity:  High,
		Title:     "Trail is logging",
		Scope:     "trail",
		Rationale: "A stopped trail records nothing; stopping logging is a classic first step of an attacker covering their tracks.",
		Audit: "trailseal reads GetTrailStatus in the trail's home region. By hand: " +
			"`aws cloudtrail get-trail-status --name <trail ARN> --region <home region>`; IsLogging must be true (StopLoggingTime tells when it stopped).",
		Remediation: Remediation{
			Console:   "CloudTrail console > Trails > choose the trail > Start logging.",
			CLI:       "aws cloudtrail start-logging --name <trail ARN>",
			Terraform: "resource \"aws_cloudtrail\" \"main\" {\n  # ...\n  enable_logging = true\n}",
		},
		References: []string{
			"https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetTrailStatus.html",
			"https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StartLogging.html",
		},
		Frameworks: []Framework{{Framework: "conformity", Control: "CT-001"}},
	}
}

func trailMultiRegionRule() Rule {
	return Rule{
		ID:        "trail.multi_region",
		Severity:  Medium,
		Title:     "Trail records every region",
		Scope:     "trail",
		Rationale: "A single-region trail misses activity in every other region, including regions an attacker enables to work unobserved.",
		Audit: "trailseal reads IsMultiRegionTrail from DescribeTrails. By hand: " +
			"`aws cloudtrail describe-trails --trail-name-list <trail ARN> --query 'trailList[].IsMultiRegionTrail'`.",
		Remediation: Remediation{
			Console:   "CloudTrail console > Trails > choose the trail > General details > Edit > enable Multi-region trail.",
			CLI:       "aws cloudtrail update-trail --name <trail ARN> --is-multi-region-trail --include-global-service-events",
			Terraform: "resource \"aws_cloudtrail\" \"main\" {\n  # ...\n  is_multi_region_trail         = true\n  include_global_service_events = true\n}",
		},
		References: []string{"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/receive-cloudtrail-log-files-from-multiple-regions.html"},
	}
}

func trailGlobalServiceEventsRule() Rule {
	return Rule{
		ID:       "trail.global_service_events",
		Severity: Medium,
		Title:    "Trail records global service events (IAM, STS, CloudFront)",
		Scope:    "trail",
		Rationale: "Global services such as IAM log to us-east-1 as global service events. A multi-region trail, or the " +
			"only trail of the account, that drops them loses the record of identity changes.",
		Audit: "trailseal reads IncludeGlobalServiceEvents from DescribeTrails for multi-region trails and for the only trail. " +
			"By hand: `aws cloudtrail describe-trails --query 'trailList[].[Name,IsMultiRegionTrail,IncludeGlobalServiceEvents]'`.",
		Remediation: Remediation{
			Console:   "Global service events cannot be set in the console; use the AWS CLI or infrastructure as code.",
			CLI:       "aws cloudtrail update-trail --name <trail ARN> --include-global-service-events",
			Terraform: "resource \"aws_cloudtrail\" \"main\" {\n  # ...\n  include_global_service_events = true\n}",
		},
		References: []string{"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-concepts.html#cloudtrail-concepts-global-service-events"},
		Frameworks: []Framework{{Framework: "conformity", Control: "CT-005"}},
	}
}

func trailManagementEventsRule() Rule {
	return Rule{
		ID:       "trail.management_events",
		Severity: Medium,
		Title:    "Trail records all management events, read and write, from every source",
		Scope:    "trail",
		Rationale: "Read-only calls (List*, Describe*, Get*) are how an intruder maps an account, and excluded sources such as " +
			"KMS hide key use. A trail that records only writes, or excludes sources, leaves those gaps.",
		Audit: "trailseal evaluates the trail's basic or advanced event selectors (GetEventSelectors) over the whole space of " +
			"management events. By hand: `aws cloudtrail get-event-selectors --trail-name <trail ARN>`: basic selectors need " +
			"IncludeManagementEvents true with ReadWriteType All and no ExcludeManagementEventSources; advanced selectors need " +
			"a selector with eventCategory Equals Management and no readOnly, eventSource or other condition.",
		Remediation: Remediation{
			Console: "CloudTrail console > Trails > choose the trail > Management events > Edit > API activity: Read and Write; " +
				"clear 'Exclude AWS KMS events' and 'Exclude Amazon RDS Data API events'.",
			CLI: "aws cloudtrail put-event-selectors --trail-name <trail ARN> --event-selectors '[{\"ReadWriteType\":\"All\",\"IncludeManagementEvents\":true}]'\n" +
				"# put-event-selectors replaces all selectors: add back any DataResources the trail had.",
			Terraform: "resource \"aws_cloudtrail\" \"main\" {\n  # ...\n  event_selector {\n    read_write_type           = \"All\"\n    include_management_events = true\n  }\n}",
		},
		References: []string{
			"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html",
			"https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_AdvancedFieldSelector.html",
		},
		Frameworks: []Framework{{Framework: "conformity", Control: "CT-010"}},
	}
}

func trailLogFileValidationRule() Rule {
	return Rule{
		ID:       "trail.log_file_validation",
		Severity: High,
		Title:    "Log file integrity validation is enabled",
		Scope:    "trail",
		Rationale: "With validation on, CloudTrail signs an hourly digest of the delivered log files, so deleted, changed or " +
			"forged log files can be detected (`trailseal verify`). Without it, logs cannot be shown to be complete.",
		Audit: "trailseal reads LogFileValidationEnabled from DescribeTrails. By hand: " +
			"`aws cloudtrail describe-trails --query 'trailList[].[Name,LogFileValidationEnabled]'`.",
		Remediation: Remediation{
			Console:   "CloudTrail console > Trails > choose the trail > General details > Edit > Additional settings > Log file validation: Enabled.",
			CLI:       "aws cloudtrail update-trail --name <trail ARN> --enable-log-file-validation",
			Terraform: "resource \"aws_cloudtrail\" \"main\" {\n  # ...\n  enable_log_file_validation = true\n}",
		},
		References: []string{
			"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html",
			"https://docs.aws.amazon.com/securityhub/latest/userguide/cloudtrail-controls.html#cloudtrail-4",
		},
		Frameworks: append(trailCIS("3.2", "3.2"), Framework{Framework: "fsbp", Control: "CloudTrail.4"}),
	}
}

func trailDigestDeliveryRule() Rule {
	return Rule{
		ID:       "trail.digest_delivery",
		Severity: High,
		Title:    "Digest files are actually being delivered",
		Scope:    "trail",
		Rationale: "Validation on paper is not validation in fact: when the bucket policy, the key or the bucket itself blocks " +
			"digest delivery, CloudTrail keeps logging but no digest chain exists to prove the logs intact.",
		Audit: "trailseal reads LatestDigestDeliveryTime and LatestDigestDeliveryError from GetTrailStatus and compares the time " +
			"with the scan time (digests are written hourly). By hand: " +
			"`aws cloudtrail get-trail-status --name <trail ARN> --query '[IsLogging,LatestDigestDeliveryTime,LatestDigestDeliveryError]'`.",
		Remediation: Remediation{
			Console: "Fix the cause named by LatestDigestDeliveryError: usually the bucket policy must allow cloudtrail.amazonaws.com " +
				"s3:PutObject on AWSLogs/<account>/*, and a policy forcing SSE-KMS must also allow AES256 (digests are written with SSE-S3).",
			CLI: "aws cloudtrail get-trail-status --name <trail ARN>\n" +
				"aws s3api get-bucket-policy --bucket <bucket>\n" +
				"aws s3api put-bucket-policy --bucket <bucket> --policy file://trail-bucket-policy.json",
			Terraform: "resource \"aws_s3_bucket_policy\" \"trail\" {\n  bucket = aws_s3_bucket.trail.id\n  policy = data.aws_iam_policy_document.trail.json\n}\n\ndata \"aws_iam_policy_document\" \"trail\" {\n  statement {\n    actions   = [\"s3:PutObject\"]\n    resources = [\"${aws_s3_bucket.trail.arn}/AWSLogs/${data.aws_caller_identity.current.account_id}/*\"]\n    principals {\n      type        = \"Service\"\n      identifiers = [\"cloudtrail.amazonaws.com\"]\n    }\n    condition {\n      test     = \"StringEquals\"\n      variable = \"aws:SourceArn\"\n      values   = [aws_cloudtrail.main.arn]\n    }\n  }\n}",
		},
		References: []string{
			"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html",
			"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html",
		},
	}
}

func trailDeliveryHealthRule() Rule {
	return Rule{
		ID:       "trail.delivery_health",
		Severity: Medium,
		Title:    "Log files and notifications are delivered without errors",
		Scope:    "trail",
		Rationale: "A logging trail whose deliveries fail (a changed bucket policy, a deleted bucket, a broken SNS topic) " +
			"looks healthy in the console while no log reaches storage.",
		Audit: "trailseal reads LatestDeliveryError, LatestNotificationError and LatestDeliveryTime from GetTrailStatus and " +
			"compares the time with the scan time. By hand: `aws cloudtrail get-trail-status --name <trail ARN>`.",
		Remediation: Remediation{
			Console: "Fix the cause the error names: the S3 bucket policy must let cloudtrail.amazonaws.com write " +
				"AWSLogs/<account>/*; the SNS topic policy must let it publish.",
			CLI: "aws cloudtrail get-trail-status --name <trail ARN>\n" +
				"aws s3api put-bucket-policy --bucket <bucket> --policy file://trail-bucket-policy.json\n" +
				"aws sns set-topic-attributes --topic-arn <topic ARN> --attribute-name Policy --attribute-value file://topic-policy.json",
			Terraform: "resource \"aws_s3_bucket_policy\" \"trail\" {\n  bucket = aws_s3_bucket.trail.id\n  policy = data.aws_iam_policy_document.trail.json\n}",
		},
		References: []string{
			"https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetTrailStatus.html",
			"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html",
		},
		Frameworks: []Framework{{Framework: "conformity", Control: "CT-011"}},
	}
}

func trailCloudWatchLogsRule() Rule {
	return Rule{
		ID:       "trail.cloudwatch_logs",
		Severity: Medium,
		Title:    "Trail delivers to CloudWatch Logs",
		Scope:    "trail",
		Rationale: "CloudWatch Logs delivery enables real-time metric filters and alarms on sensitive API calls " +
			"(stopping the trail, policy changes, root use); without it, nobody hears about them until an audit.",
		Audit: "trailseal reads CloudWatchLogsLogGroupArn from DescribeTrails and LatestCloudWatchLogsDeliveryTime/Error from " +
			"GetTrailStatus. By hand: `aws cloudtrail describe-trails --query 'trailList[].[Name,CloudWatchLogsLogGroupArn]'` and " +
			"`aws cloudtrail get-trail-status --name <trail ARN> --query '[LatestCloudWatchLogsDeliveryTime,LatestCloudWatchLogsDeliveryError]'`.",
		Remediation: Remediation{
			Console: "CloudTrail console > Trails > choose the trail > CloudWatch Logs > Edit > Enabled; pick or create a log group " +
				"and an IAM role that CloudTrail can assume to write to it.",
			CLI: "aws logs create-log-group --log-group-name cloudtrail/<trail>\n" +
				"aws cloudtrail update-trail --name <trail ARN> --cloud-watch-logs-log-group-arn arn:aws:logs:<region>:<account>:log-group:cloudtrail/<trail>:* --cloud-watch-logs-role-arn <role ARN>",
			Terraform: "resource \"aws_cloudwatch_log_group\" \"trail\" {\n  name              = \"cloudtrail/main\"\n  retention_in_days = 365\n}\n\n" +
				"resource \"aws_cloudtrail\" \"main\" {\n  # ...\n  cloud_watch_logs_group_arn = \"${aws_cloudwatch_log_group.trail.arn}:*\"\n  cloud_watch_logs_role_arn  = aws_iam_role.trail_to_cwl.arn\n}",
		},
		References: []string{
			"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html",
			"https://docs.aws.amazon.com/securityhub/latest/userguide/cloudtrail-controls.html#cloudtrail-5",
		},
		Frameworks: []Framework{{Framework: "cis-1.4", Control: "3.4"}, {Framework: "fsbp", Control: "CloudTrail.5"}},
	}
}

func trailKMSEncryptionRule() Rule {
	return Rule{
		ID:       "trail.kms_encryption",
		Severity: Medium,
		Title:    "Trail log files are encrypted with a KMS key",
		Scope:    "trail",
		Rationale: "With SSE-KMS, reading the logs needs kms:Decrypt on the key as well as s3:GetObject, which adds a second, " +
			"separately audited control over who can read the account's activity record.",
		Audit: "trailseal reads KmsKeyId from DescribeTrails. By hand: `aws cloudtrail describe-trails --query 'trailList[].[Name,KmsKeyId]'`.",
		Remediation: Remediation{
			Console: "CloudTrail console > Trails > choose the trail > General details > Edit > Log file SSE-KMS encryption: Enabled; " +
				"choose a customer managed key in the bucket's region whose policy lets cloudtrail.amazonaws.com use it.",
			CLI: "aws cloudtrail update-trail --name <trail ARN> --kms-key-id <key ARN>",
			Terraform: "resource \"aws_kms_key\" \"trail\" {\n  description         = \"CloudTrail logs\"\n  enable_key_rotation = true\n  policy              = data.aws_iam_policy_document.trail_key.json\n}\n\n" +
				"resource \"aws_cloudtrail\" \"main\" {\n  # ...\n  kms_key_id = aws_kms_key.trail.arn\n}",
		},
		References: []string{
			"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/encrypting-cloudtrail-log-files-with-aws-kms.html",
			"https://docs.aws.amazon.com/securityhub/latest/userguide/cloudtrail-controls.html#cloudtrail-2",
		},
		Frameworks: append(trailCIS("3.7", "3.5"), Framework{Framework: "fsbp", Control: "CloudTrail.2"}),
	}
}

func trailKMSKeyRotationRule() Rule {
	return Rule{
		ID:       "trail.kms_key_rotation",
		Severity: Medium,
		Title:    "The trail's customer managed KMS key rotates automatically",
		Scope:    "trail",
		Rationale: "Automatic rotation limits how much data one key version protects; old versions stay available, so " +
			"existing logs remain readable.",
		Audit: "trailseal resolves the trail's KmsKeyId, reads kms:DescribeKey (AWS managed keys rotate on their own) and " +
			"kms:GetKeyRotationStatus. By hand: `aws kms describe-key --key-id <key ARN>` and `aws kms get-key-rotation-status --key-id <key ARN>`.",
		Remediation: Remediation{
			Console:   "KMS console > Customer managed keys > choose the key > Key rotation > Automatically rotate this KMS key every year.",
			CLI:       "aws kms enable-key-rotation --key-id <key ARN>",
			Terraform: "resource \"aws_kms_key\" \"trail\" {\n  # ...\n  enable_key_rotation = true\n}",
		},
		References: []string{"https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html"},
		Frameworks: trailCIS("3.8", "3.6"),
	}
}

func trailKMSKeyUsableRule() Rule {
	return Rule{
		ID:       "trail.kms_key_usable",
		Severity: Critical,
		Title:    "The trail's KMS key is enabled and in the bucket's region",
		Scope:    "trail",
		Rationale: "CloudTrail cannot encrypt, and so cannot deliver, log files when its key is disabled, scheduled for " +
			"deletion, or in a region other than the bucket's. Logging then silently stops reaching storage.",
		Audit: "trailseal reads kms:DescribeKey (KeyState, Enabled) for the trail's key and compares the key's region with " +
			"the bucket's (s3:GetBucketLocation). By hand: `aws kms describe-key --key-id <key ARN> --query 'KeyMetadata.[KeyState,Enabled]'` " +
			"and `aws s3api get-bucket-location --bucket <bucket>`.",
		Remediation: Remediation{
			Console: "KMS console > choose the key > Key actions > Enable (or Cancel key deletion, then Enable). If the key is in " +
				"another region, create a key in the bucket's region and select it on the trail.",
			CLI: "aws kms cancel-key-deletion --key-id <key ARN>\n" +
				"aws kms enable-key --key-id <key ARN>\n" +
				"aws cloudtrail update-trail --name <trail ARN> --kms-key-id <key ARN in the bucket's region>",
			Terraform: "resource \"aws_kms_key\" \"trail\" {\n  # must be created with a provider for the bucket's region\n  is_enabled              = true\n  deletion_window_in_days = 30\n  enable_key_rotation     = true\n}",
		},
		References: []string{
			"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/encrypting-cloudtrail-log-files-with-aws-kms.html",
			"https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html",
		},
	}
}

func trailS3DataEventsRule(write bool) Rule {
	dir, id, sev := "READ", "trail.s3_data_events_read", Low
	fw := append(trailCIS("3.11", "3.9"), Framework{Framework: "fsbp", Control: "S3.23"})
	rw, readOnly := "ReadOnly", "true"
	if write {
		dir, id, sev = "WRITE", "trail.s3_data_events_write", Medium
		fw = append(trailCIS("3.10", "3.8"), Framework{Framework: "fsbp", Control: "S3.22"})
		rw, readOnly = "WriteOnly", "false"
	}
	return Rule{
		ID:       id,
		Severity: sev,
		Title:    fmt.Sprintf("Object-level %s events are logged for all S3 buckets", dir),
		Scope:    "account",
		Rationale: fmt.Sprintf("Management events do not show who touched which object. Object-level %s data events for every "+
			"current and future bucket record %s, which investigations of data theft or tampering depend on.", dir,
			map[bool]string{true: "each PutObject, DeleteObject and CopyObject", false: "each GetObject and HeadObject"}[write]),
		Audit: fmt.Sprintf("trailseal evaluates the event selectors of every trail and looks for one logging, multi-region trail "+
			"that records S3 object %s events for all buckets: a selector with eventCategory Data and resources.type "+
			"AWS::S3::Object and no readOnly, eventName or resources.ARN condition that leaves out a bucket or an API "+
			"(basic: DataResources AWS::S3::Object with value arn:aws:s3). The finding lists each trail's coverage. "+
			"By hand: `aws cloudtrail get-event-selectors --trail-name <trail ARN>`.", dir),
		Remediation: Remediation{
			Console: fmt.Sprintf("CloudTrail console > Trails > choose a multi-region trail > Data events > Edit > Add data event type: "+
				"S3; Log selector template: Log %s events (or all events); no bucket or prefix restriction.",
				map[bool]string{true: "writeOnly", false: "readOnly"}[write]),
			CLI: fmt.Sprintf("aws cloudtrail put-event-selectors --trail-name <trail ARN> --advanced-event-selectors '["+
				"{\"Name\":\"Management events\",\"FieldSelectors\":[{\"Field\":\"eventCategory\",\"Equals\":[\"Management\"]}]},"+
				"{\"Name\":\"S3 object %s\",\"FieldSelectors\":[{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]},"+
				"{\"Field\":\"resources.type\",\"Equals\":[\"AWS::S3::Object\"]},{\"Field\":\"readOnly\",\"Equals\":[\"%s\"]}]}]'\n"+
				"# this replaces the trail's selectors: keep any others it needs. Basic form: "+
				"--event-selectors '[{\"ReadWriteType\":\"%s\",\"IncludeManagementEvents\":true,\"DataResources\":[{\"Type\":\"AWS::S3::Object\",\"Values\":[\"arn:aws:s3\"]}]}]'",
				strings.ToLower(dir), readOnly, rw),
			Terraform: fmt.Sprintf("resource \"aws_cloudtrail\" \"main\" {\n  # ...\n  advanced_event_selector {\n    name = \"Management events\"\n"+
				"    field_selector {\n      field  = \"eventCategory\"\n      equals = [\"Management\"]\n    }\n  }\n\n"+
				"  advanced_event_selector {\n    name = \"S3 object %s\"\n    field_selector {\n      field  = \"eventCategory\"\n      equals = [\"Data\"]\n    }\n"+
				"    field_selector {\n      field  = \"resources.type\"\n      equals = [\"AWS::S3::Object\"]\n    }\n"+
				"    field_selector {\n      field  = \"readOnly\"\n      equals = [\"%s\"]\n    }\n  }\n}", strings.ToLower(dir), readOnly),
		},
		References: []string{
			"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html",
			"https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-cloudtrail-logging-for-s3.html",
		},
		Frameworks: fw,
	}
}

func trailInsightsRule() Rule {
	return Rule{
		ID:       "trail.insights",
		Severity: Low,
		Title:    "CloudTrail Insights is enabled on logging trails",
		Scope:    "trail",
		Rationale: "Insights learns the normal rate of write API calls and of API errors and flags bursts, such as mass " +
			"resource creation or a credential probing for permissions, that individual events do not reveal.",
		Audit: "trailseal reads GetInsightSelectors for each logging trail. By hand: `aws cloudtrail get-insight-selectors --trail-name <trail ARN>`.",
		Remediation: Remediation{
			Console: "CloudTrail console > Trails > choose the trail > Insights events > Edit > select API call rate and API error rate.",
			CLI:     "aws cloudtrail put-insight-selectors --trail-name <trail ARN> --insight-selectors '[{\"InsightType\":\"ApiCallRateInsight\"},{\"InsightType\":\"ApiErrorRateInsight\"}]'",
			Terraform: "resource \"aws_cloudtrail\" \"main\" {\n  # ...\n  insight_selector {\n    insight_type = \"ApiCallRateInsight\"\n  }\n" +
				"  insight_selector {\n    insight_type = \"ApiErrorRateInsight\"\n  }\n}",
		},
		References: []string{"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-insights-events-with-cloudtrail.html"},
	}
}

func trailCIS(c14, c30 string) []Framework {
	// CIS v3, v4 and v5 share their CloudTrail section numbering.
	return []Framework{
		{Framework: "cis-1.4", Control: c14},
		{Framework: "cis-3.0", Control: c30},
		{Framework: "cis-4.0", Control: c30},
		{Framework: "cis-5.0", Control: c30},
	}
}
