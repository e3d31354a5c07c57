package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/selectors"
)

// Age limits for deliveries. CloudTrail delivers digest files hourly and
// log files within minutes, so anything older means delivery has stopped.
const (
	trailDigestMaxAge   = 2 * time.Hour
	trailDeliveryMaxAge = 24 * time.Hour
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

func trailCIS(c14, c30 string) []Framework {
	// CIS v3, v4 and v5 share their CloudTrail section numbering.
	return []Framework{
		{Framework: "cis-1.4", Control: c14},
		{Framework: "cis-3.0", Control: c30},
		{Framework: "cis-4.0", Control: c30},
		{Framework: "cis-5.0", Control: c30},
	}
}

// trailEach applies check to every trail that records the account. With no
// trail at all there is nothing to judge: the account rules report that.
func trailEach(inv *inventory.Inventory, check func(t inventory.Trail, trails []inventory.Trail) Result) []Result {
	trails := acctTrails(inv)
	if len(trails) == 0 {
		return trailNone(inv, "no CloudTrail trail exists (see account.trail_logging)")
	}
	out := make([]Result, 0, len(trails)+1)
	for _, t := range trails {
		out = append(out, check(t, trails))
	}
	return trailListGap(inv, out)
}

// trailNone is the finding of a rule that judges trails, or what they
// deliver to, when there is none: N/A with msg, but only when the trail
// list was read in every region. Otherwise "no trail" is no fact: ERROR.
func trailNone(inv *inventory.Inventory, msg string) []Result {
	if r, ok := acctUndecided(inv, nil, acctRootARN(inv), "no trail found"); ok {
		return []Result{r}
	}
	return []Result{notApplicable("global", acctRootARN(inv), msg)}
}

// trailListGap adds to a rule's findings an ERROR for the regions whose
// trails could not be listed: a single-region trail homed there was judged
// by no rule. (Multi-region and organization trails show up in every
// region's list, so they are judged.)
func trailListGap(inv *inventory.Inventory, out []Result) []Result {
	if len(inv.RegionErrors) == 0 {
		return out
	}
	var regions, calls []string
	for _, re := range inv.RegionErrors {
		regions = append(regions, acctUnlistedRegion(re))
		calls = append(calls, re.Error.Call+": "+re.Error.Code)
	}
	return append(out, Result{
		Status:   findings.Error,
		Region:   "global",
		Resource: acctRootARN(inv),
		Message: "trails could not be listed in " + strings.Join(regions, ", ") +
			": a single-region trail homed there was not checked; grant cloudtrail:DescribeTrails there and rescan",
		Evidence: findings.Evidence{"unreadable": calls},
	})
}

func trailTime(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

func trailAge(now time.Time, t *time.Time) string {
	return now.Sub(*t).Round(time.Minute).String()
}

// trailNoScanTime is the finding for a freshness test that cannot be made:
// without the scan time every delivery would look recent.
func trailNoScanTime(t inventory.Trail, what string) Result {
	return Result{
		Status:   findings.Error,
		Region:   t.HomeRegion,
		Resource: t.ARN,
		Message:  "cannot tell how recent the newest " + what + " is: the inventory has no scan time (collectedAt); rescan to produce a complete snapshot",
		Evidence: findings.Evidence{"collectedAt": ""},
	}
}

func trailStoppedAt(st *inventory.TrailStatus) string {
	if st.StopLoggingTime == nil {
		return "logging stopped, no StopLoggingTime reported"
	}
	return "logging stopped at " + trailTime(st.StopLoggingTime)
}

func trailLoggingRule() Rule {
	return Rule{
		ID:        "trail.logging",
		Severity:  findings.High,
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
		Check: func(inv *inventory.Inventory, _ Options) []Result {
			return trailEach(inv, func(t inventory.Trail, _ []inventory.Trail) Result {
				if r, stop := missing(t.Status, "trail status (GetTrailStatus)", t.HomeRegion, t.ARN); stop {
					return r
				}
				st := t.Status.Value
				ev := findings.Evidence{"isLogging": st.IsLogging, "startLoggingTime": trailTime(st.StartLoggingTime), "stopLoggingTime": trailTime(st.StopLoggingTime)}
				if !st.IsLogging {
					return fail(t.HomeRegion, t.ARN, trailStoppedAt(st), ev)
				}
				return pass(t.HomeRegion, t.ARN, "logging since "+trailTime(st.StartLoggingTime), ev)
			})
		},
	}
}

func trailMultiRegionRule() Rule {
	return Rule{
		ID:        "trail.multi_region",
		Severity:  findings.Medium,
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
		// CIS 3.1 is judged per account (account.multi_region_trail): one
		// good trail satisfies it, so this per-trail rule maps to no control.
		Check: func(inv *inventory.Inventory, _ Options) []Result {
			return trailEach(inv, func(t inventory.Trail, _ []inventory.Trail) Result {
				ev := findings.Evidence{"isMultiRegionTrail": t.IsMultiRegion}
				if !t.IsMultiRegion {
					return fail(t.HomeRegion, t.ARN, "single-region trail: records "+t.HomeRegion+" only", ev)
				}
				return pass(t.HomeRegion, t.ARN, "multi-region trail", ev)
			})
		},
	}
}

func trailGlobalServiceEventsRule() Rule {
	return Rule{
		ID:       "trail.global_service_events",
		Severity: findings.Medium,
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
		Check: func(inv *inventory.Inventory, _ Options) []Result {
			return trailEach(inv, func(t inventory.Trail, all []inventory.Trail) Result {
				if !t.IsMultiRegion && len(all) > 1 {
					return notApplicable(t.HomeRegion, t.ARN, "single-region trail alongside other trails: global service events belong on a multi-region trail")
				}
				ev := findings.Evidence{"includeGlobalServiceEvents": t.IncludeGlobalServiceEvents, "isMultiRegionTrail": t.IsMultiRegion, "trailCount": len(all)}
				if !t.IncludeGlobalServiceEvents {
					return fail(t.HomeRegion, t.ARN, "IncludeGlobalServiceEvents is false: IAM, STS and CloudFront events are not recorded", ev)
				}
				return pass(t.HomeRegion, t.ARN, "IncludeGlobalServiceEvents is true", ev)
			})
		},
	}
}

func trailManagementEventsRule() Rule {
	return Rule{
		ID:       "trail.management_events",
		Severity: findings.Medium,
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
		Check: func(inv *inventory.Inventory, _ Options) []Result {
			return trailEach(inv, func(t inventory.Trail, _ []inventory.Trail) Result {
				if r, stop := missing(t.Selectors, "event selectors (GetEventSelectors)", t.HomeRegion, t.ARN); stop {
					return r
				}
				m := selectors.EvaluatePartition(*t.Selectors.Value, acctPartition(inv)).Management
				ev := findings.Evidence{"read": m.Read.Level, "write": m.Write.Level, "excludedSources": m.ExcludedSources}
				msg := "management events: " + m.Describe()
				if m.Kind() != selectors.ManagementAll {
					return fail(t.HomeRegion, t.ARN, msg, ev)
				}
				return pass(t.HomeRegion, t.ARN, msg, ev)
			})
		},
	}
}

func trailLogFileValidationRule() Rule {
	return Rule{
		ID:       "trail.log_file_validation",
		Severity: findings.High,
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
		Check: func(inv *inventory.Inventory, _ Options) []Result {
			return trailEach(inv, func(t inventory.Trail, _ []inventory.Trail) Result {
				ev := findings.Evidence{"logFileValidationEnabled": t.LogFileValidationEnabled}
				if !t.LogFileValidationEnabled {
					return fail(t.HomeRegion, t.ARN, "log file validation is disabled", ev)
				}
				return pass(t.HomeRegion, t.ARN, "log file validation is enabled", ev)
			})
		},
	}
}

func trailDigestDeliveryRule() Rule {
	return Rule{
		ID:       "trail.digest_delivery",
		Severity: findings.High,
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
		Check: func(inv *inventory.Inventory, _ Options) []Result {
			return trailEach(inv, func(t inventory.Trail, _ []inventory.Trail) Result {
				if !t.LogFileValidationEnabled {
					return notApplicable(t.HomeRegion, t.ARN, "log file validation is disabled, so no digests are expected (see trail.log_file_validation)")
				}
				if r, stop := missing(t.Status, "trail status (GetTrailStatus)", t.HomeRegion, t.ARN); stop {
					return r
				}
				st := t.Status.Value
				ev := findings.Evidence{"isLogging": st.IsLogging, "latestDigestDeliveryTime": trailTime(st.LatestDigestDeliveryTime),
					"latestDigestDeliveryError": st.LatestDigestDeliveryError, "collectedAt": trailTime(&inv.CollectedAt)}
				switch {
				case st.LatestDigestDeliveryError != "":
					return fail(t.HomeRegion, t.ARN, "digest delivery error: "+st.LatestDigestDeliveryError, ev)
				case st.LatestDigestDeliveryTime == nil:
					return fail(t.HomeRegion, t.ARN, "no digest file was ever delivered", ev)
				case st.IsLogging && inv.CollectedAt.IsZero():
					return trailNoScanTime(t, "digest delivery")
				case st.IsLogging && inv.CollectedAt.Sub(*st.LatestDigestDeliveryTime) > trailDigestMaxAge:
					return fail(t.HomeRegion, t.ARN, fmt.Sprintf("newest digest delivered at %s, %s before the scan (digests are hourly)",
						trailTime(st.LatestDigestDeliveryTime), trailAge(inv.CollectedAt, st.LatestDigestDeliveryTime)), ev)
				}
				return pass(t.HomeRegion, t.ARN, "newest digest delivered at "+trailTime(st.LatestDigestDeliveryTime), ev)
			})
		},
	}
}

func trailDeliveryHealthRule() Rule {
	return Rule{
		ID:       "trail.delivery_health",
		Severity: findings.Medium,
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
		Check: func(inv *inventory.Inventory, _ Options) []Result {
			return trailEach(inv, func(t inventory.Trail, _ []inventory.Trail) Result {
				if r, stop := missing(t.Status, "trail status (GetTrailStatus)", t.HomeRegion, t.ARN); stop {
					return r
				}
				st := t.Status.Value
				ev := findings.Evidence{"isLogging": st.IsLogging, "latestDeliveryTime": trailTime(st.LatestDeliveryTime),
					"latestDeliveryError": st.LatestDeliveryError, "latestNotificationError": st.LatestNotificationError,
					"collectedAt": trailTime(&inv.CollectedAt)}
				var bad []string
				if st.LatestDeliveryError != "" {
					bad = append(bad, "log delivery error: "+st.LatestDeliveryError)
				}
				if st.LatestNotificationError != "" {
					bad = append(bad, "SNS notification error: "+st.LatestNotificationError)
				}
				noScanTime := false
				if st.IsLogging {
					if st.LatestDeliveryTime == nil {
						bad = append(bad, "no log file was ever delivered")
					} else if inv.CollectedAt.IsZero() {
						noScanTime = true
					} else if inv.CollectedAt.Sub(*st.LatestDeliveryTime) > trailDeliveryMaxAge {
						bad = append(bad, fmt.Sprintf("newest log file delivered at %s, %s before the scan",
							trailTime(st.LatestDeliveryTime), trailAge(inv.CollectedAt, st.LatestDeliveryTime)))
					}
				}
				if len(bad) > 0 {
					return fail(t.HomeRegion, t.ARN, strings.Join(bad, "; "), ev)
				}
				if noScanTime {
					return trailNoScanTime(t, "log file delivery")
				}
				return pass(t.HomeRegion, t.ARN, "newest log file delivered at "+trailTime(st.LatestDeliveryTime)+", no delivery errors", ev)
			})
		},
	}
}

func trailCloudWatchLogsRule() Rule {
	return Rule{
		ID:       "trail.cloudwatch_logs",
		Severity: findings.Medium,
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
		Check: func(inv *inventory.Inventory, _ Options) []Result {
			return trailEach(inv, func(t inventory.Trail, _ []inventory.Trail) Result {
				if t.CloudWatchLogsLogGroupARN == "" {
					return fail(t.HomeRegion, t.ARN, "no CloudWatch Logs log group configured", findings.Evidence{"cloudWatchLogsLogGroupArn": ""})
				}
				if r, stop := missing(t.Status, "trail status (GetTrailStatus)", t.HomeRegion, t.ARN); stop {
					return r
				}
				st := t.Status.Value
				ev := findings.Evidence{"cloudWatchLogsLogGroupArn": t.CloudWatchLogsLogGroupARN, "isLogging": st.IsLogging,
					"latestCloudWatchLogsDeliveryTime":  trailTime(st.LatestCloudWatchLogsDeliveryTime),
					"latestCloudWatchLogsDeliveryError": st.LatestCloudWatchLogsDeliveryError, "collectedAt": trailTime(&inv.CollectedAt)}
				switch {
				case st.LatestCloudWatchLogsDeliveryError != "":
					return fail(t.HomeRegion, t.ARN, "CloudWatch Logs delivery error: "+st.LatestCloudWatchLogsDeliveryError, ev)
				// Unlike the S3 delivery rules, the spec applies the age test to
				// stopped trails too: a stopped trail feeds no alarm.
				case st.LatestCloudWatchLogsDeliveryTime == nil:
					return fail(t.HomeRegion, t.ARN, "nothing was ever delivered to "+t.CloudWatchLogsLogGroupARN, ev)
				case inv.CollectedAt.IsZero():
					return trailNoScanTime(t, "CloudWatch Logs delivery")
				case inv.CollectedAt.Sub(*st.LatestCloudWatchLogsDeliveryTime) > trailDeliveryMaxAge:
					return fail(t.HomeRegion, t.ARN, fmt.Sprintf("newest CloudWatch Logs delivery at %s, %s before the scan",
						trailTime(st.LatestCloudWatchLogsDeliveryTime), trailAge(inv.CollectedAt, st.LatestCloudWatchLogsDeliveryTime)), ev)
				}
				return pass(t.HomeRegion, t.ARN, fmt.Sprintf("delivers to %s, newest delivery at %s",
					t.CloudWatchLogsLogGroupARN, trailTime(st.LatestCloudWatchLogsDeliveryTime)), ev)
			})
		},
	}
}

func trailKMSEncryptionRule() Rule {
	return Rule{
		ID:       "trail.kms_encryption",
		Severity: findings.Medium,
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
		Check: func(inv *inventory.Inventory, _ Options) []Result {
			return trailEach(inv, func(t inventory.Trail, _ []inventory.Trail) Result {
				ev := findings.Evidence{"kmsKeyId": t.KMSKeyID}
				if t.KMSKeyID == "" {
					return fail(t.HomeRegion, t.ARN, "no KMS key: log files are encrypted with SSE-S3 only", ev)
				}
				return pass(t.HomeRegion, t.ARN, "log files encrypted with "+t.KMSKeyID, ev)
			})
		},
	}
}

// trailKey finds the trail's key; ok is false with the finding to report
// when the trail has no key or the key's metadata cannot be read.
func trailKey(inv *inventory.Inventory, t inventory.Trail) (*inventory.KMSKey, Result, bool) {
	if t.KMSKeyID == "" {
		return nil, notApplicable(t.HomeRegion, t.ARN, "trail does not use a KMS key (see trail.kms_encryption)"), false
	}
	key := inv.Key(t.KMSKeyID)
	if key == nil {
		r, _ := missing(inventory.Result[inventory.KeyMetadata]{}, "KMS key "+t.KMSKeyID, t.HomeRegion, t.ARN)
		r.Evidence["kmsKeyId"] = t.KMSKeyID
		return nil, r, false
	}
	if r, stop := missing(key.Metadata, "KMS key "+t.KMSKeyID+" (kms:DescribeKey)", t.HomeRegion, t.ARN); stop {
		return nil, r, false
	}
	return key, Result{}, true
}

func trailKMSKeyRotationRule() Rule {
	return Rule{
		ID:       "trail.kms_key_rotation",
		Severity: findings.Medium,
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
		Check: func(inv *inventory.Inventory, _ Options) []Result {
			return trailEach(inv, func(t inventory.Trail, _ []inventory.Trail) Result {
				key, r, ok := trailKey(inv, t)
				if !ok {
					return r
				}
				md := key.Metadata.Value
				if md.KeyManager == "AWS" {
					return pass(t.HomeRegion, t.ARN, "AWS managed key "+key.ARN+": rotated automatically", findings.Evidence{"keyArn": key.ARN, "keyManager": md.KeyManager})
				}
				if r, stop := missing(key.Rotation, "rotation status of KMS key "+key.ARN+" (kms:GetKeyRotationStatus)", t.HomeRegion, t.ARN); stop {
					return r
				}
				ev := findings.Evidence{"keyArn": key.ARN, "keyManager": md.KeyManager, "rotationEnabled": *key.Rotation.Value}
				if !*key.Rotation.Value {
					return fail(t.HomeRegion, t.ARN, "automatic rotation is off for customer managed key "+key.ARN, ev)
				}
				return pass(t.HomeRegion, t.ARN, "automatic rotation is on for customer managed key "+key.ARN, ev)
			})
		},
	}
}

func trailKMSKeyUsableRule() Rule {
	return Rule{
		ID:       "trail.kms_key_usable",
		Severity: findings.Critical,
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
		Check: func(inv *inventory.Inventory, _ Options) []Result {
			return trailEach(inv, func(t inventory.Trail, _ []inventory.Trail) Result {
				key, r, ok := trailKey(inv, t)
				if !ok {
					return r
				}
				md := key.Metadata.Value
				keyRegion := key.Region
				if keyRegion == "" {
					keyRegion = trailARNRegion(key.ARN)
				}
				ev := findings.Evidence{"keyArn": key.ARN, "keyState": md.KeyState, "enabled": md.Enabled, "keyRegion": keyRegion}
				if !md.Enabled || md.KeyState != "Enabled" {
					return fail(t.HomeRegion, t.ARN, fmt.Sprintf("key %s is in state %s: CloudTrail cannot encrypt log files with it", key.ARN, md.KeyState), ev)
				}
				b := inv.Bucket(t.S3BucketName)
				region := inventory.Result[string]{}
				if b != nil {
					region = b.Region
				}
				if r, stop := missing(region, "region of bucket "+t.S3BucketName+" (s3:GetBucketLocation)", t.HomeRegion, t.ARN); stop {
					return r
				}
				ev["bucketRegion"] = *region.Value
				if keyRegion == "" {
					r, _ := missing(inventory.Result[string]{}, "region of KMS key "+key.ARN, t.HomeRegion, t.ARN)
					return r
				}
				if keyRegion != *region.Value {
					return fail(t.HomeRegion, t.ARN, fmt.Sprintf("key %s is in %s but bucket %s is in %s", key.ARN, keyRegion, t.S3BucketName, *region.Value), ev)
				}
				return pass(t.HomeRegion, t.ARN, fmt.Sprintf("key %s is enabled and in the bucket's region %s", key.ARN, keyRegion), ev)
			})
		},
	}
}

// trailARNRegion returns the region field of an ARN, or "".
func trailARNRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[3]
}

func trailS3DataEventsRule(write bool) Rule {
	dir, id, sev := "READ", "trail.s3_data_events_read", findings.Low
	fw := append(trailCIS("3.11", "3.9"), Framework{Framework: "fsbp", Control: "S3.23"})
	rw, readOnly := "ReadOnly", "true"
	if write {
		dir, id, sev = "WRITE", "trail.s3_data_events_write", findings.Medium
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
		Check: func(inv *inventory.Inventory, _ Options) []Result {
			return checkTrailS3DataEvents(inv, write)
		},
	}
}

func checkTrailS3DataEvents(inv *inventory.Inventory, write bool) []Result {
	res := acctRootARN(inv)
	trails := acctTrails(inv)
	dir := map[bool]string{true: "writes", false: "reads"}[write]
	if len(trails) == 0 {
		// The rule is about the account: with no trail, nothing records
		// S3 object events, which is a failure, not an absence of subject.
		// It is a fact only when every region's trails were listed.
		if r, ok := acctUndecided(inv, nil, res, "no trail found"); ok {
			return []Result{r}
		}
		return []Result{fail("global", res, fmt.Sprintf("no CloudTrail trail records account %s, so no S3 object %s are logged", inv.Account.ID, dir),
			findings.Evidence{"trails": map[string]any{}})}
	}
	perTrail := map[string]any{}
	var lines []string
	var gaps []acctGap
	var passing string
	for _, t := range trails {
		if !t.Selectors.Known() {
			gaps = append(gaps, acctGapOf(t, "event selectors (GetEventSelectors)", t.Selectors))
			perTrail[t.ARN] = "unknown: " + t.Selectors.Problem()
			lines = append(lines, t.Name+": unknown")
			continue
		}
		cov := selectors.EvaluatePartition(*t.Selectors.Value, acctPartition(inv))
		s3 := cov.S3Read
		if write {
			s3 = cov.S3Write
		}
		perTrail[t.ARN] = s3.Describe()
		lines = append(lines, t.Name+": "+s3.Describe())
		if s3.Level != selectors.All {
			continue
		}
		// The trail covers every bucket: it counts if it is also multi-region and logging.
		if !t.IsMultiRegion {
			lines[len(lines)-1] += " (single-region)"
			continue
		}
		if !t.Status.Known() {
			gaps = append(gaps, acctGapOf(t, "trail status (GetTrailStatus)", t.Status))
			continue
		}
		if !t.Status.Value.IsLogging {
			lines[len(lines)-1] += " (not logging)"
			continue
		}
		if passing == "" {
			passing = acctTrailLabel(inv, t)
		}
	}
	ev := findings.Evidence{"trails": perTrail}
	if passing != "" {
		return []Result{pass("global", res, fmt.Sprintf("%s records S3 object %s for all buckets; per trail: %s", passing, dir, strings.Join(lines, "; ")), ev)}
	}
	if r, ok := acctUndecided(inv, gaps, res, fmt.Sprintf("no trail read so far records S3 object %s for all buckets (%s)", dir, strings.Join(lines, "; "))); ok {
		return []Result{r}
	}
	return []Result{fail("global", res, fmt.Sprintf("no logging multi-region trail records S3 object %s for all buckets; per trail: %s", dir, strings.Join(lines, "; ")), ev)}
}

func trailInsightsRule() Rule {
	return Rule{
		ID:       "trail.insights",
		Severity: findings.Low,
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
		Check: func(inv *inventory.Inventory, _ Options) []Result {
			return trailEach(inv, func(t inventory.Trail, _ []inventory.Trail) Result {
				if r, stop := missing(t.Status, "trail status (GetTrailStatus)", t.HomeRegion, t.ARN); stop {
					return r
				}
				if !t.Status.Value.IsLogging {
					return notApplicable(t.HomeRegion, t.ARN, "trail is not logging (see trail.logging)")
				}
				if r, stop := missing(t.Insights, "insight selectors (GetInsightSelectors)", t.HomeRegion, t.ARN); stop {
					return r
				}
				types := *t.Insights.Value
				ev := findings.Evidence{"insightTypes": types}
				has := func(want string) bool {
					for _, v := range types {
						if v == want {
							return true
						}
					}
					return false
				}
				switch {
				case len(types) == 0:
					return fail(t.HomeRegion, t.ARN, "no Insights selectors: Insights is off", ev)
				case has("ApiCallRateInsight") && has("ApiErrorRateInsight"):
					return pass(t.HomeRegion, t.ARN, "Insights on: ApiCallRateInsight and ApiErrorRateInsight", ev)
				}
				return pass(t.HomeRegion, t.ARN, fmt.Sprintf("Insights on for %s only; consider enabling both ApiCallRateInsight and ApiErrorRateInsight", strings.Join(types, ", ")), ev)
			})
		},
	}
}
