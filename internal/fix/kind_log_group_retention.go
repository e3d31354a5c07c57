package fix

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// KindLogRetention lengthens the retention of a trail's existing log
// group (trail.log_group_retention).
const KindLogRetention Kind = "logs:PutRetentionPolicy"

// LogRetentionValues are the retentions, in days, CloudWatch Logs accepts
// (PutRetentionPolicy, retentionInDays).
var LogRetentionValues = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// RetentionParams are the parameters of a KindLogRetention step.
type RetentionParams struct {
	LogGroupName  string `json:"logGroupName"`
	RetentionDays int    `json:"retentionDays"`
}

// Kind implements Params.
func (*RetentionParams) Kind() Kind { return KindLogRetention }

// retentionState is a log group's retention; 0 keeps events forever.
type retentionState struct {
	RetentionDays int `json:"retentionDays"`
}

func (v retentionState) String() string {
	if v.RetentionDays == 0 {
		return "events kept forever"
	}
	return fmt.Sprintf("events kept %d days", v.RetentionDays)
}

var logGroupRetentionKind = setting[retentionState]{
	read: func(ctx context.Context, c *Clients, s Step) (retentionState, error) {
		name := s.Params.(*RetentionParams).LogGroupName
		out, err := c.logs(s.Region).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
		if err != nil {
			return retentionState{}, err
		}
		for _, g := range out.LogGroups {
			if aws.ToString(g.LogGroupName) == name {
				return retentionState{RetentionDays: int(aws.ToInt32(g.RetentionInDays))}, nil
			}
		}
		return retentionState{}, fmt.Errorf("log group %s not found in %s", name, s.Region)
	},
	target: func(s Step, _ retentionState, _ outputFunc) (retentionState, error) {
		return retentionState{RetentionDays: s.Params.(*RetentionParams).RetentionDays}, nil
	},
	write: func(ctx context.Context, c *Clients, s Step, v retentionState, _ bool) error {
		name := aws.String(s.Params.(*RetentionParams).LogGroupName)
		if v.RetentionDays == 0 {
			_, err := c.logs(s.Region).DeleteRetentionPolicy(ctx, &cloudwatchlogs.DeleteRetentionPolicyInput{LogGroupName: name})
			return err
		}
		_, err := c.logs(s.Region).PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: name, RetentionInDays: aws.Int32(int32(v.RetentionDays))})
		return err
	},
	same:     func(_ Step, a, b retentionState) bool { return a == b },
	show:     func(_ Step, v retentionState) string { return v.String() },
	reverted: func(_ Step, prev retentionState) string { return "restored the previous retention: " + prev.String() },
	manual: func(s Step, prev retentionState) string {
		return fmt.Sprintf("aws logs put-retention-policy --region %s --log-group-name %s --retention-in-days %d", s.Region, shq(s.Params.(*RetentionParams).LogGroupName), prev.RetentionDays)
	},
}.ops(kindOps{
	fixes:  []string{"trail.log_group_retention"},
	params: func() Params { return &RetentionParams{} },
	plan:   planLogGroupRetention,
	emitCLI: func(e *cliEmitter, s Step) {
		p := s.Params.(*RetentionParams)
		e.line("aws logs put-retention-policy --region %s --log-group-name %s --retention-in-days %d", s.Region, sq(p.LogGroupName), p.RetentionDays)
	},
	emitTerraform: func(e *tfEmitter, s Step) {
		p := s.Params.(*RetentionParams)
		e.line("# Log group %s is not managed here: set retention_in_days = %d on its aws_cloudwatch_log_group", p.LogGroupName, p.RetentionDays)
		e.line("# resource, or run: aws logs put-retention-policy --region %s --log-group-name %s --retention-in-days %d", s.Region, p.LogGroupName, p.RetentionDays)
	},
})

// planLogGroupRetention raises each failing group's retention to the
// --log-retention-days fix gives the groups it creates, or to the shortest
// value CloudWatch Logs accepts that meets the minimum, if that is longer.
func planLogGroupRetention(p *planner) {
	const rule = "trail.log_group_retention"
	want := p.opts.LogRetentionDays
	if want < p.opts.MinRetentionDays {
		i := slices.IndexFunc(LogRetentionValues, func(v int) bool { return v >= p.opts.MinRetentionDays })
		if i < 0 {
			for _, f := range p.failing(rule) {
				p.refuse(rule, f.Resource, "CloudWatch Logs keeps events at most %d days short of forever, less than the required %d: remove the retention setting by hand (aws logs delete-retention-policy)",
					LogRetentionValues[len(LogRetentionValues)-1], p.opts.MinRetentionDays)
			}
			return
		}
		want = LogRetentionValues[i]
	}
	for _, f := range p.failing(rule) {
		g := p.inv.LogGroup(f.Resource)
		switch {
		case g == nil || g.Info.Value == nil:
			p.refuse(rule, f.Resource, "log group %s was not read: fix the read permission and re-run", f.Resource)
			continue
		case g.OwnerAccountID != "" && g.OwnerAccountID != p.inv.Account.ID:
			p.refuse(rule, f.Resource, "log group %s belongs to account %s: run 'trailseal fix' there", g.Name, g.OwnerAccountID)
			continue
		}
		cur := retentionState{RetentionDays: g.Info.Value.RetentionDays}
		p.add("logs.retention:"+g.Name, Step{Rules: []string{rule}, Kind: KindLogRetention, Region: g.Region, Resource: f.Resource,
			Summary: fmt.Sprintf("keep the events of log group %s for %d days", g.Name, want),
			Before:  cur.String(), After: retentionState{RetentionDays: want}.String(), Reversible: true,
			Params: &RetentionParams{LogGroupName: g.Name, RetentionDays: want}})
	}
}
