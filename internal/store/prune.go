package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// PruneOptions say which runs to delete. Set exactly one of Keep and
// OlderThan.
type PruneOptions struct {
	// Keep is how many of the newest runs to keep; the rest are deleted.
	Keep int
	// OlderThan deletes runs that started before this time.
	OlderThan time.Time
	// DryRun lists the runs that would be deleted and deletes nothing.
	DryRun bool
}

// Prune deletes runs, with their snapshots and findings, in one
// transaction, and returns the IDs of the deleted runs (oldest first).
func (s *Store) Prune(ctx context.Context, o PruneOptions) ([]int64, error) {
	if (o.Keep > 0) == !o.OlderThan.IsZero() {
		return nil, errors.New("prune: give either a number of runs to keep or a time")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	defer tx.Rollback()
	// doomed selects the IDs of the runs to delete.
	doomed, arg := `SELECT id FROM trailseal_runs WHERE started_at < $1`, any(o.OlderThan.UnixMicro())
	if o.Keep > 0 {
		var cutoff int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM trailseal_runs ORDER BY id DESC LIMIT 1 OFFSET $1`, o.Keep-1).Scan(&cutoff)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil // no more runs than Keep
		}
		if err != nil {
			return nil, fmt.Errorf("prune: %w", err)
		}
		doomed, arg = `SELECT id FROM trailseal_runs WHERE id < $1`, cutoff
	}
	ids, err := runIDs(ctx, tx, doomed+` ORDER BY id`, arg)
	if err != nil || len(ids) == 0 || o.DryRun {
		return ids, err
	}
	for _, table := range []string{"trailseal_findings", "trailseal_run_accounts"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE run_id IN (`+doomed+`)`, arg); err != nil {
			return nil, fmt.Errorf("prune: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM trailseal_runs WHERE id IN (`+doomed+`)`, arg); err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	return ids, nil
}

func runIDs(ctx context.Context, tx *sql.Tx, q string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
