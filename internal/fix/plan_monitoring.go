package fix

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/trailseal/trailseal/internal/policy"
)

// Alarm is one CIS metric filter and alarm that fix creates.
type Alarm struct {
	Rule       string
	FilterName string
	MetricName string
	Pattern    string
}

// Alarms are the CIS 4.5 and 4.8 filters. The patterns match the events the
// monitoring rules test with, written out in CloudWatch Logs filter syntax.
var Alarms = []Alarm{
	{
		Rule: "monitoring.trail_changes_alarm", FilterName: "trailseal-cloudtrail-changes", MetricName: "CloudTrailConfigChanges",
		Pattern: `{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }`,
	},
	{
		Rule: "monitoring.bucket_policy_changes_alarm", FilterName: "trailseal-s3-bucket-policy-changes", MetricName: "S3BucketPolicyChanges",
		Pattern: `{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }`,
	},
}

// AlarmNamespace is the CloudWatch namespace of the metrics fix publishes.
const AlarmNamespace = "CloudTrailMetrics"

func (p *planner) planMonitoring() {
	for _, a := range Alarms {
		fs := p.failing(a.Rule)
		if len(fs) == 0 {
			continue
		}
		res := fs[0].Resource
		t := p.primaryTrail()
		if t == nil {
			p.refuse(a.Rule, res, "account %s owns no trail whose events could be alarmed on", p.inv.Account.ID)
			continue
		}
		topic := p.opts.AlarmTopicARN
		switch {
		case topic == "":
			p.refuse(a.Rule, res, "no SNS topic for the alarm: pass --alarm-topic ARN (a topic in %s with a confirmed subscription)", t.HomeRegion)
			continue
		case p.opts.Facts.Topic == nil || p.opts.Facts.Topic.ARN != topic:
			p.refuse(a.Rule, res, "--alarm-topic %s was not checked: this is a bug, please report it", topic)
			continue
		case p.opts.Facts.Topic.Problem != "":
			p.refuse(a.Rule, res, "--alarm-topic %s: %s", topic, p.opts.Facts.Topic.Problem)
			continue
		case !p.opts.Facts.Topic.Exists:
			p.refuse(a.Rule, res, "--alarm-topic %s does not exist: create it first", topic)
			continue
		case arnRegion(topic) != t.HomeRegion:
			p.refuse(a.Rule, res, "--alarm-topic %s is in %s but the alarm lives with trail %s's log group in %s: use a topic there", topic, arnRegion(topic), t.Name, t.HomeRegion)
			continue
		}
		params := &AlarmParams{TrailRef: trailRef(t), Account: p.inv.Account.ID, Partition: p.partition(),
			FilterName: a.FilterName, MetricName: a.MetricName, Namespace: AlarmNamespace, Pattern: a.Pattern, AlarmName: a.FilterName, TopicARN: topic}
		s := Step{Rules: []string{a.Rule}, Kind: KindMetricAlarm, Region: t.HomeRegion, Resource: res, Reversible: true, Params: params}
		switch {
		case t.CloudWatchLogsLogGroupARN != "":
			params.LogGroupARN = t.CloudWatchLogsLogGroupARN
		case p.planned("logs.group:" + t.Name):
			params.LogGroupFrom = "logs.group:" + t.Name
			// The filter only sees events once the trail delivers there.
			s.DependsOn = []string{"logs.group:" + t.Name, "trail.cloudwatch_logs:" + t.Name}
		default:
			p.refuse(a.Rule, res, "trail %s does not deliver to CloudWatch Logs: include trail.cloudwatch_logs in --rules", t.Name)
			continue
		}
		group := logGroupNameFromARN(params.LogGroupARN)
		if group == "" {
			group = LogGroupName(t.Name)
		}
		s.Summary = fmt.Sprintf("add metric filter %s on %s and alarm %s notifying %s", a.FilterName, group, a.FilterName, topic)
		s.Before = "no matching metric filter with a notifying alarm"
		s.After = fmt.Sprintf("filter %s -> metric %s/%s, alarm Sum >= 1 in 5 minutes -> %s", a.FilterName, AlarmNamespace, a.MetricName, topic)
		if p.opts.Facts.Topic.Confirmed == 0 {
			s.Warning = "topic " + topic + " has no confirmed subscription: the rule passes only once someone confirms one"
		}
		p.add("monitoring.alarm:"+a.FilterName, s)
	}
}

func (p *planner) planned(id string) bool {
	_, ok := p.byKey[id]
	return ok
}

// arnRegion is the region of an ARN, "" when s is not one.
func arnRegion(s string) string {
	a, err := arn.Parse(s)
	if err != nil {
		return ""
	}
	return a.Region
}

// logGroupNameFromARN is the name of a log group ARN
// (arn:aws:logs:REGION:ACCOUNT:log-group:NAME, with or without ":*").
func logGroupNameFromARN(s string) string {
	a, err := arn.Parse(s)
	if err != nil {
		return ""
	}
	name, ok := strings.CutPrefix(a.Resource, "log-group:")
	if !ok {
		return ""
	}
	return strings.TrimSuffix(name, ":*")
}

func (p *planner) planManual() {
	acct, part := p.inv.Account.ID, p.partition()
	for rule, fs := range p.fails {
		if isFixable(rule) || p.covered[rule] {
			continue
		}
		for _, f := range fs {
			var steps []string
			switch rule {
			case "bucket.mfa_delete":
				bucket := strings.TrimPrefix(f.Resource, "arn:"+part+":s3:::")
				steps = []string{
					"MFA Delete can only be turned on by the root user of account " + acct + " with its MFA device, so trailseal does not do it.",
					"If the bucket has a lifecycle configuration, MFA Delete cannot be used: rely on Object Lock in COMPLIANCE mode instead (trailseal fix --rules bucket.object_lock --lock-mode COMPLIANCE).",
					"Otherwise, signed in with root credentials: aws s3api put-bucket-versioning --bucket " + bucket +
						" --versioning-configuration Status=Enabled,MFADelete=Enabled --mfa \"arn:" + part + ":iam::" + acct + ":mfa/root-account-mfa-device CODE\"",
				}
			case "bucket.dedicated_account":
				steps = []string{
					"Create (or choose) a log archive account that only the security team can access.",
					"Create a bucket there with versioning, Object Lock and a policy that lets cloudtrail.amazonaws.com write AWSLogs/<org or account ID>/* with an aws:SourceArn condition.",
					"Point the trail at it: aws cloudtrail update-trail --name TRAIL --s3-bucket-name ARCHIVE_BUCKET; keep the old bucket until its retention ends.",
				}
			case "iam.cloudtrail_full_access":
				steps = []string{
					"List the holders: aws iam list-entities-for-policy --policy-arn arn:" + part + ":iam::aws:policy/AWSCloudTrail_FullAccess",
					"For each holder that does not administer trails, detach it (aws iam detach-user-policy / detach-role-policy / detach-group-policy) and grant a narrower policy instead; trailseal does not remove access automatically because it cannot know who needs it.",
				}
			case "account.organization_trail":
				steps = []string{"From the organization's management account (or a delegated administrator): aws cloudtrail create-trail --name org-trail --s3-bucket-name ARCHIVE_BUCKET --is-organization-trail --is-multi-region-trail, then start-logging."}
			default:
				steps = []string{"no automatic fix: see 'trailseal explain " + rule + "'"}
			}
			p.plan.Manual = append(p.plan.Manual, Manual{Rule: rule, Resource: f.Resource, Steps: steps})
		}
	}
	sortManual(p.plan.Manual)
}

func isFixable(rule string) bool {
	for _, r := range Fixable {
		if r == rule {
			return true
		}
	}
	return false
}

func sortManual(m []Manual) {
	for i := 1; i < len(m); i++ {
		for j := i; j > 0 && m[j].Rule+m[j].Resource < m[j-1].Rule+m[j-1].Resource; j-- {
			m[j], m[j-1] = m[j-1], m[j]
		}
	}
}

// TrailKeyPolicy is the key policy of a key fix creates for one trail: the
// account administers the key, only that trail may encrypt with it (source
// ARN and CloudTrail encryption context), and principals of the account may
// decrypt log files.
func TrailKeyPolicy(partition, account, trailARN string) string {
	ctxPattern := fmt.Sprintf("arn:%s:cloudtrail:*:%s:trail/*", partition, account)
	doc := map[string]any{
		"Version": "2012-10-17",
		"Id":      "trailseal-cloudtrail-key",
		"Statement": []any{
			map[string]any{"Sid": "AccountAdministersKey", "Effect": "Allow",
				"Principal": map[string]any{"AWS": fmt.Sprintf("arn:%s:iam::%s:root", partition, account)},
				"Action":    "kms:*", "Resource": "*"},
			map[string]any{"Sid": "CloudTrailEncryptsLogs", "Effect": "Allow",
				"Principal": map[string]any{"Service": "cloudtrail.amazonaws.com"},
				"Action":    "kms:GenerateDataKey*", "Resource": "*",
				"Condition": map[string]any{
					"StringEquals": map[string]any{"aws:SourceArn": trailARN},
					"StringLike":   map[string]any{"kms:EncryptionContext:aws:cloudtrail:arn": ctxPattern},
				}},
			map[string]any{"Sid": "CloudTrailDescribesKey", "Effect": "Allow",
				"Principal": map[string]any{"Service": "cloudtrail.amazonaws.com"},
				"Action":    "kms:DescribeKey", "Resource": "*",
				"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceArn": trailARN}}},
			map[string]any{"Sid": "AccountDecryptsLogs", "Effect": "Allow",
				"Principal": map[string]any{"AWS": "*"},
				"Action":    []any{"kms:Decrypt", "kms:ReEncryptFrom"}, "Resource": "*",
				"Condition": map[string]any{
					"StringEquals": map[string]any{"kms:CallerAccount": account},
					"StringLike":   map[string]any{"kms:EncryptionContext:aws:cloudtrail:arn": ctxPattern},
				}},
		},
	}
	b, _ := json.MarshalIndent(doc, "", "  ")
	return string(b)
}

// CheckKeyPolicy refuses a key policy CloudTrail cannot use for trailARN:
// some Allow statement must let cloudtrail.amazonaws.com call
// kms:GenerateDataKey*, and a source ARN or account condition on it must
// admit the trail.
func CheckKeyPolicy(doc, trailARN string) error {
	d, err := policy.Parse(doc)
	if err != nil {
		return fmt.Errorf("key policy cannot be parsed: %v", err)
	}
	account := ""
	if a, err := arn.Parse(trailARN); err == nil {
		account = a.AccountID
	}
	for _, s := range d.Statements {
		if !s.Allows() || !s.Principal.HasService("cloudtrail.amazonaws.com") || !s.CoversAction("kms:GenerateDataKey") {
			continue
		}
		ok := true
		for _, c := range s.ConditionsOn("aws:SourceArn") {
			if c.Restricts() && !matchesAny(c.Values, trailARN) {
				ok = false
			}
		}
		for _, c := range s.ConditionsOn("aws:SourceAccount") {
			if c.Restricts() && !matchesAny(c.Values, account) {
				ok = false
			}
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("its key policy does not let cloudtrail.amazonaws.com call kms:GenerateDataKey* for trail %s, so the trail could not write logs: add such a statement first", trailARN)
}

func matchesAny(patterns []string, v string) bool {
	for _, p := range patterns {
		if policy.MatchResource(p, v) {
			return true
		}
	}
	return false
}
