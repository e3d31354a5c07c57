package collect

import (
	"context"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsarn "github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/trailseal/trailseal/internal/inventory"
)

// alarmCache makes sure each metric's alarms are asked for once, even when
// several log groups' filters publish to the same metric.
type alarmCache struct {
	mu      sync.Mutex
	entries map[string]*alarmEntry
}

type alarmEntry struct {
	once   sync.Once
	alarms []inventory.Alarm
	err    error
}

func (a *alarmCache) get(key string) *alarmEntry {
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.entries[key]
	if !ok {
		e = &alarmEntry{}
		a.entries[key] = e
	}
	return e
}

// logGroups reads every distinct trail log group, its metric filters and
// their alarms, then the SNS topics those alarms notify.
func (c *collector) logGroups(ctx context.Context, trails []inventory.Trail) ([]inventory.LogGroup, []inventory.SNSTopic) {
	arns := map[string]string{} // trimmed ARN -> trail owner
	for _, t := range trails {
		if t.CloudWatchLogsLogGroupARN == "" {
			continue
		}
		arn := strings.TrimSuffix(t.CloudWatchLogsLogGroupARN, ":*")
		if _, ok := arns[arn]; !ok {
			arns[arn] = t.OwnerAccountID
		}
	}
	keys := sortedKeys(arns)
	groups := make([]inventory.LogGroup, len(keys))
	cache := &alarmCache{entries: map[string]*alarmEntry{}}
	var wg sync.WaitGroup
	for i, arn := range keys {
		c.spawn(&wg, func() { groups[i] = c.logGroup(ctx, arn, arns[arn], cache) })
	}
	wg.Wait()

	topicSet := map[string]bool{}
	for _, g := range groups {
		if g.Alarms.Value == nil {
			continue
		}
		for _, a := range *g.Alarms.Value {
			for _, action := range a.AlarmActions {
				if a, err := awsarn.Parse(action); err == nil && a.Service == "sns" {
					topicSet[action] = true
				}
			}
		}
	}
	topicARNs := sortedKeys(topicSet)
	topics := make([]inventory.SNSTopic, len(topicARNs))
	for i, arn := range topicARNs {
		c.spawn(&wg, func() { topics[i] = c.topic(ctx, arn) })
	}
	wg.Wait()
	return groups, topics
}

func (c *collector) logGroup(ctx context.Context, arn, trailOwner string, cache *alarmCache) inventory.LogGroup {
	parsed, _ := awsarn.Parse(arn)
	region, owner, resource := parsed.Region, parsed.AccountID, parsed.Resource
	if owner == "" {
		owner = trailOwner
	}
	name := strings.TrimSuffix(strings.TrimPrefix(resource, "log-group:"), ":*")
	g := inventory.LogGroup{ARN: arn, Name: name, Region: region, OwnerAccountID: owner}
	if owner != c.account {
		reason := "the log group belongs to the account that owns the trail"
		g.Info = inventory.InAccount[inventory.LogGroupInfo](owner, reason)
		g.MetricFilters = inventory.InAccount[[]inventory.MetricFilter](owner, reason)
		g.Alarms = inventory.InAccount[[]inventory.Alarm](owner, reason)
		return g
	}
	client := c.aws.Logs(region)

	var wg sync.WaitGroup
	c.spawn(&wg, func() { g.Info = logGroupInfo(ctx, client, name) })

	filters, err := metricFilters(ctx, client, name)
	if err != nil {
		g.MetricFilters = failed[[]inventory.MetricFilter]("logs:DescribeMetricFilters", err)
		// Without the filters there is no way to know which alarms matter.
		g.Alarms = failed[[]inventory.Alarm]("logs:DescribeMetricFilters", err)
		wg.Wait()
		return g
	}
	g.MetricFilters = inventory.Ok(filters)

	type metric struct{ name, namespace string }
	var metrics []metric
	seen := map[metric]bool{}
	for _, f := range filters {
		for _, m := range f.Metrics {
			k := metric{m.Name, m.Namespace}
			if !seen[k] {
				seen[k] = true
				metrics = append(metrics, k)
			}
		}
	}
	results := make([]*alarmEntry, len(metrics))
	cw := c.aws.CloudWatch(region)
	var aw sync.WaitGroup
	for i, m := range metrics {
		e := cache.get(region + "|" + m.namespace + "|" + m.name)
		results[i] = e
		c.spawn(&aw, func() {
			e.once.Do(func() { e.alarms, e.err = alarmsForMetric(ctx, cw, m.name, m.namespace) })
		})
	}
	aw.Wait()
	alarms := []inventory.Alarm{}
	for _, e := range results {
		if e.err != nil {
			g.Alarms = failed[[]inventory.Alarm]("cloudwatch:DescribeAlarmsForMetric", e.err)
			wg.Wait()
			return g
		}
		alarms = append(alarms, e.alarms...)
	}
	g.Alarms = inventory.Ok(alarms)
	wg.Wait()
	return g
}

func logGroupInfo(ctx context.Context, client *cloudwatchlogs.Client, name string) inventory.Result[inventory.LogGroupInfo] {
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(client, &cloudwatchlogs.DescribeLogGroupsInput{
		LogGroupNamePrefix: aws.String(name),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return failed[inventory.LogGroupInfo]("logs:DescribeLogGroups", err)
		}
		// The prefix also matches longer names: look for the exact one.
		for _, lg := range page.LogGroups {
			if aws.ToString(lg.LogGroupName) == name {
				return inventory.Ok(inventory.LogGroupInfo{
					Exists:        true,
					RetentionDays: int(aws.ToInt32(lg.RetentionInDays)),
					KMSKeyID:      aws.ToString(lg.KmsKeyId),
				})
			}
		}
	}
	return inventory.Ok(inventory.LogGroupInfo{Exists: false})
}

func metricFilters(ctx context.Context, client *cloudwatchlogs.Client, name string) ([]inventory.MetricFilter, error) {
	filters := []inventory.MetricFilter{}
	p := cloudwatchlogs.NewDescribeMetricFiltersPaginator(client, &cloudwatchlogs.DescribeMetricFiltersInput{
		LogGroupName: aws.String(name),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, f := range page.MetricFilters {
			mf := inventory.MetricFilter{
				Name:    aws.ToString(f.FilterName),
				Pattern: aws.ToString(f.FilterPattern),
				Metrics: []inventory.MetricTarget{},
			}
			for _, t := range f.MetricTransformations {
				m := inventory.MetricTarget{Name: aws.ToString(t.MetricName), Namespace: aws.ToString(t.MetricNamespace)}
				if len(t.Dimensions) > 0 {
					m.Dimensions = sortedKeys(t.Dimensions)
				}
				mf.Metrics = append(mf.Metrics, m)
			}
			filters = append(filters, mf)
		}
	}
	return filters, nil
}

func alarmsForMetric(ctx context.Context, client *cloudwatch.Client, name, namespace string) ([]inventory.Alarm, error) {
	out, err := client.DescribeAlarmsForMetric(ctx, &cloudwatch.DescribeAlarmsForMetricInput{
		MetricName: aws.String(name),
		Namespace:  aws.String(namespace),
	})
	if err != nil {
		return nil, err
	}
	var alarms []inventory.Alarm
	for _, a := range out.MetricAlarms {
		var dims []string
		for _, d := range a.Dimensions {
			dims = append(dims, aws.ToString(d.Name))
		}
		sort.Strings(dims)
		alarms = append(alarms, inventory.Alarm{
			Dimensions:     dims,
			Name:           aws.ToString(a.AlarmName),
			ARN:            aws.ToString(a.AlarmArn),
			MetricName:     aws.ToString(a.MetricName),
			Namespace:      aws.ToString(a.Namespace),
			ActionsEnabled: aws.ToBool(a.ActionsEnabled),
			AlarmActions:   a.AlarmActions,
		})
	}
	return alarms, nil
}

func (c *collector) topic(ctx context.Context, arn string) inventory.SNSTopic {
	region := regionOf(arn)
	t := inventory.SNSTopic{ARN: arn, Region: region}
	subs := []inventory.Subscription{}
	p := sns.NewListSubscriptionsByTopicPaginator(c.aws.SNS(region), &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(arn)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Subscriptions = failed[[]inventory.Subscription]("sns:ListSubscriptionsByTopic", err)
			return t
		}
		for _, s := range page.Subscriptions {
			subs = append(subs, inventory.Subscription{
				SubscriptionARN: aws.ToString(s.SubscriptionArn),
				Protocol:        aws.ToString(s.Protocol),
				Endpoint:        aws.ToString(s.Endpoint),
			})
		}
	}
	t.Subscriptions = inventory.Ok(subs)
	return t
}
