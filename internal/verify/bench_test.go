package verify_test

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/trailseal/trailseal/internal/verify"
	"github.com/trailseal/trailseal/internal/verify/chaingen"
)

// benchArchive is two days of one region, 10 log files of about 256 KiB
// (uncompressed) per hourly digest, written to disk once per run.
var benchArchive struct {
	once  sync.Once
	dir   string
	spec  chaingen.Spec
	logs  []string
	bytes int64
	err   error
}

func loadBenchArchive(b *testing.B) {
	b.Helper()
	benchArchive.once.Do(func() {
		s := newSpec("bench-bucket")
		s.Hours, s.LogsPerDigest, s.LogBytes = 48, 10, 256<<10
		a, err := chaingen.Generate(s)
		if err != nil {
			benchArchive.err = err
			return
		}
		dir, err := os.MkdirTemp("", "trailseal-bench-*")
		if err != nil {
			benchArchive.err = err
			return
		}
		benchArchive.dir, benchArchive.spec = dir, s
		benchArchive.err = a.WriteDir(dir, true)
		for _, k := range a.LogKeys("us-east-1") {
			benchArchive.logs = append(benchArchive.logs, filepath.Join(dir, "bench-bucket", filepath.FromSlash(k)))
			benchArchive.bytes += int64(len(chaingen.Gunzip(a.Get(k).Body)))
		}
	})
	if benchArchive.err != nil {
		b.Fatal(benchArchive.err)
	}
}

// BenchmarkVerifyFromDir measures verify over an offline copy; MB/s is
// uncompressed log data. Compare with BenchmarkGunzipSHA256Bound.
func BenchmarkVerifyFromDir(b *testing.B) {
	loadBenchArchive(b)
	s := benchArchive.spec
	o := verify.Options{Store: verify.DirStore{Root: benchArchive.dir}, Bucket: s.Bucket, Layout: s.Layout,
		Start: periodS, End: first.Add(48 * time.Hour), Keys: allKeys(), Concurrency: 8, Now: testNow, Offline: true}
	b.SetBytes(benchArchive.bytes)
	b.ResetTimer()
	for b.Loop() {
		r, err := verify.Run(context.Background(), o)
		if err != nil {
			b.Fatal(err)
		}
		if r.Outcome != verify.OutcomeValid {
			b.Fatalf("outcome %s", r.Outcome)
		}
	}
}

// BenchmarkGunzipSHA256Bound is the bound: gunzip and SHA-256 of the same
// log files and nothing else, with as many workers as verify uses and one
// reused gzip reader per worker.
func BenchmarkGunzipSHA256Bound(b *testing.B) {
	loadBenchArchive(b)
	b.SetBytes(benchArchive.bytes)
	b.ResetTimer()
	for b.Loop() {
		work := make(chan string)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				var zr *gzip.Reader
				buf := make([]byte, 32<<10)
				for p := range work {
					f, err := os.Open(p)
					if err != nil {
						b.Error(err)
						continue
					}
					if zr == nil {
						zr, err = gzip.NewReader(f)
					} else {
						err = zr.Reset(f)
					}
					if err != nil {
						b.Error(err)
					} else {
						h := sha256.New()
						io.CopyBuffer(h, zr, buf)
						h.Sum(nil)
					}
					f.Close()
				}
			})
		}
		for _, p := range benchArchive.logs {
			work <- p
		}
		close(work)
		wg.Wait()
	}
}
