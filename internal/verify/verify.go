package verify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Options describe one verification run.
type Options struct {
	Store  Store
	Bucket string
	Layout Layout
	// Regions are the source regions to verify; empty means every region
	// that has a digest folder.
	Regions []string
	Start   time.Time
	End     time.Time
	Keys    KeySource
	// Concurrency bounds the number of objects read at once.
	Concurrency int
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
	// ListValidLogs keeps an item for every valid log file in the report
	// (JSON output, --verbose). Without it valid log files are only
	// counted, which keeps memory small for long periods.
	ListValidLogs bool
	Progress      Progress
	Logger        *slog.Logger

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
	ring       []PublicKey
	keyErr     error
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

type digestState struct {
	region string
	bucket string
	key    string
	name   DigestName
	size   int64

	d        *Digest
	sha      string
	md       digestMeta
	reasons  []Reason
	detail   []string
	status   Status
	boundary bool // read only to check the link into the period
	// into is set on a boundary digest in another bucket or prefix whose
	// chain is verified by a run of its own; that run reports it.
	into       *earlierLocation
	nextSig    *string
	prevSig    compactHex // the digest's previousDigestSignature
	sigChecked bool
	unpacked   int64
	// logs is the digest's logFiles in compact form; d.LogFiles is dropped
	// after parsing, since a long period names millions of log files.
	logs []logRef
	// parsed, start and end outlive d, which is released once the chain
	// is checked.
	parsed     bool
	start, end time.Time
}

// digestMeta is the part of a digest's S3 user metadata verify uses.
type digestMeta struct {
	present               bool // false for an offline copy without a metadata file
	sig                   compactHex
	alg, backfillTS       string
	hasSig, hasAlg, hasTS bool
}

func metaOf(md map[string]string) digestMeta {
	m := digestMeta{present: md != nil}
	var sig string
	sig, m.hasSig = md["signature"]
	// Hex in any case, white space around it ignored: the same bytes.
	m.sig = newCompactHex(strings.ToLower(strings.TrimSpace(sig)))
	m.alg, m.hasAlg = md["signature-algorithm"]
	m.backfillTS, m.hasTS = md["backfill-generation-timestamp"]
	return m
}

// objRef names an object without building a bucket/key string.
type objRef struct{ bucket, key string }

// earlierLocation is where a trail delivered before its bucket or prefix
// changed, and the digest there that a later digest links to.
type earlierLocation struct {
	layout Layout
	from   *digestState // the digest whose link leads there
}

type logRef struct {
	objRef
	sum [32]byte
}

func (s *digestState) fail(st Status, r Reason, format string, args ...any) {
	// The worst status wins: invalid over unverifiable over error.
	if s.status == "" || s.status == StatusValid || rank(st) > rank(s.status) {
		s.status = st
	}
	s.reasons = append(s.reasons, r)
	if format != "" {
		s.detail = append(s.detail, fmt.Sprintf(format, args...))
	}
}

func rank(s Status) int {
	switch s {
	case StatusInvalid, StatusMissing:
		return 3
	case StatusUnverifiable:
		return 2
	case StatusError:
		return 1
	}
	return 0
}

type verifier struct {
	o      Options
	mu     sync.Mutex
	report *Report
	// sem bounds the objects read at once across digests and logs.
	sem chan struct{}

	keysMu sync.Mutex
	ring   []PublicKey
	keyErr error

	// Log files are read while digests are still being fetched: a
	// digest's logs are scheduled as soon as its signature verifies.
	logs    *errgroup.Group
	logsCtx context.Context
	queue   *logQueue
	refMu   sync.Mutex
	// referenced holds every log file a digest names; once it is
	// scheduled, the hash it is checked against (which points into the
	// naming digest's logs).
	referenced map[objRef]*[32]byte
	itemsMu    sync.Mutex
	logItems   []Item
}

// Run verifies the digest chains and log files of o's trail. It returns an
// error only when nothing could be verified at all (bucket unreadable,
// cancelled); per-object problems are in the report.
func Run(ctx context.Context, o Options) (*Report, error) {
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
	began := time.Now()
	v := &verifier{o: o, sem: make(chan struct{}, o.Concurrency), referenced: map[objRef]*[32]byte{}, report: &Report{
		Bucket: o.Bucket, Prefix: o.Layout.Prefix, Account: o.Layout.AccountID, Trail: o.Layout.TrailName,
		Start: o.Start, End: o.End,
	}}
	regions := o.Regions
	explicit := len(regions) > 0
	if !explicit {
		var err error
		if regions, err = discoverRegions(ctx, o.Store, o.Bucket, o.Layout); err != nil {
			return nil, err
		}
	}
	sort.Strings(regions)

	// 1. List the digests of every region, and meanwhile load the keys.
	// Log folders are listed later, streaming, so that only log files no
	// digest names are kept.
	keysDone := make(chan struct{})
	go func() {
		defer close(keysDone)
		if h := o.handoff; h != nil {
			// The period is inside the later run's, whose keys cover it.
			v.ring, v.keyErr = h.ring, h.keyErr
			return
		}
		from, to := KeyRange(o.Start, o.End)
		v.ring, v.keyErr = o.Keys.Keys(ctx, from, to)
	}()
	digests, err := v.listDigests(ctx, regions)
	<-keysDone
	if err != nil {
		return nil, err
	}
	// No digest anywhere (wrong bucket, prefix or account, or every digest
	// deleted) must not read as a clean run: the home region, which every
	// trail logs, is then reported as if it had been asked for.
	noneRegion := ""
	if !explicit && len(digests) == 0 {
		noneRegion = o.Layout.HomeRegion
		if noneRegion == "" {
			noneRegion = "unknown"
		}
		if !slices.Contains(regions, noneRegion) {
			regions = append(regions, noneRegion)
			sort.Strings(regions)
		}
	}
	v.report.Regions = regions
	if o.Progress != nil {
		var size int64
		for _, ds := range digests {
			size += ds.size
		}
		o.Progress.Plan(len(digests), size)
	}
	o.Logger.Debug("verify: digests listed", "count", len(digests), "elapsed", time.Since(began))

	// 2. Read every digest; each one that verifies starts its log files.
	var logsCtx context.Context
	v.logs, logsCtx = errgroup.WithContext(ctx)
	v.logsCtx = logsCtx
	v.logs.SetLimit(o.Concurrency)
	v.queue = newLogQueue()
	dispatched := make(chan struct{})
	go func() {
		defer close(dispatched)
		v.dispatchLogs()
	}()
	// waitLogs ends the queue and waits for every log file read.
	waitLogs := func() error {
		v.queue.close()
		<-dispatched
		return v.logs.Wait()
	}
	if err := v.fetchDigests(ctx, digests, true); err != nil {
		waitLogs()
		return nil, err
	}
	index := map[objRef]*digestState{}
	for _, ds := range digests {
		index[objRef{ds.bucket, ds.key}] = ds
	}
	// Links that point before the period or into another bucket are read
	// too, so the first link of each chain is checked.
	var extra []*digestState
	for _, ds := range digests {
		if ds.d == nil || ds.name.Backfill || !ds.d.HasPrevious() {
			continue
		}
		pb, pk := *ds.d.PreviousDigestS3Bucket, *ds.d.PreviousDigestS3Object
		if _, ok := index[objRef{pb, pk}]; ok {
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
		index[objRef{pb, pk}] = b
		extra = append(extra, b)
	}
	if err := v.fetchDigests(ctx, extra, false); err != nil {
		waitLogs()
		return nil, err
	}
	for _, b := range extra {
		if b.status == StatusMissing {
			// Not found where the next digest says it is: report it, it is
			// part of the chain that leads into the period.
			b.boundary = false
		}
	}
	all := append(append([]*digestState{}, digests...), extra...)
	// A link names the previous digest's key, which the index already
	// holds: keep one copy.
	for _, ds := range all {
		if ds.d != nil && ds.d.HasPrevious() {
			if p, ok := index[prevRef(ds.d)]; ok {
				ds.d.PreviousDigestS3Bucket, ds.d.PreviousDigestS3Object = &p.bucket, &p.key
			}
		}
	}

	// 3. Offline copies without metadata files: a digest's signature is
	// the next digest's previousDigestSignature.
	if h := o.handoff; h != nil {
		if t, ok := index[objRef{o.Bucket, h.key}]; ok && !t.md.present && t.nextSig == nil {
			t.nextSig = &h.nextSig
		}
	}
	var deferred []*digestState
	for _, ds := range all {
		if ds.d != nil && ds.d.HasPrevious() {
			if p, ok := index[prevRef(ds.d)]; ok && p.nextSig == nil && !p.md.present {
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
	for _, ds := range all {
		for _, l := range ds.logs {
			if _, ok := v.referenced[l.objRef]; !ok {
				v.referenced[l.objRef] = nil
			}
		}
	}
	v.refMu.Unlock()
	o.Logger.Debug("verify: digests read and checked", "elapsed", time.Since(began))

	// 4. Chains: links, deletions, gaps and the end of each chain.
	if v.o.LatestDigestDeliveryFunc != nil {
		v.o.LatestDigestDelivery = v.o.LatestDigestDeliveryFunc()
	}
	var excluded []span // periods whose logs another finding already explains
	byRegion := map[string][]*digestState{}
	for _, ds := range digests {
		if !ds.name.Backfill {
			byRegion[ds.region] = append(byRegion[ds.region], ds)
		}
	}
	var missing []Item
	for _, ds := range digests {
		if ds.name.Backfill && !ds.parsed {
			// Its log files are unknown, not unnamed: it is reported itself.
			excluded = append(excluded, span{ds.region, ds.name.End.Add(-time.Hour), ds.name.End})
		}
	}
	for _, region := range regions {
		chain := byRegion[region]
		m, g, ex := v.checkChain(region, chain, index, explicit || region == noneRegion)
		missing = append(missing, m...)
		v.report.Gaps = append(v.report.Gaps, g...)
		excluded = append(excluded, ex...)
	}
	v.checkBackfillLinks(digests, index)
	// The JSON of the digests is no longer needed: free it while the log
	// files are read.
	for _, ds := range all {
		ds.d = nil
	}

	// 5. Log files in the period that no digest names (here or in a later
	// location whose digests name log files left in this one).
	var unreferenced []Item
	var plannedBytes int64
	for _, region := range regions {
		// Every log file of the period must be named by a digest: those
		// before the first digest of the period by the linked earlier one
		// (already in referenced), those after the newest digest by one
		// that ends after --end-time. Only logs after the newest digest
		// whose digest may still be on its way are left out.
		from, to := o.Start, o.End
		if pending := latestEnd(byRegion[region], o.Now.Add(-3*time.Hour)); pending.Before(to) {
			to = pending
		}
		err := v.listLogs(ctx, region, func(key string, t time.Time, size int64) {
			v.refMu.Lock()
			_, named := v.referenced[objRef{o.Bucket, key}]
			v.refMu.Unlock()
			if o.handoff != nil && !named {
				for _, m := range o.handoff.named {
					if _, named = m[objRef{o.Bucket, key}]; named {
						break
					}
				}
			}
			if named {
				plannedBytes += size
				return
			}
			if t.Before(from) || t.Add(time.Minute).After(to) || inSpans(excluded, region, t) {
				return
			}
			unreferenced = append(unreferenced, Item{Kind: "log", Region: region, Bucket: o.Bucket, Key: key, Status: StatusInvalid,
				Reasons: []Reason{LogUnreferenced}, Detail: "in the verified period but named by no digest: added after delivery, its digest deleted or rewritten, or validation was off"})
		})
		if err != nil {
			waitLogs()
			return nil, err
		}
	}
	if o.Progress != nil {
		o.Progress.Plan(0, plannedBytes)
	}
	o.Logger.Debug("verify: log folders listed", "unreferenced", len(unreferenced), "elapsed", time.Since(began))

	// 6. Wait for the log files of every digest that verified.
	if err := waitLogs(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	logItems := append(v.logItems, unreferenced...)
	o.Logger.Debug("verify: log files checked", "elapsed", time.Since(began))

	for _, ds := range all {
		if (ds.boundary && ds.status == StatusValid) || ds.into != nil {
			continue
		}
		v.report.Digests = append(v.report.Digests, ds.item())
	}
	v.report.Digests = append(v.report.Digests, missing...)
	v.report.Logs = logItems
	if h := o.handoff; h != nil && len(regions) == 1 {
		v.report.Earlier = []Location{{Bucket: o.Bucket, Prefix: o.Layout.Prefix, Region: regions[0], From: o.Start, To: o.End, LinkedFrom: h.linkedFrom}}
	}
	v.report.finish()

	// 7. Chains that lead into the bucket or prefix the trail used before.
	for _, b := range extra {
		if b.into == nil {
			continue
		}
		sub, err := v.followEarlier(ctx, b)
		if err != nil {
			return nil, err
		}
		v.report.merge(sub)
	}
	return v.report, nil
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
	so.handoff = &handoff{key: b.key, end: b.name.End, nextSig: from.prevSig.String(),
		linkedFrom: "s3://" + from.bucket + "/" + from.key, ring: v.ring, keyErr: v.keyErr, named: named, visited: visited}
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

// acquire takes one of the --concurrency read slots.
func (v *verifier) acquire(ctx context.Context) error {
	select {
	case v.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (v *verifier) release() { <-v.sem }

// scheduleLogs queues the log files of a digest that verified for reading.
func (v *verifier) scheduleLogs(ds *digestState) {
	if ds.boundary {
		return
	}
	trusted := ds.status == StatusValid || (ds.status == StatusUnverifiable && len(ds.reasons) == 1 && ds.reasons[0] == DigestNoSignatureOffline)
	if !trusted {
		return
	}
	// Indices into ds.logs, which the digest keeps to the end anyway: a
	// queued log file costs four bytes, whatever the length of the period.
	var todo []int32
	v.refMu.Lock()
	for i := range ds.logs {
		lf := &ds.logs[i]
		switch first := v.referenced[lf.objRef]; {
		case first == nil:
			v.referenced[lf.objRef] = &lf.sum
			todo = append(todo, int32(i))
		case *first != lf.sum:
			// Named again with another hash: at most one can match, so
			// each is checked.
			todo = append(todo, int32(i))
		}
	}
	v.refMu.Unlock()
	if v.o.Progress != nil && len(todo) > 0 {
		v.o.Progress.Plan(len(todo), 0)
	}
	if len(todo) > 0 {
		v.queue.push(logBatch{ds: ds, logs: todo})
	}
}

// logBatch is the log files one verified digest hands to the reader.
type logBatch struct {
	ds   *digestState
	logs []int32 // indices into ds.logs
}

// logQueue passes log files from the digest readers to dispatchLogs. A
// digest reader never waits for a log slot: every digest is read as early
// as possible (the chain checks and the log folder listing wait for the
// last one), while the log files keep the --concurrency slots busy. The
// queue holds references the digests hold anyway, so memory stays bounded
// by the number of digests.
type logQueue struct {
	mu      sync.Mutex
	batches []logBatch
	closed  bool
	wake    chan struct{}
}

func newLogQueue() *logQueue { return &logQueue{wake: make(chan struct{}, 1)} }

func (q *logQueue) push(b logBatch) {
	q.mu.Lock()
	q.batches = append(q.batches, b)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *logQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take returns the queued batches, waiting for some; nil once the queue is
// closed and empty.
func (q *logQueue) take() []logBatch {
	for {
		q.mu.Lock()
		b, closed := q.batches, q.closed
		q.batches = nil
		q.mu.Unlock()
		if len(b) > 0 || closed {
			return b
		}
		<-q.wake
	}
}

// dispatchLogs starts a read for every queued log file, at most
// --concurrency at a time, until the queue is closed.
func (v *verifier) dispatchLogs() {
	for {
		batches := v.queue.take()
		if batches == nil {
			return
		}
		for _, b := range batches {
			if v.logsCtx.Err() != nil {
				continue // cancelled: Run returns the error, drain the queue
			}
			for _, i := range b.logs {
				lf := b.ds.logs[i]
				v.logs.Go(func() error {
					it := v.checkLog(v.logsCtx, b.ds.region, lf)
					v.itemsMu.Lock()
					if it.Status == StatusValid && !v.o.ListValidLogs {
						v.report.countValid(it)
					} else {
						v.logItems = append(v.logItems, it)
					}
					v.itemsMu.Unlock()
					return v.logsCtx.Err()
				})
			}
		}
	}
}

func (ds *digestState) item() Item {
	it := Item{Kind: "digest", Region: ds.region, Bucket: ds.bucket, Key: ds.key, Status: ds.status, Reasons: ds.reasons,
		Detail: strings.Join(ds.detail, "; "), Backfill: ds.name.Backfill, Size: ds.unpacked}
	if ds.parsed {
		it.Start, it.End = ds.start, ds.end
	} else {
		it.End = ds.name.End
	}
	return it
}

type span struct {
	region   string
	from, to time.Time
}

func inSpans(spans []span, region string, t time.Time) bool {
	for _, s := range spans {
		if s.region == region && !t.Before(s.from.Add(-time.Minute)) && !t.After(s.to) {
			return true
		}
	}
	return false
}

// latestEnd is the end of the newest readable digest of chain, or since
// when it is later.
func latestEnd(chain []*digestState, since time.Time) time.Time {
	t := since
	for _, ds := range chain {
		if ds.parsed && ds.end.After(t) {
			t = ds.end
		}
	}
	return t
}

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
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Concurrency)
	for _, day := range days(o.Start, o.End) {
		g.Go(func() error {
			return o.Store.List(gctx, o.Bucket, o.Layout.LogDayPrefix(region, day), func(obj Object) error {
				t, ok := o.Layout.ParseLogKey(obj.Key, region)
				if ok && !t.Before(o.Start) && !t.After(o.End) {
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

// fetchDigests reads digests in parallel. With start, each digest whose
// signature can be checked at once (it has its metadata) is checked and
// its log files are scheduled.
func (v *verifier) fetchDigests(ctx context.Context, digests []*digestState, start bool) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(v.o.Concurrency)
	for _, ds := range digests {
		g.Go(func() error {
			v.fetchDigest(gctx, ds)
			if start && ds.d != nil && (ds.md.present || !v.o.Offline) {
				v.checkSignatures(gctx, []*digestState{ds})
				v.scheduleLogs(ds)
			}
			return gctx.Err()
		})
	}
	return g.Wait()
}

func (v *verifier) fetchDigest(ctx context.Context, ds *digestState) {
	var data []byte
	var err error
	for attempt := 1; ; attempt++ {
		data, err = v.readDigest(ctx, ds)
		var re *readError
		if err == nil || !errors.As(err, &re) || attempt == fetchAttempts || ctx.Err() != nil {
			break
		}
		backoff(ctx, attempt)
	}
	ds.unpacked = int64(len(data))
	ds.status = StatusValid
	switch {
	case errors.Is(err, ErrNotFound):
		ds.fail(StatusMissing, DigestMissing, "named as previousDigestS3Object by the next digest but not found")
		if !ds.boundary {
			ds.detail[len(ds.detail)-1] = "not found"
		}
		return
	case errors.Is(err, errTrailingData):
		ds.fail(StatusInvalid, DigestTrailingData, "%v", err)
		// The gzip member itself was read: keep checking it.
	case err != nil && isReadErr(err):
		ds.fail(StatusError, DigestReadError, "%v", err)
		return
	case err != nil:
		ds.fail(StatusInvalid, DigestBadFormat, "%v", err)
		return
	}
	d, perr := ParseDigest(data)
	if perr != nil {
		ds.fail(StatusInvalid, DigestBadFormat, "%v", perr)
		return
	}
	// Share one copy of strings that repeat what is already held, and drop
	// what the verification does not use: a year has 8,760 digests per
	// region.
	if d.DigestS3Bucket == ds.bucket {
		d.DigestS3Bucket = ds.bucket
	}
	if d.DigestS3Object == ds.key {
		d.DigestS3Object = ds.key
	}
	if d.PreviousDigestS3Bucket != nil && *d.PreviousDigestS3Bucket == ds.bucket {
		d.PreviousDigestS3Bucket = &ds.bucket
	}
	d.NewestEventTime, d.OldestEventTime, d.PreviousDigestHashAlgorithm = nil, nil, nil
	if d.PreviousDigestSignature != nil {
		ds.prevSig = newCompactHex(*d.PreviousDigestSignature)
		d.PreviousDigestSignature = &emptySig
	}
	ds.logs = make([]logRef, len(d.LogFiles))
	for i, lf := range d.LogFiles {
		b := lf.S3Bucket
		if b == ds.bucket {
			b = ds.bucket // share one copy of the name
		}
		ds.logs[i].objRef = objRef{b, lf.S3Object}
		hex.Decode(ds.logs[i].sum[:], []byte(lf.HashValue)) // ParseDigest checked the form
	}
	d.LogFiles = nil
	ds.d = d
	ds.parsed, ds.start, ds.end = true, d.Start, d.End
}

func isReadErr(err error) bool {
	var re *readError
	return errors.As(err, &re)
}

// readDigest reads, gunzips and hashes one digest, keeping its uncompressed
// bytes (digests are small) and its metadata.
func (v *verifier) readDigest(ctx context.Context, ds *digestState) ([]byte, error) {
	if err := v.acquire(ctx); err != nil {
		return nil, &readError{err}
	}
	defer v.release()
	body, meta, err := v.o.Store.Open(ctx, ds.bucket, ds.key)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, err
		}
		return nil, &readError{err}
	}
	defer body.Close()
	ds.md = metaOf(meta)
	var data []byte
	sum, compressed, _, err := gunzipHash(body, &data, maxDigestSize)
	if v.o.Progress != nil {
		v.o.Progress.Done(compressed)
	}
	ds.sha = sum
	return data, err
}

func backoff(ctx context.Context, attempt int) {
	t := time.NewTimer(time.Duration(attempt*attempt) * 100 * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// checkSignatures verifies each digest on its own: location, algorithm,
// key and RSA signature.
func (v *verifier) checkSignatures(ctx context.Context, all []*digestState) {
	o := v.o
	ring, keyErr := v.ring, v.keyErr
	for _, ds := range all {
		if ds.d == nil || ds.sigChecked {
			continue
		}
		ds.sigChecked = true
		d := ds.d
		if d.DigestS3Bucket != ds.bucket || d.DigestS3Object != ds.key {
			ds.fail(StatusInvalid, DigestMoved, "read from s3://%s/%s but written to s3://%s/%s", ds.bucket, ds.key, d.DigestS3Bucket, d.DigestS3Object)
		}
		sig, haveSig := ds.md.sig.String(), ds.md.hasSig
		alg, haveAlg := ds.md.alg, ds.md.hasAlg
		if !ds.md.present && o.Offline {
			if ds.nextSig == nil {
				ds.fail(StatusUnverifiable, DigestNoSignatureOffline, "no metadata file and no later digest holds its signature: copy it with 'trailseal pull' to keep signatures")
				continue
			}
			sig, haveSig = *ds.nextSig, true
			alg, haveAlg = d.DigestSignatureAlgorithm, true
		}
		if !haveSig || sig == "" {
			ds.fail(StatusInvalid, DigestSignatureMissing, "the object has no 'signature' metadata")
			continue
		}
		if !haveAlg {
			alg = d.DigestSignatureAlgorithm
		}
		if alg != SignatureAlgorithm || d.DigestSignatureAlgorithm != SignatureAlgorithm {
			ds.fail(StatusInvalid, DigestAlgorithm, "signature algorithm %q (metadata) / %q (content), want %s", alg, d.DigestSignatureAlgorithm, SignatureAlgorithm)
			continue
		}
		signedAt := d.End
		if ds.name.Backfill {
			ts, ok := ds.md.backfillTS, ds.md.hasTS
			if !ok && !ds.md.present && o.Offline {
				ts, ok = d.DigestEndTime, true
			}
			t, err := parseTime(ts)
			if !ok || err != nil {
				ds.fail(StatusInvalid, DigestBackfillMetadata, "backfill digest without a valid 'backfill-generation-timestamp' metadata")
				continue
			}
			signedAt = t
		}
		if keyErr != nil {
			ds.fail(StatusError, DigestKeysUnavailable, "%v", keyErr)
			continue
		}
		key, ok := findKey(ring, d.DigestPublicKeyFingerprint)
		if !ok && ds.name.Backfill {
			// Backfill digests can be signed long after the period.
			v.keysMu.Lock()
			more, err := o.Keys.Keys(ctx, signedAt.Add(-time.Hour), signedAt.Add(time.Hour))
			v.keysMu.Unlock()
			if err != nil {
				ds.fail(StatusError, DigestKeysUnavailable, "%v", err)
				continue
			}
			key, ok = findKey(more, d.DigestPublicKeyFingerprint)
		}
		if !ok {
			ds.fail(StatusInvalid, DigestKeyNotFound, "no public key with fingerprint %s", d.DigestPublicKeyFingerprint)
			continue
		}
		if !key.validAt(signedAt) {
			ds.fail(StatusInvalid, DigestKeyNotValid, "key %s is valid %s to %s, the digest was signed at %s",
				key.Fingerprint, key.ValidityStart.Format(displayTime), key.ValidityEnd.Format(displayTime), signedAt.Format(displayTime))
			continue
		}
		sigBytes, err := hex.DecodeString(strings.TrimSpace(sig))
		if err != nil {
			ds.fail(StatusInvalid, DigestSignatureInvalid, "signature metadata is not hex")
			continue
		}
		signed := *d
		if d.PreviousDigestSignature != nil {
			prev := ds.prevSig.String()
			signed.PreviousDigestSignature = &prev
		}
		h := sha256.Sum256([]byte(StringToSign(&signed, ds.sha)))
		if err := rsa.VerifyPKCS1v15(key.key, crypto.SHA256, h[:], sigBytes); err != nil {
			ds.fail(StatusInvalid, DigestSignatureInvalid, "RSA signature does not match the content: the digest or its signature was changed")
		}
	}
}

func findKey(ring []PublicKey, fp string) (PublicKey, bool) {
	for _, k := range ring {
		if strings.EqualFold(k.Fingerprint, fp) {
			return k, true
		}
	}
	return PublicKey{}, false
}

// linkOK checks the previousDigest* fields of ds against the digest p they
// name. A link is only judged when p itself verified: an invalid p is
// already reported and would otherwise be reported twice.
func linkCheck(ds, p *digestState) {
	if p.d == nil || p.status != StatusValid || ds.d == nil {
		return
	}
	if ds.d.PreviousDigestHashValue == nil || !strings.EqualFold(*ds.d.PreviousDigestHashValue, p.sha) {
		got := "<none>"
		if ds.d.PreviousDigestHashValue != nil {
			got = *ds.d.PreviousDigestHashValue
		}
		ds.fail(StatusInvalid, DigestPrevHash, "previousDigestHashValue %s, but s3://%s/%s hashes to %s", got, p.bucket, p.key, p.sha)
	}
	if p.md.hasSig && !p.md.sig.Equal(ds.prevSig) {
		ds.fail(StatusInvalid, DigestPrevSignature, "previousDigestSignature differs from the signature of s3://%s/%s", p.bucket, p.key)
	}
}

func (v *verifier) checkBackfillLinks(digests []*digestState, index map[objRef]*digestState) {
	for _, ds := range digests {
		if ds.name.Backfill && ds.d != nil && ds.d.HasPrevious() {
			if p, ok := index[prevRef(ds.d)]; ok {
				linkCheck(ds, p)
			}
		}
	}
}

// checkChain walks one region's hourly digests oldest first. It returns
// items for digests that should exist and do not, the gaps, and the periods
// whose log files those findings already account for.
func (v *verifier) checkChain(region string, chain []*digestState, index map[objRef]*digestState, explicit bool) ([]Item, []Gap, []span) {
	o := v.o
	var missing []Item
	var gaps []Gap
	var spans []span
	sort.SliceStable(chain, func(i, j int) bool { return endOf(chain[i]).Before(endOf(chain[j])) })
	if o.handoff != nil && len(chain) == 0 {
		missing, spans = v.earlierTail(region, chain)
		return missing, nil, spans
	}
	if len(chain) == 0 {
		if explicit {
			missing = append(missing, Item{Kind: "digest", Region: region, Bucket: o.Bucket, Status: StatusMissing, Reasons: []Reason{DigestNone},
				Detail: fmt.Sprintf("no digest of trail %s for this region between %s and %s", o.Layout.TrailName, o.Start.Format(displayTime), o.End.Format(displayTime))})
		}
		return missing, nil, nil
	}
	for i, ds := range chain {
		if ds.d == nil {
			// Unreadable: its link and its logs are unknown. It is reported
			// itself; its hour's logs are not reported again as unnamed.
			spans = append(spans, span{region, ds.name.End.Add(-time.Hour), ds.name.End})
			continue
		}
		var older *digestState
		if i > 0 {
			older = chain[i-1]
		}
		if !ds.d.HasPrevious() {
			if older != nil {
				from := endOf(older)
				gaps = append(gaps, Gap{Region: region, From: from, To: ds.d.Start, Reason: ValidationGap})
				spans = append(spans, span{region, from, ds.d.Start})
			}
			continue
		}
		if p, ok := index[prevRef(ds.d)]; ok {
			if p.status != StatusMissing {
				linkCheck(ds, p)
				continue
			}
			if p.into != nil {
				// The run of the earlier location reports it and the hours
				// before it.
				continue
			}
		} else {
			it := Item{Kind: "digest", Region: region, Bucket: *ds.d.PreviousDigestS3Bucket, Key: *ds.d.PreviousDigestS3Object,
				Status: StatusMissing, Reasons: []Reason{DigestMissing}, Detail: "named as previousDigestS3Object by the next digest but not found"}
			if n, ok := o.Layout.ParseDigestKey(it.Key); ok {
				it.End = n.End
			}
			missing = append(missing, it)
		}
		// The named previous digest is gone. Every hourly digest between
		// it and the next older one that survives is gone too.
		lower := o.Start
		if older != nil {
			lower = endOf(older)
		}
		upper := ds.d.Start
		spans = append(spans, span{region, lower, upper})
		for t := upper.Add(-time.Hour); t.Sub(lower) > 30*time.Minute; t = t.Add(-time.Hour) {
			missing = append(missing, Item{Kind: "digest", Region: region, Bucket: o.Bucket, Status: StatusMissing, Reasons: []Reason{DigestSlotMissing},
				Key: o.Layout.DigestDayPrefix(region, t) + "*_" + t.Format("20060102T15") + "*",
				End: t, Detail: fmt.Sprintf("the hourly digest ending about %s is gone: the chain skips from %s back to %s", t.Format(displayTime), upper.Format(displayTime), lower.Format(displayTime))})
		}
	}
	if o.handoff != nil {
		m, s := v.earlierTail(region, chain)
		return append(missing, m...), gaps, append(spans, s...)
	}
	// The end of the chain: digests are hourly, so the newest one should
	// end within about an hour of --end-time, or of the latest delivery
	// CloudTrail reports.
	newest := endOf(chain[len(chain)-1])
	expect := o.End
	if now := o.Now.Add(-time.Hour); now.Before(expect) {
		expect = now // the current hour's digest is not delivered yet
	}
	reason := DigestChainEndsEarly
	if !o.LatestDigestDelivery.IsZero() {
		// Nothing after the latest delivery is expected; anything missing
		// before it was delivered and then removed.
		if o.LatestDigestDelivery.Before(expect) {
			expect = o.LatestDigestDelivery
		}
		reason = DigestTailMissing
	}
	if expect.Sub(newest) > 70*time.Minute {
		detail := fmt.Sprintf("the newest digest ends %s; digests are hourly and should continue to about %s", newest.Format(displayTime), expect.Format(displayTime))
		if reason == DigestTailMissing {
			detail += fmt.Sprintf(" (CloudTrail reports its latest digest delivery at %s): newer digests were deleted", o.LatestDigestDelivery.Format(displayTime))
		} else {
			detail += ": newer digests were deleted, or logging or validation stopped"
		}
		for t := newest.Add(time.Hour); expect.Sub(t) > -10*time.Minute; t = t.Add(time.Hour) {
			missing = append(missing, Item{Kind: "digest", Region: region, Bucket: o.Bucket, Status: StatusMissing, Reasons: []Reason{reason},
				Key: o.Layout.DigestDayPrefix(region, t) + "*_" + t.Format("20060102T15") + "*", End: t, Detail: detail})
		}
		spans = append(spans, span{region, newest, expect.Add(time.Hour)})
	}
	return missing, gaps, spans
}

// earlierTail checks the end of an earlier location's chain: it must reach
// the digest the later location links to. The chain end there is known, so
// anything missing is a deletion, never a stop of logging.
func (v *verifier) earlierTail(region string, chain []*digestState) ([]Item, []span) {
	o, h := v.o, v.o.handoff
	lower := o.Start
	for _, ds := range chain {
		if ds.key == h.key {
			return nil, nil
		}
		lower = endOf(ds)
	}
	missing := []Item{{Kind: "digest", Region: region, Bucket: o.Bucket, Key: h.key, End: h.end, Status: StatusMissing, Reasons: []Reason{DigestMissing},
		Detail: "named as previousDigestS3Object by " + h.linkedFrom + " but not found"}}
	for t := h.end.Add(-time.Hour); t.Sub(lower) > 30*time.Minute; t = t.Add(-time.Hour) {
		missing = append(missing, Item{Kind: "digest", Region: region, Bucket: o.Bucket, Status: StatusMissing, Reasons: []Reason{DigestSlotMissing},
			Key: o.Layout.DigestDayPrefix(region, t) + "*_" + t.Format("20060102T15") + "*",
			End: t, Detail: fmt.Sprintf("the hourly digest ending about %s is gone: the chain skips from %s back to %s", t.Format(displayTime), h.end.Format(displayTime), lower.Format(displayTime))})
	}
	return missing, []span{{region, lower, h.end}}
}

func endOf(ds *digestState) time.Time {
	if ds.parsed {
		return ds.end
	}
	return ds.name.End
}

func (v *verifier) checkLog(ctx context.Context, region string, lf logRef) Item {
	it := Item{Kind: "log", Region: region, Bucket: lf.bucket, Key: lf.key, Status: StatusValid}
	var sum [32]byte
	var size int64
	var err error
	for attempt := 1; ; attempt++ {
		sum, size, err = v.hashLog(ctx, lf.bucket, lf.key)
		var re *readError
		if err == nil || !errors.As(err, &re) || attempt == fetchAttempts || ctx.Err() != nil {
			break
		}
		backoff(ctx, attempt)
	}
	it.Size = size
	switch {
	case errors.Is(err, ErrNotFound):
		it.Status, it.Reasons, it.Detail = StatusMissing, []Reason{LogMissing}, "named by its digest but not found"
	case errors.Is(err, errTrailingData):
		it.Status, it.Reasons, it.Detail = StatusInvalid, []Reason{LogTrailingData}, err.Error()
		if sum != lf.sum {
			it.Reasons = append(it.Reasons, LogModified)
		}
	case err != nil && isReadErr(err):
		it.Status, it.Reasons, it.Detail = StatusError, []Reason{LogReadError}, err.Error()
	case err != nil:
		it.Status, it.Reasons, it.Detail = StatusInvalid, []Reason{LogBadFormat}, err.Error()
	case sum != lf.sum:
		it.Status, it.Reasons, it.Detail = StatusInvalid, []Reason{LogModified}, fmt.Sprintf("content hashes to %x, the digest says %x", sum, lf.sum)
	}
	return it
}

func (v *verifier) hashLog(ctx context.Context, bucket, key string) ([32]byte, int64, error) {
	var sum [32]byte
	if err := v.acquire(ctx); err != nil {
		return sum, 0, &readError{err}
	}
	defer v.release()
	body, _, err := v.o.Store.Open(ctx, bucket, key)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return sum, 0, err
		}
		return sum, 0, &readError{err}
	}
	defer body.Close()
	hexSum, compressed, n, err := gunzipHash(body, nil, 0)
	if v.o.Progress != nil {
		v.o.Progress.Done(compressed)
	}
	hex.Decode(sum[:], []byte(hexSum))
	return sum, n, err
}

// emptySig marks a previousDigestSignature moved to digestState.prevSig.
var emptySig = ""

func prevRef(d *Digest) objRef { return objRef{*d.PreviousDigestS3Bucket, *d.PreviousDigestS3Object} }

// compactHex holds a hex signature (512 characters for a 2048-bit key) as
// bytes, keeping the text only when it is not plain lower-case hex, so it
// can be reproduced exactly for the string to sign.
type compactHex struct {
	raw  []byte
	text string
}

func newCompactHex(s string) compactHex {
	b, err := hex.DecodeString(s)
	if err != nil || hex.EncodeToString(b) != s {
		return compactHex{text: s}
	}
	return compactHex{raw: b}
}

func (c compactHex) String() string {
	if c.raw == nil {
		return c.text
	}
	return hex.EncodeToString(c.raw)
}

// Equal compares two signatures as CloudTrail writes them: hex, any case.
func (c compactHex) Equal(o compactHex) bool {
	if c.raw != nil && o.raw != nil {
		return bytes.Equal(c.raw, o.raw)
	}
	return strings.EqualFold(c.String(), o.String())
}
