package fix

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// KindCreateLogsRole creates the role CloudTrail assumes to write to a
// trail's log group, with an inline policy that allows that group only.
const KindCreateLogsRole Kind = "iam:CreateRole"

// LogsRoleParams are the parameters of a KindCreateLogsRole step.
type LogsRoleParams struct {
	TrailRef
	RoleName    string `json:"roleName"`
	Account     string `json:"account"`
	LogGroupARN string `json:"logGroupArn"`
}

// Kind implements Params.
func (*LogsRoleParams) Kind() Kind { return KindCreateLogsRole }

// LogsRolePolicyName is the inline policy of the CloudWatch Logs role.
const LogsRolePolicyName = "trailseal-cloudtrail-to-logs"

// LogsRoleTrust is the trust policy of the role CloudTrail assumes to write
// to CloudWatch Logs.
func LogsRoleTrust(account string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":%q}}}]}`, account)
}

// LogsRolePolicy lets the role write to one log group only.
func LogsRolePolicy(groupARN string) string {
	streams := strings.TrimSuffix(groupARN, ":*") + ":log-stream:*"
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":%q}]}`, streams)
}

// roleState is what the role step leaves: the role's trust policy and its
// inline policy ("" when absent).
type roleState struct {
	Exists bool   `json:"exists"`
	Trust  string `json:"trust,omitempty"`
	Policy string `json:"policy,omitempty"`
}

var createLogsRoleKind = kindOps{
	fixes:      []string{"trail.cloudwatch_logs"},
	params:     func() Params { return &LogsRoleParams{} },
	apply:      applyCreateLogsRole,
	resolve:    resolveCreateLogsRole,
	undo:       undoLogsRole,
	undoChange: undoLogsRoleCall,
	emitCLI: func(e *cliEmitter, s Step) {
		p := s.Params.(*LogsRoleParams)
		v := e.newVar(s.ID, "roleArn", "ROLE_ARN")
		e.line("%s=$(aws iam create-role --role-name %s --assume-role-policy-document %s --query Role.Arn --output text)", v, sq(p.RoleName), sq(LogsRoleTrust(p.Account)))
		e.line("aws iam put-role-policy --role-name %s --policy-name %s --policy-document %s", sq(p.RoleName), LogsRolePolicyName, sq(LogsRolePolicy(p.LogGroupARN)))
	},
	emitTerraform: func(e *tfEmitter, s Step) {
		p := s.Params.(*LogsRoleParams)
		n := label(p.RoleName)
		e.names[s.ID] = "aws_iam_role." + n
		e.line(`resource "aws_iam_role" %s {`, hq(n))
		e.line(`  name               = %s`, hq(p.RoleName))
		e.line(`  assume_role_policy = %s`, hq(LogsRoleTrust(p.Account)))
		e.line(`}`)
		e.line("")
		e.line(`resource "aws_iam_role_policy" %s {`, hq(n))
		e.line(`  name   = %s`, hq(LogsRolePolicyName))
		e.line(`  role   = aws_iam_role.%s.id`, n)
		e.line(`  policy = %s`, hq(LogsRolePolicy(p.LogGroupARN)))
		e.line(`}`)
	},
}

// applyCreateLogsRole creates the role, or reuses one of that name, and
// puts its inline policy. The role's ARN is journaled as soon as it is
// known.
func applyCreateLogsRole(ctx context.Context, r *stepRun) error {
	p := r.step.Params.(*LogsRoleParams)
	c := r.clients.iam()
	existed := false
	err := r.call(ctx, Change{Call: "iam:CreateRole", Summary: "created role " + p.RoleName, Previous: marshal(prevExisted{}), Reversible: true},
		func(ctx context.Context, ch *Change) error {
			var tags []iamtypes.Tag
			for k, v := range r.creationTags() {
				tags = append(tags, iamtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
			}
			out, err := c.CreateRole(ctx, &iam.CreateRoleInput{
				RoleName: aws.String(p.RoleName), AssumeRolePolicyDocument: aws.String(LogsRoleTrust(p.Account)), Tags: tags,
				Description: aws.String("Lets CloudTrail trail " + p.TrailName + " write to its CloudWatch Logs group (created by trailseal)"),
			})
			if err != nil {
				return err
			}
			ch.Resource = aws.ToString(out.Role.Arn)
			return r.output("roleArn", ch.Resource)
		})
	switch {
	case err == nil:
	case errorCode(err) == "EntityAlreadyExists":
		existed = true
		got, gerr := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(p.RoleName)})
		if gerr != nil {
			return failedCall("iam:GetRole", gerr)
		}
		if err := r.output("roleArn", aws.ToString(got.Role.Arn)); err != nil {
			return err
		}
	default:
		return err
	}
	policy := LogsRolePolicy(p.LogGroupARN)
	if err := r.intend(prevExisted{Existed: existed}, roleState{Exists: true, Trust: LogsRoleTrust(p.Account), Policy: policy}); err != nil {
		return err
	}
	ch := Change{Call: "iam:PutRolePolicy", Resource: r.entry().Outputs["roleArn"], Summary: "put inline policy " + LogsRolePolicyName + " on role " + p.RoleName,
		Previous: marshal(prevExisted{Existed: existed}), Reversible: !existed}
	if existed {
		ch.NotReversible = "role " + p.RoleName + " existed before this run, so its inline policy is left as written"
	}
	return r.call(ctx, ch, func(ctx context.Context, _ *Change) error {
		_, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(p.RoleName),
			PolicyName: aws.String(LogsRolePolicyName), PolicyDocument: aws.String(policy)})
		return err
	})
}

// readRole reads the role's trust policy, inline policy and tags.
func readRole(ctx context.Context, c *Clients, name string) (roleState, map[string]string, string, error) {
	got, err := c.iam().GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if errorCode(err) == "NoSuchEntity" {
		return roleState{}, nil, "", nil
	}
	if err != nil {
		return roleState{}, nil, "", err
	}
	v := roleState{Exists: true, Trust: policyText(aws.ToString(got.Role.AssumeRolePolicyDocument))}
	tags := map[string]string{}
	for _, t := range got.Role.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	pol, err := c.iam().GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(LogsRolePolicyName)})
	switch {
	case err == nil:
		v.Policy = policyText(aws.ToString(pol.PolicyDocument))
	case errorCode(err) != "NoSuchEntity":
		return v, tags, "", err
	}
	return v, tags, aws.ToString(got.Role.Arn), nil
}

// policyText decodes a policy document as IAM returns it (URL-encoded).
func policyText(doc string) string {
	if strings.HasPrefix(doc, "%7B") || strings.HasPrefix(doc, "%7b") {
		if d, err := url.QueryUnescape(doc); err == nil {
			return d
		}
	}
	return doc
}

// sameRole compares the parts of two role states fix wrote.
func sameRole(a, b roleState) bool {
	return a.Exists == b.Exists && sameJSON(a.Trust, b.Trust) && sameJSON(a.Policy, b.Policy)
}

func resolveCreateLogsRole(ctx context.Context, r *stepRun) error {
	e := r.entry()
	p := r.step.Params.(*LogsRoleParams)
	v, tags, arn, err := readRole(ctx, r.clients, p.RoleName)
	if err != nil {
		return err
	}
	if hasPending(e, "iam:CreateRole") && v.Exists && r.createdHere(tags) {
		confirm(e, "iam:CreateRole", arn, "")
	}
	dropPending(e, "iam:CreateRole")
	if v.Exists {
		if err := r.output("roleArn", arn); err != nil {
			return err
		}
	}
	if hasPending(e, "iam:PutRolePolicy") && sameJSON(v.Policy, LogsRolePolicy(p.LogGroupARN)) {
		confirm(e, "iam:PutRolePolicy", "", "")
	}
	dropPending(e, "iam:PutRolePolicy")
	settleCalls(r, "iam:PutRolePolicy")
	return r.save()
}

// undoLogsRole deletes the role fix created, once its policies are as fix
// left them.
func undoLogsRole(ctx context.Context, u *undoRun) (string, error) {
	p := u.entry.Step.Params.(*LogsRoleParams)
	prev, err := decodeState[prevExisted](u.entry.Previous, "previous value for step "+u.entry.Step.ID)
	if err != nil {
		return "", err
	}
	if prev.Existed {
		return "role " + p.RoleName + " existed before; left in place", nil
	}
	left := roleState{Exists: true, Trust: LogsRoleTrust(p.Account), Policy: LogsRolePolicy(p.LogGroupARN)}
	return deleteLogsRole(ctx, u, left)
}

// undoLogsRoleCall takes back one call of a role step that did not
// complete.
func undoLogsRoleCall(ctx context.Context, u *undoRun, ch Change) (string, error) {
	p := u.entry.Step.Params.(*LogsRoleParams)
	switch ch.Call {
	case "iam:CreateRole":
		left := roleState{Exists: true, Trust: LogsRoleTrust(p.Account)}
		if madeCall(&u.entry, "iam:PutRolePolicy") {
			left.Policy = LogsRolePolicy(p.LogGroupARN)
		}
		return deleteLogsRole(ctx, u, left)
	case "iam:PutRolePolicy":
		_, err := u.clients.iam().DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(p.RoleName), PolicyName: aws.String(LogsRolePolicyName)})
		if errorCode(err) == "NoSuchEntity" {
			err = nil
		}
		return "removed inline policy " + LogsRolePolicyName + " from role " + p.RoleName, err
	}
	return "", fmt.Errorf("call %s cannot be reverted", ch.Call)
}

func deleteLogsRole(ctx context.Context, u *undoRun, left roleState) (string, error) {
	p := u.entry.Step.Params.(*LogsRoleParams)
	cur, _, _, err := readRole(ctx, u.clients, p.RoleName)
	if err != nil {
		return "", err
	}
	if !cur.Exists {
		return "role " + p.RoleName + " is already gone", nil
	}
	if !sameRole(cur, left) {
		show := func(v roleState) string {
			return fmt.Sprintf("role %s with trust policy %s and inline policy %s %s", p.RoleName, compactDoc(v.Trust), LogsRolePolicyName, orNone(compactDoc(v.Policy), "(none)"))
		}
		manual := fmt.Sprintf("aws iam delete-role-policy --role-name %s --policy-name %s; aws iam delete-role --role-name %s", shq(p.RoleName), LogsRolePolicyName, shq(p.RoleName))
		if err := u.changed(show(cur), show(left), manual); err != nil {
			return "", err
		}
	}
	ic := u.clients.iam()
	if _, err := ic.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(p.RoleName), PolicyName: aws.String(LogsRolePolicyName)}); err != nil && errorCode(err) != "NoSuchEntity" {
		return "", err
	}
	_, err = ic.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(p.RoleName)})
	return "deleted role " + p.RoleName + " that fix had created", err
}
