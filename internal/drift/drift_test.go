package drift

import (
	"strings"
	"testing"
	"time"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
)

const acct = "111122223333"

var (
	prevTime = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	curTime  = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
)

func at(t time.Time) *time.Time { return &t }

// account is an account with two logging trails: a multi-region one homed
// in us-east-1 with every destination set, and a single-region one in
// eu-west-1.
func account(collected time.Time) *inventory.Inventory {
	logging := inventory.Ok(inventory.TrailStatus{IsLogging: true, StartLoggingTime: at(prevTime.Add(-30 * 24 * time.Hour))})
	return &inventory.Inventory{
		SchemaVersion: inventory.SchemaVersion,
		CollectedAt:   collected,
		Partition:     "aws",
		Account:       inventory.Account{ID: acct},
		Regions:       []string{"eu-west-1", "us-east-1"},
		Trails: []inventory.Trail{
			{
				ARN: "arn:aws:cloudtrail:us-east-1:" + acct + ":trail/main", Name: "main", HomeRegion: "us-east-1",
				OwnerAccountID: acct, S3BucketName: "audit-logs", S3KeyPrefix: "ct",
				KMSKeyID:                  "arn:aws:kms:us-east-1:" + acct + ":key/k1",
				CloudWatchLogsLogGroupARN: "arn:aws:logs:us-east-1:" + acct + ":log-group:trail:*",
				CloudWatchLogsRoleARN:     "arn:aws:iam::" + acct + ":role/ct-logs",
				IsMultiRegion:             true, Status: logging,
			},
			{
				ARN: "arn:aws:cloudtrail:eu-west-1:" + acct + ":trail/eu", Name: "eu", HomeRegion: "eu-west-1",
				OwnerAccountID: acct, S3BucketName: "eu-logs", Status: logging,
			},
		},
	}
}

func finding(rule string, status findings.Status, resource, msg string) findings.Finding {
	f := findings.Finding{RuleID: rule, Status: status, Severity: findings.High, Account: acct, Region: "us-east-1", Resource: resource, Message: msg}
	f.ID = findings.StableID(rule, acct, f.Region, resource)
	return f
}

const mainARN = "arn:aws:cloudtrail:us-east-1:" + acct + ":trail/main"

func baseFindings() []findings.Finding {
	return []findings.Finding{
		finding("trail.logging", findings.Pass, mainARN, "logging since then"),
		finding("trail.log_file_validation", findings.Pass, mainARN, "validation on"),
		finding("trail.kms_key_rotation", findings.Fail, mainARN, "rotation off"),
		finding("trail.insights", findings.Error, mainARN, "AccessDenied"),
	}
}

// byRule groups Compare's findings by rule.
func byRule(fs []findings.Finding) map[string][]findings.Finding {
	out := map[string][]findings.Finding{}
	for _, f := range fs {
		out[f.RuleID] = append(out[f.RuleID], f)
	}
	return out
}

func TestCompare(t *testing.T) {
	type want struct {
		status findings.Status
		// contains are substrings the message must have, every one.
		contains []string
		resource string
	}
	for _, tc := range []struct {
		name string
		// change makes the current run out of a copy of the previous one;
		// changePrev, when set, changes the previous run first.
		change     func(cur *Side)
		changePrev func(prev *Side)
		want       map[string][]want
	}{
		{
			name:   "nothing changed",
			change: func(*Side) {},
			want: map[string][]want{
				RuleTrailRemoved:            {{status: findings.Pass, contains: []string{"all 2 trails of run 41 (2026-11-01T09:00:00Z)"}}},
				RuleTrailDestinationChanged: {{status: findings.Pass, contains: []string{"of 2 trails unchanged"}}},
				RuleLoggingInterrupted:      {{status: findings.Pass, contains: []string{"2 trails logging at both runs"}}},
				RuleRegression:              {{status: findings.Pass, contains: []string{"none of the 2 checks that passed in run 41 (2026-11-01T09:00:00Z) fails now"}}},
			},
		},
		{
			name: "trail deleted",
			change: func(cur *Side) {
				cur.Inventory.Trails = cur.Inventory.Trails[1:]
			},
			want: map[string][]want{
				RuleTrailRemoved: {{status: findings.Fail, resource: mainARN,
					contains: []string{"trail main (bucket audit-logs), present in run 41 (2026-11-01T09:00:00Z), is gone in this run (2026-11-02T09:00:00Z)"}}},
				RuleTrailDestinationChanged: {{status: findings.Pass, contains: []string{"of 1 trails unchanged"}}},
			},
		},
		{
			name: "trail deleted, but its home region not scanned this time",
			change: func(cur *Side) {
				cur.Inventory.Trails = cur.Inventory.Trails[1:]
				cur.Inventory.Regions = []string{"eu-west-1"}
			},
			want: map[string][]want{
				RuleTrailRemoved: {{status: findings.Pass, contains: []string{"all 1 trails", "1 not compared"}}},
			},
		},
		{
			name: "trail missing where DescribeTrails failed",
			change: func(cur *Side) {
				cur.Inventory.Trails = cur.Inventory.Trails[1:]
				cur.Inventory.RegionErrors = []inventory.RegionError{{Region: "us-east-1", Error: inventory.CallError{Call: "cloudtrail:DescribeTrails", Code: "AccessDenied"}}}
			},
			want: map[string][]want{
				RuleTrailRemoved: {{status: findings.Error, resource: mainARN, contains: []string{"cannot tell whether trail main", "cloudtrail:DescribeTrails failed: AccessDenied"}}},
			},
		},
		{
			name: "trail moved to a new bucket",
			change: func(cur *Side) {
				cur.Inventory.Trails[0].S3BucketName = "attacker-bucket"
			},
			want: map[string][]want{
				RuleTrailDestinationChanged: {{status: findings.Fail, resource: mainARN,
					contains: []string{"trail main changed since run 41", "bucket audit-logs -> attacker-bucket"}}},
				RuleTrailRemoved: {{status: findings.Pass}},
			},
		},
		{
			name: "prefix, key, log group and role changed, one finding",
			change: func(cur *Side) {
				t := &cur.Inventory.Trails[0]
				t.S3KeyPrefix, t.KMSKeyID, t.CloudWatchLogsLogGroupARN, t.CloudWatchLogsRoleARN = "", "arn:aws:kms:us-east-1:"+acct+":key/k2", "", ""
			},
			want: map[string][]want{
				RuleTrailDestinationChanged: {{status: findings.Fail, resource: mainARN, contains: []string{
					"prefix ct -> (none)", "KMS key arn:aws:kms:us-east-1:" + acct + ":key/k1 -> arn:aws:kms:us-east-1:" + acct + ":key/k2",
					"log group arn:aws:logs:us-east-1:" + acct + ":log-group:trail:* -> (none)", "CloudWatch Logs role arn:aws:iam::" + acct + ":role/ct-logs -> (none)"}}},
			},
		},
		{
			name: "stopped and started between the runs",
			change: func(cur *Side) {
				cur.Inventory.Trails[0].Status = inventory.Ok(inventory.TrailStatus{IsLogging: true,
					StopLoggingTime: at(prevTime.Add(2 * time.Hour)), StartLoggingTime: at(prevTime.Add(3 * time.Hour))})
			},
			want: map[string][]want{
				RuleLoggingInterrupted: {{status: findings.Fail, resource: mainARN,
					contains: []string{"logging stopped at 2026-11-01T11:00:00Z and started again at 2026-11-01T12:00:00Z"}}},
			},
		},
		{
			name: "started again after the run, stop time not reported",
			change: func(cur *Side) {
				cur.Inventory.Trails[1].Status = inventory.Ok(inventory.TrailStatus{IsLogging: true, StartLoggingTime: at(prevTime.Add(time.Hour))})
			},
			want: map[string][]want{
				RuleLoggingInterrupted: {{status: findings.Fail, contains: []string{"trail eu", "started again at 2026-11-01T10:00:00Z, after that run, so it had been stopped"}}},
			},
		},
		{
			name: "a stop the previous run saw is old news",
			changePrev: func(prev *Side) {
				prev.Inventory.Trails[0].Status = inventory.Ok(inventory.TrailStatus{IsLogging: true,
					StopLoggingTime: at(prevTime.Add(-2 * time.Hour)), StartLoggingTime: at(prevTime.Add(-time.Hour))})
			},
			change: func(cur *Side) {
				cur.Inventory.Trails[0].Status = inventory.Ok(inventory.TrailStatus{IsLogging: true,
					StopLoggingTime: at(prevTime.Add(-2 * time.Hour)), StartLoggingTime: at(prevTime.Add(-time.Hour))})
			},
			want: map[string][]want{
				RuleLoggingInterrupted: {{status: findings.Pass}},
			},
		},
		{
			// Times in whole seconds (as the emulator gives them) may
			// read earlier than the previous collection although they
			// came after it: the times themselves are compared.
			name: "stopped and started within the second of the previous collection",
			changePrev: func(prev *Side) {
				prev.Inventory.CollectedAt = prevTime.Add(400 * time.Millisecond)
			},
			change: func(cur *Side) {
				cur.Inventory.Trails[0].Status = inventory.Ok(inventory.TrailStatus{IsLogging: true,
					StopLoggingTime: at(prevTime), StartLoggingTime: at(prevTime)})
			},
			want: map[string][]want{
				RuleLoggingInterrupted: {{status: findings.Fail, resource: mainARN, contains: []string{"logging stopped at 2026-11-01T09:00:00Z and started again at 2026-11-01T09:00:00Z"}}},
			},
		},
		{
			name: "stopped now: trail.logging and the regression say it, not this rule",
			change: func(cur *Side) {
				for i := range cur.Inventory.Trails {
					cur.Inventory.Trails[i].Status = inventory.Ok(inventory.TrailStatus{IsLogging: false, StopLoggingTime: at(prevTime.Add(time.Hour))})
				}
				cur.Findings[0] = finding("trail.logging", findings.Fail, mainARN, "logging stopped at 2026-11-01T10:00:00Z")
			},
			want: map[string][]want{
				RuleLoggingInterrupted: {{status: findings.NA, contains: []string{"no trail was logging at both runs"}}},
				RuleRegression: {{status: findings.Fail, resource: mainARN, contains: []string{
					"trail.logging passed in run 41 (2026-11-01T09:00:00Z) and fails in this run (2026-11-02T09:00:00Z): logging stopped at"}}},
			},
		},
		{
			name: "status unreadable now",
			change: func(cur *Side) {
				cur.Inventory.Trails[0].Status = inventory.Failed[inventory.TrailStatus]("cloudtrail:GetTrailStatus", "AccessDenied", "")
			},
			want: map[string][]want{
				RuleLoggingInterrupted: {{status: findings.Error, resource: mainARN, contains: []string{"its status in this run is unknown", "AccessDenied"}}},
			},
		},
		{
			name: "two rules regress on one trail; FAIL to FAIL and ERROR to FAIL are not regressions",
			change: func(cur *Side) {
				cur.Findings = []findings.Finding{
					finding("trail.logging", findings.Fail, mainARN, "stopped"),
					finding("trail.log_file_validation", findings.Fail, mainARN, "validation off"),
					finding("trail.kms_key_rotation", findings.Fail, mainARN, "rotation still off"),
					finding("trail.insights", findings.Fail, mainARN, "no insights"),
					finding("trail.cloudwatch_logs", findings.Fail, mainARN, "new check, never passed"),
				}
			},
			want: map[string][]want{
				RuleRegression: {
					{status: findings.Fail, resource: mainARN, contains: []string{"trail.log_file_validation passed", "validation off"}},
					{status: findings.Fail, resource: mainARN, contains: []string{"trail.logging passed", "stopped"}},
				},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prev := Side{RunID: 41, Time: prevTime, Inventory: account(prevTime), Findings: baseFindings()}
			// Drift findings stored with a run are not compared again.
			prev.Findings = append(prev.Findings, finding(RuleTrailRemoved, findings.Pass, mainARN, "old drift"))
			if tc.changePrev != nil {
				tc.changePrev(&prev)
			}
			cur := Side{Time: curTime, Inventory: account(curTime), Findings: baseFindings()}
			tc.change(&cur)
			got := byRule(Compare(&prev, cur))
			for rule, wants := range tc.want {
				if len(got[rule]) != len(wants) {
					t.Fatalf("%s: %d findings, want %d: %+v", rule, len(got[rule]), len(wants), got[rule])
				}
				for i, w := range wants {
					f := got[rule][i]
					if f.Status != w.status {
						t.Errorf("%s: status %s, want %s (%s)", rule, f.Status, w.status, f.Message)
					}
					for _, s := range w.contains {
						if !strings.Contains(f.Message, s) {
							t.Errorf("%s: message %q lacks %q", rule, f.Message, s)
						}
					}
					if w.resource != "" && f.Resource != w.resource {
						t.Errorf("%s: resource %s, want %s", rule, f.Resource, w.resource)
					}
				}
			}
			checkShape(t, Compare(&prev, cur))
		})
	}
}

// checkShape holds for every result of Compare: every drift rule speaks at
// least once, with the catalog's severity, a message, and distinct IDs.
func checkShape(t *testing.T, fs []findings.Finding) {
	t.Helper()
	ids := map[string]bool{}
	seen := map[string]bool{}
	for _, f := range fs {
		r, ok := catalog.Lookup(Rules(), f.RuleID)
		if !ok {
			t.Errorf("finding of unknown rule %s", f.RuleID)
			continue
		}
		seen[f.RuleID] = true
		if f.Severity != r.Severity || f.Message == "" || f.Account != acct {
			t.Errorf("%s: severity %s (catalog %s), account %q, message %q", f.RuleID, f.Severity, r.Severity, f.Account, f.Message)
		}
		if ids[f.ID] {
			t.Errorf("%s: duplicate finding ID %s", f.RuleID, f.ID)
		}
		ids[f.ID] = true
		if (f.Status == findings.Fail || f.Status == findings.Pass) && f.Evidence["previousRun"] != int64(41) {
			t.Errorf("%s %s: evidence does not name the previous run: %v", f.RuleID, f.Status, f.Evidence)
		}
	}
	for _, r := range Rules() {
		if !seen[r.ID] {
			t.Errorf("rule %s said nothing", r.ID)
		}
	}
}

func TestCompareWithoutPrevious(t *testing.T) {
	fs := Compare(nil, Side{Time: curTime, Inventory: account(curTime)})
	if len(fs) != len(Rules()) {
		t.Fatalf("%d findings, want one per rule", len(fs))
	}
	for _, f := range fs {
		if f.Status != findings.NA || !strings.Contains(f.Message, "no earlier run of account "+acct) {
			t.Errorf("%s: %s %q", f.RuleID, f.Status, f.Message)
		}
	}
}

func TestCompareNoTrailsBefore(t *testing.T) {
	before := account(prevTime)
	before.Trails = nil
	fs := byRule(Compare(&Side{RunID: 7, Time: prevTime, Inventory: before}, Side{Time: curTime, Inventory: account(curTime)}))
	for _, rule := range []string{RuleTrailRemoved, RuleTrailDestinationChanged, RuleLoggingInterrupted, RuleRegression} {
		if len(fs[rule]) != 1 || fs[rule][0].Status != findings.NA {
			t.Errorf("%s: %+v, want one N/A", rule, fs[rule])
		}
	}
}

func TestRulesMetadataComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range catalog.All() {
		if seen[r.ID] {
			t.Errorf("duplicate rule ID %s", r.ID)
		}
		seen[r.ID] = true
	}
	for _, r := range Rules() {
		if !IsDrift(r.ID) {
			t.Errorf("%s: a drift rule's ID starts with drift.", r.ID)
		}
		for field, v := range map[string]string{
			"Title": r.Title, "Scope": r.Scope, "Rationale": r.Rationale, "Audit": r.Audit,
			"Remediation.Console": r.Remediation.Console, "Remediation.CLI": r.Remediation.CLI,
			"Remediation.Terraform": r.Remediation.Terraform,
		} {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: %s is empty", r.ID, field)
			}
		}
		if len(r.References) == 0 || r.Severity.Rank() < 0 {
			t.Errorf("%s: references %v, severity %q", r.ID, r.References, r.Severity)
		}
	}
}

func TestUnavailable(t *testing.T) {
	fs := Unavailable(Side{Time: curTime, Inventory: account(curTime)}, "snapshot schema version 9")
	if len(fs) != len(Rules()) {
		t.Fatalf("%d findings, want one per rule", len(fs))
	}
	for _, f := range fs {
		if f.Status != findings.Error || !strings.Contains(f.Message, "snapshot schema version 9") {
			t.Errorf("%s: %s %q", f.RuleID, f.Status, f.Message)
		}
	}
}
