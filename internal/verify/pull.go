package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trailseal/trailseal/internal/awsclient"
)

// PullOptions select what Pull copies.
type PullOptions struct {
	Store       Store
	Bucket      string
	Layout      Layout
	Regions     []string
	Start, End  time.Time
	Dest        string
	Concurrency int
	Progress    Progress

	// until and visited are set when Pull follows a chain into the bucket
	// or prefix a trail used before it was moved.
	until   time.Time
	visited map[string]bool
}

// PullStats counts what Pull copied.
type PullStats struct {
	Digests int
	Logs    int
	Bytes   int64
	// Missing lists objects a digest names that could not be found; they
	// are evidence too, and verify will report them.
	Missing []string
	// Failed lists objects that could not be copied, with the error.
	Failed []string
	// Earlier lists the locations (s3://bucket[/prefix]) the chain was
	// followed into because the trail was moved within the period.
	Earlier []string
}

// Pull copies a period's digests and log files to Dest/<bucket>/<key>,
// keeping each object's S3 user metadata (the digest signature) in a
// <key>.metadata.json file, so the copy can be verified offline. It copies
// the log files every digest names, wherever they are, and every log file
// in the period's folders, named or not. Like Run, it is a list of phases.
func Pull(ctx context.Context, o PullOptions) (*PullStats, error) {
	if o.Concurrency <= 0 {
		o.Concurrency = 32
	}
	o.Start, o.End = o.Start.UTC(), o.End.UTC()
	p := &puller{o: o, stats: &PullStats{}, named: map[string][2]string{}, linked: map[[2]string]string{},
		v: &verifier{o: Options{Store: o.Store, Bucket: o.Bucket, Layout: o.Layout, Start: o.Start, End: o.End, Concurrency: o.Concurrency,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}}}
	if !o.until.IsZero() {
		p.v.o.handoff = &handoff{end: o.until}
	}
	for _, step := range []func(context.Context) error{
		p.listDigests,   // the period's digests, as verify lists them
		p.copyDigests,   // each one, noting the logs it names and the digest it links to
		p.copyLinked,    // the digests linked to (the one before --start-time, or an earlier location's)
		p.copyLogs,      // every named log file and every log file in the period's folders
		p.followEarlier, // the locations the trail was moved from
	} {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	sort.Strings(p.stats.Earlier)
	sort.Strings(p.stats.Missing)
	sort.Strings(p.stats.Failed)
	return p.stats, nil
}

// puller is the state of one Pull.
type puller struct {
	o       PullOptions
	v       *verifier
	regions []string
	digests []*digestState
	stats   *PullStats
	bytes   atomic.Int64
	mu      sync.Mutex
	named   map[string][2]string // bucket/key -> bucket, key
	linked  map[[2]string]string // -> region of the linking digest
	earlier []PullOptions
	targets []string // the linked digest of each earlier location
}

func (p *puller) listDigests(ctx context.Context) error {
	o := p.o
	p.regions = o.Regions
	if len(p.regions) == 0 {
		var err error
		if p.regions, err = discoverRegions(ctx, o.Store, o.Bucket, o.Layout); err != nil {
			return err
		}
	}
	var err error
	if p.digests, err = p.v.listDigests(ctx, p.regions); err != nil {
		return err
	}
	if o.Progress != nil {
		size := int64(0)
		for _, d := range p.digests {
			size += d.size
		}
		o.Progress.Plan(len(p.digests), size)
	}
	return nil
}

// copy copies one object and counts it (as a digest when keep) or notes
// it missing or failed; keep also returns the bytes.
func (p *puller) copy(ctx context.Context, bucket, key string, keep bool) ([]byte, bool, error) {
	data, n, err := copyObject(ctx, p.o, bucket, key, keep)
	p.bytes.Add(n)
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case errors.Is(err, ErrNotFound):
		p.stats.Missing = append(p.stats.Missing, bucket+"/"+key)
		return nil, false, nil
	case err != nil:
		p.stats.Failed = append(p.stats.Failed, fmt.Sprintf("%s/%s: %v", bucket, key, err))
		return nil, false, ctx.Err()
	case keep:
		p.stats.Digests++
	default:
		p.stats.Logs++
	}
	return data, true, nil
}

func (p *puller) copyDigests(ctx context.Context) error {
	// The digests the listed ones link to: the one before --start-time is
	// needed offline to check the first link of the period.
	listed := map[[2]string]bool{}
	for _, ds := range p.digests {
		listed[[2]string{ds.bucket, ds.key}] = true
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.o.Concurrency)
	for _, ds := range p.digests {
		g.Go(func() error {
			data, ok, err := p.copy(gctx, ds.bucket, ds.key, true)
			if !ok {
				return err
			}
			var d struct {
				LogFiles               []LogFile `json:"logFiles"`
				PreviousDigestS3Bucket string    `json:"previousDigestS3Bucket"`
				PreviousDigestS3Object string    `json:"previousDigestS3Object"`
			}
			// A digest that does not parse is still copied; verify reports it.
			if raw, err := gunzipAll(data); err == nil && json.Unmarshal(raw, &d) == nil {
				p.mu.Lock()
				defer p.mu.Unlock()
				for _, l := range d.LogFiles {
					p.named[l.S3Bucket+"/"+l.S3Object] = [2]string{l.S3Bucket, l.S3Object}
				}
				if prev := [2]string{d.PreviousDigestS3Bucket, d.PreviousDigestS3Object}; prev[0] != "" && prev[1] != "" && !listed[prev] {
					p.linked[prev] = ds.region
				}
			}
			return nil
		})
	}
	return g.Wait()
}

func (p *puller) copyLinked(ctx context.Context) error {
	o := p.o
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Concurrency)
	visited := o.visited
	if visited == nil {
		visited = map[string]bool{o.Bucket + "/" + o.Layout.Prefix: true}
	}
	for bk, region := range p.linked {
		if l, name, ok := o.Layout.withPrefixOf(bk[1]); ok && name.Region == region && !name.End.Before(o.Start) &&
			!visited[bk[0]+"/"+l.Prefix] && len(visited) < maxLocations {
			// The trail was moved inside the period: copy the old
			// location's part of it as well, as verify will read it.
			visited[bk[0]+"/"+l.Prefix] = true
			so := o
			so.Bucket, so.Layout, so.Regions, so.End, so.until, so.visited = bk[0], l, []string{region}, name.End, name.End, visited
			p.earlier = append(p.earlier, so)
			p.targets = append(p.targets, bk[1])
			continue
		}
		g.Go(func() error {
			_, _, err := p.copy(gctx, bk[0], bk[1], true)
			return err
		})
	}
	return g.Wait()
}

func (p *puller) copyLogs(ctx context.Context) error {
	o := p.o
	for _, region := range p.regions {
		err := p.v.listLogs(ctx, region, func(key string, _ time.Time, _ int64) {
			p.named[o.Bucket+"/"+key] = [2]string{o.Bucket, key}
		})
		if err != nil {
			return err
		}
	}
	if o.Progress != nil {
		o.Progress.Plan(len(p.named), 0)
	}
	ids := make([]string, 0, len(p.named))
	for id := range p.named {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Concurrency)
	for _, id := range ids {
		bk := p.named[id]
		g.Go(func() error {
			_, _, err := p.copy(gctx, bk[0], bk[1], false)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	p.stats.Bytes = p.bytes.Load()
	return nil
}

func (p *puller) followEarlier(ctx context.Context) error {
	stats := p.stats
	for i, so := range p.earlier {
		sub, err := Pull(ctx, so)
		if err != nil {
			return fmt.Errorf("follow the chain into s3://%s/%s: %w", so.Bucket, so.Layout.Prefix, err)
		}
		stats.Earlier = append(stats.Earlier, location(so.Bucket, so.Layout.Prefix))
		stats.Earlier = append(stats.Earlier, sub.Earlier...)
		stats.Digests += sub.Digests
		stats.Logs += sub.Logs
		stats.Bytes += sub.Bytes
		stats.Missing = append(stats.Missing, sub.Missing...)
		stats.Failed = append(stats.Failed, sub.Failed...)
		// The old location's listing stops at the linked digest: if it was
		// not copied, it is gone.
		if path, err := (DirStore{Root: p.o.Dest}).path(so.Bucket, p.targets[i]); err == nil {
			if _, err := os.Stat(path); err != nil {
				stats.Missing = append(stats.Missing, so.Bucket+"/"+p.targets[i])
			}
		}
	}
	return nil
}

// copyObject writes one object (and its metadata) under Dest through a
// temporary file, so an interrupted pull leaves no truncated evidence.
// Digests (keep) are also returned in memory to find the logs they name.
func copyObject(ctx context.Context, o PullOptions, bucket, key string, keep bool) ([]byte, int64, error) {
	dst, err := DirStore{Root: o.Dest}.path(bucket, key)
	if err != nil {
		return nil, 0, err
	}
	var lastErr error
	for attempt := 1; attempt <= fetchAttempts; attempt++ {
		data, n, err := copyOnce(ctx, o, bucket, key, dst, keep)
		if o.Progress != nil {
			o.Progress.Done(n)
		}
		var re *readError
		if err == nil || !errors.As(err, &re) || ctx.Err() != nil || awsclient.IsUnreachable(err) {
			return data, n, err
		}
		lastErr = err
		backoff(ctx, attempt)
	}
	return nil, 0, lastErr
}

func copyOnce(ctx context.Context, o PullOptions, bucket, key, dst string, keep bool) ([]byte, int64, error) {
	body, info, err := o.Store.Open(ctx, bucket, key)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, 0, err
		}
		return nil, 0, fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	defer body.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return nil, 0, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".pull-*")
	if err != nil {
		return nil, 0, err
	}
	defer os.Remove(tmp.Name())
	var w io.Writer = tmp
	var buf limitedBuffer
	if keep {
		buf.limit = maxDigestSize
		w = io.MultiWriter(tmp, &buf)
	}
	cr := &countingReader{r: body}
	n, err := io.Copy(w, cr)
	if err != nil {
		tmp.Close()
		if cr.err != nil {
			return nil, n, &readError{cr.err}
		}
		return nil, n, err
	}
	if err := tmp.Close(); err != nil {
		return nil, n, err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return nil, n, err
	}
	// A digest always gets a metadata file, even an empty one: without it
	// verify would take the signature from the next digest and not report
	// that the object's own signature is gone.
	if md := info.Metadata; len(md) > 0 || keep {
		if md == nil {
			md = map[string]string{}
		}
		if err := WriteSidecar(dst, md); err != nil {
			return nil, n, err
		}
	}
	return buf.b, n, nil
}

func gunzipAll(b []byte) ([]byte, error) {
	var out []byte
	_, _, _, err := gunzipHash(bytesReader(b), &out, maxDigestSize)
	if err != nil && !errors.Is(err, errTrailingData) {
		return nil, err
	}
	return out, nil
}
