package orgscan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/rules"
)

// Organization-level rule IDs. They judge the organization as a whole and
// exist only in organization scans; catalog.Organization describes them.
const (
	RuleAccountAccess = "org.account_access"
	RuleTrailCoverage = "org.trail_coverage"
	RuleLogArchive    = "org.log_archive"
)

// orgChecks judge the organization from every account's inventory at once
// (an orgContext holds them). RuleAccountAccess has no entry: its ERROR
// findings (accessFindings) are missing evidence, reported in every
// organization scan.
var orgChecks = []struct {
	id    string
	check func(orgContext) findings.Finding
}{
	{RuleTrailCoverage, checkTrailCoverage},
	{RuleLogArchive, checkLogArchive},
}

// orgContext is what the organization-level rules read.
type orgContext struct {
	res        *Result
	idx        ownerIndex
	logArchive string // configured log archive account, "" if none
}

func (c orgContext) resource() string {
	org := c.res.Organization
	return fmt.Sprintf("arn:%s:organizations::%s:organization/%s", org.Partition, org.ManagementAccountID, org.ID)
}

func (c orgContext) finding(rule string, status findings.Status, msg string, ev findings.Evidence) findings.Finding {
	sev := findings.Medium
	if r, ok := catalog.Lookup(catalog.Organization(), rule); ok {
		sev = r.Severity
	}
	f := findings.Finding{
		RuleID:   rule,
		Status:   status,
		Severity: sev,
		Account:  c.res.Organization.ManagementAccountID,
		Region:   "global",
		Resource: c.resource(),
		Message:  msg,
		Evidence: ev,
	}
	f.ID = findings.StableID(f.RuleID, f.Account, f.Region, f.Resource)
	return f
}

// accessFindings gives every account that could not be scanned, and every
// requested ID that is not an ACTIVE member, its ERROR finding.
func accessFindings(res *Result) []findings.Finding {
	var out []findings.Finding
	for _, r := range res.Accounts {
		if r.AccessError == nil {
			continue
		}
		resource := r.RoleARN
		if resource == "" {
			resource = fmt.Sprintf("arn:%s:iam::%s:root", res.Organization.Partition, r.Account.ID)
		}
		what := "cannot scan account " + accountLabel(r.Account)
		if r.RoleARN != "" {
			what = fmt.Sprintf("cannot assume %s in account %s", r.RoleARN, accountLabel(r.Account))
		}
		f := findings.Finding{
			RuleID:      RuleAccountAccess,
			Status:      findings.Error,
			Severity:    findings.High,
			Account:     r.Account.ID,
			AccountName: r.Account.Name,
			Region:      "global",
			Resource:    resource,
			Message:     fmt.Sprintf("%s: %s; deploy the role there and let the scanning account assume it", what, r.AccessError.Error()),
			Evidence:    findings.Evidence{"call": r.AccessError.Call, "errorCode": r.AccessError.Code},
		}
		f.ID = findings.StableID(f.RuleID, f.Account, f.Region, f.Resource)
		out = append(out, f)
	}
	for _, id := range res.Unknown {
		f := findings.Finding{
			RuleID:   RuleAccountAccess,
			Status:   findings.Error,
			Severity: findings.High,
			Account:  id,
			Region:   "global",
			Resource: fmt.Sprintf("arn:%s:iam::%s:root", res.Organization.Partition, id),
			Message: fmt.Sprintf("account %s was requested with --accounts but is not an ACTIVE account of organization %s: check the ID",
				id, res.Organization.ID),
			Evidence: findings.Evidence{"call": "organizations:ListAccounts"},
		}
		f.ID = findings.StableID(f.RuleID, f.Account, f.Region, f.Resource)
		out = append(out, f)
	}
	return out
}

// orgTrail is an organization trail with the inventory it was read from.
type orgTrail struct {
	trail  inventory.Trail
	reader string
}

// orgTrails returns the organization trails seen by any scanned account,
// once per ARN, preferring the copy read by the trail's owner (the only one
// whose status is authoritative).
func (c orgContext) orgTrails() []orgTrail {
	byARN := map[string]orgTrail{}
	var order []string
	for _, r := range c.res.Accounts {
		if r.Inventory == nil {
			continue
		}
		for _, t := range r.Inventory.Trails {
			if !t.IsOrganizationTrail {
				continue
			}
			prev, seen := byARN[t.ARN]
			if !seen {
				order = append(order, t.ARN)
			}
			if !seen || (prev.reader != t.OwnerAccountID && r.Account.ID == t.OwnerAccountID) {
				byARN[t.ARN] = orgTrail{trail: t, reader: r.Account.ID}
			}
		}
	}
	out := make([]orgTrail, 0, len(order))
	for _, arn := range order {
		out = append(out, byARN[arn])
	}
	return out
}

// scanned reports whether account was scanned successfully.
func (c orgContext) scanned(account string) bool {
	for _, r := range c.res.Accounts {
		if r.Account.ID == account {
			return r.Inventory != nil
		}
	}
	return false
}

func checkTrailCoverage(c orgContext) findings.Finding {
	mgmt := c.res.Organization.ManagementAccountID
	var why []string
	var unknown []string
	perTrail := map[string]any{}
	for _, ot := range c.orgTrails() {
		t := ot.trail
		switch {
		case !t.IsMultiRegion:
			why = append(why, t.Name+": single-region")
			perTrail[t.ARN] = "single-region"
		case !t.Status.Known():
			unknown = append(unknown, fmt.Sprintf("%s: %s", t.Name, t.Status.Problem()))
			perTrail[t.ARN] = "status unknown: " + t.Status.Problem()
		case !t.Status.Value.IsLogging:
			why = append(why, t.Name+": not logging")
			perTrail[t.ARN] = "not logging"
		default:
			perTrail[t.ARN] = "multi-region, logging"
			return c.finding(RuleTrailCoverage, findings.Pass,
				fmt.Sprintf("organization trail %s (read in account %s) is multi-region and logging: it records every account of %s in every region",
					t.Name, ot.reader, c.res.Organization.ID),
				findings.Evidence{"trails": perTrail, "bucket": t.S3BucketName})
		}
	}
	ev := findings.Evidence{"trails": perTrail}
	if len(unknown) > 0 {
		return c.finding(RuleTrailCoverage, findings.Error,
			"cannot tell whether an organization trail is logging: "+strings.Join(unknown, "; "), ev)
	}
	if len(why) > 0 {
		return c.finding(RuleTrailCoverage, findings.Fail,
			"no organization trail is both multi-region and logging: "+strings.Join(why, "; "), ev)
	}
	if !c.scanned(mgmt) {
		return c.finding(RuleTrailCoverage, findings.Error,
			fmt.Sprintf("no organization trail seen, and the management account %s was not scanned, so none can be ruled out: scan it too", mgmt), ev)
	}
	return c.finding(RuleTrailCoverage, findings.Fail,
		fmt.Sprintf("organization %s has no organization trail: accounts are recorded only by their own trails, if any", c.res.Organization.ID), ev)
}

func checkLogArchive(c orgContext) findings.Finding {
	archive := c.logArchive
	source := "configured log archive account"
	var orgBucketsUnknown []string
	if archive == "" {
		// Without a configured archive, the account that holds a logging
		// organization trail's bucket is the archive.
		for _, ot := range c.orgTrails() {
			t := ot.trail
			if t.Status.Value == nil || !t.Status.Value.IsLogging || t.S3BucketName == "" {
				continue
			}
			if owner := c.idx.bucketOwner(t.S3BucketName); owner != "" {
				archive, source = owner, "owner of organization trail bucket "+t.S3BucketName
				break
			}
			orgBucketsUnknown = append(orgBucketsUnknown, t.S3BucketName)
		}
	}
	ev := findings.Evidence{}
	if archive == "" {
		if len(orgBucketsUnknown) > 0 {
			ev["buckets"] = orgBucketsUnknown
			return c.finding(RuleLogArchive, findings.Manual,
				fmt.Sprintf("the organization trail writes to %s, whose owner was not among the scanned accounts: give --log-archive-account, or scan the bucket's account", strings.Join(orgBucketsUnknown, ", ")), ev)
		}
		return c.finding(RuleLogArchive, findings.Fail,
			"no log archive account: no logging organization trail writes to a bucket of a scanned account, and none is configured (--log-archive-account)", ev)
	}
	ev["logArchiveAccount"] = archive
	ev["source"] = source

	// A logging organization trail into the archive covers everyone.
	for _, ot := range c.orgTrails() {
		t := ot.trail
		if t.Status.Value != nil && t.Status.Value.IsLogging && c.bucketOwnedBy(t.S3BucketName, archive) {
			ev["trail"] = t.ARN
			return c.finding(RuleLogArchive, findings.Pass,
				fmt.Sprintf("organization trail %s delivers every account's logs to %s in log archive account %s", t.Name, t.S3BucketName, archive), ev)
		}
	}
	var missingAccts, unscanned []string
	for _, r := range c.res.Accounts {
		if r.Inventory == nil {
			unscanned = append(unscanned, r.Account.ID)
			continue
		}
		if !c.landsIn(r.Inventory, archive) {
			missingAccts = append(missingAccts, accountLabel(r.Account))
		}
	}
	if len(missingAccts) > 0 {
		ev["accounts"] = missingAccts
		return c.finding(RuleLogArchive, findings.Fail,
			fmt.Sprintf("%d account(s) have no logging trail delivering to a bucket of log archive account %s: %s",
				len(missingAccts), archive, strings.Join(missingAccts, ", ")), ev)
	}
	if len(unscanned) > 0 {
		ev["unscannedAccounts"] = unscanned
		return c.finding(RuleLogArchive, findings.Error,
			fmt.Sprintf("every scanned account delivers to log archive account %s, but %d account(s) could not be scanned: %s",
				archive, len(unscanned), strings.Join(unscanned, ", ")), ev)
	}
	return c.finding(RuleLogArchive, findings.Pass,
		fmt.Sprintf("every scanned account has a logging trail delivering to a bucket of log archive account %s", archive), ev)
}

// landsIn reports whether a logging trail recording inv's account delivers
// to a bucket owned by archive.
func (c orgContext) landsIn(inv *inventory.Inventory, archive string) bool {
	for _, t := range inv.Trails {
		own := t.OwnerAccountID == "" || t.OwnerAccountID == inv.Account.ID
		if !own && !t.IsOrganizationTrail {
			continue
		}
		if t.Status.Value == nil || !t.Status.Value.IsLogging {
			continue
		}
		if c.bucketOwnedBy(t.S3BucketName, archive) {
			return true
		}
	}
	return false
}

func (c orgContext) bucketOwnedBy(name, archive string) bool {
	return name != "" && c.idx.bucketOwner(name) == archive
}

func accountLabel(a Account) string {
	if a.Name == "" {
		return a.ID
	}
	return fmt.Sprintf("%s (%s)", a.ID, a.Name)
}

// Evaluate runs ruleset over every scanned account, with the evidence of
// resources owned by other scanned accounts merged in, and adds the
// organization-level findings (org rules only when orgRules is true;
// account access errors always, since they are missing evidence). Findings
// carry the account name; a finding that several accounts' views produce
// (a shared bucket's) is kept once, preferring the owner's own view.
func Evaluate(res *Result, ruleset []rules.Rule, opts rules.Options, orgRules bool) []findings.Finding {
	names := map[string]string{}
	for _, a := range res.Organization.Accounts {
		names[a.ID] = a.Name
	}
	var invs []*inventory.Inventory
	for _, r := range res.Accounts {
		if r.Inventory != nil {
			invs = append(invs, r.Inventory)
		}
	}
	idx := indexOwners(invs)

	type kept struct {
		f     findings.Finding
		owner bool
	}
	byID := map[string]int{}
	var all []kept
	for _, inv := range invs {
		for _, f := range rules.Evaluate(withOwnerEvidence(inv, idx), ruleset, opts) {
			f.AccountName = names[f.Account]
			own := f.Account == inv.Account.ID
			if i, dup := byID[f.ID]; dup {
				if own && !all[i].owner {
					all[i] = kept{f, own}
				}
				continue
			}
			byID[f.ID] = len(all)
			all = append(all, kept{f, own})
		}
	}
	out := make([]findings.Finding, 0, len(all)+8)
	for _, k := range all {
		out = append(out, k.f)
	}
	out = append(out, accessFindings(res)...)
	if orgRules {
		c := orgContext{res: res, idx: idx, logArchive: opts.LogArchiveAccount}
		for _, oc := range orgChecks {
			f := oc.check(c)
			f.AccountName = names[f.Account]
			out = append(out, f)
		}
	}
	rules.SortFindings(out)
	return out
}

// AccountSummary is one line of the per-account summary.
type AccountSummary struct {
	Account Account
	Scanned bool
	// Problem is why the account was not scanned.
	Problem string
	Counts  map[findings.Status]int
}

// Summarize counts findings per account, in account order, including
// accounts that were not scanned.
func Summarize(res *Result, fs []findings.Finding) []AccountSummary {
	idx := map[string]int{}
	var out []AccountSummary
	for _, r := range res.Accounts {
		s := AccountSummary{Account: r.Account, Scanned: r.Inventory != nil, Counts: map[findings.Status]int{}}
		if r.AccessError != nil {
			s.Problem = r.AccessError.Call + ": " + r.AccessError.Code
		}
		idx[r.Account.ID] = len(out)
		out = append(out, s)
	}
	for _, f := range fs {
		if i, ok := idx[f.Account]; ok && f.Suppressed == nil {
			out[i].Counts[f.Status]++
		}
	}
	slices.SortStableFunc(out, func(a, b AccountSummary) int { return strings.Compare(a.Account.ID, b.Account.ID) })
	return out
}
