package store

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// The kill tests re-execute the test binary as a helper process that writes
// to the store, and kill it with SIGKILL: no deferred rollback, no
// cleanup, the process simply stops, as under an OOM killer or a CI job's
// timeout.
const (
	helperEnv    = "TRAILSEAL_STORE_TEST_HELPER"
	helperLocEnv = "TRAILSEAL_STORE_TEST_LOCATION"
	helperMarker = "TRAILSEAL_STORE_TEST_MARKER"
)

// runHelper is the helper process. Mode "hold" saves one run and, with
// every row written and the transaction open, creates the marker file and
// waits to be killed. Mode "loop" saves runs without end and prints the ID
// of each committed one.
func runHelper() int {
	loc, err := ParseLocation(os.Getenv(helperLocEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx := context.Background()
	s, err := Open(ctx, loc, Create)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	switch os.Getenv(helperEnv) {
	case "hold":
		s.beforeCommit = func() error {
			if err := os.WriteFile(os.Getenv(helperMarker), nil, 0o644); err != nil {
				return err
			}
			time.Sleep(time.Hour)
			return nil
		}
		rec, err := newSampleRecord("killed", t0.Add(time.Hour))
		if err == nil {
			_, err = s.Save(ctx, rec)
		}
		fmt.Fprintln(os.Stderr, "hold: save returned:", err)
		return 1
	case "loop":
		for i := 0; ; i++ {
			rec, err := newSampleRecord("loop", t0.Add(time.Duration(i)*time.Second))
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			id, err := s.Save(ctx, rec)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			fmt.Println(id)
		}
	}
	return 2
}

func helperCommand(t *testing.T, mode string, loc Location, extraEnv ...string) *exec.Cmd {
	t.Helper()
	locString := loc.URL
	if loc.Kind == SQLite {
		locString = "sqlite:" + loc.Path
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperLocEnv+"="+locString)
	cmd.Env = append(cmd.Env, extraEnv...)
	cmd.Stderr = os.Stderr
	return cmd
}

// TestKilledMidWrite kills a process that has written every row of a run
// and not yet committed: the worst moment. The runs saved before stay
// whole, nothing of the killed run is visible, and the store takes new
// runs.
func TestKilledMidWrite(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		loc := b.fresh(t)
		s := openStore(t, loc)
		before := []int64{mustSave(t, s, sampleRecord(t, "one", t0)), mustSave(t, s, sampleRecord(t, "two", t0.Add(time.Minute)))}

		marker := filepath.Join(t.TempDir(), "holding")
		cmd := helperCommand(t, "hold", loc, helperMarker+"="+marker)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			if _, err := os.Stat(marker); err == nil {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatal("the helper never reached the point before commit")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()

		runs := checkIntegrity(t, s)
		if len(runs) != 2 || runs[0].ID != before[1] || runs[1].ID != before[0] {
			t.Fatalf("runs after the kill: %+v, want exactly %v", runs, before)
		}
		// The killed writer's lock is gone with it: a new run is stored,
		// within the busy timeout.
		after := mustSave(t, s, sampleRecord(t, "three", t0.Add(2*time.Minute)))
		if runs := checkIntegrity(t, s); len(runs) != 3 || runs[0].ID != after {
			t.Fatalf("runs after a new save: %+v", runs)
		}
	})
}

// TestKilledAtRandom kills a process that saves runs in a loop at random
// moments, five times: every run it reported committed is there and whole,
// at most one more (committed, not yet reported), and nothing partial.
func TestKilledAtRandom(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		loc := b.fresh(t)
		s := openStore(t, loc)
		var reported []int64
		for round := range 5 {
			cmd := helperCommand(t, "loop", loc)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			ids := make(chan int64, 1000)
			go func() {
				sc := bufio.NewScanner(out)
				for sc.Scan() {
					if id, err := strconv.ParseInt(sc.Text(), 10, 64); err == nil {
						ids <- id
					}
				}
				close(ids)
			}()
			// Let it commit a few runs, then kill it at a random moment.
			for range 2 {
				select {
				case id, ok := <-ids:
					if !ok {
						t.Fatal("the helper stopped writing")
					}
					reported = append(reported, id)
				case <-time.After(60 * time.Second):
					t.Fatal("the helper commits nothing")
				}
			}
			time.Sleep(time.Duration(rand.IntN(40)) * time.Millisecond)
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			for id := range ids {
				reported = append(reported, id)
			}

			runs := checkIntegrity(t, s)
			stored := map[int64]bool{}
			for _, r := range runs {
				stored[r.ID] = true
			}
			for _, id := range reported {
				if !stored[id] {
					t.Fatalf("round %d: run %d was committed and is gone", round, id)
				}
			}
			if extra := len(runs) - len(reported); extra < 0 || extra > 1+round {
				t.Fatalf("round %d: %d runs stored, %d reported committed", round, len(runs), len(reported))
			}
		}
	})
}
