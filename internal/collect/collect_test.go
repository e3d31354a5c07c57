package collect_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	configtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
	"github.com/google/go-cmp/cmp"

	"github.com/trailseal/trailseal/internal/awsclient"
	"github.com/trailseal/trailseal/internal/inventory"
)

// stripAccountHost lets the seeding client reach moto's S3 Control API,
// for the reason explained on the collector's own resolver.
type stripAccountHost struct{}

func (stripAccountHost) ResolveEndpoint(ctx context.Context, p s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	ep, err := s3control.NewDefaultEndpointResolverV2().ResolveEndpoint(ctx, p)
	if err == nil && p.AccountId != nil {
		ep.URI.Host = strings.TrimPrefix(ep.URI.Host, *p.AccountId+".")
	}
	return ep, err
}

func TestCollectWellConfigured(t *testing.T) {
	ctx := fresh(t)
	w := seedWellConfigured(t, ctx)

	inv := scan(t, ctx, scanConfig(t, ctx))

	if inv.SchemaVersion != inventory.SchemaVersion || inv.Generator != "trailseal" || inv.CollectedAt.IsZero() {
		t.Errorf("header: schema %d generator %q collectedAt %v", inv.SchemaVersion, inv.Generator, inv.CollectedAt)
	}
	if inv.Account.ID != motoAccount || inv.Partition != "aws" || inv.Account.CallerARN == "" {
		t.Errorf("account: %+v partition %q", inv.Account, inv.Partition)
	}
	if diff := cmp.Diff(scanRegions, inv.Regions); diff != "" {
		t.Errorf("regions (-want +got):\n%s", diff)
	}
	if len(inv.RegionErrors) != 0 {
		t.Errorf("region errors: %+v", inv.RegionErrors)
	}
	if diff := cmp.Diff(inventory.Ok(inventory.Organization{Member: false}), inv.Organization); diff != "" {
		t.Errorf("organization (-want +got):\n%s", diff)
	}

	if len(inv.Trails) != 1 {
		t.Fatalf("want 1 trail (the multi-region trail once, not once per region), got %d: %+v", len(inv.Trails), inv.Trails)
	}
	tr := inv.Trails[0]
	wantTrail := inventory.Trail{
		ARN:                        w.trailARN,
		Name:                       "main",
		HomeRegion:                 "us-east-1",
		OwnerAccountID:             motoAccount,
		S3BucketName:               trailBucket,
		IsMultiRegion:              true,
		IncludeGlobalServiceEvents: true,
		LogFileValidationEnabled:   true,
		KMSKeyID:                   w.keyARN,
		CloudWatchLogsLogGroupARN:  w.logGroupARN,
		CloudWatchLogsRoleARN:      w.roleARN,
		HasInsightSelectors:        tr.HasInsightSelectors,
	}
	got := tr
	got.Status, got.Selectors, got.Insights = inventory.Result[inventory.TrailStatus]{}, inventory.Result[inventory.EventSelectors]{}, inventory.Result[[]string]{}
	got.HasCustomEventSelectors = false
	if diff := cmp.Diff(wantTrail, got); diff != "" {
		t.Errorf("trail (-want +got):\n%s", diff)
	}
	if tr.Status.Value == nil || !tr.Status.Value.IsLogging || tr.Status.Value.StartLoggingTime == nil {
		t.Errorf("status: want logging with a start time, got %+v", tr.Status)
	}
	if tr.Selectors.Value == nil {
		t.Errorf("selectors not read: %s", tr.Selectors.Problem())
	}
	// moto does not set HasInsightSelectors in DescribeTrails; when it
	// does, the insight types must have been read.
	if tr.HasInsightSelectors {
		if diff := cmp.Diff(inventory.Ok([]string{"ApiCallRateInsight"}), tr.Insights); diff != "" {
			t.Errorf("insights (-want +got):\n%s", diff)
		}
	} else if diff := cmp.Diff(inventory.Ok([]string{}), tr.Insights); diff != "" {
		t.Errorf("insights without selectors (-want +got):\n%s", diff)
	}

	b := inv.Bucket(trailBucket)
	if b == nil {
		t.Fatalf("trail bucket missing from %+v", inv.Buckets)
	}
	if len(inv.Buckets) != 1 {
		t.Errorf("want only the trail bucket, got %d buckets", len(inv.Buckets))
	}
	allOn := inventory.PublicAccessBlock{Configured: true, BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
	checks := []struct {
		name      string
		want, got any
	}{
		{"arn", "arn:aws:s3:::" + trailBucket, b.ARN},
		{"owned", true, b.OwnedByScannedAccount},
		{"owner", motoAccount, b.OwnerAccountID},
		{"region", inventory.Ok("us-east-1"), b.Region},
		{"versioning", inventory.Ok(inventory.Versioning{Status: "Enabled"}), b.Versioning},
		{"object lock", inventory.Ok(inventory.ObjectLock{Enabled: true, DefaultMode: "COMPLIANCE", Days: 400}), b.ObjectLock},
		{"encryption", inventory.Ok(inventory.Encryption{Rules: []inventory.EncryptionRule{{SSEAlgorithm: "aws:kms", KMSMasterKeyID: w.keyARN}}}), b.Encryption},
		{"public access block", inventory.Ok(allOn), b.PublicAccessBlock},
		{"policy status", inventory.Ok(inventory.PolicyStatus{IsPublic: false}), b.PolicyStatus},
		{"ownership", inventory.Ok(inventory.Ownership{ObjectOwnership: "BucketOwnerEnforced"}), b.Ownership},
		{"logging", inventory.Ok(inventory.AccessLogging{Enabled: true, TargetBucket: accessBucket, TargetPrefix: "trail-logs/"}), b.Logging},
		{"lifecycle", inventory.Ok(inventory.Lifecycle{Configured: true, Rules: []inventory.LifecycleRule{{
			ID: "archive", Status: "Enabled", Prefix: "AWSLogs/", ExpirationDays: 400, NoncurrentExpirationDays: 400,
			Transitions: []inventory.Transition{{Days: 90, StorageClass: "GLACIER"}},
		}}}), b.Lifecycle},
		{"account public access block", inventory.Ok(allOn), inv.AccountPublicAccessBlock},
	}
	for _, c := range checks {
		if diff := cmp.Diff(c.want, c.got); diff != "" {
			t.Errorf("bucket %s (-want +got):\n%s", c.name, diff)
		}
	}
	if b.Policy.Value == nil || !b.Policy.Value.Exists || !jsonEqual(t, bucketPolicy, b.Policy.Value.Document) {
		t.Errorf("policy: want %s, got %+v", bucketPolicy, b.Policy)
	}
	if b.ACL.Value == nil || len(b.ACL.Value.Grants) == 0 || b.ACL.Value.OwnerID == "" {
		t.Errorf("acl: want the owner's grant, got %+v", b.ACL)
	}

	if len(inv.Keys) != 1 {
		t.Fatalf("want 1 key, got %+v", inv.Keys)
	}
	k := inv.Keys[0]
	if k.ARN != w.keyARN || k.Region != "us-east-1" || k.OwnerAccountID != motoAccount {
		t.Errorf("key identity: %+v", k)
	}
	if k.Metadata.Value == nil || k.Metadata.Value.KeyManager != "CUSTOMER" || k.Metadata.Value.KeyState != "Enabled" || !k.Metadata.Value.Enabled {
		t.Errorf("key metadata: %+v", k.Metadata)
	}
	if diff := cmp.Diff(inventory.Ok(true), k.Rotation); diff != "" {
		t.Errorf("rotation (-want +got):\n%s", diff)
	}
	if k.Policy.Value == nil || !strings.Contains(*k.Policy.Value, "Statement") {
		t.Errorf("key policy: %+v", k.Policy)
	}

	if len(inv.LogGroups) != 1 {
		t.Fatalf("want 1 log group, got %+v", inv.LogGroups)
	}
	g := inv.LogGroups[0]
	if g.Name != logGroupName || g.Region != "us-east-1" || g.OwnerAccountID != motoAccount || inv.LogGroup(w.logGroupARN) == nil {
		t.Errorf("log group identity: %+v", g)
	}
	if diff := cmp.Diff(inventory.Ok(inventory.LogGroupInfo{Exists: true, RetentionDays: 365}), g.Info); diff != "" {
		t.Errorf("log group info (-want +got):\n%s", diff)
	}
	wantFilters := []inventory.MetricFilter{{Name: "trail-changes", Pattern: trailPattern, Metrics: []inventory.MetricTarget{{Name: metricName, Namespace: metricNS}}}}
	if diff := cmp.Diff(inventory.Ok(wantFilters), g.MetricFilters); diff != "" {
		t.Errorf("metric filters (-want +got):\n%s", diff)
	}
	wantAlarms := []inventory.Alarm{{Name: "trail-changes", ARN: w.alarmARN, MetricName: metricName, Namespace: metricNS, ActionsEnabled: true, AlarmActions: []string{w.topicARN}}}
	if diff := cmp.Diff(inventory.Ok(wantAlarms), g.Alarms); diff != "" {
		t.Errorf("alarms (-want +got):\n%s", diff)
	}
	wantTopics := []inventory.SNSTopic{{ARN: w.topicARN, Region: "us-east-1", Subscriptions: inventory.Ok([]inventory.Subscription{{
		SubscriptionARN: w.subARN, Protocol: "sqs", Endpoint: "arn:aws:sqs:us-east-1:" + motoAccount + ":security",
	}})}}
	if diff := cmp.Diff(wantTopics, inv.Topics); diff != "" {
		t.Errorf("topics (-want +got):\n%s", diff)
	}

	if inv.IAM.Value == nil {
		t.Fatalf("iam not read: %s", inv.IAM.Problem())
	}
	var ops *inventory.Principal
	for i, p := range inv.IAM.Value.Principals {
		if p.Type == "user" && p.Name == "ops" {
			ops = &inv.IAM.Value.Principals[i]
		}
	}
	if ops == nil {
		t.Fatalf("user ops missing from %+v", inv.IAM.Value.Principals)
	}
	if diff := cmp.Diff([]string{fullAccessARN}, ops.AttachedPolicyARNs); diff != "" {
		t.Errorf("attached policies (-want +got):\n%s", diff)
	}
	if len(ops.InlinePolicies) != 1 || ops.InlinePolicies[0].Name != "trail-admin" || !jsonEqual(t, inlineDoc, ops.InlinePolicies[0].Document) {
		t.Errorf("inline policy: want trail-admin decoded to %s, got %+v", inlineDoc, ops.InlinePolicies)
	}
	var breaker *inventory.ManagedPolicy
	for i, p := range inv.IAM.Value.ManagedPolicies {
		if p.ARN == w.policyARN {
			breaker = &inv.IAM.Value.ManagedPolicies[i]
		}
		if strings.HasPrefix(p.ARN, "arn:aws:iam::aws:") {
			t.Errorf("AWS managed policy %s listed as customer managed", p.ARN)
		}
	}
	if breaker == nil || breaker.Name != "trail-breaker" || !jsonEqual(t, managedDoc, breaker.Document) {
		t.Errorf("customer managed policy: want trail-breaker with its default document, got %+v", breaker)
	}
	if len(inv.ConfigRecorders) != 1 || inv.ConfigRecorders[0].Region != "us-east-1" || inv.ConfigRecorders[0].Recorders.Value == nil {
		t.Fatalf("config: want the bucket region read, got %+v", inv.ConfigRecorders)
	}
	recs := *inv.ConfigRecorders[0].Recorders.Value
	if len(recs) != 1 || recs[0].Name != "default" || !recs[0].Recording || !recs[0].AllSupported {
		t.Errorf("config recorders: want default, recording all supported types, got %+v", recs)
	}
	if len(inv.Calls) == 0 {
		t.Errorf("calls not counted")
	}
}

// TestCollectMetricDimensions records the dimensions a metric filter
// publishes with and the dimensions an alarm watches: CloudWatch keeps one
// metric per combination of dimension values, so the alarm rules must know
// them to avoid counting an alarm that never receives data.
func TestCollectMetricDimensions(t *testing.T) {
	ctx := fresh(t)
	seedWellConfigured(t, ctx)
	cfg := seedConfig(t, ctx, "us-east-1")
	_, err := cloudwatchlogs.NewFromConfig(cfg).PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{
		LogGroupName:  aws.String(logGroupName),
		FilterName:    aws.String("by-event"),
		FilterPattern: aws.String(trailPattern),
		MetricTransformations: []logstypes.MetricTransformation{{
			MetricName: aws.String("TrailChangesByEvent"), MetricNamespace: aws.String(metricNS), MetricValue: aws.String("1"),
			Dimensions: map[string]string{"EventName": "$.eventName", "Account": "$.recipientAccountId"},
		}},
	})
	must(t, "metric filter with dimensions", err)
	cw := cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.Protocol = awsclient.EmulatorCloudWatchProtocol() })
	_, err = cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("stop-logging"), MetricName: aws.String("TrailChangesByEvent"), Namespace: aws.String(metricNS),
		Dimensions:         []cwtypes.Dimension{{Name: aws.String("EventName"), Value: aws.String("StopLogging")}},
		Statistic:          cwtypes.StatisticSum,
		Period:             aws.Int32(300),
		EvaluationPeriods:  aws.Int32(1),
		Threshold:          aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
	})
	must(t, "alarm on a dimension", err)

	inv := scan(t, ctx, scanConfig(t, ctx))
	g := inv.LogGroups[0]
	if g.MetricFilters.Value == nil || g.Alarms.Value == nil {
		t.Fatalf("filters %s, alarms %s", g.MetricFilters.Problem(), g.Alarms.Problem())
	}
	var filterDims, alarmDims []string
	for _, f := range *g.MetricFilters.Value {
		if f.Name == "by-event" {
			filterDims = f.Metrics[0].Dimensions
		}
	}
	for _, a := range *g.Alarms.Value {
		if a.Name == "stop-logging" {
			alarmDims = a.Dimensions
		}
	}
	if diff := cmp.Diff([]string{"Account", "EventName"}, filterDims); diff != "" {
		t.Errorf("filter dimensions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"EventName"}, alarmDims); diff != "" {
		t.Errorf("alarm dimensions (-want +got):\n%s", diff)
	}
}

// TestCollectConfigRecorderExclusions records an exclusion-strategy
// recorder's strategy and exclusion list: it records every supported type
// but those, which the config.recorder rule must see to judge S3 buckets.
func TestCollectConfigRecorderExclusions(t *testing.T) {
	ctx := fresh(t)
	seedWellConfigured(t, ctx)
	conf := configservice.NewFromConfig(seedConfig(t, ctx, "us-east-1"))
	_, err := conf.PutConfigurationRecorder(ctx, &configservice.PutConfigurationRecorderInput{ConfigurationRecorder: &configtypes.ConfigurationRecorder{
		Name:    aws.String("default"),
		RoleARN: aws.String("arn:aws:iam::" + motoAccount + ":role/cloudtrail-to-logs"),
		RecordingGroup: &configtypes.RecordingGroup{
			RecordingStrategy:        &configtypes.RecordingStrategy{UseOnly: configtypes.RecordingStrategyTypeExclusionByResourceTypes},
			ExclusionByResourceTypes: &configtypes.ExclusionByResourceTypes{ResourceTypes: []configtypes.ResourceType{configtypes.ResourceTypeBucket}},
		},
	}})
	must(t, "exclusion recorder", err)

	inv := scan(t, ctx, scanConfig(t, ctx))
	if len(inv.ConfigRecorders) != 1 || inv.ConfigRecorders[0].Recorders.Value == nil {
		t.Fatalf("config not read: %+v", inv.ConfigRecorders)
	}
	recs := *inv.ConfigRecorders[0].Recorders.Value
	if len(recs) != 1 {
		t.Fatalf("recorders: %+v", recs)
	}
	r := recs[0]
	if r.AllSupported || r.Strategy != "EXCLUSION_BY_RESOURCE_TYPES" || !cmp.Equal(r.ExcludedResourceTypes, []string{"AWS::S3::Bucket"}) {
		t.Errorf("recorder: want the exclusion strategy excluding AWS::S3::Bucket, got %+v", r)
	}
}
