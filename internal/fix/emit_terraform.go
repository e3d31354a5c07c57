package fix

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/trailseal/trailseal/internal/inventory"
)

// EmitTerraform writes the plan as Terraform resources for the AWS
// provider. An existing trail is taken over with an import block and
// declared with its final settings (Terraform manages a trail as a whole);
// bucket settings use the provider's per-setting resources, which need no
// import. The inventory supplies the trail settings the plan leaves alone.
func EmitTerraform(w io.Writer, plan *Plan, inv *inventory.Inventory) error {
	e := &tfEmitter{inv: inv, names: map[string]string{}}
	e.line("# trailseal fix plan for account %s as Terraform (AWS provider >= 5, Terraform >= 1.5 for import blocks).", plan.Account)
	e.line("# Review before applying. Nothing here deletes a bucket, object, trail, key or log group.")
	trails := map[string][]Step{}
	var trailOrder []string
	for _, s := range plan.Steps {
		switch s.Kind {
		case KindTrailUpdate, KindTrailSelectors, KindTrailStart:
			if _, ok := trails[s.Params.TrailARN]; !ok {
				trailOrder = append(trailOrder, s.Params.TrailARN)
			}
			trails[s.Params.TrailARN] = append(trails[s.Params.TrailARN], s)
		default:
			e.step(s)
		}
	}
	for _, arn := range trailOrder {
		e.trail(arn, trails[arn])
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

type tfEmitter struct {
	b     strings.Builder
	inv   *inventory.Inventory
	names map[string]string // step ID -> resource address
}

func (e *tfEmitter) line(format string, args ...any) {
	fmt.Fprintf(&e.b, format, args...)
	e.b.WriteByte('\n')
}

var nonLabel = regexp.MustCompile(`[^A-Za-z0-9_]+`)

// label makes a Terraform resource name from free text.
func label(s string) string {
	l := strings.Trim(nonLabel.ReplaceAllString(s, "_"), "_")
	if l == "" || (l[0] >= '0' && l[0] <= '9') {
		l = "r_" + l
	}
	return strings.ToLower(l)
}

// hq quotes s as an HCL string, escaping template sequences so that policy
// variables such as ${aws:username} stay literal.
func hq(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`, "${", "$${", "%{", "%%{")
	return `"` + r.Replace(s) + `"`
}

func hlist(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = hq(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func (e *tfEmitter) header(s Step) {
	e.line("")
	e.line("# %s: %s (%s)", s.ID, oneLine(s.Summary), strings.Join(s.Rules, ", "))
	if s.Warning != "" {
		e.line("# WARNING: %s", oneLine(s.Warning))
	}
	if !s.Reversible {
		e.line("# not reversible: %s", oneLine(s.NotReversible))
	}
}

func (e *tfEmitter) step(s Step) {
	p := s.Params
	e.header(s)
	switch s.Kind {
	case KindCreateKey:
		n := label("trail_" + p.TrailName)
		e.names[s.ID] = "aws_kms_key." + n
		e.line(`resource "aws_kms_key" %s {`, hq(n))
		e.line(`  description         = %s`, hq(p.KeyDescription))
		e.line(`  enable_key_rotation = true`)
		e.line(`  policy              = %s`, hq(p.KeyPolicy))
		e.line(`  tags = {`)
		e.line(`    "created-by" = "trailseal"`)
		e.line(`  }`)
		e.line(`}`)
		e.line("")
		e.line(`resource "aws_kms_alias" %s {`, hq(n))
		e.line(`  name          = %s`, hq(KeyAlias(p.TrailName)))
		e.line(`  target_key_id = aws_kms_key.%s.key_id`, n)
		e.line(`}`)
	case KindKeyRotation:
		e.line("# Key %s is not managed here: set enable_key_rotation = true on its aws_kms_key", p.KeyID)
		e.line("# resource, or run: aws kms enable-key-rotation --region %s --key-id %s", s.Region, p.KeyID)
	case KindCreateLogGroup:
		n := label(p.LogGroupName)
		e.names[s.ID] = "aws_cloudwatch_log_group." + n
		e.line(`resource "aws_cloudwatch_log_group" %s {`, hq(n))
		e.line(`  name              = %s`, hq(p.LogGroupName))
		e.line(`  retention_in_days = %d`, p.RetentionDays)
		e.line(`}`)
	case KindCreateLogsRole:
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
	case KindMetricAlarm:
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
		e.line(`  alarm_description   = "CIS CloudTrail monitoring alarm (created by trailseal)"`)
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
	case KindBucketVersion:
		e.line(`resource "aws_s3_bucket_versioning" %s {`, hq(label(p.Bucket)))
		e.line(`  bucket = %s`, hq(p.Bucket))
		e.line(`  versioning_configuration {`)
		e.line(`    status = "Enabled"`)
		e.line(`  }`)
		e.line(`}`)
	case KindBucketLock:
		e.line(`resource "aws_s3_bucket_object_lock_configuration" %s {`, hq(label(p.Bucket)))
		e.line(`  bucket              = %s`, hq(p.Bucket))
		e.line(`  object_lock_enabled = "Enabled"`)
		e.line(`  rule {`)
		e.line(`    default_retention {`)
		e.line(`      mode = %s`, hq(p.LockMode))
		e.line(`      days = %d`, p.LockDays)
		e.line(`    }`)
		e.line(`  }`)
		if dep := e.names["bucket.versioning:"+p.Bucket]; dep != "" {
			e.line(`  depends_on = [%s]`, dep)
		} else {
			e.line(`  depends_on = [aws_s3_bucket_versioning.%s]`, label(p.Bucket))
		}
		e.line(`}`)
	case KindBucketBPA:
		e.line(`resource "aws_s3_bucket_public_access_block" %s {`, hq(label(p.Bucket)))
		e.line(`  bucket                  = %s`, hq(p.Bucket))
		e.line(`  block_public_acls       = true`)
		e.line(`  ignore_public_acls      = true`)
		e.line(`  block_public_policy     = true`)
		e.line(`  restrict_public_buckets = true`)
		e.line(`}`)
	case KindBucketLifecycle:
		if !strings.HasPrefix(s.Before, "no lifecycle") {
			e.line("# %s has lifecycle rules: raise every expiration on the log prefixes to at least %d days", p.Bucket, p.MinDays)
			e.line("# in the aws_s3_bucket_lifecycle_configuration that manages it (replacing it from here could drop rules).")
			return
		}
		e.line(`resource "aws_s3_bucket_lifecycle_configuration" %s {`, hq(label(p.Bucket)))
		e.line(`  bucket = %s`, hq(p.Bucket))
		for _, r := range LifecycleRules(nil, p.Prefixes, p.MinDays) {
			e.line(`  rule {`)
			e.line(`    id     = %s`, hq(*r.ID))
			e.line(`    status = "Enabled"`)
			e.line(`    filter {`)
			e.line(`      prefix = %s`, hq(rulePrefix(r)))
			e.line(`    }`)
			for _, t := range r.Transitions {
				e.line(`    transition {`)
				e.line(`      days          = %d`, *t.Days)
				e.line(`      storage_class = %s`, hq(string(t.StorageClass)))
				e.line(`    }`)
			}
			e.line(`    expiration {`)
			e.line(`      days = %d`, *r.Expiration.Days)
			e.line(`    }`)
			e.line(`    noncurrent_version_expiration {`)
			e.line(`      noncurrent_days = %d`, *r.NoncurrentVersionExpiration.NoncurrentDays)
			e.line(`    }`)
			e.line(`  }`)
		}
		e.line(`}`)
	case KindBucketLogging:
		e.line(`resource "aws_s3_bucket_logging" %s {`, hq(label(p.Bucket)))
		e.line(`  bucket        = %s`, hq(p.Bucket))
		e.line(`  target_bucket = %s`, hq(p.LogTarget))
		e.line(`  target_prefix = %s`, hq(p.LogPrefix))
		e.line(`}`)
	case KindBucketPolicy:
		e.line(`resource "aws_s3_bucket_policy" %s {`, hq(label(p.Bucket)))
		e.line(`  bucket = %s`, hq(p.Bucket))
		e.line(`  policy = %s`, hq(p.Policy))
		e.line(`}`)
	default:
		e.line("# step kind %s has no Terraform form; apply it with 'trailseal fix --apply'", s.Kind)
	}
}

// trail declares one trail with its final settings: what the inventory
// recorded, changed by every step of the plan that touches it.
func (e *tfEmitter) trail(arn string, steps []Step) {
	var t inventory.Trail
	for _, tr := range e.inv.Trails {
		if tr.ARN == arn {
			t = tr
		}
	}
	if t.ARN == "" {
		e.line("# trail %s is not in the inventory; its steps have no Terraform form", arn)
		return
	}
	logging := t.Status.Value != nil && t.Status.Value.IsLogging
	sel := t.Selectors.Value
	kms := hq(t.KMSKeyID)
	group, role := hq(t.CloudWatchLogsLogGroupARN), hq(t.CloudWatchLogsRoleARN)
	var ids []string
	for _, s := range steps {
		ids = append(ids, s.ID)
		p := s.Params
		switch {
		case s.Kind == KindTrailStart:
			logging = true
		case s.Kind == KindTrailSelectors:
			sel = p.Selectors
		}
		if p.LogFileValidation != nil {
			t.LogFileValidationEnabled = *p.LogFileValidation
		}
		if p.MultiRegion != nil {
			t.IsMultiRegion = *p.MultiRegion
		}
		if p.GlobalEvents != nil {
			t.IncludeGlobalServiceEvents = *p.GlobalEvents
		}
		if p.KMSKeyID != "" {
			kms = hq(p.KMSKeyID)
		}
		if p.KMSKeyFrom != "" {
			kms = e.names[p.KMSKeyFrom] + ".arn"
		}
		if p.LogGroupFrom != "" {
			group = `"${` + e.names[p.LogGroupFrom] + `.arn}:*"`
			role = e.names[p.RoleFrom] + ".arn"
		}
	}
	n := label(t.Name)
	e.line("")
	e.line("# trail %s, final settings after steps %s", t.Name, strings.Join(ids, ", "))
	e.line(`import {`)
	e.line(`  to = aws_cloudtrail.%s`, n)
	e.line(`  id = %s`, hq(t.ARN))
	e.line(`}`)
	e.line("")
	e.line(`resource "aws_cloudtrail" %s {`, hq(n))
	e.line(`  name                          = %s`, hq(t.Name))
	e.line(`  s3_bucket_name                = %s`, hq(t.S3BucketName))
	if t.S3KeyPrefix != "" {
		e.line(`  s3_key_prefix                 = %s`, hq(t.S3KeyPrefix))
	}
	if t.SNSTopicARN != "" {
		e.line(`  sns_topic_name                = %s`, hq(t.SNSTopicARN))
	}
	e.line(`  is_multi_region_trail         = %t`, t.IsMultiRegion)
	e.line(`  include_global_service_events = %t`, t.IncludeGlobalServiceEvents)
	e.line(`  enable_log_file_validation    = %t`, t.LogFileValidationEnabled)
	e.line(`  enable_logging                = %t`, logging)
	if t.IsOrganizationTrail {
		e.line(`  is_organization_trail         = true`)
	}
	if kms != `""` {
		e.line(`  kms_key_id                    = %s`, kms)
	}
	if group != `""` {
		e.line(`  cloud_watch_logs_group_arn    = %s`, group)
		e.line(`  cloud_watch_logs_role_arn     = %s`, role)
	}
	if sel != nil {
		e.selectors(*sel)
	}
	e.line(`}`)
}

func (e *tfEmitter) selectors(sel inventory.EventSelectors) {
	for _, a := range sel.Advanced {
		e.line(`  advanced_event_selector {`)
		if a.Name != "" {
			e.line(`    name = %s`, hq(a.Name))
		}
		for _, f := range a.FieldSelectors {
			e.line(`    field_selector {`)
			e.line(`      field = %s`, hq(f.Field))
			for _, kv := range []struct {
				k string
				v []string
			}{{"equals", f.Equals}, {"starts_with", f.StartsWith}, {"ends_with", f.EndsWith},
				{"not_equals", f.NotEquals}, {"not_starts_with", f.NotStartsWith}, {"not_ends_with", f.NotEndsWith}} {
				if len(kv.v) > 0 {
					e.line(`      %s = %s`, kv.k, hlist(kv.v))
				}
			}
			e.line(`    }`)
		}
		e.line(`  }`)
	}
	if len(sel.Advanced) > 0 {
		return
	}
	for _, b := range sel.Basic {
		e.line(`  event_selector {`)
		e.line(`    read_write_type           = %s`, hq(b.ReadWriteType))
		e.line(`    include_management_events = %t`, b.IncludeManagementEvents)
		if len(b.ExcludeManagementEventSources) > 0 {
			e.line(`    exclude_management_event_sources = %s`, hlist(b.ExcludeManagementEventSources))
		}
		for _, d := range b.DataResources {
			e.line(`    data_resource {`)
			e.line(`      type   = %s`, hq(d.Type))
			e.line(`      values = %s`, hlist(d.Values))
			e.line(`    }`)
		}
		e.line(`  }`)
	}
}
