package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trailseal/trailseal/internal/config"
)

// A setting is a value a user may give three ways. The first found wins:
//
//  1. the flag on the command line (--regions us-east-1)
//  2. the environment variable TRAILSEAL_<NAME> (TRAILSEAL_REGIONS=us-east-1)
//  3. the key in the settings file (regions: [us-east-1]): --config FILE,
//     else $TRAILSEAL_CONFIG, else trailseal.yaml in the working folder
//
// and otherwise the flag's default. Only the settings below come from the
// environment or the file; flags that change an account (--apply, --yes)
// or name one run's files (--output, --journal) never do.
type setting struct {
	name     string // the flag's name and the file's key
	kind     config.Kind
	commands []string // the command paths it applies to
	// fileOnly settings have no flag and no variable.
	fileOnly bool
	help     string // for docs/scan.md
}

var (
	scanFix     = []string{"scan", "fix"}
	storeReader = []string{"scan", "history", "history prune", "diff"}
)

// settings is every setting, in the order docs/scan.md lists them.
var settings = []setting{
	{name: "regions", kind: config.List, commands: []string{"scan", "fix", "hunt"}, help: "regions to read, or all"},
	{name: "concurrency", kind: config.Number, commands: scanFix, help: "maximum AWS API calls at once"},
	{name: "fail-on", kind: config.Text, commands: []string{"scan"}, help: "lowest severity of a FAIL that exits 3"},
	{name: "fail-on-error", kind: config.Bool, commands: []string{"scan"}, help: "whether ERROR findings exit 4"},
	{name: "rules", kind: config.List, commands: scanFix, help: "only these rule IDs"},
	{name: "exclude-rules", kind: config.List, commands: scanFix, help: "not these rule IDs"},
	{name: "severity", kind: config.List, commands: scanFix, help: "only findings of these severities"},
	{name: "status", kind: config.List, commands: []string{"scan"}, help: "show only findings of these statuses"},
	{name: "min-retention-days", kind: config.Number, commands: []string{"scan", "fix", "hunt"}, help: "shortest acceptable retention of trail logs"},
	{name: "log-archive-account", kind: config.Text, commands: scanFix, help: "account ID of the log archive account (fix: file and variable only)"},
	{name: "suppressions", kind: config.Text, commands: []string{"scan"}, help: "suppressions file"},
	{name: "store", kind: config.Text, commands: storeReader, help: "history store URL (scan: remember every run)"},
	{name: "public-keys", kind: config.List, commands: []string{"verify"}, help: "public key files for offline verification"},
	{name: "full-access-allow-list", kind: config.List, commands: scanFix, fileOnly: true, help: "principal ARNs that may hold AWSCloudTrail_FullAccess"},
	{name: "full-access-limit", kind: config.Number, commands: scanFix, fileOnly: true, help: "how many principals may hold AWSCloudTrail_FullAccess"},
}

// configFileName is the settings file read from the working folder when
// neither --config nor TRAILSEAL_CONFIG names one.
const configFileName = "trailseal.yaml"

const configFlagUsage = "read settings from this YAML file (default: " + configFileName +
	" in the working folder, when there is one; --config= reads none); flags and TRAILSEAL_* variables override it"

// addConfigFlag adds --config to a command that has settings.
func addConfigFlag(f *pflag.FlagSet, p *string) {
	f.StringVar(p, "config", "", configFlagUsage)
}

// envName is a setting's environment variable.
func envName(name string) string {
	return "TRAILSEAL_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

func configKeys() []config.Key {
	keys := make([]config.Key, len(settings))
	for i, s := range settings {
		keys[i] = config.Key{Name: s.name, Kind: s.kind}
	}
	return keys
}

// given says where each flag's value came from.
type given struct {
	// cli: given on the command line.
	cli map[string]bool
	// origin names the source of a value from the environment or the
	// file, for errors: "TRAILSEAL_REGIONS", "config trailseal.yaml:3: regions".
	origin map[string]string
	// file is the settings file read, if any.
	file *config.File
	// env holds the settings' variables as read.
	env map[string]string
}

// ref is how an error names flag name: by the variable or the file's key
// and line when the value came from there, else as the flag (which the
// user gave, or whose default is wrong with what the user gave).
func (g *globals) ref(name string) string {
	if g.given != nil {
		if o, ok := g.given.origin[name]; ok {
			return o
		}
	}
	return "--" + name
}

// setting returns a setting's value from the environment or the file,
// whatever the command line says, and how to name its source: for a
// setting with no flag on this command, or for a flag given without its
// value (a bare --store).
func (g *globals) setting(name string) (value, ref string, ok bool) {
	if g.given == nil {
		return "", "", false
	}
	if v, ok := g.given.env[name]; ok {
		return v, envName(name), true
	}
	if v, ok := g.given.file.Get(name); ok {
		return v.String(), fileRef(g.given.file, v), true
	}
	return "", "", false
}

func fileRef(f *config.File, v config.Value) string {
	return fmt.Sprintf("config %s:%d: %s", f.Path, v.Line, v.Key)
}

// fileSetting returns a setting of the file only, and how to name it.
func (g *globals) fileSetting(name string) (config.Value, string, bool) {
	if g.given == nil {
		return config.Value{}, "", false
	}
	v, ok := g.given.file.Get(name)
	if !ok {
		return v, "", false
	}
	return v, fileRef(g.given.file, v), true
}

// applySettings fills the flags of cmd that the command line left unset
// from the environment, then from the settings file. It runs before the
// command: a bad value is a usage error that names where it came from.
func (g *globals) applySettings(cmd *cobra.Command) error {
	path := strings.TrimPrefix(cmd.CommandPath(), "trailseal ")
	var mine []setting
	for _, s := range settings {
		if slices.Contains(s.commands, path) {
			mine = append(mine, s)
		}
	}
	if len(mine) == 0 {
		return nil
	}
	gv := &given{cli: map[string]bool{}, origin: map[string]string{}, env: map[string]string{}}
	g.given = gv
	cmd.Flags().Visit(func(f *pflag.Flag) { gv.cli[f.Name] = true })
	var err error
	if gv.file, err = loadSettingsFile(cmd); err != nil {
		return err
	}
	for _, s := range mine {
		if v, ok := os.LookupEnv(envName(s.name)); ok && !s.fileOnly && strings.TrimSpace(v) != "" {
			gv.env[s.name] = v
		}
		fl := cmd.Flags().Lookup(s.name)
		if s.fileOnly || fl == nil || gv.cli[s.name] {
			continue
		}
		if v, ok := gv.env[s.name]; ok {
			if err := setFlag(fl, s.kind, splitList(v)); err != nil {
				return usageError("%s: %v", envName(s.name), err)
			}
			gv.origin[s.name] = envName(s.name)
			continue
		}
		if v, ok := gv.file.Get(s.name); ok {
			list := v.List
			if v.Kind != config.List {
				list = []string{v.Text}
			}
			if err := setFlag(fl, s.kind, list); err != nil {
				return usageError("%s: %v", fileRef(gv.file, v), err)
			}
			gv.origin[s.name] = fileRef(gv.file, v)
		}
	}
	return nil
}

// setFlag sets a flag as if given, without marking it given on the
// command line.
func setFlag(fl *pflag.Flag, kind config.Kind, values []string) error {
	if sv, ok := fl.Value.(pflag.SliceValue); ok {
		return sv.Replace(values)
	}
	err := fl.Value.Set(strings.Join(values, ","))
	if err != nil && kind == config.Number {
		return fmt.Errorf("%q is not a whole number", strings.Join(values, ","))
	}
	if err != nil && kind == config.Bool {
		return fmt.Errorf("%q is not true or false", strings.Join(values, ","))
	}
	return err
}

func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// loadSettingsFile reads the settings file --config names, else
// $TRAILSEAL_CONFIG, else trailseal.yaml in the working folder if there is
// one; --config= (empty) reads none.
func loadSettingsFile(cmd *cobra.Command) (*config.File, error) {
	path, named := "", ""
	if fl := cmd.Flags().Lookup("config"); fl != nil && fl.Changed {
		path, named = fl.Value.String(), "--config"
		if path == "" {
			return nil, nil
		}
	} else if v := os.Getenv("TRAILSEAL_CONFIG"); v != "" {
		path, named = v, "TRAILSEAL_CONFIG"
	} else {
		fi, err := os.Stat(configFileName)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err == nil && fi.IsDir() {
			return nil, nil
		}
		path = configFileName
	}
	f, err := config.Load(path, configKeys())
	if err != nil {
		if named != "" && errors.Is(err, fs.ErrNotExist) {
			return nil, usageError("%s: %v", named, err)
		}
		return nil, asUsage(err)
	}
	return f, nil
}

// settingsMarkdown is the Settings section of docs/scan.md, between its
// markers.
func settingsMarkdown() string {
	var b strings.Builder
	b.WriteString(`A setting's value comes from the first of:

1. the flag on the command line: ` + "`--regions us-east-1`" + `
2. the environment variable ` + "`TRAILSEAL_<FLAG>`" + `: ` + "`TRAILSEAL_REGIONS=us-east-1`" + ` (lists comma-separated; empty counts as unset)
3. the key in the settings file: ` + "`regions: [us-east-1]`" + `. The file is ` + "`--config FILE`" + `, else
   ` + "`$TRAILSEAL_CONFIG`" + `, else ` + "`" + configFileName + "`" + ` in the working folder when there is one;
   ` + "`--config=`" + ` reads none
4. the flag's default.

A wrong value from the environment or the file is blamed on its variable, or
on the file, line and key (` + "`config trailseal.yaml:3: concurrency must be between 1 and 1024, got 2000`" + `),
never on a flag that was not given. Unknown keys are errors that suggest the
closest key, and types are checked (` + "`concurrency: 1.5`" + ` is an error, not 1). Flags
that change an account or name one run's files (` + "`--apply`, `--yes`, `--output`, `--journal`" + `)
never come from the environment or the file, and neither does ` + "`verify --regions`" + `:
what verify proves is what its command line says. A region list from the
environment or the file is for live scans: it does not conflict with
` + "`--snapshot`" + `.

| key | variable | type | commands | meaning |
|---|---|---|---|---|
`)
	for _, s := range settings {
		env := "`" + envName(s.name) + "`"
		if s.fileOnly {
			env = "(file only)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", s.name, env, s.kind, strings.Join(s.commands, ", "), s.help)
	}
	b.WriteString("\n```yaml\n" + settingsExample + "```\n")
	return b.String()
}

const settingsExample = `# trailseal.yaml: every key is optional; TRAILSEAL_* variables and flags win over it
regions: [us-east-1, eu-west-1]
min-retention-days: 400
log-archive-account: "444455556666"
fail-on: high
exclude-rules: [bucket.mfa_delete]
concurrency: 32
full-access-allow-list:            # principals allowed to hold AWSCloudTrail_FullAccess
  - arn:aws:iam::111122223333:role/BreakGlass
full-access-limit: 0               # how many more may hold it
store: sqlite:/var/lib/trailseal/history.db   # history store for every scan (--store=off skips it)
public-keys: [keys/cloudtrail-keys.json]     # verify --public-keys
`
