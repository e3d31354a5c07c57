package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var keys = []Key{
	{"regions", List}, {"min-retention-days", Number}, {"log-archive-account", Text},
	{"fail-on", Text}, {"fail-on-error", Bool}, {"concurrency", Number}, {"store", Text},
}

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "trailseal.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad(t *testing.T) {
	p := write(t, `# settings
regions: [us-east-1, eu-west-1]
min-retention-days: 400
log-archive-account: 222233334444   # unquoted: still its digits
fail-on: high
fail-on-error: false
concurrency: !!int 8
store:
`)
	f, err := Load(p, keys)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Value{
		"regions":             {Key: "regions", Kind: List, List: []string{"us-east-1", "eu-west-1"}, Line: 2},
		"min-retention-days":  {Key: "min-retention-days", Kind: Number, Number: 400, Text: "400", Line: 3},
		"log-archive-account": {Key: "log-archive-account", Kind: Text, Text: "222233334444", Line: 4},
		"fail-on":             {Key: "fail-on", Kind: Text, Text: "high", Line: 5},
		"fail-on-error":       {Key: "fail-on-error", Kind: Bool, Text: "false", Line: 6},
		"concurrency":         {Key: "concurrency", Kind: Number, Number: 8, Text: "8", Line: 7},
	}
	if diff := cmp.Diff(want, f.values); diff != "" {
		t.Fatalf("values (-want +got):\n%s", diff)
	}
	if _, ok := f.Get("store"); ok {
		t.Error("a key without a value is not set")
	}
	if v, _ := f.Get("regions"); v.String() != "us-east-1,eu-west-1" {
		t.Errorf("a list as a flag takes it: %q", v.String())
	}
	f, err = Load(write(t, "regions: us-east-1, eu-west-1\n"), keys)
	if v, _ := f.Get("regions"); err != nil || v.String() != "us-east-1,eu-west-1" {
		t.Errorf("a comma-separated scalar is a list, as on the command line: %v %v", v, err)
	}
	for _, empty := range []string{"", "# nothing yet\n", "---\n"} {
		if _, err := Load(write(t, empty), keys); err != nil {
			t.Errorf("%q: %v", empty, err)
		}
	}
}

// Every error names the file, the line and the key, and the type expected
// in words; none names a Go type (before, "cannot unmarshal string into Go
// struct field File.MinRetentionDays of type int").
func TestLoadErrors(t *testing.T) {
	for name, tc := range map[string]struct{ body, want string }{
		"unknown key":   {"min-retension-days: 3\n", `line 1: unknown key "min-retension-days" (did you mean min-retention-days?)`},
		"text number":   {"min-retention-days: lots\n", `line 1: min-retention-days must be a whole number, not text "lots"`},
		"fraction":      {"concurrency: 1.5\n", "line 1: concurrency must be a whole number, not the number 1.5"},
		"huge":          {"concurrency: 99999999999999999999\n", "concurrency: 99999999999999999999 is too large"},
		"quoted number": {"concurrency: \"8\"\n", `concurrency must be a whole number, not text "8"`},
		"bool":          {"fail-on-error: maybe\n", `fail-on-error must be true or false, not text "maybe"`},
		"list for text": {"fail-on: [high]\n", "line 1: fail-on must be text, not a list"},
		"map for list":  {"regions: {a: b}\n", "regions must be a list of text, not a mapping"},
		"nested item":   {"regions:\n  - us-east-1\n  - [x]\n", "line 3: regions[1] must be text, not a list"},
		"duplicate":     {"fail-on: high\nfail-on: low\n", `line 2: mapping key "fail-on" already defined`},
		"not a mapping": {"- a\n- b\n", "the file must be a mapping of settings"},
		"syntax":        {"regions: [us-east-1\n", "config "},
		"two documents": {"fail-on: high\n---\nfail-on: low\n", "more than one YAML document"},
	} {
		t.Run(name, func(t *testing.T) {
			p := write(t, tc.body)
			_, err := Load(p, keys)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "config "+p+": ") {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error must be one line: %q", err)
			}
			for _, goName := range []string{"Go ", "int", "string", "interface", "unmarshal"} {
				if strings.Contains(err.Error(), goName) {
					t.Fatalf("error names a Go type (%q): %q", goName, err)
				}
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml"), keys); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("missing file error = %v", err)
	}
	if _, err := Load(t.TempDir(), keys); err == nil || !strings.Contains(err.Error(), "is a folder") {
		t.Fatalf("folder error = %v", err)
	}
}
