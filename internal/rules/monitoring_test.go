package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/filterpattern"
	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
)

const (
	monAccount  = "111122223333"
	monGroupARN = "arn:aws:logs:eu-west-1:111122223333:log-group:trail-logs:*"
	monTopicARN = "arn:aws:sns:eu-west-1:111122223333:security-alerts"
)

// monInventory returns an account whose multi-region trail feeds a log group
// carrying both CIS filters, each with an alarm on a topic with a confirmed
// subscriber, and whose trail bucket region records S3 buckets in Config.
func monInventory() *inventory.Inventory {
	return &inventory.Inventory{
		Partition: "aws",
		Account:   inventory.Account{ID: monAccount},
		Trails: []inventory.Trail{{
			ARN:                       "arn:aws:cloudtrail:eu-west-1:111122223333:trail/main",
			Name:                      "main",
			HomeRegion:                "eu-west-1",
			OwnerAccountID:            monAccount,
			S3BucketName:              "trail-bucket",
			IsMultiRegion:             true,
			CloudWatchLogsLogGroupARN: monGroupARN,
			Status:                    inventory.Ok(inventory.TrailStatus{IsLogging: true}),
			Selectors:                 inventory.Ok(inventory.EventSelectors{}),
		}},
		Buckets: []inventory.Bucket{{
			Name:                  "trail-bucket",
			ARN:                   "arn:aws:s3:::trail-bucket",
			OwnedByScannedAccount: true,
			OwnerAccountID:        monAccount,
			Region:                inventory.Ok("eu-west-1"),
		}},
		LogGroups: []inventory.LogGroup{{
			ARN:            monGroupARN,
			Name:           "trail-logs",
			Region:         "eu-west-1",
			OwnerAccountID: monAccount,
			Info:           inventory.Ok(inventory.LogGroupInfo{Exists: true}),
			MetricFilters: inventory.Ok([]inventory.MetricFilter{
				{Name: "trail-changes", Pattern: catalog.TrailChangesPattern, Metrics: []inventory.MetricTarget{{Name: "TrailChanges", Namespace: "CIS"}}},
				{Name: "bucket-policy", Pattern: catalog.BucketPolicyChangesPattern, Metrics: []inventory.MetricTarget{{Name: "BucketPolicyChanges", Namespace: "CIS"}}},
			}),
			Alarms: inventory.Ok([]inventory.Alarm{
				{Name: "trail-changes-alarm", MetricName: "TrailChanges", Namespace: "CIS", ActionsEnabled: true, AlarmActions: []string{monTopicARN}},
				{Name: "bucket-policy-alarm", MetricName: "BucketPolicyChanges", Namespace: "CIS", ActionsEnabled: true, AlarmActions: []string{monTopicARN}},
			}),
		}},
		Topics: []inventory.SNSTopic{{
			ARN:    monTopicARN,
			Region: "eu-west-1",
			Subscriptions: inventory.Ok([]inventory.Subscription{
				{SubscriptionARN: monTopicARN + ":0f6c6a5e", Protocol: "email", Endpoint: "secops@example.com"},
			}),
		}},
		ConfigRecorders: []inventory.ConfigRegion{{
			Region: "eu-west-1",
			Recorders: inventory.Ok([]inventory.ConfigRecorder{
				{Name: "default", Recording: true, AllSupported: true, LastStatus: "SUCCESS"},
			}),
		}},
	}
}

func monRule(t *testing.T, id string) Rule {
	t.Helper()
	r, ok := Lookup(monitoringRules(), id)
	if !ok {
		t.Fatalf("rule %s is not registered", id)
	}
	return r
}

func monSetFilters(inv *inventory.Inventory, fs ...inventory.MetricFilter) {
	inv.LogGroups[0].MetricFilters = inventory.Ok(fs)
}

func monSetSubscriptions(inv *inventory.Inventory, subs ...inventory.Subscription) {
	inv.Topics[0].Subscriptions = inventory.Ok(subs)
}

type monCase struct {
	name    string
	mutate  func(inv *inventory.Inventory)
	status  findings.Status
	message string // substring the message must contain
}

func monRun(t *testing.T, ruleID string, cases []monCase) {
	t.Helper()
	rule := monRule(t, ruleID)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv := monInventory()
			if tc.mutate != nil {
				tc.mutate(inv)
			}
			res := rule.Check(inv, DefaultOptions())
			if len(res) != 1 {
				t.Fatalf("got %d results, want 1: %+v", len(res), res)
			}
			r := res[0]
			if r.Status != tc.status {
				t.Errorf("status = %s, want %s (message: %s)", r.Status, tc.status, r.Message)
			}
			if !strings.Contains(r.Message, tc.message) {
				t.Errorf("message %q does not contain %q", r.Message, tc.message)
			}
			if strings.Contains(r.Message, "\n") {
				t.Errorf("message spans several lines: %q", r.Message)
			}
			if ruleID != "config.recorder" {
				if r.Resource != "arn:aws:iam::111122223333:root" || r.Region != "global" {
					t.Errorf("resource/region = %s/%s, want the account root in global", r.Resource, r.Region)
				}
			}
		})
	}
}

func TestTrailChangesAlarm(t *testing.T) {
	monRun(t, "monitoring.trail_changes_alarm", []monCase{
		{name: "CIS filter, alarm and confirmed subscriber", status: findings.Pass, message: "trail-changes-alarm"},
		{
			name: "equivalent filter written differently",
			mutate: func(inv *inventory.Inventory) {
				monSetFilters(inv, inventory.MetricFilter{
					Name:    "rewritten",
					Pattern: `{($.eventSource="cloudtrail.amazonaws.com")&&($.eventName=%^(Create|Update|Delete)Trail$%||$.eventName="St*Logging")}`,
					Metrics: []inventory.MetricTarget{{Name: "TrailChanges", Namespace: "CIS"}},
				})
			},
			status: findings.Pass, message: "rewritten",
		},
		{
			name: "second alarm passes when the first has actions disabled",
			mutate: func(inv *inventory.Inventory) {
				lg := &inv.LogGroups[0]
				alarms := *lg.Alarms.Value
				alarms[0].ActionsEnabled = false
				alarms = append(alarms, inventory.Alarm{Name: "backup-alarm", MetricName: "TrailChanges", Namespace: "CIS", ActionsEnabled: true, AlarmActions: []string{monTopicARN}})
				lg.Alarms = inventory.Ok(alarms)
			},
			status: findings.Pass, message: "backup-alarm",
		},
		{
			name:   "no trail",
			mutate: func(inv *inventory.Inventory) { inv.Trails = nil },
			status: findings.Fail, message: "no trail exists",
		},
		{
			name:   "only a single-region trail",
			mutate: func(inv *inventory.Inventory) { inv.Trails[0].IsMultiRegion = false },
			status: findings.Fail, message: "trail main is single-region: its log group receives events of eu-west-1 only",
		},
		{
			name: "trail not logging",
			mutate: func(inv *inventory.Inventory) {
				inv.Trails[0].Status = inventory.Ok(inventory.TrailStatus{IsLogging: false})
			},
			status: findings.Fail, message: "not logging",
		},
		{
			name:   "trail without log group",
			mutate: func(inv *inventory.Inventory) { inv.Trails[0].CloudWatchLogsLogGroupARN = "" },
			status: findings.Fail, message: "delivers to no CloudWatch Logs log group",
		},
		{
			name: "log group deleted",
			mutate: func(inv *inventory.Inventory) {
				inv.LogGroups[0].Info = inventory.Ok(inventory.LogGroupInfo{Exists: false})
			},
			status: findings.Fail, message: "no longer exists",
		},
		{
			name:   "no metric filters",
			mutate: func(inv *inventory.Inventory) { monSetFilters(inv) },
			status: findings.Fail, message: "has no metric filter",
		},
		{
			name: "filter misses StopLogging",
			mutate: func(inv *inventory.Inventory) {
				monSetFilters(inv, inventory.MetricFilter{
					Name:    "partial",
					Pattern: `{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) }`,
					Metrics: []inventory.MetricTarget{{Name: "TrailChanges", Namespace: "CIS"}},
				})
			},
			status: findings.Fail, message: "filter partial misses StopLogging",
		},
		{
			name: "filter restricted to root misses every event",
			mutate: func(inv *inventory.Inventory) {
				monSetFilters(inv, inventory.MetricFilter{
					Name:    "root-only",
					Pattern: `{ $.userIdentity.type = "Root" && $.eventName = *Trail }`,
					Metrics: []inventory.MetricTarget{{Name: "TrailChanges", Namespace: "CIS"}},
				})
			},
			status: findings.Fail, message: "no metric filter on log group trail-logs matches all of",
		},
		{
			name: "unparseable filter",
			mutate: func(inv *inventory.Inventory) {
				monSetFilters(inv, inventory.MetricFilter{
					Name:    "broken",
					Pattern: `{ ($.eventName = CreateTrail) || }`,
					Metrics: []inventory.MetricTarget{{Name: "TrailChanges", Namespace: "CIS"}},
				})
			},
			status: findings.Fail, message: "filter broken does not parse",
		},
		{
			name: "alarm on a different metric",
			mutate: func(inv *inventory.Inventory) {
				inv.LogGroups[0].Alarms = inventory.Ok([]inventory.Alarm{
					{Name: "other", MetricName: "TrailChanges", Namespace: "OtherNamespace", ActionsEnabled: true, AlarmActions: []string{monTopicARN}},
					{Name: "other2", MetricName: "RootUsage", Namespace: "CIS", ActionsEnabled: true, AlarmActions: []string{monTopicARN}},
				})
			},
			status: findings.Fail, message: "no alarm watches the metric of matching filter(s) trail-changes",
		},
		{
			// CloudWatch Logs publishes the metric only with its
			// dimensions: the alarm on the bare metric never gets data.
			name: "filter publishes with dimensions, alarm on the bare metric",
			mutate: func(inv *inventory.Inventory) {
				monSetFilters(inv, inventory.MetricFilter{
					Name:    "by-event",
					Pattern: catalog.TrailChangesPattern,
					Metrics: []inventory.MetricTarget{{Name: "TrailChanges", Namespace: "CIS", Dimensions: []string{"EventName"}}},
				})
			},
			status: findings.Manual, message: "CIS/TrailChanges of filter by-event (dimensions EventName) is published with dimensions",
		},
		{
			name: "alarm on one dimension value of a metric published without dimensions",
			mutate: func(inv *inventory.Inventory) {
				(*inv.LogGroups[0].Alarms.Value)[0].Dimensions = []string{"EventName"}
			},
			status: findings.Fail, message: "no alarm watches the metric of matching filter(s) trail-changes",
		},
		{
			name: "alarm with actions disabled",
			mutate: func(inv *inventory.Inventory) {
				(*inv.LogGroups[0].Alarms.Value)[0].ActionsEnabled = false
			},
			status: findings.Fail, message: "alarm trail-changes-alarm has its actions disabled",
		},
		{
			name: "alarm without SNS action",
			mutate: func(inv *inventory.Inventory) {
				(*inv.LogGroups[0].Alarms.Value)[0].AlarmActions = []string{"arn:aws:automate:eu-west-1:ec2:stop"}
			},
			status: findings.Fail, message: "notifies no SNS topic",
		},
		{
			name: "subscription pending confirmation",
			mutate: func(inv *inventory.Inventory) {
				monSetSubscriptions(inv, inventory.Subscription{SubscriptionARN: "PendingConfirmation", Protocol: "email", Endpoint: "secops@example.com"})
			},
			status: findings.Fail, message: "only subscriptions pending confirmation",
		},
		{
			name:   "topic without subscriptions",
			mutate: func(inv *inventory.Inventory) { monSetSubscriptions(inv) },
			status: findings.Fail, message: "has no confirmed subscription",
		},
		{
			name: "metric filters unreadable",
			mutate: func(inv *inventory.Inventory) {
				inv.LogGroups[0].MetricFilters = inventory.Failed[[]inventory.MetricFilter]("logs:DescribeMetricFilters", "AccessDeniedException", "")
			},
			status: findings.Error, message: "logs:DescribeMetricFilters failed: AccessDeniedException",
		},
		{
			name: "alarms unreadable",
			mutate: func(inv *inventory.Inventory) {
				inv.LogGroups[0].Alarms = inventory.Failed[[]inventory.Alarm]("cloudwatch:DescribeAlarmsForMetric", "Throttling", "")
			},
			status: findings.Error, message: "cloudwatch:DescribeAlarmsForMetric failed: Throttling",
		},
		{
			name: "log group info never collected",
			mutate: func(inv *inventory.Inventory) {
				inv.LogGroups[0].Info = inventory.Result[inventory.LogGroupInfo]{}
			},
			status: findings.Error, message: "evidence was not collected",
		},
		{
			name:   "log group missing from inventory",
			mutate: func(inv *inventory.Inventory) { inv.LogGroups = nil },
			status: findings.Error, message: "was not collected",
		},
		{
			name: "subscriptions unreadable",
			mutate: func(inv *inventory.Inventory) {
				inv.Topics[0].Subscriptions = inventory.Failed[[]inventory.Subscription]("sns:ListSubscriptionsByTopic", "AuthorizationError", "")
			},
			status: findings.Error, message: "sns:ListSubscriptionsByTopic failed",
		},
		{
			name: "trail status unreadable",
			mutate: func(inv *inventory.Inventory) {
				inv.Trails[0].Status = inventory.Failed[inventory.TrailStatus]("cloudtrail:GetTrailStatus", "AccessDeniedException", "")
			},
			status: findings.Error, message: "cannot read status of trail main (cloudtrail:GetTrailStatus)",
		},
		{
			name: "log group held by the management account",
			mutate: func(inv *inventory.Inventory) {
				lg := &inv.LogGroups[0]
				lg.OwnerAccountID = "999988887777"
				lg.Info = inventory.InAccount[inventory.LogGroupInfo]("999988887777", "organization trail log group")
				lg.MetricFilters = inventory.InAccount[[]inventory.MetricFilter]("999988887777", "organization trail log group")
				lg.Alarms = inventory.InAccount[[]inventory.Alarm]("999988887777", "organization trail log group")
			},
			status: findings.Manual, message: "held by account 999988887777",
		},
		{
			name: "error on one trail does not hide a pass on another",
			mutate: func(inv *inventory.Inventory) {
				broken := inv.Trails[0]
				broken.ARN = "arn:aws:cloudtrail:us-east-1:111122223333:trail/broken"
				broken.Name = "broken"
				broken.CloudWatchLogsLogGroupARN = "arn:aws:logs:us-east-1:111122223333:log-group:gone"
				inv.Trails = append([]inventory.Trail{broken}, inv.Trails...)
			},
			status: findings.Pass, message: "trail-changes-alarm",
		},
		{
			name: "error outranks a plain failure on another trail",
			mutate: func(inv *inventory.Inventory) {
				other := inv.Trails[0]
				other.ARN = "arn:aws:cloudtrail:us-east-1:111122223333:trail/second"
				other.Name = "second"
				other.CloudWatchLogsLogGroupARN = ""
				inv.Trails = append(inv.Trails, other)
				inv.LogGroups[0].Alarms = inventory.Failed[[]inventory.Alarm]("cloudwatch:DescribeAlarmsForMetric", "AccessDenied", "")
			},
			status: findings.Error, message: "trail second delivers to no CloudWatch Logs log group",
		},
		// The event-selector technique of Stratus Red Team, as CloudTrail
		// recorded its PutEventSelectors call (testdata of internal/collect):
		// management events off, read-only. The filter, alarm and topic are
		// intact, but StopLogging never reaches the log group.
		{
			name:   "Stratus event-selector technique",
			mutate: monSetBasic(inventory.EventSelector{ReadWriteType: "ReadOnly", IncludeManagementEvents: false, DataResources: []inventory.DataResource{{Type: "AWS::S3::Object"}, {Type: "AWS::Lambda::Function"}}}),
			status: findings.Fail, message: "trail main records none of the write management events CreateTrail, UpdateTrail, DeleteTrail, StartLogging, StopLogging of cloudtrail.amazonaws.com (event selector 1: IncludeManagementEvents false, ReadWriteType ReadOnly)",
		},
		{
			name:   "management events read-only",
			mutate: monSetBasic(inventory.EventSelector{ReadWriteType: "ReadOnly", IncludeManagementEvents: true}),
			status: findings.Fail, message: "event selector 1: ReadWriteType ReadOnly",
		},
		{
			name:   "management events off",
			mutate: monSetBasic(inventory.EventSelector{ReadWriteType: "All", IncludeManagementEvents: false}),
			status: findings.Fail, message: "event selector 1: IncludeManagementEvents false",
		},
		{
			name: "advanced selector records reads only",
			mutate: monSetAdvanced(inventory.AdvancedEventSelector{Name: "reads", FieldSelectors: []inventory.FieldSelector{
				{Field: "eventCategory", Equals: []string{"Management"}}, {Field: "readOnly", Equals: []string{"true"}}}}),
			status: findings.Fail, message: `selector "reads": readOnly Equals true`,
		},
		{
			name: "advanced selector leaves StopLogging out",
			mutate: monSetAdvanced(inventory.AdvancedEventSelector{Name: "quiet", FieldSelectors: []inventory.FieldSelector{
				{Field: "eventCategory", Equals: []string{"Management"}}, {Field: "eventName", NotEquals: []string{"StopLogging"}}}}),
			status: findings.Fail, message: "records only some of the write management events",
		},
		{
			// Excluding KMS events is a common cost saving: CloudTrail calls
			// are still recorded, so the alarm still works.
			name:   "KMS events excluded",
			mutate: monSetBasic(inventory.EventSelector{ReadWriteType: "All", IncludeManagementEvents: true, ExcludeManagementEventSources: []string{"kms.amazonaws.com"}}),
			status: findings.Pass, message: "trail-changes-alarm",
		},
		{
			name:   "write-only trail",
			mutate: monSetBasic(inventory.EventSelector{ReadWriteType: "WriteOnly", IncludeManagementEvents: true}),
			status: findings.Pass, message: "trail-changes-alarm",
		},
		{
			name: "event selectors unreadable",
			mutate: func(inv *inventory.Inventory) {
				inv.Trails[0].Selectors = inventory.Failed[inventory.EventSelectors]("cloudtrail:GetEventSelectors", "AccessDeniedException", "")
			},
			status: findings.Error, message: "cannot read event selectors of trail main (cloudtrail:GetEventSelectors)",
		},
		{
			name: "a second, read-only trail does not hide the working one",
			mutate: func(inv *inventory.Inventory) {
				quiet := inv.Trails[0]
				quiet.ARN, quiet.Name = "arn:aws:cloudtrail:eu-west-1:111122223333:trail/quiet", "quiet"
				quiet.Selectors = inventory.Ok(inventory.EventSelectors{Basic: []inventory.EventSelector{{ReadWriteType: "ReadOnly", IncludeManagementEvents: true}}})
				inv.Trails = append([]inventory.Trail{quiet}, inv.Trails...)
			},
			status: findings.Pass, message: "trail-changes-alarm",
		},
		{
			// "No trail" is a fact only when the trail list was read in
			// every region.
			name: "no trail seen, DescribeTrails denied in a region",
			mutate: func(inv *inventory.Inventory) {
				inv.Trails = nil
				inv.RegionErrors = []inventory.RegionError{{Region: "us-east-1", Error: inventory.CallError{Call: "cloudtrail:DescribeTrails", Code: "AccessDeniedException"}}}
			},
			status: findings.Error, message: "trails could not be listed in us-east-1 (cloudtrail:DescribeTrails: AccessDeniedException)",
		},
		{
			name: "failing trail, DescribeTrails denied in another region",
			mutate: func(inv *inventory.Inventory) {
				inv.Trails[0].Status = inventory.Ok(inventory.TrailStatus{IsLogging: false})
				inv.RegionErrors = []inventory.RegionError{{Region: "us-east-1", Error: inventory.CallError{Call: "cloudtrail:DescribeTrails", Code: "AccessDeniedException"}}}
			},
			status: findings.Error, message: "trail main is not logging",
		},
	})
}

// monSetBasic gives the trail basic event selectors.
func monSetBasic(sel ...inventory.EventSelector) func(*inventory.Inventory) {
	return func(inv *inventory.Inventory) {
		inv.Trails[0].Selectors = inventory.Ok(inventory.EventSelectors{Basic: sel})
	}
}

// monSetAdvanced gives the trail advanced event selectors.
func monSetAdvanced(sel ...inventory.AdvancedEventSelector) func(*inventory.Inventory) {
	return func(inv *inventory.Inventory) {
		inv.Trails[0].Selectors = inventory.Ok(inventory.EventSelectors{Advanced: sel})
	}
}

func TestBucketPolicyChangesAlarm(t *testing.T) {
	monRun(t, "monitoring.bucket_policy_changes_alarm", []monCase{
		{name: "CIS filter, alarm and confirmed subscriber", status: findings.Pass, message: "bucket-policy-alarm"},
		{
			name: "filter without the event source condition still catches every event",
			mutate: func(inv *inventory.Inventory) {
				monSetFilters(inv, inventory.MetricFilter{
					Name:    "by-name",
					Pattern: `{ $.eventName = PutBucket* || $.eventName = DeleteBucketPolicy || $.eventName = DeleteBucketCors || $.eventName = DeleteBucketLifecycle || $.eventName = DeleteBucketReplication }`,
					Metrics: []inventory.MetricTarget{{Name: "BucketPolicyChanges", Namespace: "CIS"}},
				})
			},
			status: findings.Pass, message: "by-name",
		},
		{
			name: "filter misses DeleteBucketReplication",
			mutate: func(inv *inventory.Inventory) {
				monSetFilters(inv, inventory.MetricFilter{
					Name:    "partial",
					Pattern: strings.Replace(catalog.BucketPolicyChangesPattern, ` || ($.eventName = DeleteBucketReplication)`, "", 1),
					Metrics: []inventory.MetricTarget{{Name: "BucketPolicyChanges", Namespace: "CIS"}},
				})
			},
			status: findings.Fail, message: "filter partial misses DeleteBucketReplication",
		},
		{
			name: "filter on the wrong event source",
			mutate: func(inv *inventory.Inventory) {
				monSetFilters(inv, inventory.MetricFilter{
					Name:    "wrong-source",
					Pattern: strings.Replace(catalog.BucketPolicyChangesPattern, "s3.amazonaws.com", "s3-control.amazonaws.com", 1),
					Metrics: []inventory.MetricTarget{{Name: "BucketPolicyChanges", Namespace: "CIS"}},
				})
			},
			status: findings.Fail, message: "matches all of PutBucketAcl",
		},
		{
			name: "only the trail changes filter is alarmed",
			mutate: func(inv *inventory.Inventory) {
				inv.LogGroups[0].Alarms = inventory.Ok((*inv.LogGroups[0].Alarms.Value)[:1])
			},
			status: findings.Fail, message: "no alarm watches the metric of matching filter(s) bucket-policy",
		},
		{
			name: "subscription pending confirmation",
			mutate: func(inv *inventory.Inventory) {
				monSetSubscriptions(inv, inventory.Subscription{SubscriptionARN: "PendingConfirmation", Protocol: "email"})
			},
			status: findings.Fail, message: "pending confirmation",
		},
		{
			name: "subscriptions held by another account",
			mutate: func(inv *inventory.Inventory) {
				inv.Topics[0].Subscriptions = inventory.InAccount[[]inventory.Subscription]("444455556666", "topic in the security account")
			},
			status: findings.Manual, message: "444455556666",
		},
		{
			name:   "no trail",
			mutate: func(inv *inventory.Inventory) { inv.Trails = nil },
			status: findings.Fail, message: "no trail exists",
		},
		{
			name:   "Stratus event-selector technique",
			mutate: monSetBasic(inventory.EventSelector{ReadWriteType: "ReadOnly", IncludeManagementEvents: false, DataResources: []inventory.DataResource{{Type: "AWS::S3::Object"}, {Type: "AWS::Lambda::Function"}}}),
			status: findings.Fail, message: "of s3.amazonaws.com (event selector 1: IncludeManagementEvents false, ReadWriteType ReadOnly)",
		},
		{
			name:   "S3 events excluded",
			mutate: monSetBasic(inventory.EventSelector{ReadWriteType: "All", IncludeManagementEvents: true, ExcludeManagementEventSources: []string{"s3.amazonaws.com"}}),
			status: findings.Fail, message: "event selector 1: ExcludeManagementEventSources s3.amazonaws.com",
		},
		{
			name: "no trail seen, DescribeTrails denied everywhere",
			mutate: func(inv *inventory.Inventory) {
				inv.Trails = nil
				inv.RegionErrors = []inventory.RegionError{
					{Region: "eu-west-1", Error: inventory.CallError{Call: "cloudtrail:DescribeTrails", Code: "AccessDeniedException"}},
					{Region: "us-east-1", Error: inventory.CallError{Call: "cloudtrail:DescribeTrails", Code: "AccessDeniedException"}},
				}
			},
			status: findings.Error, message: "trails could not be listed",
		},
	})
}

func TestConfigRecorder(t *testing.T) {
	monRun(t, "config.recorder", []monCase{
		{name: "recording all supported types", status: findings.Pass, message: "all supported resource types"},
		{
			name: "recording S3 buckets only",
			mutate: func(inv *inventory.Inventory) {
				inv.ConfigRecorders[0].Recorders = inventory.Ok([]inventory.ConfigRecorder{
					{Name: "default", Recording: true, ResourceTypes: []string{"AWS::EC2::Instance", "AWS::S3::Bucket"}},
				})
			},
			status: findings.Pass, message: "AWS::S3::Bucket",
		},
		{
			name: "no recorder",
			mutate: func(inv *inventory.Inventory) {
				inv.ConfigRecorders[0].Recorders = inventory.Ok([]inventory.ConfigRecorder{})
			},
			status: findings.Fail, message: "no AWS Config recorder in eu-west-1",
		},
		{
			name: "recorder stopped",
			mutate: func(inv *inventory.Inventory) {
				(*inv.ConfigRecorders[0].Recorders.Value)[0].Recording = false
			},
			status: findings.Fail, message: "recorder default is stopped",
		},
		{
			name: "recorder skips S3 buckets",
			mutate: func(inv *inventory.Inventory) {
				inv.ConfigRecorders[0].Recorders = inventory.Ok([]inventory.ConfigRecorder{
					{Name: "default", Recording: true, ResourceTypes: []string{"AWS::EC2::Instance"}},
				})
			},
			status: findings.Fail, message: "records neither all supported types nor AWS::S3::Bucket",
		},
		{
			name: "exclusion strategy that keeps S3 buckets",
			mutate: func(inv *inventory.Inventory) {
				inv.ConfigRecorders[0].Recorders = inventory.Ok([]inventory.ConfigRecorder{
					{Name: "default", Recording: true, Strategy: "EXCLUSION_BY_RESOURCE_TYPES", ExcludedResourceTypes: []string{"AWS::EC2::Instance"}},
				})
			},
			status: findings.Pass, message: "all supported resource types but AWS::EC2::Instance",
		},
		{
			name: "exclusion strategy that excludes S3 buckets",
			mutate: func(inv *inventory.Inventory) {
				inv.ConfigRecorders[0].Recorders = inventory.Ok([]inventory.ConfigRecorder{
					{Name: "default", Recording: true, Strategy: "EXCLUSION_BY_RESOURCE_TYPES", ExcludedResourceTypes: []string{"AWS::EC2::Instance", "AWS::S3::Bucket"}},
				})
			},
			status: findings.Fail, message: "recorder default excludes AWS::S3::Bucket",
		},
		{
			name: "recording, but the latest recording failed",
			mutate: func(inv *inventory.Inventory) {
				rec := &(*inv.ConfigRecorders[0].Recorders.Value)[0]
				rec.LastStatus, rec.LastErrorCode = "FAILURE", "InsufficientDeliveryPolicyException"
			},
			status: findings.Fail, message: "recorder default is on but its latest recording failed (InsufficientDeliveryPolicyException)",
		},
		{
			name: "recorders unreadable",
			mutate: func(inv *inventory.Inventory) {
				inv.ConfigRecorders[0].Recorders = inventory.Failed[[]inventory.ConfigRecorder]("config:DescribeConfigurationRecorders", "AccessDeniedException", "")
			},
			status: findings.Error, message: "config:DescribeConfigurationRecorders failed",
		},
		{
			name:   "region not collected",
			mutate: func(inv *inventory.Inventory) { inv.ConfigRecorders = nil },
			status: findings.Error, message: "was not collected",
		},
		{
			name: "bucket region unreadable",
			mutate: func(inv *inventory.Inventory) {
				inv.Buckets[0].Region = inventory.Failed[string]("s3:GetBucketLocation", "AccessDenied", "")
			},
			status: findings.Error, message: "s3:GetBucketLocation failed",
		},
		{
			name: "bucket in another account",
			mutate: func(inv *inventory.Inventory) {
				b := &inv.Buckets[0]
				b.OwnedByScannedAccount = false
				b.OwnerAccountID = "999988887777"
				b.Region = inventory.InAccount[string]("999988887777", "log archive bucket")
			},
			status: findings.NA, message: "trail-bucket (owned by 999988887777)",
		},
		{
			name:   "no trail",
			mutate: func(inv *inventory.Inventory) { inv.Trails = nil },
			status: findings.NA, message: "no trail bucket",
		},
	})
}

func TestConfigRecorderOneFindingPerRegion(t *testing.T) {
	inv := monInventory()
	second := inv.Trails[0]
	second.ARN = "arn:aws:cloudtrail:us-east-1:111122223333:trail/second"
	second.S3BucketName = "us-bucket"
	inv.Trails = append(inv.Trails, second)
	inv.Buckets = append(inv.Buckets, inventory.Bucket{
		Name: "us-bucket", ARN: "arn:aws:s3:::us-bucket", OwnedByScannedAccount: true, Region: inventory.Ok("us-east-1"),
	})
	inv.ConfigRecorders = append(inv.ConfigRecorders, inventory.ConfigRegion{
		Region: "us-east-1", Recorders: inventory.Ok([]inventory.ConfigRecorder{}),
	})
	res := monRule(t, "config.recorder").Check(inv, DefaultOptions())
	got := map[string]findings.Status{}
	for _, r := range res {
		got[r.Resource] = r.Status
	}
	want := map[string]findings.Status{
		"arn:aws:config:eu-west-1:111122223333:config-recorder": findings.Pass,
		"arn:aws:config:us-east-1:111122223333:config-recorder": findings.Fail,
	}
	if len(got) != len(want) || len(res) != len(want) {
		t.Fatalf("results = %+v, want one per region: %v", res, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: status %s, want %s", k, got[k], v)
		}
	}
}

func TestSampleRecordsMatchTheirOwnCISPattern(t *testing.T) {
	// The remediation patterns must satisfy the rule that recommends them,
	// and each must catch none of the other rule's events.
	for _, tc := range []struct {
		pattern      string
		events, none monitoredEvents
	}{
		{catalog.TrailChangesPattern, trailChangeEvents, bucketPolicyEvents},
		{catalog.BucketPolicyChangesPattern, bucketPolicyEvents, trailChangeEvents},
	} {
		p := filterpattern.MustParse(tc.pattern)
		for _, name := range tc.events.names {
			if !p.Match(monSampleRecord(tc.events.source, name, monAccount, "eu-west-1", "aws")) {
				t.Errorf("%s: pattern does not match its own event", name)
			}
		}
		for _, name := range tc.none.names {
			if p.Match(monSampleRecord(tc.none.source, name, monAccount, "eu-west-1", "aws")) {
				t.Errorf("%s: pattern matches an unrelated event", name)
			}
		}
	}
}

func TestMonitoringRuleMetadata(t *testing.T) {
	want := map[string]findings.Severity{
		"monitoring.trail_changes_alarm":         findings.Medium,
		"monitoring.bucket_policy_changes_alarm": findings.Low,
		"config.recorder":                        findings.Medium,
	}
	rules := monitoringRules()
	if len(rules) != len(want) {
		t.Fatalf("%d rules, want %d", len(rules), len(want))
	}
	for _, r := range rules {
		if sev, ok := want[r.ID]; !ok || r.Severity != sev {
			t.Errorf("%s: severity %s, want %s", r.ID, r.Severity, sev)
		}
		if r.Title == "" || r.Rationale == "" || r.Audit == "" || r.Remediation.CLI == "" ||
			r.Remediation.Console == "" || r.Remediation.Terraform == "" || len(r.Frameworks) == 0 || r.Check == nil {
			t.Errorf("%s: incomplete metadata", r.ID)
		}
	}
}

// A trail bucket whose owner is unknown (ListBuckets failed) is not another
// account's: the rule must not answer N/A for it.
func TestConfigRecorderUnknownOwnerIsNotForeign(t *testing.T) {
	inv := &inventory.Inventory{
		SchemaVersion: inventory.SchemaVersion, Partition: "aws", CollectedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Account: inventory.Account{ID: "111122223333"},
		Trails:  []inventory.Trail{{ARN: "arn:aws:cloudtrail:us-east-1:111122223333:trail/t", Name: "t", HomeRegion: "us-east-1", OwnerAccountID: "111122223333", S3BucketName: "logs"}},
		Buckets: []inventory.Bucket{{Name: "logs", ARN: "arn:aws:s3:::logs", Region: inventory.Ok("us-east-1")}},
	}
	var cfgRule Rule
	for _, r := range monitoringRules() {
		if r.ID == "config.recorder" {
			cfgRule = r
		}
	}
	res := cfgRule.Check(inv, DefaultOptions())
	if len(res) != 1 || res[0].Status != findings.Error {
		t.Fatalf("unknown owner, Config not collected: got %+v, want one ERROR", res)
	}
	inv.ConfigRecorders = []inventory.ConfigRegion{{Region: "us-east-1", Recorders: inventory.Ok([]inventory.ConfigRecorder{{Name: "default", Recording: true, AllSupported: true}})}}
	if res := cfgRule.Check(inv, DefaultOptions()); len(res) != 1 || res[0].Status != findings.Pass {
		t.Fatalf("unknown owner, Config recording: got %+v, want PASS", res)
	}
	inv.Buckets[0].OwnerAccountID = "444455556666"
	if res := cfgRule.Check(inv, DefaultOptions()); len(res) != 1 || res[0].Status != findings.NA {
		t.Fatalf("bucket of another account: got %+v, want N/A", res)
	}
}

func TestAlarmFilterMustCatchEveryCaller(t *testing.T) {
	// A filter that only matches calls by IAM users, or only in the log
	// group's region, misses role sessions and other regions of a
	// multi-region trail: it must not count as catching the events.
	const names = `($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging)`
	cases := []struct {
		name    string
		pattern string
		status  findings.Status
		// narrowed: the filter catches the plain sample but not every caller.
		narrowed bool
	}{
		{"IAM users only", `{ (` + names + `) && ($.userIdentity.type = "IAMUser") }`, findings.Fail, true},
		{"log group region only", `{ (` + names + `) && ($.awsRegion = "eu-west-1") }`, findings.Fail, true},
		{"excludes one sample IP", `{ (` + names + `) && ($.sourceIPAddress != "203.0.113.10") }`, findings.Fail, false},
		{"all callers", `{ ` + names + ` }`, findings.Pass, false},
		{"all callers but AWS services", `{ (` + names + `) && ($.userIdentity.type != "AWSService") }`, findings.Pass, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv := monInventory()
			monSetFilters(inv, inventory.MetricFilter{Name: "f", Pattern: tc.pattern,
				Metrics: []inventory.MetricTarget{{Name: "TrailChanges", Namespace: "CIS"}}})
			res := monRule(t, "monitoring.trail_changes_alarm").Check(inv, DefaultOptions())
			if len(res) != 1 {
				t.Fatalf("got %d results, want 1", len(res))
			}
			if res[0].Status != tc.status {
				t.Errorf("status %s, want %s (%s)", res[0].Status, tc.status, res[0].Message)
			}
			if tc.narrowed && !strings.Contains(res[0].Message, "some identity types, addresses or regions") {
				t.Errorf("message %q does not say the filter is narrowed to some callers", res[0].Message)
			}
		})
	}
}
