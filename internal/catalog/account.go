package catalog

// accountRules are the rules that judge the account as a whole: does any
// trail record its activity, everywhere, centrally.
func accountRules() []Rule {
	return []Rule{
		accountTrailLoggingRule(),
		accountMultiRegionTrailRule(),
		accountOrganizationTrailRule(),
	}
}

func accountTrailLoggingRule() Rule {
	return Rule{
		ID:       "account.trail_logging",
		Severity: High,
		Title:    "At least one CloudTrail trail is logging for the account",
		Scope:    "account",
		Rationale: "Without a logging trail, API activity is kept only for 90 days in Event history and is never " +
			"delivered to storage you control, so incidents older than that, or data events, cannot be investigated.",
		Audit: "trailseal lists every trail that records this account (its own trails and organization trails " +
			"owned by the management account) and reads GetTrailStatus.IsLogging for each in its home region. " +
			"By hand: `aws cloudtrail describe-trails --include-shadow-trails` then " +
			"`aws cloudtrail get-trail-status --name <trail ARN> --region <home region>` and check IsLogging.",
		Remediation: Remediation{
			Console: "CloudTrail console > Trails > Create trail (or open a stopped trail and choose Start logging).",
			CLI: "aws cloudtrail create-trail --name management-events --s3-bucket-name <bucket> --is-multi-region-trail --enable-log-file-validation\n" +
				"aws cloudtrail start-logging --name management-events",
			Terraform: `resource "aws_cloudtrail" "main" {
  name                          = "management-events"
  s3_bucket_name                = aws_s3_bucket.trail.id
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  enable_logging                = true
}`,
		},
		References: []string{
			"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-create-and-update-a-trail.html",
			"https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetTrailStatus.html",
			"https://docs.aws.amazon.com/securityhub/latest/userguide/cloudtrail-controls.html#cloudtrail-3",
		},
		Frameworks: []Framework{{Framework: "fsbp", Control: "CloudTrail.3"}},
	}
}

func accountMultiRegionTrailRule() Rule {
	return Rule{
		ID:       "account.multi_region_trail",
		Severity: High,
		Title:    "A multi-region trail is logging all management events, read and write",
		Scope:    "account",
		Rationale: "Attackers use the regions nobody watches. Only a multi-region trail that records every " +
			"management event, reads as well as writes, from every event source gives a complete record of " +
			"control-plane activity, including in regions enabled later.",
		Audit: "trailseal looks for one trail recording this account (an organization trail of the management " +
			"account counts) that has IsMultiRegionTrail, is logging (GetTrailStatus), and whose event selectors " +
			"cover all management events for reads and writes with no excluded event source. By hand: " +
			"`aws cloudtrail describe-trails`, then for a multi-region trail `aws cloudtrail get-trail-status --name <arn>` " +
			"and `aws cloudtrail get-event-selectors --trail-name <arn>`: basic selectors need IncludeManagementEvents " +
			"true, ReadWriteType All and no ExcludeManagementEventSources; advanced selectors need a selector with " +
			"eventCategory Management and no other field condition.",
		Remediation: Remediation{
			Console: "CloudTrail console > Trails > choose the trail > General details > Edit > Multi-region trail: enabled; " +
				"then Management events > Edit > API activity: Read and Write, and clear any excluded event sources.",
			CLI: "aws cloudtrail update-trail --name <trail> --is-multi-region-trail --include-global-service-events\n" +
				"aws cloudtrail put-event-selectors --trail-name <trail> --event-selectors '[{\"ReadWriteType\":\"All\",\"IncludeManagementEvents\":true}]'\n" +
				"aws cloudtrail start-logging --name <trail>",
			Terraform: `resource "aws_cloudtrail" "main" {
  name                          = "management-events"
  s3_bucket_name                = aws_s3_bucket.trail.id
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_logging                = true

  event_selector {
    read_write_type           = "All"
    include_management_events = true
  }
}`,
		},
		References: []string{
			"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/receive-cloudtrail-log-files-from-multiple-regions.html",
			"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html",
			"https://docs.aws.amazon.com/securityhub/latest/userguide/cloudtrail-controls.html#cloudtrail-1",
		},
		Frameworks: []Framework{
			{Framework: "cis-1.4", Control: "3.1"},
			{Framework: "cis-3.0", Control: "3.1"},
			{Framework: "cis-4.0", Control: "3.1"},
			{Framework: "cis-5.0", Control: "3.1"},
			{Framework: "fsbp", Control: "CloudTrail.1"},
		},
	}
}

func accountOrganizationTrailRule() Rule {
	return Rule{
		ID:       "account.organization_trail",
		Severity: Medium,
		Title:    "An organization trail covers this member of an AWS Organization",
		Scope:    "account",
		Rationale: "An organization trail created in the management account records every member account into one " +
			"bucket, ideally in a dedicated log archive account, which member account administrators cannot " +
			"stop, modify or delete.",
		Audit: "trailseal reads organizations:DescribeOrganization; for a member it looks for a trail with " +
			"IsOrganizationTrail among the trails visible to the account. By hand: " +
			"`aws organizations describe-organization` and " +
			"`aws cloudtrail describe-trails --query 'trailList[?IsOrganizationTrail]'`.",
		Remediation: Remediation{
			Console: "In the management account (or a delegated administrator): CloudTrail console > Trails > Create trail > " +
				"select 'Enable for all accounts in my organization'.",
			CLI: "aws organizations enable-aws-service-access --service-principal cloudtrail.amazonaws.com\n" +
				"aws cloudtrail create-trail --name org-trail --s3-bucket-name <log archive bucket> --is-organization-trail --is-multi-region-trail --enable-log-file-validation\n" +
				"aws cloudtrail start-logging --name org-trail",
			Terraform: `resource "aws_cloudtrail" "org" {
  name                       = "org-trail"
  s3_bucket_name             = "<log archive bucket>"
  is_organization_trail      = true
  is_multi_region_trail      = true
  enable_log_file_validation = true
}`,
		},
		References: []string{
			"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/creating-trail-organization.html",
			"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/best-practices-security.html",
		},
	}
}
