package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Tool is a program outside Go that some tests run. A missing tool fails
// those tests (never skips them); the check below makes the failure come
// first, in the package's first second, with the command that installs it.
type Tool struct {
	// Name is what the tests look up on PATH.
	Name string
	// Alternates are other names of the same program (distributions name
	// Chromium differently).
	Alternates []string
	// Dirs are directory globs searched after PATH (Debian keeps
	// PostgreSQL's server programs off PATH).
	Dirs []string
	// Need says what the tests use it for.
	Need string
	// Pip or Apt is the package that provides it (one of them).
	Pip, Apt string
	// Probe, when set, runs once the program is found, for a part of it
	// that PATH does not show (a Python module).
	Probe []string
}

// The tools the test suite runs.
var (
	MotoServer = Tool{Name: "moto_server", Pip: `"moto[server]"`,
		Need: "the AWS emulator the collector, orgscan, verify, fix, CLI and report tests run against"}
	AWSCLI = Tool{Name: "aws", Pip: "awscli",
		Need: "the AWS CLI, the independent client the verify and fix tests compare against"}
	Botocore = Tool{Name: "python3", Pip: "awscli", Probe: []string{"-c", "import botocore"},
		Need: "python3 with botocore (the AWS CLI's SigV4 code), which verify's signing test checks against"}
	Chromium = Tool{Name: "chromium", Alternates: []string{"chromium-browser", "google-chrome"}, Apt: "chromium",
		Need: "headless Chromium, in which the HTML report tests render and click the report"}
	PostgreSQL = Tool{Name: "initdb", Dirs: pgBinDirs, Apt: "postgresql",
		Need: "PostgreSQL's server programs, with which the history store tests create a throwaway cluster"}
)

// SuiteTools is every tool that 'go test ./...' needs.
var SuiteTools = []Tool{MotoServer, AWSCLI, Botocore, Chromium, PostgreSQL}

// Path returns where the tool is, or an error saying that it is missing.
func (t Tool) Path() (string, error) {
	for _, name := range append([]string{t.Name}, t.Alternates...) {
		path, err := exec.LookPath(name)
		if err != nil {
			path = t.inDirs(name)
		}
		if path == "" {
			continue
		}
		if len(t.Probe) > 0 {
			if out, err := exec.Command(path, t.Probe...).CombinedOutput(); err != nil {
				return "", fmt.Errorf("%s: %s fails: %s", t.Name, strings.Join(t.Probe, " "), lastLine(out, err))
			}
		}
		return path, nil
	}
	if len(t.Dirs) > 0 {
		return "", fmt.Errorf("%s is not on PATH nor in %s", t.Name, strings.Join(t.Dirs, ", "))
	}
	return "", fmt.Errorf("%s is not on PATH", t.Name)
}

// inDirs returns the program in the first of t.Dirs that holds it, or "".
func (t Tool) inDirs(name string) string {
	for _, pattern := range t.Dirs {
		matches, _ := filepath.Glob(filepath.Join(pattern, name))
		for _, m := range matches {
			if info, err := os.Stat(m); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
				return m
			}
		}
	}
	return ""
}

// Require checks that every tool is installed. Its error names each missing
// tool, what the tests need it for, and one shell command that installs
// them all.
func Require(tools ...Tool) error {
	var missing []Tool
	var lines []string
	for _, t := range tools {
		if _, err := t.Path(); err != nil {
			missing = append(missing, t)
			lines = append(lines, fmt.Sprintf("  %v: %s", err, t.Need))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return errors.New("missing test tools:\n" + strings.Join(lines, "\n") +
		"\ninstall them with:\n  " + InstallCommand(missing...) + "\n(or run .ci/run, which installs them and runs the tests)")
}

// InstallCommand is one shell command that installs the tools: pip for the
// Python ones, apt-get for the rest, with sudo unless running as root.
func InstallCommand(tools ...Tool) string {
	var pip, apt []string
	for _, t := range tools {
		switch {
		case t.Pip != "" && !slices.Contains(pip, t.Pip):
			pip = append(pip, t.Pip)
		case t.Apt != "" && !slices.Contains(apt, t.Apt):
			apt = append(apt, t.Apt)
		}
	}
	var cmds []string
	if len(pip) > 0 {
		cmds = append(cmds, "pip install "+strings.Join(pip, " "))
	}
	if len(apt) > 0 {
		sudo := "sudo "
		if os.Geteuid() == 0 {
			sudo = ""
		}
		cmds = append(cmds, sudo+"apt-get install -y "+strings.Join(apt, " "))
	}
	return strings.Join(cmds, " && ")
}

// RequireOrExit is for a TestMain: when a tool is missing it prints what to
// install and exits 1 before any test runs, so that the run fails in its
// first second instead of after the tests that need no tool.
func RequireOrExit(pkg string, tools ...Tool) {
	if err := Require(tools...); err != nil {
		fmt.Fprintf(os.Stderr, "%s tests: %v\n", pkg, err)
		os.Exit(1)
	}
}

func lastLine(out []byte, err error) string {
	s := strings.TrimSpace(string(out))
	if s == "" {
		return err.Error()
	}
	lines := strings.Split(s, "\n")
	return lines[len(lines)-1]
}
