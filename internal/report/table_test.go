package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/google/go-cmp/cmp"

	"github.com/trailseal/trailseal/internal/findings"
)

// tableFixture is a report with the demo account's longest messages and
// resources (a 580-character message, a log group ARN), a suppressed FAIL,
// an ERROR, a MANUAL, a non-ASCII dash and a PASS; it is a fixed file so
// that a rule's new wording does not change these goldens.
func tableFixture(t *testing.T) *findings.Report {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "table-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep findings.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	return &rep
}

// TestTableWidths renders the table at 80, 100 and 160 columns against a
// golden file each ('go test ./internal/report -run TestTableWidths -update'
// rewrites them), and checks that no line is wider than the terminal, in
// colour too. At 80 and 100 columns the boxed table does not fit, so each
// finding is a block with the message wrapped; at 160 it is the boxed table.
func TestTableWidths(t *testing.T) {
	for _, width := range []int{80, 100, 160} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			for _, color := range []bool{false, true} {
				var buf bytes.Buffer
				if err := writeTable(&buf, tableFixture(t), nil, Options{Width: width, Color: color}); err != nil {
					t.Fatal(err)
				}
				for i, line := range strings.Split(buf.String(), "\n") {
					if w := ansi.StringWidth(line); w > width {
						t.Errorf("color=%v: line %d is %d columns wide, more than %d: %q", color, i+1, w, width, line)
					}
				}
				if color {
					if !strings.Contains(buf.String(), "\x1b[") {
						t.Error("no colour in the coloured table")
					}
					continue
				}
				checkGolden(t, filepath.Join("testdata", "golden", fmt.Sprintf("table-%d.txt", width)), buf.Bytes())
			}
		})
	}
}

// TestTableNarrowKeepsEveryWord checks that the narrow layout loses no
// text: every word of every shown message, rule and resource is printed,
// and the PASS finding is not.
func TestTableNarrowKeepsEveryWord(t *testing.T) {
	rep := tableFixture(t)
	var buf bytes.Buffer
	if err := writeTable(&buf, rep, nil, Options{Width: 80}); err != nil {
		t.Fatal(err)
	}
	words := strings.Fields(buf.String())
	// A hard-broken word (an ARN longer than a line) is rejoined by
	// concatenating the whole output without spaces.
	joined := strings.Join(words, "")
	for _, f := range rep.Findings {
		shown := f.Status != findings.Pass && f.Status != findings.NA
		if !shown {
			if strings.Contains(joined, strings.Join(strings.Fields(f.Message), "")) {
				t.Errorf("%s finding %s shown without --verbose", f.Status, f.RuleID)
			}
			continue
		}
		for _, w := range append(strings.Fields(f.Message), f.RuleID, ShortResource(f.Resource)) {
			if !strings.Contains(joined, w) {
				t.Errorf("%s %s: %q missing from the narrow table", f.Status, f.RuleID, w)
			}
		}
	}
}

func TestWrapText(t *testing.T) {
	for _, c := range []struct {
		in    string
		width int
		want  []string
	}{
		{"", 10, []string{""}},
		{"a bb ccc", 4, []string{"a bb", "ccc"}},
		{"arn:aws:s3:::bucket-name", 10, []string{"arn:aws:s3", ":::bucket-", "name"}},
		{"x arn:aws:s3:::b y", 6, []string{"x", "arn:aw", "s:s3::", ":b y"}},
		{"dash — dash", 6, []string{"dash —", "dash"}},
	} {
		if diff := cmp.Diff(c.want, wrapText(c.in, c.width)); diff != "" {
			t.Errorf("wrapText(%q, %d) (-want +got):\n%s", c.in, c.width, diff)
		}
	}
}

// checkGolden compares got with the file at path, rewriting it first with
// -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run 'go test ./internal/report -update' to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("output differs from %s (-want +got):\n%s", path, diff)
	}
}
