package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/trailseal/trailseal/internal/testenv"
	"github.com/trailseal/trailseal/internal/verify"
	"github.com/trailseal/trailseal/internal/verify/chaingen"
)

// orgArchive is an organization trail's archive in moto: the management
// account (moto's default) and the members moto created, each with
// eu-west-1 and us-east-1 chains signed with each region's own key, over
// the last eight hours (moto's accounts join the organization now).
type orgArchive struct {
	bucket, orgID string
	ids           map[string]string
	start, end    string
	modified      string // a log file of beta changed
	deleted       string // a digest of beta deleted
}

func seedOrgArchive(t *testing.T, e *verifyEnv) *orgArchive {
	t.Helper()
	ctx := context.Background()
	cfg, err := testenv.Config(ctx, e.moto.Endpoint, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	orgID, ids, err := testenv.CreateOrganization(ctx, cfg, "alpha", "beta", "gamma")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Add(time.Minute) // after moto's JoinedTimestamp
	first := now.Truncate(time.Hour).Add(-8*time.Hour + 91*time.Second)
	o := &orgArchive{bucket: "org-archive", orgID: orgID, ids: ids,
		start: first.Add(-91 * time.Second).Format(time.RFC3339), end: now.Format(time.RFC3339)}
	// Every account records eu-west-1 and us-east-1 (account:ListRegions,
	// asked per member account).
	regions := map[string]string{"eu-west-1": "ENABLED_BY_DEFAULT", "us-east-1": "ENABLED_BY_DEFAULT", "ap-southeast-2": "DISABLED", "af-south-1": "DISABLED"}
	e.proxy.SetRegions("", regions)
	e.proxy.SetTrails(testenv.Trail{ARN: vARN, Name: "org-audit", HomeRegion: "us-east-1", Bucket: o.bucket, MultiRegion: true, Organization: true})
	for i, acct := range []string{testAccount, ids["alpha"], ids["beta"]} {
		spec := func(s *chaingen.Spec) {
			s.Layout.OrgID, s.Layout.AccountID = orgID, acct
			s.Regions, s.First, s.Hours, s.Seed = []string{"eu-west-1", "us-east-1"}, first, 7, uint64(10+i)
		}
		corrupt := func(a *chaingen.Archive) {
			if acct != ids["beta"] {
				return
			}
			o.modified = a.LogKeys("eu-west-1")[5]
			lo := a.Get(o.modified)
			lo.Body = chaingen.Gzip(append(chaingen.Gunzip(lo.Body), '\n'))
			o.deleted = a.DigestKeys("us-east-1")[2]
			a.Delete(o.deleted)
		}
		if i == 0 {
			e.seed(t, o.bucket, spec, corrupt)
		} else {
			e.fill(t, o.bucket, spec, corrupt)
		}
	}
	return o
}

func (o *orgArchive) args(extra ...string) []string {
	return append([]string{"verify", "--trail-arn", vARN, "--start-time", o.start, "--end-time", o.end}, extra...)
}

// TestVerifyOrganizationArchive: without --account-id, verify of an
// organization trail verifies every account Organizations ListAccounts
// names, each in every region account:ListRegions says it has enabled, and
// names every tampered object of every account; the member without any
// folder is DIGEST_NONE in both regions. --account-id narrows the run to
// a list; --format json is one document.
func TestVerifyOrganizationArchive(t *testing.T) {
	e := startVerifyEnv(t)
	o := seedOrgArchive(t, e)
	code, out, errOut := runCLI(t, o.args()...)
	if code != ExitRuntime {
		t.Fatalf("exit %d, want 1:\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"Accounts: 4 from organizations:ListAccounts; 8 chains",
		"(organization " + o.orgID + ")",
		"LOG_MODIFIED", o.modified, "DIGEST_MISSING", o.deleted,
		o.ids["gamma"] + "  INVALID      eu-west-1, us-east-1: digests 0 valid, 0 invalid, 2 missing",
		"[in the organization, but no folder in the bucket]",
		o.ids["alpha"] + "  VALID        eu-west-1, us-east-1: digests 14 valid",
		"RESULT: INVALID",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "DIGEST_NONE") != 2 || strings.Index(out, "PROBLEMS") > strings.Index(out, "ACCOUNTS") {
		t.Errorf("want two DIGEST_NONE and problems first:\n%s", out)
	}
	if e.proxy.Calls("account:ListRegions") < 4 {
		t.Errorf("account:ListRegions asked %d times, want once per account", e.proxy.Calls("account:ListRegions"))
	}

	// Two accounts named: only they, as a list.
	code, out, errOut = runCLI(t, o.args("--account-id", o.ids["alpha"]+","+testAccount, "--format", "json")...)
	var r verify.ArchiveReport
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != ExitOK {
		t.Fatalf("exit %d, %v:\n%s%s", code, err, out, errOut)
	}
	if r.Kind != verify.ArchiveKind || len(r.Accounts) != 2 || r.AccountsSource != "--account-id" || r.Outcome != verify.OutcomeValid || len(r.Chains) != 4 {
		t.Errorf("report: kind %s, %d accounts from %s, outcome %s, %d chains", r.Kind, len(r.Accounts), r.AccountsSource, r.Outcome, len(r.Chains))
	}
	if code, _, errOut := runCLI(t, o.args("--account-id", o.ids["alpha"]+",12345")...); code != ExitUsage || !strings.Contains(errOut, `"12345" is not a 12-digit account ID`) {
		t.Errorf("a bad account in the list: exit %d, %s", code, errOut)
	}
}

// TestVerifyShardedProcesses runs verify as three processes, each told its
// shard by JOB_COMPLETION_INDEX as a Kubernetes Indexed Job sets it, and
// merges their reports: the merged report equals one process's run over
// every chain, and merge refuses the reports with one shard missing.
func TestVerifyShardedProcesses(t *testing.T) {
	e := startVerifyEnv(t)
	o := seedOrgArchive(t, e)
	bin := buildTrailseal(t)
	dir := t.TempDir()
	env := append(os.Environ(), e.env...)
	run := func(extra []string, index string) (int, string) {
		cmd := exec.Command(bin, o.args(extra...)...)
		cmd.Env = env
		if index != "" {
			cmd.Env = append(cmd.Env, "JOB_COMPLETION_INDEX="+index)
		}
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	var paths []string
	procs := make([]*exec.Cmd, 3)
	for i := range procs {
		path := filepath.Join(dir, fmt.Sprintf("shard-%d.json", i))
		paths = append(paths, path)
		procs[i] = exec.Command(bin, o.args("--shard", "auto", "--shards", "3", "--format", "json", "--output", filepath.Join(dir, "shard-{shard}.json"))...)
		procs[i].Env = append(append([]string{}, env...), fmt.Sprintf("JOB_COMPLETION_INDEX=%d", i))
		if err := procs[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range procs {
		if err := p.Wait(); err != nil {
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != ExitRuntime {
				t.Fatalf("shard %d: %v", i, err)
			}
		}
	}
	code, single := run([]string{"--format", "json"}, "")
	if code != ExitRuntime {
		t.Fatalf("one run: exit %d\n%s", code, single)
	}
	code, merged, errOut := runCLI(t, append([]string{"verify", "merge", "--format", "json"}, paths...)...)
	if code != ExitRuntime {
		t.Fatalf("merge: exit %d\n%s%s", code, merged, errOut)
	}
	var one, all verify.ArchiveReport
	if err := json.Unmarshal([]byte(single), &one); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(merged), &all); err != nil {
		t.Fatal(err)
	}
	if len(one.Problems) != 4 || len(one.Chains) != 8 {
		t.Fatalf("one run: %d problems, %d chains\n%s", len(one.Problems), len(one.Chains), single)
	}
	if d := cmp.Diff(one, all); d != "" {
		t.Errorf("merged shards differ from one run (-one +merged):\n%s", d)
	}
	code, _, errOut = runCLI(t, "verify", "merge", paths[0], paths[2])
	if code != ExitUsage || !strings.Contains(errOut, "shard 1 of 3 (0-based) missing") {
		t.Errorf("merge without shard 1: exit %d, %s", code, errOut)
	}
	code, _, errOut = runCLI(t, "verify", "--trail-arn", vARN, "--start-time", o.start, "--shard", "auto", "--shards", "3")
	if code != ExitUsage || !strings.Contains(errOut, "JOB_COMPLETION_INDEX") {
		t.Errorf("--shard auto without an index: exit %d, %s", code, errOut)
	}
}

// openPTY opens a pseudo-terminal pair (Linux): the program writes to the
// terminal side, the test reads what a person would see from the other.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("no pseudo-terminal: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

// TestVerifyProgressOnTerminal: the progress bar (chains and objects done
// of planned, rate, time left) is drawn on stderr when it is a terminal,
// never into the report, and not at all with --quiet or when stderr is a
// pipe.
func TestVerifyProgressOnTerminal(t *testing.T) {
	e := startVerifyEnv(t)
	e.seed(t, "progress-bucket", func(s *chaingen.Spec) { s.Hours = 6 }, nil)
	bin := buildTrailseal(t)
	run := func(terminal bool, extra ...string) (stdout, stderr string) {
		cmd := exec.Command(bin, verifyArgs("progress-bucket", append([]string{"--regions", "us-east-1", "--account-id", testAccount + ",111122223333", "--format", "json"}, extra...)...)...)
		cmd.Env = append(os.Environ(), e.env...)
		var out strings.Builder
		cmd.Stdout = &out
		if !terminal {
			var errb strings.Builder
			cmd.Stderr = &errb
			cmd.Run()
			return out.String(), errb.String()
		}
		master, tty := openPTY(t)
		defer master.Close()
		defer tty.Close()
		cmd.Stderr = tty
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The test keeps its own end of the terminal open until it has read
		// everything: when the last writer closes, Linux hangs the terminal
		// up and may drop what the reader has not taken yet (seen under load
		// as an empty stderr). A marker written after the program exits
		// comes after all its output, so reading up to it reads it all.
		const marker = "\x1b[trailseal-test-end]"
		seen := make(chan string)
		go func() {
			var b []byte
			buf := make([]byte, 4096)
			for !strings.Contains(string(b), marker) {
				n, err := master.Read(buf)
				b = append(b, buf[:n]...)
				if err != nil {
					break
				}
			}
			seen <- strings.TrimSuffix(string(b), marker)
		}()
		cmd.Wait()
		if _, err := tty.WriteString(marker); err != nil {
			t.Fatal(err)
		}
		return out.String(), <-seen
	}
	stdout, stderr := run(true)
	// chains done/planned, objects done/found, their rate, [elapsed:left]
	if !regexp.MustCompile(`chains [0-2]/2 .*\(\d+/\d+, [\d.]+ objects/(s|hr)\) \[\d+s:\d+s\]`).MatchString(stderr) {
		t.Errorf("no progress bar on a terminal's stderr: %q", stderr)
	}
	var r verify.ArchiveReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil || len(r.Chains) != 2 {
		t.Errorf("the report is not clean JSON (%v): %q", err, stdout)
	}
	if _, stderr := run(true, "--quiet"); strings.Contains(stderr, "objects") {
		t.Errorf("--quiet drew a progress bar: %q", stderr)
	}
	if _, stderr := run(false); stderr != "" {
		t.Errorf("a progress bar into a pipe: %q", stderr)
	}
}
