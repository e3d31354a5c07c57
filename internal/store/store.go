package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Store is an open history store.
type Store struct {
	db       *sql.DB
	dialect  dialect
	location Location

	// beforeCommit, when set (by tests only), runs inside Save's
	// transaction after every row is written and before COMMIT: the worst
	// moment for the process to die.
	beforeCommit func() error
}

// Mode says whether Open may create a SQLite store that does not exist.
type Mode int

// Modes.
const (
	// Create makes the SQLite file (and, for the default path, its
	// directory) if missing: for scans that write.
	Create Mode = iota
	// MustExist fails with ErrNotFound when the SQLite file is missing:
	// for commands that only read, so that a mistyped path is not silently
	// a new empty store.
	MustExist
)

// Open connects to the store at loc and brings its schema up to date.
func Open(ctx context.Context, loc Location, mode Mode) (*Store, error) {
	var d dialect
	var dsn string
	switch loc.Kind {
	case SQLite:
		if err := prepareSQLitePath(loc, mode); err != nil {
			return nil, err
		}
		d, dsn = sqliteDialect, sqliteDSN(loc.Path)
	case Postgres:
		d, dsn = postgresDialect, postgresDSN(loc.URL)
	default:
		return nil, fmt.Errorf("%w: unknown backend %q", ErrInvalid, loc.Kind)
	}
	db, err := openDB(d, dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", loc, err)
	}
	s := &Store{db: db, dialect: d, location: loc}
	if d.kind == Postgres {
		// A few connections serve a scan and its queries; more would only
		// compete with other users of a shared server.
		db.SetMaxOpenConns(4)
	}
	db.SetConnMaxIdleTime(time.Minute)
	if err := s.migrate(ctx); err != nil {
		db.Close()
		code, _ := postgresCode(err)
		switch {
		case isNotADatabase(err):
			return nil, fmt.Errorf("%w: %s is not a SQLite database", ErrInvalid, loc)
		case code == "3D000": // invalid_catalog_name
			return nil, fmt.Errorf("%w: %s: the database does not exist (create it first: createdb)", ErrInvalid, loc)
		case errors.Is(err, ErrInvalid), errors.Is(err, context.Canceled):
			return nil, fmt.Errorf("%s: %w", loc, err)
		}
		return nil, fmt.Errorf("open %s: %w", loc, err)
	}
	return s, nil
}

// prepareSQLitePath checks the SQLite file's directory, so that a typo
// gets a plain message rather than SQLite's "unable to open database
// file", and creates the default store's directory.
func prepareSQLitePath(loc Location, mode Mode) error {
	st, err := os.Stat(loc.Path)
	switch {
	case err == nil && st.IsDir():
		return fmt.Errorf("%w: %s is a directory", ErrInvalid, loc)
	case err == nil:
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: %s: %v", ErrInvalid, loc, err)
	case mode == MustExist:
		return fmt.Errorf("%w: %s does not exist (a scan with --store creates it)", ErrNotFound, loc)
	}
	dir := filepath.Dir(loc.Path)
	if def, err := DefaultPath(); err == nil && def == loc.Path {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create the store's directory: %w", err)
		}
	} else if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("%w: %s: directory %s does not exist", ErrInvalid, loc, dir)
	}
	// The store holds inventories (bucket policies, IAM details): readable
	// by its owner only. SQLite gives its -wal and -shm files the
	// database file's mode.
	f, err := os.OpenFile(loc.Path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create %s: %w", loc, err)
	}
	if f != nil {
		f.Close()
	}
	return nil
}

// Location returns where the store is.
func (s *Store) Location() Location { return s.location }

// Close closes the store's connections.
func (s *Store) Close() error { return s.db.Close() }
