package rules

import (
	"fmt"
	"strings"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
)

// The rules in this file judge the CloudWatch Logs group a trail delivers
// to, once per distinct log group.

const (
	logGroupRefRetention  = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Working-with-log-groups-and-streams.html#SettingLogRetention"
	logGroupRefEncryption = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html"
	logGroupRefTrailCWL   = "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html"
)

// logGroupTarget is one trail log group with the trails that deliver to it.
type logGroupTarget struct {
	arn    string // without the trailing ":*"
	name   string
	region string
	lg     *inventory.LogGroup // nil when the collector recorded nothing
	trails []string
}

// logGroupTargets groups the trails that record the account by the log
// group they deliver to, in the order the groups first appear.
func logGroupTargets(inv *inventory.Inventory) []logGroupTarget {
	var out []logGroupTarget
	index := map[string]int{}
	for _, t := range acctTrails(inv) {
		if t.CloudWatchLogsLogGroupARN == "" {
			continue
		}
		arn := strings.TrimSuffix(t.CloudWatchLogsLogGroupARN, ":*")
		i, seen := index[arn]
		if !seen {
			tg := logGroupTarget{arn: arn, lg: inv.LogGroup(arn), region: trailARNRegion(arn)}
			tg.name = logGroupNameOf(arn)
			if tg.lg != nil {
				tg.name, tg.region = tg.lg.Name, tg.lg.Region
			}
			index[arn] = len(out)
			out = append(out, tg)
			i = len(out) - 1
		}
		out[i].trails = append(out[i].trails, t.ARN)
	}
	return out
}

// logGroupNameOf reads the name out of a log group ARN
// (arn:aws:logs:region:account:log-group:NAME).
func logGroupNameOf(arn string) string {
	_, name, ok := strings.Cut(arn, ":log-group:")
	if !ok {
		return arn
	}
	return strings.TrimSuffix(name, ":*")
}

// logGroupCheck runs check on the info of every trail log group. A group the
// collector never recorded, or whose info cannot be read, is ERROR (MANUAL
// when another account holds it); a group that is gone is FAIL.
func logGroupCheck(inv *inventory.Inventory, what string, check func(tg logGroupTarget, info inventory.LogGroupInfo) Result) []Result {
	if len(acctTrails(inv)) == 0 {
		return trailNone(inv, "no CloudTrail trail exists (see account.trail_logging)")
	}
	targets := logGroupTargets(inv)
	if len(targets) == 0 {
		return trailListGap(inv, []Result{notApplicable("global", acctRootARN(inv), "no trail delivers to CloudWatch Logs (see trail.cloudwatch_logs)")})
	}
	out := make([]Result, 0, len(targets))
	for _, tg := range targets {
		var r Result
		switch {
		case tg.lg == nil:
			r, _ = missing(inventory.Result[inventory.LogGroupInfo]{}, fmt.Sprintf("%s of log group %s", what, tg.name), tg.region, tg.arn)
			r.Message = fmt.Sprintf("log group %s of trail(s) %s was not collected: re-run the scan with logs:DescribeLogGroups permission", tg.name, strings.Join(tg.trails, ", "))
		case tg.lg.Info.Value == nil:
			r, _ = missing(tg.lg.Info, fmt.Sprintf("%s of log group %s (logs:DescribeLogGroups)", what, tg.name), tg.region, tg.arn)
		case !tg.lg.Info.Value.Exists:
			r = fail(tg.region, tg.arn, fmt.Sprintf("log group %s no longer exists, so CloudTrail delivers nothing to it (see trail.cloudwatch_logs)", tg.name),
				findings.Evidence{"exists": false})
		default:
			r = check(tg, *tg.lg.Info.Value)
		}
		if r.Evidence == nil {
			r.Evidence = findings.Evidence{}
		}
		r.Evidence["logGroup"] = tg.name
		r.Evidence["trails"] = tg.trails
		if tg.lg != nil && tg.lg.OwnerAccountID != "" && tg.lg.OwnerAccountID != inv.Account.ID {
			// The finding belongs to the account that can act on it.
			r.Account = tg.lg.OwnerAccountID
		}
		out = append(out, r)
	}
	return trailListGap(inv, out)
}

func trailLogGroupRetentionRule() Rule {
	return Rule{
		ID:       "trail.log_group_retention",
		Severity: findings.Low,
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
		Check:      checkLogGroupRetention,
	}
}

func checkLogGroupRetention(inv *inventory.Inventory, opts Options) []Result {
	minDays := bucketMinRetention(opts)
	return logGroupCheck(inv, "retention", func(tg logGroupTarget, info inventory.LogGroupInfo) Result {
		ev := findings.Evidence{"retentionInDays": info.RetentionDays, "minRetentionDays": minDays}
		switch {
		case info.RetentionDays == 0:
			return pass(tg.region, tg.arn, fmt.Sprintf("log group %s keeps events forever (no retention setting)", tg.name), ev)
		case info.RetentionDays < minDays:
			return fail(tg.region, tg.arn, fmt.Sprintf("log group %s deletes events after %s, sooner than the required %s",
				tg.name, bucketDays(info.RetentionDays), bucketDays(minDays)), ev)
		}
		return pass(tg.region, tg.arn, fmt.Sprintf("log group %s keeps events for %s (required: %s)",
			tg.name, bucketDays(info.RetentionDays), bucketDays(minDays)), ev)
	})
}

func trailLogGroupEncryptionRule() Rule {
	return Rule{
		ID:       "trail.log_group_encryption",
		Severity: findings.Low,
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
		Check:      checkLogGroupEncryption,
	}
}

func checkLogGroupEncryption(inv *inventory.Inventory, _ Options) []Result {
	return logGroupCheck(inv, "encryption", func(tg logGroupTarget, info inventory.LogGroupInfo) Result {
		ev := findings.Evidence{"kmsKeyId": info.KMSKeyID}
		if info.KMSKeyID == "" {
			return fail(tg.region, tg.arn, fmt.Sprintf("log group %s has no KMS key: its events are encrypted with a key CloudWatch Logs manages", tg.name), ev)
		}
		return pass(tg.region, tg.arn, fmt.Sprintf("log group %s is encrypted with KMS key %s", tg.name, info.KMSKeyID), ev)
	})
}
