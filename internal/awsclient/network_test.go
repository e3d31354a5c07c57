package awsclient

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testNetwork(limit time.Duration, level slog.Level) (*Network, *fakeClock, *syncBuffer) {
	clock := &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	var log syncBuffer
	n := NewNetwork(NetworkOptions{
		GiveUpAfter: limit,
		Logger:      slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: level})),
		Hint:        "--network-timeout",
		now:         clock.now,
	})
	return n, clock, &log
}

const (
	epS3 = "https://s3.eu-west-1.amazonaws.com"
	epCT = "https://cloudtrail.eu-west-1.amazonaws.com"
	epKM = "https://kms.eu-west-1.amazonaws.com"
)

// TestNetworkGivesUpOnAnEndpoint: an endpoint that fails for the whole
// limit without one answer is given up; its calls then fail at once with
// an error naming it, while other endpoints go on.
func TestNetworkGivesUpOnAnEndpoint(t *testing.T) {
	n, clock, log := testNetwork(time.Minute, slog.LevelWarn)
	for range 6 {
		if err := n.admit(epS3, "s3:GetObject", nil, false); err != nil {
			t.Fatalf("given up after %s: %v", clock.now().Sub(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)), err)
		}
		start := clock.now()
		clock.add(10 * time.Second)
		n.failed(epS3, "s3:GetObject", nil, start, "connection refused")
		n.answered(epCT, nil) // another endpoint answers: no help to this one
	}
	err := n.admit(epS3, "s3:GetObject", nil, false)
	var u *UnreachableError
	if !errors.As(err, &u) || u.Endpoint != epS3 || u.Call != "s3:GetObject" || u.Last != "connection refused" || u.Anywhere {
		t.Fatalf("after 60s of failures: %#v, want an UnreachableError for %s", err, epS3)
	}
	if msg := err.Error(); !strings.Contains(msg, epS3+" did not answer for 1m0s (last: connection refused); gave up (--network-timeout)") {
		t.Errorf("message: %s", msg)
	}
	if !IsUnreachable(err) || u.RetryableError() {
		t.Error("an UnreachableError must be recognised and not be retried")
	}
	if err := n.admit(epCT, "cloudtrail:DescribeTrails", nil, false); err != nil {
		t.Errorf("an endpoint that answers was given up too: %v", err)
	}
	if got := n.Unreachable(); len(got) != 1 || got[0].Endpoint != epS3 {
		t.Errorf("Unreachable() = %v", got)
	}
	if !strings.Contains(log.String(), "giving up on "+epS3+": no answer for 1m0s (last: connection refused)") {
		t.Errorf("no notice of giving up:\n%s", log)
	}

	// A read that settles a lost write's outcome gets its first attempt.
	settle := newCallState()
	defer n.endCall(settle)
	if err := n.admit(epS3, "s3:GetPublicAccessBlock", settle, true); err != nil {
		t.Errorf("TryOnce's first attempt was refused: %v", err)
	}
	if err := n.admit(epS3, "s3:GetPublicAccessBlock", settle, true); !IsUnreachable(err) {
		t.Errorf("TryOnce's second attempt: %v, want it refused", err)
	}

	// One answer is enough to take it back.
	n.answered(epS3, nil)
	if err := n.admit(epS3, "s3:GetObject", nil, false); err != nil {
		t.Errorf("after an answer: %v", err)
	}
}

// TestNetworkAnswersResetTheCount: failures with answers in between are
// not "failing without an answer", however long they go on.
func TestNetworkAnswersResetTheCount(t *testing.T) {
	n, clock, _ := testNetwork(time.Minute, slog.LevelWarn)
	for range 30 {
		start := clock.now()
		clock.add(10 * time.Second)
		n.failed(epS3, "s3:GetObject", nil, start, "HTTP 503 Service Unavailable")
		n.answered(epS3, nil)
	}
	if err := n.admit(epS3, "s3:GetObject", nil, false); err != nil {
		t.Errorf("an endpoint that answers every other request was given up: %v", err)
	}
}

// TestNetworkGivesUpEverywhere: when no endpoint at all answered for the
// limit (the network is gone), calls to endpoints not tried yet fail at
// once instead of waiting out the limit each.
func TestNetworkGivesUpEverywhere(t *testing.T) {
	n, clock, _ := testNetwork(time.Minute, slog.LevelWarn)
	start := clock.now()
	n.failed(epS3, "", nil, start, "network unreachable")
	clock.add(40 * time.Second)
	n.failed(epCT, "", nil, clock.now(), "network unreachable")
	clock.add(25 * time.Second)
	err := n.admit(epKM, "kms:DescribeKey", nil, false)
	var u *UnreachableError
	if !errors.As(err, &u) || !u.Anywhere || u.Call != "kms:DescribeKey" {
		t.Fatalf("got %v, want every endpoint given up", err)
	}
	if !strings.Contains(err.Error(), "no AWS endpoint answered for 1m5s (last: "+epCT+": network unreachable)") {
		t.Errorf("message: %s", err)
	}
}

// TestNetworkBoundsOneCall: a call whose attempts keep failing gives up
// after the limit even while other calls to its endpoint are answered.
func TestNetworkBoundsOneCall(t *testing.T) {
	n, clock, _ := testNetwork(time.Minute, slog.LevelWarn)
	cs := newCallState()
	defer n.endCall(cs)
	for range 3 {
		if err := n.admit(epS3, "s3:GetObject", cs, false); err != nil {
			t.Fatalf("attempt %d refused: %v", cs.attempts, err)
		}
		start := clock.now()
		clock.add(20 * time.Second)
		n.failed(epS3, "s3:GetObject", cs, start, "connection reset")
		n.answered(epS3, nil) // other calls get answers
	}
	err := n.admit(epS3, "s3:GetObject", cs, false)
	var u *UnreachableError
	if !errors.As(err, &u) || !u.PerCall || u.Last != "connection reset" {
		t.Fatalf("got %v, want this call given up", err)
	}
	if !strings.Contains(err.Error(), "s3:GetObject at "+epS3+" failed for 1m0s (last: connection reset)") {
		t.Errorf("message: %s", err)
	}
	other := newCallState()
	defer n.endCall(other)
	if err := n.admit(epS3, "s3:GetObject", other, false); err != nil {
		t.Errorf("a new call was refused: %v", err)
	}
}

// TestNetworkStreakStartsAtEarliestAttempt: attempts overlap, and one
// that began first may fail last. CI saw "cloudtrail:DescribeTrails at
// ... failed for 1s" (one call given up) from an endpoint that had never
// answered, because the endpoint's streak was dated from the attempt that
// failed first, which began later. The streak begins with the earliest
// failed attempt since the last answer, so the endpoint is given up and
// named, as it is when the attempts do not overlap.
func TestNetworkStreakStartsAtEarliestAttempt(t *testing.T) {
	n, clock, _ := testNetwork(time.Minute, slog.LevelWarn)
	t0 := clock.now()
	slow := newCallState()
	defer n.endCall(slow)
	if err := n.admit(epCT, "cloudtrail:DescribeTrails", slow, false); err != nil {
		t.Fatal(err)
	}
	clock.add(time.Second)
	fast := newCallState()
	defer n.endCall(fast)
	if err := n.admit(epCT, "cloudtrail:GetTrailStatus", fast, false); err != nil {
		t.Fatal(err)
	}
	n.failed(epCT, "cloudtrail:GetTrailStatus", fast, clock.now(), "connection refused") // began at t0+1s
	clock.add(time.Second)
	n.failed(epCT, "cloudtrail:DescribeTrails", slow, t0, "connection refused") // began at t0
	clock.add(58 * time.Second)
	err := n.admit(epCT, "cloudtrail:DescribeTrails", slow, false)
	var u *UnreachableError
	if !errors.As(err, &u) || u.PerCall || u.Endpoint != epCT {
		t.Fatalf("after 60s without an answer: %v, want the endpoint given up", err)
	}
	if !strings.Contains(err.Error(), epCT+" did not answer for 1m0s") {
		t.Errorf("message: %s", err)
	}

	// An answer during the slow attempt still dates the streak from it.
	n2, clock2, _ := testNetwork(time.Minute, slog.LevelWarn)
	begin := clock2.now()
	clock2.add(10 * time.Second)
	n2.answered(epCT, nil)
	clock2.add(time.Second)
	n2.failed(epCT, "cloudtrail:DescribeTrails", nil, begin, "connection reset")
	clock2.add(50 * time.Second)
	if err := n2.admit(epCT, "cloudtrail:DescribeTrails", nil, false); err != nil {
		t.Errorf("given up 51s after the last answer: %v", err)
	}
}

// TestNetworkNotices: a line once an endpoint has failed for a while, at
// most one per noticeEvery whatever the number of requests, and one when
// it answers again; a lone failure, or an endpoint that fails now and then
// but answers, is not told about.
func TestNetworkNotices(t *testing.T) {
	n, clock, log := testNetwork(time.Minute, slog.LevelWarn)
	// Flapping: failures with answers in between, for a minute.
	for range 60 {
		n.failed(epCT, "", nil, clock.now(), "connection reset")
		clock.add(time.Second)
		n.answered(epCT, nil)
	}
	for range 128 {
		n.failed(epS3, "s3:GetObject", nil, clock.now(), "connection refused")
	}
	clock.add(5 * time.Second)
	for range 128 {
		n.failed(epS3, "s3:GetObject", nil, clock.now(), "connection refused")
	}
	clock.add(11 * time.Second)
	n.failed(epS3, "s3:GetObject", nil, clock.now(), "connection refused")
	clock.add(5 * time.Second)
	n.failed(epS3, "s3:GetObject", nil, clock.now(), "connection refused")
	n.answered(epS3, nil)
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	want := []string{
		"retrying s3:GetObject at " + epS3 + ": failing for 5s, last: connection refused (giving up in 55s if it does not answer)",
		"still retrying " + epS3 + ": failing for 21s, 258 failed requests, last: connection refused (giving up in 39s)",
		epS3 + " answers again after failing for 21s",
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), log)
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d: %s\nwant it to contain %q", i+1, lines[i], w)
		}
	}
}

// refusedURL is a loopback URL where nothing listens.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// stsThrough is an STS client that retries (almost) without end, as the
// commands' patient retryers do, through n.
func stsThrough(n *Network, endpoint string) *sts.Client {
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "session"),
		BaseEndpoint: aws.String(endpoint),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 1000
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 20 * time.Millisecond, nil })
				o.RateLimiter = noQuota{}
			})
		},
	}
	n.Apply(&cfg)
	return sts.NewFromConfig(cfg)
}

// noQuota lets every retry through (ratelimit.None, spelled out to avoid
// the import for one value).
type noQuota struct{}

func (noQuota) GetToken(context.Context, uint) (func() error, error) {
	return func() error { return nil }, nil
}
func (noQuota) AddTokens(uint) error { return nil }

// TestNetworkStopsSDKRetries: the SDK's retryer would try a thousand
// times; the Network stops it once the endpoint has failed for the limit.
func TestNetworkStopsSDKRetries(t *testing.T) {
	for name, endpoint := range map[string]func(t *testing.T) string{
		"refused": refusedURL,
		// Accepts, reads the request, never answers: only the read
		// timeout the Network sets ends each attempt.
		"stalled": func(t *testing.T) string {
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-release:
				case <-r.Context().Done():
				}
			}))
			t.Cleanup(func() { close(release); srv.Close() })
			return srv.URL
		},
		// Answers 503 every time.
		"unavailable": func(t *testing.T) string {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusServiceUnavailable)
			}))
			t.Cleanup(srv.Close)
			return srv.URL
		},
	} {
		t.Run(name, func(t *testing.T) {
			var log syncBuffer
			n := NewNetwork(NetworkOptions{GiveUpAfter: 600 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&log, nil))})
			url := endpoint(t)
			_, err := stsThrough(n, url).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
			var u *UnreachableError
			if !errors.As(err, &u) || u.Endpoint != url {
				t.Fatalf("got %v, want an UnreachableError for %s", err, url)
			}
			if code, _ := Failure(err); code != "EndpointUnreachable" {
				t.Errorf("Failure code %q", code)
			}
			if !strings.Contains(log.String(), "retrying sts:GetCallerIdentity at "+url) {
				t.Errorf("no retry notice naming the call and the endpoint:\n%s", log.String())
			}
		})
	}
}

// TestConnectionProblem names transport failures and nothing else.
func TestConnectionProblem(t *testing.T) {
	n := NewNetwork(NetworkOptions{GiveUpAfter: time.Hour})
	get := func(url string) error {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		_, err := n.wrap(nil).Do(req)
		return err
	}
	closing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	defer closing.Close()
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	tlsSrv.StartTLS()
	defer tlsSrv.Close()

	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"refused", get(refusedURL(t)), "connection refused"},
		{"closed", get(closing.URL), "connection closed without an answer"},
		{"untrusted certificate", get(tlsSrv.URL), "TLS: "},
		{"DNS", &net.DNSError{Err: "no such host", Name: "s3.nowhere.invalid", IsNotFound: true}, "host not found: s3.nowhere.invalid"},
		{"AWS error", errors.New("AccessDenied"), ""},
		{"canceled", context.Canceled, ""},
	} {
		if got := ConnectionProblem(tt.err); !strings.HasPrefix(got, tt.want) || (tt.want == "" && got != "") {
			t.Errorf("%s: ConnectionProblem(%v) = %q, want %q", tt.name, tt.err, got, tt.want)
		}
	}
}

// TestNetworkCutsBackoff: a call given up while its retryer sleeps (the
// SDK backs off up to twenty seconds) returns then, not when the sleep
// ends. The retryer here waits an hour between attempts; the context
// allows a minute: only the cut returns the UnreachableError.
func TestNetworkCutsBackoff(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	n := NewNetwork(NetworkOptions{GiveUpAfter: time.Second})
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		BaseEndpoint: aws.String(srv.URL),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Hour, nil })
			})
		},
	}
	n.Apply(&cfg)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	var u *UnreachableError
	if !errors.As(err, &u) || u.Call != "sts:GetCallerIdentity" || u.Last != "HTTP 502 Bad Gateway" {
		t.Fatalf("got %v, want the call given up during its backoff", err)
	}
	// An earlier attempt may have been applied: writers must read back.
	var send *smithyhttp.RequestSendError
	if !errors.As(err, &send) {
		t.Errorf("%v is not a send error", err)
	}
	if got := requests.Load(); got != 1 {
		t.Errorf("%d requests, want 1", got)
	}
	if len(n.calls) != 0 {
		t.Errorf("%d calls still registered after they returned", len(n.calls))
	}
}
