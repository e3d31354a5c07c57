package fix

// Helpers for settling a multi-call step (resolve): each call was
// journaled as pending before it was made, so a pending change is a call
// whose outcome is unknown until its resource is read.

// hasPending reports whether the call is pending.
func hasPending(e *Entry, call string) bool {
	for _, c := range e.Changes {
		if c.Call == call && c.Pending {
			return true
		}
	}
	return false
}

// confirm marks the pending call as made, with the resource and summary
// only the reading told ("" keeps what was recorded).
func confirm(e *Entry, call, resource, summary string) {
	for i := range e.Changes {
		c := &e.Changes[i]
		if c.Call == call && c.Pending {
			c.Pending = false
			if resource != "" {
				c.Resource = resource
			}
			if summary != "" {
				c.Summary = summary
			}
		}
	}
}

// dropPending forgets a pending call that the reading shows was not made.
func dropPending(e *Entry, call string) {
	out := e.Changes[:0]
	for _, c := range e.Changes {
		if !(c.Call == call && c.Pending) {
			out = append(out, c)
		}
	}
	e.Changes = out
}

// madeCall reports whether the call was made.
func madeCall(e *Entry, call string) bool {
	for _, c := range e.Changes {
		if c.Call == call && !c.Pending {
			return true
		}
	}
	return false
}

// settleCalls gives a settled multi-call step its status: applied when
// its last call was made, else failed (partially applied when an earlier
// call was made).
func settleCalls(r *stepRun, last string) {
	e := r.entry()
	switch {
	case madeCall(e, last):
		r.settle(Applied, "")
		e.Note = "settled by reading the resources back after the run was interrupted"
	case len(e.madeChanges()) > 0:
		r.fail(errInterrupted)
	default:
		r.settle(Failed, "interrupted before any change was made")
	}
}
