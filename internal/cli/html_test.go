package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScanHTML: the HTML report written with -o carries the fix command of
// fixable rules, and a compliance view renders as HTML too.
func TestScanHTML(t *testing.T) {
	snap := sampleSnapshot(t)
	out := filepath.Join(t.TempDir(), "report.html")
	if code, _, stderr := runCLI(t, "scan", "--snapshot", snap, "--format", "html", "-o", out); code != ExitFindings {
		t.Fatalf("scan --format html: exit %d: %s", code, stderr)
	}
	doc, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), `<code class="fixcmd">trailseal fix --rules bucket.versioning</code>`) {
		t.Error("the HTML report written with -o lacks the fix command of bucket.versioning")
	}

	code, stdout, stderr := runCLI(t, "scan", "--snapshot", snap, "--compliance", "cis-5.0", "--format", "html")
	if code != ExitFindings || !strings.Contains(stdout, `<table class="controls" data-framework="cis-5.0">`) {
		t.Fatalf("compliance view as HTML: exit %d\n%.300s\n%s", code, stdout, stderr)
	}
	assertUserError(t, ExitUsage, "use --format table, json or html", "scan", "--snapshot", snap, "--compliance", "cis-5.0", "--format", "sarif")
}
