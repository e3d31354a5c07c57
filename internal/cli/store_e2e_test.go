package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/trailseal/trailseal/internal/drift"
	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/testenv"
)

// storedScan runs 'scan --store' and returns its findings by rule. FAIL
// findings exist in every scan of the emulated account, so exit 3 is the
// expected outcome.
func storedScan(t *testing.T, storeURL string, extra ...string) map[string][]findings.Finding {
	t.Helper()
	out := filepath.Join(t.TempDir(), "findings.json")
	args := append([]string{"scan", "--regions", "us-east-1", "--store=" + storeURL, "--format", "json", "--output", out}, extra...)
	code, _, stderr := runCLI(t, args...)
	if code != ExitFindings {
		t.Fatalf("scan: exit %d, want %d; stderr: %s", code, ExitFindings, stderr)
	}
	if !strings.Contains(stderr, "stored in "+storeURL) {
		t.Errorf("scan does not say where it stored the run: %q", stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep findings.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	byRule := map[string][]findings.Finding{}
	for _, f := range rep.Findings {
		byRule[f.RuleID] = append(byRule[f.RuleID], f)
	}
	return byRule
}

// wantDrift asserts the findings of one drift rule: exactly one, with the
// status, resource and message parts given.
func wantDrift(t *testing.T, got map[string][]findings.Finding, rule string, status findings.Status, resource string, parts ...string) {
	t.Helper()
	fs := got[rule]
	if len(fs) != 1 {
		t.Fatalf("%s: %d findings, want 1: %+v", rule, len(fs), fs)
	}
	f := fs[0]
	if f.Status != status || (resource != "" && f.Resource != resource) {
		t.Errorf("%s: %s on %s (%s), want %s on %s", rule, f.Status, f.Resource, f.Message, status, resource)
	}
	for _, p := range parts {
		if !strings.Contains(f.Message, p) {
			t.Errorf("%s: message %q lacks %q", rule, f.Message, p)
		}
	}
}

// TestScanStoreDriftEndToEnd scans an emulated account with --store,
// changes it through the AWS SDK the way an attacker's playbook does, and
// scans again: each change produces its drift finding, and 'diff' shows
// them. Nothing changed between the first two scans, and nothing drifts.
func TestScanStoreDriftEndToEnd(t *testing.T) {
	m := startScanMoto(t)
	ctx := context.Background()
	cfg, err := testenv.Config(ctx, m.Endpoint, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"drift-logs", "drift-elsewhere"} {
		if err := testenv.CreateBucket(ctx, cfg, b); err != nil {
			t.Fatal(err)
		}
	}
	const acct = "123456789012"
	mainARN := "arn:aws:cloudtrail:us-east-1:" + acct + ":trail/main"
	sideARN := "arn:aws:cloudtrail:us-east-1:" + acct + ":trail/side"
	for _, name := range []string{"main", "side"} {
		if _, err := testenv.CreateLoggingTrail(ctx, cfg, &cloudtrail.CreateTrailInput{
			Name: aws.String(name), S3BucketName: aws.String("drift-logs"), IsMultiRegionTrail: aws.Bool(true),
			EnableLogFileValidation: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
	}
	ct := cloudtrail.NewFromConfig(cfg)
	storeURL := "sqlite:" + filepath.Join(t.TempDir(), "history.db")

	first := storedScan(t, storeURL)
	for _, r := range drift.Rules() {
		if fs := first[r.ID]; len(fs) != 1 || fs[0].Status != findings.NA {
			t.Errorf("first run: %s %+v, want one N/A (nothing to compare with)", r.ID, fs)
		}
	}
	same := storedScan(t, storeURL)
	for _, r := range drift.Rules() {
		if fs := same[r.ID]; len(fs) != 1 || fs[0].Status != findings.Pass {
			t.Errorf("unchanged account: %s %+v, want one PASS", r.ID, fs)
		}
	}

	t.Run("trail deleted", func(t *testing.T) {
		if _, err := ct.DeleteTrail(ctx, &cloudtrail.DeleteTrailInput{Name: aws.String("side")}); err != nil {
			t.Fatal(err)
		}
		got := storedScan(t, storeURL)
		wantDrift(t, got, drift.RuleTrailRemoved, findings.Fail, sideARN, "trail side (bucket drift-logs), present in run 2")
		wantDrift(t, got, drift.RuleTrailDestinationChanged, findings.Pass, "")
	})
	t.Run("trail moved to a new bucket", func(t *testing.T) {
		if _, err := ct.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("main"), S3BucketName: aws.String("drift-elsewhere")}); err != nil {
			t.Fatal(err)
		}
		got := storedScan(t, storeURL)
		wantDrift(t, got, drift.RuleTrailDestinationChanged, findings.Fail, mainARN, "bucket drift-logs -> drift-elsewhere", "since run 3")
		wantDrift(t, got, drift.RuleTrailRemoved, findings.Pass, "")
	})
	t.Run("a check regresses", func(t *testing.T) {
		if _, err := ct.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("main")}); err != nil {
			t.Fatal(err)
		}
		got := storedScan(t, storeURL)
		// The trail's own check and the two account checks that counted
		// on it regress together.
		var rules []string
		for _, f := range got[drift.RuleRegression] {
			rules = append(rules, f.Evidence["rule"].(string))
		}
		if strings.Join(rules, ",") != "account.multi_region_trail,account.trail_logging,trail.logging" {
			t.Errorf("regressed rules %v", rules)
		}
		got[drift.RuleRegression] = got[drift.RuleRegression][2:]
		wantDrift(t, got, drift.RuleRegression, findings.Fail, mainARN, "trail.logging passed in run 4 (", ") and fails in this run (")
	})
	t.Run("logging stopped and started between scans", func(t *testing.T) {
		if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")}); err != nil {
			t.Fatal(err)
		}
		// Logging again: a repair, not an interruption.
		got := storedScan(t, storeURL)
		wantDrift(t, got, drift.RuleLoggingInterrupted, findings.NA, "")
		// moto gives GetTrailStatus times in whole seconds: stop in a later
		// second than the restart above, or the two read the same.
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
		for _, call := range []func() error{
			func() error {
				_, err := ct.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("main")})
				return err
			},
			func() error {
				_, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")})
				return err
			},
		} {
			if err := call(); err != nil {
				t.Fatal(err)
			}
		}
		got = storedScan(t, storeURL)
		wantDrift(t, got, drift.RuleLoggingInterrupted, findings.Fail, mainARN, "logging stopped at", "and started again at")
		wantDrift(t, got, drift.RuleRegression, findings.Pass, "")
	})

	t.Run("diff shows the drift", func(t *testing.T) {
		// From run 2 (before any change) to run 5 (trail deleted, moved,
		// stopped), as JSON.
		code, stdout, stderr := runCLI(t, "diff", "2", "5", "--store", storeURL, "--format", "json")
		if code != ExitOK {
			t.Fatalf("diff: exit %d: %s", code, stderr)
		}
		var res struct {
			Diff struct {
				NewFailures []struct{ After findings.Finding }  `json:"newFailures"`
				Vanished    []struct{ Before findings.Finding } `json:"vanished"`
				Drift       []findings.Finding                  `json:"drift"`
			} `json:"diff"`
		}
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatalf("diff JSON: %v\n%s", err, stdout)
		}
		drifted := map[string]string{}
		for _, f := range res.Diff.Drift {
			drifted[f.RuleID] = f.Resource + " " + f.Message
		}
		for rule, want := range map[string]string{
			drift.RuleTrailRemoved:            sideARN,
			drift.RuleTrailDestinationChanged: "bucket drift-logs -> drift-elsewhere",
			drift.RuleRegression:              "trail.logging passed in run 2",
		} {
			if !strings.Contains(drifted[rule], want) {
				t.Errorf("diff 2 5: drift %s = %q, want it to mention %q", rule, drifted[rule], want)
			}
		}
		newFail := false
		for _, tr := range res.Diff.NewFailures {
			newFail = newFail || tr.After.RuleID == "trail.logging" && tr.After.Resource == mainARN
		}
		vanished := false
		for _, tr := range res.Diff.Vanished {
			vanished = vanished || tr.Before.Resource == sideARN
		}
		if !newFail || !vanished {
			t.Errorf("diff 2 5: trail.logging new failure %v, side trail's findings no longer reported %v", newFail, vanished)
		}

		// The default: the newest two runs, as a table.
		code, stdout, _ = runCLI(t, "diff", "--store", storeURL)
		if code != ExitOK || !strings.Contains(stdout, "run 6 (") || !strings.Contains(stdout, "-> run 7 (") ||
			!strings.Contains(stdout, "DRIFT (1)") || !strings.Contains(stdout, "drift.logging_interrupted") {
			t.Errorf("diff of the newest runs: exit %d\n%s", code, stdout)
		}
		code, stdout, _ = runCLI(t, "history", "--store", storeURL)
		if code != ExitOK || strings.Count(stdout, "  aws  ") != 7 {
			t.Errorf("history: exit %d, want 7 runs from aws\n%s", code, stdout)
		}
	})
}

// TestOrgScanStore stores organization scans: an interrupted scan leaves no
// run, a finished one stores every account (the one it could not enter
// without a snapshot), and a trail deleted in a member account between two
// scans is that account's drift.
func TestOrgScanStore(t *testing.T) {
	env := startOrgEnv(t)
	storeURL := "sqlite:" + filepath.Join(t.TempDir(), "org.db")
	scan := func(ctx context.Context) (int, findings.Report, string) {
		var stdout, stderr strings.Builder
		code := run(ctx, []string{"scan", "--org", "--role-name", "TrailsealAudit", "--regions", "us-east-1",
			"--store=" + storeURL, "--format", "json"}, strings.NewReader(""), &stdout, &stderr)
		var rep findings.Report
		if code != ExitInterrupted {
			if err := json.Unmarshal([]byte(stdout.String()), &rep); err != nil {
				t.Fatalf("exit %d, report: %v; stderr %s", code, err, stderr.String())
			}
		}
		return code, rep, stderr.String()
	}

	// Interrupted before it finishes: the report of what finished is
	// printed, and nothing is stored.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if code, _, stderr := scan(ctx); code != ExitInterrupted || strings.Contains(stderr, "stored in") {
		t.Fatalf("interrupted: exit %d, stderr %s", code, stderr)
	}
	if code, stdout, _ := runCLI(t, "history", "--store", storeURL); code != ExitOK || !strings.HasPrefix(stdout, "No runs stored") {
		t.Fatalf("after an interrupted scan: exit %d\n%s", code, stdout)
	}

	if code, _, stderr := scan(context.Background()); code != ExitFindings || !strings.Contains(stderr, "run 1 stored in") {
		t.Fatalf("first scan: exit %d: %s", code, stderr)
	}
	seed, err := testenv.Config(context.Background(), env.proxy.URL, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	archive, err := testenv.AssumeConfig(context.Background(), seed, env.archive)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cloudtrail.NewFromConfig(archive).DeleteTrail(context.Background(), &cloudtrail.DeleteTrailInput{Name: aws.String("archive-local")}); err != nil {
		t.Fatal(err)
	}
	code, rep, stderr := scan(context.Background())
	if code != ExitFindings || !strings.Contains(stderr, "run 2 stored in") {
		t.Fatalf("second scan: exit %d: %s", code, stderr)
	}
	removed := map[string]findings.Status{}
	for _, f := range rep.Findings {
		if f.RuleID == drift.RuleTrailRemoved {
			removed[f.Account] = f.Status
			if f.Account == env.archive && !strings.Contains(f.Message, "trail archive-local") || f.AccountName == "" {
				t.Errorf("%s in %s (%s): %s", f.RuleID, f.Account, f.AccountName, f.Message)
			}
		}
	}
	// The member has no trail of its own (moto lists no organization trail
	// to members): N/A.
	if removed[env.archive] != findings.Fail || removed[env.member] != findings.NA || len(removed) != 3 {
		t.Errorf("drift.trail_removed by account: %v; want FAIL for the log archive, N/A for the member without trails, nothing for the blocked one", removed)
	}

	code, stdout, _ := runCLI(t, "history", "--store", storeURL, "--format", "json")
	var runs []struct{ Accounts []string }
	if err := json.Unmarshal([]byte(stdout), &runs); code != ExitOK || err != nil || len(runs) != 2 || len(runs[0].Accounts) != 4 {
		t.Fatalf("history: exit %d, %v: %s", code, err, stdout)
	}
	code, stdout, _ = runCLI(t, "diff", "--store", storeURL, "--account", env.archive)
	if code != ExitOK || !strings.Contains(stdout, "accounts: "+env.archive) || !strings.Contains(stdout, "drift.trail_removed") {
		t.Errorf("diff --account: exit %d\n%s", code, stdout)
	}
}
