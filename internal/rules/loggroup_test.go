package rules

import (
	"strings"
	"testing"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
)

const (
	lgARN  = "arn:aws:logs:us-east-1:" + trailAcct + ":log-group:cloudtrail/main"
	lgKey  = "arn:aws:kms:us-east-1:" + trailAcct + ":key/aaaa-bbbb"
	lgName = "cloudtrail/main"
)

// lgInventory is trailTestInventory with the trail's log group collected.
func lgInventory(info inventory.Result[inventory.LogGroupInfo], trails ...inventory.Trail) *inventory.Inventory {
	if len(trails) == 0 {
		trails = []inventory.Trail{trailGood("main")}
	}
	inv := trailTestInventory(trails...)
	inv.LogGroups = []inventory.LogGroup{{ARN: lgARN, Name: lgName, Region: "us-east-1", OwnerAccountID: trailAcct, Info: info}}
	return inv
}

func lgInfo(days int, key string) inventory.Result[inventory.LogGroupInfo] {
	return inventory.Ok(inventory.LogGroupInfo{Exists: true, RetentionDays: days, KMSKeyID: key})
}

type lgCase struct {
	name    string
	inv     *inventory.Inventory
	opts    *Options
	want    findings.Status
	message string
}

func lgRun(t *testing.T, id string, cases []lgCase) {
	t.Helper()
	r, ok := Lookup(trailRules(), id)
	if !ok {
		t.Fatalf("rule %s is not registered", id)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := DefaultOptions()
			if c.opts != nil {
				opts = *c.opts
			}
			res := r.Check(c.inv, opts)
			if len(res) != 1 {
				t.Fatalf("got %d results, want 1: %+v", len(res), res)
			}
			got := res[0]
			if got.Status != c.want || !strings.Contains(got.Message, c.message) {
				t.Errorf("got %s %q, want %s containing %q", got.Status, got.Message, c.want, c.message)
			}
			if got.Resource == "" || got.Region == "" {
				t.Errorf("result lacks resource or region: %+v", got)
			}
			if got.Status == findings.Pass || got.Status == findings.Fail {
				if got.Resource != lgARN || got.Region != "us-east-1" {
					t.Errorf("resource %s in %s, want the log group %s in us-east-1", got.Resource, got.Region, lgARN)
				}
			}
		})
	}
}

func TestLogGroupRetention(t *testing.T) {
	second := trailGood("second")
	lgRun(t, "trail.log_group_retention", []lgCase{
		{name: "one year", inv: lgInventory(lgInfo(365, lgKey)), want: findings.Pass, message: "keeps events for 365 days"},
		{name: "never expires", inv: lgInventory(lgInfo(0, lgKey)), want: findings.Pass, message: "keeps events forever"},
		{name: "one day", inv: lgInventory(lgInfo(1, lgKey)), want: findings.Fail, message: "deletes events after 1 day, sooner than the required 365 days"},
		{name: "three months", inv: lgInventory(lgInfo(90, lgKey)), want: findings.Fail, message: "after 90 days"},
		{name: "minimum from options", inv: lgInventory(lgInfo(400, lgKey)), opts: &Options{MinRetentionDays: 731}, want: findings.Fail, message: "required 731 days"},
		{name: "two trails, one group: one finding", inv: lgInventory(lgInfo(30, ""), trailGood("main"), func() inventory.Trail {
			second.CloudWatchLogsLogGroupARN = trailGood("main").CloudWatchLogsLogGroupARN
			return second
		}()), want: findings.Fail, message: "after 30 days"},
		{name: "group gone", inv: lgInventory(inventory.Ok(inventory.LogGroupInfo{Exists: false})), want: findings.Fail, message: "no longer exists"},
		{name: "denied", inv: lgInventory(inventory.Failed[inventory.LogGroupInfo]("logs:DescribeLogGroups", "AccessDeniedException", "")),
			want: findings.Error, message: "logs:DescribeLogGroups failed: AccessDeniedException"},
		{name: "held by the management account", inv: lgInventory(inventory.InAccount[inventory.LogGroupInfo](trailMgmtAcct, "organization trail log group")),
			want: findings.Manual, message: trailMgmtAcct},
		{name: "group not collected", inv: trailTestInventory(trailGood("main")), want: findings.Error, message: "was not collected"},
		{name: "no trail delivers to CloudWatch Logs", inv: trailTestInventory(trailWith(func(t *inventory.Trail) { t.CloudWatchLogsLogGroupARN = "" })),
			want: findings.NA, message: "no trail delivers to CloudWatch Logs"},
		{name: "no trail", inv: trailNoTrails(), want: findings.NA, message: "no CloudTrail trail"},
		{name: "no trail seen, DescribeTrails denied", inv: trailDescribeDenied(), want: findings.Error, message: "trails could not be listed"},
	})
}

func TestLogGroupEncryption(t *testing.T) {
	lgRun(t, "trail.log_group_encryption", []lgCase{
		{name: "customer managed key", inv: lgInventory(lgInfo(365, lgKey)), want: findings.Pass, message: "encrypted with KMS key " + lgKey},
		{name: "no key", inv: lgInventory(lgInfo(365, "")), want: findings.Fail, message: "has no KMS key"},
		{name: "group gone", inv: lgInventory(inventory.Ok(inventory.LogGroupInfo{Exists: false})), want: findings.Fail, message: "no longer exists"},
		{name: "denied", inv: lgInventory(inventory.Failed[inventory.LogGroupInfo]("logs:DescribeLogGroups", "AccessDeniedException", "")),
			want: findings.Error, message: "logs:DescribeLogGroups"},
		{name: "never collected", inv: lgInventory(inventory.Result[inventory.LogGroupInfo]{}), want: findings.Error, message: "evidence was not collected"},
		{name: "no trail", inv: trailNoTrails(), want: findings.NA, message: "no CloudTrail trail"},
	})
}

// TestLogGroupFindingBelongsToOwner: an organization trail's log group in
// the management account is that account's to fix.
func TestLogGroupFindingBelongsToOwner(t *testing.T) {
	tr := trailGood("org")
	tr.OwnerAccountID, tr.IsOrganizationTrail = trailMgmtAcct, true
	tr.CloudWatchLogsLogGroupARN = "arn:aws:logs:us-east-1:" + trailMgmtAcct + ":log-group:org:*"
	inv := trailTestInventory(tr)
	inv.LogGroups = []inventory.LogGroup{{ARN: "arn:aws:logs:us-east-1:" + trailMgmtAcct + ":log-group:org", Name: "org", Region: "us-east-1",
		OwnerAccountID: trailMgmtAcct, Info: inventory.InAccount[inventory.LogGroupInfo](trailMgmtAcct, "organization trail log group")}}
	fs := Evaluate(inv, []Rule{trailLogGroupRetentionRule()}, DefaultOptions())
	if len(fs) != 1 || fs[0].Status != findings.Manual || fs[0].Account != trailMgmtAcct {
		t.Fatalf("findings %+v, want one MANUAL finding of account %s", fs, trailMgmtAcct)
	}
}
