package verify

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Options describe one verification run.
type Options struct {
	Store  Store
	Bucket string
	Layout Layout
	// Regions are the source regions to verify, each of which must have
	// digests; empty means every region Expected names and every region
	// with a digest or log folder.
	Regions []string
	// Expected, when set, tells which regions must have digests (see
	// Expectation); Run asks while it lists the bucket's region folders.
	// Unset, the layout's home region is expected.
	Expected func(context.Context) Expectation
	Start    time.Time
	End      time.Time
	Keys     KeySource
	// Concurrency bounds the number of objects read at once.
	Concurrency int
	// Slots, when set, are read slots shared with other runs (many
	// accounts' chains verified through one bounded pool); Concurrency
	// then bounds only this run's goroutines.
	Slots chan struct{}
	// LatestDigestDelivery is the trail's LatestDigestDeliveryTime from
	// GetTrailStatus; zero when it could not be asked (offline).
	LatestDigestDelivery time.Time
	// LatestDigestDeliveryFunc, when set, provides LatestDigestDelivery
	// only when the chain end is checked, so the call that asks for it can
	// run while objects are read.
	LatestDigestDeliveryFunc func() time.Time
	// Now is the current time (tests pin it); zero means time.Now.
	Now time.Time
	// Offline allows a digest's signature to come from the next digest's
	// previousDigestSignature when the store has no metadata for it.
	Offline bool
	// LogSink, when set, is given the uncompressed bytes of every log file
	// hashed, in the same pass (verify --hunt).
	LogSink LogSink
	// FromDir is the folder an offline copy is read from; the report names
	// files by their path in it.
	FromDir string
	// ListValidLogs keeps an item for every valid log file in the report
	// (JSON output, --verbose). Without it valid log files are only
	// counted, which keeps memory small for long periods.
	ListValidLogs bool
	Progress      Progress
	Logger        *slog.Logger

	// Expect, with Regions, says which of the named regions must have
	// digests and why (a chain of an organization's archive: one account's
	// region, expected as the account's regions say); without it every
	// named region must.
	Expect *Expectation
	// KeyFrom and KeyTo, when set, are the key validity window asked for
	// instead of KeyRange(Start, End): runs that share a key cache (the
	// chains of an archive, each with a start of its own) ask once.
	KeyFrom, KeyTo time.Time
	// Checkpoint, when set, is where a previous run left this chain (one
	// region): only digests newer than it are read, the first of them must
	// link to it, and log files are checked from Checkpoint.LogsBefore on.
	Checkpoint *Checkpoint
	// Recorded, when set, is a checkpoint a state file holds for a chain
	// verified again in full (a day folder changed since): the digest it
	// names must still be there, as it was.
	Recorded *Checkpoint

	// handoff is set for the run that follows a chain into the bucket or
	// prefix the trail delivered to before it was moved.
	handoff *handoff
}

// handoff is what the run of an earlier location inherits from the run
// whose chain links into it.
type handoff struct {
	// key and end name the digest the later location's first digest links
	// to: the newest digest this location must hold.
	key string
	end time.Time
	// nextSig is the linking digest's previousDigestSignature, the target's
	// signature for an offline copy without metadata files.
	nextSig    string
	linkedFrom string
	// linkHash is the linking digest's previousDigestHashValue.
	linkHash *string
	// keys, keyFrom and keyTo are the later run's: its period holds this
	// one.
	keys           *KeyCache
	keyFrom, keyTo time.Time
	// named holds the log files the later locations' digests name, so they
	// are not reported here as unnamed.
	named   []map[objRef]*[32]byte
	visited map[string]bool
}

// maxLocations bounds how many earlier locations one run follows, so that
// digests linking back and forth cannot keep it going.
const maxLocations = 16

// Progress is told how much work is planned and done; the CLI draws a bar.
type Progress interface {
	Plan(objects int, bytes int64)
	Done(bytes int64)
}

// maxDigestSize bounds the uncompressed digest kept in memory.
const maxDigestSize = 64 << 20

// fetchAttempts is how often a read that failed mid-stream is tried; the
// SDK already retries failed requests (503 SlowDown, 500, throttling).
const fetchAttempts = 4

type verifier struct {
	o      Options
	mu     sync.Mutex
	report *Report
	began  time.Time
	// sem bounds the objects read at once across digests and logs.
	sem chan struct{}

	// keys answers each region's keys for keyFrom..keyTo, asked at once
	// for every region.
	keys           *KeyCache
	keyFrom, keyTo time.Time

	// regions are the source regions verified; explicit when named by
	// Options.Regions. expect says which must have digests. digestDirs
	// are the regions with a digest folder, when the folders were listed:
	// only those have digests to list.
	regions    []string
	explicit   bool
	expect     Expectation
	digestDirs map[string]bool

	// digests are those listed in the period; extra those read only
	// because a listed digest links to them (before the period, or in
	// another bucket or prefix); all is both. index finds any of them by
	// bucket and key; byRegion holds each region's hourly chain.
	digests  []*digestState
	extra    []*digestState
	all      []*digestState
	index    map[objRef]*digestState
	byRegion map[string][]*digestState

	// missing are the digests that should exist and do not; excluded the
	// periods whose log files another finding already explains.
	missing      []Item
	excluded     []span
	unreferenced []Item
	// gaps are the periods no digest covers; linkHash the
	// previousDigestHashValue that names each missing digest, to check a
	// surviving version of it.
	gaps     []*gapSpan
	linkHash map[objRef]*string

	// Log files are read while digests are still being fetched: a
	// digest's logs are scheduled as soon as its signature verifies.
	logs       *errgroup.Group
	logsCtx    context.Context
	stopLogs   context.CancelFunc
	queue      *logQueue
	dispatched chan struct{}
	refMu      sync.Mutex
	// referenced holds every log file a digest names; once it is
	// scheduled, the hash it is checked against (which points into the
	// naming digest's logs).
	referenced map[objRef]*[32]byte
	itemsMu    sync.Mutex
	logItems   []Item
	// missingLogs holds the hash each missing log file should have, to
	// check a version of it that survives.
	missingLogs map[objRef][32]byte
	// logsFrom is the first delivery time whose log files are checked for
	// a digest that names them (Start, or a checkpoint's LogsBefore);
	// logsTo each region's last (log files delivered until a minute before
	// it were checked).
	logsFrom time.Time
	logsTo   map[string]time.Time
}

// phase is one step of a run; Run calls them in order.
type phase struct {
	name string
	run  func(context.Context) error
}

// Run verifies the digest chains and log files of o's trail. It returns an
// error only when nothing could be verified at all (bucket unreadable,
// cancelled); per-object problems are in the report.
func Run(ctx context.Context, o Options) (*Report, error) {
	v, err := newVerifier(o)
	if err != nil {
		return nil, err
	}
	defer v.abandonLogs()
	for _, p := range []phase{
		{"regions", v.resolveRegions},         // which source regions to verify
		{"list", v.listPeriod},                // the digests of the period, and the keys
		{"fetch", v.fetchPeriod},              // read and check each digest; start its log files
		{"links", v.fetchLinks},               // digests the first ones link to
		{"signatures", v.checkDeferred},       // offline copies: signatures from the next digest
		{"chains", v.checkChains},             // links, deletions, gaps, chain ends
		{"unreferenced", v.findUnnamedLogs},   // log files no digest names
		{"logs", v.waitLogs},                  // every named log file hashed
		{"assemble", v.assemble},              // the report
		{"versions", v.lookForVersions},       // what a versioned bucket keeps of missing objects
		{"earlier", v.followEarlierLocations}, // the bucket or prefix the trail was moved from
	} {
		if err := p.run(ctx); err != nil {
			return nil, err
		}
		v.o.Logger.Debug("verify: phase done", "phase", p.name, "elapsed", time.Since(v.began))
	}
	return v.report, nil
}

func newVerifier(o Options) (*verifier, error) {
	if o.Concurrency <= 0 {
		o.Concurrency = 32
	}
	if o.Keys == nil || o.Store == nil {
		return nil, fmt.Errorf("verify: Options.Keys and Options.Store are required")
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	o.Start, o.End = o.Start.UTC(), o.End.UTC()
	keys, ok := o.Keys.(*KeyCache)
	if !ok {
		keys = NewKeyCache(context.Background(), o.Keys)
	}
	from, to := KeyRange(o.Start, o.End)
	if !o.KeyFrom.IsZero() && !o.KeyTo.IsZero() {
		from, to = o.KeyFrom, o.KeyTo
	}
	logsFrom := o.Start
	if cp := o.Checkpoint; cp != nil {
		// Digests up to the checkpoint were verified by the run that
		// recorded it: the period's digests are the newer ones.
		o.Start = cp.End.UTC().Add(time.Nanosecond)
		logsFrom = cp.LogsBefore.UTC()
	}
	if h := o.handoff; h != nil {
		// The period is inside the later run's, whose keys cover it.
		keys, from, to = h.keys, h.keyFrom, h.keyTo
	}
	sem := o.Slots
	if sem == nil {
		sem = make(chan struct{}, o.Concurrency)
	}
	return &verifier{o: o, keys: keys, keyFrom: from, keyTo: to, began: time.Now(), sem: sem, referenced: map[objRef]*[32]byte{},
		logsFrom: logsFrom, logsTo: map[string]time.Time{},
		index: map[objRef]*digestState{}, byRegion: map[string][]*digestState{}, linkHash: map[objRef]*string{}, missingLogs: map[objRef][32]byte{},
		report: &Report{Bucket: o.Bucket, Prefix: o.Layout.Prefix, Account: o.Layout.AccountID, Trail: o.Layout.TrailName, Start: o.Start, End: o.End},
	}, nil
}

// resolveRegions settles the regions to verify: those named, else every
// region that must have digests and every region with a digest or log
// folder.
func (v *verifier) resolveRegions(ctx context.Context) error {
	o := v.o
	if len(o.Regions) > 0 {
		v.explicit = true
		v.regions = slices.Clone(o.Regions)
		sort.Strings(v.regions)
		if o.Expect != nil {
			v.expect = *o.Expect
		} else {
			for _, r := range v.regions {
				v.expect.Regions = append(v.expect.Regions, ExpectedRegion{Region: r, Why: WhyNamed})
			}
		}
		v.report.Expected = v.expect
		return v.placeCheckpoint()
	}
	expected := make(chan Expectation, 1)
	go func() {
		if o.Expected == nil {
			expected <- Expectation{}.withHome(o.Layout.HomeRegion)
			return
		}
		expected <- o.Expected(ctx).withHome(o.Layout.HomeRegion)
	}()
	digestDirs, logDirs, err := listRegionDirs(ctx, o.Store, o.Bucket, o.Layout)
	// The keys of the regions found are asked for before the expected
	// regions arrive; those of the others when they do (listPeriod).
	for _, r := range mergeRegions(digestDirs, logDirs) {
		v.keys.Prefetch(r, v.keyFrom, v.keyTo)
	}
	v.expect = <-expected
	if err != nil {
		return err
	}
	v.digestDirs = map[string]bool{}
	for _, d := range digestDirs {
		v.digestDirs[d] = true
	}
	v.regions = mergeRegions(mergeRegions(digestDirs, logDirs), v.expect.names())
	if len(v.regions) == 0 {
		// No home region known and nothing in the bucket: never a pass.
		v.regions = []string{"unknown"}
		v.expect.Regions = []ExpectedRegion{{Region: "unknown", Why: WhyHome}}
	}
	v.report.Expected = v.expect
	return nil
}

// listPeriod lists the digests of every region and meanwhile loads the
// keys. Log folders are listed later, streaming, so that only log files no
// digest names are kept.
func (v *verifier) listPeriod(ctx context.Context) error {
	o := v.o
	for _, r := range v.regions {
		v.keys.Prefetch(r, v.keyFrom, v.keyTo)
	}
	var listed []string
	for _, r := range v.regions {
		// A region without a digest folder has no digest to list.
		if v.digestDirs == nil || v.digestDirs[r] {
			listed = append(listed, r)
		}
	}
	var err error
	v.digests, err = v.listDigests(ctx, listed)
	if err != nil {
		return err
	}
	v.report.Regions = v.regions
	for _, ds := range v.digests {
		v.index[objRef{ds.bucket, ds.key}] = ds
		if !ds.name.Backfill {
			v.byRegion[ds.region] = append(v.byRegion[ds.region], ds)
		}
	}
	if o.Progress != nil {
		var size int64
		for _, ds := range v.digests {
			size += ds.size
		}
		o.Progress.Plan(len(v.digests), size)
	}
	return nil
}

// fetchPeriod starts the log readers, then reads every listed digest; each
// one that verifies hands its log files to the readers at once.
func (v *verifier) fetchPeriod(ctx context.Context) error {
	var logsCtx context.Context
	logsCtx, v.stopLogs = context.WithCancel(ctx)
	v.logs, v.logsCtx = errgroup.WithContext(logsCtx)
	v.logs.SetLimit(v.o.Concurrency)
	v.queue = newLogQueue()
	v.dispatched = make(chan struct{})
	go func() {
		defer close(v.dispatched)
		v.dispatchLogs()
	}()
	return v.fetchDigests(ctx, v.digests, true)
}

// fetchLinks reads the digests that the listed ones link to but that were
// not listed (before the period, or in another bucket or prefix), so the
// first link of each chain is checked too, and notes where a link leads
// into the location the trail was moved from.
func (v *verifier) fetchLinks(ctx context.Context) error {
	o := v.o
	for _, ds := range v.digests {
		if ds.d == nil || ds.name.Backfill || !ds.d.HasPrevious() {
			continue
		}
		pb, pk := *ds.d.PreviousDigestS3Bucket, *ds.d.PreviousDigestS3Object
		if _, ok := v.index[objRef{pb, pk}]; ok {
			continue
		}
		name, ok := o.Layout.ParseDigestKey(pk)
		if pb == o.Bucket && ok && !name.End.Before(o.Start) {
			continue // inside the listed period and not listed: deleted
		}
		b := &digestState{region: ds.region, bucket: pb, key: pk, name: name, boundary: true}
		layout := o.Layout
		if !ok {
			b.name = DigestName{Region: ds.region}
			if l, n, found := o.Layout.withPrefixOf(pk); found {
				layout, b.name, ok = l, n, true
			}
		}
		// The trail was moved to this bucket or prefix inside the period:
		// the chain goes on in the old location, which is verified as well.
		moved := pb != o.Bucket || layout.Prefix != o.Layout.Prefix
		if moved && ok && b.name.Region == ds.region && !b.name.End.Before(o.Start) && !o.visited(pb, layout.Prefix) {
			b.into = &earlierLocation{layout: layout, from: ds}
		}
		v.index[objRef{pb, pk}] = b
		v.extra = append(v.extra, b)
	}
	if err := v.fetchDigests(ctx, v.extra, false); err != nil {
		return err
	}
	for _, b := range v.extra {
		if b.status == StatusMissing {
			// Not found where the next digest says it is: report it, it is
			// part of the chain that leads into the period.
			b.boundary = false
		}
	}
	v.all = append(append([]*digestState{}, v.digests...), v.extra...)
	// A link names the previous digest's key, which the index already
	// holds: keep one copy.
	for _, ds := range v.all {
		if ds.d != nil && ds.d.HasPrevious() {
			if p, ok := v.index[prevRef(ds.d)]; ok {
				ds.d.PreviousDigestS3Bucket, ds.d.PreviousDigestS3Object = &p.bucket, &p.key
			}
		}
	}
	return nil
}

// checkDeferred checks the signatures fetchPeriod could not: offline
// copies without metadata files take a digest's signature from the next
// digest's previousDigestSignature. Their log files start then.
func (v *verifier) checkDeferred(ctx context.Context) error {
	if h := v.o.handoff; h != nil {
		if t, ok := v.index[objRef{v.o.Bucket, h.key}]; ok && !t.md.present && t.nextSig == nil {
			t.nextSig = &h.nextSig
		}
	}
	var deferred []*digestState
	for _, ds := range v.all {
		if ds.d != nil && ds.d.HasPrevious() {
			if p, ok := v.index[prevRef(ds.d)]; ok && p.nextSig == nil && !p.md.present {
				sig := ds.prevSig.String()
				p.nextSig = &sig
			}
		}
		if ds.d != nil && !ds.sigChecked {
			deferred = append(deferred, ds)
		}
	}
	v.checkSignatures(ctx, deferred)
	for _, ds := range deferred {
		v.scheduleLogs(ds)
	}
	// Logs named by digests that failed are not read, but they are named:
	// they are not reported again as unnamed.
	v.refMu.Lock()
	for _, ds := range v.all {
		for _, l := range ds.logs {
			if _, ok := v.referenced[l.objRef]; !ok {
				v.referenced[l.objRef] = nil
			}
		}
	}
	v.refMu.Unlock()
	return nil
}

// checkChains walks each region's chain: links, deletions, gaps and the
// end of the chain. The digests' JSON is released afterwards.
func (v *verifier) checkChains(ctx context.Context) error {
	if v.o.LatestDigestDeliveryFunc != nil {
		v.o.LatestDigestDelivery = v.o.LatestDigestDeliveryFunc()
	}
	for _, ds := range v.digests {
		if ds.name.Backfill && !ds.parsed {
			// Its log files are unknown, not unnamed: it is reported itself.
			v.excluded = append(v.excluded, span{ds.region, ds.name.End.Add(-time.Hour), ds.name.End})
		}
	}
	if v.expect.Unknown != "" {
		v.missing = append(v.missing, Item{Kind: "region", Region: v.o.Layout.HomeRegion, Status: StatusManual,
			Reasons: []Reason{RegionsUnknown}, Detail: v.expect.Unknown})
	}
	for _, region := range v.regions {
		m, ex := v.checkChain(region, v.byRegion[region], v.index)
		v.missing = append(v.missing, m...)
		v.excluded = append(v.excluded, ex...)
	}
	v.checkBackfillLinks(v.digests, v.index)
	v.checkRecorded()
	for _, ds := range v.all {
		ds.d = nil
	}
	return nil
}

// findUnnamedLogs lists the log folders of the period and keeps the log
// files no digest names (here, or in a later location whose digests name
// log files left in this one).
func (v *verifier) findUnnamedLogs(ctx context.Context) error {
	o := v.o
	var plannedBytes int64
	for _, region := range v.regions {
		// Every log file of the period must be named by a digest: those
		// before the first digest of the period by the linked earlier one
		// (already in referenced), those after the newest digest by one
		// that ends after --end-time. Only logs after the newest digest
		// whose digest may still be on its way are left out.
		from, to := v.logsFrom, o.End
		if pending := latestEnd(v.byRegion[region], o.Now.Add(-3*time.Hour)); pending.Before(to) {
			to = pending
		}
		v.logsTo[region] = to
		err := v.listLogs(ctx, region, func(key string, t time.Time, size int64) {
			if v.named(key) {
				plannedBytes += size
				return
			}
			if t.Before(from) || t.Add(time.Minute).After(to) || inSpans(v.excluded, region, t) {
				return
			}
			if g := v.gapOf(region, t); g != nil {
				g.Logs++
				v.unreferenced = append(v.unreferenced, Item{Kind: "log", Region: region, Bucket: o.Bucket, Key: key, Status: StatusGap,
					Reasons: []Reason{LogNotCovered}, Detail: fmt.Sprintf("written while no digest was kept (%s to %s): nothing proves it complete or unchanged",
						g.From.Format(displayTime), g.To.Format(displayTime))})
				return
			}
			v.unreferenced = append(v.unreferenced, Item{Kind: "log", Region: region, Bucket: o.Bucket, Key: key, Status: StatusInvalid,
				Reasons: []Reason{LogUnreferenced}, Detail: "in the verified period but named by no digest: added after delivery, or its digest deleted or rewritten"})
		})
		if err != nil {
			return err
		}
	}
	for _, g := range v.gaps {
		if g.always || g.Logs > 0 {
			v.report.Gaps = append(v.report.Gaps, g.Gap)
		}
	}
	if o.Progress != nil {
		o.Progress.Plan(0, plannedBytes)
	}
	return nil
}

// gapOf returns the gap of region that holds a log file delivered at t.
func (v *verifier) gapOf(region string, t time.Time) *gapSpan {
	for _, g := range v.gaps {
		if g.Region == region && !t.Before(g.From.Add(-time.Minute)) && !t.After(g.To) {
			return g
		}
	}
	return nil
}

// named tells whether a digest of this run, or of a later location's run,
// names the log file key in this bucket.
func (v *verifier) named(key string) bool {
	ref := objRef{v.o.Bucket, key}
	v.refMu.Lock()
	_, named := v.referenced[ref]
	v.refMu.Unlock()
	if h := v.o.handoff; h != nil && !named {
		for _, m := range h.named {
			if _, named = m[ref]; named {
				break
			}
		}
	}
	return named
}

// waitLogs ends the log queue and waits for every log file read.
func (v *verifier) waitLogs(ctx context.Context) error {
	if v.queue == nil {
		return ctx.Err()
	}
	v.queue.close()
	<-v.dispatched
	err := v.logs.Wait()
	v.queue = nil
	if err != nil {
		return err
	}
	return ctx.Err()
}

// abandonLogs stops the log readers of a run that ends early.
func (v *verifier) abandonLogs() {
	if v.queue == nil {
		return
	}
	v.stopLogs()
	v.waitLogs(context.Background())
}

// assemble builds the report from the digests, the missing ones, the log
// files read and the unnamed ones.
func (v *verifier) assemble(ctx context.Context) error {
	o := v.o
	for _, ds := range v.all {
		if (ds.boundary && ds.status == StatusValid) || ds.into != nil {
			continue
		}
		v.report.Digests = append(v.report.Digests, ds.item())
	}
	v.report.Digests = append(v.report.Digests, v.missing...)
	v.report.Logs = append(v.logItems, v.unreferenced...)
	v.report.FromDir = o.FromDir
	v.report.next = v.nextCheckpoint()
	if h := o.handoff; h != nil && len(v.regions) == 1 {
		v.report.Earlier = []Location{{Bucket: o.Bucket, Prefix: o.Layout.Prefix, Region: v.regions[0], From: o.Start, To: o.End, LinkedFrom: h.linkedFrom}}
	}
	v.report.finish()
	return nil
}

// followEarlierLocations verifies the chains that lead into the bucket or
// prefix the trail used before it was moved, and merges their reports.
func (v *verifier) followEarlierLocations(ctx context.Context) error {
	for _, b := range v.extra {
		if b.into == nil {
			continue
		}
		sub, err := v.followEarlier(ctx, b)
		if err != nil {
			return err
		}
		v.report.merge(sub)
	}
	return nil
}

// visited tells whether the chain already passed through bucket/prefix.
func (o Options) visited(bucket, prefix string) bool {
	if o.handoff == nil {
		return bucket == o.Bucket && prefix == o.Layout.Prefix
	}
	return o.handoff.visited[bucket+"/"+prefix] || len(o.handoff.visited) >= maxLocations
}

// followEarlier verifies, with a run of its own, the chain of the location
// the trail delivered to before it was moved, from the start of the period
// to the digest b that the later location's first digest links to.
func (v *verifier) followEarlier(ctx context.Context, b *digestState) (*Report, error) {
	o := v.o
	visited := map[string]bool{o.Bucket + "/" + o.Layout.Prefix: true}
	named := []map[objRef]*[32]byte{v.referenced}
	if h := o.handoff; h != nil {
		for k := range h.visited {
			visited[k] = true
		}
		named = append(named, h.named...)
	}
	visited[b.bucket+"/"+b.into.layout.Prefix] = true
	from := b.into.from
	so := o
	so.Bucket, so.Layout, so.Regions = b.bucket, b.into.layout, []string{b.region}
	so.End = b.name.End
	so.LatestDigestDelivery, so.LatestDigestDeliveryFunc = time.Time{}, nil
	so.handoff = &handoff{key: b.key, end: b.name.End, nextSig: from.prevSig.String(), linkHash: from.prevHash,
		linkedFrom: v.report.where(from.bucket, from.key), keys: v.keys, keyFrom: v.keyFrom, keyTo: v.keyTo, named: named, visited: visited}
	sub, err := Run(ctx, so)
	if err == nil {
		return sub, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	// The earlier location cannot be listed (no permission, bucket gone):
	// its part of the period is unchecked, which is never a pass.
	r := &Report{Bucket: so.Bucket, Prefix: so.Layout.Prefix, Account: so.Layout.AccountID, Trail: so.Layout.TrailName,
		Start: so.Start, End: so.End, Regions: so.Regions,
		Earlier: []Location{{Bucket: so.Bucket, Prefix: so.Layout.Prefix, Region: b.region, From: so.Start, To: so.End, LinkedFrom: so.handoff.linkedFrom}},
		Digests: []Item{{Kind: "digest", Region: b.region, Bucket: b.bucket, Key: b.key, End: b.name.End, Status: StatusError, Reasons: []Reason{DigestReadError},
			Detail: fmt.Sprintf("the chain continues in s3://%s/%s, which could not be read: %v; grant s3:ListBucket and s3:GetObject there", so.Bucket, so.Layout.Prefix, err)}}}
	r.finish()
	return r, nil
}
