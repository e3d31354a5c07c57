package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/trailseal/trailseal/internal/fix"
	"github.com/trailseal/trailseal/internal/testenv"
)

// These tests send real signals to a real 'trailseal fix --apply' process
// (the built command) whose calls go through a proxy that holds one write
// call in flight: the emulator has made the change, the answer has not
// reached trailseal yet. The waits below are bounded so that a hung
// process fails the test instead of hanging it; none decides a result.

const signalTestLimit = 2 * time.Minute

// buildTrailseal builds cmd/trailseal into a temporary directory.
func buildTrailseal(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "trailseal")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/trailseal/trailseal/cmd/trailseal").CombinedOutput()
	if err != nil {
		t.Fatalf("build trailseal: %v\n%s", err, out)
	}
	return bin
}

// fixProcess is a running trailseal whose stderr is read line by line.
type fixProcess struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdout bytes.Buffer
	mu     sync.Mutex
	stderr []string
	lines  chan string
	done   chan struct{}
}

func startFix(t *testing.T, bin string, env []string, args ...string) *fixProcess {
	t.Helper()
	p := &fixProcess{t: t, lines: make(chan string, 256), done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout = &p.stdout
	errPipe, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr = append(p.stderr, sc.Text())
			p.mu.Unlock()
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	return p
}

// waitLine waits for a stderr line containing want.
func (p *fixProcess) waitLine(want string) {
	p.t.Helper()
	limit := time.After(signalTestLimit)
	for {
		select {
		case l := <-p.lines:
			if strings.Contains(l, want) {
				return
			}
		case <-limit:
			p.t.Fatalf("no stderr line with %q:\n%s", want, p.stderrText())
		}
	}
}

func (p *fixProcess) stderrText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.stderr, "\n")
}

// wait returns the exit code, or -1 for a process killed by a signal.
func (p *fixProcess) wait() int {
	p.t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- p.cmd.Wait() }()
	select {
	case err := <-errc:
		<-p.done
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			p.t.Fatal(err)
		}
		return 0
	case <-time.After(signalTestLimit):
		p.cmd.Process.Kill()
		p.t.Fatalf("trailseal did not exit:\n%s", p.stderrText())
		return 0
	}
}

func waitHeld(t *testing.T, h *testenv.Hold, p *fixProcess) string {
	t.Helper()
	select {
	case name := <-h.Held():
		return name
	case <-time.After(signalTestLimit):
		t.Fatalf("no call was held:\n%s", p.stderrText())
		return ""
	}
}

func isPutPublicAccessBlock(r *http.Request) bool {
	return r.Method == http.MethodPut && r.URL.Query().Has("publicAccessBlock")
}

// signalSetup seeds the emulator and returns the built command, the
// environment that sends it through a proxy, the proxy and the seed.
func signalSetup(t *testing.T) (string, []string, *testenv.Proxy, testenv.Misconfigured) {
	t.Helper()
	bin := buildTrailseal(t)
	m := startScanMoto(t)
	seed, err := testenv.SeedMisconfigured(context.Background(), mustConfig(t, m.Endpoint), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := testenv.StartProxy(m.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	env := append(testenv.Env(proxy.URL, "us-east-1"), "XDG_STATE_HOME="+state, "AWS_PROFILE=")
	return bin, env, proxy, seed
}

func loadEntries(t *testing.T, path string) map[string]fix.Entry {
	t.Helper()
	j, err := fix.LoadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]fix.Entry{}
	for _, e := range j.Entries {
		out[e.Step.ID] = e
	}
	return out
}

// TestFixApplyInterruptFinishesCallInFlight: SIGINT (and SIGTERM) while
// PutPublicAccessBlock is in flight. The call is let finish, the step is
// recorded as applied, the next step is not started, the exit code is 130,
// and --undo reverts the change.
func TestFixApplyInterruptFinishesCallInFlight(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			bin, env, proxy, seed := signalSetup(t)
			hold := testenv.HoldAnswers(proxy, isPutPublicAccessBlock)
			journal := filepath.Join(t.TempDir(), "journal.json")
			p := startFix(t, bin, env, "fix", "--regions", "us-east-1", "--rules", "bucket.public_access,bucket.lifecycle",
				"--apply", "--yes", "--journal", journal)
			waitHeld(t, hold, p)
			p.cmd.Process.Signal(sig)
			p.waitLine("finishing the call in flight")
			hold.Release()
			if code := p.wait(); code != ExitInterrupted {
				t.Errorf("exit %d, want %d\n%s", code, ExitInterrupted, p.stderrText())
			}
			byID := loadEntries(t, journal)
			if e := byID["bucket.public_access:"+seed.TrailBucket]; e.Status != fix.Applied {
				t.Errorf("the call in flight was let finish, so the step is applied: %+v", e)
			}
			if e := byID["bucket.lifecycle:"+seed.TrailBucket]; e.Status != fix.Skipped || !strings.Contains(e.Error, "interrupted") {
				t.Errorf("no step may start after the signal: %+v", e)
			}
			code, stdout, stderr := runFixCLI(t, "", "fix", "--undo", journal, "--yes")
			if code != ExitOK || !strings.Contains(stdout, "reverted     bucket.public_access:"+seed.TrailBucket) {
				t.Errorf("undo: exit %d\n%s\n%s", code, stdout, stderr)
			}
		})
	}
}

// TestFixApplySecondInterruptReadsBack: a second SIGINT abandons the call
// in flight. Its outcome is unknown to trailseal, so it reads the bucket's
// Block Public Access back, finds the change made, and records the step
// as applied, so that --undo reverts it.
func TestFixApplySecondInterruptReadsBack(t *testing.T) {
	bin, env, proxy, seed := signalSetup(t)
	hold := testenv.HoldAnswers(proxy, isPutPublicAccessBlock)
	defer hold.Release()
	journal := filepath.Join(t.TempDir(), "journal.json")
	p := startFix(t, bin, env, "fix", "--regions", "us-east-1", "--rules", "bucket.public_access,bucket.lifecycle",
		"--apply", "--yes", "--journal", journal)
	waitHeld(t, hold, p)
	p.cmd.Process.Signal(os.Interrupt)
	p.waitLine("finishing the call in flight")
	p.cmd.Process.Signal(os.Interrupt)
	if code := p.wait(); code != ExitInterrupted {
		t.Errorf("exit %d, want %d\n%s", code, ExitInterrupted, p.stderrText())
	}
	e := loadEntries(t, journal)["bucket.public_access:"+seed.TrailBucket]
	if e.Status != fix.Applied || !strings.Contains(e.Error+e.Note, "read back") {
		t.Errorf("the abandoned call's change was made and must be recorded as applied after reading it back: %+v\n%s", e, p.stderrText())
	}
	code, stdout, stderr := runFixCLI(t, "", "fix", "--undo", journal, "--yes")
	if code != ExitOK || !strings.Contains(stdout, "reverted     bucket.public_access:"+seed.TrailBucket) {
		t.Errorf("undo: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// TestFixApplyKilledDuringCreateKey: SIGKILL while kms:CreateKey is in
// flight leaves a key and a journal entry "in progress" without its ARN.
// The next 'fix' finds the key by the tags fix puts on what it creates
// and records it; --undo then says the key is kept, by ARN.
func TestFixApplyKilledDuringCreateKey(t *testing.T) {
	bin, env, proxy, seed := signalSetup(t)
	hold := testenv.HoldAnswers(proxy, func(r *http.Request) bool {
		return strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".CreateKey")
	})
	defer hold.Release()
	p := startFix(t, bin, env, "fix", "--regions", "us-east-1", "--rules", "trail.kms_encryption", "--apply", "--yes")
	waitHeld(t, hold, p)
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.wait()

	journals, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_STATE_HOME"), "trailseal", "journal-*.json"))
	if len(journals) != 1 {
		t.Fatalf("want one journal, got %v", journals)
	}
	journal := journals[0]
	if e := loadEntries(t, journal)["kms.create_key:"+seed.TrailName]; e.Status != fix.InProgress || e.Outputs["keyArn"] != "" {
		t.Fatalf("the killed run must leave the key step in progress without the key's ARN: %+v", e)
	}
	keys, err := kms.NewFromConfig(mustConfig(t, proxy.URL)).ListKeys(context.Background(), &kms.ListKeysInput{})
	if err != nil || len(keys.Keys) != 1 {
		t.Fatalf("the emulator must hold the key the killed call created: %v %+v", err, keys)
	}
	keyARN := aws.ToString(keys.Keys[0].KeyArn)

	code, stdout, stderr := runFixCLI(t, "", "fix", "--regions", "us-east-1", "--rules", "trail.kms_encryption")
	if code != ExitFixPending || !strings.Contains(stderr, journal) || !strings.Contains(stderr, keyARN) {
		t.Errorf("the next fix must resolve the step left in progress: exit %d\n%s\n%s", code, stdout, stderr)
	}
	e := loadEntries(t, journal)["kms.create_key:"+seed.TrailName]
	if e.Status == fix.InProgress || len(e.Changes) == 0 || e.Changes[0].Resource != keyARN {
		t.Errorf("the journal must now record the key: %+v", e)
	}
	code, stdout, stderr = runFixCLI(t, "", "fix", "--undo", journal, "--yes")
	if code != ExitOK || !strings.Contains(stdout, "created KMS key "+keyARN) || !strings.Contains(stdout, "never deletes a KMS key") {
		t.Errorf("undo must name the key it keeps: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
