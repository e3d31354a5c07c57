package orgscan

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"golang.org/x/time/rate"

	"github.com/trailseal/trailseal/internal/awsclient"
)

// Pacing bounds. AWS throttles per account, region and API; the starting
// rate is above what a single-account scan needs per service, so pacing
// costs nothing until AWS pushes back, and the floor keeps a heavily
// throttled service moving.
const (
	startRate  = 50.0
	maxRate    = 200.0
	minRate    = 1.0
	pacerBurst = 20
	// localRetries is how often a throttled attempt is re-sent here, paced,
	// before the SDK's own retryer (with its much longer backoff) sees it.
	localRetries = 4
)

// Limiter is the one bound on API calls in flight shared by every account
// and region of an organization scan, together with per-service pacing that
// adapts to throttling. It works as SDK middleware placed after the retry
// middleware, so it governs each attempt: a call waiting out a retry
// backoff holds no slot.
type Limiter struct {
	sem chan struct{}

	mu     sync.Mutex
	pacers map[string]*pacer

	attempts  atomic.Int64
	throttles atomic.Int64
}

// NewLimiter returns a limiter allowing n attempts in flight.
func NewLimiter(n int) *Limiter {
	if n < 1 {
		n = 1
	}
	return &Limiter{sem: make(chan struct{}, n), pacers: map[string]*pacer{}}
}

// Attempts is the number of HTTP attempts sent so far, retries included.
func (l *Limiter) Attempts() int64 { return l.attempts.Load() }

// Throttles is the number of attempts AWS answered with a throttling error.
func (l *Limiter) Throttles() int64 { return l.throttles.Load() }

// Apply adds the limiter to cfg for calls made on behalf of account, which
// keys the pacing (AWS rate limits are per account).
func (l *Limiter) Apply(cfg *aws.Config, account string) {
	cfg.APIOptions = append(cfg.APIOptions, func(stack *middleware.Stack) error {
		mw := middleware.FinalizeMiddlewareFunc("trailsealOrgLimiter",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				return l.handle(ctx, account, in, next)
			})
		if _, ok := stack.Finalize.Get("Retry"); ok {
			return stack.Finalize.Insert(mw, "Retry", middleware.After)
		}
		return stack.Finalize.Add(mw, middleware.After)
	})
}

func (l *Limiter) handle(ctx context.Context, account string, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	p := l.pacer(account + "/" + awsmiddleware.GetRegion(ctx) + "/" + awsmiddleware.GetServiceID(ctx))
	// Keep a pristine copy: signing changes the request it is given, and a
	// re-sent attempt must be signed afresh.
	var orig *smithyhttp.Request
	if req, ok := in.Request.(*smithyhttp.Request); ok {
		orig = req.Clone()
	}
	for try := 0; ; try++ {
		attempt := in
		if try > 0 {
			req := orig.Clone()
			if err := req.RewindStream(); err != nil {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, err
			}
			attempt.Request = req
		}
		if err := p.wait(ctx); err != nil {
			return middleware.FinalizeOutput{}, middleware.Metadata{}, err
		}
		select {
		case l.sem <- struct{}{}:
		case <-ctx.Done():
			return middleware.FinalizeOutput{}, middleware.Metadata{}, ctx.Err()
		}
		l.attempts.Add(1)
		out, md, err := next.HandleFinalize(ctx, attempt)
		<-l.sem
		if !isThrottle(err) {
			p.succeeded()
			return out, md, err
		}
		l.throttles.Add(1)
		p.throttled()
		if try >= localRetries || orig == nil {
			return out, md, err
		}
		// A short jittered pause spreads the re-sends of calls that were
		// throttled together; the pacer does the rest.
		pause := time.Duration(20+rand.IntN(60)) * time.Millisecond << try
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return out, md, err
		}
	}
}

func (l *Limiter) pacer(key string) *pacer {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.pacers[key]
	if !ok {
		p = &pacer{lim: rate.NewLimiter(startRate, pacerBurst)}
		l.pacers[key] = p
	}
	return p
}

// pacer is the adaptive rate of one service in one region of one account:
// halved on each throttle, raised a little on each success (additive
// increase, multiplicative decrease, as TCP does with congestion).
type pacer struct {
	lim *rate.Limiter
}

func (p *pacer) wait(ctx context.Context) error { return p.lim.Wait(ctx) }

func (p *pacer) throttled() {
	p.lim.SetLimit(max(minRate, p.lim.Limit()/2))
}

func (p *pacer) succeeded() {
	if l := p.lim.Limit(); l < maxRate {
		p.lim.SetLimit(min(maxRate, l+1))
	}
}

// isThrottle recognises the error codes and status AWS services use to say
// "slow down".
func isThrottle(err error) bool {
	if err == nil {
		return false
	}
	if _, ok := retry.DefaultThrottleErrorCodes[awsclient.ErrorCode(err)]; ok {
		return true
	}
	var respErr *smithyhttp.ResponseError
	return errors.As(err, &respErr) && respErr.HTTPStatusCode() == http.StatusTooManyRequests
}
