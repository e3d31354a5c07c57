// Package store keeps the history of scans in a SQL database: each run's
// inventory snapshots, findings, tool version and rule catalog version, so
// that a later scan can report what changed (drift) and 'trailseal history'
// and 'trailseal diff' can show past runs.
//
// Two backends share one schema and the same SQL text: SQLite through
// modernc.org/sqlite (pure Go, a file on the local disk) and PostgreSQL
// through github.com/jackc/pgx/v5 (a team's shared history). What differs
// is in dialect.go: the type of the run ID column and of binary columns, the
// lock that serialises migrations, how many finding rows one INSERT carries,
// and connection settings. Positional parameters are written $1, $2, ...,
// which both drivers bind by number.
//
// Every run is written in one transaction: a scan that is interrupted or
// killed while writing leaves no trace, and the runs stored before it are
// untouched. Migrations are versioned and applied when a store is opened,
// under a lock, so that two processes opening a new store do not race.
package store
