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
	writeUnplanned(e.line, plan)
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

// writeUnplanned writes, as comments, what the plan leaves to people: the
// manual steps and the findings it would not plan. Every emitted form ends
// with them.
func writeUnplanned(line func(format string, args ...any), plan *Plan) {
	for _, m := range plan.Manual {
		line("")
		line("# MANUAL %s on %s:", m.Rule, m.Resource)
		for _, st := range m.Steps {
			line("#   %s", oneLine(st))
		}
	}
	for _, r := range plan.Refused {
		line("")
		line("# NOT PLANNED %s on %s: %s", r.Rule, r.Resource, oneLine(r.Reason))
	}
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

func compactJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func (e *cliEmitter) step(s Step) {
	ops, err := opsOf(s.Kind)
	if err != nil || ops.emitCLI == nil {
		e.line("# step kind %s has no CLI form; apply it with 'trailseal fix --apply'", s.Kind)
		return
	}
	ops.emitCLI(e, s)
}

// shq quotes s for the shell only when it needs it, so that commands
// shown to people stay readable.
func shq(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-:/@=+,") == "" {
		return s
	}
	return sq(s)
}

// jsonValue is v as generic JSON values.
func jsonValue(v any) any {
	var out any
	json.Unmarshal(marshal(v), &out)
	return out
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
