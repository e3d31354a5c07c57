package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "trailseal.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad(t *testing.T) {
	p := write(t, "regions: [us-east-1, eu-west-1]\nmin-retention-days: 400\nlog-archive-account: \"222233334444\"\nfail-on: high\n")
	f, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Regions) != 2 || *f.MinRetentionDays != 400 || *f.LogArchiveAccount != "222233334444" || *f.FailOn != "high" {
		t.Fatalf("unexpected config: %+v", f)
	}
	if f.Concurrency != nil || f.Store != nil {
		t.Fatalf("unset concurrency and store must stay nil")
	}
	f, err = Load(write(t, "store: postgres://trailseal@db.example/history\n"))
	if err != nil || f.Store == nil || *f.Store != "postgres://trailseal@db.example/history" {
		t.Fatalf("store key: %+v, %v", f, err)
	}
}

func TestLoadErrors(t *testing.T) {
	for name, tc := range map[string]struct{ body, want string }{
		"unknown key": {"min-retension-days: 3\n", "unknown field"},
		"bad type":    {"min-retention-days: lots\n", "[1:21] cannot unmarshal"},
		"too small":   {"min-retention-days: 0\n", "at least 1"},
		"syntax":      {"regions: [us-east-1\n", "config "},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(write(t, tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error must be one line: %q", err)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("missing file error = %v", err)
	}
}
