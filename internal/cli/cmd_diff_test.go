package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailseal/trailseal/internal/findings"
)

func TestDiff(t *testing.T) {
	sample := sampleSnapshot(t)
	storeURL := snapshotRuns(t, "sqlite:"+filepath.Join(t.TempDir(), "h.db"), sample, sample, changedSample(t))
	const orgTrail = "arn:aws:cloudtrail:us-east-1:111122223333:trail/organization-trail"

	// The default: the newest two runs.
	code, stdout, stderr := runCLI(t, "diff", "--store", storeURL, "--format", "json")
	if code != ExitOK {
		t.Fatalf("diff: exit %d: %s", code, stderr)
	}
	var res diffResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	if res.Runs.A.ID != 2 || res.Runs.B.ID != 3 || len(res.Warnings) != 0 {
		t.Errorf("compared runs %d and %d, warnings %v", res.Runs.A.ID, res.Runs.B.ID, res.Warnings)
	}
	drifted := map[string]string{}
	for _, f := range res.Diff.Drift {
		drifted[f.RuleID+" "+f.Resource] = f.Message
	}
	for key, want := range map[string]string{
		"drift.trail_removed arn:aws:cloudtrail:us-west-2:111122223333:trail/legacy-audit": "trail legacy-audit (bucket acme-legacy-cloudtrail), present in run 2",
		"drift.trail_destination_changed " + orgTrail:                                      "bucket acme-org-audit-logs -> attacker-owned-bucket",
		"drift.regression " + orgTrail:                                                     "trail.log_file_validation passed in run 2",
	} {
		if !strings.Contains(drifted[key], want) {
			t.Errorf("drift %s: %q, want it to mention %q", key, drifted[key], want)
		}
	}
	found := false
	for _, tr := range res.Diff.NewFailures {
		found = found || tr.After.RuleID == "trail.log_file_validation" && tr.After.Resource == orgTrail && tr.Before.Status == findings.Pass
	}
	if !found {
		t.Errorf("new failures lack trail.log_file_validation on the organization trail: %+v", res.Diff.NewFailures)
	}
	if len(res.Diff.Vanished) == 0 {
		t.Error("the deleted trail's failures are not listed as no longer reported")
	}

	// One run given: it and the newest. As a pull-request comment.
	code, stdout, _ = runCLI(t, "diff", "1", "--store", storeURL, "--format", "markdown")
	if code != ExitOK {
		t.Fatalf("diff 1 --format markdown: exit %d", code)
	}
	for _, want := range []string{
		"### trailseal: what changed from run 1 to run 3\n",
		"#### New failures (", "#### Drift (3)\n", "| Severity | Rule | Resource | Region | Status | Message |\n|---|---|---|---|---|---|\n",
		"| high | `drift.trail_removed` | `trail/legacy-audit` | us-west-2 | FAIL | trail legacy-audit",
		"&lt;account or org ID&gt;", // no raw HTML from messages
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("markdown lacks %q:\n%s", want, stdout)
		}
	}
	// Every row has the cells of a header (6 or 7 columns): no message
	// breaks the table.
	for _, line := range strings.Split(stdout, "\n") {
		if n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|"); strings.HasPrefix(line, "| ") && n != 7 && n != 8 {
			t.Errorf("markdown row with %d separators: %s", n, line)
		}
	}

	// Backwards, as a table: a warning, and the same drift reversed.
	code, stdout, _ = runCLI(t, "diff", "3", "2", "--store", storeURL)
	if code != ExitOK || !strings.Contains(stdout, "warning: run 2 is older than run 3") || !strings.Contains(stdout, "FIXED (") {
		t.Errorf("diff 3 2: exit %d\n%s", code, stdout)
	}
}
