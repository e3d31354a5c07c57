package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailseal/trailseal/internal/demo"
	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/store"
	"github.com/trailseal/trailseal/internal/testenv"
)

// changedSample writes the sample account after an attacker's visit: the
// organization trail moved to another bucket, the legacy trail deleted,
// the security-tooling trail... left alone, and the organization trail's
// log file validation turned off.
func changedSample(t *testing.T) string {
	t.Helper()
	inv, err := demo.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var kept []inventory.Trail
	for _, tr := range inv.Trails {
		switch tr.Name {
		case "legacy-audit":
			continue
		case "organization-trail":
			tr.S3BucketName = "attacker-owned-bucket"
			tr.LogFileValidationEnabled = false
		}
		kept = append(kept, tr)
	}
	inv.Trails = kept
	p := filepath.Join(t.TempDir(), "changed.json")
	if err := inventory.Save(p, inv); err != nil {
		t.Fatal(err)
	}
	return p
}

// snapshotRuns stores a scan of each snapshot, in order, and returns the
// store URL.
func snapshotRuns(t *testing.T, storeURL string, snapshots ...string) string {
	t.Helper()
	for _, snap := range snapshots {
		code, _, stderr := runCLI(t, "scan", "--snapshot", snap, "--store="+storeURL, "--format", "json", "--output", filepath.Join(t.TempDir(), "r.json"))
		if code != ExitFindings || !strings.Contains(stderr, "stored in") {
			t.Fatalf("scan --snapshot %s --store: exit %d: %s", snap, code, stderr)
		}
	}
	return storeURL
}

func TestHistory(t *testing.T) {
	sample := sampleSnapshot(t)
	storeURL := snapshotRuns(t, "sqlite:"+filepath.Join(t.TempDir(), "h.db"), sample, sample, changedSample(t))

	code, stdout, stderr := runCLI(t, "history", "--store", storeURL)
	if code != ExitOK {
		t.Fatalf("history: exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "RUN") || !strings.HasPrefix(lines[1], "3 ") || !strings.HasPrefix(lines[3], "1 ") {
		t.Fatalf("history table, newest first:\n%s", stdout)
	}
	for _, want := range []string{"snapshot:", "111122223333", "  3\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("history lacks %q:\n%s", want, stdout)
		}
	}

	code, stdout, _ = runCLI(t, "history", "--store", storeURL, "--format", "json", "--limit", "2")
	var runs []store.Run
	if err := json.Unmarshal([]byte(stdout), &runs); code != ExitOK || err != nil {
		t.Fatalf("history json: exit %d, %v\n%s", code, err, stdout)
	}
	if len(runs) != 2 || runs[0].ID != 3 || runs[0].ExitCode != ExitFindings || runs[0].Counts[findings.Fail] == 0 ||
		runs[0].ToolVersion != Version() || runs[0].CatalogVersion != catalogVersion() || len(runs[0].Accounts) != 1 {
		t.Errorf("history json: %+v", runs)
	}

	code, stdout, _ = runCLI(t, "history", "--store", storeURL, "--account", "999999999999")
	if code != ExitOK || !strings.Contains(stdout, "No runs stored in "+storeURL+" for account 999999999999") {
		t.Errorf("history of an unknown account: exit %d: %q", code, stdout)
	}
}

func TestHistoryPrune(t *testing.T) {
	sample := sampleSnapshot(t)
	storeURL := snapshotRuns(t, "sqlite:"+filepath.Join(t.TempDir(), "h.db"), sample, sample, sample, sample)

	code, stdout, _ := runCLI(t, "history", "prune", "--keep", "2", "--dry-run", "--store", storeURL)
	if code != ExitOK || stdout != "would delete 2 runs (runs 1 to 2) from "+storeURL+"\n" {
		t.Errorf("dry run: exit %d %q", code, stdout)
	}
	code, stdout, _ = runCLI(t, "history", "prune", "--keep", "3", "--store", storeURL)
	if code != ExitOK || stdout != "deleted 1 runs (run 1) from "+storeURL+"\n" {
		t.Errorf("keep 3: exit %d %q", code, stdout)
	}
	// Runs that started seconds ago are not older than a day...
	code, stdout, _ = runCLI(t, "history", "prune", "--older-than", "1d", "--store", storeURL)
	if code != ExitOK || !strings.HasPrefix(stdout, "deleted 0 runs") {
		t.Errorf("older than 1d: exit %d %q", code, stdout)
	}
	// ...but they are, seen from two days later.
	var out strings.Builder
	g := &globals{stdout: &out, stderr: &out}
	o := &pruneOptions{storeOptions: storeOptions{store: storeURL}, olderThan: "1d", set: func(n string) bool { return n == "older-than" }}
	if err := runPrune(context.Background(), g, o, time.Now().Add(48*time.Hour)); err != nil || out.String() != "deleted 3 runs (runs 2 to 4) from "+storeURL+"\n" {
		t.Errorf("older than 1d, two days on: %v %q", err, out.String())
	}
	code, stdout, _ = runCLI(t, "history", "--store", storeURL)
	if code != ExitOK || !strings.HasPrefix(stdout, "No runs stored") {
		t.Errorf("after pruning everything: exit %d %q", code, stdout)
	}
}

func TestStoreUsageErrors(t *testing.T) {
	snap := sampleSnapshot(t)
	dir := t.TempDir()
	one := snapshotRuns(t, "sqlite:"+filepath.Join(dir, "one.db"), snap)
	two := snapshotRuns(t, "sqlite:"+filepath.Join(dir, "two.db"), snap, snap)
	missing := "sqlite:" + filepath.Join(dir, "missing.db")
	badConfig := writeFile(t, "c.yaml", "store: mysql://root@db/x\n")
	for _, tc := range []struct {
		want string
		args []string
	}{
		{"--store takes its URL after '=': --store=sqlite:h.db", []string{"scan", "--snapshot", snap, "--store", "sqlite:h.db"}},
		{`--store: "bogus" is not a store URL`, []string{"scan", "--snapshot", snap, "--store=bogus"}},
		{"does not exist", []string{"scan", "--snapshot", snap, "--store=sqlite:" + filepath.Join(dir, "no", "h.db")}},
		{"is not a SQLite database", []string{"scan", "--snapshot", snap, "--store=sqlite:" + snap}},
		// A value of the settings file is blamed on its key, not on a
		// flag never given.
		{`c.yaml:1: store: "mysql://root@db/x" is not a store URL`, []string{"scan", "--snapshot", snap, "--config", badConfig}},
		{"missing.db does not exist (a scan with --store creates it)", []string{"history", "--store", missing}},
		{"--store=off: this command reads a store", []string{"history", "--store=off"}},
		{`c.yaml:1: store: "mysql://root@db/x" is not a store URL`, []string{"diff", "--config", badConfig}},
		{"--format must be table or json", []string{"history", "--store", one, "--format", "xml"}},
		{"--limit must be 0 (all) or more", []string{"history", "--store", one, "--limit", "-1"}},
		{`--account "123" is not a 12-digit account ID`, []string{"history", "--store", one, "--account", "123"}},
		{"prune needs --keep N or --older-than DURATION", []string{"history", "prune", "--store", one}},
		{"--keep must be at least 1", []string{"history", "prune", "--store", one, "--keep", "0"}},
		{"give --keep or --older-than, not both", []string{"history", "prune", "--store", one, "--keep", "1", "--older-than", "1d"}},
		{`--older-than: "3x" is not a duration`, []string{"history", "prune", "--store", one, "--older-than", "3x"}},
		{`--older-than: "-1h" is not a positive duration`, []string{"history", "prune", "--store", one, "--older-than=-1h"}},
		{`run ID "abc" is not a positive number`, []string{"diff", "abc", "--store", two}},
		{"cannot compare run 2 with itself", []string{"diff", "2", "2", "--store", two}},
		{"no such run 99 (see 'trailseal history')", []string{"diff", "99", "--store", two}},
		{"accepts at most 2 arg(s)", []string{"diff", "1", "2", "3", "--store", two}},
		{"holds 1 run(s): diff needs two", []string{"diff", "--store", one}},
		{"run 2 is the newest run: give a second run", []string{"diff", "2", "--store", two}},
		{"--format must be table, json or markdown", []string{"diff", "--store", two, "--format", "yaml"}},
	} {
		assertUserError(t, ExitUsage, tc.want, tc.args...)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); err == nil {
		t.Error("history created the store it was asked to read")
	}
	// A server that does not answer is a runtime error, not a usage one,
	// and the message keeps the password to itself.
	assertUserError(t, ExitRuntime, "store: ", "history", "--store", "postgres://ts:hunter2@127.0.0.1:1/x?sslmode=disable")
	_, _, stderr := runCLI(t, "history", "--store", "postgres://ts:hunter2@127.0.0.1:1/x?sslmode=disable")
	if strings.Contains(stderr, "hunter2") {
		t.Errorf("the error shows the password: %s", stderr)
	}
}

// TestStoreFromConfigAndDefault: the config file's store key, --store=off
// overriding it, and a bare --store using the default path.
func TestStoreFromConfigAndDefault(t *testing.T) {
	snap := sampleSnapshot(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "configured.db")
	cfg := writeFile(t, "c.yaml", "store: sqlite:"+db+"\n")
	out := filepath.Join(dir, "r.json")

	if code, _, stderr := runCLI(t, "scan", "--snapshot", snap, "--config", cfg, "-f", "json", "-o", out); code != ExitFindings || !strings.Contains(stderr, "run 1 stored in sqlite:"+db) {
		t.Fatalf("scan with the config's store: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "scan", "--snapshot", snap, "--config", cfg, "--store=off", "-f", "json", "-o", out); code != ExitFindings || strings.Contains(stderr, "stored") {
		t.Fatalf("--store=off: exit %d: %s", code, stderr)
	}
	// A bare --store with a config file that names a store uses it.
	if code, _, stderr := runCLI(t, "scan", "--snapshot", snap, "--config", cfg, "--store", "-f", "json", "-o", out); code != ExitFindings || !strings.Contains(stderr, "run 2 stored in sqlite:"+db) {
		t.Fatalf("bare --store with a configured store: exit %d: %s", code, stderr)
	}
	if code, stdout, _ := runCLI(t, "history", "--config", cfg); code != ExitOK || strings.Count(stdout, "snapshot:") != 2 {
		t.Errorf("history --config: exit %d\n%s", code, stdout)
	}

	data := t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	if code, _, stderr := runCLI(t, "scan", "--snapshot", snap, "--store", "-f", "json", "-o", out); code != ExitFindings ||
		!strings.Contains(stderr, "stored in sqlite:"+filepath.Join(data, "trailseal", "history.db")) {
		t.Fatalf("bare --store: exit %d: %s", code, stderr)
	}
	if code, stdout, _ := runCLI(t, "history"); code != ExitOK || strings.Count(stdout, "snapshot:") != 1 {
		t.Errorf("history of the default store: exit %d\n%s", code, stdout)
	}
}

// TestStoreOnPostgres runs the commands against a real PostgreSQL server.
func TestStoreOnPostgres(t *testing.T) {
	pg, err := testenv.StartPostgres()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Stop)
	sample := sampleSnapshot(t)
	storeURL := snapshotRuns(t, pg.URL, sample, changedSample(t))
	code, stdout, stderr := runCLI(t, "diff", "--store", pg.URL, "--format", "json")
	if code != ExitOK {
		t.Fatalf("diff on PostgreSQL: exit %d: %s", code, stderr)
	}
	var res diffResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Diff.Drift) != 3 {
		t.Errorf("drift on PostgreSQL: %+v", res.Diff.Drift)
	}
	code, stdout, _ = runCLI(t, "history", "--store", storeURL)
	if code != ExitOK || strings.Count(stdout, "snapshot:") != 2 {
		t.Errorf("history on PostgreSQL: exit %d\n%s", code, stdout)
	}
}
