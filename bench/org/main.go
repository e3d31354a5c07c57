// Command org benchmarks the organization scan against moto_server: an
// organization of -accounts accounts, each scanned in -regions regions,
// behind a proxy adding -latency to every request, then the same scan with
// -throttle of the requests answered by a throttling error.
//
// It prints the figures that bench/org/RESULTS.md records, including the
// lower bound of the run: the larger of (API calls x latency / concurrency)
// and (API calls / the emulator's own request rate, measured first in the
// same run with no proxy in between).
//
//	go run ./bench/org -accounts 200 -regions 17
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/orgscan"
	"github.com/trailseal/trailseal/internal/rules"
	"github.com/trailseal/trailseal/internal/testenv"
)

// allRegions are the 17 regions enabled by default in a commercial account.
var allRegions = []string{
	"us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1",
	"eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1",
	"ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ap-southeast-1", "ap-southeast-2", "sa-east-1",
}

func main() {
	accounts := flag.Int("accounts", 200, "accounts in the organization, management account included")
	nRegions := flag.Int("regions", 17, "regions scanned in every account (at most 17)")
	latency := flag.Duration("latency", 30*time.Millisecond, "delay the proxy adds to every request")
	throttle := flag.Float64("throttle", 0.1, "fraction of requests answered with a throttling error in the second run (0 skips it)")
	concurrency := flag.Int("concurrency", orgscan.DefaultConcurrency, "API calls in flight")
	rateProbe := flag.Int("rate-requests", 3000, "requests sent straight to moto to measure its own rate")
	flag.Parse()
	if err := run(*accounts, min(*nRegions, len(allRegions)), *latency, *throttle, *concurrency, *rateProbe); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(nAccounts, nRegions int, latency time.Duration, throttle float64, concurrency, probe int) error {
	ctx := context.Background()
	regions := allRegions[:nRegions]
	moto, err := testenv.StartMoto()
	if err != nil {
		return err
	}
	defer moto.Stop()

	t0 := time.Now()
	if err := seed(ctx, moto.Endpoint, nAccounts); err != nil {
		return err
	}
	fmt.Printf("dataset: %d accounts (1 management with a multi-region organization trail, 1 log archive owning its bucket, %d members with a local trail and bucket each), %d regions; seeded in %s\n",
		nAccounts, nAccounts-2, nRegions, time.Since(t0).Round(time.Millisecond))

	rate, err := motoRate(ctx, moto.Endpoint, concurrency, probe)
	if err != nil {
		return err
	}
	fmt.Printf("moto alone: %.0f requests/s (%d cloudtrail:DescribeTrails, %d in flight, no proxy)\n", rate, probe, concurrency)

	proxy, err := testenv.StartProxy(moto.Endpoint)
	if err != nil {
		return err
	}
	defer proxy.Close()

	proxy.Intercept(testenv.Latency(latency))
	base, baseFindings, err := scan(ctx, proxy.URL, regions, concurrency)
	if err != nil {
		return err
	}
	report("latency run", base, latency, concurrency, rate)

	if throttle > 0 {
		th, throttled := testenv.Throttle(throttle)
		proxy.Intercept(testenv.Chain(testenv.Latency(latency), th))
		stormy, stormyFindings, err := scan(ctx, proxy.URL, regions, concurrency)
		if err != nil {
			return err
		}
		report(fmt.Sprintf("throttled run (%.0f%% throttled)", throttle*100), stormy, latency, concurrency, rate)
		fmt.Printf("  proxy throttled %d requests; time vs latency run: %.2fx\n", throttled.Load(), stormy.elapsed.Seconds()/base.elapsed.Seconds())
		diff := compare(baseFindings, stormyFindings)
		if diff == "" {
			fmt.Printf("  findings: identical to the latency run (%d findings)\n", len(baseFindings))
		} else {
			fmt.Printf("  findings DIFFER from the latency run: %s\n", diff)
		}
	}
	fmt.Printf("peak resident memory of this process (VmHWM, seeding included): %s\n", vmHWM())
	return nil
}

// seed creates the organization: accounts, the log archive bucket, the
// organization trail, and a trail with its own bucket in every member.
func seed(ctx context.Context, endpoint string, n int) error {
	cfg, err := testenv.Config(ctx, endpoint, "us-east-1")
	if err != nil {
		return err
	}
	names := []string{"log-archive"}
	for i := 1; i < n-1; i++ {
		names = append(names, fmt.Sprintf("member-%03d", i))
	}
	_, ids, err := testenv.CreateOrganization(ctx, cfg, names...)
	if err != nil {
		return err
	}
	archive, err := testenv.AssumeConfig(ctx, cfg, ids["log-archive"])
	if err != nil {
		return err
	}
	if err := testenv.CreateBucket(ctx, archive, "bench-org-archive"); err != nil {
		return err
	}
	if _, err := testenv.CreateLoggingTrail(ctx, archive, &cloudtrail.CreateTrailInput{
		Name: aws.String("archive-local"), S3BucketName: aws.String("bench-org-archive"), IsMultiRegionTrail: aws.Bool(true)}); err != nil {
		return err
	}
	if _, err := testenv.CreateLoggingTrail(ctx, cfg, &cloudtrail.CreateTrailInput{
		Name: aws.String("org-trail"), S3BucketName: aws.String("bench-org-archive"),
		IsMultiRegionTrail: aws.Bool(true), IsOrganizationTrail: aws.Bool(true), EnableLogFileValidation: aws.Bool(true)}); err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	for _, name := range names[1:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			mc, err := testenv.AssumeConfig(ctx, cfg, ids[name])
			if err == nil {
				err = testenv.CreateBucket(ctx, mc, "bench-"+name)
			}
			if err == nil {
				_, err = testenv.CreateLoggingTrail(ctx, mc, &cloudtrail.CreateTrailInput{
					Name: aws.String("local"), S3BucketName: aws.String("bench-" + name)})
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// motoRate sends probe DescribeTrails requests straight to moto, n at a
// time, and returns the requests answered per second.
func motoRate(ctx context.Context, endpoint string, n, probe int) (float64, error) {
	cfg, err := testenv.Config(ctx, endpoint, "us-east-1")
	if err != nil {
		return 0, err
	}
	client := cloudtrail.NewFromConfig(cfg)
	var left atomic.Int64
	left.Store(int64(probe))
	var failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				if _, err := client.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{}); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return 0, fmt.Errorf("%d of %d probe requests failed", f, probe)
	}
	return float64(probe) / time.Since(start).Seconds(), nil
}

type runStats struct {
	elapsed           time.Duration
	attempts          int64
	throttles         int64
	accounts, scanned int
	callsPerAccount   float64
	peakHeap          uint64
}

func scan(ctx context.Context, endpoint string, regions []string, concurrency int) (runStats, []findings.Finding, error) {
	cfg, err := testenv.Config(ctx, endpoint, "us-east-1")
	if err != nil {
		return runStats{}, nil, err
	}
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if v := ms.HeapInuse + ms.StackInuse; v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	res, err := orgscan.Scan(ctx, cfg, orgscan.Options{RoleName: "TrailsealAudit", Regions: regions, Concurrency: concurrency})
	close(stop)
	<-sampled
	if err != nil {
		return runStats{}, nil, err
	}
	st := runStats{elapsed: res.Elapsed, attempts: res.Attempts, throttles: res.Throttles, accounts: len(res.Accounts), peakHeap: peak.Load()}
	calls := 0
	for _, r := range res.Accounts {
		if r.Inventory == nil {
			continue
		}
		st.scanned++
		for _, c := range r.Inventory.Calls {
			calls += c
		}
	}
	if st.scanned > 0 {
		st.callsPerAccount = float64(calls) / float64(st.scanned)
	}
	return st, orgscan.Evaluate(res, rules.All(), rules.DefaultOptions(), true), nil
}

func report(name string, st runStats, latency time.Duration, concurrency int, rate float64) {
	byLatency := time.Duration(float64(st.attempts) * float64(latency) / float64(concurrency))
	byMoto := time.Duration(float64(st.attempts) / rate * float64(time.Second))
	bound := max(byLatency, byMoto)
	fmt.Printf("%s: %d accounts (%d scanned), wall %s, %d HTTP attempts (%d throttled), %.1f collector calls per account\n",
		name, st.accounts, st.scanned, st.elapsed.Round(time.Millisecond), st.attempts, st.throttles, st.callsPerAccount)
	fmt.Printf("  lower bound %s = max(attempts x latency / concurrency = %s, attempts / moto rate = %s); wall / bound = %.2f\n",
		bound.Round(time.Millisecond), byLatency.Round(time.Millisecond), byMoto.Round(time.Millisecond), st.elapsed.Seconds()/bound.Seconds())
	fmt.Printf("  peak Go heap+stack in use during the scan: %.0f MB\n", float64(st.peakHeap)/(1<<20))
}

func compare(a, b []findings.Finding) string {
	want := map[string]findings.Status{}
	for _, f := range a {
		want[f.ID] = f.Status
	}
	var diffs []string
	seen := map[string]bool{}
	for _, f := range b {
		seen[f.ID] = true
		if st, ok := want[f.ID]; !ok || st != f.Status {
			diffs = append(diffs, fmt.Sprintf("%s %s %s: %s (was %s)", f.RuleID, f.Account, f.Resource, f.Status, st))
		}
	}
	for id := range want {
		if !seen[id] {
			diffs = append(diffs, "missing "+id)
		}
	}
	if len(diffs) > 5 {
		diffs = append(diffs[:5], fmt.Sprintf("... %d more", len(diffs)-5))
	}
	return strings.Join(diffs, "; ")
}

func vmHWM() string {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))
		}
	}
	return "unknown"
}
