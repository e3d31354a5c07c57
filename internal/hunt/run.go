package hunt

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trailseal/trailseal/internal/hunt/detection"
	"github.com/trailseal/trailseal/internal/hunt/record"
)

// Unit is one thing to read: a log file, or a page of event history.
type Unit struct {
	Origin detection.Origin
	// Open returns the unit's bytes: a log file (gzipped or not), JSON
	// Lines or an array of records.
	Open func(ctx context.Context) (io.ReadCloser, error)
	// Err, when set, is why the unit could not be listed or fetched; it
	// is reported as a source that could not be read.
	Err error
}

// Source yields the units of a hunt. Units calls yield for each, in any
// order, and stops when yield returns an error. It returns an error only
// when nothing more can be read at all.
type Source interface {
	Describe() string
	Units(ctx context.Context, yield func(Unit) error) error
}

// Options tune a run.
type Options struct {
	// Context tells detections which resources belong to a trail.
	Context *Context
	// Start and End bound the event times read; zero means unbounded.
	Start, End time.Time
	// Concurrency is the number of units read at once; 0 means two per
	// CPU.
	Concurrency int
	// Progress, when set, is told how many units were read.
	Progress func(done int)
	// TrailEvents keeps the calls that stopped or started a trail's
	// logging or validation (Hunter.TrailEvents), detections or not.
	TrailEvents bool
}

// maxNotes bounds the notes a report keeps.
const maxNotes = 50

// Hunter evaluates records into a report. Files may be fed concurrently.
type Hunter struct {
	ev   *Evaluator
	opts Options
	// names are the event names decoded: the catalog's, and with
	// TrailEvents those of trail events.
	names map[string]bool

	mu      sync.Mutex
	found   map[string]detection.Detection // by event ID and detection ID
	notes   []string
	dropped int
	sum     detection.SourceSummary
	events  []TrailEvent
	// eventsDropped: more than maxTrailEvents trail events were read.
	eventsDropped bool
}

// NewHunter starts an empty hunt.
func NewHunter(opts Options) *Hunter {
	if opts.Context == nil {
		opts.Context = NoContext(DefaultThresholds())
	}
	h := &Hunter{ev: NewEvaluator(), opts: opts, found: map[string]detection.Detection{}}
	h.names = h.ev.Names()
	if opts.TrailEvents {
		h.names = maps.Clone(h.names)
		for _, n := range TrailEventNames {
			h.names[n] = true
		}
	}
	return h
}

// Names is the set of event names the hunt decodes.
func (h *Hunter) Names() map[string]bool { return h.names }

// File returns a writer that takes the uncompressed bytes of one log file
// (or JSON Lines) and evaluates its records as they complete. It is how
// verify can hunt in the same pass as it hashes a log file: feed the
// writer alongside the hash (io.MultiWriter), set the file's verification
// status once known, and Close it.
func (h *Hunter) File(origin detection.Origin) *FileScan {
	f := &FileScan{h: h, origin: origin}
	f.rd = record.Reader{Names: h.names, Record: f.record}
	f.w = f.rd.Writer()
	return f
}

// FileScan is the writer Hunter.File returns.
type FileScan struct {
	h      *Hunter
	origin detection.Origin
	rd     record.Reader
	w      *record.RecordWriter
	found  []detection.Detection
	notes  []string
	// unread are the records whose request could not be read.
	unread []detection.SourceError
	events []TrailEvent
}

// SetVerification records the file's verification status ("valid",
// "invalid", ...) on every detection it yields; verify knows it once the
// whole file is hashed, so it may be called any time before Close.
func (f *FileScan) SetVerification(status string) { f.origin.Verification = status }

// Write implements io.Writer.
func (f *FileScan) Write(p []byte) (int, error) { return f.w.Write(p) }

// Close ends the file: its detections join the hunt, and an error says the
// file ended early or held records that could not be decoded.
func (f *FileScan) Close() error {
	err := f.w.Close()
	for i := range f.found {
		f.found[i].Origin.Verification = f.origin.Verification
	}
	f.h.add(f.origin, f.found, f.notes, f.w.Stats(), err)
	f.h.addUnread(f.unread)
	f.h.addEvents(f.origin, f.events)
	return err
}

// Discard drops what was written: the read broke off and its records do
// not count (verify retries it with a new FileScan).
func (f *FileScan) Discard() {
	f.found, f.notes, f.unread, f.events = nil, nil, nil, nil
}

func (f *FileScan) record(r *record.Record, index int) error {
	if !f.h.inWindow(r.EventTime.Time) {
		return nil
	}
	if f.h.opts.TrailEvents {
		if e, ok := trailEventOf(r); ok {
			e.Origin = f.origin
			e.Origin.Record = index
			f.events = append(f.events, e)
		}
	}
	ds, notes := f.h.ev.Evaluate(r, f.h.opts.Context)
	for i := range ds {
		ds[i].Origin = f.origin
		ds[i].Origin.Record = index
	}
	f.found = append(f.found, ds...)
	for _, n := range notes {
		if n.Unreadable {
			f.unread = append(f.unread, detection.SourceError{Location: fmt.Sprintf("%s record %d", f.origin.Location, index), Error: n.Text})
		} else {
			f.notes = append(f.notes, n.Text)
		}
	}
	return nil
}

func (h *Hunter) inWindow(t time.Time) bool {
	if !h.opts.Start.IsZero() && t.Before(h.opts.Start) {
		return false
	}
	return h.opts.End.IsZero() || !t.After(h.opts.End)
}

// ReadUnit reads one unit through the pooled reader (gzip recognised by
// its magic bytes).
func (h *Hunter) ReadUnit(ctx context.Context, u Unit) {
	if u.Err != nil {
		h.add(u.Origin, nil, nil, record.Stats{}, u.Err)
		return
	}
	body, err := u.Open(ctx)
	if err != nil {
		h.add(u.Origin, nil, nil, record.Stats{}, err)
		return
	}
	defer body.Close()
	f := &FileScan{h: h, origin: u.Origin}
	rd := record.Reader{Names: h.names, Record: f.record}
	st, err := rd.Read(body)
	h.add(u.Origin, f.found, f.notes, st, err)
	h.addUnread(f.unread)
	h.addEvents(u.Origin, f.events)
}

// addEvents keeps a file's trail events, with the file's verification
// status.
func (h *Hunter) addEvents(o detection.Origin, events []TrailEvent) {
	if len(events) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range events {
		if len(h.events) >= maxTrailEvents {
			h.eventsDropped = true
			return
		}
		e.Origin.Verification = o.Verification
		h.events = append(h.events, e)
	}
}

// TrailEvents returns the trail events read so far (with
// Options.TrailEvents), oldest first.
func (h *Hunter) TrailEvents() []TrailEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return sortEvents(slices.Clone(h.events))
}

// addUnread lists records whose request could not be read with the
// sources that could not be.
func (h *Hunter) addUnread(errs []detection.SourceError) {
	if len(errs) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sum.Errors = append(h.sum.Errors, errs...)
}

func (h *Hunter) add(o detection.Origin, found []detection.Detection, notes []string, st record.Stats, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sum.Files++
	h.sum.Records += int64(st.Records)
	h.sum.Selected += int64(st.Selected)
	h.sum.Bytes += st.Bytes
	if err != nil {
		h.sum.Errors = append(h.sum.Errors, detection.SourceError{Location: o.Location, Error: oneLine(err)})
	}
	for _, d := range found {
		k := d.EventID + "\x00" + d.DetectionID
		if d.EventID == "" {
			// Without an event ID (some exports drop it) only the
			// record's place identifies it.
			k = fmt.Sprintf("\x00%s\x00%d\x00%s", d.Origin.Location, d.Origin.Record, d.DetectionID)
		}
		if old, ok := h.found[k]; ok && old.Origin.Location <= d.Origin.Location {
			continue // the same event read from another copy
		}
		h.found[k] = d
	}
	for _, n := range notes {
		if len(h.notes) < maxNotes {
			h.notes = append(h.notes, n)
		} else {
			h.dropped++
		}
	}
}

// Report returns what the hunt found, detections sorted by time.
func (h *Hunter) Report() *detection.Report {
	h.mu.Lock()
	defer h.mu.Unlock()
	rep := &detection.Report{SchemaVersion: detection.SchemaVersion, Tool: "trailseal", GeneratedAt: time.Now().UTC(),
		Sources: h.sum, Detections: []detection.Detection{}}
	for _, d := range h.found {
		rep.Detections = append(rep.Detections, d)
	}
	slices.SortFunc(rep.Detections, func(a, b detection.Detection) int {
		return cmp.Or(a.EventTime.Compare(b.EventTime), cmp.Compare(a.EventID, b.EventID), cmp.Compare(a.DetectionID, b.DetectionID))
	})
	slices.SortFunc(rep.Sources.Errors, func(a, b detection.SourceError) int { return cmp.Compare(a.Location, b.Location) })
	rep.Notes = slices.Clone(h.notes)
	slices.Sort(rep.Notes)
	rep.Notes = slices.Compact(rep.Notes)
	if h.dropped > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d more notes like these", h.dropped))
	}
	if h.eventsDropped {
		rep.Notes = append(rep.Notes, fmt.Sprintf("more than %d calls stopped or started trails; only the first %d were kept to explain gaps", maxTrailEvents, maxTrailEvents))
	}
	if !h.opts.Start.IsZero() {
		s := h.opts.Start
		rep.Start = &s
	}
	if !h.opts.End.IsZero() {
		e := h.opts.End
		rep.End = &e
	}
	return rep
}

// Run reads every unit of src with opts.Concurrency readers and returns the
// report. It fails only when the source cannot be read at all or ctx ends;
// units that cannot be read are listed in the report.
func Run(ctx context.Context, src Source, opts Options) (*detection.Report, error) {
	n := opts.Concurrency
	if n <= 0 {
		n = 2 * runtime.NumCPU()
	}
	h := NewHunter(opts)
	units := make(chan Unit, n)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(units)
		return src.Units(gctx, func(u Unit) error {
			select {
			case units <- u:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		})
	})
	var done int
	var doneMu sync.Mutex
	for range n {
		g.Go(func() error {
			for u := range units {
				if gctx.Err() != nil {
					continue // drain
				}
				h.ReadUnit(gctx, u)
				if opts.Progress != nil {
					doneMu.Lock()
					done++
					opts.Progress(done)
					doneMu.Unlock()
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep := h.Report()
	rep.Sources.Description = src.Describe()
	return rep, nil
}

// oneLine keeps an error message on one line for reports (joined errors
// are separated by newlines).
func oneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
}

// MergeReports combines the reports of hunts over disjoint parts of one
// source (the shards of a sharded 'verify --hunt'): sources added up,
// detections and notes of every part, the same event once. The context
// and period are the first report's.
func MergeReports(parts []*detection.Report) *detection.Report {
	out := &detection.Report{SchemaVersion: detection.SchemaVersion, Detections: []detection.Detection{}}
	seen := map[string]bool{}
	for i, p := range parts {
		if i == 0 {
			out.Tool, out.Version, out.GeneratedAt, out.Start, out.End, out.Context = p.Tool, p.Version, p.GeneratedAt, p.Start, p.End, p.Context
			out.Sources.Description = p.Sources.Description
		}
		out.Sources.Files += p.Sources.Files
		out.Sources.Records += p.Sources.Records
		out.Sources.Selected += p.Sources.Selected
		out.Sources.Bytes += p.Sources.Bytes
		out.Sources.Errors = append(out.Sources.Errors, p.Sources.Errors...)
		out.Notes = append(out.Notes, p.Notes...)
		for _, d := range p.Detections {
			k := d.EventID + "\x00" + d.DetectionID
			if d.EventID != "" && seen[k] {
				continue
			}
			seen[k] = true
			out.Detections = append(out.Detections, d)
		}
	}
	slices.SortFunc(out.Detections, func(a, b detection.Detection) int {
		return cmp.Or(a.EventTime.Compare(b.EventTime), cmp.Compare(a.EventID, b.EventID), cmp.Compare(a.DetectionID, b.DetectionID))
	})
	slices.SortFunc(out.Sources.Errors, func(a, b detection.SourceError) int { return cmp.Compare(a.Location, b.Location) })
	slices.Sort(out.Notes)
	out.Notes = slices.Compact(out.Notes)
	return out
}
