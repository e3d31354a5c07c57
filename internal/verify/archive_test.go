package verify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailseal/trailseal/internal/testenv"
	"github.com/trailseal/trailseal/internal/verify"
	"github.com/trailseal/trailseal/internal/verify/chaingen"
)

const orgTrailAccount = "123456789012" // moto's default account: the management account

// orgSpec is the archive of one account of an organization trail.
func orgSpec(bucket, orgID, account string, first time.Time, hours int, regions ...string) chaingen.Spec {
	s := newSpec(bucket, regions...)
	s.Layout = verify.Layout{OrgID: orgID, AccountID: account, TrailName: "org-audit", HomeRegion: "us-east-1"}
	s.First, s.Hours = first, hours
	s.Seed = uint64(len(account)) + uint64(account[11])
	return s
}

func archiveSpec(t *testing.T, bucket string, start, end, now time.Time) verify.ArchiveSpec {
	t.Helper()
	cfg, err := testenv.Config(context.Background(), moto.Endpoint, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	arn, err := verify.ParseTrailARN("arn:aws:cloudtrail:us-east-1:" + orgTrailAccount + ":trail/org-audit")
	if err != nil {
		t.Fatal(err)
	}
	return verify.ArchiveSpec{
		TargetSpec: verify.TargetSpec{Trail: arn, Bucket: bucket, Regions: []string{"eu-west-1", "us-east-1"}, Start: start, End: end,
			Concurrency: 16, AWS: cfg, Keys: verify.NewKeyCache(context.Background(), allKeys())},
		Now: now, Chains: 3,
	}
}

// TestArchiveOrganization verifies an organization trail's whole archive
// in one run: every account Organizations ListAccounts names (moto's
// organization), each of its regions with that region's own key. Every
// tampered object of every account is named, every account summarised
// (those with problems first), and an account of the organization without
// any folder is DIGEST_NONE in each region that must have digests. The
// same run in three shards, merged, gives the same report.
func TestArchiveOrganization(t *testing.T) {
	ctx := context.Background()
	cfg, err := testenv.Config(ctx, moto.Endpoint, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	orgID, ids, err := testenv.CreateOrganization(ctx, cfg, "alpha", "beta", "gamma")
	if err != nil {
		t.Fatal(err)
	}
	// moto sets every account's JoinedTimestamp to now: the period is the
	// last hours, so that every member was in the organization by its end.
	now := time.Now().UTC()
	first := now.Truncate(time.Hour).Add(-8*time.Hour + 91*time.Second)
	start, end := first.Add(-91*time.Second), now
	bucket := freshBucket(t)
	var archives []*chaingen.Archive
	for _, acct := range []string{orgTrailAccount, ids["alpha"], ids["beta"]} {
		a := generate(t, orgSpec(bucket, orgID, acct, first, 7, "eu-west-1", "us-east-1"))
		archives = append(archives, a)
	}
	beta := archives[2]
	modified := beta.LogKeys("eu-west-1")[4]
	o := beta.Get(modified)
	o.Body = chaingen.Gzip(append(chaingen.Gunzip(o.Body), ' '))
	deleted := beta.DigestKeys("us-east-1")[3]
	beta.Delete(deleted)
	for _, a := range archives {
		upload(t, a)
	}

	spec := archiveSpec(t, bucket, start, end, now)
	r, err := verify.RunArchive(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != verify.OutcomeInvalid || r.Organization != orgID || r.AccountsSource != "organizations:ListAccounts" {
		t.Fatalf("outcome %s, organization %s, accounts from %s", r.Outcome, r.Organization, r.AccountsSource)
	}
	want := map[string]string{
		ids["beta"] + " " + string(verify.LogModified):   modified,
		ids["beta"] + " " + string(verify.DigestMissing): deleted,
	}
	none := 0
	for _, p := range r.Problems {
		if p.Account == ids["gamma"] && len(p.Reasons) == 1 && p.Reasons[0] == verify.DigestNone {
			none++
			continue
		}
		k := p.Account + " " + string(p.Reasons[0])
		if want[k] == "" || !strings.HasSuffix(p.Key, want[k]) {
			t.Errorf("unexpected problem %s %v %s: %s", p.Account, p.Reasons, p.Key, p.Detail)
		}
		delete(want, k)
	}
	if len(want) > 0 || none != 2 {
		t.Errorf("not reported: %v; DIGEST_NONE for the account without folders: %d regions, want 2", want, none)
	}
	if len(r.Accounts) != 4 || r.Accounts[0].Outcome != verify.OutcomeInvalid || r.Accounts[1].Outcome != verify.OutcomeInvalid ||
		r.Accounts[2].Outcome != verify.OutcomeValid || len(r.Chains) != 8 {
		t.Fatalf("accounts %+v, %d chains", r.Accounts, len(r.Chains))
	}
	for _, a := range r.Accounts {
		if a.Account == ids["gamma"] && (a.Note == "" || a.DigestsMissing != 2) {
			t.Errorf("the account without folders: %+v", a)
		}
		if a.Account == ids["alpha"] && (a.DigestsValid != 14 || a.LogsValid != 42) {
			t.Errorf("alpha: %+v", a)
		}
	}
	var text bytes.Buffer
	if err := r.WriteText(&text, false); err != nil {
		t.Fatal(err)
	}
	t.Log(text.String())
	if !strings.Contains(text.String(), "ACCOUNTS (problems first)") || strings.Index(text.String(), "PROBLEMS") > strings.Index(text.String(), "ACCOUNTS") {
		t.Errorf("text report:\n%s", text.String())
	}

	// Three shards, merged: the same report.
	var shards []*verify.ArchiveReport
	var names []string
	for i := range 3 {
		s := spec
		s.Shard = verify.Shard{Index: i, Count: 3}
		sr, err := verify.RunArchive(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		shards = append(shards, roundTrip(t, sr))
		names = append(names, fmt.Sprintf("shard-%d.json", i))
	}
	merged, err := verify.MergeArchiveReports(shards, names)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(roundTrip(t, r), roundTrip(t, merged)); d != "" {
		t.Errorf("merged shards differ from one run (-one +merged):\n%s", d)
	}
	if _, err := verify.MergeArchiveReports(shards[:2], names[:2]); err == nil || !strings.Contains(err.Error(), "shard 2 of 3 (0-based) missing") {
		t.Errorf("merge of two of three shards: %v", err)
	}
	if _, err := verify.MergeArchiveReports([]*verify.ArchiveReport{shards[0], shards[1], shards[1]}, names); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("merge with a shard twice: %v", err)
	}
	other := *shards[2]
	other.End = other.End.Add(time.Hour)
	if _, err := verify.MergeArchiveReports([]*verify.ArchiveReport{shards[0], shards[1], &other}, names); err == nil || !strings.Contains(err.Error(), "covers") {
		t.Errorf("merge of another period: %v", err)
	}
}

// roundTrip is r as a reader of its JSON sees it.
func roundTrip(t *testing.T, r *verify.ArchiveReport) *verify.ArchiveReport {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var out verify.ArchiveReport
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}
