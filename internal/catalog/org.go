package catalog

// Organization returns the organization-level rules. They judge the
// organization as a whole from every account's inventory at once, and exist
// only in organization scans ('scan --org'), which evaluate them.
func Organization() []Rule {
	return []Rule{
		{
			ID:       "org.account_access",
			Severity: High,
			Title:    "Every account of the organization can be audited",
			Scope:    "account",
			Rationale: "An account the audit role cannot enter is an account nobody checked: its trails, buckets and " +
				"keys may be in any state.",
			Audit: "trailseal assumes the audit role (--role-name) in every ACTIVE account with sts:AssumeRole. By hand: " +
				"`aws sts assume-role --role-arn arn:aws:iam::<account>:role/<name> --role-session-name check`.",
			Remediation: Remediation{
				Console: "Deploy the audit role to every account, for example with a service-managed CloudFormation StackSet " +
					"targeting the organization root, trusting the management account.",
				CLI: "aws cloudformation create-stack-set --stack-set-name trailseal-audit-role --permission-model SERVICE_MANAGED " +
					"--auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false --template-body file://audit-role.yaml",
				Terraform: `resource "aws_iam_role" "trailseal_audit" {
  name               = "TrailsealAudit"
  assume_role_policy = data.aws_iam_policy_document.trust_management.json
}`,
			},
			References: []string{"https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_access.html"},
		},
		{
			ID:       "org.trail_coverage",
			Severity: High,
			Title:    "An organization trail covers every account and region",
			Scope:    "account",
			Rationale: "An organization trail records every member account, present and future, in every region, and " +
				"member administrators cannot stop or change it. Per-account trails leave gaps whenever an account is " +
				"added or a trail is switched off.",
			Audit: "trailseal looks for a trail with IsOrganizationTrail and IsMultiRegionTrail that is logging " +
				"(GetTrailStatus in its home region), read from the management account. By hand, in the management " +
				"account: `aws cloudtrail describe-trails --query 'trailList[?IsOrganizationTrail]'` and " +
				"`aws cloudtrail get-trail-status --name <trail ARN>`.",
			Remediation: Remediation{
				Console: "Management account: CloudTrail console > Trails > Create trail > 'Enable for all accounts in my " +
					"organization', multi-region.",
				CLI: "aws cloudtrail create-trail --name org-trail --s3-bucket-name <log archive bucket> --is-organization-trail " +
					"--is-multi-region-trail --enable-log-file-validation\naws cloudtrail start-logging --name org-trail",
				Terraform: `resource "aws_cloudtrail" "org" {
  name                       = "org-trail"
  s3_bucket_name             = "<log archive bucket>"
  is_organization_trail      = true
  is_multi_region_trail      = true
  enable_log_file_validation = true
}`,
			},
			References: []string{"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/creating-trail-organization.html"},
		},
		{
			ID:       "org.log_archive",
			Severity: Medium,
			Title:    "Every member's logs land in the log archive bucket",
			Scope:    "account",
			Rationale: "Logs kept in the account they describe can be erased by whoever compromises that account. A bucket " +
				"in a dedicated log archive account, receiving every member's logs, keeps the record out of reach.",
			Audit: "trailseal takes the log archive account from --log-archive-account, or else the account that owns the " +
				"organization trail's bucket, and checks for every scanned account that a logging trail recording it " +
				"delivers to a bucket that account owns.",
			Remediation: Remediation{
				Console: "Point the organization trail (or each account's trail) at a bucket in the log archive account.",
				CLI:     "aws cloudtrail update-trail --name <trail> --s3-bucket-name <log archive bucket>",
				Terraform: `resource "aws_cloudtrail" "org" {
  s3_bucket_name = "<log archive bucket>" # owned by the log archive account
}`,
			},
			References: []string{"https://docs.aws.amazon.com/prescriptive-guidance/latest/security-reference-architecture/log-archive.html"},
		},
	}
}
