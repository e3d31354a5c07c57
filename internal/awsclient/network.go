package awsclient

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// DefaultGiveUpAfter is how long an endpoint may fail without one answer
// before a run gives up on it.
const DefaultGiveUpAfter = 60 * time.Second

// noticeEvery is the least time between two lines about one endpoint: a
// run with 128 readers retrying must print one line, not 128.
const noticeEvery = 15 * time.Second

// noticeAfter is how long an endpoint fails before it is told about (or a
// tenth of the limit, when that is shorter).
const noticeAfter = 2 * time.Second

// NetworkOptions configure a Network.
type NetworkOptions struct {
	// GiveUpAfter is how long an endpoint may fail (no answer at all, or
	// 5xx answers) before its calls are given up; DefaultGiveUpAfter when
	// zero. It also bounds the retries of any one call, and a connection
	// that stays silent for half of it counts as failed.
	GiveUpAfter time.Duration
	// Logger gets a warning when an endpoint starts failing, every
	// noticeEvery while it goes on, when it answers again and when it is
	// given up; and, at debug level, a line per HTTP request with the
	// secrets in it redacted. nil discards both.
	Logger *slog.Logger
	// Hint is added to the message of an UnreachableError, to say how to
	// change GiveUpAfter.
	Hint string
	// now is the clock; tests set it.
	now func() time.Time
}

// Network is what one run knows about the AWS endpoints it calls. It sits
// under every SDK client as the HTTP client (see Apply), so it sees each
// attempt, retries included, and decides three things in one place:
//
//   - when to stop: an endpoint that has failed for GiveUpAfter without an
//     answer is given up, and later calls to it fail at once with an
//     UnreachableError; when no endpoint at all answered for that long,
//     every call does; and one call's retries stop after that long too;
//   - what to tell: one line per failing endpoint on the logger, rate
//     limited, not one per request;
//   - what to log under --debug: each request, named by its operation,
//     with credentials redacted (see RedactHeader).
//
// It works at the HTTP layer, below the SDK's retryers, because the
// commands use several retry policies (and verify reads objects with
// requests of its own): this bound holds whatever retries above it.
type Network struct {
	opts NetworkOptions
	now  func() time.Time

	mu        sync.Mutex
	endpoints map[string]*health
	all       health
	gaveUp    map[string]*UnreachableError
	calls     map[*callState]struct{} // calls in their retry loop
}

// health is the recent record of one endpoint, or of all of them.
type health struct {
	// since is when the first failed attempt since the last answer began;
	// zero while the endpoint answers.
	since    time.Time
	lastOK   time.Time
	failures int
	last     string // the last failure, in words
	down     *UnreachableError
	// noticed is when the last notice about this endpoint was printed,
	// in this streak or an earlier one; told, whether one was in this.
	noticed time.Time
	told    bool
	// failed holds the endpoints that failed in this streak (kept for
	// the record of all endpoints only).
	failed map[string]struct{}
}

// NewNetwork returns a Network with no history.
func NewNetwork(o NetworkOptions) *Network {
	if o.GiveUpAfter <= 0 {
		o.GiveUpAfter = DefaultGiveUpAfter
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	now := o.now
	if now == nil {
		now = time.Now
	}
	return &Network{opts: o, now: now, endpoints: map[string]*health{}, gaveUp: map[string]*UnreachableError{}, calls: map[*callState]struct{}{}}
}

// Apply puts the Network under cfg: its HTTP client is wrapped (a silent
// connection fails after half of GiveUpAfter), and every call made through
// a client built from cfg keeps track of its own retries.
func (n *Network) Apply(cfg *aws.Config) {
	cfg.HTTPClient = n.wrap(cfg.HTTPClient)
	cfg.APIOptions = append(cfg.APIOptions, n.callMiddleware)
}

// WithTransportOptions returns an HTTP client like c with opts applied to
// its transport, keeping the Network c belongs to (when it does): code
// that tunes the connection pool keeps the bounds on retries.
func WithTransportOptions(c aws.HTTPClient, opts ...func(*http.Transport)) aws.HTTPClient {
	if hc, ok := c.(*httpClient); ok {
		return hc.net.wrap(buildable(hc.inner).WithTransportOptions(opts...))
	}
	return buildable(c).WithTransportOptions(opts...)
}

func buildable(c aws.HTTPClient) *awshttp.BuildableClient {
	if b, ok := c.(*awshttp.BuildableClient); ok {
		return b
	}
	return awshttp.NewBuildableClient()
}

// Unreachable lists the endpoints given up on so far, in name order.
func (n *Network) Unreachable() []*UnreachableError {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]*UnreachableError, 0, len(n.gaveUp))
	for _, e := range n.gaveUp {
		c := *e
		out = append(out, &c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Endpoint < out[j].Endpoint })
	return out
}

// silence is how long a connection may deliver nothing before the attempt
// counts as failed: half the limit, so that a stalled endpoint is given up
// after about two attempts.
func (n *Network) silence() time.Duration { return n.opts.GiveUpAfter / 2 }

// wrap returns the HTTP client that reports to n. A client the SDK can
// build gets a read timeout and a connect timeout of silence(), the SDK's
// own mechanism (awshttp.BuildableClient.WithReadTimeout) for connections
// that stop delivering.
func (n *Network) wrap(c aws.HTTPClient) *httpClient {
	if hc, ok := c.(*httpClient); ok {
		c = hc.inner
	}
	if c == nil {
		c = awshttp.NewBuildableClient()
	}
	if b, ok := c.(*awshttp.BuildableClient); ok {
		s := n.silence()
		if _, set := b.GetReadTimeout(); !set {
			b = b.WithReadTimeout(s)
		}
		b = b.WithDialerOptions(func(d *net.Dialer) {
			if d.Timeout == 0 || d.Timeout > s {
				d.Timeout = s
			}
		})
		c = b
	}
	return &httpClient{net: n, inner: c}
}

// admit decides whether an attempt may be sent, and counts it.
// A first attempt marked TryOnce goes out even to an endpoint given up on.
func (n *Network) admit(ep, call string, cs *callState, tryOnce bool) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	now := n.now()
	h := n.endpoint(ep)
	n.expire(h, ep, "", now)
	n.expire(&n.all, ep, "", now)
	if cs != nil {
		n.joinCall(cs, ep, call)
		cs.attempts++
	}
	first := cs == nil || cs.attempts == 1
	switch {
	case cs != nil && cs.cause != nil:
		e := *cs.cause
		return &e
	case tryOnce && first:
		return nil
	case h.down != nil:
		e := *h.down
		e.Call = call
		return &e
	case n.all.down != nil:
		e := *n.all.down
		e.Call = call
		return &e
	case cs != nil && !cs.since.IsZero() && now.Sub(cs.since) >= n.opts.GiveUpAfter:
		return n.perCallError(cs, now)
	}
	return nil
}

func (n *Network) endpoint(ep string) *health {
	h, ok := n.endpoints[ep]
	if !ok {
		h = &health{}
		n.endpoints[ep] = h
	}
	return h
}

// expire gives up on h when it has failed for the whole limit, even if no
// failure was reported since (attempts still in flight on a silent
// endpoint). The caller holds n.mu.
func (n *Network) expire(h *health, ep, call string, now time.Time) {
	if h.down != nil || h.since.IsZero() || now.Sub(h.since) < n.opts.GiveUpAfter {
		return
	}
	anywhere := h == &n.all
	if anywhere && len(h.failed) < 2 {
		// One endpoint failing alone is given up by its own record.
		return
	}
	e := &UnreachableError{Endpoint: ep, Call: call, For: now.Sub(h.since), Last: h.last, Anywhere: anywhere, Hint: n.opts.Hint}
	h.down = e
	key := ep
	if anywhere {
		key = "*"
		n.cutCallsTo("", e)
	} else {
		n.cutCallsTo(ep, e)
	}
	if _, seen := n.gaveUp[key]; seen {
		return
	}
	n.gaveUp[key] = e
	if anywhere {
		n.opts.Logger.Warn(fmt.Sprintf("giving up on every AWS endpoint: none answered for %s (last: %s)", roundDuration(e.For), e.Last))
	} else {
		n.opts.Logger.Warn(fmt.Sprintf("giving up on %s: no answer for %s (last: %s)", ep, roundDuration(e.For), e.Last))
	}
}

// failed records an attempt to ep that began at start and failed with
// problem; cs is its call's state, nil for a failure reading an answer's
// body.
func (n *Network) failed(ep, call string, cs *callState, start time.Time, problem string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	now := n.now()
	if cs != nil {
		n.callFailed(cs, start, problem, now)
	}
	h := n.endpoint(ep)
	for _, x := range []*health{h, &n.all} {
		// The streak began when the earliest failed attempt since the
		// last answer began, whichever attempt failed first: attempts
		// overlap, and one that began earlier may fail later. Else a
		// call could outlast its endpoint's streak and be given up alone,
		// named as one failing call while the endpoint never answered.
		begin := start
		if x.lastOK.After(begin) {
			// An answer arrived while this attempt was under way:
			// the endpoint has been failing since then only.
			begin = x.lastOK
		}
		if x.since.IsZero() || begin.Before(x.since) {
			x.since = begin
		}
		x.failures++
		x.last = problem
	}
	n.all.last = ep + ": " + problem
	if n.all.failed == nil {
		n.all.failed = map[string]struct{}{}
	}
	n.all.failed[ep] = struct{}{}
	n.expire(h, ep, call, now)
	n.expire(&n.all, ep, call, now)
	if h.down != nil {
		return
	}
	n.noticeFailure(h, ep, call, problem, now)
}

// noticeFailure tells, at most once per noticeEvery for an endpoint, that
// it is failing, once it has failed for noticeAfter: a lone reset that the
// next attempt gets past, or an endpoint that fails one request in ten,
// is no news. (x/time/rate.Sometimes would do the spacing, but reads the
// wall clock, which the tests of these lines replace.)
func (n *Network) noticeFailure(h *health, ep, call, problem string, now time.Time) {
	age := now.Sub(h.since)
	if age < min(noticeAfter, n.opts.GiveUpAfter/10) || (!h.noticed.IsZero() && now.Sub(h.noticed) < noticeEvery) {
		return
	}
	left := roundDuration(n.opts.GiveUpAfter - age)
	if !h.told {
		what := ep
		if call != "" {
			what = call + " at " + ep
		}
		n.opts.Logger.Warn(fmt.Sprintf("retrying %s: failing for %s, last: %s (giving up in %s if it does not answer)", what, roundDuration(age), problem, left))
	} else {
		n.opts.Logger.Warn(fmt.Sprintf("still retrying %s: failing for %s, %d failed requests, last: %s (giving up in %s)",
			ep, roundDuration(age), h.failures, problem, left))
	}
	h.noticed, h.told = now, true
}

// answered records an answer from ep (any status below 500).
func (n *Network) answered(ep string, cs *callState) {
	n.mu.Lock()
	defer n.mu.Unlock()
	now := n.now()
	if cs != nil {
		n.callAnswered(cs)
	}
	h := n.endpoint(ep)
	if h.told || h.down != nil {
		n.opts.Logger.Warn(fmt.Sprintf("%s answers again after failing for %s", ep, roundDuration(now.Sub(h.since))))
	}
	*h = health{lastOK: now, noticed: h.noticed}
	n.all = health{lastOK: now}
}
