package cli

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trailseal/trailseal/internal/config"
)

// commandFlag is one flag of one command.
type commandFlag struct {
	path string // "scan", "history prune"
	flag *pflag.Flag
}

// allFlags walks every command and returns its own flags by name (the
// root's persistent flags are defined once, so alike by construction).
func allFlags(root *cobra.Command) map[string][]commandFlag {
	out := map[string][]commandFlag{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		path := strings.TrimPrefix(c.CommandPath(), "trailseal ")
		c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
			out[f.Name] = append(out[f.Name], commandFlag{path, f})
		})
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	return out
}

// perCommand are the shared flags whose meaning depends on the command
// (what --concurrency counts, which formats exist): each must still say
// what the pattern says, in the same words.
var perCommand = map[string]*regexp.Regexp{
	"concurrency":        regexp.MustCompile(`^maximum \w[\w ]* at once, 1 to 1024`),
	"format":             regexp.MustCompile(`^output format: \w+(, \w+)+`),
	"regions":            regexp.MustCompile(`^comma-separated .*regions .*'all'`),
	"verbose":            regexp.MustCompile(`^(show|list) `),
	"start-time":         regexp.MustCompile(`at or after this time \(UTC; e\.g\. 2026-01-08T05:21:42Z`),
	"end-time":           regexp.MustCompile(`at or before this time \(UTC; default: `),
	"account":            regexp.MustCompile(`^only this account ID: `),
	"account-id":         regexp.MustCompile(`^(comma-separated )?accounts? (whose files )?to (verify|copy|read)`),
	"trail-arn":          regexp.MustCompile(`^ARN of the trail`),
	"no-context":         regexp.MustCompile(`hunt without an inventory`),
	"output":             regexp.MustCompile(`^` + regexp.QuoteMeta(outputUsage)),
	"min-retention-days": regexp.MustCompile(`^shortest acceptable retention of trail logs, in days`),
	"from-dir":           regexp.MustCompile(`'trailseal pull'`),
	"snapshot":           regexp.MustCompile(`saved inventory`),
	"save-snapshot":      regexp.MustCompile(`inventory to this file`),
	"store":              regexp.MustCompile(`sqlite:PATH or postgres://USER@HOST/DB`),
	"rules":              regexp.MustCompile(`^\w+ only these rule IDs \(comma-separated; 'trailseal rules' lists them\)$`),
	"exclude-rules":      regexp.MustCompile(`^\w+ every rule but these rule IDs \(comma-separated\)$`),
	"severity":           regexp.MustCompile(`^\w+ only findings of these severities \(comma-separated\): critical, high, medium, low, info$`),
}

// TestSharedFlagsAlike walks every command's flags: a flag name used by
// several commands has one shorthand, one type and the same help text
// (or, for the flags in perCommand, the same wording of what differs).
func TestSharedFlagsAlike(t *testing.T) {
	for name, uses := range allFlags(newRootCommand(&globals{})) {
		if len(uses) < 2 {
			continue
		}
		first := uses[0]
		for _, u := range uses {
			if u.flag.Shorthand != first.flag.Shorthand || u.flag.Value.Type() != first.flag.Value.Type() {
				t.Errorf("--%s: %s has -%s (%s), %s has -%s (%s)", name, first.path, first.flag.Shorthand, first.flag.Value.Type(),
					u.path, u.flag.Shorthand, u.flag.Value.Type())
			}
			if re, ok := perCommand[name]; ok {
				if !re.MatchString(u.flag.Usage) {
					t.Errorf("%s --%s: help %q does not say %q as the other commands do", u.path, name, u.flag.Usage, re)
				}
				continue
			}
			if u.flag.Usage != first.flag.Usage {
				t.Errorf("--%s is documented two ways:\n  %s: %s\n  %s: %s", name, first.path, first.flag.Usage, u.path, u.flag.Usage)
			}
		}
	}
}

// reportCommands write a report: each has -o/--output, the same one.
var reportCommands = []string{"scan", "verify", "verify merge", "fix", "hunt", "history", "diff", "keys export", "rules", "detections", "compliance list", "demo"}

// TestOneCLI checks the conventions every command shares.
func TestOneCLI(t *testing.T) {
	root := newRootCommand(&globals{})
	flags := allFlags(root)
	has := func(path, name string) *pflag.Flag {
		for _, u := range flags[name] {
			if u.path == path {
				return u.flag
			}
		}
		return nil
	}
	for _, path := range reportCommands {
		if f := has(path, "output"); f == nil || f.Shorthand != "o" || !strings.HasPrefix(f.Usage, outputUsage) {
			t.Errorf("%s writes a report but has no -o/--output like the others", path)
		}
	}
	// -v is --verbose wherever it exists, and never --version.
	for name, uses := range flags {
		for _, u := range uses {
			if (u.flag.Shorthand == "v") != (name == "verbose") {
				t.Errorf("%s: -%s is --%s; -v must mean --verbose", u.path, u.flag.Shorthand, name)
			}
		}
	}
	if v := root.Flags().Lookup("version"); v == nil || v.Shorthand != "" {
		t.Error("the root must have --version, without -v")
	}
	if q := root.PersistentFlags().Lookup("quiet"); q == nil || q.Shorthand != "q" {
		t.Error("--quiet/-q must be a flag of every command")
	}
	// Every --regions takes 'all', through parseRegions.
	for _, u := range flags["regions"] {
		if !strings.Contains(u.flag.Usage, "'all'") {
			t.Errorf("%s --regions does not say it takes 'all'", u.path)
		}
	}
	for _, in := range []string{"all", "ALL", " all "} {
		if got, err := parseRegions("--regions", in); got != nil || err != nil {
			t.Errorf("parseRegions(%q) = %v, %v; want every region", in, got, err)
		}
	}
	// The completion command is listed in the help.
	var listed bool
	for _, c := range root.Commands() {
		if c.Name() == "completion" && !c.Hidden {
			listed = true
		}
	}
	if !listed || !strings.Contains(root.Long, "completion") {
		t.Error("'completion' must be listed in trailseal --help")
	}
	// Each setting is a flag of each command it applies to, of its kind.
	for _, s := range settings {
		for _, path := range s.commands {
			f := has(path, s.name)
			if s.fileOnly || (path == "fix" && s.name == "log-archive-account") {
				if f != nil {
					t.Errorf("setting %s is documented as file-only but %s has --%s", s.name, path, s.name)
				}
				continue
			}
			if f == nil {
				t.Errorf("setting %s applies to %s, which has no --%s", s.name, path, s.name)
				continue
			}
			want := map[config.Kind][]string{config.Text: {"string"}, config.Number: {"int"}, config.Bool: {"bool"}, config.List: {"stringSlice", "stringArray", "string"}}[s.kind]
			if !slices.Contains(want, f.Value.Type()) {
				t.Errorf("setting %s is %v in the file but %s --%s is %s", s.name, s.kind, path, s.name, f.Value.Type())
			}
		}
		if has(s.commands[0], "config") == nil {
			t.Errorf("%s reads settings but has no --config", s.commands[0])
		}
	}
	for _, path := range []string{"fix", "verify"} {
		if has(path, "config") == nil {
			t.Errorf("%s has no --config", path)
		}
	}
}

// TestConcurrencyAlike: every --concurrency takes 1 to 1024 and refuses
// the rest with the same words (before: scan and fix stopped at 512, hunt
// took any positive number, and the messages differed).
func TestConcurrencyAlike(t *testing.T) {
	snap := sampleSnapshot(t)
	logFile := writeFile(t, "events.json", `{"Records": []}`)
	dir := t.TempDir()
	trail := []string{"--trail-arn", "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-audit", "--start-time", "2026-01-01T00:00:00Z", "--from-dir", dir}
	commands := map[string][]string{
		"scan":   {"scan", "--snapshot", snap},
		"fix":    {"fix"},
		"hunt":   {"hunt", "--no-context", logFile},
		"verify": append([]string{"verify"}, trail...),
		"pull":   {"pull", "--trail-arn", "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-audit", "--start-time", "2026-01-01T00:00:00Z", "--to", dir},
	}
	for _, u := range allFlags(newRootCommand(&globals{}))["concurrency"] {
		if _, ok := commands[u.path]; !ok {
			t.Errorf("%s has --concurrency: add it to this test", u.path)
		}
	}
	for name, args := range commands {
		for _, n := range []string{"0", "1025"} {
			a := append(slices.Clone(args), "--concurrency", n)
			assertUserError(t, ExitUsage, fmt.Sprintf("--concurrency must be between 1 and 1024, got %s", n), a...)
		}
		if name == "scan" {
			// 1000 is in range everywhere (scan stopped at 512).
			if code, _, stderr := runCLI(t, append(slices.Clone(args), "--concurrency", "1000")...); code == ExitUsage {
				t.Errorf("scan --concurrency 1000: %s", stderr)
			}
		}
	}
}

// TestPullHelpDescribesPull: pull's help, flags included, is about
// copying; before, its flags said "verify log files delivered ...".
func TestPullHelpDescribesPull(t *testing.T) {
	code, stdout, _ := runCLI(t, "pull", "--help")
	if code != ExitOK || !strings.HasPrefix(stdout, "Pull copies") {
		t.Fatalf("pull --help: exit %d\n%s", code, stdout)
	}
	if strings.Contains(stdout, "files to verify") || strings.Contains(stdout, "verify log files") {
		t.Errorf("pull --help describes verify:\n%s", stdout)
	}
}
