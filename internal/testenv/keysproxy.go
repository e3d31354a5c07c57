package testenv

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// PublicKey is one key KeysProxy serves from CloudTrail ListPublicKeys.
type PublicKey struct {
	DER         []byte
	Fingerprint string
	From, To    time.Time
}

// KeysProxy sits in front of an emulator and answers CloudTrail
// ListPublicKeys itself, since emulators do not implement it; everything
// else is forwarded. It also writes x-amz-meta-* response header names in
// lower case as S3 does (Go canonicalises them, and the AWS CLI then misses
// the digest signature), and can add a fixed latency to every request to
// simulate a remote region.
type KeysProxy struct {
	URL string

	srv     *http.Server
	ln      net.Listener
	mu      sync.Mutex
	keys    []PublicKey
	fail    bool
	latency time.Duration
	calls   int
	faults  []*fault
}

// fault is an injected failure for requests whose path contains match.
type fault struct {
	match  string
	status int    // 0: cut the connection halfway through the body instead
	code   string // S3 error code for status
	left   int
}

// StartKeysProxy starts the proxy in front of target.
func StartKeysProxy(target string, keys ...PublicKey) (*KeysProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &KeysProxy{URL: "http://" + ln.Addr().String(), ln: ln, keys: keys}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true}
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		delay := p.latency
		p.mu.Unlock()
		if delay > 0 {
			time.Sleep(delay)
		}
		if f := p.takeFault(r.URL.Path); f != nil {
			if f.status != 0 {
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(f.status)
				io.WriteString(w, "<Error><Code>"+f.code+"</Code><Message>simulated</Message></Error>")
				return
			}
			cutBody(w, r, rp)
			return
		}
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".ListPublicKeys") {
			p.listPublicKeys(w, r)
			return
		}
		rp.ServeHTTP(&lowerMetaWriter{ResponseWriter: w}, r)
	})}
	go p.srv.Serve(ln)
	return p, nil
}

// Fail answers the next n requests whose path contains match with an S3
// error (for example 503 SlowDown, 500 InternalError, 403 AccessDenied).
func (p *KeysProxy) Fail(match string, status int, code string, n int) {
	p.mu.Lock()
	p.faults = append(p.faults, &fault{match: match, status: status, code: code, left: n})
	p.mu.Unlock()
}

// CutBody makes the next n GETs whose path contains match send the status
// line, headers and half of the body, then drop the connection, as a
// connection reset does.
func (p *KeysProxy) CutBody(match string, n int) {
	p.mu.Lock()
	p.faults = append(p.faults, &fault{match: match, left: n})
	p.mu.Unlock()
}

func (p *KeysProxy) takeFault(path string) *fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.faults {
		if f.left > 0 && strings.Contains(path, f.match) {
			f.left--
			return f
		}
	}
	return nil
}

// cutBody fetches the real answer, then sends only half of it and closes
// the connection.
func cutBody(w http.ResponseWriter, r *http.Request, rp http.Handler) {
	rec := &recorder{header: http.Header{}}
	rp.ServeHTTP(rec, r)
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.status)
	w.Write(rec.body.Bytes()[:rec.body.Len()/2])
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			c.Close()
		}
	}
}

type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(s int)   { r.status = s }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

// SetKeys replaces the served keys.
func (p *KeysProxy) SetKeys(keys ...PublicKey) {
	p.mu.Lock()
	p.keys = keys
	p.mu.Unlock()
}

// FailListPublicKeys makes ListPublicKeys answer AccessDeniedException.
func (p *KeysProxy) FailListPublicKeys(fail bool) {
	p.mu.Lock()
	p.fail = fail
	p.mu.Unlock()
}

// SetLatency adds d before every request is handled.
func (p *KeysProxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	p.latency = d
	p.mu.Unlock()
}

// ListPublicKeysCalls counts the ListPublicKeys requests answered.
func (p *KeysProxy) ListPublicKeysCalls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}

// Close stops the proxy.
func (p *KeysProxy) Close() { p.srv.Close() }

func (p *KeysProxy) listPublicKeys(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var in struct {
		StartTime *float64
		EndTime   *float64
	}
	if len(bytes.TrimSpace(body)) > 0 {
		json.Unmarshal(body, &in)
	}
	p.mu.Lock()
	p.calls++
	keys, fail := p.keys, p.fail
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if fail {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"AccessDeniedException","message":"simulated: not allowed to call ListPublicKeys"}`)
		return
	}
	type entry struct {
		Value             string
		ValidityStartTime float64
		ValidityEndTime   float64
		Fingerprint       string
	}
	out := struct{ PublicKeyList []entry }{PublicKeyList: []entry{}}
	for _, k := range keys {
		// Like CloudTrail, only keys whose validity overlaps the range.
		if in.EndTime != nil && float64(k.From.Unix()) > *in.EndTime {
			continue
		}
		if in.StartTime != nil && float64(k.To.Unix()) < *in.StartTime {
			continue
		}
		out.PublicKeyList = append(out.PublicKeyList, entry{
			Value:             base64.StdEncoding.EncodeToString(k.DER),
			ValidityStartTime: float64(k.From.Unix()),
			ValidityEndTime:   float64(k.To.Unix()),
			Fingerprint:       k.Fingerprint,
		})
	}
	json.NewEncoder(w).Encode(out)
}

// lowerMetaWriter renames x-amz-meta-* headers to lower case just before
// they are sent: the reverse proxy copies headers with canonical names.
type lowerMetaWriter struct {
	http.ResponseWriter
	wrote bool
}

func (l *lowerMetaWriter) WriteHeader(code int) {
	if !l.wrote {
		l.wrote = true
		h := l.ResponseWriter.Header()
		for name, v := range h {
			if lower := strings.ToLower(name); strings.HasPrefix(lower, "x-amz-meta-") && lower != name {
				delete(h, name)
				h[lower] = v
			}
		}
	}
	l.ResponseWriter.WriteHeader(code)
}

func (l *lowerMetaWriter) Write(b []byte) (int, error) {
	if !l.wrote {
		l.WriteHeader(http.StatusOK)
	}
	return l.ResponseWriter.Write(b)
}

func (l *lowerMetaWriter) Unwrap() http.ResponseWriter { return l.ResponseWriter }

// FaultsPending counts injected faults not yet delivered.
func (p *KeysProxy) FaultsPending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, f := range p.faults {
		n += f.left
	}
	return n
}
