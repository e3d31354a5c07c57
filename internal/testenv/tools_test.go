package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRequireNamesEachMissingToolAndOneCommand empties PATH and checks
// that the error names every tool, why the tests need it, and one command
// installing all of them; then puts a stand-in for each on PATH.
func TestRequireNamesEachMissingToolAndOneCommand(t *testing.T) {
	// The tools as they are, but looked for in empty directories only.
	empty := t.TempDir()
	var tools []Tool
	for _, tool := range SuiteTools {
		if tool.Dirs != nil {
			tool.Dirs = []string{empty}
		}
		tools = append(tools, tool)
	}
	t.Setenv("PATH", empty)
	err := Require(tools...)
	if err == nil {
		t.Fatal("Require passed with an empty PATH")
	}
	msg := err.Error()
	for _, tool := range tools {
		if !strings.Contains(msg, tool.Name+" is not on PATH") || !strings.Contains(msg, tool.Need) {
			t.Errorf("error does not name %s and its use:\n%s", tool.Name, msg)
		}
	}
	sudo := "sudo "
	if os.Geteuid() == 0 {
		sudo = ""
	}
	want := `pip install "moto[server]" awscli && ` + sudo + "apt-get install -y chromium postgresql"
	if !strings.Contains(msg, "install them with:\n  "+want+"\n") {
		t.Errorf("error does not give the one install command %q:\n%s", want, msg)
	}

	// Stand-ins: a Chromium under its Debian alternate name, initdb in a
	// versioned directory off PATH, and a python3 whose module probe fails.
	dir := t.TempDir()
	for name, script := range map[string]string{
		"moto_server":      "#!/bin/sh\nexit 0\n",
		"aws":              "#!/bin/sh\nexit 0\n",
		"chromium-browser": "#!/bin/sh\nexit 0\n",
		"python3":          "#!/bin/sh\necho 'ModuleNotFoundError: No module named botocore' >&2\nexit 1\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	pgbin := filepath.Join(dir, "postgresql", "15", "bin")
	if err := os.MkdirAll(pgbin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pgbin, "initdb"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range tools {
		if tools[i].Dirs != nil {
			tools[i].Dirs = []string{filepath.Join(dir, "postgresql", "*", "bin")}
		}
	}
	t.Setenv("PATH", dir)
	err = Require(tools...)
	if err == nil || !strings.Contains(err.Error(), "No module named botocore") || strings.Contains(err.Error(), "chromium is not on PATH") || strings.Contains(err.Error(), "initdb") {
		t.Fatalf("with every tool but botocore present: %v", err)
	}
	if !strings.Contains(err.Error(), "install them with:\n  pip install awscli\n") {
		t.Errorf("install command for botocore alone: %v", err)
	}
}
