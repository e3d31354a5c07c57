package catalog

// lookupInstructions is how to find who made a change, shared by the
// remediations.
const lookupInstructions = "Find who made the change and from where: CloudTrail console > Event history in the trail's home region, filtered by event name"

// Drift returns the drift rules. They compare a run with the previous run
// of the same account and exist only in scans with a history store, which
// internal/drift evaluates (Compare).
func Drift() []Rule {
	return []Rule{
		{
			ID:       "drift.trail_removed",
			Severity: High,
			Title:    "No trail has disappeared since the previous run",
			Scope:    "trail",
			Rationale: "Deleting a trail stops its record for good and, without history, its findings simply vanish from the next " +
				"scan. Deleting the trail (or the organization trail a member relied on) is a standard step of an attacker " +
				"impairing defences.",
			Audit: "With --store, trailseal compares the trails of this run with those of the previous stored run of the same " +
				"account, by ARN. A trail homed in a region scanned both times that is no longer listed is reported; a trail " +
				"whose home region could not be listed this time is ERROR, and one whose home region was not scanned this " +
				"time is not compared. By hand: `aws cloudtrail describe-trails --region <home region>`.",
			Remediation: Remediation{
				Console: lookupInstructions + " DeleteTrail. If the deletion was not intended, recreate the trail with the same " +
					"name, bucket and settings and start logging; then deny cloudtrail:DeleteTrail to everyone but a break-glass " +
					"role with a service control policy.",
				CLI: "aws cloudtrail lookup-events --region <home region> --lookup-attributes AttributeKey=EventName,AttributeValue=DeleteTrail\n" +
					"aws cloudtrail create-trail --name <trail> --s3-bucket-name <bucket> --is-multi-region-trail --enable-log-file-validation\n" +
					"aws cloudtrail start-logging --name <trail>",
				Terraform: `resource "aws_cloudtrail" "main" {
  name                       = "<trail>"
  s3_bucket_name             = "<bucket>"
  is_multi_region_trail      = true
  enable_log_file_validation = true
  lifecycle {
    prevent_destroy = true
  }
}`,
			},
			References: []string{
				"https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_DeleteTrail.html",
				"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/view-cloudtrail-events-cli.html",
				"https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples.html",
			},
		},
		{
			ID:       "drift.trail_destination_changed",
			Severity: Medium,
			Title:    "No trail's destination has changed since the previous run",
			Scope:    "trail",
			Rationale: "Pointing a trail at another bucket, prefix, KMS key, log group or delivery role moves the record out of " +
				"the protected place the previous scan checked; the old bucket silently leaves the scan. An attacker can " +
				"redirect logs to a bucket they control, or to a key they can disable.",
			Audit: "With --store, trailseal compares each trail present in both this run and the previous stored run of the same " +
				"account (by ARN): S3 bucket, S3 key prefix, KMS key, CloudWatch Logs log group and CloudWatch Logs role, as " +
				"DescribeTrails returns them. The finding names every field that changed, before and after. By hand: " +
				"`aws cloudtrail describe-trails --trail-name-list <trail ARN> --region <home region>`.",
			Remediation: Remediation{
				Console: lookupInstructions + " UpdateTrail. If the change was not intended, edit the trail back to its previous " +
					"destination (CloudTrail console > Trails > the trail > General details / CloudWatch Logs > Edit), and deny " +
					"cloudtrail:UpdateTrail to everyone but the team that owns the trail.",
				CLI: "aws cloudtrail lookup-events --region <home region> --lookup-attributes AttributeKey=EventName,AttributeValue=UpdateTrail\n" +
					"aws cloudtrail update-trail --name <trail ARN> --s3-bucket-name <previous bucket> --s3-key-prefix <previous prefix> --kms-key-id <previous key>",
				Terraform: `resource "aws_cloudtrail" "main" {
  name           = "<trail>"
  s3_bucket_name = "<previous bucket>"
  s3_key_prefix  = "<previous prefix>"
  kms_key_id     = "<previous key ARN>"
}`,
			},
			References: []string{
				"https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_UpdateTrail.html",
				"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/view-cloudtrail-events-cli.html",
			},
		},
		{
			ID:       "drift.logging_interrupted",
			Severity: High,
			Title:    "No trail stopped logging since the previous run",
			Scope:    "trail",
			Rationale: "StopLogging followed by StartLogging leaves a trail logging at both scans, so every point-in-time check " +
				"passes, while nothing was recorded in between. GetTrailStatus keeps the most recent stop and start times, " +
				"which tell that it happened.",
			Audit: "With --store, trailseal reads GetTrailStatus of each trail present in both this run and the previous stored " +
				"run of the same account. A trail that was logging both times but whose most recent StopLoggingTime or " +
				"StartLoggingTime is later than the one the previous run read was stopped in between. By hand: " +
				"`aws cloudtrail get-trail-status --name <trail ARN> --region <home region>`.",
			Remediation: Remediation{
				Console: lookupInstructions + " StopLogging, and treat the gap between StopLoggingTime and StartLoggingTime as " +
					"unrecorded. Deny cloudtrail:StopLogging to everyone but a break-glass role with a service control policy, " +
					"and alarm on it (monitoring.trail_changes_alarm).",
				CLI: "aws cloudtrail lookup-events --region <home region> --lookup-attributes AttributeKey=EventName,AttributeValue=StopLogging\n" +
					"aws cloudtrail get-trail-status --name <trail ARN> --region <home region>",
				Terraform: `data "aws_iam_policy_document" "protect_trail" {
  statement {
    effect    = "Deny"
    actions   = ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail"]
    resources = ["arn:aws:cloudtrail:*:*:trail/<trail>"]
  }
}

resource "aws_organizations_policy" "protect_trail" {
  name    = "protect-trail"
  type    = "SERVICE_CONTROL_POLICY"
  content = data.aws_iam_policy_document.protect_trail.json
}`,
			},
			References: []string{
				"https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetTrailStatus.html",
				"https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StopLogging.html",
				"https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples.html",
			},
		},
		{
			ID:       "drift.regression",
			Severity: Medium,
			Title:    "No check that passed in the previous run fails now",
			Scope:    "account",
			Rationale: "A control that held and then broke was changed by someone: a regression is worth more attention than a " +
				"finding that has always failed, and the time between the two runs bounds when it happened. The regressed " +
				"rule's own FAIL finding keeps that rule's severity.",
			Audit: "With --store, trailseal matches this run's findings with the previous stored run of the same account by " +
				"finding ID (rule, account, region, resource) and reports each one that was PASS then and is FAIL now, naming " +
				"both run times.",
			Remediation: Remediation{
				Console: "Fix the regressed rule as its own finding says ('trailseal explain <rule>'), and look up who changed the " +
					"resource between the two run times: CloudTrail console > Event history, filtered by resource name.",
				CLI: "trailseal explain <rule>\n" +
					"aws cloudtrail lookup-events --region <region> --lookup-attributes AttributeKey=ResourceName,AttributeValue=<resource> --start-time <previous run> --end-time <this run>",
				Terraform: "# Keep the resource under Terraform and run 'terraform plan' on a schedule:\n" +
					"# the plan shows the same change as a diff against the code.",
			},
			References: []string{
				"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/view-cloudtrail-events-cli.html",
			},
		},
	}
}
