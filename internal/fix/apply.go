package fix

import (
	"context"
	"errors"
	"fmt"
	"time"

	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/trailseal/trailseal/internal/awsclient"
)

// Applier runs a plan's steps in order.
type Applier struct {
	Clients *Clients
	Journal *Journal
	// Progress, when set, is told about each step as it finishes.
	Progress func(e Entry)
	// RetryDelay is how long to wait before retrying a trail update that
	// IAM has not yet propagated a new role for; 0 means 5 seconds.
	RetryDelay time.Duration
	// Grace is how long a call in flight may still take once the run is
	// interrupted (its context cancelled); 0 means DefaultGrace.
	Grace time.Duration
	// Abandon, when closed after an interruption, abandons the call in
	// flight at once (a second Ctrl-C).
	Abandon <-chan struct{}
}

// DefaultGrace is how long an interrupted run lets the call in flight
// finish before abandoning it.
const DefaultGrace = 30 * time.Second

// readBackTimeout bounds the reads that settle a step after an
// interruption.
const readBackTimeout = 30 * time.Second

// Outcome summarises an apply run.
type Outcome struct {
	Applied, Failed, Skipped int
	// Partial counts the failed steps that changed something before they
	// failed; they are included in Failed.
	Partial int
	// Unsettled counts the steps whose outcome could not be read back
	// after an interruption; they are included in Failed and stay "in
	// progress" in the journal for the next run to settle.
	Unsettled int
	// Interrupted is true when the run was stopped before its last step.
	Interrupted bool
}

func (o *Outcome) count(e Entry) {
	switch e.Status {
	case Applied:
		o.Applied++
	case Failed, InProgress:
		o.Failed++
		if e.Partial() {
			o.Partial++
		}
		if e.Status == InProgress {
			o.Unsettled++
		}
	default:
		o.Skipped++
	}
}

// Apply runs every step whose dependencies succeeded, journals each one,
// and stops steps that depend on a failure. It returns an error only when
// the journal cannot be written; step failures are in the journal and the
// Outcome.
//
// When ctx is cancelled (SIGINT, SIGTERM) no further step starts and no
// further call of a multi-call step is made, but the call in flight is let
// finish for up to Grace, so that its answer (a new key's ARN, the
// confirmation of a write) is recorded. A call abandoned after that, or
// after Abandon, has an unknown outcome: the step is then read back and
// the journal records what is true.
func (a *Applier) Apply(ctx context.Context, plan *Plan) (Outcome, error) {
	var out Outcome
	if err := a.Journal.Save(); err != nil {
		return out, err
	}
	calls, stop := a.callContext(ctx)
	defer stop()
	st := &applyState{status: map[string]string{}, outputs: map[string]map[string]string{}}
	for _, s := range plan.Steps {
		e, err := a.step(ctx, calls, s, st)
		if err != nil {
			return out, err
		}
		out.count(e)
		if a.Progress != nil {
			a.Progress(e)
		}
	}
	out.Interrupted = ctx.Err() != nil
	return out, nil
}

// applyState is what later steps need to know about earlier ones.
type applyState struct {
	status  map[string]string
	outputs map[string]map[string]string
}

// callContext returns the context SDK calls run under: it outlives ctx by
// the grace period, or until Abandon.
func (a *Applier) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	calls, cancel := context.WithCancel(context.WithoutCancel(ctx))
	grace := a.Grace
	if grace == 0 {
		grace = DefaultGrace
	}
	go func() {
		select {
		case <-ctx.Done():
		case <-calls.Done():
			return
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
		case <-a.Abandon:
		case <-calls.Done():
		}
		cancel()
	}()
	return calls, cancel
}

func (a *Applier) step(ctx, calls context.Context, s Step, st *applyState) (Entry, error) {
	j := a.Journal
	e := Entry{Step: s, At: time.Now().UTC()}
	for _, d := range s.DependsOn {
		if st.status[d] != Applied {
			e.Status, e.Error = Skipped, fmt.Sprintf("not attempted: step %s it depends on was not applied", d)
			break
		}
	}
	if e.Status == "" && ctx.Err() != nil {
		e.Status, e.Error = Skipped, "not attempted: interrupted"
	}
	ops, err := opsOf(s.Kind)
	if e.Status == "" && err != nil {
		e.Status, e.Error = Failed, err.Error()
	}
	if e.Status != "" {
		j.Entries = append(j.Entries, e)
		st.status[s.ID] = e.Status
		return e, j.Save()
	}
	e.Status = InProgress
	j.Entries = append(j.Entries, e)
	if err := j.Save(); err != nil {
		return e, err
	}
	r := &stepRun{step: s, clients: a.Clients, journal: j, at: len(j.Entries) - 1, outputs: st.outputs,
		interrupted: func() bool { return ctx.Err() != nil }, retryDelay: a.RetryDelay}
	err = ops.apply(calls, r)
	var je *journalError
	switch {
	case errors.As(err, &je):
		return *r.entry(), err
	case err == nil:
		r.settle(Applied, "")
	case inDoubt(err, ctx):
		a.readBack(ctx, ops, r, err)
	default:
		r.fail(err)
	}
	e = *r.entry()
	e.At = time.Now().UTC()
	j.Entries[r.at] = e
	st.status[s.ID] = e.Status
	if e.Status == Applied {
		st.outputs[s.ID] = e.Outputs
	}
	return e, j.Save()
}

// readBack settles a step whose last call has an unknown outcome.
func (a *Applier) readBack(ctx context.Context, ops kindOps, r *stepRun, callErr error) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readBackTimeout)
	defer cancel()
	// The call may have failed because its endpoint stopped answering
	// and was given up: reading back still gets one attempt.
	rctx = awsclient.TryOnce(rctx)
	if err := ops.resolve(rctx, r); err != nil {
		r.entry().Error = fmt.Sprintf("interrupted during a call (%v), and reading the result back failed (%v): the next 'trailseal fix' or 'fix --undo' reads it again", callErr, err)
	}
}

// inDoubt reports whether a failed call may nonetheless have been made:
// it was abandoned after an interruption, or the connection failed after
// the request may have been sent.
func inDoubt(err error, ctx context.Context) bool {
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return true
	}
	var send *smithyhttp.RequestSendError
	return errors.As(err, &send)
}

// errInterrupted stops a multi-call step between two calls.
var errInterrupted = errors.New("interrupted")

// stepRun is one step being applied or settled: the kind's functions make
// their calls through it, and it writes the journal as they go.
type stepRun struct {
	step        Step
	clients     *Clients
	journal     *Journal
	at          int
	outputs     map[string]map[string]string
	interrupted func() bool
	retryDelay  time.Duration
}

func (r *stepRun) entry() *Entry { return &r.journal.Entries[r.at] }

func (r *stepRun) save() error {
	if err := r.journal.Save(); err != nil {
		return &journalError{err}
	}
	return nil
}

// from returns an identifier an earlier step of this run created.
func (r *stepRun) from(step, key string) (string, error) {
	v := r.outputs[step][key]
	if v == "" {
		return "", fmt.Errorf("step %s produced no %s", step, key)
	}
	return v, nil
}

// intend records the state before the change and the state fix is about to
// set, before the write.
func (r *stepRun) intend(prev, left any) error {
	e := r.entry()
	e.Previous = marshal(prev)
	if left != nil {
		e.Left = marshal(left)
	}
	return r.save()
}

// output records an identifier the step created, at once.
func (r *stepRun) output(key, value string) error {
	e := r.entry()
	if e.Outputs == nil {
		e.Outputs = map[string]string{}
	}
	e.Outputs[key] = value
	return r.save()
}

// call makes one write call of a multi-call step: the change is recorded
// as pending before the call and confirmed after it; do may fill in what
// only the answer tells (a new key's ARN). A call refused by AWS leaves no
// record; a call whose outcome is unknown stays pending for resolve.
func (r *stepRun) call(ctx context.Context, ch Change, do func(ctx context.Context, ch *Change) error) error {
	if r.interrupted() {
		return &callError{call: ch.Call, err: errInterrupted}
	}
	ch.Pending = true
	e := r.entry()
	e.Changes = append(e.Changes, ch)
	i := len(e.Changes) - 1
	if err := r.save(); err != nil {
		return err
	}
	err := do(ctx, &r.entry().Changes[i])
	e = r.entry()
	switch {
	case err == nil:
		e.Changes[i].Pending = false
	case inDoubt(err, ctx):
		return &callError{call: ch.Call, err: err}
	default:
		e.Changes = append(e.Changes[:i], e.Changes[i+1:]...)
	}
	if serr := r.save(); serr != nil {
		return serr
	}
	return failedCall(ch.Call, err)
}

// settle sets the step's final status.
func (r *stepRun) settle(status, why string) {
	e := r.entry()
	e.Status, e.Error = status, why
	if status != Applied && len(e.madeChanges()) > 0 {
		e.Error = partialError(e.madeChanges(), errors.New(why))
	}
}

// fail records a failed step.
func (r *stepRun) fail(err error) {
	e := r.entry()
	e.Status, e.Error = Failed, err.Error()
	if len(e.madeChanges()) > 0 {
		e.Error = partialError(e.madeChanges(), err)
	}
}

// callError names the write call of a multi-call step that failed, so that
// the report can say which part of the step did not happen.
type callError struct {
	call string
	err  error
}

func (e *callError) Error() string { return e.err.Error() }
func (e *callError) Unwrap() error { return e.err }

func failedCall(call string, err error) error {
	if err == nil {
		return nil
	}
	return &callError{call: call, err: err}
}

// partialError is the journal's and the report's account of a step that
// failed after changing something: what was changed and what failed.
func partialError(changes []Change, err error) string {
	done := make([]string, 0, len(changes))
	for _, c := range changes {
		done = append(done, c.Summary)
	}
	verb := "was"
	if len(done) > 1 {
		verb = "were"
	}
	failed := "the rest of the step"
	var ce *callError
	if errors.As(err, &ce) {
		failed = ce.call
	}
	if errors.Is(err, errInterrupted) {
		return fmt.Sprintf("partially applied: %s %s changed, then the run was interrupted before %s", joinAnd(done), verb, failed)
	}
	return fmt.Sprintf("partially applied: %s %s changed, %s failed: %v", joinAnd(done), verb, failed, err)
}

func joinAnd(l []string) string {
	out := ""
	for i, s := range l {
		if i > 0 {
			out += " and "
		}
		out += s
	}
	return out
}

// Settle reads back the steps a journal left in progress (its run was
// killed, or a call's outcome could not be read after an interruption) and
// records what is true. It returns the entries it settled; an entry it
// could not read stays in progress, with the reason in its error.
func Settle(ctx context.Context, c *Clients, j *Journal) ([]Entry, error) {
	var out []Entry
	for i := range j.Entries {
		if j.Entries[i].Status != InProgress {
			continue
		}
		r := &stepRun{step: j.Entries[i].Step, clients: c, journal: j, at: i, interrupted: func() bool { return true }}
		ops, err := opsOf(r.step.Kind)
		if err == nil {
			err = ops.resolve(ctx, r)
		}
		var je *journalError
		if errors.As(err, &je) {
			return out, err
		}
		if err != nil {
			r.entry().Error = fmt.Sprintf("the run stopped during this step, and reading its result back failed (%v): run again, or check %s by hand", err, r.step.Resource)
		}
		out = append(out, *r.entry())
		if err := r.save(); err != nil {
			return out, err
		}
	}
	return out, nil
}
