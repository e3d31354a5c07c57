package testenv

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// Proxy is a loopback HTTP server that forwards every request to an
// emulator and lets a test answer, alter or record requests on the way.
// It is how tests produce conditions the emulator cannot: an AccessDenied on
// one call, a setting the emulator forgets, a view from another account.
type Proxy struct {
	// URL is the base URL to use as the SDK endpoint.
	URL string

	target *url.URL
	srv    *httptest.Server
	client *http.Client

	mu        sync.Mutex
	refused   bool
	intercept Interceptor
	rewrite   Rewriter
	alter     func(*http.Request)
	requests  []Request
}

// Request is what the proxy recorded about one request.
type Request struct {
	Method string
	Path   string
	Query  string
	// Target is the X-Amz-Target header of JSON protocol services.
	Target string
	// Service, Region and AccessKey come from the SigV4 credential scope.
	Service   string
	Region    string
	AccessKey string
	Body      []byte
}

// Interceptor may answer a request itself, in which case it returns true
// and the request never reaches the emulator. body is the request body
// (r.Body has already been read).
type Interceptor func(w http.ResponseWriter, r *http.Request, body []byte) bool

// Rewriter may change the emulator's answer before the client sees it.
type Rewriter func(r *http.Request, status int, header http.Header, body []byte) (int, []byte)

// StartProxy starts a proxy in front of target (an emulator base URL).
func StartProxy(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("proxy target %q: %w", target, err)
	}
	p := &Proxy{
		target: u,
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL
	return p, nil
}

// Close stops the proxy.
func (p *Proxy) Close() { p.srv.Close() }

// Refuse makes the proxy vanish as a killed emulator does: it stops
// listening and closes every open connection, so requests in flight fail
// and new connections are refused. It cannot be undone.
func (p *Proxy) Refuse() {
	p.mu.Lock()
	p.refused = true
	p.mu.Unlock()
	p.srv.Listener.Close()
	p.srv.CloseClientConnections()
}

// Intercept sets (or, with nil, clears) the request interceptor.
func (p *Proxy) Intercept(fn Interceptor) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.intercept = fn
}

// Rewrite sets (or, with nil, clears) the response rewriter.
func (p *Proxy) Rewrite(fn Rewriter) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rewrite = fn
}

// Alter sets (or clears) a function that may change a request before it is
// forwarded, for example to present another account's credentials.
func (p *Proxy) Alter(fn func(*http.Request)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.alter = fn
}

// Requests returns the requests seen since the last Clear.
func (p *Proxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.requests...)
}

// Clear forgets recorded requests and removes every hook.
func (p *Proxy) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests = nil
	p.intercept, p.rewrite, p.alter = nil, nil, nil
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	rec := Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.RawQuery,
		Target: r.Header.Get("X-Amz-Target"),
		Body:   body,
	}
	rec.AccessKey, rec.Region, rec.Service = CredentialScope(r.Header.Get("Authorization"))

	p.mu.Lock()
	p.requests = append(p.requests, rec)
	intercept, rewrite, alter, refused := p.intercept, p.rewrite, p.alter, p.refused
	p.mu.Unlock()
	if refused {
		// A connection accepted just before Refuse, too late for
		// CloseClientConnections to see it: it dies too.
		ResetConnection(w)
		return
	}

	if intercept != nil && intercept(w, r, body) {
		return
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, p.target.JoinPath(r.URL.Path).String(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.URL.RawQuery = r.URL.RawQuery
	out.URL.RawPath = r.URL.RawPath
	out.Header = r.Header.Clone()
	out.ContentLength = int64(len(body))
	if alter != nil {
		alter(out)
	}
	resp, err := p.client.Do(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(resp.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	status := resp.StatusCode
	if rewrite != nil {
		status, respBody = rewrite(r, status, resp.Header, respBody)
	}
	for k, vs := range resp.Header {
		// Go canonicalises header names; S3 user metadata headers are
		// conventionally lower case and some clients compare them as is.
		if strings.HasPrefix(k, "X-Amz-Meta-") {
			k = strings.ToLower(k)
		}
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(respBody)))
	w.WriteHeader(status)
	w.Write(respBody)
}

// CredentialScope extracts the access key, region and service from a SigV4
// Authorization header ("AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, ...").
func CredentialScope(auth string) (accessKey, region, service string) {
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return "", "", ""
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/")
	if len(parts) < 4 {
		return "", "", ""
	}
	return parts[0], parts[2], parts[3]
}

// S3Error writes an S3-style XML error response.
func S3Error(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>%s</Code><Message>%s</Message><RequestId>trailseal-test</RequestId></Error>`, code, message)
}

// QueryError writes an error response in the AWS query protocol (STS,
// IAM, SNS...).
func QueryError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>trailseal-test</RequestId></ErrorResponse>`, code, message)
}
