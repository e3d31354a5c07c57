// Package report writes a findings.Report for people (terminal table) and
// machines (JSON and the other formats). Writers only read the report and
// the rule catalog; they never change a verdict.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/findings"
)

// Options tune the writers.
type Options struct {
	// Color enables ANSI colour in the table format.
	Color bool
	// Verbose shows PASS and N/A findings in the table format.
	Verbose bool
	// Width wraps the table to this many columns; 0 means no wrapping.
	Width int
	// Fixable lists the rules that 'trailseal fix' can fix; the HTML report
	// shows the fix command on their FAIL findings.
	Fixable []string
}

// Writer renders a report in one format.
type Writer func(w io.Writer, rep *findings.Report, entries []catalog.Rule, opts Options) error

// writers maps a --format name to its writer.
var writers = map[string]Writer{
	"table": writeTable,
	"json":  writeJSON,
	"sarif": writeSARIF,
	"asff":  writeASFF,
	"ocsf":  writeOCSF,
	"junit": writeJUnit,
	"csv":   writeCSV,
	"html":  writeHTML,
}

// Formats returns the supported format names, sorted.
func Formats() []string {
	var names []string
	for n := range writers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Lookup returns the writer for a format name.
func Lookup(format string) (Writer, error) {
	w, ok := writers[strings.ToLower(format)]
	if !ok {
		return nil, fmt.Errorf("unknown format %q (supported: %s)", format, strings.Join(Formats(), ", "))
	}
	return w, nil
}

// Write renders rep in format.
func Write(w io.Writer, format string, rep *findings.Report, entries []catalog.Rule, opts Options) error {
	wr, err := Lookup(format)
	if err != nil {
		return err
	}
	return wr(w, rep, entries, opts)
}

func ruleIndex(entries []catalog.Rule) map[string]catalog.Rule {
	idx := make(map[string]catalog.Rule, len(entries))
	for _, r := range entries {
		idx[r.ID] = r
	}
	return idx
}
