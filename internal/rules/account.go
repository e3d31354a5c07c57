package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/selectors"
)

func checkAccountTrailLogging(inv *inventory.Inventory, _ Options) []Result {
	res := acctRootARN(inv)
	trails := acctTrails(inv)
	var logging, stopped []string
	var gaps []acctGap
	perTrail := map[string]any{}
	for _, t := range trails {
		if !t.Status.Known() {
			gaps = append(gaps, acctGapOf(t, "trail status (GetTrailStatus)", t.Status))
			perTrail[t.ARN] = "unknown: " + t.Status.Problem()
			continue
		}
		st := t.Status.Value
		perTrail[t.ARN] = st.IsLogging
		if st.IsLogging {
			logging = append(logging, acctTrailLabel(inv, t))
		} else {
			stopped = append(stopped, fmt.Sprintf("%s (%s)", t.Name, trailStoppedAt(st)))
		}
	}
	ev := findings.Evidence{"trails": perTrail}
	if len(logging) > 0 {
		return []Result{pass("global", res, "logging trail(s): "+strings.Join(logging, ", "), ev)}
	}
	if r, ok := acctUndecided(inv, gaps, res, "no logging trail found among the trails that could be read"); ok {
		return []Result{r}
	}
	if len(trails) == 0 {
		return []Result{fail("global", res, fmt.Sprintf("no CloudTrail trail records account %s", inv.Account.ID), ev)}
	}
	return []Result{fail("global", res, "no trail is logging: "+strings.Join(stopped, ", "), ev)}
}

func checkAccountMultiRegionTrail(inv *inventory.Inventory, _ Options) []Result {
	res := acctRootARN(inv)
	trails := acctTrails(inv)
	var gaps []acctGap
	var why []string
	perTrail := map[string]any{}
	for _, t := range trails {
		if !t.IsMultiRegion {
			why = append(why, t.Name+": single-region")
			perTrail[t.ARN] = "single-region"
			continue
		}
		if !t.Status.Known() {
			gaps = append(gaps, acctGapOf(t, "trail status (GetTrailStatus)", t.Status))
			perTrail[t.ARN] = "status unknown: " + t.Status.Problem()
			continue
		}
		if !t.Status.Value.IsLogging {
			why = append(why, fmt.Sprintf("%s: not logging (%s)", t.Name, trailStoppedAt(t.Status.Value)))
			perTrail[t.ARN] = "not logging"
			continue
		}
		if !t.Selectors.Known() {
			gaps = append(gaps, acctGapOf(t, "event selectors (GetEventSelectors)", t.Selectors))
			perTrail[t.ARN] = "selectors unknown: " + t.Selectors.Problem()
			continue
		}
		m := selectors.EvaluatePartition(*t.Selectors.Value, acctPartition(inv)).Management
		perTrail[t.ARN] = "management events: " + m.Describe()
		if m.Kind() != selectors.ManagementAll {
			why = append(why, fmt.Sprintf("%s: management events %s", t.Name, m.Describe()))
			continue
		}
		return []Result{pass("global", res, fmt.Sprintf("%s is multi-region, logging, and records all management events (read and write)", acctTrailLabel(inv, t)),
			findings.Evidence{"trails": perTrail})}
	}
	if r, ok := acctUndecided(inv, gaps, res, "no trail read so far is multi-region, logging and recording all management events"); ok {
		return []Result{r}
	}
	ev := findings.Evidence{"trails": perTrail}
	if len(trails) == 0 {
		return []Result{fail("global", res, fmt.Sprintf("no CloudTrail trail records account %s", inv.Account.ID), ev)}
	}
	return []Result{fail("global", res, "no multi-region trail logs all management events: "+strings.Join(why, "; "), ev)}
}

func checkAccountOrganizationTrail(inv *inventory.Inventory, _ Options) []Result {
	res := acctRootARN(inv)
	if r, stop := missing(inv.Organization, "AWS Organizations membership", "global", res); stop {
		return []Result{r}
	}
	org := inv.Organization.Value
	if !org.Member {
		return []Result{notApplicable("global", res, "account is not a member of an AWS Organization")}
	}
	// An organization trail covers the account only while it logs.
	var orgTrails, stopped []string
	var unknown *Result
	for _, t := range acctTrails(inv) {
		if !t.IsOrganizationTrail {
			continue
		}
		label := acctTrailLabel(inv, t)
		if r, stop := missing(t.Status, "status of organization trail "+t.Name, "global", res); stop {
			if unknown == nil {
				unknown = &r
			}
			continue
		}
		if t.Status.Value.IsLogging {
			orgTrails = append(orgTrails, label)
		} else {
			stopped = append(stopped, label)
		}
	}
	ev := findings.Evidence{"organizationId": org.ID, "managementAccountId": org.ManagementAccountID, "organizationTrails": orgTrails}
	if len(stopped) > 0 {
		ev["stoppedOrganizationTrails"] = stopped
	}
	if len(orgTrails) > 0 {
		return []Result{pass("global", res, "logging organization trail(s): "+strings.Join(orgTrails, ", "), ev)}
	}
	if unknown != nil {
		unknown.Evidence = ev
		return []Result{*unknown}
	}
	if len(stopped) > 0 {
		return []Result{fail("global", res, fmt.Sprintf("organization trail(s) %s exist but are not logging, so nothing covers this account", strings.Join(stopped, ", ")), ev)}
	}
	if r, ok := acctUndecided(inv, nil, res, "no organization trail found"); ok {
		return []Result{r}
	}
	return []Result{fail("global", res, fmt.Sprintf("account is in organization %s but no organization trail covers it", org.ID), ev)}
}

// acctTrails returns the trails that record this account: its own, and
// organization trails owned by the management account.
func acctTrails(inv *inventory.Inventory) []inventory.Trail {
	var out []inventory.Trail
	for _, t := range inv.Trails {
		if t.OwnerAccountID == "" || t.OwnerAccountID == inv.Account.ID || t.IsOrganizationTrail {
			out = append(out, t)
		}
	}
	return out
}

func acctPartition(inv *inventory.Inventory) string {
	if inv.Partition != "" {
		return inv.Partition
	}
	return "aws"
}

// acctRootARN is the resource account-level findings are reported on.
func acctRootARN(inv *inventory.Inventory) string {
	return fmt.Sprintf("arn:%s:iam::%s:root", acctPartition(inv), inv.Account.ID)
}

func acctTrailLabel(inv *inventory.Inventory, t inventory.Trail) string {
	if t.OwnerAccountID != "" && t.OwnerAccountID != inv.Account.ID {
		return fmt.Sprintf("%s (organization trail of account %s)", t.Name, t.OwnerAccountID)
	}
	return t.Name
}

// acctGap is a trail whose evidence could not be read, so it may or may not
// be the trail that satisfies an account-level rule.
type acctGap struct {
	trail, what, problem, owner string
	err                         *inventory.CallError
}

func acctGapOf[T any](t inventory.Trail, what string, r inventory.Result[T]) acctGap {
	g := acctGap{trail: t.Name, what: what, problem: r.Problem(), err: r.Error}
	if r.Elsewhere != nil {
		g.owner = r.Elsewhere.OwnerAccountID
		if g.owner == "" {
			g.owner = t.OwnerAccountID
		}
	}
	return g
}

// acctUndecided reports an account-level rule that cannot FAIL because some
// evidence is missing: unreadable trail evidence (ERROR, or MANUAL when all
// of it lives in another account), or regions whose trails could not be
// listed (ERROR). ok is false when nothing is missing.
func acctUndecided(inv *inventory.Inventory, gaps []acctGap, res, soFar string) (Result, bool) {
	if len(gaps) == 0 && len(inv.RegionErrors) == 0 {
		return Result{}, false
	}
	var parts []string
	ev := findings.Evidence{}
	manual := len(inv.RegionErrors) == 0
	var owners []string
	var calls []string
	for _, g := range gaps {
		if g.owner == "" {
			manual = false
			parts = append(parts, fmt.Sprintf("cannot read %s of trail %s: %s", g.what, g.trail, g.problem))
		} else {
			owners = append(owners, g.owner)
			parts = append(parts, fmt.Sprintf("%s of trail %s is held by account %s: check it there", g.what, g.trail, g.owner))
		}
		if g.err != nil {
			calls = append(calls, g.err.Call+": "+g.err.Code)
		}
	}
	if len(inv.RegionErrors) > 0 {
		var regions []string
		for _, re := range inv.RegionErrors {
			regions = append(regions, acctUnlistedRegion(re))
			calls = append(calls, re.Error.Call+": "+re.Error.Code)
		}
		parts = append(parts, "trails could not be listed in "+strings.Join(regions, ", ")+": grant cloudtrail:DescribeTrails there and rescan")
	}
	ev["unreadable"] = calls
	ev["soFar"] = soFar
	msg := soFar + "; " + strings.Join(parts, "; ")
	if manual {
		slices.Sort(owners)
		ev["ownerAccountId"] = strings.Join(slices.Compact(owners), ",")
		return Result{Status: findings.Manual, Region: "global", Resource: res, Message: msg, Evidence: ev}, true
	}
	return Result{Status: findings.Error, Region: "global", Resource: res, Message: msg, Evidence: ev}, true
}

// acctUnlistedRegion names where trails could not be listed. A failed
// ec2:DescribeRegions leaves every region but the configured one unscanned.
func acctUnlistedRegion(re inventory.RegionError) string {
	if re.Error.Call == "ec2:DescribeRegions" {
		return fmt.Sprintf("every region but %s (%s: %s, so only %s was scanned)", re.Region, re.Error.Call, re.Error.Code, re.Region)
	}
	return fmt.Sprintf("%s (%s: %s)", re.Region, re.Error.Call, re.Error.Code)
}
