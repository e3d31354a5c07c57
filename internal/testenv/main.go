package testenv

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"
)

// Setup is what a package's tests need started before they run.
type Setup struct {
	// Package names the package in the message of a failed start.
	Package string
	// MotoEnv is extra moto_server environment (KEY=VALUE), for example
	// MOTO_IAM_LOAD_MANAGED_POLICIES=true for AWS managed policies.
	MotoEnv []string
	// Proxy also starts a Proxy in front of moto.
	Proxy bool
	// Require lists the tools the package needs besides moto_server,
	// checked before anything starts (see Require).
	Require []Tool
	// Ready runs once moto (and the proxy) answer, before the tests: it
	// keeps what the tests use. Its error fails the package.
	Ready func(m *Moto, p *Proxy) error
	// Cleanup runs after the tests, before moto stops.
	Cleanup func()
}

// Main is a package's TestMain: it checks the tools the package needs,
// starts moto_server (and a proxy), runs the tests, stops what it started
// and exits with the tests' code. A missing tool or a start that fails
// exits 1 naming the package: a missing emulator fails the run, never
// skips it. A fuzz worker process (go test -fuzz runs
// the fuzz target in its own processes) starts nothing: fuzz targets test
// pure code.
func Main(m *testing.M, s Setup) {
	os.Exit(s.run(m))
}

func (s Setup) run(m *testing.M) int {
	flag.Parse()
	if fw := flag.Lookup("test.fuzzworker"); fw != nil && fw.Value.String() == "true" {
		return m.Run()
	}
	fail := func(err error) int {
		fmt.Fprintf(os.Stderr, "%s tests: %v\n", s.Package, err)
		return 1
	}
	// A missing tool fails the package in its first second, with the
	// command that installs it.
	if err := Require(append([]Tool{MotoServer}, s.Require...)...); err != nil {
		return fail(err)
	}
	moto, err := StartMoto(s.MotoEnv...)
	if err != nil {
		return fail(err)
	}
	defer moto.Stop()
	var proxy *Proxy
	if s.Proxy {
		if proxy, err = StartProxy(moto.Endpoint); err != nil {
			return fail(err)
		}
		defer proxy.Close()
	}
	if s.Ready != nil {
		if err := s.Ready(moto, proxy); err != nil {
			return fail(err)
		}
	}
	if s.Cleanup != nil {
		defer s.Cleanup()
	}
	return m.Run()
}

// Fresh wipes the emulator's state and the proxy's hooks (p may be nil) and
// returns a context bounded by timeout, so that a hung emulator fails the
// test instead of stalling the run.
func Fresh(t testing.TB, m *Moto, p *Proxy, timeout time.Duration) context.Context {
	t.Helper()
	if err := m.Reset(); err != nil {
		t.Fatalf("reset moto: %v", err)
	}
	if p != nil {
		p.Clear()
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return ctx
}
