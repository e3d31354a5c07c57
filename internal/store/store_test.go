package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailseal/trailseal/internal/findings"
)

var t0 = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

// normalise makes findings comparable after a trip through JSON (numbers
// become float64, and so on).
func normalise(t *testing.T, fs []findings.Finding) []findings.Finding {
	t.Helper()
	b, err := json.Marshal(fs)
	if err != nil {
		t.Fatal(err)
	}
	var out []findings.Finding
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSaveAndReadBack(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := openStore(t, b.fresh(t))
		rec := orgRecord(t, t0)
		id := mustSave(t, s, rec)

		run, err := s.Run(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		counts := map[findings.Status]int{}
		for _, f := range rec.Findings {
			counts[f.Status]++
		}
		for _, st := range findings.Statuses {
			if _, ok := counts[st]; !ok {
				counts[st] = 0
			}
		}
		want := Run{
			ID: id, StartedAt: t0, FinishedAt: t0.Add(1500 * time.Millisecond), Source: "aws-org:o-example",
			ToolVersion: "test", CatalogVersion: "c1", ExitCode: 3, Regions: rec.Regions,
			Accounts: []string{"111122223333", "444455556666"}, Findings: len(rec.Findings), Counts: counts, Suppressed: 1,
		}
		if diff := cmp.Diff(want, *run); diff != "" {
			t.Errorf("run (-want +got):\n%s", diff)
		}

		got, err := s.Findings(ctx, id, "")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(normalise(t, rec.Findings), got); diff != "" {
			t.Errorf("findings (-want +got):\n%s", diff)
		}
		only, err := s.Findings(ctx, id, "444455556666")
		if err != nil {
			t.Fatal(err)
		}
		if len(only) != 1 || only[0].RuleID != "org.account_access" {
			t.Errorf("findings of 444455556666: %+v", only)
		}

		inv, err := s.Snapshot(ctx, id, "111122223333")
		if err != nil {
			t.Fatal(err)
		}
		if snapshotJSON(t, inv) != snapshotJSON(t, rec.Accounts[0].Inventory) {
			t.Error("the stored snapshot differs from the saved inventory")
		}
		if inv, err := s.Snapshot(ctx, id, "444455556666"); err != nil || inv != nil {
			t.Errorf("unscanned account: snapshot %v, error %v; want none", inv, err)
		}
		if _, err := s.Run(ctx, id+100); !errors.Is(err, ErrNoRun) {
			t.Errorf("unknown run: %v, want ErrNoRun", err)
		}
	})
}

func TestRunsAndPrevious(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := openStore(t, b.fresh(t))
		a := mustSave(t, s, sampleRecord(t, "a", t0))
		org := orgRecord(t, t0.Add(time.Hour))
		// The sample account could not be entered in this run: it holds no
		// snapshot of it and cannot be the base of a comparison.
		org.Accounts[0].Inventory = nil
		o := mustSave(t, s, org)
		c := mustSave(t, s, sampleRecord(t, "c", t0.Add(2*time.Hour)))

		ids := func(rs []Run) []int64 {
			var out []int64
			for _, r := range rs {
				out = append(out, r.ID)
			}
			return out
		}
		for _, tc := range []struct {
			name string
			f    Filter
			want []int64
		}{
			{"all, newest first", Filter{}, []int64{c, o, a}},
			{"limit", Filter{Limit: 2}, []int64{c, o}},
			{"before", Filter{Before: c}, []int64{o, a}},
			{"account", Filter{Account: "444455556666"}, []int64{o}},
			{"unknown account", Filter{Account: "999999999999"}, nil},
		} {
			runs, err := s.Runs(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(runs), tc.want) {
				t.Errorf("%s: runs %v, want %v", tc.name, ids(runs), tc.want)
			}
		}

		for _, tc := range []struct {
			account string
			before  int64
			want    int64 // 0: none
		}{
			{"111122223333", 0, c},
			{"111122223333", c, a}, // skips the run that could not scan it
			{"111122223333", a, 0},
			{"444455556666", 0, 0}, // never scanned
		} {
			prev, err := s.Previous(ctx, tc.account, tc.before)
			if err != nil {
				t.Fatal(err)
			}
			got := int64(0)
			if prev != nil {
				got = prev.ID
			}
			if got != tc.want {
				t.Errorf("Previous(%s, before %d) = run %d, want %d", tc.account, tc.before, got, tc.want)
			}
		}

		// What a scan reads of the previous run: the newest snapshot of
		// the account, and the checks that passed.
		prior, err := s.LatestSnapshot(ctx, "111122223333")
		if err != nil || prior == nil || prior.RunID != c || prior.Inventory.Account.Name != "c" || !prior.StartedAt.Equal(t0.Add(2*time.Hour)) {
			t.Fatalf("LatestSnapshot: %+v, %v; want run %d with its snapshot", prior, err, c)
		}
		if prior, err := s.LatestSnapshot(ctx, "444455556666"); err != nil || prior != nil {
			t.Errorf("LatestSnapshot of a never scanned account: %+v, %v", prior, err)
		}
		passed, err := s.Passed(ctx, c, "111122223333")
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, f := range sampleRecord(t, "c", t0).Findings {
			if f.Status == findings.Pass {
				want++
			}
		}
		if len(passed) != want || want == 0 {
			t.Errorf("Passed: %d findings, want %d", len(passed), want)
		}
		for _, f := range passed {
			if f.Status != findings.Pass || f.ID == "" || !strings.HasPrefix(f.Message, "c: ") {
				t.Errorf("Passed: %+v", f)
			}
		}
	})
}

func TestPrune(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := openStore(t, b.fresh(t))
		var ids []int64
		for i := range 5 {
			ids = append(ids, mustSave(t, s, sampleRecord(t, "r", t0.Add(time.Duration(i)*24*time.Hour))))
		}

		gone, err := s.Prune(ctx, PruneOptions{Keep: 3, DryRun: true})
		if err != nil || !slices.Equal(gone, ids[:2]) {
			t.Fatalf("dry run: %v, %v; want %v", gone, err, ids[:2])
		}
		if runs := checkIntegrity(t, s); len(runs) != 5 {
			t.Fatalf("a dry run deleted runs: %d left", len(runs))
		}
		if gone, err = s.Prune(ctx, PruneOptions{Keep: 3}); err != nil || !slices.Equal(gone, ids[:2]) {
			t.Fatalf("keep 3: %v, %v", gone, err)
		}
		// Runs 3 and 4 started before t0 + 3 days.
		if gone, err = s.Prune(ctx, PruneOptions{OlderThan: t0.Add(3 * 24 * time.Hour)}); err != nil || !slices.Equal(gone, ids[2:3]) {
			t.Fatalf("older than: %v, %v; want %v", gone, err, ids[2:3])
		}
		if gone, err = s.Prune(ctx, PruneOptions{Keep: 5}); err != nil || len(gone) != 0 {
			t.Fatalf("keep more than there are: %v, %v", gone, err)
		}
		runs := checkIntegrity(t, s)
		if len(runs) != 2 || runs[0].ID != ids[4] || runs[1].ID != ids[3] {
			t.Fatalf("left: %+v", runs)
		}
		// A pruned run's ID is not handed out again.
		if next := mustSave(t, s, sampleRecord(t, "n", t0)); next <= ids[4] {
			t.Errorf("new run got ID %d, not above the highest ever %d", next, ids[4])
		}
		if _, err := s.Prune(ctx, PruneOptions{}); err == nil {
			t.Error("prune with neither keep nor time: no error")
		}
	})
}

func TestMigrations(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		loc := b.fresh(t)
		// Concurrent first opens of a new store: one creates the schema,
		// the others wait for it and find it done.
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := Open(ctx, loc, Create)
				if err == nil {
					_, err = s.Save(ctx, sampleRecord(t, "m", t0))
					s.Close()
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("concurrent open: %v", err)
			}
		}
		s := openStore(t, loc)
		var versions int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM trailseal_schema_migrations`).Scan(&versions); err != nil {
			t.Fatal(err)
		}
		if versions != len(migrations) {
			t.Errorf("%d migrations recorded, want %d", versions, len(migrations))
		}
		if runs := checkIntegrity(t, s); len(runs) != 6 {
			t.Errorf("%d runs, want 6", len(runs))
		}

		// A store written by a newer trailseal is refused, not touched.
		if _, err := s.db.ExecContext(ctx, `INSERT INTO trailseal_schema_migrations (version, name, applied_at) VALUES (99, 'future', 0)`); err != nil {
			t.Fatal(err)
		}
		_, err := Open(ctx, loc, Create)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "version 99") {
			t.Errorf("newer schema: %v", err)
		}
	})
}

// TestConcurrentSaves writes runs from several stores at once (separate
// connection pools, as separate processes would have) and checks that each
// run holds exactly its own findings.
func TestConcurrentSaves(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		loc := b.fresh(t)
		openStore(t, loc) // create the schema
		const writers, each = 6, 4
		type saved struct {
			id   int64
			mark string
		}
		var mu sync.Mutex
		var all []saved
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := Open(ctx, loc, Create)
				if err != nil {
					errs <- err
					return
				}
				defer s.Close()
				for i := range each {
					mark := strings.Repeat("w", w+1) + "-" + string(rune('a'+i))
					id, err := s.Save(ctx, sampleRecord(t, mark, t0.Add(time.Duration(i)*time.Minute)))
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					all = append(all, saved{id, mark})
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("concurrent save: %v", err)
		}
		s := openStore(t, loc)
		if runs := checkIntegrity(t, s); len(runs) != writers*each {
			t.Fatalf("%d runs stored, want %d", len(runs), writers*each)
		}
		for _, sv := range all {
			fs, err := s.Findings(ctx, sv.id, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fs {
				if !strings.HasPrefix(f.Message, sv.mark+": ") {
					t.Fatalf("run %d (%s) holds a finding of another run: %q", sv.id, sv.mark, f.Message)
				}
			}
			inv, err := s.Snapshot(ctx, sv.id, "111122223333")
			if err != nil || inv.Account.Name != sv.mark {
				t.Fatalf("run %d (%s): snapshot of %v, %v", sv.id, sv.mark, inv, err)
			}
		}
	})
}

// TestAbortAtWorstPoint fails a save after every row is written, just
// before COMMIT: the store must look as if the run never started.
func TestAbortAtWorstPoint(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		for _, how := range []string{"error", "cancel"} {
			t.Run(how, func(t *testing.T) {
				s := openStore(t, b.fresh(t))
				first := mustSave(t, s, sampleRecord(t, "kept", t0))
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var reached bool
				s.beforeCommit = func() error {
					reached = true
					// The rows are there, inside the transaction.
					if how == "cancel" {
						cancel()
						return nil
					}
					return errors.New("dying")
				}
				if _, err := s.Save(ctx, sampleRecord(t, "lost", t0.Add(time.Hour))); err == nil {
					t.Fatal("save succeeded after an abort before commit")
				}
				if !reached {
					t.Fatal("the hook was not reached: the test proves nothing")
				}
				s.beforeCommit = nil
				runs := checkIntegrity(t, s)
				if len(runs) != 1 || runs[0].ID != first {
					t.Fatalf("runs after the abort: %+v", runs)
				}
				var rows int
				if err := s.db.QueryRow(`SELECT COUNT(*) FROM trailseal_findings WHERE message LIKE 'lost:%'`).Scan(&rows); err != nil || rows != 0 {
					t.Fatalf("%d findings of the aborted run remain (%v)", rows, err)
				}
			})
		}
	})
}

// TestSQLiteLogDoesNotGrow opens, saves and closes the store as scans do,
// one process at a time, and checks the write-ahead log after each close.
// The log file is kept between runs (SQLITE_FCNTL_PERSIST_WAL), and SQLite
// leaves a kept log at its full size unless journal_size_limit says
// otherwise (https://www.sqlite.org/pragma.html#pragma_journal_size_limit).
// The next open then reads every frame of that log back, and the first
// write appends to it instead of starting over: each run then paid for all
// the runs before it.
func TestSQLiteLogDoesNotGrow(t *testing.T) {
	loc := Location{Kind: SQLite, Path: filepath.Join(t.TempDir(), "history.db")}
	for i := range 5 {
		s, err := Open(context.Background(), loc, Create)
		if err != nil {
			t.Fatal(err)
		}
		mustSave(t, s, sampleRecord(t, fmt.Sprint("run", i), t0.Add(time.Duration(i)*time.Hour)))
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(loc.Path + "-wal")
		if err != nil {
			t.Fatalf("run %d: the log file is not kept between runs: %v", i, err)
		}
		if fi.Size() != 0 {
			t.Fatalf("run %d: the log holds %d bytes after a clean close, want 0", i, fi.Size())
		}
	}
	s := openStore(t, loc)
	if runs := checkIntegrity(t, s); len(runs) != 5 {
		t.Fatalf("%d runs stored, want 5", len(runs))
	}
}
