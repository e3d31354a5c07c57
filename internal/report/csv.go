package report

import (
	"encoding/csv"
	"io"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/findings"
)

var csvHeader = []string{
	"id", "rule_id", "status", "severity", "account", "account_name", "region", "resource",
	"message", "suppressed", "suppression_reason", "suppression_expires", "rule_title", "evidence",
}

// writeCSV writes one row per finding (every status) after a header row.
// encoding/csv quotes fields as RFC 4180 requires; rows end in CRLF as the
// RFC specifies so that spreadsheet programs agree on line breaks.
func writeCSV(w io.Writer, rep *findings.Report, entries []catalog.Rule, _ Options) error {
	idx := ruleIndex(entries)
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, f := range rep.Findings {
		suppressed, reason, expires := "false", "", ""
		if f.Suppressed != nil {
			suppressed, reason, expires = "true", f.Suppressed.Reason, f.Suppressed.Expires
		}
		row := []string{
			f.ID, f.RuleID, string(f.Status), string(f.Severity), f.Account, f.AccountName, f.Region, f.Resource,
			f.Message, suppressed, reason, expires, idx[f.RuleID].Title, evidenceJSON(f.Evidence),
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
