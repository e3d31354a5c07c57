package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/trailseal/trailseal/internal/testenv"
)

// pg is the PostgreSQL cluster the suite runs against; every test gets a
// database of its own in it.
var pg *testenv.Postgres

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		// Re-executed as a helper process by the kill tests.
		os.Exit(runHelper())
	}
	var err error
	pg, err = testenv.StartPostgres()
	if err != nil {
		fmt.Fprintln(os.Stderr, "store tests:", err)
		os.Exit(1)
	}
	code := m.Run()
	pg.Stop()
	os.Exit(code)
}

// backend opens fresh, empty stores of one kind.
type backend struct {
	name string
	// fresh returns the location of a new, empty store.
	fresh func(t *testing.T) Location
}

var dbCounter atomic.Int64

func backends() []backend {
	return []backend{
		{"sqlite", func(t *testing.T) Location {
			return Location{Kind: SQLite, Path: filepath.Join(t.TempDir(), "history.db")}
		}},
		{"postgres", func(t *testing.T) Location {
			t.Helper()
			name := fmt.Sprintf("store_test_%d", dbCounter.Add(1))
			admin, err := sql.Open("pgx", pg.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer admin.Close()
			if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
				t.Fatalf("create database: %v", err)
			}
			return Location{Kind: Postgres, URL: pg.DatabaseURL(name)}
		}},
	}
}

// forEachBackend runs one test body against SQLite and PostgreSQL: the
// same suite, no mocks.
func forEachBackend(t *testing.T, body func(t *testing.T, b backend)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { body(t, b) })
	}
}

func openStore(t *testing.T, loc Location) *Store {
	t.Helper()
	s, err := Open(context.Background(), loc, Create)
	if err != nil {
		t.Fatalf("open %s: %v", loc, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
