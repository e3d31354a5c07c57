package drift

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
)

func ids(ts []Transition) []string {
	var out []string
	for _, t := range ts {
		f := t.Finding()
		out = append(out, f.RuleID+" "+string(statusOf(t.Before))+"->"+string(statusOf(t.After)))
	}
	return out
}

func statusOf(f *findings.Finding) findings.Status {
	if f == nil {
		return "-"
	}
	return f.Status
}

// roundTrip passes findings through JSON, as the store does.
func roundTrip(t *testing.T, fs []findings.Finding) []findings.Finding {
	t.Helper()
	b, err := json.Marshal(fs)
	if err != nil {
		t.Fatal(err)
	}
	var out []findings.Finding
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBetween(t *testing.T) {
	const other, third = "444455556666", "777788889999"
	const euARN = "arn:aws:cloudtrail:eu-west-1:" + acct + ":trail/eu"
	withEvidence := func(f findings.Finding, ev findings.Evidence) findings.Finding { f.Evidence = ev; return f }

	a := Run{ID: 41, Time: prevTime, Inventories: map[string]*inventory.Inventory{
		acct: account(prevTime), other: {Account: inventory.Account{ID: other}},
	}}
	a.Findings = roundTrip(t, []findings.Finding{
		finding("trail.logging", findings.Pass, mainARN, "logging"),
		finding("trail.kms_key_rotation", findings.Fail, mainARN, "rotation off"),
		finding("trail.insights", findings.Fail, mainARN, "no insights"),
		finding("trail.log_file_validation", findings.Fail, euARN, "validation off"),
		withEvidence(finding("bucket.policy_source_arn", findings.Fail, "arn:aws:s3:::audit-logs", "no aws:SourceArn"), findings.Evidence{"statements": []string{"1"}, "collectedAt": "then"}),
		withEvidence(finding("bucket.encryption", findings.Fail, "arn:aws:s3:::audit-logs", "SSE-S3"), findings.Evidence{"algorithm": "AES256", "collectedAt": "then"}),
		finding("trail.delivery_health", findings.Pass, mainARN, "newest log file delivered at 08:55"),
		finding("drift.trail_removed", findings.Fail, mainARN, "stored drift of run 41"),
		{ID: "ts-other", RuleID: "trail.logging", Status: findings.Fail, Account: other, Resource: "x", Message: "other account"},
	})

	bInv := account(curTime)
	bInv.Trails = bInv.Trails[:1] // the eu trail was deleted
	b := Run{ID: 42, Time: curTime, Inventories: map[string]*inventory.Inventory{acct: bInv, third: {Account: inventory.Account{ID: third}}}}
	b.Findings = []findings.Finding{
		finding("trail.logging", findings.Fail, mainARN, "stopped"),
		finding("trail.kms_key_rotation", findings.Pass, mainARN, "rotation on"),
		finding("trail.insights", findings.Fail, mainARN, "no insights"),
		withEvidence(finding("bucket.policy_source_arn", findings.Fail, "arn:aws:s3:::audit-logs", "no aws:SourceArn"), findings.Evidence{"statements": []string{"1", "4"}, "collectedAt": "now"}),
		withEvidence(finding("bucket.encryption", findings.Fail, "arn:aws:s3:::audit-logs", "SSE-S3"), findings.Evidence{"algorithm": "AES256", "collectedAt": "now"}),
		finding("trail.delivery_health", findings.Pass, mainARN, "newest log file delivered at 09:01"),
		finding("trail.cloudwatch_logs", findings.Error, mainARN, "AccessDenied"),
		{ID: "ts-third", RuleID: "trail.logging", Status: findings.Fail, Account: third, Resource: "y", Message: "third account"},
	}

	d := Between(a, b)
	if !slices.Equal(d.Accounts, []string{acct}) || !slices.Equal(d.OnlyA, []string{other}) || !slices.Equal(d.OnlyB, []string{third}) {
		t.Errorf("accounts %v, only in A %v, only in B %v", d.Accounts, d.OnlyA, d.OnlyB)
	}
	for _, tc := range []struct {
		name string
		got  []Transition
		want []string
	}{
		{"new failures", d.NewFailures, []string{"trail.logging PASS->FAIL"}},
		{"fixed", d.Fixed, []string{"trail.kms_key_rotation FAIL->PASS"}},
		{"vanished", d.Vanished, []string{"trail.log_file_validation FAIL->-"}},
		// The encryption finding's evidence differs only in collectedAt;
		// the delivery check passes both times: neither is news.
		{"changed", d.Changed, []string{"bucket.policy_source_arn FAIL->FAIL"}},
	} {
		if !slices.Equal(ids(tc.got), tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, ids(tc.got), tc.want)
		}
	}
	var drift []string
	for _, f := range d.Drift {
		drift = append(drift, f.RuleID+" "+string(f.Status)+" "+f.Resource)
	}
	want := []string{
		"drift.trail_removed FAIL " + euARN,
		"drift.regression FAIL " + mainARN,
	}
	if !slices.Equal(drift, want) {
		t.Errorf("drift %v, want %v", drift, want)
	}
}
