package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
)

// Record is one finished scan, as Save writes it.
type Record struct {
	StartedAt  time.Time
	FinishedAt time.Time
	// Source is the report's source: "aws", "aws-org:<id>",
	// "snapshot:<path>".
	Source         string
	ToolVersion    string
	CatalogVersion string
	// ExitCode is the exit code the scan ended with.
	ExitCode int
	Regions  []string
	// Accounts are every account the run covered, scanned or not.
	Accounts []Account
	Findings []findings.Finding
}

// Account is one account of a run.
type Account struct {
	ID   string
	Name string
	// Inventory is the account's collected inventory; nil when the
	// account could not be scanned.
	Inventory *inventory.Inventory
	// Snapshot, when set, is Inventory already encoded by EncodeSnapshot.
	Snapshot []byte
}

// Run is a stored run without its snapshots and findings.
type Run struct {
	ID             int64                   `json:"id"`
	StartedAt      time.Time               `json:"startedAt"`
	FinishedAt     time.Time               `json:"finishedAt"`
	Source         string                  `json:"source"`
	ToolVersion    string                  `json:"toolVersion"`
	CatalogVersion string                  `json:"catalogVersion"`
	ExitCode       int                     `json:"exitCode"`
	Regions        []string                `json:"regions"`
	Accounts       []string                `json:"accounts"`
	Findings       int                     `json:"findings"`
	Counts         map[findings.Status]int `json:"counts"`
	Suppressed     int                     `json:"suppressed"`
}

// findingColumns are the columns of trailseal_findings in insert order.
const findingColumns = "run_id, seq, finding_id, rule_id, status, severity, account_id, account_name, region, resource, message, evidence, suppressed"

const findingColumnCount = 13

// Save writes rec in one transaction and returns the new run's ID. If ctx
// is cancelled or the process dies before the commit, nothing of the run
// is stored.
func (s *Store) Save(ctx context.Context, rec *Record) (int64, error) {
	snapshots, err := encodeSnapshots(rec.Accounts)
	if err != nil {
		return 0, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("save run: %w", err)
	}
	defer tx.Rollback()
	id, err := insertRun(ctx, tx, rec)
	if err != nil {
		return 0, fmt.Errorf("save run: %w", err)
	}
	for i, a := range rec.Accounts {
		var collected sql.NullInt64
		if a.Inventory != nil && !a.Inventory.CollectedAt.IsZero() {
			collected = sql.NullInt64{Int64: a.Inventory.CollectedAt.UnixMicro(), Valid: true}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO trailseal_run_accounts (run_id, account_id, account_name, collected_at, snapshot) VALUES ($1, $2, $3, $4, $5)`,
			id, a.ID, a.Name, collected, snapshots[i]); err != nil {
			return 0, fmt.Errorf("save run: account %s: %w", a.ID, err)
		}
	}
	if err := insertFindings(ctx, tx, s.dialect, id, rec.Findings); err != nil {
		return 0, fmt.Errorf("save run: findings: %w", err)
	}
	if s.beforeCommit != nil {
		if err := s.beforeCommit(); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("save run: commit: %w", err)
	}
	return id, nil
}

func insertRun(ctx context.Context, tx *sql.Tx, rec *Record) (int64, error) {
	counts := map[findings.Status]int{}
	suppressed := 0
	for _, f := range rec.Findings {
		counts[f.Status]++
		if f.Suppressed != nil {
			suppressed++
		}
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO trailseal_runs (started_at, finished_at, source, tool_version, catalog_version, exit_code, regions,
		account_count, finding_count, fail_count, error_count, manual_count, pass_count, na_count, suppressed_count)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
		rec.StartedAt.UnixMicro(), rec.FinishedAt.UnixMicro(), rec.Source, rec.ToolVersion, rec.CatalogVersion, rec.ExitCode,
		strings.Join(rec.Regions, ","), len(rec.Accounts), len(rec.Findings),
		counts[findings.Fail], counts[findings.Error], counts[findings.Manual], counts[findings.Pass], counts[findings.NA], suppressed,
	).Scan(&id)
	return id, err
}

// insertFindings writes a run's findings with one statement text,
// INSERT ... VALUES (...), (...), carrying the dialect's number of rows:
// PostgreSQL gets many rows per round trip, SQLite one row per execution
// of a statement prepared once (it looks up $N parameters by name, which
// costs more per statement than a re-execution saves).
func insertFindings(ctx context.Context, tx *sql.Tx, d dialect, runID int64, fs []findings.Finding) error {
	var stmt *sql.Stmt
	defer func() {
		if stmt != nil {
			stmt.Close()
		}
	}()
	prepared := 0 // rows per execution of stmt
	for start := 0; start < len(fs); start += d.findingBatch {
		end := min(start+d.findingBatch, len(fs))
		if prepared != end-start {
			if stmt != nil {
				stmt.Close()
			}
			var err error
			if stmt, err = tx.PrepareContext(ctx, insertFindingsSQL(end-start)); err != nil {
				return err
			}
			prepared = end - start
		}
		args := make([]any, 0, (end-start)*findingColumnCount)
		for i := start; i < end; i++ {
			row, err := findingRow(runID, i, fs[i])
			if err != nil {
				return err
			}
			args = append(args, row...)
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// insertFindingsSQL is the INSERT of rows findings.
func insertFindingsSQL(rows int) string {
	var q strings.Builder
	q.WriteString("INSERT INTO trailseal_findings (" + findingColumns + ") VALUES ")
	for r := range rows {
		if r > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(")
		for c := range findingColumnCount {
			if c > 0 {
				q.WriteString(", ")
			}
			fmt.Fprintf(&q, "$%d", r*findingColumnCount+c+1)
		}
		q.WriteString(")")
	}
	return q.String()
}

func findingRow(runID int64, seq int, f findings.Finding) ([]any, error) {
	evidence, err := jsonOrNull(f.Evidence, len(f.Evidence) == 0)
	if err != nil {
		return nil, fmt.Errorf("%s on %s: evidence: %w", f.RuleID, f.Resource, err)
	}
	suppressed, err := jsonOrNull(f.Suppressed, f.Suppressed == nil)
	if err != nil {
		return nil, err
	}
	return []any{runID, seq, f.ID, f.RuleID, string(f.Status), string(f.Severity), f.Account, f.AccountName,
		f.Region, f.Resource, f.Message, evidence, suppressed}, nil
}

func jsonOrNull(v any, empty bool) (sql.NullString, error) {
	if empty {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return sql.NullString{}, err
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

// encodeSnapshots returns each account's snapshot as Save writes it:
// the one EncodeSnapshot made beforehand, or one made now.
func encodeSnapshots(accounts []Account) ([]any, error) {
	// nil, not a nil []byte, so that both drivers write NULL.
	out := make([]any, len(accounts))
	for i, a := range accounts {
		switch {
		case a.Snapshot != nil:
			out[i] = a.Snapshot
		case a.Inventory != nil:
			b, err := EncodeSnapshot(a.Inventory)
			if err != nil {
				return nil, fmt.Errorf("encode snapshot of %s: %w", a.ID, err)
			}
			out[i] = b
		}
	}
	return out, nil
}

// EncodeSnapshot returns an inventory as a store keeps it: the snapshot
// JSON (compact; 'scan --save-snapshot' writes the same document
// indented), gzip-compressed. A scan calls it while its rules run, so that
// Save has only to write.
func EncodeSnapshot(inv *inventory.Inventory) ([]byte, error) {
	raw, err := json.Marshal(inv)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeSnapshot reads a stored snapshot. The store wrote it, so one
// parse and a schema version check replace the stricter (and twice as
// costly) checks that inventory.Decode makes of a file from anywhere.
func decodeSnapshot(data []byte) (*inventory.Inventory, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: stored snapshot is not gzip data: %v", inventory.ErrSnapshot, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("%w: stored snapshot: %v", inventory.ErrSnapshot, err)
	}
	var inv inventory.Inventory
	if err := json.Unmarshal(raw, &inv); err != nil {
		return nil, fmt.Errorf("%w: stored snapshot: %v", inventory.ErrSnapshot, err)
	}
	if inv.SchemaVersion != inventory.SchemaVersion {
		return nil, fmt.Errorf("%w: stored snapshot has schema version %d, this build reads version %d", inventory.ErrSnapshot, inv.SchemaVersion, inventory.SchemaVersion)
	}
	return &inv, nil
}
