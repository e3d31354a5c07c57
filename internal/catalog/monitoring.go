package catalog

import "fmt"

// monitoringRules returns the CloudWatch alarm rules and the AWS Config
// recorder rule.
func monitoringRules() []Rule {
	return []Rule{
		{
			ID:       "monitoring.trail_changes_alarm",
			Severity: Medium,
			Title:    "An alarm notifies someone when a trail is created, changed, deleted, started or stopped",
			Scope:    "monitoring",
			Rationale: "Stopping or reconfiguring a trail is the first move of an intruder who wants to act unseen. " +
				"A metric filter on the trail's CloudWatch Logs group with an alarm and a subscribed SNS topic turns such a change into a page within minutes, " +
				"instead of a gap discovered at the next audit.",
			Audit: "An alarm counts only if a trail delivers the events it watches: trailseal takes every multi-region trail that is logging, whose event selectors " +
				"record the write management events CreateTrail, UpdateTrail, DeleteTrail, StartLogging and StopLogging of cloudtrail.amazonaws.com " +
				"(a read-only trail, or one with management events off, feeds an alarm that can never fire), and that delivers to CloudWatch Logs. " +
				"It evaluates each metric filter of that log group against " +
				"sample CloudTrail records of the five calls, and requires a filter that matches all five, " +
				"an alarm on that filter's metric with actions enabled, and an SNS topic action with at least one confirmed subscription. " +
				"Only an alarm on the metric as the filter publishes it counts: a filter that publishes its metric with dimensions makes one metric per " +
				"dimension value, which trailseal does not enumerate, so that case is MANUAL.\n" +
				"By hand:\n" +
				"  aws cloudtrail describe-trails --query 'trailList[?IsMultiRegionTrail].[Name,CloudWatchLogsLogGroupArn]'\n" +
				"  aws cloudtrail get-trail-status --name <trail ARN>   # IsLogging\n" +
				"  aws cloudtrail get-event-selectors --trail-name <trail ARN>   # management events, ReadWriteType All or WriteOnly\n" +
				"  aws logs describe-metric-filters --log-group-name <group>\n" +
				"  aws cloudwatch describe-alarms-for-metric --metric-name <metric> --namespace <namespace>\n" +
				"  aws sns list-subscriptions-by-topic --topic-arn <topic>",
			Remediation: Remediation{
				Console: monRestoreSelectorsConsole + "CloudWatch > Log groups > the trail's group > Metric filters > Create metric filter with the pattern below; " +
					"then Create alarm on the new metric (Sum >= 1 over 5 minutes) and notify an SNS topic; confirm the topic's e-mail subscription.",
				CLI: monRestoreSelectorsCLI +
					"aws logs put-metric-filter --log-group-name <group> --filter-name CloudTrailChanges --metric-transformations " +
					"metricName=CloudTrailChangeCount,metricNamespace=CISBenchmark,metricValue=1 --filter-pattern '" + TrailChangesPattern + "'\n" +
					"aws sns create-topic --name cloudtrail-alerts\n" +
					"aws sns subscribe --topic-arn <topic-arn> --protocol email --notification-endpoint security@example.com\n" +
					"aws cloudwatch put-metric-alarm --alarm-name CloudTrailChanges --metric-name CloudTrailChangeCount --namespace CISBenchmark " +
					"--statistic Sum --period 300 --threshold 1 --comparison-operator GreaterThanOrEqualToThreshold --evaluation-periods 1 --alarm-actions <topic-arn>",
				Terraform: monTerraform("cloudtrail_changes", "CloudTrailChangeCount", TrailChangesPattern),
			},
			References: []string{
				"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudwatch-alarms-for-cloudtrail.html",
				"https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html",
				"https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-5",
			},
			Frameworks: []Framework{
				{Framework: "cis-1.4", Control: "4.5"},
				{Framework: "cis-3.0", Control: "4.5"},
				{Framework: "cis-4.0", Control: "4.5"},
				{Framework: "cis-5.0", Control: "4.5"},
				{Framework: "fsbp", Control: "CloudWatch.5"},
			},
		},
		{
			ID:       "monitoring.bucket_policy_changes_alarm",
			Severity: Low,
			Title:    "An alarm notifies someone when an S3 bucket policy, ACL, CORS, lifecycle or replication setting changes",
			Scope:    "monitoring",
			Rationale: "A changed bucket policy or ACL can expose a bucket, including the trail bucket, and a changed lifecycle or replication can quietly delete or copy logs. " +
				"An alarm on these calls shortens the time such a change goes unnoticed.",
			Audit: "An alarm counts only if a trail delivers the events it watches: trailseal takes every multi-region trail that is logging, whose event selectors " +
				"record the nine write management events below of s3.amazonaws.com, and that delivers to CloudWatch Logs. It evaluates each metric filter of that log group against " +
				"sample CloudTrail records (eventSource s3.amazonaws.com) of PutBucketAcl, PutBucketPolicy, PutBucketCors, PutBucketLifecycle, PutBucketReplication, " +
				"DeleteBucketPolicy, DeleteBucketCors, DeleteBucketLifecycle and DeleteBucketReplication, and requires a filter that matches all nine, " +
				"an alarm on its metric with actions enabled, and an SNS topic action with at least one confirmed subscription. " +
				"Only an alarm on the metric as the filter publishes it counts: a filter that publishes its metric with dimensions makes one metric per " +
				"dimension value, which trailseal does not enumerate, so that case is MANUAL.\n" +
				"By hand:\n" +
				"  aws cloudtrail get-event-selectors --trail-name <trail ARN>   # management events, ReadWriteType All or WriteOnly\n" +
				"  aws logs describe-metric-filters --log-group-name <group>\n" +
				"  aws cloudwatch describe-alarms-for-metric --metric-name <metric> --namespace <namespace>\n" +
				"  aws sns list-subscriptions-by-topic --topic-arn <topic>",
			Remediation: Remediation{
				Console: monRestoreSelectorsConsole + "CloudWatch > Log groups > the trail's group > Metric filters > Create metric filter with the pattern below; " +
					"then Create alarm on the new metric (Sum >= 1 over 5 minutes) and notify an SNS topic with a confirmed subscription.",
				CLI: monRestoreSelectorsCLI +
					"aws logs put-metric-filter --log-group-name <group> --filter-name S3BucketPolicyChanges --metric-transformations " +
					"metricName=S3BucketPolicyChangeCount,metricNamespace=CISBenchmark,metricValue=1 --filter-pattern '" + BucketPolicyChangesPattern + "'\n" +
					"aws sns subscribe --topic-arn <topic-arn> --protocol email --notification-endpoint security@example.com\n" +
					"aws cloudwatch put-metric-alarm --alarm-name S3BucketPolicyChanges --metric-name S3BucketPolicyChangeCount --namespace CISBenchmark " +
					"--statistic Sum --period 300 --threshold 1 --comparison-operator GreaterThanOrEqualToThreshold --evaluation-periods 1 --alarm-actions <topic-arn>",
				Terraform: monTerraform("s3_bucket_policy_changes", "S3BucketPolicyChangeCount", BucketPolicyChangesPattern),
			},
			References: []string{
				"https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html",
				"https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-8",
			},
			Frameworks: []Framework{
				{Framework: "cis-1.4", Control: "4.8"},
				{Framework: "cis-3.0", Control: "4.8"},
				{Framework: "cis-4.0", Control: "4.8"},
				{Framework: "cis-5.0", Control: "4.8"},
				{Framework: "fsbp", Control: "CloudWatch.8"},
			},
		},
		{
			ID:       "config.recorder",
			Severity: Medium,
			Title:    "AWS Config records S3 buckets in every region that holds a trail bucket",
			Scope:    "config",
			Rationale: "AWS Config keeps the configuration history of the trail bucket: who loosened its policy, when versioning or Object Lock changed. " +
				"That history lives outside the bucket, so it survives when the bucket's own logs are tampered with, and it feeds Config rules that flag drift.",
			Audit: "For each region that holds a trail bucket owned by the scanned account, trailseal reads the configuration recorders and their status, " +
				"and requires one that is recording, whose latest recording did not fail, and that records all supported resource types, " +
				"AWS::S3::Bucket, or (exclusion strategy) every type but a list that leaves AWS::S3::Bucket in.\n" +
				"By hand, in each such region:\n" +
				"  aws configservice describe-configuration-recorders --region <region>\n" +
				"  aws configservice describe-configuration-recorder-status --region <region>",
			Remediation: Remediation{
				Console: "AWS Config console in the bucket's region > Settings (or Get started) > Record all resources supported in this region > choose a delivery bucket > Save; make sure recording is on.",
				CLI: "aws configservice put-configuration-recorder --region <region> --configuration-recorder " +
					"name=default,roleARN=arn:aws:iam::<account>:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig " +
					"--recording-group allSupported=true,includeGlobalResourceTypes=false\n" +
					"aws configservice put-delivery-channel --region <region> --delivery-channel name=default,s3BucketName=<config-bucket>\n" +
					"aws configservice start-configuration-recorder --region <region> --configuration-recorder-name default",
				Terraform: `resource "aws_config_configuration_recorder" "this" {
  name     = "default"
  role_arn = aws_iam_service_linked_role.config.arn
  recording_group {
    all_supported = true
  }
}

resource "aws_config_delivery_channel" "this" {
  name           = "default"
  s3_bucket_name = aws_s3_bucket.config.id
  depends_on     = [aws_config_configuration_recorder.this]
}

resource "aws_config_configuration_recorder_status" "this" {
  name       = aws_config_configuration_recorder.this.name
  is_enabled = true
  depends_on = [aws_config_delivery_channel.this]
}`,
			},
			References: []string{
				"https://docs.aws.amazon.com/config/latest/developerguide/stop-start-recorder.html",
				"https://docs.aws.amazon.com/securityhub/latest/userguide/config-controls.html#config-1",
			},
			Frameworks: []Framework{
				{Framework: "cis-1.4", Control: "3.5"},
				{Framework: "cis-3.0", Control: "3.3"},
				{Framework: "cis-5.0", Control: "3.3"},
				{Framework: "fsbp", Control: "Config.1"},
			},
		},
	}
}

// monRestoreSelectors* come first in the alarm remediations: an alarm is
// useless while the trail that feeds it records no write management events.
const (
	monRestoreSelectorsConsole = "If the trail records no write management events, first restore them: CloudTrail > Trails > the trail > " +
		"Management events > Edit > API activity: Read and Write. Then: "
	monRestoreSelectorsCLI = "# if the trail records no write management events (keep any data event selectors it needs):\n" +
		"aws cloudtrail put-event-selectors --trail-name <trail ARN> --event-selectors '[{\"ReadWriteType\":\"All\",\"IncludeManagementEvents\":true}]'\n"
)

// TrailChangesPattern is the CIS metric filter pattern for trail changes
// (the remediation of monitoring.trail_changes_alarm).
const TrailChangesPattern = `{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }`

// BucketPolicyChangesPattern is the CIS metric filter pattern for bucket
// policy changes (the remediation of monitoring.bucket_policy_changes_alarm).
const BucketPolicyChangesPattern = `{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }`

func monTerraform(name, metric, pattern string) string {
	return fmt.Sprintf(`resource "aws_cloudwatch_log_metric_filter" "%[1]s" {
  name           = "%[1]s"
  log_group_name = aws_cloudwatch_log_group.cloudtrail.name
  pattern        = %[3]q
  metric_transformation {
    name      = "%[2]s"
    namespace = "CISBenchmark"
    value     = "1"
  }
}

resource "aws_cloudwatch_metric_alarm" "%[1]s" {
  alarm_name          = "%[1]s"
  metric_name         = "%[2]s"
  namespace           = "CISBenchmark"
  statistic           = "Sum"
  period              = 300
  threshold           = 1
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  alarm_actions       = [aws_sns_topic.security_alerts.arn]
}`, name, metric, pattern)
}
