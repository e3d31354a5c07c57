package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migration is one step of the schema. Steps are never edited once
// released: a change is a new step.
type migration struct {
	version int
	name    string
	stmts   []string
}

// Table names carry a prefix so that the store can share a PostgreSQL
// database (or schema) with other tools.
//
// Times are microseconds since the Unix epoch, UTC, in BIGINT columns:
// the one time representation both backends store, index and compare the
// same way, at PostgreSQL's own resolution.
var migrations = []migration{
	{
		version: 1,
		name:    "runs, their accounts' snapshots and their findings",
		stmts: []string{
			`CREATE TABLE trailseal_runs (
				id {{id}},
				started_at BIGINT NOT NULL,
				finished_at BIGINT NOT NULL,
				source TEXT NOT NULL,
				tool_version TEXT NOT NULL,
				catalog_version TEXT NOT NULL,
				exit_code INTEGER NOT NULL,
				regions TEXT NOT NULL,
				account_count INTEGER NOT NULL,
				finding_count INTEGER NOT NULL,
				fail_count INTEGER NOT NULL,
				error_count INTEGER NOT NULL,
				manual_count INTEGER NOT NULL,
				pass_count INTEGER NOT NULL,
				na_count INTEGER NOT NULL,
				suppressed_count INTEGER NOT NULL
			)`,
			`CREATE INDEX trailseal_runs_started ON trailseal_runs (started_at)`,
			// snapshot is the gzip-compressed snapshot JSON (the format of
			// 'scan --save-snapshot'); NULL for an account that could not
			// be scanned.
			`CREATE TABLE trailseal_run_accounts (
				run_id BIGINT NOT NULL REFERENCES trailseal_runs (id),
				account_id TEXT NOT NULL,
				account_name TEXT NOT NULL,
				collected_at BIGINT,
				snapshot {{blob}},
				PRIMARY KEY (run_id, account_id)
			)`,
			`CREATE INDEX trailseal_run_accounts_account ON trailseal_run_accounts (account_id, run_id)`,
			// evidence and suppressed are JSON text, NULL when empty.
			`CREATE TABLE trailseal_findings (
				run_id BIGINT NOT NULL REFERENCES trailseal_runs (id),
				seq INTEGER NOT NULL,
				finding_id TEXT NOT NULL,
				rule_id TEXT NOT NULL,
				status TEXT NOT NULL,
				severity TEXT NOT NULL,
				account_id TEXT NOT NULL,
				account_name TEXT NOT NULL,
				region TEXT NOT NULL,
				resource TEXT NOT NULL,
				message TEXT NOT NULL,
				evidence TEXT,
				suppressed TEXT,
				PRIMARY KEY (run_id, seq)
			)`,
		},
	},
}

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int { return migrations[len(migrations)-1].version }

// migrate brings the schema up to date in one transaction: a failed step
// leaves the store as it was. A store whose schema is newer than this
// build knows is refused, not downgraded.
func (s *Store) migrate(ctx context.Context) error {
	// The common case, an up-to-date store, costs one read and takes no
	// lock.
	var current sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MAX(version) FROM trailseal_schema_migrations`).Scan(&current); err == nil {
		if int(current.Int64) == SchemaVersion() {
			return nil
		}
	} else if isNotADatabase(err) {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if s.dialect.migrationLock != "" {
		if _, err := tx.ExecContext(ctx, s.dialect.migrationLock); err != nil {
			return fmt.Errorf("lock for migration: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS trailseal_schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at BIGINT NOT NULL
	)`); err != nil {
		return err
	}
	if err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM trailseal_schema_migrations`).Scan(&current); err != nil {
		return err
	}
	if int(current.Int64) > SchemaVersion() {
		return fmt.Errorf("%w: its schema is version %d, this trailseal knows up to version %d: use a newer trailseal",
			ErrInvalid, current.Int64, SchemaVersion())
	}
	for _, m := range migrations {
		if m.version <= int(current.Int64) {
			continue
		}
		for _, stmt := range m.stmts {
			if _, err := tx.ExecContext(ctx, s.dialect.types.Replace(stmt)); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO trailseal_schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			m.version, m.name, time.Now().UnixMicro()); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
	}
	return tx.Commit()
}
