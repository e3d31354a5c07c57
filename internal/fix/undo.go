package fix

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Undo outcomes.
const (
	Reverted    = "reverted"
	NotReverted = "not reverted"
	UndoFailed  = "undo failed"
	// Refused: the resource changed since fix changed it, so reverting it
	// would destroy someone's later change. --force reverts it anyway.
	Refused = "refused"
	// AlreadyReverted: an earlier undo of the same journal reverted it.
	AlreadyReverted = "already reverted"
)

// UndoResult is what happened to one journal entry, or, for a step that
// failed halfway, to one of the changes it made.
type UndoResult struct {
	Step Step `json:"step"`
	// Change is set for a step that was only partially applied: the
	// summary of the completed call this result is about.
	Change string `json:"change,omitempty"`
	Status string `json:"status"`
	Detail string `json:"detail"`
}

// Undoer reverts what a journal records.
type Undoer struct {
	Clients *Clients
	Journal *Journal
	// Force reverts steps whose resource changed since fix changed it.
	Force bool
}

// Undo reverts a journal's changes without --force.
func Undo(ctx context.Context, c *Clients, j *Journal) []UndoResult {
	return (&Undoer{Clients: c, Journal: j}).Undo(ctx)
}

// Undo reverts the applied entries of the journal, and the completed
// changes of entries that failed or were interrupted halfway, newest
// first. Before it reverts a step it reads the resource: when it is no
// longer as fix left it, the step is refused (unless Force), with what
// changed and the command that reverts it by hand. It keeps going after a
// failure so that as much as possible is put back, records in the journal
// what it reverted so that a second undo changes nothing, and says for
// each entry (or change) what happened.
func (u *Undoer) Undo(ctx context.Context) []UndoResult {
	j := u.Journal
	outputs := map[string]map[string]string{}
	for _, e := range j.Entries {
		outputs[e.Step.ID] = e.Outputs
	}
	var out []UndoResult
	for i := len(j.Entries) - 1; i >= 0; i-- {
		run := &undoRun{clients: u.Clients, entry: j.Entries[i], force: u.Force, outputs: outputs}
		var rs []UndoResult
		switch e := &j.Entries[i]; {
		case e.Partial():
			rs = u.undoChanges(ctx, run, e)
		case e.Status != Applied:
			continue
		case e.Undone != nil && e.Undone.Status == NotReverted:
			rs = []UndoResult{{Step: e.Step, Status: NotReverted, Detail: e.Undone.Detail}}
		case e.Undone != nil:
			rs = []UndoResult{{Step: e.Step, Status: AlreadyReverted, Detail: undoneDetail(e.Undone)}}
		default:
			r := u.undoEntry(ctx, run)
			e.Undone = u.record(r)
			rs = []UndoResult{r}
		}
		out = append(out, rs...)
		if err := j.Save(); err != nil {
			out = append(out, UndoResult{Step: j.Entries[i].Step, Status: UndoFailed,
				Detail: fmt.Sprintf("the journal could not record this undo (%v): a later undo will check the step again", err)})
		}
	}
	return out
}

func (u *Undoer) undoEntry(ctx context.Context, run *undoRun) UndoResult {
	e := run.entry
	r := UndoResult{Step: e.Step}
	ops, err := opsOf(e.Step.Kind)
	switch {
	case err != nil:
		r.Status, r.Detail = UndoFailed, err.Error()
	case !e.Step.Reversible || ops.undo == nil:
		r.Status, r.Detail = NotReverted, e.Step.NotReversible
	default:
		detail, err := ops.undo(ctx, run)
		r.Status, r.Detail = outcome(detail, err)
	}
	return r
}

// undoChanges reverts, newest first, what a step that did not complete had
// already changed. A step's own Reversible flag says nothing here: a key
// step is irreversible as a whole, yet the calls that did run are judged
// one by one.
func (u *Undoer) undoChanges(ctx context.Context, run *undoRun, e *Entry) []UndoResult {
	ops, _ := opsOf(e.Step.Kind)
	var out []UndoResult
	for i := len(e.Changes) - 1; i >= 0; i-- {
		ch := &e.Changes[i]
		if ch.Pending {
			continue
		}
		r := UndoResult{Step: e.Step, Change: ch.Summary}
		switch {
		case ch.Undone != nil && ch.Undone.Status == NotReverted:
			r.Status, r.Detail = NotReverted, ch.Undone.Detail
		case ch.Undone != nil:
			r.Status, r.Detail = AlreadyReverted, ch.Summary+": "+undoneDetail(ch.Undone)
		case !ch.Reversible || ops.undoChange == nil:
			r.Status, r.Detail = NotReverted, ch.Summary+": "+ch.NotReversible
			ch.Undone = u.record(r)
		default:
			detail, err := ops.undoChange(ctx, run, *ch)
			r.Status, r.Detail = outcome(detail, err)
			if r.Status != Reverted {
				r.Detail = ch.Summary + ": " + r.Detail
			}
			ch.Undone = u.record(r)
		}
		out = append(out, r)
	}
	return out
}

// outcome turns what a kind's undo returned into a status and detail.
func outcome(detail string, err error) (string, string) {
	var d *driftError
	switch {
	case errors.As(err, &d):
		return Refused, d.Error()
	case err != nil:
		return UndoFailed, err.Error()
	}
	return Reverted, detail
}

// record is what the journal keeps of an undo: reverted steps and
// irreversible ones, so that a second undo leaves both alone. Refused and
// failed steps are not recorded: a later undo tries them again.
func (u *Undoer) record(r UndoResult) *UndoRecord {
	if r.Status != Reverted && r.Status != NotReverted {
		return nil
	}
	return &UndoRecord{At: time.Now().UTC(), Status: r.Status, Detail: r.Detail, Forced: u.Force}
}

func undoneDetail(rec *UndoRecord) string {
	return fmt.Sprintf("reverted by an undo on %s (%s)", rec.At.Format(time.RFC3339), rec.Detail)
}

// undoRun is one journal entry being reverted.
type undoRun struct {
	clients *Clients
	entry   Entry
	force   bool
	outputs map[string]map[string]string
}

// from returns an identifier a step of the journal created.
func (u *undoRun) from(step, key string) (string, error) {
	v := u.outputs[step][key]
	if v == "" {
		return "", fmt.Errorf("the journal records no %s of step %s", key, step)
	}
	return v, nil
}

// changed reports a resource that is no longer as fix left it: an error
// that refuses the step, unless the undo is forced.
func (u *undoRun) changed(now, left, manual string) error {
	if u.force {
		return nil
	}
	return &driftError{now: now, left: left, manual: manual}
}

// driftError refuses to revert a resource someone changed after fix.
type driftError struct{ now, left, manual string }

func (d *driftError) Error() string {
	return fmt.Sprintf("changed since fix applied it: it is now %s, fix left %s. Reverting would undo that later change too, so it was left alone: revert by hand with '%s', or run the undo again with --force",
		d.now, d.left, d.manual)
}
