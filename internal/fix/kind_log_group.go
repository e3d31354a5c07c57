package fix

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// KindCreateLogGroup creates the CloudWatch Logs group a trail delivers
// to, with a retention. It is never reverted: trailseal never deletes a
// log group.
const KindCreateLogGroup Kind = "logs:CreateLogGroup"

// LogGroupParams are the parameters of a KindCreateLogGroup step.
type LogGroupParams struct {
	TrailRef
	LogGroupName  string `json:"logGroupName"`
	LogGroupARN   string `json:"logGroupArn"`
	RetentionDays int    `json:"retentionDays"`
}

// Kind implements Params.
func (*LogGroupParams) Kind() Kind { return KindCreateLogGroup }

// Why created log groups stay after --undo.
const notRevertedLogGroup = "cannot be reverted automatically: trailseal never deletes a log group; delete it by hand if unwanted"

// prevExisted is the state before a step that creates a resource.
type prevExisted struct {
	Existed bool `json:"existed"`
}

var createLogGroupKind = kindOps{
	fixes:   []string{"trail.cloudwatch_logs"},
	params:  func() Params { return &LogGroupParams{} },
	apply:   applyCreateLogGroup,
	resolve: resolveCreateLogGroup,
	emitCLI: func(e *cliEmitter, s Step) {
		p := s.Params.(*LogGroupParams)
		r := "--region " + s.Region
		v := e.newVar(s.ID, "logGroupArn", "LOG_GROUP_ARN")
		e.line("aws logs create-log-group %s --log-group-name %s", r, sq(p.LogGroupName))
		e.line("aws logs put-retention-policy %s --log-group-name %s --retention-in-days %d", r, sq(p.LogGroupName), p.RetentionDays)
		e.line("%s=%s", v, sq(p.LogGroupARN))
	},
	emitTerraform: func(e *tfEmitter, s Step) {
		p := s.Params.(*LogGroupParams)
		n := label(p.LogGroupName)
		e.names[s.ID] = "aws_cloudwatch_log_group." + n
		e.line(`resource "aws_cloudwatch_log_group" %s {`, hq(n))
		e.line(`  name              = %s`, hq(p.LogGroupName))
		e.line(`  retention_in_days = %d`, p.RetentionDays)
		e.line(`}`)
	},
}

// applyCreateLogGroup creates the group, or reuses one an earlier,
// interrupted run left, and sets its retention.
func applyCreateLogGroup(ctx context.Context, r *stepRun) error {
	p := r.step.Params.(*LogGroupParams)
	l := r.clients.logs(r.step.Region)
	existed := false
	err := r.call(ctx, Change{Call: "logs:CreateLogGroup", Resource: p.LogGroupARN, Summary: "created log group " + p.LogGroupName,
		Previous: marshal(prevExisted{}), NotReversible: notRevertedLogGroup},
		func(ctx context.Context, _ *Change) error {
			_, err := l.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(p.LogGroupName), Tags: r.creationTags()})
			return err
		})
	if err != nil {
		if errorCode(err) != "ResourceAlreadyExistsException" {
			return err
		}
		existed = true
	}
	if err := r.intend(prevExisted{Existed: existed}, nil); err != nil {
		return err
	}
	if err := r.output("logGroupArn", p.LogGroupARN); err != nil {
		return err
	}
	ch := Change{Call: "logs:PutRetentionPolicy", Resource: p.LogGroupARN, Previous: marshal(prevExisted{Existed: existed}),
		Summary:       fmt.Sprintf("set the retention of log group %s to %d days", p.LogGroupName, p.RetentionDays),
		NotReversible: "the retention belongs to the log group fix created, which is kept"}
	if existed {
		ch.NotReversible = "log group " + p.LogGroupName + " existed before this run (an earlier run made it); its retention is left as written"
	}
	return r.call(ctx, ch, func(ctx context.Context, _ *Change) error {
		_, err := l.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(p.LogGroupName), RetentionInDays: aws.Int32(int32(p.RetentionDays))})
		return err
	})
}

// resolveCreateLogGroup reads the group: whether it exists, whether this
// step created it (its tags), and its retention.
func resolveCreateLogGroup(ctx context.Context, r *stepRun) error {
	e := r.entry()
	p := r.step.Params.(*LogGroupParams)
	l := r.clients.logs(r.step.Region)
	out, err := l.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(p.LogGroupName)})
	if err != nil {
		return err
	}
	exists, retention := false, int32(0)
	for _, g := range out.LogGroups {
		if aws.ToString(g.LogGroupName) == p.LogGroupName {
			exists, retention = true, aws.ToInt32(g.RetentionInDays)
		}
	}
	if hasPending(e, "logs:CreateLogGroup") {
		ours := false
		if exists {
			tags, err := l.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(trimStar(p.LogGroupARN))})
			if err != nil {
				return err
			}
			ours = r.createdHere(tags.Tags)
		}
		if ours {
			confirm(e, "logs:CreateLogGroup", "", "")
		}
		dropPending(e, "logs:CreateLogGroup")
	}
	if exists {
		if err := r.output("logGroupArn", p.LogGroupARN); err != nil {
			return err
		}
	}
	if hasPending(e, "logs:PutRetentionPolicy") && exists && int(retention) == p.RetentionDays {
		confirm(e, "logs:PutRetentionPolicy", "", "")
	}
	dropPending(e, "logs:PutRetentionPolicy")
	settleCalls(r, "logs:PutRetentionPolicy")
	return r.save()
}

// trimStar turns a log group ARN as CloudTrail takes it (ending in :*)
// into the group's own ARN.
func trimStar(arn string) string {
	if len(arn) > 2 && arn[len(arn)-2:] == ":*" {
		return arn[:len(arn)-2]
	}
	return arn
}
