package testenv

import (
	"net/http"
	"sync"
)

// Hold keeps a call in flight: the proxy forwards a matching request to the
// emulator at once, so the change is made there, and then holds the answer
// back from the client until the test releases it or the client gives up
// (closes the connection). That is the state a process is in when a signal
// arrives during a write call whose effect AWS has already applied: the
// process cannot know whether its change was made.
type Hold struct {
	match func(*http.Request) bool

	mu       sync.Mutex
	held     chan string
	release  chan struct{}
	released bool
	gaveUp   chan string
}

// HoldAnswers makes p hold the answers to requests that match. Held reports
// each one once the emulator has answered it; ClientGaveUp reports a held
// call whose client closed the connection before Release.
func HoldAnswers(p *Proxy, match func(*http.Request) bool) *Hold {
	h := &Hold{match: match, held: make(chan string, 16), release: make(chan struct{}), gaveUp: make(chan string, 16)}
	p.Rewrite(h.rewrite)
	return h
}

// CallName names a request the way the SDK and IAM do where the request
// says so: the X-Amz-Target operation of JSON services, else method and
// path with the query.
func CallName(r *http.Request) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return t
	}
	return r.Method + " " + r.URL.Path + "?" + r.URL.RawQuery
}

func (h *Hold) rewrite(r *http.Request, status int, _ http.Header, body []byte) (int, []byte) {
	if !h.match(r) {
		return status, body
	}
	h.held <- CallName(r)
	select {
	case <-h.release:
	case <-r.Context().Done():
		h.gaveUp <- CallName(r)
	}
	return status, body
}

// Held returns a channel that receives the name of each held call.
func (h *Hold) Held() <-chan string { return h.held }

// ClientGaveUp returns a channel that receives the name of each held call
// whose client went away before the answer was released.
func (h *Hold) ClientGaveUp() <-chan string { return h.gaveUp }

// Release lets every held answer, and every later one, through.
func (h *Hold) Release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.released {
		h.released = true
		close(h.release)
	}
}
