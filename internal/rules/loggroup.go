package rules

import (
	"fmt"
	"strings"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
)

// The rules in this file judge the CloudWatch Logs group a trail delivers
// to, once per distinct log group.

// logGroupTarget is one trail log group with the trails that deliver to it.
type logGroupTarget struct {
	arn    string // without the trailing ":*"
	name   string
	region string
	lg     *inventory.LogGroup // nil when the collector recorded nothing
	trails []string
}

// logGroupTargets groups the trails that record the account by the log
// group they deliver to, in the order the groups first appear.
func logGroupTargets(inv *inventory.Inventory) []logGroupTarget {
	var out []logGroupTarget
	index := map[string]int{}
	for _, t := range acctTrails(inv) {
		if t.CloudWatchLogsLogGroupARN == "" {
			continue
		}
		arn := strings.TrimSuffix(t.CloudWatchLogsLogGroupARN, ":*")
		i, seen := index[arn]
		if !seen {
			tg := logGroupTarget{arn: arn, lg: inv.LogGroup(arn), region: trailARNRegion(arn)}
			tg.name = logGroupNameOf(arn)
			if tg.lg != nil {
				tg.name, tg.region = tg.lg.Name, tg.lg.Region
			}
			index[arn] = len(out)
			out = append(out, tg)
			i = len(out) - 1
		}
		out[i].trails = append(out[i].trails, t.ARN)
	}
	return out
}

// logGroupNameOf reads the name out of a log group ARN
// (arn:aws:logs:region:account:log-group:NAME).
func logGroupNameOf(arn string) string {
	_, name, ok := strings.Cut(arn, ":log-group:")
	if !ok {
		return arn
	}
	return strings.TrimSuffix(name, ":*")
}

// logGroupCheck runs check on the info of every trail log group. A group the
// collector never recorded, or whose info cannot be read, is ERROR (MANUAL
// when another account holds it); a group that is gone is FAIL.
func logGroupCheck(inv *inventory.Inventory, what string, check func(tg logGroupTarget, info inventory.LogGroupInfo) Result) []Result {
	if len(acctTrails(inv)) == 0 {
		return trailNone(inv, "no CloudTrail trail exists (see account.trail_logging)")
	}
	targets := logGroupTargets(inv)
	if len(targets) == 0 {
		return trailListGap(inv, []Result{notApplicable("global", acctRootARN(inv), "no trail delivers to CloudWatch Logs (see trail.cloudwatch_logs)")})
	}
	out := make([]Result, 0, len(targets))
	for _, tg := range targets {
		var r Result
		switch {
		case tg.lg == nil:
			r, _ = missing(inventory.Result[inventory.LogGroupInfo]{}, fmt.Sprintf("%s of log group %s", what, tg.name), tg.region, tg.arn)
			r.Message = fmt.Sprintf("log group %s of trail(s) %s was not collected: re-run the scan with logs:DescribeLogGroups permission", tg.name, strings.Join(tg.trails, ", "))
		case tg.lg.Info.Value == nil:
			r, _ = missing(tg.lg.Info, fmt.Sprintf("%s of log group %s (logs:DescribeLogGroups)", what, tg.name), tg.region, tg.arn)
		case !tg.lg.Info.Value.Exists:
			r = fail(tg.region, tg.arn, fmt.Sprintf("log group %s no longer exists, so CloudTrail delivers nothing to it (see trail.cloudwatch_logs)", tg.name),
				findings.Evidence{"exists": false})
		default:
			r = check(tg, *tg.lg.Info.Value)
		}
		if r.Evidence == nil {
			r.Evidence = findings.Evidence{}
		}
		r.Evidence["logGroup"] = tg.name
		r.Evidence["trails"] = tg.trails
		if tg.lg != nil && tg.lg.OwnerAccountID != "" && tg.lg.OwnerAccountID != inv.Account.ID {
			// The finding belongs to the account that can act on it.
			r.Account = tg.lg.OwnerAccountID
		}
		out = append(out, r)
	}
	return trailListGap(inv, out)
}

func checkLogGroupRetention(inv *inventory.Inventory, opts Options) []Result {
	minDays := bucketMinRetention(opts)
	return logGroupCheck(inv, "retention", func(tg logGroupTarget, info inventory.LogGroupInfo) Result {
		ev := findings.Evidence{"retentionInDays": info.RetentionDays, "minRetentionDays": minDays}
		switch {
		case info.RetentionDays == 0:
			return pass(tg.region, tg.arn, fmt.Sprintf("log group %s keeps events forever (no retention setting)", tg.name), ev)
		case info.RetentionDays < minDays:
			return fail(tg.region, tg.arn, fmt.Sprintf("log group %s deletes events after %s, sooner than the required %s",
				tg.name, bucketDays(info.RetentionDays), bucketDays(minDays)), ev)
		}
		return pass(tg.region, tg.arn, fmt.Sprintf("log group %s keeps events for %s (required: %s)",
			tg.name, bucketDays(info.RetentionDays), bucketDays(minDays)), ev)
	})
}

func checkLogGroupEncryption(inv *inventory.Inventory, _ Options) []Result {
	return logGroupCheck(inv, "encryption", func(tg logGroupTarget, info inventory.LogGroupInfo) Result {
		ev := findings.Evidence{"kmsKeyId": info.KMSKeyID}
		if info.KMSKeyID == "" {
			return fail(tg.region, tg.arn, fmt.Sprintf("log group %s has no KMS key: its events are encrypted with a key CloudWatch Logs manages", tg.name), ev)
		}
		return pass(tg.region, tg.arn, fmt.Sprintf("log group %s is encrypted with KMS key %s", tg.name, info.KMSKeyID), ev)
	})
}
