package cli

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trailseal/trailseal/internal/testenv"
)

// BenchmarkScanStore measures what a history store adds to a scan of the
// built-in sample account from its snapshot: no AWS call, so the store's
// share is as large as it can be. Every iteration runs the whole command
// twice, from flags to report file, once without and once with --store,
// so that the baseline is measured in the same run under the same load.
// With a store, every run also reads the previous one, compares, and
// writes itself: the store grows by b.N runs.
//
// Reported: the median wall time of each variant, the overhead of the
// store in wall time and in CPU time of this process (a PostgreSQL
// server's own CPU is not in it; its wall time is).
func BenchmarkScanStore(b *testing.B) {
	snap := filepath.Join(b.TempDir(), "sample.json")
	if code, _, stderr := runBench(b, "demo", "--save-snapshot", snap, "--skip-verify", "--format", "json"); code != ExitOK {
		b.Fatalf("demo: exit %d: %s", code, stderr)
	}
	out := filepath.Join(b.TempDir(), "report.json")
	base := []string{"scan", "--snapshot", snap, "--format", "json", "--output", out}
	compare := func(b *testing.B, storeURL string) {
		withStore := append(slices.Clone(base), "--store="+storeURL)
		var wallBase, wallStore []time.Duration
		var cpuBase, cpuStore time.Duration
		b.ResetTimer()
		for range b.N {
			w, c := timeScan(b, base)
			wallBase, cpuBase = append(wallBase, w), cpuBase+c
			w, c = timeScan(b, withStore)
			wallStore, cpuStore = append(wallStore, w), cpuStore+c
		}
		mb, ms := median(wallBase), median(wallStore)
		b.ReportMetric(float64(mb.Microseconds()), "base-µs")
		b.ReportMetric(float64(ms.Microseconds()), "store-µs")
		b.ReportMetric(100*float64(ms-mb)/float64(mb), "wall-overhead-%")
		b.ReportMetric(float64(cpuBase.Microseconds())/float64(b.N), "base-cpu-µs")
		b.ReportMetric(float64(cpuStore.Microseconds())/float64(b.N), "store-cpu-µs")
		b.ReportMetric(100*float64(cpuStore-cpuBase)/float64(cpuBase), "cpu-overhead-%")
	}
	b.Run("sqlite", func(b *testing.B) { compare(b, "sqlite:"+filepath.Join(b.TempDir(), "h.db")) })
	b.Run("postgres", func(b *testing.B) {
		pg, err := testenv.StartPostgres()
		if err != nil {
			b.Fatal(err)
		}
		defer pg.Stop()
		compare(b, pg.URL)
	})
}

// timeScan runs one scan and returns its wall time and this process's CPU
// time.
func timeScan(b *testing.B, args []string) (time.Duration, time.Duration) {
	c0, t0 := cpuTime(), time.Now()
	if code, _, stderr := runBench(b, args...); code != ExitFindings {
		b.Fatalf("%v: exit %d: %s", args, code, stderr)
	}
	return time.Since(t0), cpuTime() - c0
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func runBench(b *testing.B, args ...string) (int, string, string) {
	b.Helper()
	var stdout, stderr strings.Builder
	code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}
