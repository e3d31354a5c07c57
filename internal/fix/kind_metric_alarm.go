package fix

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// KindMetricAlarm adds a CIS metric filter on a trail's log group and an
// alarm on its metric that notifies a topic.
const KindMetricAlarm Kind = "logs:PutMetricFilter"

// AlarmParams are the parameters of a KindMetricAlarm step.
type AlarmParams struct {
	TrailRef
	Account   string `json:"account"`
	Partition string `json:"partition"`
	// LogGroupARN is the trail's log group, or LogGroupFrom names the step
	// that creates it.
	LogGroupARN  string `json:"logGroupArn,omitempty"`
	LogGroupFrom string `json:"logGroupFrom,omitempty"`
	FilterName   string `json:"filterName"`
	MetricName   string `json:"metricName"`
	Namespace    string `json:"namespace"`
	Pattern      string `json:"pattern"`
	AlarmName    string `json:"alarmName"`
	TopicARN     string `json:"topicArn"`
}

// Kind implements Params.
func (*AlarmParams) Kind() Kind { return KindMetricAlarm }

const alarmDescription = "CIS CloudTrail monitoring alarm (created by trailseal)"

// prevAlarm is what existed before the step.
type prevAlarm struct {
	FilterExisted bool `json:"filterExisted"`
	AlarmExisted  bool `json:"alarmExisted"`
}

// filterDef is a metric filter: what PutMetricFilter replaced (Existed),
// or what fix wrote.
type filterDef struct {
	LogGroup        string                 `json:"logGroup"`
	Existed         bool                   `json:"existed"`
	Pattern         string                 `json:"pattern,omitempty"`
	Transformations []metricTransformation `json:"transformations,omitempty"`
}

// metricTransformation is one metric a filter publishes. Journals of
// version 1 stored the SDK's type, whose field names these match without
// regard to case.
type metricTransformation struct {
	MetricName      string            `json:"metricName"`
	MetricNamespace string            `json:"metricNamespace"`
	MetricValue     string            `json:"metricValue"`
	DefaultValue    *float64          `json:"defaultValue,omitempty"`
	Dimensions      map[string]string `json:"dimensions,omitempty"`
	Unit            string            `json:"unit,omitempty"`
}

// alarmDef is the part of an alarm fix sets.
type alarmDef struct {
	Exists     bool     `json:"exists"`
	MetricName string   `json:"metricName,omitempty"`
	Namespace  string   `json:"namespace,omitempty"`
	Actions    []string `json:"actions,omitempty"`
}

// alarmState is what the step leaves.
type alarmState struct {
	Filter filterDef `json:"filter"`
	Alarm  alarmDef  `json:"alarm"`
}

var metricAlarmKind = kindOps{
	fixes:         []string{"monitoring.trail_changes_alarm", "monitoring.bucket_policy_changes_alarm"},
	params:        func() Params { return &AlarmParams{} },
	apply:         applyMetricAlarm,
	resolve:       resolveMetricAlarm,
	undo:          undoMetricAlarm,
	undoChange:    undoMetricAlarmCall,
	emitCLI:       emitMetricAlarmCLI,
	emitTerraform: emitMetricAlarmTerraform,
}

// wantAlarm is what the step writes, for a log group.
func wantAlarm(p *AlarmParams, group string) alarmState {
	return alarmState{
		Filter: filterDef{LogGroup: group, Existed: true, Pattern: p.Pattern,
			Transformations: []metricTransformation{{MetricName: p.MetricName, MetricNamespace: p.Namespace, MetricValue: "1"}}},
		Alarm: alarmDef{Exists: true, MetricName: p.MetricName, Namespace: p.Namespace, Actions: []string{p.TopicARN}},
	}
}

func applyMetricAlarm(ctx context.Context, r *stepRun) error {
	p := r.step.Params.(*AlarmParams)
	groupARN := p.LogGroupARN
	if p.LogGroupFrom != "" {
		g, err := r.from(p.LogGroupFrom, "logGroupArn")
		if err != nil {
			return err
		}
		groupARN = g
	}
	group := logGroupNameFromARN(groupARN)
	before, err := readAlarm(ctx, r.clients, r.step.Region, p, group)
	if err != nil {
		return err
	}
	prev := prevAlarm{FilterExisted: before.Filter.Existed, AlarmExisted: before.Alarm.Exists}
	if err := r.intend(prev, wantAlarm(p, group)); err != nil {
		return err
	}
	verb := "created"
	if before.Filter.Existed {
		verb = "replaced"
	}
	err = r.call(ctx, Change{Call: "logs:PutMetricFilter", Resource: groupARN, Summary: verb + " metric filter " + p.FilterName + " on " + group,
		Previous: marshal(before.Filter), Reversible: true}, func(ctx context.Context, _ *Change) error {
		_, err := r.clients.logs(r.step.Region).PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{
			LogGroupName: aws.String(group), FilterName: aws.String(p.FilterName), FilterPattern: aws.String(p.Pattern),
			MetricTransformations: []logstypes.MetricTransformation{{MetricName: aws.String(p.MetricName), MetricNamespace: aws.String(p.Namespace), MetricValue: aws.String("1")}},
		})
		return err
	})
	if err != nil {
		return err
	}
	ch := Change{Call: "cloudwatch:PutMetricAlarm", Resource: p.AlarmName, Summary: "created alarm " + p.AlarmName,
		Previous: marshal(prevExisted{Existed: prev.AlarmExisted}), Reversible: !prev.AlarmExisted}
	if prev.AlarmExisted {
		ch.Summary = "replaced alarm " + p.AlarmName
		ch.NotReversible = "alarm " + p.AlarmName + " existed before this run, so it is left as written"
	}
	return r.call(ctx, ch, func(ctx context.Context, _ *Change) error {
		var tags []cwtypes.Tag
		for k, v := range r.creationTags() {
			tags = append(tags, cwtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		_, err := r.clients.cloudwatch(r.step.Region).PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
			AlarmName: aws.String(p.AlarmName), AlarmDescription: aws.String(alarmDescription),
			MetricName: aws.String(p.MetricName), Namespace: aws.String(p.Namespace),
			Statistic: cwtypes.StatisticSum, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
			ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, TreatMissingData: aws.String("notBreaching"),
			ActionsEnabled: aws.Bool(true), AlarmActions: []string{p.TopicARN}, Tags: tags,
		})
		return err
	})
}

// readAlarm reads the step's metric filter and alarm.
func readAlarm(ctx context.Context, c *Clients, region string, p *AlarmParams, group string) (alarmState, error) {
	v := alarmState{Filter: filterDef{LogGroup: group}}
	mf, err := c.logs(region).DescribeMetricFilters(ctx, &cloudwatchlogs.DescribeMetricFiltersInput{LogGroupName: aws.String(group), FilterNamePrefix: aws.String(p.FilterName)})
	if err != nil {
		return v, err
	}
	for _, f := range mf.MetricFilters {
		if aws.ToString(f.FilterName) == p.FilterName {
			v.Filter.Existed, v.Filter.Pattern = true, aws.ToString(f.FilterPattern)
			for _, t := range f.MetricTransformations {
				v.Filter.Transformations = append(v.Filter.Transformations, metricTransformation{MetricName: aws.ToString(t.MetricName),
					MetricNamespace: aws.ToString(t.MetricNamespace), MetricValue: aws.ToString(t.MetricValue), DefaultValue: t.DefaultValue,
					Dimensions: t.Dimensions, Unit: string(t.Unit)})
			}
		}
	}
	al, err := c.cloudwatch(region).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{p.AlarmName}})
	if err != nil {
		return v, err
	}
	for _, a := range al.MetricAlarms {
		v.Alarm = alarmDef{Exists: true, MetricName: aws.ToString(a.MetricName), Namespace: aws.ToString(a.Namespace), Actions: a.AlarmActions}
	}
	return v, nil
}

func sameFilter(a, b filterDef) bool {
	return a.Existed == b.Existed && a.Pattern == b.Pattern && string(marshal(a.Transformations)) == string(marshal(b.Transformations))
}

func sameAlarm(a, b alarmDef) bool {
	return a.Exists == b.Exists && a.MetricName == b.MetricName && a.Namespace == b.Namespace && slices.Equal(a.Actions, b.Actions)
}

func (v alarmState) describe() string {
	f := "no metric filter"
	if v.Filter.Existed {
		f = fmt.Sprintf("metric filter with pattern %s publishing %s", v.Filter.Pattern, compactJSON(v.Filter.Transformations))
	}
	a := "no alarm"
	if v.Alarm.Exists {
		a = fmt.Sprintf("alarm on %s/%s notifying %v", v.Alarm.Namespace, v.Alarm.MetricName, v.Alarm.Actions)
	}
	return f + ", " + a
}

func resolveMetricAlarm(ctx context.Context, r *stepRun) error {
	e := r.entry()
	if len(e.Left) == 0 {
		r.settle(Failed, "interrupted before any change was made")
		return r.save()
	}
	left, err := decodeState[alarmState](e.Left, "metric filter and alarm fix writes")
	if err != nil {
		return err
	}
	cur, err := readAlarm(ctx, r.clients, r.step.Region, r.step.Params.(*AlarmParams), left.Filter.LogGroup)
	if err != nil {
		return err
	}
	if hasPending(e, "logs:PutMetricFilter") && sameFilter(cur.Filter, left.Filter) {
		confirm(e, "logs:PutMetricFilter", "", "")
	}
	dropPending(e, "logs:PutMetricFilter")
	if hasPending(e, "cloudwatch:PutMetricAlarm") && sameAlarm(cur.Alarm, left.Alarm) {
		confirm(e, "cloudwatch:PutMetricAlarm", "", "")
	}
	dropPending(e, "cloudwatch:PutMetricAlarm")
	settleCalls(r, "cloudwatch:PutMetricAlarm")
	return r.save()
}

// alarmLeft is what the journal says the step left. Journals of version 1
// did not record it: it is what the step writes, on the log group the
// step named or the trail's group that an earlier step created.
func alarmLeft(u *undoRun) (alarmState, error) {
	if len(u.entry.Left) > 0 {
		return decodeState[alarmState](u.entry.Left, "metric filter and alarm fix wrote")
	}
	s := u.entry.Step
	p := s.Params.(*AlarmParams)
	groupARN := p.LogGroupARN
	if groupARN == "" {
		if g, err := u.from(p.LogGroupFrom, "logGroupArn"); err == nil {
			groupARN = g
		} else {
			groupARN = fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s:*", p.Partition, s.Region, p.Account, LogGroupName(p.TrailName))
		}
	}
	return wantAlarm(p, logGroupNameFromARN(groupARN)), nil
}

// undoMetricAlarm removes the filter and alarm fix created, and puts back
// a filter it replaced, once both are as fix left them.
func undoMetricAlarm(ctx context.Context, u *undoRun) (string, error) {
	s := u.entry.Step
	p := s.Params.(*AlarmParams)
	prev, err := decodeState[prevAlarm](u.entry.Previous, "previous value for step "+s.ID)
	if err != nil {
		return "", err
	}
	left, err := alarmLeft(u)
	if err != nil {
		return "", err
	}
	replaced, restore := replacedFilter(u.entry)
	revertFilter := !prev.FilterExisted || restore
	cur, err := readAlarm(ctx, u.clients, s.Region, p, left.Filter.LogGroup)
	if err != nil {
		return "", err
	}
	alarmChanged := !prev.AlarmExisted && cur.Alarm.Exists && !sameAlarm(cur.Alarm, left.Alarm)
	filterChanged := revertFilter && cur.Filter.Existed && !sameFilter(cur.Filter, left.Filter)
	if alarmChanged || filterChanged {
		if err := u.changed(cur.describe(), left.describe(), alarmManual(s, p, left.Filter.LogGroup, prev, replaced)); err != nil {
			return "", err
		}
	}
	var done []string
	if !prev.AlarmExisted {
		if _, err := u.clients.cloudwatch(s.Region).DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{p.AlarmName}}); err != nil {
			return "", err
		}
		done = append(done, "removed alarm "+p.AlarmName)
	}
	if revertFilter {
		if !prev.FilterExisted {
			replaced = filterDef{LogGroup: left.Filter.LogGroup}
		}
		d, err := restoreFilter(ctx, u.clients, s.Region, p.FilterName, replaced)
		if err != nil {
			return "", err
		}
		done = append(done, d)
	}
	return orNone(joinAnd(done), "filter and alarm existed before; left in place"), nil
}

// undoMetricAlarmCall takes back one call of an alarm step that did not
// complete.
func undoMetricAlarmCall(ctx context.Context, u *undoRun, ch Change) (string, error) {
	s := u.entry.Step
	p := s.Params.(*AlarmParams)
	left, err := alarmLeft(u)
	if err != nil {
		return "", err
	}
	switch ch.Call {
	case "logs:PutMetricFilter":
		prev, err := decodeState[filterDef](ch.Previous, "previous value of metric filter "+p.FilterName)
		if err != nil || prev.LogGroup == "" {
			return "", fmt.Errorf("the journal has no previous value for metric filter %s: check it by hand", p.FilterName)
		}
		cur, err := readAlarm(ctx, u.clients, s.Region, p, prev.LogGroup)
		if err != nil {
			return "", err
		}
		if cur.Filter.Existed && !sameFilter(cur.Filter, left.Filter) {
			if err := u.changed(cur.describe(), left.describe(), filterManual(s, p, prev)); err != nil {
				return "", err
			}
		}
		return restoreFilter(ctx, u.clients, s.Region, p.FilterName, prev)
	case "cloudwatch:PutMetricAlarm":
		cur, err := readAlarm(ctx, u.clients, s.Region, p, left.Filter.LogGroup)
		if err != nil {
			return "", err
		}
		if cur.Alarm.Exists && !sameAlarm(cur.Alarm, left.Alarm) {
			if err := u.changed(cur.describe(), left.describe(), "aws cloudwatch delete-alarms --region "+s.Region+" --alarm-names "+shq(p.AlarmName)); err != nil {
				return "", err
			}
		}
		_, err = u.clients.cloudwatch(s.Region).DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{p.AlarmName}})
		return "removed alarm " + p.AlarmName + " that fix had created", err
	}
	return "", fmt.Errorf("call %s cannot be reverted", ch.Call)
}

// restoreFilter deletes a metric filter fix created, or writes back the
// definition it replaced.
func restoreFilter(ctx context.Context, c *Clients, region, name string, prev filterDef) (string, error) {
	l := c.logs(region)
	if !prev.Existed {
		_, err := l.DeleteMetricFilter(ctx, &cloudwatchlogs.DeleteMetricFilterInput{LogGroupName: aws.String(prev.LogGroup), FilterName: aws.String(name)})
		if errorCode(err) == "ResourceNotFoundException" {
			err = nil
		}
		return "removed metric filter " + name + " that fix had created", err
	}
	var ts []logstypes.MetricTransformation
	for _, t := range prev.Transformations {
		ts = append(ts, logstypes.MetricTransformation{MetricName: aws.String(t.MetricName), MetricNamespace: aws.String(t.MetricNamespace),
			MetricValue: aws.String(t.MetricValue), DefaultValue: t.DefaultValue, Dimensions: t.Dimensions, Unit: logstypes.StandardUnit(t.Unit)})
	}
	_, err := l.PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{LogGroupName: aws.String(prev.LogGroup), FilterName: aws.String(name),
		FilterPattern: aws.String(prev.Pattern), MetricTransformations: ts})
	return "restored the previous definition of metric filter " + name, err
}

// replacedFilter is the recorded definition of a metric filter that an
// entry's PutMetricFilter overwrote.
func replacedFilter(e Entry) (filterDef, bool) {
	for _, ch := range e.Changes {
		if ch.Call != "logs:PutMetricFilter" {
			continue
		}
		if pf, err := decodeState[filterDef](ch.Previous, "replaced filter"); err == nil && pf.Existed && pf.LogGroup != "" {
			return pf, true
		}
	}
	return filterDef{}, false
}

func filterManual(s Step, p *AlarmParams, prev filterDef) string {
	if !prev.Existed {
		return fmt.Sprintf("aws logs delete-metric-filter --region %s --log-group-name %s --filter-name %s", s.Region, shq(prev.LogGroup), shq(p.FilterName))
	}
	return fmt.Sprintf("aws logs put-metric-filter --region %s --log-group-name %s --filter-name %s --filter-pattern %s --metric-transformations %s",
		s.Region, shq(prev.LogGroup), shq(p.FilterName), sq(prev.Pattern), sq(compactJSON(apiNames(jsonValue(prev.Transformations)))))
}

func alarmManual(s Step, p *AlarmParams, group string, prev prevAlarm, replaced filterDef) string {
	var cmds []string
	if !prev.AlarmExisted {
		cmds = append(cmds, "aws cloudwatch delete-alarms --region "+s.Region+" --alarm-names "+shq(p.AlarmName))
	}
	if !prev.FilterExisted {
		cmds = append(cmds, filterManual(s, p, filterDef{LogGroup: group}))
	} else if replaced.Existed {
		cmds = append(cmds, filterManual(s, p, replaced))
	}
	return strings.Join(cmds, "; ")
}

func emitMetricAlarmCLI(e *cliEmitter, s Step) {
	p := s.Params.(*AlarmParams)
	r := "--region " + s.Region
	group := sq(logGroupNameFromARN(p.LogGroupARN))
	if p.LogGroupFrom != "" {
		group = sq(LogGroupName(p.TrailName))
	}
	e.line("aws logs put-metric-filter %s --log-group-name %s --filter-name %s --filter-pattern %s --metric-transformations %s",
		r, group, sq(p.FilterName), sq(p.Pattern), sq(fmt.Sprintf("metricName=%s,metricNamespace=%s,metricValue=1", p.MetricName, p.Namespace)))
	e.line("aws cloudwatch put-metric-alarm %s --alarm-name %s --alarm-description %s --metric-name %s --namespace %s --statistic Sum --period 300 --evaluation-periods 1 --threshold 1 --comparison-operator GreaterThanOrEqualToThreshold --treat-missing-data notBreaching --alarm-actions %s",
		r, sq(p.AlarmName), sq(alarmDescription), sq(p.MetricName), sq(p.Namespace), sq(p.TopicARN))
}

func emitMetricAlarmTerraform(e *tfEmitter, s Step) {
	p := s.Params.(*AlarmParams)
	n := label(p.FilterName)
	group := hq(logGroupNameFromARN(p.LogGroupARN))
	if addr := e.names[p.LogGroupFrom]; addr != "" {
		group = addr + ".name"
	}
	e.line(`resource "aws_cloudwatch_log_metric_filter" %s {`, hq(n))
	e.line(`  name           = %s`, hq(p.FilterName))
	e.line(`  log_group_name = %s`, group)
	e.line(`  pattern        = %s`, hq(p.Pattern))
	e.line(`  metric_transformation {`)
	e.line(`    name      = %s`, hq(p.MetricName))
	e.line(`    namespace = %s`, hq(p.Namespace))
	e.line(`    value     = "1"`)
	e.line(`  }`)
	e.line(`}`)
	e.line("")
	e.line(`resource "aws_cloudwatch_metric_alarm" %s {`, hq(n))
	e.line(`  alarm_name          = %s`, hq(p.AlarmName))
	e.line(`  alarm_description   = %s`, hq(alarmDescription))
	e.line(`  metric_name         = aws_cloudwatch_log_metric_filter.%s.metric_transformation[0].name`, n)
	e.line(`  namespace           = %s`, hq(p.Namespace))
	e.line(`  statistic           = "Sum"`)
	e.line(`  period              = 300`)
	e.line(`  evaluation_periods  = 1`)
	e.line(`  threshold           = 1`)
	e.line(`  comparison_operator = "GreaterThanOrEqualToThreshold"`)
	e.line(`  treat_missing_data  = "notBreaching"`)
	e.line(`  alarm_actions       = [%s]`, hq(p.TopicARN))
	e.line(`}`)
}
