package verify

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"
)

// runChain verifies one chain and folds its report into the archive's.
// With a state file it first compares the fingerprints of the day folders
// the previous run verified: none changed, only digests newer than the
// checkpoint are read; one changed, the chain is verified again in full
// from that day.
func (a *archive) runChain(ctx context.Context, job chainJob) error {
	s := a.spec
	l := a.layout(job.account)
	o := Options{Bucket: a.bucket, Layout: l, Regions: []string{job.region}, Expect: &job.expect,
		Start: s.Start, End: s.End, Keys: a.keys, KeyFrom: a.keyFrom, KeyTo: a.keyTo,
		Concurrency: max(8, s.Concurrency/4), Slots: a.slots, LatestDigestDeliveryFunc: a.latest, Now: s.Now,
		Offline: s.FromDir != "", FromDir: s.FromDir, ListValidLogs: s.ListValidLogs, Logger: s.Logger, LogSink: s.LogSink}
	if s.Progress != nil {
		o.Progress = s.Progress
	}
	// A chain verified in full takes a heavy slot before it lists; one
	// with a checkpoint only if its day folders changed.
	light := a.hasState(job)
	if !light {
		if err := a.acquireHeavy(ctx); err != nil {
			return err
		}
		defer a.releaseHeavy()
	}
	// Listed before anything is read: the fingerprints must describe what
	// was there before this run's verdicts, never after.
	listing, err := listChain(ctx, a.store, a.bucket, l, job.region, s.Start, s.End.Add(time.Hour))
	var report *Report
	var inc *Incremental
	if err == nil {
		o.Store = listing
		inc = a.plan(job, listing, &o)
		if light && o.Checkpoint == nil {
			if err := a.acquireHeavy(ctx); err != nil {
				return err
			}
			defer a.releaseHeavy()
		}
		report, err = Run(ctx, o)
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		report = chainError(job, a.bucket, s.Start, s.End, err)
	}
	a.advance(job, listing, report, inc)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.report.addChain(job.account, job.region, report, inc, s.ListValidLogs)
	a.done++
	if p := s.Progress; p != nil {
		p.Chains(a.planned, a.done)
	}
	return nil
}

// hasState tells whether the state has an entry for the chain.
func (a *archive) hasState(job chainJob) bool {
	return a.old != nil && a.old.Chains[chainKey(job.account, job.region)] != nil
}

func (a *archive) acquireHeavy(ctx context.Context) error {
	select {
	case a.heavy <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (a *archive) releaseHeavy() { <-a.heavy }

// chainError is the report of a chain whose folders could not be read.
func chainError(job chainJob, bucket string, start, end time.Time, err error) *Report {
	r := &Report{Bucket: bucket, Account: job.account, Start: start, End: end, Regions: []string{job.region}, Expected: job.expect,
		Digests: []Item{{Kind: "region", Region: job.region, Bucket: bucket, Status: StatusError, Reasons: []Reason{DigestReadError},
			Detail: fmt.Sprintf("the chain's folders could not be read: %v", err)}}}
	r.finish()
	return r
}

// plan sets the options of a chain the state knows: since its checkpoint,
// or again from the first day folder that changed.
func (a *archive) plan(job chainJob, listing *chainListing, o *Options) *Incremental {
	if a.spec.State == nil {
		return nil
	}
	inc := &Incremental{Mode: ModeInFull}
	var cs *ChainState
	if a.old != nil {
		cs = a.old.Chains[chainKey(job.account, job.region)]
	}
	switch {
	case cs == nil:
		return inc
	case cs.Start.After(a.spec.Start):
		inc.Why = "the state covers a later start than --start-time"
		return inc
	case cs.Checkpoint.Bucket != a.bucket || cs.Checkpoint.End.After(a.spec.End.Add(time.Hour)):
		inc.Why = "the state's checkpoint is not in this bucket and period"
		return inc
	}
	inc.Checkpoint = cs.Checkpoint.Key
	now, err := listing.fingerprints(cs.Checkpoint.Cutoff())
	if err != nil {
		inc.Why = err.Error()
		return inc
	}
	for _, d := range days(a.spec.Start, cs.Checkpoint.Cutoff().lastDay()) {
		day := d.Format(dayLayout)
		if cs.Days[day] != now[day] {
			inc.ChangedDays = append(inc.ChangedDays, day)
		}
	}
	if len(inc.ChangedDays) == 0 {
		cp := cs.Checkpoint
		o.Checkpoint = &cp
		inc.Mode = ModeSinceCheckpoint
		return inc
	}
	// Something verified before changed: everything from that day on is
	// verified again, and the checkpoint digest must still be as recorded.
	first, _ := time.Parse(dayLayout, inc.ChangedDays[0])
	if first.After(o.Start) {
		o.Start = first
	}
	rec := cs.Checkpoint
	o.Recorded = &rec
	inc.Mode = "again from " + inc.ChangedDays[0]
	return inc
}

// advance records where a chain that verified cleanly now stands.
func (a *archive) advance(job chainJob, listing *chainListing, r *Report, inc *Incremental) {
	if inc == nil {
		return
	}
	switch {
	case r.Outcome != OutcomeValid:
		inc.Why = "the chain did not verify cleanly: the state keeps the previous checkpoint"
		return
	case len(r.Earlier) > 0:
		inc.Why = "the chain was followed into an earlier location, which the state does not fingerprint: verified in full each run"
		return
	case r.next == nil:
		inc.Why = "no verified digest to record"
		return
	}
	days, err := listing.fingerprints(r.next.Cutoff())
	if err != nil {
		inc.Why = err.Error()
		return
	}
	a.mu.Lock()
	a.next[chainKey(job.account, job.region)] = &ChainState{Start: a.spec.Start, Checkpoint: *r.next, Days: days}
	a.mu.Unlock()
	inc.Advanced = true
}

// saveState writes the state with the chains that advanced, keeping the
// entries of every other chain as they were.
func (a *archive) saveState(ctx context.Context) error {
	st := a.spec.State
	if st == nil {
		return nil
	}
	sum := a.report.State
	for _, c := range a.report.Chains {
		if c.Incremental == nil {
			continue
		}
		switch c.Incremental.Mode {
		case ModeSinceCheckpoint:
			sum.SinceCheckpoint++
		case ModeInFull:
			sum.InFull++
		default:
			sum.Again++
		}
		if c.Incremental.Advanced {
			sum.Advanced++
		}
	}
	next := &State{Trail: a.spec.Trail.Raw, Bucket: a.bucket, Prefix: a.prefix, Shard: a.spec.Shard.String(), Updated: a.spec.Now.UTC(),
		Chains: map[string]*ChainState{}}
	if a.old != nil {
		maps.Copy(next.Chains, a.old.Chains)
	}
	maps.Copy(next.Chains, a.next)
	err := st.Save(ctx, next)
	switch {
	case err == nil:
		sum.Saved = true
	case errors.Is(err, ErrStateChanged):
		sum.Error = err.Error()
	case ctx.Err() != nil:
		return ctx.Err()
	default:
		sum.Error = err.Error()
	}
	return nil
}
