package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
)

// acctOrgTrail is an organization trail of the management account, as a
// member account sees it.
func acctOrgTrail() inventory.Trail {
	t := trailGood("org-trail")
	t.ARN = "arn:aws:cloudtrail:us-east-1:" + trailMgmtAcct + ":trail/org-trail"
	t.OwnerAccountID = trailMgmtAcct
	t.IsOrganizationTrail = true
	return t
}

func acctMember(inv *inventory.Inventory) {
	inv.Organization = inventory.Ok(inventory.Organization{Member: true, ID: "o-abc123", ManagementAccountID: trailMgmtAcct})
}

func acctRegionDown(inv *inventory.Inventory) {
	inv.RegionErrors = []inventory.RegionError{{Region: "eu-west-1", Error: inventory.CallError{Call: "cloudtrail:DescribeTrails", Code: "AccessDeniedException"}}}
}

func TestAccountTrailLogging(t *testing.T) {
	stopped := trailWithStatus(func(s *inventory.TrailStatus) { s.IsLogging, s.StopLoggingTime = false, trailAgo(time.Hour) })
	trailRunCases(t, []trailCase{
		{rule: "account.trail_logging", name: "own trail logging", inv: trailTestInventory(trailGood("main")), want: findings.Pass, message: "logging trail(s): main"},
		{rule: "account.trail_logging", name: "organization trail logging", inv: trailEditInv(acctMember, acctOrgTrail()), want: findings.Pass, message: "org-trail (organization trail of account " + trailMgmtAcct + ")"},
		{rule: "account.trail_logging", name: "one of two logging", inv: trailTestInventory(stopped, trailGood("second")), want: findings.Pass, message: "second"},
		{rule: "account.trail_logging", name: "stopped", inv: trailTestInventory(stopped), want: findings.Fail, message: "no trail is logging: main (logging stopped at 2026-03-01T11:00:00Z)"},
		{rule: "account.trail_logging", name: "no trail", inv: trailNoTrails(), want: findings.Fail, message: "no CloudTrail trail records account " + trailAcct},
		{rule: "account.trail_logging", name: "no trail found but a region failed", inv: trailEditInv(acctRegionDown), want: findings.Error, message: "eu-west-1 (cloudtrail:DescribeTrails: AccessDeniedException)"},
		{rule: "account.trail_logging", name: "status denied", inv: trailTestInventory(trailWith(func(t *inventory.Trail) { t.Status = trailDenied })), want: findings.Error, message: "cloudtrail:GetTrailStatus failed: AccessDeniedException"},
		{rule: "account.trail_logging", name: "organization trail status elsewhere", inv: trailEditInv(acctMember, func() inventory.Trail {
			t := acctOrgTrail()
			t.Status = trailOtherOwner
			return t
		}()), want: findings.Manual, message: "held by account " + trailMgmtAcct},
		{rule: "account.trail_logging", name: "trail of an unrelated account is ignored", inv: trailTestInventory(func() inventory.Trail {
			t := acctOrgTrail()
			t.IsOrganizationTrail = false
			return t
		}()), want: findings.Fail, message: "no CloudTrail trail records"},
	})
}

func TestAccountMultiRegionTrail(t *testing.T) {
	withSel := func(sel inventory.EventSelectors) inventory.Trail {
		return trailWith(func(t *inventory.Trail) { t.Selectors = inventory.Ok(sel) })
	}
	writesOnly := inventory.EventSelectors{Basic: []inventory.EventSelector{{ReadWriteType: "WriteOnly", IncludeManagementEvents: true}}}
	noRDSData := inventory.EventSelectors{Advanced: []inventory.AdvancedEventSelector{{Name: "mgmt", FieldSelectors: []inventory.FieldSelector{
		trailFS("eventCategory", "Management"), {Field: "eventSource", NotEquals: []string{"rdsdata.amazonaws.com"}}}}}}
	single := trailWith(func(t *inventory.Trail) { t.IsMultiRegion = false })
	trailRunCases(t, []trailCase{
		{rule: "account.multi_region_trail", name: "qualifying trail", inv: trailTestInventory(trailGood("main")), want: findings.Pass, message: "main is multi-region, logging, and records all management events"},
		{rule: "account.multi_region_trail", name: "default selectors", inv: trailTestInventory(withSel(inventory.EventSelectors{})), want: findings.Pass, message: "records all management events"},
		{rule: "account.multi_region_trail", name: "organization trail counts for a member", inv: trailEditInv(acctMember, acctOrgTrail()), want: findings.Pass, message: "organization trail of account " + trailMgmtAcct},
		{rule: "account.multi_region_trail", name: "second trail qualifies", inv: trailTestInventory(single, trailGood("second")), want: findings.Pass, message: "second is multi-region"},
		{rule: "account.multi_region_trail", name: "single-region", inv: trailTestInventory(single), want: findings.Fail, message: "main: single-region"},
		{rule: "account.multi_region_trail", name: "not logging", inv: trailTestInventory(trailWithStatus(func(s *inventory.TrailStatus) { s.IsLogging = false })), want: findings.Fail, message: "main: not logging"},
		{rule: "account.multi_region_trail", name: "writes only", inv: trailTestInventory(withSel(writesOnly)), want: findings.Fail, message: "main: management events writes only (basic selector 1: readOnly Equals false)"},
		{rule: "account.multi_region_trail", name: "excluded source", inv: trailTestInventory(withSel(noRDSData)), want: findings.Fail, message: "rdsdata.amazonaws.com"},
		{rule: "account.multi_region_trail", name: "no trail", inv: trailNoTrails(), want: findings.Fail, message: "no CloudTrail trail records account"},
		{rule: "account.multi_region_trail", name: "selectors denied", inv: trailTestInventory(trailWith(func(t *inventory.Trail) {
			t.Selectors = inventory.Failed[inventory.EventSelectors]("cloudtrail:GetEventSelectors", "AccessDeniedException", "")
		})), want: findings.Error, message: "cloudtrail:GetEventSelectors failed: AccessDeniedException"},
		{rule: "account.multi_region_trail", name: "status denied on a single-region trail does not matter", inv: trailTestInventory(trailWith(func(t *inventory.Trail) {
			t.IsMultiRegion, t.Status = false, trailDenied
		})), want: findings.Fail, message: "single-region"},
		{rule: "account.multi_region_trail", name: "only bad trails but a region failed", inv: trailEditInv(acctRegionDown, single), want: findings.Error, message: "grant cloudtrail:DescribeTrails"},
		{rule: "account.multi_region_trail", name: "organization trail selectors elsewhere", inv: trailEditInv(acctMember, func() inventory.Trail {
			t := acctOrgTrail()
			t.Selectors = inventory.InAccount[inventory.EventSelectors](trailMgmtAcct, "organization trail")
			return t
		}()), want: findings.Manual, message: "check it there"},
	})
}

func TestAccountOrganizationTrail(t *testing.T) {
	trailRunCases(t, []trailCase{
		{rule: "account.organization_trail", name: "not in an organization", inv: trailTestInventory(trailGood("main")), want: findings.NA, message: "not a member"},
		{rule: "account.organization_trail", name: "member with organization trail", inv: trailEditInv(acctMember, acctOrgTrail(), trailGood("main")), want: findings.Pass, message: "org-trail"},
		{rule: "account.organization_trail", name: "member without organization trail", inv: trailEditInv(acctMember, trailGood("main")), want: findings.Fail, message: "account is in organization o-abc123 but no organization trail covers it"},
		{rule: "account.organization_trail", name: "member, no trail, region failed", inv: trailEditInv(func(inv *inventory.Inventory) { acctMember(inv); acctRegionDown(inv) }), want: findings.Error, message: "eu-west-1"},
		{rule: "account.organization_trail", name: "member, organization trail stopped", inv: trailEditInv(acctMember, func() inventory.Trail {
			t := acctOrgTrail()
			t.Status.Value.IsLogging = false
			return t
		}(), trailGood("main")), want: findings.Fail, message: "exist but are not logging"},
		{rule: "account.organization_trail", name: "member, organization trail status held by management account", inv: trailEditInv(acctMember, func() inventory.Trail {
			t := acctOrgTrail()
			t.Status = inventory.InAccount[inventory.TrailStatus](trailMgmtAcct, "organization trail")
			return t
		}(), trailGood("main")), want: findings.Manual, message: trailMgmtAcct},
		{rule: "account.organization_trail", name: "organization unreadable", inv: trailEditInv(func(inv *inventory.Inventory) {
			inv.Organization = inventory.Failed[inventory.Organization]("organizations:DescribeOrganization", "AccessDeniedException", "")
		}, trailGood("main")), want: findings.Error, message: "organizations:DescribeOrganization failed: AccessDeniedException"},
	})
}

func TestAccountFindingsAreAccountLevel(t *testing.T) {
	inv := trailTestInventory(trailGood("main"))
	for _, r := range accountRules() {
		for _, res := range r.Check(inv, DefaultOptions()) {
			if res.Resource != "arn:aws:iam::"+trailAcct+":root" || res.Region != "global" {
				t.Errorf("%s: resource %s region %s, want the account root in region global", r.ID, res.Resource, res.Region)
			}
		}
	}
	inv.Partition = "aws-us-gov"
	if got := acctRootARN(inv); got != "arn:aws-us-gov:iam::"+trailAcct+":root" {
		t.Errorf("root ARN in GovCloud = %s", got)
	}
}

// TestUnlistedRegionsNamed: a failed DescribeRegions is no failure to list
// the one region that was scanned, but of all the others.
func TestUnlistedRegionsNamed(t *testing.T) {
	inv := trailTestInventory()
	inv.RegionErrors = []inventory.RegionError{{Region: "us-east-1", Error: inventory.CallError{Call: "ec2:DescribeRegions", Code: "UnauthorizedOperation"}}}
	r, _ := Lookup(All(), "account.trail_logging")
	res := r.Check(inv, DefaultOptions())
	if len(res) != 1 || res[0].Status != findings.Error ||
		!strings.Contains(res[0].Message, "every region but us-east-1 (ec2:DescribeRegions: UnauthorizedOperation, so only us-east-1 was scanned)") {
		t.Errorf("got %+v", res)
	}
}
