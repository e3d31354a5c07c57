package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestForwardDelaysEachRequest sends three requests on one connection
// through the proxy: each must be held for the latency, and the answer
// must arrive byte for byte, header names in their original case.
func TestForwardDelaysEachRequest(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Set as sent by S3: lower case, which Go would canonicalise.
		w.Header()["x-amz-meta-signature"] = []string{"abc123"}
		io.WriteString(w, "body of "+r.URL.Path)
	}))
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	const latency = 30 * time.Millisecond
	go forward(ln, strings.TrimPrefix(srv.URL, "http://"), latency)

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	for _, path := range []string{"/a", "/b/c", "/d"} {
		began := time.Now()
		if _, err := io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: test\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		var head []string
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if line == "\r\n" {
				break
			}
			head = append(head, strings.TrimSpace(line))
		}
		body := make([]byte, len("body of "+path))
		if _, err := io.ReadFull(r, body); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(began); took < latency {
			t.Errorf("%s answered after %v, less than the %v latency", path, took, latency)
		}
		if !contains(head, "x-amz-meta-signature: abc123") || string(body) != "body of "+path {
			t.Errorf("%s: header %q, body %q", path, head, body)
		}
	}
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}
