// Package cli implements trailseal's commands. Each command lives in its own
// file (cmd_scan.go, cmd_verify.go, ...) as a newXCommand constructor that
// parses flags and calls a plain runX function, which tests call directly.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// version is set at build time with -ldflags "-X .../internal/cli.version=v1.2.3".
var version = ""

// Version returns the program version.
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// globals are the streams and flags every command shares.
type globals struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	debug  bool
	quiet  bool   // --quiet: no progress, summaries or hints on stderr
	color  string // auto, always, never
	logger *slog.Logger
	// given says where each flag's value came from (settings.go).
	given *given
	// started is set once cobra has parsed the command line and a command
	// runs: an error before that is cobra's own, a usage error.
	started bool
}

// useColor decides whether w gets ANSI colour: never when NO_COLOR is set
// (https://no-color.org) or --color=never, always with --color=always,
// otherwise only on a terminal.
func (g *globals) useColor(w io.Writer) bool {
	switch g.color {
	case "always":
		return true
	case "never":
		return false
	}
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return false
	}
	return isTerminal(w)
}

// info prints a line for the person watching (a summary, a hint, where a
// file went) on stderr, unless --quiet. Errors and warnings are not info:
// they always print.
func (g *globals) info(format string, args ...any) {
	if g.quiet {
		return
	}
	if len(args) == 0 {
		fmt.Fprintln(g.stderr, format)
		return
	}
	fmt.Fprintf(g.stderr, format+"\n", args...)
}

// defaultWidth is the table width when the output is not a terminal (a
// pipe, a CI log): wide enough for the short columns, narrow enough to read.
const defaultWidth = 160

// terminalWidth returns the width to wrap tables to: the terminal's, else
// $COLUMNS, else defaultWidth.
func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if width, _, err := term.GetSize(int(f.Fd())); err == nil && width > 0 {
			return width
		}
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return defaultWidth
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

var rootLong = `trailseal proves that an AWS account's (or organization's) audit trail is
complete, protected and tamper-evident, and fixes it where it is not.

  scan     audit every CloudTrail trail and what it depends on (bucket, key,
           log group, alarms, IAM), with findings that say how to fix them;
           --org covers every account of an organization
  verify   check the signed digest chain of CloudTrail log files
  fix      plan, and with --apply make, the safe remediations scan found
  hunt     find in CloudTrail's records who weakened the trail, when and from
           where; detections lists what it looks for
  history  list the runs a scan with --store remembered; diff shows what
           changed between two of them
  rules    list the rule catalog; explain RULE-ID shows one rule in full
  demo     run a full scan of a built-in sample account (no credentials needed)
  completion
           print the shell completion script (bash, zsh, fish, powershell):
           it completes rule and detection IDs, formats, regions and
           compliance IDs

trailseal is read-only by default: only 'fix --apply' changes anything in
your account, after showing the plan and asking.

Exit codes of scan (every other command documents its own in its help, and
docs/exit-codes.md lists them all):
` + exitCodesHelp("scan")

func newRootCommand(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:           "trailseal",
		Short:         "Audit and verify AWS CloudTrail audit trails",
		Long:          rootLong,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version(),
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			g.started = true
			switch g.color {
			case "auto", "always", "never":
			default:
				return usageError("--color must be auto, always or never, not %q", g.color)
			}
			level := slog.LevelWarn
			if g.debug {
				level = slog.LevelDebug
			}
			g.logger = slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: level}))
			if g.quiet && g.debug {
				return usageError("--quiet and --debug exclude each other")
			}
			return g.applySettings(cmd)
		},
	}
	root.SetIn(g.stdin)
	root.SetOut(g.stdout)
	root.SetErr(g.stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError("%v (see '%s --help')", err, cmd.CommandPath())
	})
	root.PersistentFlags().BoolVar(&g.debug, "debug", false, "log every AWS API call and other details to stderr")
	root.PersistentFlags().StringVar(&g.color, "color", "auto", "colour output: auto (terminal only, honours NO_COLOR), always or never")
	root.PersistentFlags().BoolVarP(&g.quiet, "quiet", "q", false, "print only the report and errors: no progress, summaries or hints on stderr")
	// --version has no -v: -v is --verbose wherever it exists.
	root.Flags().Bool("version", false, "print the version")

	// Every command, one line each; each lives in its own cmd_*.go.
	root.AddCommand(
		newScanCommand(g),
		newVerifyCommand(g),
		newPullCommand(g),
		newKeysCommand(g),
		newFixCommand(g),
		newHuntCommand(g),
		newDetectionsCommand(g),
		newRulesCommand(g),
		newExplainCommand(g),
		newComplianceCommand(g),
		newDemoCommand(g),
		newHistoryCommand(g),
		newDiffCommand(g),
		newVersionCommand(g),
	)
	addCompletionCommand(root)
	registerCompletions(root)
	return root
}

// Main runs trailseal with args and returns the process exit code. Errors
// are printed as one line on stderr; there are no stack traces for user
// errors.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	setProcessLimits(args)
	return run(ctx, args, stdin, stdout, stderr)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr, color: "auto"}
	g.logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	root := newRootCommand(g)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil && !g.started && isCobraUsage(err) {
		err = usageError("%v (see 'trailseal --help')", err)
	}
	code := exitCode(err)
	if err != nil && !silent(err) {
		msg := strings.TrimSpace(err.Error())
		if code == ExitInterrupted {
			msg = "interrupted"
		}
		fmt.Fprintf(stderr, "trailseal: %s\n", strings.ReplaceAll(msg, "\n", " "))
	}
	return code
}

// isCobraUsage recognises the errors cobra returns for unknown commands and
// wrong argument counts, which are usage errors.
func isCobraUsage(err error) bool {
	var usage *usageErr
	if errors.As(err, &usage) {
		return false
	}
	msg := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "requires at most", "received ", "invalid argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func newVersionCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the trailseal version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintf(g.stdout, "trailseal %s\n", Version())
			return nil
		},
	}
}
