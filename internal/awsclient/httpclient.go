package awsclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// httpClient is the HTTP client of a Network: it admits, times and
// records each attempt, and logs it under --debug.
type httpClient struct {
	net   *Network
	inner aws.HTTPClient
}

func (c *httpClient) Do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	ep := req.URL.Scheme + "://" + req.URL.Host
	call := callNameOf(ctx)
	cs := callOf(ctx)
	n := c.net
	if err := n.admit(ep, call, cs, ctx.Value(tryOnceKey{}) != nil); err != nil {
		n.logRequest(ctx, req, call, cs, nil, err, 0)
		return nil, err
	}
	start := n.now()
	resp, err := c.inner.Do(req)
	took := n.now().Sub(start)
	switch {
	case ctx.Err() != nil:
		// The caller gave up (Ctrl-C, a sibling's failure): that says
		// nothing about the endpoint.
	case err != nil:
		n.failed(ep, call, cs, start, problemOf(err))
	case resp.StatusCode >= 500:
		n.failed(ep, call, cs, start, fmt.Sprintf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode)))
	default:
		n.answered(ep, cs)
	}
	n.logRequest(ctx, req, call, cs, resp, err, took)
	if err == nil && resp != nil && resp.Body != nil {
		resp.Body = &watchedBody{ReadCloser: resp.Body, ctx: ctx, net: n, ep: ep, call: call, lastRead: n.now()}
	}
	return resp, err
}

// problemOf describes a failed attempt in a few words.
func problemOf(err error) string {
	if p := ConnectionProblem(err); p != "" {
		return p
	}
	var u *url.Error
	if errors.As(err, &u) {
		// Not the URL: its query may carry a presigned request's secrets.
		return FirstLine(u.Err.Error())
	}
	return FirstLine(err.Error())
}

// watchedBody reports a failure reading an answer (a connection reset or
// silent halfway through an object) as a failure of its endpoint.
type watchedBody struct {
	io.ReadCloser
	ctx      context.Context
	net      *Network
	ep, call string
	lastRead time.Time
	reported bool
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.lastRead = b.net.now()
	}
	if err != nil && err != io.EOF && !b.reported && b.ctx.Err() == nil {
		b.reported = true
		// The failure began when the connection last delivered.
		b.net.failed(b.ep, b.call, nil, b.lastRead, problemOf(err))
	}
	return n, err
}

// logRequest writes one debug line per attempt, named by its call, with
// credentials redacted.
func (n *Network) logRequest(ctx context.Context, req *http.Request, call string, cs *callState, resp *http.Response, err error, took time.Duration) {
	log := n.opts.Logger
	if !log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	if call == "" {
		call = "(unnamed)"
	}
	attrs := []any{"call", call}
	if cs != nil {
		attrs = append(attrs, "attempt", cs.attempts)
	}
	attrs = append(attrs, "method", req.Method, "url", RedactURL(req.URL))
	switch {
	case err != nil:
		attrs = append(attrs, "error", problemOf(err))
	case resp != nil:
		attrs = append(attrs, "status", resp.StatusCode, "took", took.Round(time.Millisecond))
		if id := requestID(resp.Header); id != "" {
			attrs = append(attrs, "requestId", id)
		}
	}
	attrs = append(attrs, "headers", RedactHeaders(req.Header))
	log.Debug("aws request", attrs...)
}

// requestID is the AWS request ID of an answer, which AWS support asks for.
func requestID(h http.Header) string {
	for _, k := range []string{"X-Amzn-Requestid", "X-Amz-Request-Id", "X-Amzn-Request-Id"} {
		if v := h.Get(k); v != "" {
			return v
		}
	}
	return ""
}
