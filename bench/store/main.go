// Command store benchmarks the history store with the trailseal binary, as
// a user runs it:
//
//  1. what --store adds to 'trailseal scan' of the sample account: from the
//     built-in demo snapshot (no AWS call, the store's share at its largest)
//     and against the sample account of bench/scan_calls.sh seeded into
//     moto. Runs with and without the store alternate, so that the baseline
//     is measured in the same run under the same load;
//  2. the same on a store that -grown scans (a year of daily runs) have
//     already written, each its own process, as scans write it: a cost that
//     grows with the store's age shows here;
//  3. how fast 'history' and 'diff' answer on a store of -runs runs, with
//     the same commands on a store of 2 runs and 'trailseal version' (the
//     process's own start-up) as baselines.
//
// Both for SQLite and for PostgreSQL (a throwaway cluster). Usage, from the
// repository root (needs moto_server and PostgreSQL's initdb and pg_ctl):
//
//	go build -o /tmp/trailseal ./cmd/trailseal && go run ./bench/store -bin /tmp/trailseal
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to create databases

	"github.com/trailseal/trailseal/internal/testenv"
)

func main() {
	bin := flag.String("bin", "", "the trailseal binary to measure (required)")
	pairs := flag.Int("pairs", 40, "scans of the demo snapshot with and without the store, alternating")
	motoPairs := flag.Int("moto-pairs", 8, "scans of the sample account in moto with and without the store")
	runs := flag.Int("runs", 1000, "runs in the large store")
	repeat := flag.Int("repeat", 15, "times each history and diff command is timed")
	grown := flag.Int("grown", 365, "scans written into the store before the grown-store pairs (0: skip them)")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "bench: -bin is required: go build -o /tmp/trailseal ./cmd/trailseal")
		os.Exit(2)
	}
	if err := run(*bin, *pairs, *motoPairs, *runs, *repeat, *grown); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(bin string, pairs, motoPairs, runs, repeat, grown int) error {
	dir, err := os.MkdirTemp("", "trailseal-store-bench-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	pg, err := testenv.StartPostgres()
	if err != nil {
		return err
	}
	defer pg.Stop()
	b := &bench{bin: bin, dir: dir, pg: pg}
	version, _ := exec.Command(bin, "version").Output()
	fmt.Printf("binary: %s", version)

	snap := filepath.Join(dir, "sample.json")
	if _, err := b.trailseal(nil, "demo", "--save-snapshot", snap, "--skip-verify", "--format", "json"); err != nil {
		return err
	}
	fmt.Printf("\n## scan --snapshot of the demo account (%d pairs)\n", pairs)
	for _, backend := range []string{"sqlite", "postgres"} {
		url, err := b.newStore(backend, "scan")
		if err != nil {
			return err
		}
		if err := b.scanPairs(backend, url, pairs, nil, "--snapshot", snap); err != nil {
			return err
		}
	}

	if grown > 0 {
		fmt.Printf("\n## scan --snapshot of the demo account, store already written by %d scans (%d pairs)\n", grown, pairs)
		for _, backend := range []string{"sqlite", "postgres"} {
			if err := b.grownStore(backend, snap, grown, pairs); err != nil {
				return err
			}
		}
	}

	if err := b.motoScans(motoPairs); err != nil {
		return err
	}

	fmt.Printf("\n## history and diff on a store of %d runs (median of %d)\n", runs, repeat)
	for _, backend := range []string{"sqlite", "postgres"} {
		if err := b.queries(backend, snap, runs, repeat); err != nil {
			return err
		}
	}
	return nil
}

type bench struct {
	bin string
	dir string
	pg  *testenv.Postgres
	n   int
}

// newStore returns the URL of a new, empty store.
func (b *bench) newStore(backend, name string) (string, error) {
	b.n++
	if backend == "sqlite" {
		return fmt.Sprintf("sqlite:%s/%s-%d.db", b.dir, name, b.n), nil
	}
	db, err := sql.Open("pgx", b.pg.URL)
	if err != nil {
		return "", err
	}
	defer db.Close()
	dbName := fmt.Sprintf("%s_%d", name, b.n)
	if _, err := db.Exec("CREATE DATABASE " + dbName); err != nil {
		return "", err
	}
	return b.pg.DatabaseURL(dbName), nil
}

// sample is one timed process run.
type sample struct {
	wall, cpu time.Duration
}

// trailseal runs the binary and returns its wall and CPU time; exit codes
// 0 and 3 (findings) are success.
func (b *bench) trailseal(env []string, args ...string) (sample, error) {
	cmd := exec.Command(b.bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.Stdout = nil
	start := time.Now()
	err := cmd.Run()
	s := sample{wall: time.Since(start)}
	if cmd.ProcessState != nil {
		s.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil && cmd.ProcessState != nil && cmd.ProcessState.ExitCode() == 3 {
		err = nil
	}
	if err != nil {
		return s, fmt.Errorf("trailseal %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return s, nil
}

// scanPairs alternates scans without and with the store and prints the
// medians and the store's share.
func (b *bench) scanPairs(label, storeURL string, pairs int, env []string, args ...string) error {
	out := filepath.Join(b.dir, "report.json")
	base := append([]string{"scan", "--format", "json", "--output", out}, args...)
	with := append(slices.Clone(base), "--store="+storeURL)
	var without, stored []sample
	for range pairs {
		s, err := b.trailseal(env, base...)
		if err != nil {
			return err
		}
		without = append(without, s)
		if s, err = b.trailseal(env, with...); err != nil {
			return err
		}
		stored = append(stored, s)
	}
	w0, w1 := median(without, wallOf), median(stored, wallOf)
	c0, c1 := median(without, cpuOf), median(stored, cpuOf)
	fmt.Printf("%-9s without store: wall %7s cpu %7s | with store: wall %7s cpu %7s | store adds wall %+5.1f%%, cpu %+5.1f%%\n",
		label, ms(w0), ms(c0), ms(w1), ms(c1), pct(w1, w0), pct(c1, c0))
	return nil
}

// grownStore writes grown runs into a new store with the binary, one
// process each as scans write them, then measures pairs as scanPairs. For
// SQLite it prints the files' sizes: the write-ahead log is emptied at
// every close, so it should be empty.
func (b *bench) grownStore(backend, snap string, grown, pairs int) error {
	url, err := b.newStore(backend, "grown")
	if err != nil {
		return err
	}
	out := filepath.Join(b.dir, "report.json")
	t0 := time.Now()
	for range grown {
		if _, err := b.trailseal(nil, "scan", "--format", "json", "--output", out, "--snapshot", snap, "--store="+url); err != nil {
			return err
		}
	}
	fmt.Printf("%s: %d runs written in %s", backend, grown, time.Since(t0).Round(time.Millisecond))
	if path, ok := strings.CutPrefix(url, "sqlite:"); ok {
		for _, f := range []string{path, path + "-wal"} {
			if fi, err := os.Stat(f); err == nil {
				fmt.Printf(", %s %.1f MB", filepath.Base(f), float64(fi.Size())/1e6)
			}
		}
	}
	fmt.Println()
	return b.scanPairs(backend, url, pairs, nil, "--snapshot", snap)
}

func wallOf(s sample) time.Duration { return s.wall }
func cpuOf(s sample) time.Duration  { return s.cpu }

func median(ss []sample, f func(sample) time.Duration) time.Duration {
	ds := make([]time.Duration, len(ss))
	for i, s := range ss {
		ds[i] = f(s)
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

func pct(a, b time.Duration) float64 { return 100 * float64(a-b) / float64(b) }

// queries times history and diff on a store of runs runs and, as the
// baseline in the same run, on a store of 2 runs and 'trailseal version'.
func (b *bench) queries(backend, snapshot string, runs, repeat int) error {
	large, err := b.newStore(backend, "large")
	if err != nil {
		return err
	}
	small, err := b.newStore(backend, "small")
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := seedRuns(context.Background(), large, snapshot, runs); err != nil {
		return err
	}
	seeded := time.Since(t0)
	if err := seedRuns(context.Background(), small, snapshot, 2); err != nil {
		return err
	}
	fmt.Printf("%s: %d runs seeded in %s\n", backend, runs, seeded.Round(time.Millisecond))
	floor, err := b.timeCommand(repeat, "version")
	if err != nil {
		return err
	}
	fmt.Printf("  %-44s %8s\n", "trailseal version (process start-up)", ms(floor))
	for _, args := range [][]string{
		{"history"},
		{"history", "--limit", "0"},
		{"history", "--limit", "0", "--format", "json"},
		{"diff"},
		{"diff", "--format", "markdown"},
		{"diff", "1", "LAST", "--format", "json"},
	} {
		var times []time.Duration
		for _, url := range []string{large, small} {
			a := append(slices.Clone(args), "--store", url)
			if a[1] == "1" {
				a[2] = fmt.Sprint(map[string]int{large: runs, small: 2}[url])
			}
			d, err := b.timeCommand(repeat, a...)
			if err != nil {
				return err
			}
			times = append(times, d)
		}
		fmt.Printf("  %-44s %8s on %d runs, %8s on 2 runs\n", "trailseal "+strings.Join(args, " "), ms(times[0]), runs, ms(times[1]))
	}
	return nil
}

// timeCommand returns the median wall time of repeat runs.
func (b *bench) timeCommand(repeat int, args ...string) (time.Duration, error) {
	var ss []sample
	for range repeat {
		s, err := b.trailseal(nil, args...)
		if err != nil {
			return 0, err
		}
		ss = append(ss, s)
	}
	return median(ss, wallOf), nil
}
