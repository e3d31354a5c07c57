package fix

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/trailseal/trailseal/internal/inventory"
)

// EmitCLI writes the plan as a bash script of AWS CLI commands, in plan
// order. Identifiers that only exist once a step ran (the new key's ARN,
// the new role's ARN) are carried in shell variables. The script stops at
// the first failing command (set -e), which also keeps later dependent
// steps from running.
func EmitCLI(w io.Writer, plan *Plan) error {
	e := &cliEmitter{vars: map[string]string{}}
	e.line("#!/usr/bin/env bash")
	e.line("# trailseal fix plan for account %s: %d changes.", plan.Account, len(plan.Steps))
	e.line("# Review before running. Nothing here deletes a bucket, object, trail, key or log group.")
	e.line("set -euo pipefail")
	for _, s := range plan.Steps {
		e.line("")
		e.line("# %s: %s (%s)", s.ID, s.Summary, strings.Join(s.Rules, ", "))
		e.line("#   before: %s", oneLine(s.Before))
		e.line("#   after:  %s", oneLine(s.After))
		if s.Warning != "" {
			e.line("#   WARNING: %s", s.Warning)
		}
		if !s.Reversible {
			e.line("#   not reversible: %s", s.NotReversible)
		}
		e.step(s)
	}
	for _, m := range plan.Manual {
		e.line("")
		e.line("# MANUAL %s on %s:", m.Rule, m.Resource)
		for _, st := range m.Steps {
			e.line("#   %s", oneLine(st))
		}
	}
	for _, r := range plan.Refused {
		e.line("")
		e.line("# NOT PLANNED %s on %s: %s", r.Rule, r.Resource, oneLine(r.Reason))
	}
	_, err := io.WriteString(w, e.b.String())
	return err
}

type cliEmitter struct {
	b    strings.Builder
	vars map[string]string // step ID + output -> shell variable
	n    int
}

func (e *cliEmitter) line(format string, args ...any) {
	fmt.Fprintf(&e.b, format, args...)
	e.b.WriteByte('\n')
}

func (e *cliEmitter) newVar(step, output, prefix string) string {
	e.n++
	v := fmt.Sprintf("%s_%d", prefix, e.n)
	e.vars[step+"/"+output] = v
	return v
}

func (e *cliEmitter) ref(step, output string) string {
	return `"$` + e.vars[step+"/"+output] + `"`
}

// sq quotes s for the shell.
func sq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'" }

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

func compactJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func (e *cliEmitter) step(s Step) {
	p := s.Params
	r := "--region " + s.Region
	switch s.Kind {
	case KindTrailUpdate:
		args := []string{"aws cloudtrail update-trail", r, "--name", sq(p.TrailARN)}
		if p.LogFileValidation != nil {
			args = append(args, "--enable-log-file-validation")
		}
		if p.MultiRegion != nil {
			args = append(args, "--is-multi-region-trail")
		}
		if p.GlobalEvents != nil {
			args = append(args, "--include-global-service-events")
		}
		if p.KMSKeyID != "" {
			args = append(args, "--kms-key-id", sq(p.KMSKeyID))
		}
		if p.KMSKeyFrom != "" {
			args = append(args, "--kms-key-id", e.ref(p.KMSKeyFrom, "keyArn"))
		}
		if p.LogGroupFrom != "" {
			args = append(args, "--cloud-watch-logs-log-group-arn", e.ref(p.LogGroupFrom, "logGroupArn"),
				"--cloud-watch-logs-role-arn", e.ref(p.RoleFrom, "roleArn"))
		}
		e.line("%s > /dev/null", strings.Join(args, " "))
	case KindTrailSelectors:
		flag, doc := apiSelectors(*p.Selectors)
		e.line("aws cloudtrail put-event-selectors %s --trail-name %s --%s %s > /dev/null", r, sq(p.TrailARN), flag, sq(compactJSON(doc)))
	case KindTrailStart:
		e.line("aws cloudtrail start-logging %s --name %s", r, sq(p.TrailName))
	case KindCreateKey:
		v := e.newVar(s.ID, "keyArn", "KEY_ARN")
		e.line("%s=$(aws kms create-key %s --description %s --key-spec SYMMETRIC_DEFAULT --key-usage ENCRYPT_DECRYPT --tags TagKey=created-by,TagValue=trailseal --policy %s --query KeyMetadata.Arn --output text)",
			v, r, sq(p.KeyDescription), sq(p.KeyPolicy))
		e.line("aws kms create-alias %s --alias-name %s --target-key-id \"$%s\"", r, sq(KeyAlias(p.TrailName)), v)
		e.line("aws kms enable-key-rotation %s --key-id \"$%s\"", r, v)
	case KindKeyRotation:
		e.line("aws kms enable-key-rotation %s --key-id %s", r, sq(p.KeyID))
	case KindCreateLogGroup:
		v := e.newVar(s.ID, "logGroupArn", "LOG_GROUP_ARN")
		e.line("aws logs create-log-group %s --log-group-name %s", r, sq(p.LogGroupName))
		e.line("aws logs put-retention-policy %s --log-group-name %s --retention-in-days %d", r, sq(p.LogGroupName), p.RetentionDays)
		e.line("%s=%s", v, sq(p.LogGroupARN))
	case KindCreateLogsRole:
		v := e.newVar(s.ID, "roleArn", "ROLE_ARN")
		e.line("%s=$(aws iam create-role --role-name %s --assume-role-policy-document %s --query Role.Arn --output text)", v, sq(p.RoleName), sq(LogsRoleTrust(p.Account)))
		e.line("aws iam put-role-policy --role-name %s --policy-name %s --policy-document %s", sq(p.RoleName), LogsRolePolicyName, sq(LogsRolePolicy(p.LogGroupARN)))
	case KindMetricAlarm:
		group := sq(logGroupNameFromARN(p.LogGroupARN))
		if p.LogGroupFrom != "" {
			group = sq(LogGroupName(p.TrailName))
		}
		e.line("aws logs put-metric-filter %s --log-group-name %s --filter-name %s --filter-pattern %s --metric-transformations %s",
			r, group, sq(p.FilterName), sq(p.Pattern), sq(fmt.Sprintf("metricName=%s,metricNamespace=%s,metricValue=1", p.MetricName, p.Namespace)))
		e.line("aws cloudwatch put-metric-alarm %s --alarm-name %s --alarm-description %s --metric-name %s --namespace %s --statistic Sum --period 300 --evaluation-periods 1 --threshold 1 --comparison-operator GreaterThanOrEqualToThreshold --treat-missing-data notBreaching --alarm-actions %s",
			r, sq(p.AlarmName), sq("CIS CloudTrail monitoring alarm (created by trailseal)"), sq(p.MetricName), sq(p.Namespace), sq(p.TopicARN))
	case KindBucketVersion:
		e.line("aws s3api put-bucket-versioning %s --bucket %s --versioning-configuration Status=Enabled", r, sq(p.Bucket))
	case KindBucketLock:
		cfg := map[string]any{"ObjectLockEnabled": "Enabled", "Rule": map[string]any{"DefaultRetention": map[string]any{"Mode": p.LockMode, "Days": p.LockDays}}}
		e.line("aws s3api put-object-lock-configuration %s --bucket %s --object-lock-configuration %s", r, sq(p.Bucket), sq(compactJSON(cfg)))
	case KindBucketBPA:
		e.line("aws s3api put-public-access-block %s --bucket %s --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true", r, sq(p.Bucket))
	case KindBucketLifecycle:
		if strings.HasPrefix(s.Before, "no lifecycle") {
			cfg := s3types.BucketLifecycleConfiguration{Rules: LifecycleRules(nil, p.Prefixes, p.MinDays)}
			e.line("aws s3api put-bucket-lifecycle-configuration %s --bucket %s --lifecycle-configuration %s", r, sq(p.Bucket), sq(lifecycleJSON(cfg.Rules)))
			return
		}
		// Existing rules carry filters and actions the inventory does not
		// record; rewriting them from here could lose some.
		e.line("# Existing rules must be edited, not replaced: raise every Expiration.Days and")
		e.line("# NoncurrentVersionExpiration.NoncurrentDays below %d on the log prefixes to %d.", p.MinDays, p.MinDays)
		e.line("aws s3api get-bucket-lifecycle-configuration %s --bucket %s > %s", r, sq(p.Bucket), sq(p.Bucket+"-lifecycle.json"))
		e.line("echo 'edit %s-lifecycle.json, then run: aws s3api put-bucket-lifecycle-configuration --bucket %s --lifecycle-configuration file://%s-lifecycle.json' >&2", p.Bucket, p.Bucket, p.Bucket)
	case KindBucketLogging:
		st := map[string]any{"LoggingEnabled": map[string]any{"TargetBucket": p.LogTarget, "TargetPrefix": p.LogPrefix}}
		e.line("aws s3api put-bucket-logging %s --bucket %s --bucket-logging-status %s", r, sq(p.Bucket), sq(compactJSON(st)))
	case KindBucketPolicy:
		e.line("aws s3api put-bucket-policy %s --bucket %s --policy %s", r, sq(p.Bucket), sq(p.Policy))
	default:
		e.line("# step kind %s has no CLI form; apply it with 'trailseal fix --apply'", s.Kind)
	}
}

// lifecycleJSON renders rules in the shape the CLI reads (the SDK types
// marshal with Go field names, which match the API's).
func lifecycleJSON(rules []s3types.LifecycleRule) string {
	type transition struct {
		Days         int32
		StorageClass string
	}
	type rule struct {
		ID                          string
		Status                      string
		Filter                      map[string]string
		Expiration                  map[string]int32 `json:",omitempty"`
		NoncurrentVersionExpiration map[string]int32 `json:",omitempty"`
		Transitions                 []transition     `json:",omitempty"`
	}
	var out []rule
	for _, r := range rules {
		x := rule{ID: *r.ID, Status: string(r.Status), Filter: map[string]string{"Prefix": rulePrefix(r)}}
		if r.Expiration != nil {
			x.Expiration = map[string]int32{"Days": *r.Expiration.Days}
		}
		if r.NoncurrentVersionExpiration != nil {
			x.NoncurrentVersionExpiration = map[string]int32{"NoncurrentDays": *r.NoncurrentVersionExpiration.NoncurrentDays}
		}
		for _, t := range r.Transitions {
			x.Transitions = append(x.Transitions, transition{Days: *t.Days, StorageClass: string(t.StorageClass)})
		}
		out = append(out, x)
	}
	return compactJSON(map[string]any{"Rules": out})
}

// apiSelectors renders selectors with the API's field names, leaving out
// empty fields (the CLI rejects nulls).
func apiSelectors(sel inventory.EventSelectors) (flag string, doc []map[string]any) {
	if len(sel.Advanced) > 0 {
		for _, a := range sel.Advanced {
			var fields []map[string]any
			for _, f := range a.FieldSelectors {
				m := map[string]any{"Field": f.Field}
				for k, v := range map[string][]string{"Equals": f.Equals, "StartsWith": f.StartsWith, "EndsWith": f.EndsWith,
					"NotEquals": f.NotEquals, "NotStartsWith": f.NotStartsWith, "NotEndsWith": f.NotEndsWith} {
					if len(v) > 0 {
						m[k] = v
					}
				}
				fields = append(fields, m)
			}
			m := map[string]any{"FieldSelectors": fields}
			if a.Name != "" {
				m["Name"] = a.Name
			}
			doc = append(doc, m)
		}
		return "advanced-event-selectors", doc
	}
	basic := sel.Basic
	if len(basic) == 0 {
		basic = defaultSelectors
	}
	for _, b := range basic {
		m := map[string]any{"ReadWriteType": b.ReadWriteType, "IncludeManagementEvents": b.IncludeManagementEvents}
		if len(b.ExcludeManagementEventSources) > 0 {
			m["ExcludeManagementEventSources"] = b.ExcludeManagementEventSources
		}
		var drs []map[string]any
		for _, d := range b.DataResources {
			drs = append(drs, map[string]any{"Type": d.Type, "Values": d.Values})
		}
		if len(drs) > 0 {
			m["DataResources"] = drs
		}
		doc = append(doc, m)
	}
	return "event-selectors", doc
}

var defaultSelectors = []inventory.EventSelector{{ReadWriteType: "All", IncludeManagementEvents: true}}
