// Command progress reads 'go test -json' on stdin and prints one line per
// finished test as it finishes, so that a package whose tests take minutes
// shows progress in a CI log; 'go test -v ./...' cannot, because with more
// than one package it holds each package's output until the package ends.
// A failed test's full output is printed after its line, and a package's
// own output (a TestMain's message) when the package fails. The failures are
// repeated at the end, so that the tail of a long log, often all a CI page
// keeps, names them and shows why. It exits 1 when a test or package failed,
// or when the input ended without a result.
//
// Usage: go test -json ./... | go run ./.ci/progress
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// event is one line of 'go test -json' (cmd/test2json).
type event struct {
	Time    time.Time
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

func main() {
	os.Exit(run(os.Stdin, os.Stdout))
}

func run(in io.Reader, out io.Writer) int {
	start := time.Now()
	output := map[string]*strings.Builder{} // package + "\x00" + test -> output
	failed, passed, packages := 0, 0, 0
	var failures []failure
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			// Not JSON: the go command's own message (a build error).
			fmt.Fprintln(out, sc.Text())
			continue
		}
		key := e.Package + "\x00" + e.Test
		switch e.Action {
		case "build-output":
			fmt.Fprint(out, e.Output)
		case "output":
			b := output[key]
			if b == nil {
				b = &strings.Builder{}
				output[key] = b
			}
			b.WriteString(e.Output)
		case "pass", "fail", "skip":
			clock := time.Since(start).Round(time.Second)
			if e.Test == "" {
				packages++
				fmt.Fprintf(out, "[%s] %-4s %s (%.1fs)\n", clock, packageVerdict(e.Action), e.Package, e.Elapsed)
			} else if !strings.Contains(e.Test, "/") {
				fmt.Fprintf(out, "[%s]   %-4s %s %s (%.1fs)\n", clock, strings.ToUpper(e.Action), short(e.Package), e.Test, e.Elapsed)
			}
			if e.Action == "fail" {
				if e.Test == "" || !strings.Contains(e.Test, "/") {
					failed++
				}
				f := failure{name: strings.TrimSpace(short(e.Package) + " " + e.Test)}
				if b := output[key]; b != nil {
					f.output = b.String()
					fmt.Fprint(out, indent(f.output))
				}
				failures = append(failures, f)
			} else if e.Action == "pass" && e.Test != "" && !strings.Contains(e.Test, "/") {
				passed++
			}
			delete(output, key)
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(out, "progress:", err)
		return 1
	}
	recap(out, failures)
	fmt.Fprintf(out, "%d packages, %d tests passed, %d failed, in %s\n", packages, passed, failed, time.Since(start).Round(time.Second))
	if failed > 0 || packages == 0 {
		return 1
	}
	return 0
}

// failure is one failed test, subtest or package, with what it printed.
type failure struct {
	name, output string
}

// recapLines bounds each failure's repeated output: the full output was
// printed where the failure happened.
const recapLines = 40

// recap repeats the failures: their names, then the last lines of what each
// printed (a parent test prints little of its own; its subtests say why).
func recap(out io.Writer, failures []failure) {
	if len(failures) == 0 {
		return
	}
	fmt.Fprintf(out, "\n=== %d failures (repeated from above)\n", len(failures))
	for _, f := range failures {
		fmt.Fprintf(out, "FAIL %s\n", f.name)
	}
	for _, f := range failures {
		lines := strings.SplitAfter(strings.TrimRight(f.output, "\n"), "\n")
		if len(lines) == 1 && lines[0] == "" {
			continue
		}
		fmt.Fprintf(out, "--- %s\n", f.name)
		if len(lines) > recapLines {
			fmt.Fprintf(out, "        [... %d lines above]\n", len(lines)-recapLines)
			lines = lines[len(lines)-recapLines:]
		}
		fmt.Fprintln(out, indent(strings.Join(lines, "")))
	}
}

func packageVerdict(action string) string {
	switch action {
	case "pass":
		return "ok"
	case "fail":
		return "FAIL"
	}
	return "-"
}

// short is the package path without the module prefix.
func short(pkg string) string {
	return strings.TrimPrefix(pkg, "github.com/trailseal/trailseal/")
}

func indent(s string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		if line != "" {
			b.WriteString("        " + line)
		}
	}
	return b.String()
}
