package fix_test

import (
	"bytes"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/trailseal/trailseal/internal/fix"
	"github.com/trailseal/trailseal/internal/permissions"
	"github.com/trailseal/trailseal/internal/testenv"
)

// failCalls answers the named API calls with AccessDenied in the wire
// format of their protocol: query (IAM, CloudWatch behind an emulator) by
// the Action in the body, JSON (CloudWatch Logs, KMS) by X-Amz-Target.
func failCalls(p *testenv.Proxy, calls ...string) {
	p.Intercept(func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		for _, c := range calls {
			if bytes.Contains(body, []byte("Action="+c+"&")) {
				testenv.QueryError(w, http.StatusForbidden, "AccessDenied", "denied by the test for "+c)
				return true
			}
			if strings.HasSuffix(r.Header.Get("X-Amz-Target"), "."+c) {
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, `{"__type":"AccessDeniedException","message":"denied by the test for %s"}`, c)
				return true
			}
		}
		return false
	})
}

func entriesByID(j *fix.Journal) map[string]fix.Entry {
	out := map[string]fix.Entry{}
	for _, e := range j.Entries {
		out[e.Step.ID] = e
	}
	return out
}

// TestPartialStepsAreJournaledAndUndone makes the second call of three
// multi-call steps fail (the role's inline policy, the log group's
// retention, the key's alias). Each step must be failed with a journal
// record of the first call's change, its dependents must not run, and
// --undo must delete the role fix created while saying that the created
// log group and key are kept.
func TestPartialStepsAreJournaledAndUndone(t *testing.T) {
	ctx, cfg := fresh(t)
	m := seed(t, ctx, cfg)
	plan, inv, _ := planFor(t, ctx, cfg, m, fixOptions(m))
	proxy, err := testenv.StartProxy(moto.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	failCalls(proxy, "PutRolePolicy", "PutRetentionPolicy", "CreateAlias")
	pcfg, err := testenv.Config(ctx, proxy.URL, region)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "journal.json")
	out, err := (&fix.Applier{Clients: fix.NewClients(pcfg), Journal: fix.NewJournal(path, inv.Account.ID)}).Apply(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	if out.Partial != 3 || out.Failed != 3 {
		t.Errorf("outcome %+v: want 3 failed steps, all partially applied", out)
	}
	j, err := fix.LoadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	byID := entriesByID(j)
	role, group := fix.LogsRoleName(m.TrailName), fix.LogGroupName(m.TrailName)
	for _, tc := range []struct {
		step, call, message string
		reversible          bool
	}{
		{"iam.role:" + m.TrailName, "iam:CreateRole", "partially applied: created role " + role + " was changed, iam:PutRolePolicy failed", true},
		{"logs.group:" + m.TrailName, "logs:CreateLogGroup", "partially applied: created log group " + group + " was changed, logs:PutRetentionPolicy failed", false},
		{"kms.create_key:" + m.TrailName, "kms:CreateKey", "was changed, kms:CreateAlias failed", false},
	} {
		e := byID[tc.step]
		if e.Status != fix.Failed || !strings.Contains(e.Error, tc.message) || !strings.Contains(e.Error, "AccessDenied") {
			t.Errorf("%s: status %q, error %q; want failed with %q", tc.step, e.Status, e.Error, tc.message)
		}
		if len(e.Changes) != 1 || e.Changes[0].Call != tc.call || e.Changes[0].Reversible != tc.reversible || len(e.Changes[0].Previous) == 0 {
			t.Errorf("%s: journal changes %+v; want one %s with its previous state, reversible %t", tc.step, e.Changes, tc.call, tc.reversible)
		}
	}
	for _, dep := range []string{"trail.cloudwatch_logs:" + m.TrailName, "trail.kms_encryption:" + m.TrailName} {
		if e := byID[dep]; e.Status != fix.Skipped {
			t.Errorf("%s depends on a partially applied step and must not run: %+v", dep, e)
		}
	}
	ic := iam.NewFromConfig(cfg)
	if _, err := ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)}); err != nil {
		t.Fatalf("the role the failed step created should exist before undo: %v", err)
	}
	createdKey := byID["kms.create_key:"+m.TrailName].Changes[0].Resource

	undoClients := fix.NewClients(cfg)
	results := fix.Undo(ctx, undoClients, j)
	got := map[string]fix.UndoResult{}
	for _, r := range results {
		if r.Change != "" {
			got[r.Step.ID] = r
		}
		if r.Status == fix.UndoFailed {
			t.Errorf("undo of %s failed: %s", r.Step.ID, r.Detail)
		}
	}
	if r := got["iam.role:"+m.TrailName]; r.Status != fix.Reverted || !strings.Contains(r.Detail, "deleted role "+role) {
		t.Errorf("undo of the partial role step: %+v", r)
	}
	for _, id := range []string{"logs.group:" + m.TrailName, "kms.create_key:" + m.TrailName} {
		if r := got[id]; r.Status != fix.NotReverted || !strings.Contains(r.Detail, "cannot be reverted automatically") || !strings.Contains(r.Detail, "by hand if unwanted") {
			t.Errorf("undo of partial step %s must say it keeps what was created: %+v", id, r)
		}
	}
	if _, err := ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)}); err == nil {
		t.Error("undo left the role that the partially applied step created")
	}
	lg, err := cloudwatchlogs.NewFromConfig(cfg).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(group)})
	if err != nil || len(lg.LogGroups) != 1 {
		t.Errorf("fix never deletes a log group: %v %+v", err, lg)
	}
	if d, err := kms.NewFromConfig(cfg).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(createdKey)}); err != nil || d.KeyMetadata.DeletionDate != nil {
		t.Errorf("fix never deletes a key: %v", err)
	}
	if missing, err := permissions.Missing(permissions.FixPolicy(), undoClients.Calls()); err != nil || len(missing) > 0 {
		t.Errorf("the fix policy lacks undo calls: %v %v", missing, err)
	}
}

// TestPartialAlarmStepIsUndone fails the alarm after its metric filter was
// written: the journal must hold the filter, and --undo must remove it.
func TestPartialAlarmStepIsUndone(t *testing.T) {
	ctx, cfg := fresh(t)
	m := seed(t, ctx, cfg)
	plan, inv, _ := planFor(t, ctx, cfg, m, fixOptions(m))
	proxy, err := testenv.StartProxy(moto.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	failCalls(proxy, "PutMetricAlarm")
	pcfg, err := testenv.Config(ctx, proxy.URL, region)
	if err != nil {
		t.Fatal(err)
	}
	j := fix.NewJournal(filepath.Join(t.TempDir(), "journal.json"), inv.Account.ID)
	out, err := (&fix.Applier{Clients: fix.NewClients(pcfg), Journal: j}).Apply(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	if out.Partial != len(fix.Alarms) {
		t.Errorf("outcome %+v: want %d partially applied alarm steps", out, len(fix.Alarms))
	}
	byID := entriesByID(j)
	group := fix.LogGroupName(m.TrailName)
	logs := cloudwatchlogs.NewFromConfig(cfg)
	for _, a := range fix.Alarms {
		e := byID["monitoring.alarm:"+a.FilterName]
		if e.Status != fix.Failed || !strings.Contains(e.Error, "partially applied: created metric filter "+a.FilterName+" on "+group+" was changed, cloudwatch:PutMetricAlarm failed") {
			t.Errorf("alarm step %s: %s %q", a.FilterName, e.Status, e.Error)
		}
		if len(e.Changes) != 1 || e.Changes[0].Call != "logs:PutMetricFilter" || !e.Changes[0].Reversible {
			t.Errorf("alarm step %s: changes %+v", a.FilterName, e.Changes)
		}
	}
	countFilters := func() int {
		f, err := logs.DescribeMetricFilters(ctx, &cloudwatchlogs.DescribeMetricFiltersInput{LogGroupName: aws.String(group)})
		if err != nil {
			t.Fatal(err)
		}
		return len(f.MetricFilters)
	}
	if n := countFilters(); n != len(fix.Alarms) {
		t.Fatalf("%d metric filters after the partial apply, want %d", n, len(fix.Alarms))
	}
	reverted := 0
	for _, r := range fix.Undo(ctx, fix.NewClients(cfg), j) {
		if r.Status == fix.UndoFailed {
			t.Errorf("undo of %s failed: %s", r.Step.ID, r.Detail)
		}
		if r.Change != "" && r.Status == fix.Reverted && strings.Contains(r.Detail, "removed metric filter") {
			reverted++
		}
	}
	if reverted != len(fix.Alarms) {
		t.Errorf("undo reverted %d partial filters, want %d", reverted, len(fix.Alarms))
	}
	if n := countFilters(); n != 0 {
		t.Errorf("%d metric filters left after undo, want 0", n)
	}
}
