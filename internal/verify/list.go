package verify

import (
	"context"
	"slices"
	"sort"
	"time"

	"golang.org/x/sync/errgroup"
)

func days(from, to time.Time) []time.Time {
	var out []time.Time
	d := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	for !d.After(to) {
		out = append(out, d)
		d = d.AddDate(0, 0, 1)
	}
	return out
}

// listDigests reads the digest day folders of every region in parallel.
func (v *verifier) listDigests(ctx context.Context, regions []string) ([]*digestState, error) {
	o := v.o
	var digests []*digestState
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Concurrency)
	// Digests ending up to an hour after --end-time still name logs
	// delivered before it.
	digestTo := o.End.Add(time.Hour)
	if o.handoff != nil {
		// The newest digest of an earlier location is the one the later
		// location links to; the next one is in the later location.
		digestTo = o.handoff.end
	}
	for _, region := range regions {
		for _, day := range days(o.Start, digestTo) {
			g.Go(func() error {
				var found []*digestState
				err := o.Store.List(gctx, o.Bucket, o.Layout.DigestDayPrefix(region, day), func(obj Object) error {
					name, ok := o.Layout.ParseDigestKey(obj.Key)
					if !ok || name.Region != region || name.End.Before(o.Start) || name.End.After(digestTo) {
						return nil
					}
					found = append(found, &digestState{region: region, bucket: o.Bucket, key: obj.Key, name: name, size: obj.Size})
					return nil
				})
				v.mu.Lock()
				digests = append(digests, found...)
				v.mu.Unlock()
				return err
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	sort.Slice(digests, func(i, j int) bool { return digests[i].key < digests[j].key })
	return digests, nil
}

// discoverRegions lists the source regions that have a digest folder or a
// log folder: a region whose digests were all deleted still has log files
// that must be accounted for.
func discoverRegions(ctx context.Context, st Store, bucket string, l Layout) ([]string, error) {
	digestDirs, logDirs, err := listRegionDirs(ctx, st, bucket, l)
	if err != nil {
		return nil, err
	}
	return mergeRegions(digestDirs, logDirs), nil
}

// listRegionDirs lists the region folders of digests and of log files,
// both at once.
func listRegionDirs(ctx context.Context, st Store, bucket string, l Layout) (digestDirs, logDirs []string, err error) {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		digestDirs, err = st.ListDirs(gctx, bucket, l.DigestRoot())
		return err
	})
	g.Go(func() (err error) {
		logDirs, err = st.ListDirs(gctx, bucket, l.LogRoot())
		return err
	})
	return digestDirs, logDirs, g.Wait()
}

// mergeRegions returns the sorted union of two lists of region folders.
func mergeRegions(a, b []string) []string {
	regions := slices.Clone(a)
	for _, r := range b {
		if !slices.Contains(regions, r) {
			regions = append(regions, r)
		}
	}
	sort.Strings(regions)
	return regions
}

// listLogs calls fn, from one goroutine, for every log file of region
// whose name puts it inside the period. Day folders are listed in parallel.
func (v *verifier) listLogs(ctx context.Context, region string, fn func(key string, t time.Time, size int64)) error {
	o := v.o
	from := o.Start
	if !v.logsFrom.IsZero() {
		from = v.logsFrom
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Concurrency)
	for _, day := range days(from, o.End) {
		g.Go(func() error {
			return o.Store.List(gctx, o.Bucket, o.Layout.LogDayPrefix(region, day), func(obj Object) error {
				t, ok := o.Layout.ParseLogKey(obj.Key, region)
				if ok && !t.Before(from) && !t.After(o.End) {
					v.mu.Lock()
					fn(obj.Key, t, obj.Size)
					v.mu.Unlock()
				}
				return nil
			})
		})
	}
	return g.Wait()
}
