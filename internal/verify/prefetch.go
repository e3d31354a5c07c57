package verify

import (
	"context"
	"io"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Prefetch is a Store that starts, in the background, the listings Run
// makes first (the region folders when no region is named, then every
// digest day folder of the period) and answers them from memory when Run
// asks. A caller starts it while it is still settling something else (the
// organization folder of the bucket, the bucket's region), so the first
// object reads begin a round trip earlier. If what it settles shows the
// guess was wrong (another layout, another region), it calls Stop and
// hands Run the plain store. Listings Run makes that were not prefetched,
// or a second time, go to the wrapped store.
type Prefetch struct {
	Store
	bucket string
	cancel context.CancelFunc

	mu    sync.Mutex
	lists map[string]*listing // by prefix, until taken
	dirs  map[string]*listing
}

type listing struct {
	done chan struct{}
	objs []Object
	dirs []string
	err  error
}

// StartPrefetch starts listing what Run lists first for a trail in bucket
// with layout l, for regions (all source regions when empty) over
// [start, end], at most concurrency listings at a time.
func StartPrefetch(ctx context.Context, st Store, bucket string, l Layout, regions []string, start, end time.Time, concurrency int) *Prefetch {
	ctx, cancel := context.WithCancel(ctx)
	p := &Prefetch{Store: st, bucket: bucket, cancel: cancel, lists: map[string]*listing{}, dirs: map[string]*listing{}}
	start, end = start.UTC(), end.UTC()
	// As Run: digests ending up to an hour after the period name logs of it.
	daysToList := days(start, end.Add(time.Hour))
	var roots []*listing
	var todo []prefixListing
	if len(regions) == 0 {
		for _, root := range []string{l.DigestRoot(), l.LogRoot()} {
			e := &listing{done: make(chan struct{})}
			p.dirs[root] = e
			roots = append(roots, e)
		}
	} else {
		todo = p.register(l, regions, daysToList)
	}
	go func() {
		if len(regions) == 0 {
			digestDirs, logDirs, err := listRegionDirs(ctx, st, bucket, l)
			roots[0].dirs, roots[1].dirs = digestDirs, logDirs
			roots[0].err, roots[1].err = err, err
			if err == nil {
				// Registered before the region listings are released, so
				// Run finds them when it goes on to the digest folders.
				todo = p.register(l, mergeRegions(digestDirs, logDirs), daysToList)
			}
			close(roots[0].done)
			close(roots[1].done)
		}
		g := new(errgroup.Group)
		g.SetLimit(max(concurrency, 1))
		for _, t := range todo {
			g.Go(func() error {
				e := t.listing
				e.err = st.List(ctx, bucket, t.prefix, func(o Object) error {
					e.objs = append(e.objs, o)
					return nil
				})
				close(e.done)
				return nil
			})
		}
		g.Wait()
	}()
	return p
}

type prefixListing struct {
	prefix string
	*listing
}

// register adds a pending listing for every digest day folder of regions
// and returns them, to be listed whether or not Run takes them first.
func (p *Prefetch) register(l Layout, regions []string, ds []time.Time) []prefixListing {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []prefixListing
	for _, r := range regions {
		for _, d := range ds {
			e := prefixListing{l.DigestDayPrefix(r, d), &listing{done: make(chan struct{})}}
			if p.lists != nil {
				p.lists[e.prefix] = e.listing
			}
			out = append(out, e)
		}
	}
	return out
}

// Stop abandons the listings not yet taken; later calls go to the wrapped
// store.
func (p *Prefetch) Stop() {
	p.cancel()
	p.mu.Lock()
	p.lists, p.dirs = nil, nil
	p.mu.Unlock()
}

// take removes and returns the prefetched listing (of folders when dirs)
// of prefix, if any.
func (p *Prefetch) take(dirs bool, bucket, prefix string) *listing {
	if bucket != p.bucket {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.lists
	if dirs {
		m = p.dirs
	}
	e := m[prefix]
	delete(m, prefix)
	return e
}

func wait(ctx context.Context, e *listing) error {
	select {
	case <-e.done:
		return e.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// List implements Store.
func (p *Prefetch) List(ctx context.Context, bucket, prefix string, fn func(Object) error) error {
	e := p.take(false, bucket, prefix)
	if e == nil {
		return p.Store.List(ctx, bucket, prefix, fn)
	}
	if err := wait(ctx, e); err != nil {
		return err
	}
	for _, o := range e.objs {
		if err := fn(o); err != nil {
			return err
		}
	}
	return nil
}

// ListDirs implements Store.
func (p *Prefetch) ListDirs(ctx context.Context, bucket, prefix string) ([]string, error) {
	e := p.take(true, bucket, prefix)
	if e == nil {
		return p.Store.ListDirs(ctx, bucket, prefix)
	}
	if err := wait(ctx, e); err != nil {
		return nil, err
	}
	return e.dirs, nil
}

// Versioning implements VersionStore when the wrapped store does.
func (p *Prefetch) Versioning(ctx context.Context, bucket string) (string, error) {
	if vs, ok := p.Store.(VersionStore); ok {
		return vs.Versioning(ctx, bucket)
	}
	return "", ErrNoVersions
}

// ListVersions implements VersionStore when the wrapped store does.
func (p *Prefetch) ListVersions(ctx context.Context, bucket, prefix string) ([]Version, error) {
	if vs, ok := p.Store.(VersionStore); ok {
		return vs.ListVersions(ctx, bucket, prefix)
	}
	return nil, ErrNoVersions
}

// OpenVersion implements VersionStore when the wrapped store does.
func (p *Prefetch) OpenVersion(ctx context.Context, bucket, key, versionID string) (io.ReadCloser, ObjectInfo, error) {
	if vs, ok := p.Store.(VersionStore); ok {
		return vs.OpenVersion(ctx, bucket, key, versionID)
	}
	return nil, ObjectInfo{}, ErrNoVersions
}
