package orgscan_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/orgscan"
	"github.com/trailseal/trailseal/internal/rules"
	"github.com/trailseal/trailseal/internal/testenv"
)

var testRegions = []string{"us-east-1"}

func findOne(t *testing.T, fs []findings.Finding, rule, account, resourceSuffix string) findings.Finding {
	t.Helper()
	for _, f := range fs {
		if f.RuleID == rule && f.Account == account && strings.HasSuffix(f.Resource, resourceSuffix) {
			return f
		}
	}
	t.Fatalf("no %s finding for account %s on *%s", rule, account, resourceSuffix)
	return findings.Finding{}
}

func TestScanOrganization(t *testing.T) {
	ctx := fresh(t)
	fx := seedOrg(t, ctx)
	state := filepath.Join(t.TempDir(), "state.jsonl")

	var mu sync.Mutex
	var finished []string
	res, err := orgscan.Scan(ctx, scanConfig(t, ctx), orgscan.Options{
		RoleName: "TrailsealAudit", Regions: testRegions, Concurrency: 8, StatePath: state,
		Finished: func(r orgscan.AccountResult) { mu.Lock(); finished = append(finished, r.Account.ID); mu.Unlock() },
	})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if res.Organization.ID != fx.orgID || res.Organization.ManagementAccountID != managementAccount {
		t.Errorf("organization = %s managed by %s, want %s managed by %s", res.Organization.ID, res.Organization.ManagementAccountID, fx.orgID, managementAccount)
	}
	if len(res.Accounts) != 4 || len(finished) != 4 || len(res.Pending) != 0 {
		t.Fatalf("finished %d accounts (%d callbacks), %d pending; want 4, 4, 0", len(res.Accounts), len(finished), len(res.Pending))
	}
	for _, r := range res.Accounts {
		switch r.Account.ID {
		case fx.blocked:
			if r.AccessError == nil || r.AccessError.Code != "AccessDenied" || r.AccessError.Call != "sts:AssumeRole" || r.Inventory != nil {
				t.Errorf("blocked account: error %+v, inventory %v; want sts:AssumeRole AccessDenied and no inventory", r.AccessError, r.Inventory != nil)
			}
		default:
			if r.AccessError != nil || r.Inventory == nil {
				t.Fatalf("account %s (%s): error %+v", r.Account.ID, r.Account.Name, r.AccessError)
			}
			if r.Inventory.Account.ID != r.Account.ID || r.Inventory.Account.Name != r.Account.Name {
				t.Errorf("inventory of %s says account %s (%s)", r.Account.ID, r.Inventory.Account.ID, r.Inventory.Account.Name)
			}
		}
	}

	fs := orgscan.Evaluate(res, rules.All(), rules.DefaultOptions(), true)

	denied := findOne(t, fs, orgscan.RuleAccountAccess, fx.blocked, "role/TrailsealAudit")
	if denied.Status != findings.Error || !strings.Contains(denied.Message, fx.blocked) || !strings.Contains(denied.Message, "AccessDenied") || denied.AccountName != "blocked" {
		t.Errorf("access finding = %s %q (name %q); want ERROR naming the account and AccessDenied", denied.Status, denied.Message, denied.AccountName)
	}
	if f := findOne(t, fs, orgscan.RuleTrailCoverage, managementAccount, fx.orgID); f.Status != findings.Pass {
		t.Errorf("%s = %s: %s", f.RuleID, f.Status, f.Message)
	}
	la := findOne(t, fs, orgscan.RuleLogArchive, managementAccount, fx.orgID)
	if la.Status != findings.Pass || la.Evidence["logArchiveAccount"] != fx.archive {
		t.Errorf("%s = %s (archive %v): %s", la.RuleID, la.Status, la.Evidence["logArchiveAccount"], la.Message)
	}

	// The management account cannot read the archive bucket itself: alone
	// its bucket rules are MANUAL; in the organization scan they use the
	// log archive account's evidence and belong to that account.
	var mgmtInv *orgscan.AccountResult
	for i := range res.Accounts {
		if res.Accounts[i].Account.ID == managementAccount {
			mgmtInv = &res.Accounts[i]
		}
	}
	alone := findOne(t, rules.Evaluate(mgmtInv.Inventory, rules.All(), rules.DefaultOptions()), "bucket.versioning", managementAccount, archiveBucket)
	if alone.Status != findings.Manual {
		t.Fatalf("single-account view of the archive bucket = %s, want MANUAL (fixture broken?)", alone.Status)
	}
	merged := findOne(t, fs, "bucket.versioning", fx.archive, archiveBucket)
	if merged.Status != findings.Fail || merged.AccountName != "log-archive" {
		t.Errorf("bucket.versioning on the archive bucket = %s (%s): %s; want FAIL from the log archive account's evidence", merged.Status, merged.AccountName, merged.Message)
	}
	for _, f := range fs {
		if f.Status == findings.Manual && strings.HasSuffix(f.Resource, archiveBucket) {
			t.Errorf("%s on the archive bucket is still MANUAL: %s", f.RuleID, f.Message)
		}
		if f.AccountName == "" && f.Account != "" {
			t.Errorf("%s finding for account %s has no account name", f.RuleID, f.Account)
		}
	}
	ids := map[string]bool{}
	for _, f := range fs {
		if ids[f.ID] {
			t.Errorf("finding %s (%s, %s) reported twice", f.ID, f.RuleID, f.Resource)
		}
		ids[f.ID] = true
	}

	// A second run with the same state file redoes nothing.
	proxy.Clear()
	proxy.Intercept(testenv.DenyAssumeRole(fx.blocked))
	var total, resumed int
	res2, err := orgscan.Scan(ctx, scanConfig(t, ctx), orgscan.Options{
		RoleName: "TrailsealAudit", Regions: testRegions, StatePath: state,
		Started: func(n, r int) { total, resumed = n, r },
	})
	if err != nil {
		t.Fatalf("resumed Scan: %v", err)
	}
	if total != 4 || resumed != 4 || len(res2.Accounts) != 4 {
		t.Errorf("resume: %d of %d resumed, %d results; want 4 of 4", resumed, total, len(res2.Accounts))
	}
	for _, rq := range proxy.Requests() {
		if rq.Service != "sts" && rq.Service != "organizations" {
			t.Errorf("resumed scan called %s %s %s", rq.Service, rq.Target, rq.Path)
		}
	}
	fs2 := orgscan.Evaluate(res2, rules.All(), rules.DefaultOptions(), true)
	if len(fs2) != len(fs) {
		t.Errorf("resumed evaluation gives %d findings, first run %d", len(fs2), len(fs))
	}
}

func TestScanInterruptedKeepsFinishedAccounts(t *testing.T) {
	ctx := fresh(t)
	fx := seedOrg(t, ctx)
	state := filepath.Join(t.TempDir(), "state.jsonl")

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	res, err := orgscan.Scan(runCtx, scanConfig(t, ctx), orgscan.Options{
		RoleName: "TrailsealAudit", Regions: testRegions, StatePath: state, AccountWorkers: 1,
		// Ctrl-C right after the first account finishes.
		Finished: func(orgscan.AccountResult) { cancel() },
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted Scan returned %v, want context.Canceled", err)
	}
	if len(res.Accounts) != 1 || len(res.Pending) != 3 {
		t.Fatalf("interrupted: %d finished, %d pending; want 1 and 3", len(res.Accounts), len(res.Pending))
	}
	first := res.Accounts[0].Account.ID
	data, err := os.ReadFile(state)
	if err != nil || strings.Count(string(data), "\n") != 2 {
		t.Fatalf("state file after interruption: %d lines (%v), want header and one account", strings.Count(string(data), "\n"), err)
	}

	var resumed int
	res2, err := orgscan.Scan(ctx, scanConfig(t, ctx), orgscan.Options{
		RoleName: "TrailsealAudit", Regions: testRegions, StatePath: state,
		Started: func(_, r int) { resumed = r },
	})
	if err != nil {
		t.Fatalf("resumed Scan: %v", err)
	}
	if resumed != 1 || len(res2.Accounts) != 4 || len(res2.Pending) != 0 {
		t.Errorf("resume: %d resumed, %d finished, %d pending; want 1, 4, 0", resumed, len(res2.Accounts), len(res2.Pending))
	}
	for _, r := range res2.Accounts {
		if r.Account.ID == first && !r.Resumed {
			t.Errorf("account %s finished before the interruption was scanned again", first)
		}
		if r.Account.ID != first && r.Resumed {
			t.Errorf("account %s was never finished but came from the state file", r.Account.ID)
		}
	}
	_ = fx
}

func TestScanAccountFilters(t *testing.T) {
	ctx := fresh(t)
	fx := seedOrg(t, ctx)
	res, err := orgscan.Scan(ctx, scanConfig(t, ctx), orgscan.Options{
		RoleName: "TrailsealAudit", Regions: testRegions,
		Accounts: []string{fx.member, fx.blocked, "999999999999"},
		Exclude:  []string{fx.blocked},
	})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if len(res.Accounts) != 1 || res.Accounts[0].Account.ID != fx.member {
		t.Errorf("scanned %v, want only %s", res.Accounts, fx.member)
	}
	if len(res.Unknown) != 1 || res.Unknown[0] != "999999999999" {
		t.Errorf("unknown = %v, want [999999999999]", res.Unknown)
	}
	fs := orgscan.Evaluate(res, rules.All(), rules.DefaultOptions(), false)
	f := findOne(t, fs, orgscan.RuleAccountAccess, "999999999999", "999999999999:root")
	if f.Status != findings.Error {
		t.Errorf("unknown requested account: %s %q, want ERROR", f.Status, f.Message)
	}
	for _, f := range fs {
		if f.RuleID == orgscan.RuleTrailCoverage || f.RuleID == orgscan.RuleLogArchive {
			t.Errorf("org rule %s evaluated although orgRules is false", f.RuleID)
		}
	}
}

// verdicts reduces findings to what must not change between runs.
func verdicts(fs []findings.Finding) map[string]findings.Status {
	out := map[string]findings.Status{}
	for _, f := range fs {
		out[f.ID] = f.Status
	}
	return out
}

func TestScanAdaptsToThrottling(t *testing.T) {
	ctx := fresh(t)
	fx := seedOrg(t, ctx)
	opts := orgscan.Options{RoleName: "TrailsealAudit", Regions: testRegions, Concurrency: 8}
	calm, err := orgscan.Scan(ctx, scanConfig(t, ctx), opts)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if calm.Throttles != 0 {
		t.Fatalf("limiter counted %d throttles without any", calm.Throttles)
	}

	throttle, throttled := testenv.Throttle(0.3)
	proxy.Intercept(testenv.Chain(testenv.DenyAssumeRole(fx.blocked), throttle))
	stormy, err := orgscan.Scan(ctx, scanConfig(t, ctx), opts)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if throttled.Load() == 0 || stormy.Throttles != throttled.Load() {
		t.Fatalf("proxy throttled %d requests, limiter saw %d", throttled.Load(), stormy.Throttles)
	}
	want := verdicts(orgscan.Evaluate(calm, rules.All(), rules.DefaultOptions(), true))
	got := verdicts(orgscan.Evaluate(stormy, rules.All(), rules.DefaultOptions(), true))
	if len(got) != len(want) {
		t.Errorf("%d findings under throttling, %d without", len(got), len(want))
	}
	for id, st := range want {
		if got[id] != st {
			t.Errorf("finding %s is %s under throttling, %s without", id, got[id], st)
		}
	}
}

// TestScanResumeRetriesTransientFailures: an account whose role could not
// be assumed because STS throttled every attempt (simulated by the proxy)
// is reported as an error in that run, but not written to the resume
// state, so --resume scans it; an AccessDenied account stays resumed.
func TestScanResumeRetriesTransientFailures(t *testing.T) {
	ctx := fresh(t)
	fx := seedOrg(t, ctx)
	state := filepath.Join(t.TempDir(), "state.jsonl")
	throttleMember := func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		form, err := url.ParseQuery(string(body))
		if err != nil || form.Get("Action") != "AssumeRole" || !strings.Contains(form.Get("RoleArn"), ":"+fx.member+":") {
			return false
		}
		testenv.QueryError(w, http.StatusBadRequest, "Throttling", "Rate exceeded")
		return true
	}
	proxy.Intercept(testenv.Chain(testenv.DenyAssumeRole(fx.blocked), throttleMember))
	opts := orgscan.Options{RoleName: "TrailsealAudit", Regions: testRegions, StatePath: state}
	res, err := orgscan.Scan(ctx, scanConfig(t, ctx), opts)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	for _, r := range res.Accounts {
		if r.Account.ID == fx.member && (r.AccessError == nil || r.AccessError.Code != "Throttling") {
			t.Fatalf("throttled account: error %+v, want sts:AssumeRole Throttling", r.AccessError)
		}
	}

	proxy.Clear()
	proxy.Intercept(testenv.DenyAssumeRole(fx.blocked))
	var resumed int
	opts.Started = func(_, r int) { resumed = r }
	res2, err := orgscan.Scan(ctx, scanConfig(t, ctx), opts)
	if err != nil {
		t.Fatalf("resumed Scan: %v", err)
	}
	if resumed != 3 {
		t.Errorf("resumed %d accounts, want 3 (the throttled one scanned again)", resumed)
	}
	for _, r := range res2.Accounts {
		switch r.Account.ID {
		case fx.member:
			if r.Resumed || r.AccessError != nil || r.Inventory == nil {
				t.Errorf("throttled account on resume: resumed=%v error %+v", r.Resumed, r.AccessError)
			}
		case fx.blocked:
			if !r.Resumed || r.AccessError == nil || r.AccessError.Code != "AccessDenied" {
				t.Errorf("denied account on resume: resumed=%v error %+v; want it read back from the state", r.Resumed, r.AccessError)
			}
		}
	}
}
