package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trailseal/trailseal/internal/compliance"
	"github.com/trailseal/trailseal/internal/regions"
)

// Shell completion: 'trailseal completion bash|zsh|fish|powershell' prints
// the script; the script asks trailseal itself for the values below, so
// they follow the catalog of the binary installed.

// addCompletionCommand adds cobra's 'completion' command now, not when
// the command line is run, so that help lists it and the tests walk it.
func addCompletionCommand(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Short = "Print the shell completion script (bash, zsh, fish, powershell)"
		c.Long = `Completion prints the script that makes your shell complete trailseal's
commands and flags, and their values: rule IDs (--rules, --exclude-rules,
explain), hunt detection IDs (explain), formats, regions, severities,
statuses and compliance IDs. The script asks the trailseal binary for them,
so they follow the version installed. Each shell's command shows how to
load it.

Exit codes:
` + exitCodesHelp("completion")
	}
}

// flagValues are the values a flag completes to, by flag name, for the
// flags whose values are the same on every command. A --format flag
// carries its command's formats as an annotation (addFormatFlag).
var flagValues = map[string]func() []string{
	"rules":         ruleIDs,
	"exclude-rules": ruleIDs,
	"severity":      severities,
	"fail-on":       severities,
	"status":        func() []string { return strings.Split(statusNames(), ", ") },
	"regions":       func() []string { return append([]string{"all"}, regions.Known()...) },
	"compliance":    compliance.IDs,
	"color":         func() []string { return []string{"auto", "always", "never"} },
	"emit":          func() []string { return []string{"cli", "terraform"} },
	"lock-mode":     func() []string { return []string{"GOVERNANCE", "COMPLIANCE"} },
}

// listFlags take comma-separated lists: each item completes on its own.
var listFlags = map[string]bool{"rules": true, "exclude-rules": true, "severity": true, "status": true, "regions": true}

func severities() []string { return strings.Split(severityNames(), ", ") }

// registerCompletions gives every flag with known values its completion,
// on every command.
func registerCompletions(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		register := func(f *pflag.Flag) {
			values := flagValues[f.Name]
			if vs, ok := f.Annotations[completeValues]; ok {
				values = func() []string { return vs }
			}
			if values == nil {
				return
			}
			list := listFlags[f.Name]
			// An error means the flag has a completion already (a flag
			// shared through the root).
			_ = c.RegisterFlagCompletionFunc(f.Name, func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
				if !list {
					return complete(values(), toComplete), cobra.ShellCompDirectiveNoFileComp
				}
				return completeList(values(), toComplete), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
			})
		}
		c.LocalNonPersistentFlags().VisitAll(register)
		c.PersistentFlags().VisitAll(register)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// complete keeps the values that start with what was typed.
func complete(values []string, toComplete string) []string {
	var out []string
	for _, v := range values {
		if strings.HasPrefix(strings.ToLower(v), strings.ToLower(toComplete)) {
			out = append(out, v)
		}
	}
	return out
}

// completeList completes the last item of a comma-separated list, keeping
// the items before it.
func completeList(values []string, toComplete string) []string {
	done, last := "", toComplete
	if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
		done, last = toComplete[:i+1], toComplete[i+1:]
	}
	var out []string
	for _, v := range complete(values, last) {
		if !strings.Contains(","+done, ","+v+",") {
			out = append(out, done+v)
		}
	}
	return out
}
