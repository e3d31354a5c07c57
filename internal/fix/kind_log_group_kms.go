package fix

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/trailseal/trailseal/internal/policy"
)

// KindLogGroupKMS encrypts a trail's existing log group with the --kms-key
// (trail.log_group_encryption).
const KindLogGroupKMS Kind = "logs:AssociateKmsKey"

// LogGroupKMSParams are the parameters of a KindLogGroupKMS step.
type LogGroupKMSParams struct {
	LogGroupName string `json:"logGroupName"`
	KMSKeyID     string `json:"kmsKeyId"`
}

// Kind implements Params.
func (*LogGroupKMSParams) Kind() Kind { return KindLogGroupKMS }

// groupKeyState is the KMS key of a log group; "" for none.
type groupKeyState struct {
	KMSKeyID string `json:"kmsKeyId"`
}

var logGroupKMSKind = setting[groupKeyState]{
	read: func(ctx context.Context, c *Clients, s Step) (groupKeyState, error) {
		name := s.Params.(*LogGroupKMSParams).LogGroupName
		out, err := c.logs(s.Region).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
		if err != nil {
			return groupKeyState{}, err
		}
		for _, g := range out.LogGroups {
			if aws.ToString(g.LogGroupName) == name {
				return groupKeyState{KMSKeyID: aws.ToString(g.KmsKeyId)}, nil
			}
		}
		return groupKeyState{}, fmt.Errorf("log group %s not found in %s", name, s.Region)
	},
	target: func(s Step, _ groupKeyState, _ outputFunc) (groupKeyState, error) {
		return groupKeyState{KMSKeyID: s.Params.(*LogGroupKMSParams).KMSKeyID}, nil
	},
	// Events written before the change stay encrypted as they were; undo
	// only changes the key new events get.
	write: func(ctx context.Context, c *Clients, s Step, v groupKeyState, _ bool) error {
		name := aws.String(s.Params.(*LogGroupKMSParams).LogGroupName)
		if v.KMSKeyID == "" {
			_, err := c.logs(s.Region).DisassociateKmsKey(ctx, &cloudwatchlogs.DisassociateKmsKeyInput{LogGroupName: name})
			return err
		}
		_, err := c.logs(s.Region).AssociateKmsKey(ctx, &cloudwatchlogs.AssociateKmsKeyInput{LogGroupName: name, KmsKeyId: aws.String(v.KMSKeyID)})
		return err
	},
	same: func(_ Step, a, b groupKeyState) bool { return a == b },
	show: func(_ Step, v groupKeyState) string { return "KMS key " + orNone(v.KMSKeyID, "(none)") },
	reverted: func(_ Step, prev groupKeyState) string {
		return "new events of the log group are encrypted with " + orNone(prev.KMSKeyID, "a key CloudWatch Logs manages") + " again"
	},
	manual: func(s Step, prev groupKeyState) string {
		name := shq(s.Params.(*LogGroupKMSParams).LogGroupName)
		if prev.KMSKeyID == "" {
			return "aws logs disassociate-kms-key --region " + s.Region + " --log-group-name " + name
		}
		return "aws logs associate-kms-key --region " + s.Region + " --log-group-name " + name + " --kms-key-id " + shq(prev.KMSKeyID)
	},
}.ops(kindOps{
	fixes:  []string{"trail.log_group_encryption"},
	params: func() Params { return &LogGroupKMSParams{} },
	plan:   planLogGroupKMS,
	emitCLI: func(e *cliEmitter, s Step) {
		p := s.Params.(*LogGroupKMSParams)
		e.line("aws logs associate-kms-key --region %s --log-group-name %s --kms-key-id %s", s.Region, sq(p.LogGroupName), sq(p.KMSKeyID))
	},
	emitTerraform: func(e *tfEmitter, s Step) {
		p := s.Params.(*LogGroupKMSParams)
		e.line("# Log group %s is not managed here: set kms_key_id = %q on its aws_cloudwatch_log_group", p.LogGroupName, p.KMSKeyID)
		e.line("# resource, or run: aws logs associate-kms-key --region %s --log-group-name %s --kms-key-id %s", s.Region, p.LogGroupName, p.KMSKeyID)
	},
})

// planLogGroupKMS uses the --kms-key, and only a key whose policy already
// lets CloudWatch Logs use it for the group: fix never edits a key policy.
func planLogGroupKMS(p *planner) {
	const rule = "trail.log_group_encryption"
	for _, f := range p.failing(rule) {
		g := p.inv.LogGroup(f.Resource)
		key := p.opts.Facts.Key
		switch {
		case g == nil || g.Info.Value == nil:
			p.refuse(rule, f.Resource, "log group %s was not read: fix the read permission and re-run", f.Resource)
		case g.OwnerAccountID != "" && g.OwnerAccountID != p.inv.Account.ID:
			p.refuse(rule, f.Resource, "log group %s belongs to account %s: run 'trailseal fix' there", g.Name, g.OwnerAccountID)
		case p.opts.KMSKeyARN == "":
			p.refuse(rule, f.Resource, "no key: pass --kms-key ARN, a key in %s whose policy lets logs.%s.amazonaws.com use it for this log group", g.Region, g.Region)
		case key == nil || key.ARN != p.opts.KMSKeyARN:
			p.refuse(rule, f.Resource, "--kms-key %s was not checked: this is a bug, please report it", p.opts.KMSKeyARN)
		case key.Problem != "":
			p.refuse(rule, f.Resource, "--kms-key %s: %s", key.ARN, key.Problem)
		case !key.Enabled || !key.Symmetric || key.Region != g.Region:
			p.refuse(rule, f.Resource, "--kms-key %s must be an enabled symmetric key in %s, the log group's region", key.ARN, g.Region)
		default:
			if err := checkLogsKeyPolicy(key.Policy, g.Region, f.Resource); err != nil {
				p.refuse(rule, f.Resource, "--kms-key %s: %v", key.ARN, err)
				continue
			}
			p.add("logs.kms:"+g.Name, Step{Rules: []string{rule}, Kind: KindLogGroupKMS, Region: g.Region, Resource: f.Resource,
				Summary: fmt.Sprintf("encrypt new events of log group %s with key %s", g.Name, key.ARN),
				Before:  "no KMS key", After: "KMS key " + key.ARN, Reversible: true,
				Params: &LogGroupKMSParams{LogGroupName: g.Name, KMSKeyID: key.ARN}})
		}
	}
}

// checkLogsKeyPolicy refuses a key policy that does not let CloudWatch
// Logs of the region encrypt and decrypt for the group: without it,
// AssociateKmsKey fails or, worse, delivery does.
func checkLogsKeyPolicy(doc, region, groupARN string) error {
	d, err := policy.Parse(doc)
	if err != nil {
		return fmt.Errorf("key policy cannot be parsed: %v", err)
	}
	service := "logs." + region + ".amazonaws.com"
	for _, s := range d.Statements {
		if !s.Allows() || !s.Principal.HasService(service) ||
			!s.CoversAction("kms:Encrypt") || !s.CoversAction("kms:Decrypt") || !s.CoversAction("kms:GenerateDataKey") {
			continue
		}
		ok := true
		for _, c := range s.ConditionsOn("kms:EncryptionContext:aws:logs:arn") {
			if c.Restricts() && !matchesAny(c.Values, groupARN) {
				ok = false
			}
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("its key policy does not let %s use the key (kms:Encrypt*, kms:Decrypt*, kms:GenerateDataKey*) for log group %s: add such a statement first", service, groupARN)
}
