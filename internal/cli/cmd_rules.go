package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/fix"
	"github.com/trailseal/trailseal/internal/suggest"
)

func newRulesCommand(g *globals) *cobra.Command {
	var format, output string
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the rule catalog: ID, severity, title, frameworks",
		Example: `  trailseal rules
  trailseal rules --format json | jq '.[].id'
  trailseal explain bucket.object_lock`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return writeListing(g, output, format, catalogFormats, runRules)
		},
	}
	addFormatFlag(cmd.Flags(), &format, "table", catalogFormats, "")
	addOutputFlag(cmd.Flags(), &output)
	return cmd
}

// catalogFormats are the formats of the rule and detection catalogs.
var catalogFormats = []string{"table", "json", "markdown"}

// writeListing checks --format and -o, then writes a listing (rules,
// detections, frameworks) with write.
func writeListing(g *globals, path, format string, formats []string, write func(io.Writer, string) error) error {
	if err := checkFormat(format, formats); err != nil {
		return err
	}
	out := newOutput(g, "--output", path)
	if err := checkOutputs(out); err != nil {
		return err
	}
	return out.write(func(w io.Writer) error { return write(w, format) })
}

func runRules(w io.Writer, format string) error {
	entries := catalog.All()
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(entries)
	case "markdown":
		return writeRulesMarkdown(w, entries)
	case "table":
	default:
		return usageError("--format must be table, json or markdown, not %q", format)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tTITLE\tFRAMEWORKS")
	for _, r := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Severity, r.Title, frameworkList(r.Frameworks))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d rules. 'trailseal explain RULE-ID' shows one in full.\n", len(entries))
	return nil
}

func frameworkList(fs []catalog.Framework) string {
	var parts []string
	for _, f := range fs {
		parts = append(parts, f.Framework+" "+f.Control)
	}
	return strings.Join(parts, ", ")
}

func newExplainCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "explain RULE-ID|DETECTION-ID",
		Short: "Explain one rule (why it matters, how it is audited, how to fix it) or one hunt detection",
		Example: `  trailseal explain bucket.object_lock
  trailseal explain trail.log_file_validation
  trailseal explain hunt.trail_logging_stopped`,
		Args: cobra.ExactArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return complete(append(catalogIDs(), detectionIDs()...), toComplete), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExplain(g.stdout, args[0])
		},
	}
}

// catalogIDs are the IDs explain knows: every catalog rule (drift rules
// included) and its aliases.
func catalogIDs() []string {
	var ids []string
	for _, r := range catalog.All() {
		ids = append(ids, r.ID)
		ids = append(ids, r.Aliases...)
	}
	return ids
}

func runExplain(w io.Writer, id string) error {
	if strings.HasPrefix(id, "hunt.") {
		return runExplainDetection(w, id)
	}
	r, ok := catalog.Lookup(catalog.All(), id)
	if !ok {
		return usageError("unknown rule ID %q%s (see 'trailseal rules')", id, suggest.DidYouMean(id, append(catalogIDs(), detectionIDs()...)))
	}
	fmt.Fprintf(w, "%s  [%s]\n%s\n\n", r.ID, r.Severity, r.Title)
	section := func(title, body string) {
		if strings.TrimSpace(body) == "" {
			return
		}
		fmt.Fprintf(w, "%s\n%s\n\n", strings.ToUpper(title), indent(strings.TrimSpace(body)))
	}
	section("Why it matters", r.Rationale)
	section("How it is audited", r.Audit)
	section("Fix in the console", r.Remediation.Console)
	section("Fix with the AWS CLI", r.Remediation.CLI)
	section("Fix with Terraform", r.Remediation.Terraform)
	if slices.Contains(fix.Fixable, r.ID) {
		section("Fix with trailseal", fmt.Sprintf("trailseal fix --rules %s          # the plan, before -> after\ntrailseal fix --rules %s --apply  # make the change (journaled; --undo reverts it)", r.ID, r.ID))
	}
	if len(r.Frameworks) > 0 {
		section("Frameworks", frameworkList(r.Frameworks))
	}
	if len(r.References) > 0 {
		section("References", strings.Join(r.References, "\n"))
	}
	if len(r.Aliases) > 0 {
		section("Aliases", strings.Join(r.Aliases, ", "))
	}
	return nil
}

func indent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "\n")
}

// writeRulesMarkdown renders the catalog as docs/rules.md.
func writeRulesMarkdown(w io.Writer, entries []catalog.Rule) error {
	var b strings.Builder
	b.WriteString("# Rule catalog\n\n")
	b.WriteString("Generated by `trailseal rules --format markdown`; do not edit by hand.\n")
	b.WriteString("Rule IDs are stable: use them in `--rules` and suppression files.\n\n")
	b.WriteString("| ID | severity | title | frameworks |\n|---|---|---|---|\n")
	for _, r := range entries {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s | %s |\n", r.ID, anchor(r.ID), r.Severity, r.Title, frameworkList(r.Frameworks))
	}
	for _, r := range entries {
		fmt.Fprintf(&b, "\n## %s\n\n**%s** (%s, %s)\n\n", r.ID, r.Title, r.Severity, r.Scope)
		fmt.Fprintf(&b, "### Why it matters\n\n%s\n\n### How it is audited\n\n%s\n\n", strings.TrimSpace(r.Rationale), strings.TrimSpace(r.Audit))
		fmt.Fprintf(&b, "### Fix in the console\n\n%s\n\n", strings.TrimSpace(r.Remediation.Console))
		fmt.Fprintf(&b, "### Fix with the AWS CLI\n\n```sh\n%s\n```\n\n", strings.TrimSpace(r.Remediation.CLI))
		fmt.Fprintf(&b, "### Fix with Terraform\n\n```hcl\n%s\n```\n", strings.TrimSpace(r.Remediation.Terraform))
		if len(r.Frameworks) > 0 {
			fmt.Fprintf(&b, "\n**Frameworks:** %s\n", frameworkList(r.Frameworks))
		}
		if len(r.References) > 0 {
			b.WriteString("\n**References:**\n\n")
			for _, ref := range r.References {
				fmt.Fprintf(&b, "- %s\n", ref)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func anchor(id string) string {
	return strings.NewReplacer(".", "", "_", "_").Replace(strings.ToLower(id))
}
