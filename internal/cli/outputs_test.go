package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/testenv"
)

// countingAWS points the SDK at a server that counts the requests it gets
// and answers none: a command that checks its inputs first sends none.
func countingAWS(t *testing.T) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.Error(w, "no AWS here", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	testenv.SetEnv(t, srv.URL, "us-east-1")
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	return &n
}

// TestOutputPathsCheckedBeforeAnyAWSCall: every path a command will write
// is checked before its first AWS call, and a bad one is a one-line usage
// error naming the flag. Before, scan collected the whole account and only
// then failed to write (exit 1), and --journal, --resume, hunt's and keys'
// outputs were not checked at all.
func TestOutputPathsCheckedBeforeAnyAWSCall(t *testing.T) {
	calls := countingAWS(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	under := filepath.Join(file, "report.json") // a path through a file
	for _, tc := range []struct {
		want string
		args []string
	}{
		{"--output " + under + ": not a directory", []string{"scan", "--regions", "us-east-1", "-o", under}},
		{"--output " + dir + ": is a folder", []string{"scan", "--regions", "us-east-1", "-o", dir}},
		{"--save-snapshot " + under, []string{"scan", "--regions", "us-east-1", "--save-snapshot", under}},
		{"--output-dir " + filepath.Join(file, "report.json"), []string{"scan", "--regions", "us-east-1", "--format", "json,csv", "--output-dir", file}},
		{"--resume " + under, []string{"scan", "--org", "--role-name", "Audit", "--resume", under}},
		{"--journal " + under, []string{"fix", "--regions", "us-east-1", "--apply", "--yes", "--journal", under}},
		{"--output " + under, []string{"fix", "--regions", "us-east-1", "-o", under}},
		{"--output " + under, []string{"hunt", "--lookup-events", "--start-time", "2026-01-01", "-o", under}},
		{"--output " + under, []string{"verify", "--trail-arn", "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-audit", "--start-time", "2026-01-01", "-o", under}},
		{"--output " + under, []string{"keys", "export", "--regions", "us-east-1", "--start-time", "2026-01-01", "-o", under}},
		{"--to " + file + " is a file", []string{"pull", "--trail-arn", "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-audit", "--start-time", "2026-01-01", "--to", file}},
	} {
		assertUserError(t, ExitUsage, tc.want, tc.args...)
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("%d AWS requests were sent before the bad paths were found", n)
	}
	// Every bad path at once, in one line.
	assertUserError(t, ExitUsage, "--output "+under+": not a directory (a part of the path is missing or not a folder); --save-snapshot "+dir+": is a folder",
		"scan", "--regions", "us-east-1", "-o", under, "--save-snapshot", dir)
	assertUserError(t, ExitUsage, "name the same file", "scan", "--regions", "us-east-1", "-o", filepath.Join(dir, "x.json"), "--save-snapshot", filepath.Join(dir, ".", "x.json"))
	if n := calls.Load(); n != 0 {
		t.Fatalf("%d AWS requests were sent before the bad paths were found", n)
	}
}

// TestOutputCreatesFolders: a report's missing folders are created, as
// --output-dir always did (before, -o failed after the scan with exit 1).
func TestOutputCreatesFolders(t *testing.T) {
	snap := sampleSnapshot(t)
	out := filepath.Join(t.TempDir(), "reports", "2026", "03", "findings.json")
	code, _, stderr := runCLI(t, "scan", "--snapshot", snap, "--format", "json", "-o", out)
	if code != ExitFindings {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc struct{ Findings []findings.Finding }
	data, err := os.ReadFile(out)
	if err != nil || json.Unmarshal(data, &doc) != nil || len(doc.Findings) == 0 {
		t.Fatalf("report not written in full: %v\n%s", err, data)
	}
	for _, args := range [][]string{
		{"rules", "-o", filepath.Join(t.TempDir(), "new", "rules.md"), "--format", "markdown"},
		{"detections", "-o", filepath.Join(t.TempDir(), "new", "detections.json"), "--format", "json"},
		{"compliance", "list", "-o", filepath.Join(t.TempDir(), "new", "frameworks.txt")},
		{"demo", "--skip-verify", "-f", "json", "-o", filepath.Join(t.TempDir(), "new", "demo.json")},
	} {
		if code, _, stderr := runCLI(t, args...); code != ExitOK {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
		}
		if fi, err := os.Stat(args[len(args)-1]); args[0] != "rules" && args[0] != "detections" && (err != nil || fi.Size() == 0) {
			t.Errorf("%v: nothing written: %v", args, err)
		}
	}
}

// TestOutputThroughLinksAndDevices: a symbolic link is written through,
// never replaced by a file, and a device or pipe is written in place; a
// regular file is replaced whole, keeping its mode, with no temporary file
// left behind.
func TestOutputThroughLinksAndDevices(t *testing.T) {
	snap := sampleSnapshot(t)
	dir := t.TempDir()
	target := filepath.Join(dir, "target.json")
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "scan", "--snapshot", snap, "-f", "json", "-o", link); code != ExitFindings {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced by a file: %v %v", fi.Mode(), err)
	}
	if data, _ := os.ReadFile(target); !strings.Contains(string(data), `"findings"`) {
		t.Fatalf("the report did not reach the link's target: %q", data)
	}

	// A named pipe stays a pipe; its reader gets the report.
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	go func() {
		data, _ := os.ReadFile(fifo)
		got <- data
	}()
	if code, _, stderr := runCLI(t, "rules", "-f", "json", "-o", fifo); code != ExitOK {
		t.Fatalf("rules -o pipe: exit %d: %s", code, stderr)
	}
	if data := <-got; !strings.Contains(string(data), "bucket.object_lock") {
		t.Fatalf("the pipe's reader got %q", data)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the pipe was replaced: %v %v", fi.Mode(), err)
	}

	// A regular file is replaced whole and keeps its mode.
	plain := filepath.Join(dir, "plain.json")
	if err := os.WriteFile(plain, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "rules", "-f", "json", "-o", plain); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if fi, _ := os.Stat(plain); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640 kept", fi.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	assertUserError(t, ExitUsage, "a symbolic link to a file that does not exist", "rules", "-o", mustSymlink(t, filepath.Join(dir, "gone"), filepath.Join(dir, "dangling")))
}

func mustSymlink(t *testing.T, target, link string) string {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	return link
}

// TestOneBadOutputKeepsTheOthers: when one output cannot be written after
// the run, the others still are, and the run exits 1 naming the one that
// failed. /dev/full takes the open and fails every write (ENOSPC), as a
// full disk does. Before, --save-snapshot was written with a rename over
// the path (a link to /dev/full became a plain file), and a snapshot that
// failed stopped the report from being written at all.
func TestOneBadOutputKeepsTheOthers(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Fatalf("this test needs /dev/full: %v", err)
	}
	startScanMoto(t)
	dir := t.TempDir()
	full := mustSymlink(t, "/dev/full", filepath.Join(dir, "snapshot.json"))
	report := filepath.Join(dir, "report.json")
	code, _, stderr := runCLI(t, "scan", "--regions", "us-east-1", "--save-snapshot", full, "-f", "json", "-o", report)
	if code != ExitRuntime || !strings.Contains(stderr, "--save-snapshot "+full+": no space left on device") {
		t.Fatalf("exit %d, stderr %q; want exit 1 naming --save-snapshot", code, stderr)
	}
	if data, err := os.ReadFile(report); err != nil || !strings.Contains(string(data), `"findings"`) {
		t.Fatalf("the report was dropped with the snapshot: %v %q", err, data)
	}
	if fi, err := os.Lstat(full); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link to /dev/full was replaced: %v", err)
	}

	// The other way round, and into folders that do not exist yet.
	snap := filepath.Join(dir, "new", "snap.json")
	code, _, stderr = runCLI(t, "scan", "--regions", "us-east-1", "--save-snapshot", snap, "-f", "json", "-o", "/dev/full")
	if code != ExitRuntime || !strings.Contains(stderr, "--output /dev/full: no space left on device") {
		t.Fatalf("exit %d, stderr %q; want exit 1 naming --output", code, stderr)
	}
	if _, err := os.Stat(snap); err != nil {
		t.Fatalf("the snapshot was dropped with the report: %v", err)
	}
}

// TestOutputDirWritesEveryFormatItCan: one report of --output-dir that
// cannot be written does not stop the others.
func TestOutputDirWritesEveryFormatItCan(t *testing.T) {
	g, stdout, stderr := testGlobals()
	dir := t.TempDir()
	r := &resolvedScan{formats: []string{"json", "csv"}, report: newOutput(g, "--output", "")}
	r.dir = []formatOutput{
		{"json", newOutput(g, "--output-dir", "/dev/full")},
		{"csv", newOutput(g, "--output-dir", filepath.Join(dir, "report.csv"))},
	}
	if err := checkOutputs(r.dir[0].out, r.dir[1].out); err != nil {
		t.Fatal(err)
	}
	rep := &findings.Report{Tool: "trailseal", Accounts: []string{"111122223333"}, Findings: []findings.Finding{
		{RuleID: "trail.multi_region", Status: findings.Pass, Severity: findings.High, Account: "111122223333", Resource: "t", Message: "ok"}}}
	err := emit(g, rep, r, nil)
	if err == nil || exitCode(err) != ExitRuntime || !strings.Contains(err.Error(), "/dev/full") {
		t.Fatalf("err %v", err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "report.csv")); !strings.Contains(string(data), "trail.multi_region") {
		t.Fatalf("report.csv not written: %q (stdout %q, stderr %q)", data, stdout, stderr)
	}
}

// TestSnapshotStreamErrors: a snapshot that is not JSON fails at its first
// bytes, even a device without end (before, /dev/zero was read until
// memory ran out), and a value of the wrong type is named by field, line
// and type in words.
func TestSnapshotStreamErrors(t *testing.T) {
	assertUserError(t, ExitUsage, "/dev/zero: invalid snapshot: not valid JSON", "scan", "--snapshot", "/dev/zero")
	bad := writeFile(t, "snap.json", "{\"schemaVersion\": 1,\n \"account\": {\"id\": 111122223333}}")
	assertUserError(t, ExitUsage, "line 2: account.id must be text, not the number 111122223333", "scan", "--snapshot", bad)
	assertUserError(t, ExitUsage, "line 2: account.id must be text", "hunt", "--snapshot", bad, bad)
}

// TestKeyFileTypeErrorInWords: a public keys file of the wrong shape is
// named by field and type in words (before: "cannot unmarshal number into
// Go struct field keysFile.PublicKeyList of type []struct {...}").
func TestKeyFileTypeErrorInWords(t *testing.T) {
	keys := writeFile(t, "keys.json", `{"PublicKeyList": 5}`)
	dir := t.TempDir()
	code, _, stderr := runCLI(t, "verify", "--trail-arn", "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-audit",
		"--start-time", "2026-01-01T00:00:00Z", "--from-dir", dir, "--public-keys", keys)
	if code != ExitUsage || !strings.Contains(stderr, "PublicKeyList must be a list, not a number") || strings.Contains(stderr, "Go ") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// TestQuiet: --quiet leaves the report and errors, and nothing else on
// stderr.
func TestQuiet(t *testing.T) {
	snap := sampleSnapshot(t)
	out := filepath.Join(t.TempDir(), "r.json")
	code, _, stderr := runCLI(t, "scan", "--snapshot", snap, "-f", "json", "-o", out)
	if code != ExitFindings || !strings.Contains(stderr, "findings:") {
		t.Fatalf("without --quiet the summary goes to stderr: exit %d %q", code, stderr)
	}
	code, _, stderr = runCLI(t, "scan", "--snapshot", snap, "-f", "json", "-o", out, "--quiet")
	if code != ExitFindings || stderr != "" {
		t.Fatalf("--quiet: exit %d, stderr %q", code, stderr)
	}
	assertUserError(t, ExitUsage, "--quiet and --debug exclude each other", "rules", "-q", "--debug")
}

// testGlobals is a globals writing into buffers.
func testGlobals() (*globals, *strings.Builder, *strings.Builder) {
	var stdout, stderr strings.Builder
	g := &globals{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, color: "never"}
	return g, &stdout, &stderr
}
