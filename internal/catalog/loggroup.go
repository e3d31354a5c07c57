package catalog

func trailLogGroupRetentionRule() Rule {
	return Rule{
		ID:       "trail.log_group_retention",
		Severity: Low,
		Title:    "The trail's CloudWatch Logs group keeps events at least as long as the required retention",
		Scope:    "trail",
		Rationale: "The CloudWatch Logs copy of the trail is what analysts query and what metric filters and alarms read. " +
			"A short retention setting deletes those events after days or weeks, so an investigation that starts late, " +
			"or an intruder who waits, finds nothing there; the S3 archive remains, but only for those who can reach and query it.",
		Audit: "For each CloudWatch Logs group a trail delivers to, trailseal reads retentionInDays from DescribeLogGroups and " +
			"requires no retention setting (events never expire) or at least min-retention-days (default 365). By hand:\n" +
			"  aws logs describe-log-groups --log-group-name-prefix <group> --query 'logGroups[].[logGroupName,retentionInDays]'",
		Remediation: Remediation{
			Console: "CloudWatch console > Log groups > the trail's log group > Actions > Edit retention setting: choose at least " +
				"the required retention (for example 1 year), or Never expire.",
			CLI: "aws logs put-retention-policy --log-group-name <group> --retention-in-days 365\n" +
				"# or keep events forever:\n" +
				"aws logs delete-retention-policy --log-group-name <group>",
			Terraform: "resource \"aws_cloudwatch_log_group\" \"trail\" {\n  name              = \"cloudtrail/main\"\n  retention_in_days = 365\n}",
		},
		References: []string{
			logGroupRefRetention,
			"https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html",
			"https://docs.aws.amazon.com/config/latest/developerguide/cw-loggroup-retention-period-check.html",
			logGroupRefTrailCWL,
		},
		Frameworks: []Framework{{Framework: "aws-config", Control: "cw-loggroup-retention-period-check"}},
	}
}

func trailLogGroupEncryptionRule() Rule {
	return Rule{
		ID:       "trail.log_group_encryption",
		Severity: Low,
		Title:    "The trail's CloudWatch Logs group is encrypted with a KMS key",
		Scope:    "trail",
		Rationale: "The trail's log group holds the same record of account activity as the S3 archive. Encrypting it with a " +
			"customer managed KMS key means reading it takes kms:Decrypt on that key as well as logs:GetLogEvents, and every " +
			"use of the key is itself logged: the same second control trail.kms_encryption puts on the S3 copy.",
		Audit: "For each CloudWatch Logs group a trail delivers to, trailseal reads kmsKeyId from DescribeLogGroups and requires " +
			"one. By hand:\n" +
			"  aws logs describe-log-groups --log-group-name-prefix <group> --query 'logGroups[].[logGroupName,kmsKeyId]'",
		Remediation: Remediation{
			Console: "First let CloudWatch Logs use the key: KMS console > the key > Key policy > Edit, and allow the service principal " +
				"logs.<region>.amazonaws.com kms:Encrypt*, kms:Decrypt*, kms:ReEncrypt*, kms:GenerateDataKey* and kms:Describe* " +
				"with the condition ArnLike kms:EncryptionContext:aws:logs:arn on the log group's ARN. Then associate the key with " +
				"the trail's log group (the AWS CLI command below), or create a new group with the key (CloudWatch console > " +
				"Log groups > Create log group > KMS key ARN) and choose it on the trail (CloudTrail console > the trail > CloudWatch Logs > Edit).",
			CLI: "# the key policy must allow logs.<region>.amazonaws.com to use the key (see Console)\n" +
				"aws logs associate-kms-key --log-group-name <group> --kms-key-id <key ARN>",
			Terraform: "resource \"aws_cloudwatch_log_group\" \"trail\" {\n  name              = \"cloudtrail/main\"\n" +
				"  retention_in_days = 365\n  kms_key_id        = aws_kms_key.logs.arn\n}\n\n" +
				"resource \"aws_kms_key\" \"logs\" {\n  description         = \"CloudTrail log group\"\n  enable_key_rotation = true\n" +
				"  policy              = data.aws_iam_policy_document.logs_key.json # allows logs.<region>.amazonaws.com\n}",
		},
		References: []string{
			logGroupRefEncryption,
			"https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_AssociateKmsKey.html",
			"https://docs.aws.amazon.com/config/latest/developerguide/cloudwatch-log-group-encrypted.html",
			logGroupRefTrailCWL,
		},
		Frameworks: []Framework{{Framework: "aws-config", Control: "cloudwatch-log-group-encrypted"}},
	}
}

const (
	logGroupRefRetention  = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Working-with-log-groups-and-streams.html#SettingLogRetention"
	logGroupRefEncryption = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html"
	logGroupRefTrailCWL   = "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html"
)
