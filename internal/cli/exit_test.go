package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestExitCodesDoc keeps docs/exit-codes.md in step with exitTable.
func TestExitCodesDoc(t *testing.T) {
	want := []byte(exitCodesMarkdown())
	const path = "../../docs/exit-codes.md"
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("docs/exit-codes.md is out of date: run go test ./internal/cli -run TestExitCodesDoc -update")
	}
}

// TestExitTable holds the table to the code that decides: each row's error
// exits with the row's code, every outcome a command can return has a row,
// and the codes of a command are listed once each, in order.
func TestExitTable(t *testing.T) {
	documented := map[error]bool{}
	for _, ce := range exitTable {
		var codes []int
		for _, r := range ce.rows {
			if got := exitCode(r.err); got != r.code {
				t.Errorf("%v: exit code %d is documented as %q, but its error %v exits %d", ce.commands, r.code, r.meaning, r.err, got)
			}
			codes = append(codes, r.code)
			documented[r.err] = true
		}
		if !slices.IsSorted(codes) || len(slices.Compact(slices.Clone(codes))) != len(codes) || codes[0] != ExitOK {
			t.Errorf("%v: codes %v are not 0 first, each once, in order", ce.commands, codes)
		}
	}
	for _, o := range outcomes {
		if !documented[o] {
			t.Errorf("outcome %q exits %d but no command documents it", o, exitCode(o))
		}
	}
}

// TestExitCodes checks the decisions that are not one outcome: what wins
// when an error carries two, and that wrapping keeps the outcome.
func TestExitCodes(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, ExitOK},
		{"plain", fmt.Errorf("no usable AWS credentials"), ExitRuntime},
		{"usage", usageError("--format must be text or json"), ExitUsage},
		{"usage wrapping a file error", asUsage(os.ErrNotExist), ExitUsage},
		{"wrapped findings", fmt.Errorf("scan: %w", errFindings), ExitFindings},
		{"explained unreadable", explain(errUnreadable, fmt.Errorf("DescribeTrails: AccessDenied")), ExitUnverifiable},
		{"explained invalid", explain(errInvalid, fmt.Errorf("3 objects do not exist")), ExitRuntime},
		{"interrupted while unreadable", explain(errUnreadable, fmt.Errorf("verify: %w", context.Canceled)), ExitInterrupted},
	} {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("%s: exit %d, want %d", tt.name, got, tt.want)
		}
	}
	if !silent(errFindings) || silent(explain(errUnreadable, fmt.Errorf("x"))) || silent(fmt.Errorf("x")) {
		t.Error("only a bare outcome is silent")
	}
}

// TestExitTableCoversCommands: every command a user can run has its exit
// codes in the table, and the commands that print them in their help print
// the table's.
func TestExitTableCoversCommands(t *testing.T) {
	root := newRootCommand(&globals{})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if !c.Runnable() || c == root || c.Name() == "help" {
			return
		}
		path := strings.TrimPrefix(c.CommandPath(), "trailseal ")
		ce := exitsOf(path)
		if len(ce.rows) == 0 {
			t.Errorf("command %q has no exit codes in exitTable", path)
			return
		}
		if strings.Contains(c.Long, "Exit codes:") && !strings.Contains(c.Long, exitCodesHelp(path)) {
			t.Errorf("%q --help lists other exit codes than exitTable", path)
		}
	}
	walk(root)
	if !strings.Contains(root.Long, exitCodesHelp("scan")) {
		t.Error("the root help lists other exit codes for scan than exitTable")
	}
}
