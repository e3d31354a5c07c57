package catalog

// identityRules are the account-level IAM rules about who can change trails.
func identityRules() []Rule {
	return []Rule{
		iamFullAccessRule(),
		iamWildcardRule(),
	}
}

func iamFullAccessRule() Rule {
	return Rule{
		ID:       "iam.cloudtrail_full_access",
		Severity: Medium,
		Title:    "Few principals hold AWSCloudTrail_FullAccess",
		Scope:    "iam",
		Rationale: "AWSCloudTrail_FullAccess lets its holder stop logging, delete trails, change where logs go and alter " +
			"event selectors, which is everything needed to blind the account's audit trail. Only a handful of " +
			"administrators should hold it.",
		Audit: "trailseal reads GetAccountAuthorizationDetails and lists the users, groups and roles that have " +
			"arn:aws:iam::aws:policy/AWSCloudTrail_FullAccess attached. It fails when more of them than " +
			"full-access-limit (default 0) are outside full-access-allow-list. By hand: aws iam list-entities-for-policy " +
			"--policy-arn arn:aws:iam::aws:policy/AWSCloudTrail_FullAccess.",
		Remediation: Remediation{
			Console: "IAM console > Policies > AWSCloudTrail_FullAccess > Entities attached: detach it from every principal " +
				"that does not administer CloudTrail, and grant those a narrower policy (for example AWSCloudTrail_ReadOnlyAccess).",
			CLI: "aws iam detach-user-policy --user-name USER --policy-arn arn:aws:iam::aws:policy/AWSCloudTrail_FullAccess\n" +
				"aws iam detach-group-policy --group-name GROUP --policy-arn arn:aws:iam::aws:policy/AWSCloudTrail_FullAccess\n" +
				"aws iam detach-role-policy --role-name ROLE --policy-arn arn:aws:iam::aws:policy/AWSCloudTrail_FullAccess",
			Terraform: `# Remove the aws_iam_*_policy_attachment resources that attach
# arn:aws:iam::aws:policy/AWSCloudTrail_FullAccess, and attach a narrower policy instead:
resource "aws_iam_role_policy_attachment" "trail_readers" {
  role       = aws_iam_role.auditor.name
  policy_arn = "arn:aws:iam::aws:policy/AWSCloudTrail_ReadOnlyAccess"
}`,
		},
		References: []string{
			"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/security_iam_id-based-policy-examples.html",
			"https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSCloudTrail_FullAccess.html",
			bucketRefTrailBestPractice,
		},
	}
}

func iamWildcardRule() Rule {
	return Rule{
		ID:       "iam.cloudtrail_wildcard",
		Severity: Medium,
		Title:    "No customer policy grants cloudtrail:* or *",
		Scope:    "iam",
		Rationale: "A customer managed or inline policy that allows cloudtrail:* (or every action) on CloudTrail resources " +
			"includes StopLogging, DeleteTrail and PutEventSelectors, so whoever holds it can switch the audit trail off. " +
			"Grant the specific read or management actions a job needs instead.",
		Audit: "trailseal parses every customer managed policy (default version) and every inline policy from " +
			"GetAccountAuthorizationDetails and fails when an Allow statement's actions take in every CloudTrail action " +
			"(cloudtrail:*, *, or a NotAction that spares none) on Resource \"*\" or a CloudTrail ARN. Attached policies " +
			"fail; unattached ones are listed in the evidence. AWS managed policies are not examined. By hand: aws iam " +
			"get-account-authorization-details --filter LocalManagedPolicy User Group Role.",
		Remediation: Remediation{
			Console: "IAM console > Policies (filter Customer managed) or the user/group/role > Permissions: edit the " +
				"statement to list the CloudTrail actions needed (for example cloudtrail:LookupEvents, " +
				"cloudtrail:DescribeTrails, cloudtrail:GetTrailStatus) and the trail ARNs they apply to.",
			CLI: "aws iam create-policy-version --policy-arn POLICY_ARN --policy-document file://narrow.json --set-as-default\n" +
				"aws iam put-role-policy --role-name ROLE --policy-name POLICY_NAME --policy-document file://narrow.json",
			Terraform: `data "aws_iam_policy_document" "trail_read" {
  statement {
    actions = [
      "cloudtrail:DescribeTrails",
      "cloudtrail:GetTrailStatus",
      "cloudtrail:LookupEvents",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "trail_read" {
  name   = "trail-read"
  policy = data.aws_iam_policy_document.trail_read.json
}`,
		},
		References: []string{
			"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/security_iam_id-based-policy-examples.html",
			"https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html",
		},
	}
}
