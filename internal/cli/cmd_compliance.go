package cli

import (
	"fmt"
	"io"

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
	list := newListingCommand(g, "list", "List the compliance frameworks: ID, title, version, controls",
		`  trailseal compliance list
  trailseal compliance list --format json
  trailseal scan --compliance cis-5.0`, []string{"table", "json"}, runComplianceList)
	cmd.AddCommand(list)
	return cmd
}

func runComplianceList(w io.Writer, format string) error {
	return listing[compliance.Framework]{
		entries: compliance.List(),
		header:  "ID\tTITLE\tVERSION\tCONTROLS\tSOURCE",
		row: func(fw compliance.Framework) string {
			return fmt.Sprintf("%s\t%s\t%s\t%d\t%s", fw.ID, fw.Title, fw.Version, len(fw.Controls), fw.Source)
		},
		footer: "\nShow a scan through one of them with 'trailseal scan --compliance ID'.\n",
	}.write(w, format)
}
