package rules

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/trailseal/trailseal/internal/filterpattern"
	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/selectors"
)

// monitoredEvents is the set of CloudTrail events one alarm must catch.
type monitoredEvents struct {
	source string
	names  []string
}

var trailChangeEvents = monitoredEvents{
	source: "cloudtrail.amazonaws.com",
	names:  []string{"CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"},
}

func checkTrailChangesAlarm(inv *inventory.Inventory, _ Options) []Result {
	return checkEventAlarm(inv, trailChangeEvents)
}

func checkBucketPolicyChangesAlarm(inv *inventory.Inventory, _ Options) []Result {
	return checkEventAlarm(inv, bucketPolicyEvents)
}

var bucketPolicyEvents = monitoredEvents{
	source: "s3.amazonaws.com",
	names: []string{
		"PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle", "PutBucketReplication",
		"DeleteBucketPolicy", "DeleteBucketCors", "DeleteBucketLifecycle", "DeleteBucketReplication",
	},
}

// monSampleRecord builds a CloudTrail record for a successful call by an IAM
// user, shaped like what CloudTrail delivers to CloudWatch Logs, so that a
// filter is judged on the fields it would really see.
func monSampleRecord(source, name, account, region, partition string) string {
	return monMarshal(monSampleMap(source, name, account, region, partition))
}

// monSampleVariants are the sample record and the same call made by other
// kinds of caller, from another address and in another region. A filter
// must catch them all: a multi-region trail delivers every region's events
// to one log group, and an intruder rarely calls as the sample IAM user.
func monSampleVariants(source, name, account, region, partition string) []string {
	other := "us-west-2"
	if region == other {
		other = "ap-southeast-1"
	}
	out := []string{monSampleRecord(source, name, account, region, partition)}
	for _, v := range []struct {
		kind, arn, region, ip string
	}{
		{"AssumedRole", fmt.Sprintf("arn:%s:sts::%s:assumed-role/trailseal-sample/session", partition, account), region, "198.51.100.7"},
		{"Root", fmt.Sprintf("arn:%s:iam::%s:root", partition, account), other, "192.0.2.44"},
		{"FederatedUser", fmt.Sprintf("arn:%s:sts::%s:federated-user/trailseal-sample", partition, account), other, "2001:db8::5"},
	} {
		rec := monSampleMap(source, name, account, v.region, partition)
		id := rec["userIdentity"].(map[string]any)
		id["type"] = v.kind
		id["arn"] = v.arn
		delete(id, "userName")
		rec["sourceIPAddress"] = v.ip
		rec["userAgent"] = "console.amazonaws.com"
		out = append(out, monMarshal(rec))
	}
	return out
}

func monMarshal(rec map[string]any) string {
	b, err := json.Marshal(rec)
	if err != nil {
		panic(err) // a map of plain values always marshals
	}
	return string(b)
}

func monSampleMap(source, name, account, region, partition string) map[string]any {
	return map[string]any{
		"eventVersion": "1.09",
		"userIdentity": map[string]any{
			"type":        "IAMUser",
			"principalId": "AIDAEXAMPLEPRINCIPAL",
			"arn":         fmt.Sprintf("arn:%s:iam::%s:user/trailseal-sample", partition, account),
			"accountId":   account,
			"accessKeyId": "AKIAEXAMPLEKEYID0000",
			"userName":    "trailseal-sample",
		},
		"eventTime":          "2024-01-01T00:00:00Z",
		"eventSource":        source,
		"eventName":          name,
		"awsRegion":          region,
		"sourceIPAddress":    "203.0.113.10",
		"userAgent":          "aws-cli/2.15.0",
		"requestParameters":  map[string]any{},
		"responseElements":   nil,
		"requestID":          "00000000-0000-0000-0000-000000000000",
		"eventID":            "11111111-1111-1111-1111-111111111111",
		"readOnly":           false,
		"eventType":          "AwsApiCall",
		"managementEvent":    true,
		"recipientAccountId": account,
		"eventCategory":      "Management",
	}
}

// monTrailOutcome is what one trail contributes to a monitoring rule.
type monTrailOutcome struct {
	status findings.Status
	detail string
}

func checkEventAlarm(inv *inventory.Inventory, want monitoredEvents) []Result {
	resource := fmt.Sprintf("arn:%s:iam::%s:root", monPartition(inv), inv.Account.ID)
	const region = "global"

	if len(inv.Trails) == 0 {
		// "No trail" is a fact only when every region's trails were listed.
		if r, ok := acctUndecided(inv, nil, resource, "no trail found"); ok {
			return []Result{r}
		}
		return []Result{fail(region, resource, "no trail exists, so no trail events reach CloudWatch Logs to alarm on", findings.Evidence{"trails": 0})}
	}

	var outcomes []monTrailOutcome
	perTrail := []map[string]any{}
	for i := range inv.Trails {
		t := &inv.Trails[i]
		o, feeds := monTrailFeeds(inv, t, want)
		if feeds {
			o = monEvaluateTrail(inv, t, want)
		}
		outcomes = append(outcomes, o)
		perTrail = append(perTrail, map[string]any{"trail": t.ARN, "logGroup": t.CloudWatchLogsLogGroupARN, "status": string(o.status), "detail": o.detail})
	}

	ev := findings.Evidence{"requiredEvents": want.names, "eventSource": want.source, "trails": perTrail}
	var details []string
	counts := map[findings.Status]int{}
	for _, o := range outcomes {
		counts[o.status]++
		if o.status == findings.Pass {
			return []Result{pass(region, resource, o.detail, ev)}
		}
		details = append(details, o.detail)
	}
	msg := strings.Join(details, "; ")
	if counts[findings.Error] == 0 {
		// A trail in a region whose trails could not be listed may be
		// the one that feeds an alarm.
		if r, ok := acctUndecided(inv, nil, resource, msg); ok {
			r.Evidence["trails"] = perTrail
			return []Result{r}
		}
	}
	switch {
	case counts[findings.Error] > 0:
		return []Result{{Status: findings.Error, Region: region, Resource: resource, Message: msg, Evidence: ev}}
	case counts[findings.Manual] > 0:
		return []Result{{Status: findings.Manual, Region: region, Resource: resource, Message: msg, Evidence: ev}}
	}
	return []Result{fail(region, resource, msg, ev)}
}

// monTrailFeeds decides whether a trail delivers the wanted events of every
// region to CloudWatch Logs: it must be multi-region, logging, and record
// the wanted write management events. An alarm on a log group that no such
// trail feeds can never fire. feeds is false with the outcome to report
// when the trail does not qualify or its evidence cannot be read.
func monTrailFeeds(inv *inventory.Inventory, t *inventory.Trail, want monitoredEvents) (o monTrailOutcome, feeds bool) {
	if !t.IsMultiRegion {
		return monTrailOutcome{findings.Fail, fmt.Sprintf("trail %s is single-region: its log group receives events of %s only", t.Name, t.HomeRegion)}, false
	}
	if o, bad := monEvidence(t.Status, fmt.Sprintf("status of trail %s (cloudtrail:GetTrailStatus)", t.Name), t.OwnerAccountID); bad {
		return o, false
	}
	if !t.Status.Value.IsLogging {
		return monTrailOutcome{findings.Fail, fmt.Sprintf("trail %s is not logging (%s)", t.Name, trailStoppedAt(t.Status.Value))}, false
	}
	if o, bad := monEvidence(t.Selectors, fmt.Sprintf("event selectors of trail %s (cloudtrail:GetEventSelectors)", t.Name), t.OwnerAccountID); bad {
		return o, false
	}
	d := selectors.ManagementWrites(*t.Selectors.Value, want.source, want.names)
	switch d.Level {
	case selectors.All:
		return monTrailOutcome{}, true
	case selectors.None:
		return monTrailOutcome{findings.Fail, fmt.Sprintf("trail %s records none of the write management events %s of %s (%s), so no alarm on its log group can fire",
			t.Name, strings.Join(want.names, ", "), want.source, monSelectorCause(*t.Selectors.Value, d, want.source))}, false
	}
	return monTrailOutcome{findings.Fail, fmt.Sprintf("trail %s records only some of the write management events %s of %s (%s), so an alarm on its log group may never fire",
		t.Name, strings.Join(want.names, ", "), want.source, monSelectorCause(*t.Selectors.Value, d, want.source))}, false
}

// monSelectorCause names the selectors that keep the wanted events out, in
// the terms the user wrote them: basic selectors by their settings
// (ReadWriteType, IncludeManagementEvents, ExcludeManagementEventSources),
// advanced ones by the field condition the evaluator blames.
func monSelectorCause(sel inventory.EventSelectors, d selectors.Direction, source string) string {
	var parts []string
	for i, b := range sel.Basic {
		var why []string
		if !b.IncludeManagementEvents {
			why = append(why, "IncludeManagementEvents false")
		}
		if strings.EqualFold(b.ReadWriteType, "ReadOnly") {
			why = append(why, "ReadWriteType ReadOnly")
		}
		if slices.Contains(b.ExcludeManagementEventSources, source) {
			why = append(why, "ExcludeManagementEventSources "+source)
		}
		if len(why) > 0 {
			parts = append(parts, fmt.Sprintf("event selector %d: %s", i+1, strings.Join(why, ", ")))
		}
	}
	if len(parts) == 0 {
		parts = d.Reasons
	}
	if len(parts) == 0 {
		if len(sel.Advanced) > 0 {
			return "no advanced event selector selects eventCategory Management"
		}
		return "no event selector records management events"
	}
	return strings.Join(parts, "; ")
}

// monEvaluateTrail decides whether a logging multi-region trail has a
// filter, alarm and subscribed topic that catch every wanted event.
func monEvaluateTrail(inv *inventory.Inventory, t *inventory.Trail, want monitoredEvents) monTrailOutcome {
	if t.CloudWatchLogsLogGroupARN == "" {
		return monTrailOutcome{findings.Fail, fmt.Sprintf("trail %s delivers to no CloudWatch Logs log group", t.Name)}
	}
	lg := inv.LogGroup(t.CloudWatchLogsLogGroupARN)
	if lg == nil {
		return monTrailOutcome{findings.Error, fmt.Sprintf("log group %s of trail %s was not collected: re-run the scan with logs:DescribeLogGroups permission", t.CloudWatchLogsLogGroupARN, t.Name)}
	}
	if o, bad := monEvidence(lg.Info, "log group "+lg.Name, lg.OwnerAccountID); bad {
		return o
	}
	if !lg.Info.Value.Exists {
		return monTrailOutcome{findings.Fail, fmt.Sprintf("log group %s of trail %s no longer exists", lg.Name, t.Name)}
	}
	if o, bad := monEvidence(lg.MetricFilters, "metric filters of log group "+lg.Name, lg.OwnerAccountID); bad {
		return o
	}
	filters := *lg.MetricFilters.Value
	if len(filters) == 0 {
		return monTrailOutcome{findings.Fail, fmt.Sprintf("log group %s has no metric filter", lg.Name)}
	}

	region := lg.Region
	if region == "" {
		region = t.HomeRegion
	}
	events := make([][]string, len(want.names))
	for i, name := range want.names {
		events[i] = monSampleVariants(want.source, name, inv.Account.ID, region, monPartition(inv))
	}

	var matching []inventory.MetricFilter
	var misses []string
	for _, f := range filters {
		p, err := filterpattern.Parse(f.Pattern)
		if err != nil {
			misses = append(misses, fmt.Sprintf("filter %s does not parse (%v)", f.Name, err))
			continue
		}
		var missed []string
		narrowed := false
		for i, variants := range events {
			for j, e := range variants {
				if !p.Match(e) {
					missed = append(missed, want.names[i])
					narrowed = narrowed || j > 0
					break
				}
			}
		}
		switch {
		case len(missed) == 0:
			matching = append(matching, f)
		case narrowed:
			misses = append(misses, fmt.Sprintf("filter %s misses %s when called by some identity types, addresses or regions", f.Name, strings.Join(missed, ", ")))
		case len(missed) < len(want.names):
			misses = append(misses, fmt.Sprintf("filter %s misses %s", f.Name, strings.Join(missed, ", ")))
		}
	}
	if len(matching) == 0 {
		msg := fmt.Sprintf("no metric filter on log group %s matches all of %s", lg.Name, strings.Join(want.names, ", "))
		if len(misses) > 0 {
			msg += " (" + strings.Join(misses, "; ") + ")"
		}
		return monTrailOutcome{findings.Fail, msg}
	}

	if o, bad := monEvidence(lg.Alarms, "alarms of log group "+lg.Name, lg.OwnerAccountID); bad {
		return o
	}
	return monEvaluateAlarms(inv, t, lg, matching, *lg.Alarms.Value)
}

// monEvaluateAlarms looks for an alarm on a matching filter's metric that
// notifies a subscribed SNS topic. Unreadable subscriptions only decide the
// outcome when nothing else passes.
func monEvaluateAlarms(inv *inventory.Inventory, t *inventory.Trail, lg *inventory.LogGroup, matching []inventory.MetricFilter, alarms []inventory.Alarm) monTrailOutcome {
	var problems []string
	worst := findings.Fail
	raise := func(s findings.Status) {
		if s == findings.Error || (s == findings.Manual && worst == findings.Fail) {
			worst = s
		}
	}
	filterNames := make([]string, 0, len(matching))
	alarmed := false
	// Metrics a filter publishes with dimensions: CloudWatch keeps one
	// metric per combination of dimension values, taken from each event,
	// so an alarm watches one value and trailseal cannot tell whether the
	// alarms cover every event (and an alarm on the metric without
	// dimensions never receives data).
	var dimensioned []string
	dimMetric := ""
	for _, f := range matching {
		filterNames = append(filterNames, f.Name)
		for _, m := range f.Metrics {
			if len(m.Dimensions) > 0 {
				dimMetric = m.Name
				dimensioned = append(dimensioned, fmt.Sprintf("%s/%s of filter %s (dimensions %s)", m.Namespace, m.Name, f.Name, strings.Join(m.Dimensions, ", ")))
				continue
			}
			for _, a := range alarms {
				// An alarm on a dimension of the metric watches data the
				// filter never publishes.
				if a.MetricName != m.Name || a.Namespace != m.Namespace || len(a.Dimensions) > 0 {
					continue
				}
				alarmed = true
				if !a.ActionsEnabled {
					problems = append(problems, fmt.Sprintf("alarm %s has its actions disabled", a.Name))
					continue
				}
				var topics []string
				for _, action := range a.AlarmActions {
					if strings.Contains(action, ":sns:") {
						topics = append(topics, action)
					}
				}
				if len(topics) == 0 {
					problems = append(problems, fmt.Sprintf("alarm %s notifies no SNS topic", a.Name))
					continue
				}
				for _, arn := range topics {
					topic := inv.Topic(arn)
					if topic == nil {
						raise(findings.Error)
						problems = append(problems, fmt.Sprintf("SNS topic %s of alarm %s was not collected", arn, a.Name))
						continue
					}
					if topic.Subscriptions.Value == nil {
						if topic.Subscriptions.Elsewhere != nil {
							raise(findings.Manual)
						} else {
							raise(findings.Error)
						}
						problems = append(problems, fmt.Sprintf("cannot read subscriptions of SNS topic %s: %s", arn, topic.Subscriptions.Problem()))
						continue
					}
					confirmed, pending := 0, 0
					for _, s := range *topic.Subscriptions.Value {
						if s.Confirmed() {
							confirmed++
						} else if s.SubscriptionARN == "PendingConfirmation" {
							pending++
						}
					}
					if confirmed > 0 {
						return monTrailOutcome{findings.Pass, fmt.Sprintf("metric filter %s on log group %s feeds alarm %s, which notifies SNS topic %s with %d confirmed subscription(s)",
							f.Name, lg.Name, a.Name, arn, confirmed)}
					}
					if pending > 0 {
						problems = append(problems, fmt.Sprintf("SNS topic %s of alarm %s has only subscriptions pending confirmation (%d)", arn, a.Name, pending))
					} else {
						problems = append(problems, fmt.Sprintf("SNS topic %s of alarm %s has no confirmed subscription", arn, a.Name))
					}
				}
			}
		}
	}
	sort.Strings(filterNames)
	if len(dimensioned) > 0 {
		raise(findings.Manual)
		problems = append(problems, fmt.Sprintf("metric %s is published with dimensions, one metric per value: check that alarms on every value "+
			"notify a subscribed SNS topic (aws cloudwatch describe-alarms --query 'MetricAlarms[?MetricName==`%s`]')",
			strings.Join(dimensioned, "; "), dimMetric))
	}
	if !alarmed && len(dimensioned) == 0 {
		return monTrailOutcome{findings.Fail, fmt.Sprintf("no alarm watches the metric of matching filter(s) %s on log group %s", strings.Join(filterNames, ", "), lg.Name)}
	}
	return monTrailOutcome{worst, fmt.Sprintf("trail %s, log group %s: %s", t.Name, lg.Name, strings.Join(problems, "; "))}
}

// monEvidence turns unreadable log group evidence into a trail outcome:
// MANUAL when another account holds the group, ERROR otherwise.
func monEvidence[T any](r inventory.Result[T], what, owner string) (monTrailOutcome, bool) {
	if r.Value != nil {
		return monTrailOutcome{}, false
	}
	if r.Elsewhere != nil {
		acct := r.Elsewhere.OwnerAccountID
		if acct == "" {
			acct = owner
		}
		return monTrailOutcome{findings.Manual, fmt.Sprintf("%s is held by account %s: check its metric filters, alarms and SNS subscriptions there", what, acct)}, true
	}
	return monTrailOutcome{findings.Error, fmt.Sprintf("cannot read %s: %s", what, r.Problem())}, true
}

func monPartition(inv *inventory.Inventory) string {
	if inv.Partition == "" {
		return "aws"
	}
	return inv.Partition
}

func checkConfigRecorder(inv *inventory.Inventory, _ Options) []Result {
	partition := monPartition(inv)
	var out []Result
	regions := map[string][]string{} // region -> trail buckets there
	var foreign []string
	seen := map[string]bool{}
	for _, t := range inv.Trails {
		name := t.S3BucketName
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		b := inv.Bucket(name)
		if b == nil {
			out = append(out, Result{
				Status: findings.Error, Region: "global", Resource: fmt.Sprintf("arn:%s:s3:::%s", partition, name),
				Message: fmt.Sprintf("trail bucket %s was not collected, so its region is unknown: re-run the scan with s3:GetBucketLocation permission", name),
			})
			continue
		}
		// Only a bucket known to be another account's is skipped; one whose
		// owner is unknown (s3:ListBuckets failed) is judged here, and an
		// uncollected Config state for its region turns into ERROR.
		otherOwner := b.OwnerAccountID != "" && b.OwnerAccountID != inv.Account.ID
		if b.Region.Elsewhere != nil || (!b.OwnedByScannedAccount && otherOwner) {
			owner := b.OwnerAccountID
			if owner == "" && b.Region.Elsewhere != nil {
				owner = b.Region.Elsewhere.OwnerAccountID
			}
			if owner == "" {
				owner = "another account"
			}
			foreign = append(foreign, fmt.Sprintf("%s (owned by %s)", name, owner))
			continue
		}
		if b.Region.Value == nil {
			r, _ := missing(b.Region, "region of trail bucket "+name, "global", b.ARN)
			out = append(out, r)
			continue
		}
		regions[*b.Region.Value] = append(regions[*b.Region.Value], name)
	}

	if len(regions) == 0 && len(out) == 0 {
		if len(inv.Trails) == 0 {
			return trailNone(inv, "no trail bucket in this account, so no region needs a Config recorder for it")
		}
		if len(foreign) > 0 {
			return trailListGap(inv, []Result{{
				Status: findings.NA, Region: "global", Resource: fmt.Sprintf("arn:%s:config::%s:config-recorder", partition, inv.Account.ID),
				Message:  fmt.Sprintf("trail buckets live in other accounts: %s; check AWS Config in their regions there", strings.Join(foreign, ", ")),
				Evidence: findings.Evidence{"foreignBuckets": foreign},
			}})
		}
		return trailListGap(inv, []Result{notApplicable("global", fmt.Sprintf("arn:%s:config::%s:config-recorder", partition, inv.Account.ID), "no trail bucket in this account, so no region needs a Config recorder for it")})
	}

	names := make([]string, 0, len(regions))
	for r := range regions {
		names = append(names, r)
	}
	sort.Strings(names)
	for _, region := range names {
		out = append(out, monConfigRegionResult(inv, partition, region, regions[region]))
	}
	return trailListGap(inv, out)
}

func monConfigRegionResult(inv *inventory.Inventory, partition, region string, buckets []string) Result {
	resource := fmt.Sprintf("arn:%s:config:%s:%s:config-recorder", partition, region, inv.Account.ID)
	cr := inv.ConfigRegion(region)
	if cr == nil {
		return Result{Status: findings.Error, Region: region, Resource: resource,
			Message:  fmt.Sprintf("AWS Config state of %s was not collected: re-run the scan with config:DescribeConfigurationRecorders permission", region),
			Evidence: findings.Evidence{"trailBuckets": buckets}}
	}
	if r, bad := missing(cr.Recorders, "AWS Config recorders in "+region, region, resource); bad {
		r.Evidence["trailBuckets"] = buckets
		return r
	}
	recs := *cr.Recorders.Value
	ev := findings.Evidence{"trailBuckets": buckets, "recorders": recs}
	if len(recs) == 0 {
		return fail(region, resource, fmt.Sprintf("no AWS Config recorder in %s, which holds trail bucket(s) %s", region, strings.Join(buckets, ", ")), ev)
	}
	var problems []string
	for _, rec := range recs {
		coversS3 := rec.AllSupported || slices.Contains(rec.ResourceTypes, "AWS::S3::Bucket")
		scope := "AWS::S3::Bucket"
		switch {
		case rec.AllSupported:
			scope = "all supported resource types"
		case rec.Strategy == "EXCLUSION_BY_RESOURCE_TYPES":
			// Every supported type but the excluded ones.
			coversS3 = !slices.Contains(rec.ExcludedResourceTypes, "AWS::S3::Bucket")
			scope = "all supported resource types but " + strings.Join(rec.ExcludedResourceTypes, ", ")
			if len(rec.ExcludedResourceTypes) == 0 {
				scope = "all supported resource types"
			}
		}
		switch {
		case rec.Recording && coversS3 && rec.LastStatus == "FAILURE":
			// Switched on, but what it records does not arrive.
			problems = append(problems, fmt.Sprintf("recorder %s is on but its latest recording failed (%s)", rec.Name, cmp.Or(rec.LastErrorCode, "no error code")))
		case rec.Recording && coversS3:
			return pass(region, resource, fmt.Sprintf("AWS Config recorder %s is recording %s in %s", rec.Name, scope, region), ev)
		case rec.Strategy == "EXCLUSION_BY_RESOURCE_TYPES" && !coversS3 && rec.Recording:
			problems = append(problems, fmt.Sprintf("recorder %s excludes AWS::S3::Bucket", rec.Name))
		case !rec.Recording && !coversS3:
			problems = append(problems, fmt.Sprintf("recorder %s is stopped and does not record AWS::S3::Bucket", rec.Name))
		case !rec.Recording:
			problems = append(problems, fmt.Sprintf("recorder %s is stopped", rec.Name))
		default:
			problems = append(problems, fmt.Sprintf("recorder %s records neither all supported types nor AWS::S3::Bucket", rec.Name))
		}
	}
	return fail(region, resource, fmt.Sprintf("AWS Config does not record trail bucket(s) %s in %s: %s", strings.Join(buckets, ", "), region, strings.Join(problems, "; ")), ev)
}
