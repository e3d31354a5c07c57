package verify_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/trailseal/trailseal/internal/verify"
	"github.com/trailseal/trailseal/internal/verify/chaingen"
)

// countingStore counts the listings that reach the store under it.
type countingStore struct {
	verify.Store
	mu    sync.Mutex
	lists map[string]int
	dirs  map[string]int
}

func newCountingStore(st verify.Store) *countingStore {
	return &countingStore{Store: st, lists: map[string]int{}, dirs: map[string]int{}}
}

func (c *countingStore) List(ctx context.Context, bucket, prefix string, fn func(verify.Object) error) error {
	c.mu.Lock()
	c.lists[prefix]++
	c.mu.Unlock()
	return c.Store.List(ctx, bucket, prefix, fn)
}

func (c *countingStore) ListDirs(ctx context.Context, bucket, prefix string) ([]string, error) {
	c.mu.Lock()
	c.dirs[prefix]++
	c.mu.Unlock()
	return c.Store.ListDirs(ctx, bucket, prefix)
}

// TestPrefetchAnswersRunListings runs the same offline verification with
// and without a Prefetch in front of the store, with regions named and
// discovered, and with one tampered log file: the reports must be equal,
// and no folder may be listed twice.
func TestPrefetchAnswersRunListings(t *testing.T) {
	s := newSpec("prefetch-bucket", "us-east-1", "eu-west-1")
	a := generate(t, s)
	a.Get(a.LogKeys("eu-west-1")[2]).Body = chaingen.Gzip([]byte(`{"Records":[]}`)) // one modified log file
	dir := t.TempDir()
	if err := a.WriteDir(dir, true); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, regions := range [][]string{nil, {"eu-west-1", "us-east-1"}} {
		o := options(a)
		o.Store, o.Offline, o.Regions = verify.DirStore{Root: dir}, true, regions
		want := run(t, o)

		counted := newCountingStore(verify.DirStore{Root: dir})
		p := verify.StartPrefetch(ctx, counted, s.Bucket, s.Layout, regions, o.Start, o.End, 4)
		o.Store = p
		got := run(t, o)
		p.Stop()
		byKey := cmpopts.SortSlices(func(a, b verify.Item) bool { return a.Key < b.Key })
		if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(verify.Report{}), byKey); diff != "" {
			t.Errorf("regions %v: report with prefetch differs (-without +with):\n%s", regions, diff)
		}
		if !hasFinding(got, verify.LogModified) {
			t.Errorf("regions %v: the modified log file was not reported", regions)
		}
		digestDays := 0
		for prefix, n := range counted.lists {
			if n != 1 {
				t.Errorf("regions %v: %s listed %d times", regions, prefix, n)
			}
			if strings.Contains(prefix, "CloudTrail-Digest/") {
				digestDays++
			}
		}
		if digestDays == 0 {
			t.Errorf("regions %v: no digest folder was listed through the prefetch", regions)
		}
		for prefix, n := range counted.dirs {
			if n != 1 {
				t.Errorf("regions %v: folders of %s listed %d times", regions, prefix, n)
			}
		}
	}
}

// TestPrefetchTakenEarlyAndStopped asks for a prefetched folder before the
// background listing can have started (it must still be answered, not
// hang), and for one after Stop (it must go to the store, not fail with the
// prefetch's cancelled context).
func TestPrefetchTakenEarlyAndStopped(t *testing.T) {
	s := newSpec("prefetch-early")
	a := generate(t, s)
	dir := t.TempDir()
	if err := a.WriteDir(dir, true); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	first := s.Layout.DigestDayPrefix("us-east-1", s.First)
	for _, stopFirst := range []bool{false, true} {
		p := verify.StartPrefetch(ctx, verify.DirStore{Root: dir}, s.Bucket, s.Layout, []string{"us-east-1"}, periodS, periodE, 1)
		if stopFirst {
			p.Stop()
		}
		var keys []string
		err := p.List(ctx, s.Bucket, first, func(o verify.Object) error {
			keys = append(keys, o.Key)
			return nil
		})
		if err != nil || len(keys) != s.Hours {
			t.Errorf("stopped=%v: listed %d digests (%v), want %d", stopFirst, len(keys), err, s.Hours)
		}
		p.Stop()
	}
}

func hasFinding(r *verify.Report, reason verify.Reason) bool {
	for _, items := range [][]verify.Item{r.Digests, r.Logs} {
		for _, it := range items {
			if hasReason(it.Reasons, reason) {
				return true
			}
		}
	}
	return false
}
