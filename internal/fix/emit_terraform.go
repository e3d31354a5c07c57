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
	e := &tfEmitter{inv: inv, names: map[string]string{}, trails: map[string]*tfTrail{}}
	e.line("# trailseal fix plan for account %s as Terraform (AWS provider >= 5, Terraform >= 1.5 for import blocks).", plan.Account)
	e.line("# Review before applying. Nothing here deletes a bucket, object, trail, key or log group.")
	for _, s := range plan.Steps {
		e.step(s)
	}
	for _, arn := range e.trailOrder {
		e.trail(e.trails[arn])
	}
	writeUnplanned(e.line, plan)
	_, err := io.WriteString(w, e.b.String())
	return err
}

type tfEmitter struct {
	b     strings.Builder
	inv   *inventory.Inventory
	names map[string]string // step ID -> resource address
	// header is the step whose comment header is written before the
	// step's first line; a step folded into its trail writes none.
	header *Step
	// trails collects the steps that change each trail, in plan order.
	trails     map[string]*tfTrail
	trailOrder []string
}

// tfTrail is a trail as the plan leaves it: what the inventory recorded,
// changed by each step of the plan that touches it.
type tfTrail struct {
	inventory.Trail
	arn     string
	ids     []string
	changes []func(*tfTrail)
	logging bool
	sel     *inventory.EventSelectors
	kms     string
	group   string
	role    string
}

func (e *tfEmitter) line(format string, args ...any) {
	if s := e.header; s != nil {
		e.header = nil
		e.writeHeader(*s)
	}
	fmt.Fprintf(&e.b, format, args...)
	e.b.WriteByte('\n')
}

func (e *tfEmitter) step(s Step) {
	ops, err := opsOf(s.Kind)
	e.header = &s
	if err != nil || ops.emitTerraform == nil {
		e.line("# step kind %s has no Terraform form; apply it with 'trailseal fix --apply'", s.Kind)
		return
	}
	ops.emitTerraform(e, s)
	e.header = nil
}

// onTrail folds a step into its trail's final settings: Terraform manages
// a trail as a whole.
func (e *tfEmitter) onTrail(arn string, s Step, change func(*tfTrail)) {
	e.header = nil
	t, ok := e.trails[arn]
	if !ok {
		t = &tfTrail{arn: arn}
		e.trails[arn] = t
		e.trailOrder = append(e.trailOrder, arn)
		for _, tr := range e.inv.Trails {
			if tr.ARN == arn {
				t.Trail = tr
			}
		}
		t.logging = t.Status.Value != nil && t.Status.Value.IsLogging
		t.sel = t.Selectors.Value
		t.kms, t.group, t.role = hq(t.KMSKeyID), hq(t.CloudWatchLogsLogGroupARN), hq(t.CloudWatchLogsRoleARN)
	}
	t.ids = append(t.ids, s.ID)
	t.changes = append(t.changes, change)
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

func (e *tfEmitter) writeHeader(s Step) {
	e.line("")
	e.line("# %s: %s (%s)", s.ID, oneLine(s.Summary), strings.Join(s.Rules, ", "))
	if s.Warning != "" {
		e.line("# WARNING: %s", oneLine(s.Warning))
	}
	if !s.Reversible {
		e.line("# not reversible: %s", oneLine(s.NotReversible))
	}
}

// trail declares one trail with its final settings: an import block and
// the resource.
func (e *tfEmitter) trail(t *tfTrail) {
	if t.ARN == "" {
		e.line("# trail %s is not in the inventory; its steps have no Terraform form", t.arn)
		return
	}
	for _, change := range t.changes {
		change(t)
	}
	n := label(t.Name)
	e.line("")
	e.line("# trail %s, final settings after steps %s", t.Name, strings.Join(t.ids, ", "))
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
	e.line(`  enable_logging                = %t`, t.logging)
	if t.IsOrganizationTrail {
		e.line(`  is_organization_trail         = true`)
	}
	if t.kms != `""` {
		e.line(`  kms_key_id                    = %s`, t.kms)
	}
	if t.group != `""` {
		e.line(`  cloud_watch_logs_group_arn    = %s`, t.group)
		e.line(`  cloud_watch_logs_role_arn     = %s`, t.role)
	}
	if t.sel != nil {
		e.selectors(*t.sel)
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
