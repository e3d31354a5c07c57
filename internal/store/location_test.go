package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseLocation(t *testing.T) {
	home, _ := os.UserHomeDir()
	t.Setenv("XDG_DATA_HOME", "/data")
	for _, tc := range []struct {
		in   string
		want Location
		err  string
	}{
		{in: "sqlite:history.db", want: Location{Kind: SQLite, Path: "history.db"}},
		{in: "sqlite:/var/lib/ts/h.db", want: Location{Kind: SQLite, Path: "/var/lib/ts/h.db"}},
		{in: "sqlite:///var/lib/ts/h.db", want: Location{Kind: SQLite, Path: "/var/lib/ts/h.db"}},
		{in: "sqlite:~/h.db", want: Location{Kind: SQLite, Path: filepath.Join(home, "h.db")}},
		{in: "default", want: Location{Kind: SQLite, Path: "/data/trailseal/history.db"}},
		{in: "postgres://ts@db.example/trailseal", want: Location{Kind: Postgres, URL: "postgres://ts@db.example/trailseal"}},
		{in: "postgresql://ts@db.example/trailseal?sslmode=require", want: Location{Kind: Postgres, URL: "postgresql://ts@db.example/trailseal?sslmode=require"}},
		{in: "sqlite:", err: "has no path"},
		{in: "sqlite:a?b.db", err: "may not contain"},
		{in: "history.db", err: "not a store URL"},
		{in: "mysql://root:hunter2@db/x", err: `"mysql://root:xxxxx@db/x" is not a store URL`},
		{in: "mysql://root@db/x", err: `"mysql://root@db/x" is not a store URL`},
		{in: "postgres:///trailseal", err: "names no host"},
	} {
		got, err := ParseLocation(tc.in)
		if tc.err != "" {
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want ErrInvalid mentioning %q", tc.in, err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("%q: the error shows the password: %v", tc.in, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	// A socket directory instead of a host is a host too.
	if _, err := ParseLocation("postgres:///trailseal?host=/run/postgresql"); err != nil {
		t.Errorf("host in the query: %v", err)
	}
	if got := (Location{Kind: Postgres, URL: "postgres://ts:hunter2@db/x"}).String(); strings.Contains(got, "hunter2") {
		t.Errorf("String shows the password: %s", got)
	}
}

func TestDefaultPathIsCreated(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	loc, err := ParseLocation("default")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), loc, Create)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	st, err := os.Stat(loc.Path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("store file mode %v, want 0600 (it holds account inventories)", st.Mode().Perm())
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	notDB := filepath.Join(dir, "acct.json")
	if err := os.WriteFile(notDB, []byte(`{"schemaVersion": 1, "account": {"id": "111122223333"}, "trails": []}`+strings.Repeat(" ", 200)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		loc  Location
		mode Mode
		is   error
		want string
	}{
		{"not a database", Location{Kind: SQLite, Path: notDB}, Create, ErrInvalid, "is not a SQLite database"},
		{"missing, read only", Location{Kind: SQLite, Path: filepath.Join(dir, "nope.db")}, MustExist, ErrNotFound, "does not exist"},
		{"missing directory", Location{Kind: SQLite, Path: filepath.Join(dir, "no", "h.db")}, Create, ErrInvalid, "directory"},
		{"a directory", Location{Kind: SQLite, Path: dir}, Create, ErrInvalid, "is a directory"},
	} {
		_, err := Open(ctx, tc.loc, tc.mode)
		if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want %v mentioning %q", tc.name, err, tc.is, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "nope.db")); err == nil {
		t.Error("opening a missing store for reading created it")
	}

	// A database that does not exist on a server that does is a wrong
	// URL: a usage error.
	if _, err := Open(ctx, Location{Kind: Postgres, URL: pg.DatabaseURL("no_such_db")}, Create); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing PostgreSQL database: %v", err)
	}

	// A server that is not there: a runtime error (not a bad store URL),
	// without the password.
	// Port 1 is privileged and unused.
	url := "postgres://ts:hunter2@127.0.0.1:1/x?sslmode=disable"
	_, err := Open(ctx, Location{Kind: Postgres, URL: url}, Create)
	if err == nil || errors.Is(err, ErrInvalid) || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("unreachable server: %v", err)
	}
}
