package cli

import (
	"context"
	"errors"
	"fmt"
)

// Exit codes. They are documented in the root help, each command's help and
// docs/exit-codes.md; this is the only place that decides them.
const (
	// ExitOK: success; for scan, no FAIL at or above --fail-on; for verify,
	// everything valid.
	ExitOK = 0
	// ExitRuntime: a runtime error (no credentials, nothing collected). For
	// verify: something is invalid or missing.
	ExitRuntime = 1
	// ExitUsage: bad flags, arguments, config, snapshot or rule ID.
	ExitUsage = 2
	// ExitFindings: scan found FAIL findings at or above --fail-on.
	ExitFindings = 3
	// ExitGaps: verify found every file present valid, but the period has
	// gaps (validation or logging was off).
	ExitGaps = 3
	// ExitUnverifiable: verify could not read objects or keys.
	ExitUnverifiable = 4
	// ExitIncomplete: scan could not read some evidence (unsuppressed ERROR
	// findings) and found no FAIL at or above --fail-on, which wins.
	// --fail-on-error=false turns it off.
	ExitIncomplete = 4
	// ExitInterrupted: stopped by Ctrl-C (128 + SIGINT), as shells report it.
	ExitInterrupted = 130
)

// exitError carries an exit code with the error that caused it. A nil err
// means "exit with code, print nothing" (for example findings found).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError marks a bad input: exit 2.
func usageError(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// asUsage wraps err as a usage error, keeping its message.
func asUsage(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: ExitUsage, err: err}
}

// withCode exits with code; err may be nil for a silent exit.
func withCode(code int, err error) error { return &exitError{code: code, err: err} }

// exitCode maps an error returned by a command to the process exit code.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if errors.Is(err, context.Canceled) {
		return ExitInterrupted
	}
	return ExitRuntime
}

// exitCodesHelp is appended to the help of commands that follow the scan
// convention.
const exitCodesHelp = `  0  no FAIL finding at or above --fail-on, and all evidence read
  1  runtime error (no credentials, nothing could be collected, output not writable)
  2  usage error (bad flag, config file, snapshot, region or rule ID)
  3  FAIL findings at or above --fail-on (suppressed findings do not count)
  4  audit incomplete: some evidence could not be read (ERROR findings) and no
     FAIL at or above --fail-on; --fail-on-error=false exits 0 instead`
