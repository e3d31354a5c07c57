package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/trailseal/trailseal/internal/verify"
)

func main() {
	f, _ := os.Open("/tmp/memgen/keys.json")
	keys, err := verify.ReadKeysFile(f)
	if err != nil {
		panic(err)
	}
	o := verify.Options{Store: verify.DirStore{Root: "/tmp/memgen"}, Bucket: "mem-trail",
		Layout: verify.Layout{AccountID: "123456789012", TrailName: "bench", HomeRegion: "us-east-1"},
		Regions: []string{"us-east-1"},
		Start:   time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2027, 2, 22, 0, 1, 31, 0, time.UTC),
		Keys: keys, Concurrency: 32, Offline: true}
	start := time.Now()
	go func() {
		var max uint64
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > max {
				max = ms.HeapInuse
				fmt.Println("t", time.Since(start).Round(time.Millisecond), "heapinuse", ms.HeapInuse>>20, "stack", ms.StackInuse>>20, "goroutines", runtime.NumGoroutine())
				if ms.HeapInuse > 90<<20 && max < 1<<40 {
					runtime.GC()
					runtime.ReadMemStats(&ms)
					fmt.Println("after GC", ms.HeapInuse>>20, "NextGC", ms.NextGC>>20, "numgc", ms.NumGC)
					pf, _ := os.Create("/tmp/memgen/peak.prof")
					pprof.WriteHeapProfile(pf)
					pf.Close()
					max = 1 << 41
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	r, err := verify.Run(context.Background(), o)
	if err != nil {
		panic(err)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Println(r.Outcome, "heap in use after run", ms.HeapInuse>>20, "MB", "total alloc", ms.TotalAlloc>>20, "MB", "sys", ms.Sys>>20)
	pf, _ := os.Create("/tmp/memgen/heap.prof")
	pprof.WriteHeapProfile(pf)
	pf.Close()
	_ = r
}
