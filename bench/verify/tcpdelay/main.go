// Command tcpdelay is the S3 latency proxy of the verify benchmark. It adds
// a fixed delay to every HTTP request passing through it and forwards the
// bytes untouched, so S3 header names (x-amz-meta-*) keep their case.
//
// It works on the TCP stream, not on parsed HTTP: each client connection
// gets its own server connection, and the first bytes a client sends after
// the previous response (a new request) are held for the delay. Bytes that
// continue a request (a body) are forwarded at once. This models a remote
// S3 endpoint for clients that send one request at a time per connection,
// as HTTP/1.1 clients without pipelining do (the AWS SDKs and the AWS CLI);
// an HTTP reverse proxy would do the same but spend several times the CPU
// parsing and re-encoding every request and response, and on a small
// machine that CPU is taken from the client being measured.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sync/atomic"
	"time"
)

func main() {
	target := flag.String("target", "127.0.0.1:9000", "host:port of the S3 server")
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	latency := flag.Duration("latency", 20*time.Millisecond, "delay added to every request")
	trace := flag.Bool("trace", false, "print the time and first line of every request to stderr")
	flag.Parse()
	tracing = *trace
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tcpdelay:", err)
		os.Exit(1)
	}
	fmt.Println("http://" + ln.Addr().String())
	go forward(ln, *target, *latency)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
}

// forward serves every connection ln accepts until ln is closed.
func forward(ln net.Listener, target string, latency time.Duration) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go serve(c.(*net.TCPConn), target, latency)
	}
}

var (
	tracing bool
	epoch   atomic.Int64
)

// traceRequest prints when a request arrived, relative to the first one.
func traceRequest(b []byte) {
	now := time.Now().UnixNano()
	epoch.CompareAndSwap(0, now)
	line := b
	for i, c := range b {
		if c == '\r' || c == '\n' {
			line = b[:i]
			break
		}
	}
	fmt.Fprintf(os.Stderr, "%8.1f ms %.6f %s\n", float64(now-epoch.Load())/1e6, float64(now)/1e9, line)
}

func serve(client *net.TCPConn, target string, latency time.Duration) {
	defer client.Close()
	c, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	server := c.(*net.TCPConn)
	defer server.Close()
	var answered atomic.Bool // the server has sent bytes since the last request
	answered.Store(true)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 32<<10)
		for {
			n, err := server.Read(buf)
			if n > 0 {
				answered.Store(true)
				if _, werr := client.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				client.CloseWrite()
				return
			}
		}
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := client.Read(buf)
		if n > 0 {
			if answered.Swap(false) {
				if tracing {
					traceRequest(buf[:n])
				}
				time.Sleep(latency)
			}
			if _, werr := server.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			server.CloseWrite()
			break
		}
	}
	<-done
}
