package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
)

// ErrNoRun marks a run ID that the store does not hold.
var ErrNoRun = errors.New("no such run")

const runColumns = `id, started_at, finished_at, source, tool_version, catalog_version, exit_code, regions,
	finding_count, fail_count, error_count, manual_count, pass_count, na_count, suppressed_count`

// Filter selects runs, newest first.
type Filter struct {
	// Account keeps the runs that covered this account.
	Account string
	// Before keeps runs with a smaller ID (0: no bound).
	Before int64
	// Limit is the most runs returned (0: all).
	Limit int
}

// Runs lists runs, newest first, with their accounts.
func (s *Store) Runs(ctx context.Context, f Filter) ([]Run, error) {
	q := `SELECT ` + runColumns + ` FROM trailseal_runs WHERE 1 = 1`
	var args []any
	if f.Account != "" {
		args = append(args, f.Account)
		q += fmt.Sprintf(` AND id IN (SELECT run_id FROM trailseal_run_accounts WHERE account_id = $%d)`, len(args))
	}
	if f.Before > 0 {
		args = append(args, f.Before)
		q += fmt.Sprintf(` AND id < $%d`, len(args))
	}
	q += ` ORDER BY id DESC`
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	if err := s.fillAccounts(ctx, runs); err != nil {
		return nil, err
	}
	return runs, nil
}

// Run returns one run, or an error wrapping ErrNoRun.
func (s *Store) Run(ctx context.Context, id int64) (*Run, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx, `SELECT `+runColumns+` FROM trailseal_runs WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w %d", ErrNoRun, id)
	}
	if err != nil {
		return nil, fmt.Errorf("read run %d: %w", id, err)
	}
	runs := []Run{r}
	if err := s.fillAccounts(ctx, runs); err != nil {
		return nil, err
	}
	return &runs[0], nil
}

type scanner interface{ Scan(dest ...any) error }

func scanRun(row scanner) (Run, error) {
	var r Run
	var started, finished int64
	var regions string
	var fail, errs, manual, pass, na int
	if err := row.Scan(&r.ID, &started, &finished, &r.Source, &r.ToolVersion, &r.CatalogVersion, &r.ExitCode, &regions,
		&r.Findings, &fail, &errs, &manual, &pass, &na, &r.Suppressed); err != nil {
		return Run{}, err
	}
	r.StartedAt = time.UnixMicro(started).UTC()
	r.FinishedAt = time.UnixMicro(finished).UTC()
	if regions != "" {
		r.Regions = strings.Split(regions, ",")
	}
	r.Counts = map[findings.Status]int{findings.Fail: fail, findings.Error: errs, findings.Manual: manual, findings.Pass: pass, findings.NA: na}
	return r, nil
}

// fillAccounts sets the account IDs of runs with one query.
func (s *Store) fillAccounts(ctx context.Context, runs []Run) error {
	if len(runs) == 0 {
		return nil
	}
	lo, hi := runs[0].ID, runs[0].ID
	index := map[int64]int{}
	for i, r := range runs {
		lo, hi = min(lo, r.ID), max(hi, r.ID)
		index[r.ID] = i
	}
	rows, err := s.db.QueryContext(ctx, `SELECT run_id, account_id FROM trailseal_run_accounts WHERE run_id >= $1 AND run_id <= $2 ORDER BY run_id, account_id`, lo, hi)
	if err != nil {
		return fmt.Errorf("list run accounts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var account string
		if err := rows.Scan(&id, &account); err != nil {
			return fmt.Errorf("list run accounts: %w", err)
		}
		if i, ok := index[id]; ok {
			runs[i].Accounts = append(runs[i].Accounts, account)
		}
	}
	return rows.Err()
}

// Findings returns a run's findings in the order they were saved; with
// account set, only that account's.
func (s *Store) Findings(ctx context.Context, runID int64, account string) ([]findings.Finding, error) {
	q := `SELECT finding_id, rule_id, status, severity, account_id, account_name, region, resource, message, evidence, suppressed
		FROM trailseal_findings WHERE run_id = $1`
	args := []any{runID}
	if account != "" {
		q += ` AND account_id = $2`
		args = append(args, account)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("read findings of run %d: %w", runID, err)
	}
	defer rows.Close()
	var out []findings.Finding
	for rows.Next() {
		var f findings.Finding
		var status, severity string
		var evidence, suppressed sql.NullString
		if err := rows.Scan(&f.ID, &f.RuleID, &status, &severity, &f.Account, &f.AccountName, &f.Region, &f.Resource, &f.Message, &evidence, &suppressed); err != nil {
			return nil, fmt.Errorf("read findings of run %d: %w", runID, err)
		}
		f.Status, f.Severity = findings.Status(status), findings.Severity(severity)
		if evidence.Valid {
			if err := json.Unmarshal([]byte(evidence.String), &f.Evidence); err != nil {
				return nil, fmt.Errorf("run %d: evidence of %s on %s: %w", runID, f.RuleID, f.Resource, err)
			}
		}
		if suppressed.Valid {
			f.Suppressed = &findings.Suppression{}
			if err := json.Unmarshal([]byte(suppressed.String), f.Suppressed); err != nil {
				return nil, fmt.Errorf("run %d: suppression of %s on %s: %w", runID, f.RuleID, f.Resource, err)
			}
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// Prior is an account's state in an earlier run.
type Prior struct {
	RunID     int64
	StartedAt time.Time
	Inventory *inventory.Inventory
}

// LatestSnapshot returns the newest run that scanned account, with the
// account's snapshot, in one query (a scan asks it for every account it
// compares); nil when no run scanned the account.
func (s *Store) LatestSnapshot(ctx context.Context, account string) (*Prior, error) {
	var p Prior
	var started int64
	var data []byte
	err := s.db.QueryRowContext(ctx, `SELECT a.run_id, r.started_at, a.snapshot
		FROM trailseal_run_accounts a JOIN trailseal_runs r ON r.id = a.run_id
		WHERE a.account_id = $1 AND a.snapshot IS NOT NULL ORDER BY a.run_id DESC LIMIT 1`, account).Scan(&p.RunID, &started, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find the previous run of %s: %w", account, err)
	}
	p.StartedAt = time.UnixMicro(started).UTC()
	if p.Inventory, err = decodeSnapshot(data); err != nil {
		return nil, fmt.Errorf("snapshot of %s in run %d: %w", account, p.RunID, err)
	}
	return &p, nil
}

// Passed returns the findings of an account that were PASS in a run, with
// their message but without evidence: what the regression check compares
// a new run with, read without decoding every finding's evidence.
func (s *Store) Passed(ctx context.Context, runID int64, account string) ([]findings.Finding, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT finding_id, rule_id, severity, account_id, account_name, region, resource, message
		FROM trailseal_findings WHERE run_id = $1 AND account_id = $2 AND status = $3 ORDER BY seq`, runID, account, string(findings.Pass))
	if err != nil {
		return nil, fmt.Errorf("read findings of run %d: %w", runID, err)
	}
	defer rows.Close()
	var out []findings.Finding
	for rows.Next() {
		f := findings.Finding{Status: findings.Pass}
		var severity string
		if err := rows.Scan(&f.ID, &f.RuleID, &severity, &f.Account, &f.AccountName, &f.Region, &f.Resource, &f.Message); err != nil {
			return nil, fmt.Errorf("read findings of run %d: %w", runID, err)
		}
		f.Severity = findings.Severity(severity)
		out = append(out, f)
	}
	return out, rows.Err()
}

// Snapshot returns the inventory an account had in a run, or nil when the
// run did not scan it (the account could not be entered).
func (s *Store) Snapshot(ctx context.Context, runID int64, account string) (*inventory.Inventory, error) {
	var data []byte
	err := s.db.QueryRowContext(ctx, `SELECT snapshot FROM trailseal_run_accounts WHERE run_id = $1 AND account_id = $2`, runID, account).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("run %d did not cover account %s", runID, account)
	}
	if err != nil {
		return nil, fmt.Errorf("read snapshot of %s in run %d: %w", account, runID, err)
	}
	if data == nil {
		return nil, nil
	}
	inv, err := decodeSnapshot(data)
	if err != nil {
		return nil, fmt.Errorf("snapshot of %s in run %d: %w", account, runID, err)
	}
	return inv, nil
}

// Previous returns the newest run with an ID below before that scanned
// account (holds its snapshot), or nil when there is none. before <= 0
// means no bound.
func (s *Store) Previous(ctx context.Context, account string, before int64) (*Run, error) {
	q := `SELECT a.run_id FROM trailseal_run_accounts a WHERE a.account_id = $1 AND a.snapshot IS NOT NULL`
	args := []any{account}
	if before > 0 {
		q += ` AND a.run_id < $2`
		args = append(args, before)
	}
	var id int64
	err := s.db.QueryRowContext(ctx, q+` ORDER BY a.run_id DESC LIMIT 1`, args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find the previous run of %s: %w", account, err)
	}
	return s.Run(ctx, id)
}
