package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// What the listing commands (rules, detections, compliance list) and
// explain share.

// catalogFormats are the formats of the rule and detection catalogs.
var catalogFormats = []string{"table", "json", "markdown"}

// newListingCommand is a command without arguments that writes a listing
// with write, in one of formats (table by default), to standard output or
// to the file -o names.
func newListingCommand(g *globals, use, short, example string, formats []string, write func(io.Writer, string) error) *cobra.Command {
	var format, output string
	cmd := &cobra.Command{
		Use:     use,
		Short:   short,
		Example: example,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return writeListing(g, output, format, formats, write)
		},
	}
	addFormatFlag(cmd.Flags(), &format, "table", formats, "")
	addOutputFlag(cmd.Flags(), &output)
	return cmd
}

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

// listing is a catalog as a listing command writes it.
type listing[T any] struct {
	entries []T
	// header and row are the table's column names and one entry's cells,
	// each separated by tabs.
	header string
	row    func(T) string
	// footer follows the table.
	footer string
	// markdown writes the catalog's page in docs/; nil when it has none.
	markdown func(io.Writer, []T) error
}

// write writes the listing in format: json (the entries as they are),
// markdown, or table (aligned columns, then the footer).
func (l listing[T]) write(w io.Writer, format string) error {
	switch {
	case format == "json":
		return writeJSON(w, l.entries)
	case format == "markdown" && l.markdown != nil:
		return l.markdown(w, l.entries)
	case format != "table" && l.markdown != nil:
		return usageError("--format must be table, json or markdown, not %q", format)
	case format != "table":
		return usageError("--format must be table or json, not %q", format)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, l.header)
	for _, e := range l.entries {
		fmt.Fprintln(tw, l.row(e))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, l.footer)
	return err
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// explanation writes what explain shows of a rule or a detection: a head
// line with its ID and severity over its title, then sections added with
// its section method.
type explanation struct{ w io.Writer }

func newExplanation(w io.Writer, id, severity, title string) explanation {
	fmt.Fprintf(w, "%s  [%s]\n%s\n\n", id, severity, title)
	return explanation{w}
}

// section writes a title in capitals over its indented body; an empty
// body writes nothing.
func (e explanation) section(title, body string) {
	if strings.TrimSpace(body) != "" {
		fmt.Fprintf(e.w, "%s\n%s\n\n", strings.ToUpper(title), indent(strings.TrimSpace(body)))
	}
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
