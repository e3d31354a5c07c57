package hunt

import (
	"fmt"
	"strings"

	"github.com/trailseal/trailseal/internal/hunt/record"
	"github.com/trailseal/trailseal/internal/policy"
)

// keyRef is the KMS key a record acts on.
type keyRef struct {
	id, arn, match string
}

// key names the key of a KMS record (keyId, or the key ARN CloudTrail puts
// in resources[]) and decides whether it is a trail's key.
func (e *event) key(hints ...string) keyRef {
	ref := keyRef{id: e.p.String("keyId")}
	arns := e.resourceARNs("AWS::KMS::Key")
	if len(arns) > 0 {
		ref.arn = arns[0]
	}
	if k, ok := e.c.Key(append([]string{ref.id}, arns...)...); ok {
		ref.arn, ref.match = k.ARN, "inventory"
		return ref
	}
	ref.match = nameHint("key alias", ref.id)
	for _, h := range hints {
		if ref.match == "" {
			ref.match = h
		}
	}
	return ref
}

func (r keyRef) resource() string {
	if r.arn != "" {
		return r.arn
	}
	return "key/" + r.id
}

func checkKeyDisabled(e *event) (*hit, string) {
	k := e.key()
	if k.match == "" {
		return nil, ""
	}
	return &hit{resource: k.resource(), match: k.match, message: "trail KMS key " + k.resource() + " disabled",
		evidence: map[string]any{"keyId": k.id}}, ""
}

func checkKeyDeletion(e *event) (*hit, string) {
	k := e.key()
	if k.match == "" {
		return nil, ""
	}
	days, _ := e.p.Int("pendingWindowInDays")
	msg := "trail KMS key " + k.resource() + " scheduled for deletion"
	if d := e.r.ResponseElements.String("deletionDate"); d != "" {
		msg += " on " + d
	} else if days > 0 {
		msg += fmt.Sprintf(" in %d days", days)
	}
	return &hit{resource: k.resource(), match: k.match, message: msg,
		evidence: map[string]any{"keyId": k.id, "pendingWindowInDays": days}}, ""
}

func checkKeyRotation(e *event) (*hit, string) {
	k := e.key()
	if k.match == "" {
		return nil, ""
	}
	return &hit{resource: k.resource(), match: k.match, message: "rotation of trail KMS key " + k.resource() + " turned off",
		evidence: map[string]any{"keyId": k.id}}, ""
}

// checkKeyPolicy reports a trail key policy that no longer lets CloudTrail
// generate data keys.
func checkKeyPolicy(e *event) (*hit, string) {
	text := e.p.String("policy")
	k := e.key(mentionsCloudTrail(text))
	if k.match == "" || text == "" {
		return nil, ""
	}
	doc, err := policy.Parse(text)
	if err != nil {
		return nil, unreadable("PutKeyPolicy %s on trail key %s: the policy could not be read (%v); judge it by hand", e.r.EventID, k.resource(), err)
	}
	allowed, why := false, ""
	for _, s := range doc.Statements {
		covers := s.CoversAction("kms:GenerateDataKey")
		switch {
		case s.Allows() && covers && s.Principal.HasService("cloudtrail.amazonaws.com"):
			allowed = true
		case s.Denies() && covers && (s.Principal.IsAnyone() || s.Principal.HasService("cloudtrail.amazonaws.com")) && len(s.Conditions) == 0:
			why = fmt.Sprintf("statement %q denies kms:GenerateDataKey to CloudTrail", s.Sid)
		}
	}
	if why == "" && allowed {
		return nil, ""
	}
	if why == "" {
		why = "no statement allows cloudtrail.amazonaws.com kms:GenerateDataKey*"
	}
	return &hit{resource: k.resource(), match: k.match, message: "policy of trail KMS key " + k.resource() + ": " + why,
		evidence: map[string]any{"keyId": k.id, "policy": text}}, ""
}

// logGroupRef decides whether a log group named in a record is a trail's.
func (e *event) logGroup() (name, match string) {
	name = e.p.String("logGroupName")
	if _, ok := e.c.LogGroup(name, e.r.AWSRegion); ok {
		return name, "inventory"
	}
	return name, nameHint("log group", name)
}

func checkLogGroupDeleted(e *event) (*hit, string) {
	name, match := e.logGroup()
	if match == "" {
		return nil, ""
	}
	return &hit{resource: "log-group/" + name, match: match,
		message:  "trail log group " + name + " deleted, with its events and metric filters",
		evidence: map[string]any{"logGroupName": name}}, ""
}

func checkLogStreamDeleted(e *event) (*hit, string) {
	name, match := e.logGroup()
	if match == "" {
		return nil, ""
	}
	stream := e.p.String("logStreamName")
	return &hit{resource: "log-group/" + name, match: match,
		message:  "stream " + stream + " of trail log group " + name + " deleted",
		evidence: map[string]any{"logGroupName": name, "logStreamName": stream}}, ""
}

func checkLogRetention(e *event) (*hit, string) {
	name, match := e.logGroup()
	days, ok := e.p.Int("retentionInDays")
	if match == "" || !ok || days >= e.c.MinRetentionDays {
		return nil, ""
	}
	return &hit{resource: "log-group/" + name, match: match,
		message:  fmt.Sprintf("retention of trail log group %s set to %d days (minimum %d)", name, days, e.c.MinRetentionDays),
		evidence: map[string]any{"logGroupName": name, "retentionInDays": days}}, ""
}

func checkMetricFilterDeleted(e *event) (*hit, string) {
	name, match := e.logGroup()
	if match == "" {
		return nil, ""
	}
	filter := e.p.String("filterName")
	msg := "metric filter " + filter + " of trail log group " + name + " deleted"
	if lg, ok := e.c.LogGroup(name, e.r.AWSRegion); ok {
		filters, _ := val(lg.MetricFilters)
		alarms, _ := val(lg.Alarms)
		for _, f := range filters {
			if f.Name != filter {
				continue
			}
			for _, m := range f.Metrics {
				for _, a := range alarms {
					if a.MetricName == m.Name && a.Namespace == m.Namespace {
						msg += "; alarm " + a.Name + " watched its metric"
					}
				}
			}
		}
	}
	return &hit{resource: "log-group/" + name, match: match, message: msg,
		evidence: map[string]any{"logGroupName": name, "filterName": filter}}, ""
}

// alarms returns the trail alarms among the alarm names of a CloudWatch
// record, with how each is known.
func (e *event) alarms() (names []string, match string) {
	for _, v := range record.List(e.p.Structured("alarmNames")) {
		n := record.AsString(v)
		if _, _, ok := e.c.Alarm(n, e.r.AWSRegion); ok {
			names, match = append(names, n), "inventory"
		} else if h := nameHint("alarm", n); h != "" {
			names = append(names, n)
			if match == "" {
				match = h
			}
		}
	}
	return names, match
}

func checkAlarmsDeleted(e *event) (*hit, string) {
	names, match := e.alarms()
	if len(names) == 0 {
		return nil, ""
	}
	return &hit{resource: "alarm/" + strings.Join(names, ","), match: match,
		message:  "trail alarm(s) deleted: " + strings.Join(names, ", "),
		evidence: map[string]any{"alarmNames": names}}, ""
}

func checkAlarmActions(e *event) (*hit, string) {
	names, match := e.alarms()
	if len(names) == 0 {
		return nil, ""
	}
	return &hit{resource: "alarm/" + strings.Join(names, ","), match: match,
		message:  "actions of trail alarm(s) disabled: " + strings.Join(names, ", "),
		evidence: map[string]any{"alarmNames": names}}, ""
}

// topic decides whether an SNS topic is one trail alarms notify.
func (e *event) topic(topicARN string) string {
	if e.c.Topic(topicARN) {
		return "inventory"
	}
	return nameHint("topic", topicARN[strings.LastIndex(topicARN, ":")+1:])
}

func checkTopicDeleted(e *event) (*hit, string) {
	t := e.p.String("topicArn")
	match := e.topic(t)
	if match == "" {
		return nil, ""
	}
	return &hit{resource: t, match: match, message: "alarm topic " + t + " deleted, with its subscriptions",
		evidence: map[string]any{"topicArn": t}}, ""
}

func checkUnsubscribe(e *event) (*hit, string) {
	sub := e.p.String("subscriptionArn")
	t := sub
	if i := strings.LastIndex(sub, ":"); i > 0 {
		t = sub[:i]
	}
	match := e.topic(t)
	if match == "" {
		return nil, ""
	}
	return &hit{resource: t, match: match, message: "subscription " + sub + " of alarm topic " + t + " removed",
		evidence: map[string]any{"subscriptionArn": sub}}, ""
}

func checkTopicAttributes(e *event) (*hit, string) {
	t := e.p.String("topicArn")
	attr := e.p.String("attributeName")
	if !strings.EqualFold(attr, "Policy") && !strings.EqualFold(attr, "KmsMasterKeyId") {
		return nil, ""
	}
	match := e.topic(t)
	if match == "" {
		return nil, ""
	}
	return &hit{resource: t, match: match, message: "attribute " + attr + " of alarm topic " + t + " changed",
		evidence: map[string]any{"topicArn": t, "attributeName": attr, "attributeValue": e.p.String("attributeValue")}}, ""
}
