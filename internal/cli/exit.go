package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Exit codes. exitCode is the only place that decides them, from the error
// a command returns; exitTable documents them for every command and is
// where the help texts and docs/exit-codes.md come from.
const (
	// ExitOK: success; for scan, no FAIL at or above --fail-on; for verify,
	// everything valid.
	ExitOK = 0
	// ExitRuntime: a runtime error (no credentials, nothing collected). For
	// verify and pull: something is invalid or missing.
	ExitRuntime = 1
	// ExitUsage: bad flags, arguments, config, snapshot or rule ID.
	ExitUsage = 2
	// ExitFindings: the command found what it looks for: scan's FAIL
	// findings, fix's pending changes, verify's gaps, hunt's detections.
	ExitFindings = 3
	// ExitGaps: verify found every file present valid, but the period has
	// gaps (validation or logging was off).
	ExitGaps = ExitFindings
	// ExitUnverifiable: evidence could not be read: objects or keys for
	// verify and pull, AWS calls for scan, a source for hunt.
	ExitUnverifiable = 4
	// ExitIncomplete: scan could not read some evidence (unsuppressed ERROR
	// findings) and found no FAIL at or above --fail-on, which wins.
	// --fail-on-error=false turns it off.
	ExitIncomplete = ExitUnverifiable
	// ExitInterrupted: stopped by Ctrl-C (128 + SIGINT), as shells report it.
	ExitInterrupted = 130
)

// ExitFixPending: 'fix' without --apply found changes to make.
const ExitFixPending = ExitFindings

// Outcomes. A command whose run worked returns one of these when its
// verdict is not "all good": bare when its report already says everything
// (nothing more is printed), or through explain when an error says why.
var (
	// errFindings: scan found an unsuppressed FAIL at or above --fail-on.
	errFindings = errors.New("FAIL findings at or above --fail-on")
	// errPlanPending: fix without --apply planned changes.
	errPlanPending = errors.New("the plan has changes")
	// errGaps: every file verify found is valid, but the period has gaps.
	errGaps = errors.New("the period has gaps")
	// errDetections: hunt found what it hunts for.
	errDetections = errors.New("detections found")
	// errInvalid: verify or pull found files modified, missing or outside
	// the chain.
	errInvalid = errors.New("files are modified or missing")
	// errUnreadable: evidence could not be read (scan's ERROR findings,
	// verify's and pull's unreadable objects or keys, hunt's sources).
	errUnreadable = errors.New("evidence could not be read")
)

// outcomes lists every outcome, for run (a bare one prints nothing) and for
// the test that holds exitTable to exitCode.
var outcomes = []error{errFindings, errPlanPending, errGaps, errDetections, errInvalid, errUnreadable}

// exitCode maps the error a command returned to the process exit code.
func exitCode(err error) int {
	var usage *usageErr
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &usage):
		return ExitUsage
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.Is(err, errInvalid):
		return ExitRuntime
	case errors.Is(err, errFindings), errors.Is(err, errPlanPending), errors.Is(err, errGaps), errors.Is(err, errDetections):
		return ExitFindings
	case errors.Is(err, errUnreadable):
		return ExitUnverifiable
	}
	return ExitRuntime
}

// usageErr is a bad input: a flag, argument or file the user gave.
type usageErr struct{ err error }

func (e *usageErr) Error() string { return e.err.Error() }
func (e *usageErr) Unwrap() error { return e.err }

// usageError builds a usage error from a message.
func usageError(format string, args ...any) error {
	return &usageErr{fmt.Errorf(format, args...)}
}

// asUsage marks err, an input the user gave that cannot be used (a config,
// snapshot, suppressions or journal file), as a usage error.
func asUsage(err error) error {
	if err == nil {
		return nil
	}
	return &usageErr{err}
}

// explained is an outcome with the error that explains it: it prints as
// err and exits as outcome.
type explained struct{ outcome, err error }

func (e *explained) Error() string   { return e.err.Error() }
func (e *explained) Unwrap() []error { return []error{e.err, e.outcome} }

// explain joins err to outcome.
func explain(outcome, err error) error { return &explained{outcome: outcome, err: err} }

// silent reports whether err is a bare outcome, which prints nothing: the
// command's report already said it.
func silent(err error) bool { return slices.Contains(outcomes, err) }

// exitRow is one exit code of a command: what it means and an error that
// yields it.
type exitRow struct {
	code    int
	meaning string // may span lines; continuation lines start with spaces
	err     error  // nil for 0
}

// commandExits are the exit codes of one or more commands.
type commandExits struct {
	commands []string // command paths without "trailseal"
	rows     []exitRow
	order    string // which code wins when several apply
}

var (
	anyRuntime  = errors.New("a runtime error")
	anyUsage    = usageError("a usage error")
	interrupted = exitRow{ExitInterrupted, "interrupted (Ctrl-C)", context.Canceled}
)

// exitTable is every command's exit codes.
var exitTable = []commandExits{
	{commands: []string{"scan"}, rows: []exitRow{
		{ExitOK, "no FAIL finding at or above --fail-on, and all evidence read", nil},
		{ExitRuntime, "runtime error (no credentials, nothing could be collected, an output could not\n     be written after the run; with --store, the store cannot be reached or the\n     run not written)", anyRuntime},
		{ExitUsage, "usage error (bad flag, setting, settings file, snapshot, region, rule ID,\n     store URL, or an output path that cannot be written, found before any AWS call)", anyUsage},
		{ExitFindings, "FAIL findings at or above --fail-on (suppressed findings do not count)", errFindings},
		{ExitUnverifiable, "audit incomplete: some evidence could not be read (ERROR findings) and no\n     FAIL at or above --fail-on; --fail-on-error=false exits 0 instead", errUnreadable},
		interrupted,
	}, order: "3 wins over 4"},
	{commands: []string{"verify"}, rows: []exitRow{
		{ExitOK, "every digest and log file in the period is valid", nil},
		{ExitRuntime, "something is invalid, missing or unreferenced (tampering or deletion),\n     or a runtime error", errInvalid},
		{ExitUsage, "usage error (bad flag, setting, time, ARN, key file, or an output or state path)", anyUsage},
		{ExitFindings, "gaps: every file present is valid, but no digest covers part of the\n     period (LOG_NOT_COVERED files listed); with --hunt, also detections", errGaps},
		{ExitUnverifiable, "could not verify: objects, keys or the expected regions could not be\n     read, or a region needs a person's check (MANUAL); nothing invalid;\n     or the --state could not be saved; with --hunt, also a log file or\n     record the hunt could not read", errUnreadable},
		interrupted,
	}, order: "1 wins over 4 and 3; 4 wins over 3 (3 only when nothing is unreadable)"},
	{commands: []string{"verify merge"}, rows: []exitRow{
		{ExitOK, "every digest and log file of every shard is valid", nil},
		{ExitRuntime, "something is invalid, missing or unreferenced in some shard", errInvalid},
		{ExitUsage, "usage error: a report unreadable or not of the same run, a shard\n     missing or given twice, an output path that cannot be written", anyUsage},
		{ExitFindings, "gaps only (or, for shards run with --hunt, detections)", errGaps},
		{ExitUnverifiable, "something could not be verified (or hunted), and nothing is invalid", errUnreadable},
	}, order: "as verify: 1 wins over 4 and 3; 4 wins over 3"},
	{commands: []string{"fix"}, rows: []exitRow{
		{ExitOK, "nothing to fix, every change applied, every undoable change reverted,\n     or --emit written", nil},
		{ExitRuntime, "runtime error, or a partial failure: some change failed or was not\n     attempted because a change it depends on failed (the journal and the\n     report say exactly which); with --undo, a change was refused because\n     its resource changed after fix changed it (--force reverts it anyway)", anyRuntime},
		{ExitUsage, "usage error (bad flag, setting, settings file, rule ID, journal, output or\n     journal path; no terminal to confirm on without --yes)", anyUsage},
		{ExitFindings, "without --apply: the plan has changes", errPlanPending},
		{ExitUnverifiable, "some rule fix acts on could not be judged (ERROR: its evidence could\n     not be read), so the plan may lack changes; otherwise as 0", errUnreadable},
		{ExitInterrupted, "interrupted (Ctrl-C, SIGTERM): the call in flight was finished or\n     read back, and the journal says what was changed", context.Canceled},
	}, order: "1 wins over 3 and 4; 3 wins over 4"},
	{commands: []string{"pull"}, rows: []exitRow{
		{ExitOK, "everything was copied", nil},
		{ExitRuntime, "some objects a digest names do not exist (the copy is still evidence:\n     verify the copy to see what is missing), or a runtime error", errInvalid},
		{ExitUsage, "usage error (bad flag, time, ARN, or a --to folder that cannot be written)", anyUsage},
		{ExitUnverifiable, "some objects could not be read", errUnreadable},
		interrupted,
	}, order: "4 wins over 1"},
	{commands: []string{"keys export"}, rows: []exitRow{
		{ExitOK, "keys written", nil},
		{ExitRuntime, "CloudTrail could not be reached or refused the credentials, ListPublicKeys failed or returned no key, or the output could not be written", anyRuntime},
		{ExitUsage, "usage error (bad flag, time, region or output path)", anyUsage},
		interrupted,
	}},
	{commands: []string{"history", "history prune", "diff"}, rows: []exitRow{
		{ExitOK, "success (a diff exits 0 whatever changed)", nil},
		{ExitRuntime, "runtime error: the store cannot be reached or read", anyRuntime},
		{ExitUsage, "usage error: bad flag, setting or argument, unknown run, no store at the given\n     path, an output path that cannot be written", anyUsage},
		interrupted,
	}},
	{commands: []string{"hunt"}, rows: []exitRow{
		{ExitOK, "nothing found", nil},
		{ExitRuntime, "runtime error (no credentials, the output could not be written)", anyRuntime},
		{ExitUsage, "usage error (bad flag, setting, time, region, snapshot, file list or output\n     path)", anyUsage},
		{ExitFindings, "detections found", errDetections},
		{ExitUnverifiable, "a source could not be read (a file, a folder of the trail's bucket, a\n     region's event history, a request that cannot be interpreted)", errUnreadable},
		interrupted,
	}, order: "3 wins over 4"},
	{commands: []string{"rules", "explain", "detections", "compliance", "compliance list", "demo", "version"}, rows: []exitRow{
		{ExitOK, "done (demo: it ran, whatever it found)", nil},
		{ExitRuntime, "runtime error (the output could not be written)", anyRuntime},
		{ExitUsage, "usage error (bad flag, format, rule or detection ID, output path)", anyUsage},
	}},
	{commands: []string{"completion", "completion bash", "completion zsh", "completion fish", "completion powershell"}, rows: []exitRow{
		{ExitOK, "the script was printed", nil},
		{ExitRuntime, "runtime error (the script could not be written)", anyRuntime},
		{ExitUsage, "usage error (bad flag or argument)", anyUsage},
	}},
}

// exitsOf returns the exit codes of a command (none for a command missing
// from the table, which TestExitTableCoversCommands rules out).
func exitsOf(command string) commandExits {
	for _, ce := range exitTable {
		if slices.Contains(ce.commands, command) {
			return ce
		}
	}
	return commandExits{}
}

// exitCodesHelp is a command's exit codes as its help prints them.
func exitCodesHelp(command string) string {
	ce := exitsOf(command)
	var b strings.Builder
	for i, r := range ce.rows {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "  %-2d %s", r.code, r.meaning)
	}
	if ce.order != "" {
		fmt.Fprintf(&b, "\n  When several apply: %s.", ce.order)
	}
	return b.String()
}

// exitCodesMarkdown renders exitTable as docs/exit-codes.md.
func exitCodesMarkdown() string {
	var b strings.Builder
	b.WriteString(exitDocIntro)
	for _, ce := range exitTable {
		names := make([]string, len(ce.commands))
		for i, c := range ce.commands {
			names[i] = "`trailseal " + c + "`"
		}
		fmt.Fprintf(&b, "\n## %s\n\n", strings.Join(names, ", "))
		b.WriteString("| code | meaning |\n|---|---|\n")
		for _, r := range ce.rows {
			fmt.Fprintf(&b, "| %d | %s |\n", r.code, strings.Join(strings.Fields(r.meaning), " "))
		}
		if ce.order != "" {
			fmt.Fprintf(&b, "\nWhen several apply: %s.\n", ce.order)
		}
	}
	return b.String()
}

const exitDocIntro = `# Exit codes

Generated from the table in ` + "`internal/cli/exit.go`" + `, which also decides the codes
and writes each command's help; a test fails when this file and the table differ
(regenerate with ` + "`go test ./internal/cli -run TestExitCodesDoc -update`" + `).

Every command gives a code the same meaning:

- **0**: done, and nothing to report.
- **1**: a runtime error; for verify and pull also "something is invalid or missing".
- **2**: a usage error: a bad flag, argument, input file or AWS profile.
- **3**: the command found what it looks for (FAIL findings, pending changes, gaps, detections).
- **4**: evidence could not be read, so the answer is incomplete.
- **130**: interrupted (Ctrl-C or SIGTERM).

Errors print one line on stderr, ` + "`trailseal: ...`" + `; a run that exits 3 or 4 because of
what it found prints its report and nothing more.
`
