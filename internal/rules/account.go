package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/selectors"
)

// accountRules are the rules that judge the account as a whole: does any
// trail record its activity, everywhere, centrally.
func accountRules() []Rule {
	return []Rule{
		accountTrailLoggingRule(),
		accountMultiRegionTrailRule(),
		accountOrganizationTrailRule(),
	}
}

func accountTrailLoggingRule() Rule {
	return Rule{
		ID:       "account.trail_logging",
		Severity: findings.High,
		Title:    "At least one CloudTrail trail is logging for the account",
		Scope:    "account",
		Rationale: "Without a logging trail, API activity is kept only for 90 days in Event history and is never " +
			"delivered to storage you control, so incidents older than that, or data events, cannot be investigated.",
		Audit: "trailseal lists every trail that records this account (its own trails and organization trails " +
			"owned by the management account) and reads GetTrailStatus.IsLogging for each in its home region. " +
			"By hand: `aws cloudtrail describe-trails --include-shadow-trails` then " +
			"`aws cloudtrail get-trail-status --name <trail ARN> --region <home region>` and check IsLogging.",
		Remediation: Remediation{
			Console: "CloudTrail console > Trails > Create trail (or open a stopped trail and choose Start logging).",
			CLI: "aws cloudtrail create-trail --name management-events --s3-bucket-name <bucket> --is-multi-region-trail --enable-log-file-validation\n" +
				"aws cloudtrail start-logging --name management-events",
			Terraform: `resource "aws_cloudtrail" "main" {
  name                          = "management-events"
  s3_bucket_name                = aws_s3_bucket.trail.id
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  enable_logging                = true
}`,
		},
		References: []string{
			"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-create-and-update-a-trail.html",
			"https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetTrailStatus.html",
			"https://docs.aws.amazon.com/securityhub/latest/userguide/cloudtrail-controls.html#cloudtrail-3",
		},
		Frameworks: []Framework{{Framework: "fsbp", Control: "CloudTrail.3"}},
		Check:      checkAccountTrailLogging,
	}
}

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

func accountMultiRegionTrailRule() Rule {
	return Rule{
		ID:       "account.multi_region_trail",
		Severity: findings.High,
		Title:    "A multi-region trail is logging all management events, read and write",
		Scope:    "account",
		Rationale: "Attackers use the regions nobody watches. Only a multi-region trail that records every " +
			"management event, reads as well as writes, from every event source gives a complete record of " +
			"control-plane activity, including in regions enabled later.",
		Audit: "trailseal looks for one trail recording this account (an organization trail of the management " +
			"account counts) that has IsMultiRegionTrail, is logging (GetTrailStatus), and whose event selectors " +
			"cover all management events for reads and writes with no excluded event source. By hand: " +
			"`aws cloudtrail describe-trails`, then for a multi-region trail `aws cloudtrail get-trail-status --name <arn>` " +
			"and `aws cloudtrail get-event-selectors --trail-name <arn>`: basic selectors need IncludeManagementEvents " +
			"true, ReadWriteType All and no ExcludeManagementEventSources; advanced selectors need a selector with " +
			"eventCategory Management and no other field condition.",
		Remediation: Remediation{
			Console: "CloudTrail console > Trails > choose the trail > General details > Edit > Multi-region trail: enabled; " +
				"then Management events > Edit > API activity: Read and Write, and clear any excluded event sources.",
			CLI: "aws cloudtrail update-trail --name <trail> --is-multi-region-trail --include-global-service-events\n" +
				"aws cloudtrail put-event-selectors --trail-name <trail> --event-selectors '[{\"ReadWriteType\":\"All\",\"IncludeManagementEvents\":true}]'\n" +
				"aws cloudtrail start-logging --name <trail>",
			Terraform: `resource "aws_cloudtrail" "main" {
  name                          = "management-events"
  s3_bucket_name                = aws_s3_bucket.trail.id
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_logging                = true

  event_selector {
    read_write_type           = "All"
    include_management_events = true
  }
}`,
		},
		References: []string{
			"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/receive-cloudtrail-log-files-from-multiple-regions.html",
			"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html",
			"https://docs.aws.amazon.com/securityhub/latest/userguide/cloudtrail-controls.html#cloudtrail-1",
		},
		Frameworks: []Framework{
			{Framework: "cis-1.4", Control: "3.1"},
			{Framework: "cis-3.0", Control: "3.1"},
			{Framework: "cis-4.0", Control: "3.1"},
			{Framework: "cis-5.0", Control: "3.1"},
			{Framework: "fsbp", Control: "CloudTrail.1"},
		},
		Check: checkAccountMultiRegionTrail,
	}
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

func accountOrganizationTrailRule() Rule {
	return Rule{
		ID:       "account.organization_trail",
		Severity: findings.Medium,
		Title:    "An organization trail covers this member of an AWS Organization",
		Scope:    "account",
		Rationale: "An organization trail created in the management account records every member account into one " +
			"bucket, ideally in a dedicated log archive account, which member account administrators cannot " +
			"stop, modify or delete.",
		Audit: "trailseal reads organizations:DescribeOrganization; for a member it looks for a trail with " +
			"IsOrganizationTrail among the trails visible to the account. By hand: " +
			"`aws organizations describe-organization` and " +
			"`aws cloudtrail describe-trails --query 'trailList[?IsOrganizationTrail]'`.",
		Remediation: Remediation{
			Console: "In the management account (or a delegated administrator): CloudTrail console > Trails > Create trail > " +
				"select 'Enable for all accounts in my organization'.",
			CLI: "aws organizations enable-aws-service-access --service-principal cloudtrail.amazonaws.com\n" +
				"aws cloudtrail create-trail --name org-trail --s3-bucket-name <log archive bucket> --is-organization-trail --is-multi-region-trail --enable-log-file-validation\n" +
				"aws cloudtrail start-logging --name org-trail",
			Terraform: `resource "aws_cloudtrail" "org" {
  name                       = "org-trail"
  s3_bucket_name             = "<log archive bucket>"
  is_organization_trail      = true
  is_multi_region_trail      = true
  enable_log_file_validation = true
}`,
		},
		References: []string{
			"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/creating-trail-organization.html",
			"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/best-practices-security.html",
		},
		Check: checkAccountOrganizationTrail,
	}
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
