package main

import (
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	in := strings.Join([]string{
		`{"Action":"start","Package":"github.com/trailseal/trailseal/internal/a"}`,
		`{"Action":"run","Package":"github.com/trailseal/trailseal/internal/a","Test":"TestSlow"}`,
		`{"Action":"output","Package":"github.com/trailseal/trailseal/internal/a","Test":"TestSlow","Output":"=== RUN   TestSlow\n"}`,
		`{"Action":"pass","Package":"github.com/trailseal/trailseal/internal/a","Test":"TestSlow","Elapsed":61.5}`,
		`{"Action":"output","Package":"github.com/trailseal/trailseal/internal/a","Test":"TestBad/sub","Output":"    bad_test.go:9: want 1, got 2\n"}`,
		`{"Action":"fail","Package":"github.com/trailseal/trailseal/internal/a","Test":"TestBad/sub","Elapsed":0.1}`,
		`{"Action":"fail","Package":"github.com/trailseal/trailseal/internal/a","Test":"TestBad","Elapsed":0.1}`,
		`{"Action":"fail","Package":"github.com/trailseal/trailseal/internal/a","Elapsed":62}`,
		`{"Action":"build-output","ImportPath":"github.com/trailseal/trailseal/internal/b","Output":"internal/b/b.go:3:1: syntax error\n"}`,
		`{"Action":"output","Package":"github.com/trailseal/trailseal/internal/c","Output":"report tests: missing test tools:\n"}`,
		`{"Action":"fail","Package":"github.com/trailseal/trailseal/internal/c","Elapsed":0.2}`,
	}, "\n")
	var out strings.Builder
	if code := run(strings.NewReader(in), &out); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	got := out.String()
	for _, want := range []string{
		"PASS internal/a TestSlow (61.5s)",
		"        bad_test.go:9: want 1, got 2\n",
		"FAIL internal/a TestBad (0.1s)",
		"FAIL github.com/trailseal/trailseal/internal/a (62.0s)",
		"internal/b/b.go:3:1: syntax error",
		"        report tests: missing test tools:",
		"2 packages, 1 tests passed, 3 failed",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	// The tail repeats the failures, after the last test line.
	tail := got[strings.LastIndex(got, "internal/c (0.2s)"):]
	for _, want := range []string{
		"=== 4 failures",
		"FAIL internal/a TestBad/sub\n",
		"FAIL internal/a TestBad\n",
		"FAIL internal/a\n",
		"--- internal/a TestBad/sub\n            bad_test.go:9: want 1, got 2\n",
		"--- internal/c\n        report tests: missing test tools:",
	} {
		if !strings.Contains(tail, want) {
			t.Errorf("the recap at the end lacks %q:\n%s", want, tail)
		}
	}
	if strings.Contains(got, "=== RUN") {
		t.Errorf("a passing test's output was printed:\n%s", got)
	}
}
