package store

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/trailseal/trailseal/internal/demo"
	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/rules"
)

// sampleRecord is a run of the built-in sample account: its real snapshot
// and the findings the rule catalog gives it. mark is written into every
// finding's message and the account name, so that a test can tell runs
// apart.
func sampleRecord(t testing.TB, mark string, at time.Time) *Record {
	t.Helper()
	rec, err := newSampleRecord(mark, at)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// newSampleRecord is sampleRecord for the helper process, which has no
// testing.T.
func newSampleRecord(mark string, at time.Time) (*Record, error) {
	inv, err := demo.Snapshot()
	if err != nil {
		return nil, err
	}
	inv.Account.Name = mark
	fs := rules.Evaluate(inv, rules.All(), rules.DefaultOptions())
	for i := range fs {
		fs[i].Message = mark + ": " + fs[i].Message
	}
	fs[0].Suppressed = &findings.Suppression{Reason: "accepted for " + mark, Expires: "2099-01-01"}
	return &Record{
		StartedAt:      at,
		FinishedAt:     at.Add(1500 * time.Millisecond),
		Source:         "snapshot:sample.json",
		ToolVersion:    "test",
		CatalogVersion: "c1",
		ExitCode:       3,
		Regions:        inv.Regions,
		Accounts:       []Account{{ID: inv.Account.ID, Name: mark, Inventory: inv}},
		Findings:       fs,
	}, nil
}

// orgRecord covers two accounts, one of which could not be scanned.
func orgRecord(t testing.TB, at time.Time) *Record {
	rec := sampleRecord(t, "org", at)
	rec.Source = "aws-org:o-example"
	rec.Accounts = append(rec.Accounts, Account{ID: "444455556666", Name: "denied"})
	rec.Findings = append(rec.Findings, findings.Finding{
		ID: "ts-denied", RuleID: "org.account_access", Status: findings.Error, Severity: findings.High,
		Account: "444455556666", Region: "global", Resource: "arn:aws:iam::444455556666:role/Audit",
		Message: "cannot scan account denied: AccessDenied",
	})
	return rec
}

func mustSave(t testing.TB, s *Store, rec *Record) int64 {
	t.Helper()
	id, err := s.Save(context.Background(), rec)
	if err != nil {
		t.Fatalf("save: %v", err)
	}
	return id
}

// checkIntegrity asserts that every stored run is whole: as many finding
// rows and account rows as its summary says, and every snapshot readable.
// A half-written run fails it.
func checkIntegrity(t testing.TB, s *Store) []Run {
	t.Helper()
	ctx := context.Background()
	runs, err := s.Runs(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		var nFindings, nAccounts, wantAccounts int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM trailseal_findings WHERE run_id = $1`, r.ID).Scan(&nFindings); err != nil {
			t.Fatal(err)
		}
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM trailseal_run_accounts WHERE run_id = $1`, r.ID).Scan(&nAccounts); err != nil {
			t.Fatal(err)
		}
		if err := s.db.QueryRowContext(ctx, `SELECT account_count FROM trailseal_runs WHERE id = $1`, r.ID).Scan(&wantAccounts); err != nil {
			t.Fatal(err)
		}
		if nFindings != r.Findings || nAccounts != wantAccounts {
			t.Errorf("run %d is partial: %d of %d findings, %d of %d accounts", r.ID, nFindings, r.Findings, nAccounts, wantAccounts)
		}
		for _, a := range r.Accounts {
			if _, err := s.Snapshot(ctx, r.ID, a); err != nil {
				t.Errorf("run %d: %v", r.ID, err)
			}
		}
	}
	// No orphans: rows whose run is gone.
	for _, table := range []string{"trailseal_findings", "trailseal_run_accounts"} {
		var orphans int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE run_id NOT IN (SELECT id FROM trailseal_runs)`).Scan(&orphans); err != nil {
			t.Fatal(err)
		}
		if orphans > 0 {
			t.Errorf("%s: %d rows of no run", table, orphans)
		}
	}
	return runs
}

func snapshotJSON(t testing.TB, inv *inventory.Inventory) string {
	t.Helper()
	var buf bytes.Buffer
	if err := inventory.Write(&buf, inv); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}
