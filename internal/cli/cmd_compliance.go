package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/trailseal/trailseal/internal/compliance"
)

func newComplianceCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "compliance",
		Short: "Compliance frameworks that 'scan --compliance' can show",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	var format, output string
	list := &cobra.Command{
		Use:   "list",
		Short: "List the compliance frameworks: ID, title, version, controls",
		Example: `  trailseal compliance list
  trailseal compliance list --format json
  trailseal scan --compliance cis-5.0`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return writeListing(g, output, format, []string{"table", "json"}, runComplianceList)
		},
	}
	addFormatFlag(list.Flags(), &format, "table", []string{"table", "json"}, "")
	addOutputFlag(list.Flags(), &output)
	cmd.AddCommand(list)
	return cmd
}

func runComplianceList(w io.Writer, format string) error {
	fws := compliance.List()
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(fws)
	case "table":
	default:
		return usageError("--format must be table or json, not %q", format)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTITLE\tVERSION\tCONTROLS\tSOURCE")
	for _, fw := range fws {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", fw.ID, fw.Title, fw.Version, len(fw.Controls), fw.Source)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nShow a scan through one of them with 'trailseal scan --compliance ID'.")
	return nil
}
