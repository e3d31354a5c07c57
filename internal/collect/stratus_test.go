package collect_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/trailseal/trailseal/internal/awsclient"
	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/rules"
)

// The tests in this file replay Stratus Red Team's CloudTrail defense
// evasion techniques against a hardened account: the calls the technique
// makes, with the request parameters CloudTrail recorded when it ran in a
// real account (testdata/stratus, with its sources), go through the AWS SDK
// to the emulator; then the account is collected and evaluated like any
// scan. Each technique must turn the rules that watch for it from PASS to
// FAIL.

// stratusRecord is the part of a recorded CloudTrail event the replays read.
type stratusRecord struct {
	EventName         string          `json:"eventName"`
	RequestParameters json.RawMessage `json:"requestParameters"`
}

func stratusRecords(t *testing.T, file string) []stratusRecord {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "stratus", file))
	if err != nil {
		t.Fatal(err)
	}
	var log struct{ Records []stratusRecord }
	if err := json.Unmarshal(data, &log); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if len(log.Records) == 0 {
		t.Fatalf("%s holds no record", file)
	}
	return log.Records
}

// stratusHarden adds to seedWellConfigured what the bucket policy alarm
// needs: the CIS filter and an alarm notifying the subscribed topic.
func stratusHarden(t *testing.T, ctx context.Context, w wellConfigured) {
	t.Helper()
	cfg := seedConfig(t, ctx, "us-east-1")
	const pattern = `{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }`
	_, err := cloudwatchlogs.NewFromConfig(cfg).PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{
		LogGroupName:  aws.String(logGroupName),
		FilterName:    aws.String("bucket-policy-changes"),
		FilterPattern: aws.String(pattern),
		MetricTransformations: []logstypes.MetricTransformation{{
			MetricName: aws.String("BucketPolicyChanges"), MetricNamespace: aws.String(metricNS), MetricValue: aws.String("1"),
		}},
	})
	must(t, "bucket policy metric filter", err)
	cw := cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.Protocol = awsclient.EmulatorCloudWatchProtocol() })
	_, err = cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("bucket-policy-changes"), MetricName: aws.String("BucketPolicyChanges"), Namespace: aws.String(metricNS),
		Statistic: cwtypes.StatisticSum, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
		ActionsEnabled:     aws.Bool(true), AlarmActions: []string{w.topicARN},
	})
	must(t, "bucket policy alarm", err)
}

// stratusVerdicts collects the account and returns the finding of each rule
// named, which must be exactly one.
func stratusVerdicts(t *testing.T, ctx context.Context, ids ...string) map[string]findings.Finding {
	t.Helper()
	inv := scan(t, ctx, scanConfig(t, ctx))
	selected, err := rules.Select(rules.All(), ids)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]findings.Finding{}
	for _, f := range rules.Evaluate(inv, selected, rules.DefaultOptions()) {
		if _, dup := out[f.RuleID]; dup {
			t.Fatalf("%s: more than one finding", f.RuleID)
		}
		out[f.RuleID] = f
	}
	return out
}

func stratusExpect(t *testing.T, when string, got map[string]findings.Finding, id string, status findings.Status, parts ...string) {
	t.Helper()
	f, ok := got[id]
	if !ok {
		t.Fatalf("%s: no finding for %s", when, id)
	}
	if f.Status != status {
		t.Errorf("%s: %s is %s, want %s: %s", when, id, f.Status, status, f.Message)
		return
	}
	for _, p := range parts {
		if !strings.Contains(f.Message, p) {
			t.Errorf("%s: %s message %q does not mention %q", when, id, f.Message, p)
		}
	}
}

// TestStratusEventSelectors replays aws.defense-evasion.cloudtrail-event-selectors:
// one PutEventSelectors that turns management events off and leaves the
// trail read-only. Trail, filters, alarms and topics are untouched, so
// only reading the selectors shows that no alarm can fire any more.
func TestStratusEventSelectors(t *testing.T) {
	alarms := []string{"monitoring.trail_changes_alarm", "monitoring.bucket_policy_changes_alarm"}
	for i, rec := range stratusRecords(t, "event-selectors.json") {
		t.Run(rec.EventName+"#"+string(rune('0'+i)), func(t *testing.T) {
			ctx := fresh(t)
			w := seedWellConfigured(t, ctx)
			stratusHarden(t, ctx, w)
			before := stratusVerdicts(t, ctx, alarms...)
			for _, id := range alarms {
				stratusExpect(t, "hardened", before, id, findings.Pass)
			}

			in := stratusPutEventSelectors(t, rec)
			in.TrailName = aws.String(w.trailARN)
			_, err := cloudtrail.NewFromConfig(seedConfig(t, ctx, "us-east-1")).PutEventSelectors(ctx, in)
			must(t, "replayed PutEventSelectors", err)

			after := stratusVerdicts(t, ctx, alarms...)
			for _, id := range alarms {
				stratusExpect(t, "after the technique", after, id, findings.Fail,
					"trail main records none of the write management events",
					"event selector 1: IncludeManagementEvents false, ReadWriteType ReadOnly")
			}
		})
	}
}

// stratusPutEventSelectors rebuilds the PutEventSelectors input from the
// recorded requestParameters (the API's JSON names, lower camel case).
func stratusPutEventSelectors(t *testing.T, rec stratusRecord) *cloudtrail.PutEventSelectorsInput {
	t.Helper()
	if rec.EventName != "PutEventSelectors" {
		t.Fatalf("record is %s, want PutEventSelectors", rec.EventName)
	}
	var p struct {
		EventSelectors []struct {
			ReadWriteType           string `json:"readWriteType"`
			IncludeManagementEvents bool   `json:"includeManagementEvents"`
			DataResources           []struct {
				Type   string   `json:"type"`
				Values []string `json:"values"`
			} `json:"dataResources"`
			ExcludeManagementEventSources []string `json:"excludeManagementEventSources"`
		} `json:"eventSelectors"`
	}
	if err := json.Unmarshal(rec.RequestParameters, &p); err != nil || len(p.EventSelectors) == 0 {
		t.Fatalf("requestParameters %s: %v", rec.RequestParameters, err)
	}
	in := &cloudtrail.PutEventSelectorsInput{}
	for _, s := range p.EventSelectors {
		es := cttypes.EventSelector{
			ReadWriteType:                 cttypes.ReadWriteType(s.ReadWriteType),
			IncludeManagementEvents:       aws.Bool(s.IncludeManagementEvents),
			ExcludeManagementEventSources: s.ExcludeManagementEventSources,
		}
		for _, d := range s.DataResources {
			es.DataResources = append(es.DataResources, cttypes.DataResource{Type: aws.String(d.Type), Values: d.Values})
		}
		in.EventSelectors = append(in.EventSelectors, es)
	}
	return in
}

// TestStratusLifecycle replays aws.defense-evasion.cloudtrail-lifecycle-rule:
// one PutBucketLifecycle (PutBucketLifecycleConfiguration in the SDK) that
// replaces the bucket's rules with a 1-day expiration on the prefix "*".
// S3 prefixes are literal, so no trail log is expired today, but the
// archive rule is gone and the attacker's rule is in place.
func TestStratusLifecycle(t *testing.T) {
	rec := stratusRecords(t, "lifecycle.json")[0]
	for _, tc := range []struct {
		name   string
		before func(t *testing.T, ctx context.Context)
		want   findings.Status
	}{
		{name: "hardened bucket", want: findings.Pass},
		{name: "bucket without lifecycle", want: findings.Fail, before: func(t *testing.T, ctx context.Context) {
			s := s3.NewFromConfig(seedConfig(t, ctx, "us-east-1"), func(o *s3.Options) { o.UsePathStyle = true })
			_, err := s.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: aws.String(trailBucket)})
			must(t, "delete lifecycle", err)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := fresh(t)
			seedWellConfigured(t, ctx)
			if tc.before != nil {
				tc.before(t, ctx)
			}
			before := stratusVerdicts(t, ctx, "bucket.lifecycle")
			stratusExpect(t, "before", before, "bucket.lifecycle", tc.want)

			in := stratusPutLifecycle(t, rec)
			in.Bucket = aws.String(trailBucket)
			s := s3.NewFromConfig(seedConfig(t, ctx, "us-east-1"), func(o *s3.Options) { o.UsePathStyle = true })
			_, err := s.PutBucketLifecycleConfiguration(ctx, in)
			must(t, "replayed PutBucketLifecycle", err)

			after := stratusVerdicts(t, ctx, "bucket.lifecycle")
			stratusExpect(t, "after the technique", after, "bucket.lifecycle", findings.Fail,
				"no enabled lifecycle rule of trail-logs applies to the trail logs under AWSLogs/",
				`rule nuke-cloudtrail-logs-after-1-day (prefix "*"): S3 lifecycle prefixes are literal`,
				`rule nuke-cloudtrail-logs-after-1-day (prefix "*") expires objects after 1 day`)
		})
	}
}

// stratusPutLifecycle rebuilds the lifecycle configuration from the
// recorded requestParameters, which CloudTrail logs in the XML request's
// shape: LifecycleConfiguration.Rule is one rule (or a list of them).
func stratusPutLifecycle(t *testing.T, rec stratusRecord) *s3.PutBucketLifecycleConfigurationInput {
	t.Helper()
	if rec.EventName != "PutBucketLifecycle" {
		t.Fatalf("record is %s, want PutBucketLifecycle", rec.EventName)
	}
	type rule struct {
		ID         string
		Status     string
		Filter     struct{ Prefix *string }
		Expiration struct{ Days int32 }
	}
	var p struct {
		LifecycleConfiguration struct {
			Rule json.RawMessage
		}
	}
	if err := json.Unmarshal(rec.RequestParameters, &p); err != nil {
		t.Fatalf("requestParameters: %v", err)
	}
	var rs []rule
	if err := json.Unmarshal(p.LifecycleConfiguration.Rule, &rs); err != nil {
		var one rule
		if err := json.Unmarshal(p.LifecycleConfiguration.Rule, &one); err != nil {
			t.Fatalf("LifecycleConfiguration.Rule %s: %v", p.LifecycleConfiguration.Rule, err)
		}
		rs = []rule{one}
	}
	cfg := &s3types.BucketLifecycleConfiguration{}
	for _, r := range rs {
		lr := s3types.LifecycleRule{ID: aws.String(r.ID), Status: s3types.ExpirationStatus(r.Status), Filter: &s3types.LifecycleRuleFilter{Prefix: r.Filter.Prefix}}
		if r.Expiration.Days > 0 {
			lr.Expiration = &s3types.LifecycleExpiration{Days: aws.Int32(r.Expiration.Days)}
		}
		cfg.Rules = append(cfg.Rules, lr)
	}
	if len(cfg.Rules) != 1 || aws.ToString(cfg.Rules[0].Filter.Prefix) != "*" {
		t.Fatalf("recorded configuration %+v is not the one the technique writes", cfg.Rules)
	}
	return &s3.PutBucketLifecycleConfigurationInput{LifecycleConfiguration: cfg}
}

// TestCollectLogGroupRetentionAndKey reads a trail log group's retention
// and KMS key through DescribeLogGroups (retentionInDays, kmsKeyId), and
// the two log group rules judge what was read.
func TestCollectLogGroupRetentionAndKey(t *testing.T) {
	ctx := fresh(t)
	w := seedWellConfigured(t, ctx)
	ids := []string{"trail.log_group_retention", "trail.log_group_encryption"}

	got := stratusVerdicts(t, ctx, ids...)
	stratusExpect(t, "365 days, no key", got, "trail.log_group_retention", findings.Pass, "keeps events for 365 days")
	stratusExpect(t, "365 days, no key", got, "trail.log_group_encryption", findings.Fail, "has no KMS key")

	// moto does not implement AssociateKmsKey: the group is made again with
	// its key, as CreateLogGroup's kmsKeyId allows.
	logs := cloudwatchlogs.NewFromConfig(seedConfig(t, ctx, "us-east-1"))
	_, err := logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(logGroupName)})
	must(t, "delete log group", err)
	_, err = logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(logGroupName), KmsKeyId: aws.String(w.keyARN)})
	must(t, "log group with key", err)
	_, err = logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(logGroupName), RetentionInDays: aws.Int32(30)})
	must(t, "retention", err)

	inv := scan(t, ctx, scanConfig(t, ctx))
	g := inv.LogGroup(w.logGroupARN)
	if g == nil {
		t.Fatal("log group not collected")
	}
	if want := inventory.Ok(inventory.LogGroupInfo{Exists: true, RetentionDays: 30, KMSKeyID: w.keyARN}); g.Info.Value == nil || *g.Info.Value != *want.Value {
		t.Fatalf("log group info %+v / %s, want %+v", g.Info.Value, g.Info.Problem(), *want.Value)
	}
	got = stratusVerdicts(t, ctx, ids...)
	stratusExpect(t, "30 days, key", got, "trail.log_group_retention", findings.Fail, "deletes events after 30 days")
	stratusExpect(t, "30 days, key", got, "trail.log_group_encryption", findings.Pass, w.keyARN)
}
