package awsclient

import (
	"context"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// callState is one call's record across its attempts. Its fields are
// guarded by the mutex of net, the Network it was first sent through.
type callState struct {
	net      *Network
	name     string // "s3:GetObject", when known
	endpoint string // of the last attempt
	attempts int
	since    time.Time // first failed attempt of the current run of failures
	last     string
	// The call is given up once it has failed for the Network's limit, or
	// its endpoint is given up: cut is closed then, which ends a retry
	// backoff at once instead of letting it run out first.
	cut    chan struct{}
	closed bool
	cause  *UnreachableError
	timer  *time.Timer
}

func newCallState() *callState { return &callState{cut: make(chan struct{})} }

type callStateKey struct{}

func callOf(ctx context.Context) *callState {
	c, _ := middleware.GetStackValue(ctx, callStateKey{}).(*callState)
	return c
}

// callNameOf names the call a request belongs to, "" when unknown.
func callNameOf(ctx context.Context) string {
	svc, op := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)
	if svc == "" || op == "" {
		return ""
	}
	return CallName(svc, op)
}

// callMiddleware wraps the SDK's retry loop: the loop runs under a context
// that is canceled when the call is given up, so that a backoff of up to
// twenty seconds does not outlast the limit, while each attempt keeps the
// call's own context (a streamed body outlives the loop).
func (n *Network) callMiddleware(stack *middleware.Stack) error {
	start := middleware.FinalizeMiddlewareFunc("trailsealCallStart", n.handleCall)
	if _, ok := stack.Finalize.Get(start.ID()); ok {
		return nil // a configuration the Network was applied to twice
	}
	if _, ok := stack.Finalize.Get("Retry"); !ok {
		return stack.Finalize.Add(start, middleware.Before)
	}
	if err := stack.Finalize.Insert(start, "Retry", middleware.Before); err != nil {
		return err
	}
	return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("trailsealCallAttempt", attemptContext), "Retry", middleware.After)
}

func (n *Network) handleCall(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	cs := newCallState()
	stop := context.AfterFunc(ctx, func() { n.cutCall(cs, nil) })
	loop := middleware.WithStackValue(cutContext{Context: ctx, cs: cs}, callStateKey{}, cs)
	loop = middleware.WithStackValue(loop, callContextKey{}, ctx)
	out, md, err := next.HandleFinalize(loop, in)
	stop()
	if cause := n.endCall(cs); err != nil && cause != nil && ctx.Err() == nil {
		// As a send error: an earlier attempt may have reached AWS and
		// been applied, so a caller that writes must read back.
		err = &smithyhttp.RequestSendError{Err: cause}
	}
	return out, md, err
}

type callContextKey struct{}

// attemptContext gives an attempt the call's own cancellation with the
// values the retry loop added.
func attemptContext(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	if own, ok := middleware.GetStackValue(ctx, callContextKey{}).(context.Context); ok {
		ctx = valuesFrom{Context: own, values: ctx}
	}
	return next.HandleFinalize(ctx, in)
}

// cutContext is a call's context, canceled also when the call is given up.
type cutContext struct {
	context.Context
	cs *callState
}

func (c cutContext) Done() <-chan struct{} { return c.cs.cut }

func (c cutContext) Err() error {
	select {
	case <-c.cs.cut:
		if err := c.Context.Err(); err != nil {
			return err
		}
		return context.Canceled
	default:
		return nil
	}
}

// valuesFrom is Context's deadline and cancellation with the values of
// values.
type valuesFrom struct {
	context.Context
	values context.Context
}

func (v valuesFrom) Value(key any) any { return v.values.Value(key) }

// StartCall marks ctx as the context of one call to service (an SDK
// service ID, "S3") and operation, for code that sends its requests itself
// rather than through an SDK client: its attempts are bounded together and
// named in notices and debug lines, and Sleep between them ends when the
// call is given up. end must be called when the call returns.
func StartCall(ctx context.Context, service, operation string) (_ context.Context, end func()) {
	ctx = awsmiddleware.SetServiceID(ctx, service)
	ctx = awsmiddleware.SetOperationName(ctx, operation)
	cs := newCallState()
	return middleware.WithStackValue(ctx, callStateKey{}, cs), func() {
		if cs.net != nil {
			cs.net.endCall(cs)
		}
	}
}

// Sleep waits d, the backoff before a call's next attempt. It returns
// early with an error when ctx is canceled, or when the call StartCall
// began is given up: that error is the call's UnreachableError.
func Sleep(ctx context.Context, d time.Duration) error {
	var cut <-chan struct{}
	cs := callOf(ctx)
	if cs != nil {
		cut = cs.cut
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-cut:
		if cs.net != nil {
			cs.net.mu.Lock()
			defer cs.net.mu.Unlock()
		}
		if cs.cause != nil {
			return cs.cause
		}
		return context.Canceled
	}
}

// joinCall ties cs to n at its first attempt. The caller holds n.mu.
func (n *Network) joinCall(cs *callState, ep, name string) {
	if cs.net == nil {
		cs.net = n
		n.calls[cs] = struct{}{}
	}
	cs.endpoint, cs.name = ep, name
}

// callFailed records a failed attempt of cs and, at its first, arms the
// timer that gives it up. The caller holds n.mu.
func (n *Network) callFailed(cs *callState, start time.Time, problem string, now time.Time) {
	cs.last = problem
	if !cs.since.IsZero() {
		return
	}
	cs.since = start
	if cs.timer != nil {
		cs.timer.Stop()
	}
	cs.timer = time.AfterFunc(n.opts.GiveUpAfter-now.Sub(start), func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		if cs.since.IsZero() {
			return
		}
		// Its endpoint has most likely failed as long: give that up
		// first, which names the endpoint rather than the call.
		now := n.now()
		n.expire(n.endpoint(cs.endpoint), cs.endpoint, cs.name, now)
		n.expire(&n.all, cs.endpoint, cs.name, now)
		n.cutCallLocked(cs, n.perCallError(cs, now))
	})
}

// callAnswered records an answer to cs. The caller holds n.mu.
func (n *Network) callAnswered(cs *callState) {
	cs.since, cs.last = time.Time{}, ""
	if cs.timer != nil {
		cs.timer.Stop()
		cs.timer = nil
	}
}

func (n *Network) perCallError(cs *callState, now time.Time) *UnreachableError {
	return &UnreachableError{Endpoint: cs.endpoint, Call: cs.name, For: now.Sub(cs.since), Last: cs.last, PerCall: true, Hint: n.opts.Hint}
}

func (n *Network) cutCall(cs *callState, cause *UnreachableError) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cutCallLocked(cs, cause)
}

// cutCallLocked gives cs up with cause (nil: its context was canceled).
func (n *Network) cutCallLocked(cs *callState, cause *UnreachableError) {
	if cs.closed {
		return
	}
	cs.closed, cs.cause = true, cause
	close(cs.cut)
}

// cutCallsTo gives up every call whose last attempt went to ep ("" for
// every call). The caller holds n.mu.
func (n *Network) cutCallsTo(ep string, cause *UnreachableError) {
	for cs := range n.calls {
		if ep == "" || cs.endpoint == ep {
			c := *cause
			n.cutCallLocked(cs, &c)
		}
	}
}

// endCall forgets cs and returns why it was given up, if it was.
func (n *Network) endCall(cs *callState) *UnreachableError {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.calls, cs)
	if cs.timer != nil {
		cs.timer.Stop()
	}
	return cs.cause
}

type tryOnceKey struct{}

// TryOnce marks ctx so that each call made with it sends its first attempt
// even to an endpoint the run has given up on. It is for the reads that
// settle the outcome of a write whose answer was lost: one more attempt
// costs little, and if the endpoint is back it tells the truth.
func TryOnce(ctx context.Context) context.Context {
	return context.WithValue(ctx, tryOnceKey{}, true)
}
