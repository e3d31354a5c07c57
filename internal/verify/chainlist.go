package verify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// chainListing lists one chain's digest and log folders (one account and
// source region) for a range of days, once and before any object of the
// chain is read, and then answers Run's per-day List calls from what it
// listed. Listing first is what makes the day fingerprints sound: a file
// deleted or replaced after the listing shows in the next run's listing,
// never in this one's fingerprint. With a RangeLister it takes one
// paginated request per 1,000 keys for the whole period instead of one per
// day folder. Everything else (other buckets, other prefixes, reads, the
// versions of missing objects) goes to the wrapped store.
type chainListing struct {
	Store
	bucket     string
	layout     Layout
	region     string
	digestRoot string // <base>/CloudTrail-Digest/<region>/
	logRoot    string // <base>/CloudTrail/<region>/

	mu      sync.Mutex
	digests map[string][]listed // by day folder, "2006/01/02"
	logs    map[string][]listed
	from    string // first and last day listed
	to      string
}

// listed is one object of a chain's folders with the time its name gives
// (a digest's end time, a log file's delivery minute); zero for an object
// that is not this trail's digest or this account's log file.
type listed struct {
	Object
	t time.Time
}

const dayLayout = "2006/01/02"

// listChain lists the chain's folders for the days from..to.
func listChain(ctx context.Context, st Store, bucket string, l Layout, region string, from, to time.Time) (*chainListing, error) {
	c := &chainListing{Store: st, bucket: bucket, layout: l, region: region,
		digestRoot: l.DigestRoot() + region + "/", logRoot: l.LogRoot() + region + "/",
		digests: map[string][]listed{}, logs: map[string][]listed{},
		from: from.UTC().Format(dayLayout), to: to.UTC().Format(dayLayout)}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return c.listRoot(gctx, c.digestRoot, from, to, c.digests, func(key string) time.Time {
			if n, ok := l.ParseDigestKey(key); ok && n.Region == region {
				return n.End
			}
			return time.Time{}
		})
	})
	g.Go(func() error {
		return c.listRoot(gctx, c.logRoot, from, to, c.logs, func(key string) time.Time {
			t, _ := l.ParseLogKey(key, region)
			return t
		})
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *chainListing) listRoot(ctx context.Context, root string, from, to time.Time, into map[string][]listed, timeOf func(string) time.Time) error {
	add := func(day string, o Object) {
		c.mu.Lock()
		into[day] = append(into[day], listed{o, timeOf(o.Key)})
		c.mu.Unlock()
	}
	if rl, ok := c.Store.(RangeLister); ok {
		// Keys sort by day folder (yyyy/mm/dd): start just before the first
		// day and stop after the last one.
		return rl.ListFrom(ctx, c.bucket, root, root+c.from, func(o Object) error {
			rest := o.Key[len(root):]
			if len(rest) < len(dayLayout)+1 || rest[len(dayLayout)] != '/' {
				if rest > c.to {
					return ErrStopListing
				}
				return nil // not in a day folder
			}
			day := rest[:len(dayLayout)]
			if day > c.to {
				return ErrStopListing
			}
			if day >= c.from {
				add(day, o)
			}
			return nil
		})
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, d := range days(from, to) {
		day := d.Format(dayLayout)
		g.Go(func() error {
			return c.Store.List(gctx, c.bucket, root+day+"/", func(o Object) error {
				add(day, o)
				return nil
			})
		})
	}
	return g.Wait()
}

// served returns the listing of prefix when it is a day folder of the
// chain within the listed days.
func (c *chainListing) served(bucket, prefix string) ([]listed, bool) {
	if bucket != c.bucket {
		return nil, false
	}
	for _, root := range []string{c.digestRoot, c.logRoot} {
		day, ok := strings.CutPrefix(prefix, root)
		if !ok || len(day) != len(dayLayout)+1 || !strings.HasSuffix(day, "/") {
			continue
		}
		day = day[:len(dayLayout)]
		if day < c.from || day > c.to {
			return nil, false
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if root == c.digestRoot {
			return c.digests[day], true
		}
		return c.logs[day], true
	}
	return nil, false
}

// List implements Store.
func (c *chainListing) List(ctx context.Context, bucket, prefix string, fn func(Object) error) error {
	objs, ok := c.served(bucket, prefix)
	if !ok {
		return c.Store.List(ctx, bucket, prefix, fn)
	}
	for _, o := range objs {
		if err := fn(o.Object); err != nil {
			return err
		}
	}
	return nil
}

// Versioning implements VersionStore when the wrapped store does.
func (c *chainListing) Versioning(ctx context.Context, bucket string) (string, error) {
	if vs, ok := c.Store.(VersionStore); ok {
		return vs.Versioning(ctx, bucket)
	}
	return "", ErrNoVersions
}

// ListVersions implements VersionStore when the wrapped store does.
func (c *chainListing) ListVersions(ctx context.Context, bucket, prefix string) ([]Version, error) {
	if vs, ok := c.Store.(VersionStore); ok {
		return vs.ListVersions(ctx, bucket, prefix)
	}
	return nil, ErrNoVersions
}

// OpenVersion implements VersionStore when the wrapped store does.
func (c *chainListing) OpenVersion(ctx context.Context, bucket, key, versionID string) (io.ReadCloser, ObjectInfo, error) {
	if vs, ok := c.Store.(VersionStore); ok {
		return vs.OpenVersion(ctx, bucket, key, versionID)
	}
	return nil, ObjectInfo{}, ErrNoVersions
}

// Cutoff says which objects of a chain's day folders a fingerprint covers:
// the part of the chain a run verified completely. A later delivery (a
// newer digest, a log file whose digest is still to come) does not change
// it; a deletion or replacement of anything verified does.
type Cutoff struct {
	// DigestsThrough: digests that end at or before it (the checkpoint).
	DigestsThrough time.Time `json:"digestsThrough"`
	// LogsBefore: log files delivered before it were checked, named or not.
	LogsBefore time.Time `json:"logsBefore"`
	// Named are log files delivered later that a verified digest named
	// and that were read (keys in the chain's bucket).
	Named []string `json:"named,omitempty"`
}

// lastDay is the last day folder the cutoff reaches into.
func (k Cutoff) lastDay() time.Time {
	last := k.DigestsThrough
	if k.LogsBefore.After(last) {
		last = k.LogsBefore
	}
	for _, key := range k.Named {
		if i := strings.Index(key, "/CloudTrail/"); i >= 0 {
			// .../CloudTrail/<region>/yyyy/mm/dd/<name>
			parts := strings.SplitN(key[i+len("/CloudTrail/"):], "/", 5)
			if len(parts) == 5 {
				if d, err := time.Parse(dayLayout, strings.Join(parts[1:4], "/")); err == nil && d.After(last) {
					last = d
				}
			}
		}
	}
	return last
}

// fingerprints returns the fingerprint of every day folder from the first
// listed day to the last one the cutoff reaches into: the SHA-256 over the
// sorted key, size and ETag of the digests and log files the cutoff
// covers, digests first (their keys sort first).
func (c *chainListing) fingerprints(k Cutoff) (map[string]string, error) {
	last := k.lastDay().Format(dayLayout)
	if last > c.to {
		return nil, fmt.Errorf("the cutoff %s is after the last day listed, %s", last, c.to)
	}
	from, err := time.Parse(dayLayout, c.from)
	if err != nil {
		return nil, err
	}
	to, _ := time.Parse(dayLayout, last)
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]string{}
	for _, d := range days(from, to) {
		day := d.Format(dayLayout)
		h := sha256.New()
		write := func(o listed) {
			fmt.Fprintf(h, "%s\t%d\t%s\n", o.Key, o.Size, strings.Trim(o.ETag, `"`))
		}
		for _, o := range sortedListing(c.digests[day]) {
			if !o.t.IsZero() && !o.t.After(k.DigestsThrough) {
				write(o)
			}
		}
		for _, o := range sortedListing(c.logs[day]) {
			if !o.t.IsZero() && (o.t.Before(k.LogsBefore) || slices.Contains(k.Named, o.Key)) {
				write(o)
			}
		}
		out[day] = hex.EncodeToString(h.Sum(nil))
	}
	return out, nil
}

func sortedListing(l []listed) []listed {
	if slices.IsSortedFunc(l, func(a, b listed) int { return strings.Compare(a.Key, b.Key) }) {
		return l
	}
	s := slices.Clone(l)
	slices.SortFunc(s, func(a, b listed) int { return strings.Compare(a.Key, b.Key) })
	return s
}

// errNoCutoff: a chain whose run cannot give a checkpoint (nothing clean
// to record).
var errNoCutoff = errors.New("no checkpoint")
