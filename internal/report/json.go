package report

import (
	"encoding/json"
	"io"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/findings"
)

// jsonSchemaVersion versions the --format json document.
const jsonSchemaVersion = 1

type jsonReport struct {
	SchemaVersion int                     `json:"schemaVersion"`
	Tool          string                  `json:"tool"`
	Version       string                  `json:"version"`
	GeneratedAt   string                  `json:"generatedAt"`
	Source        string                  `json:"source"`
	Accounts      []string                `json:"accounts"`
	Regions       []string                `json:"regions"`
	Summary       map[findings.Status]int `json:"summary"`
	Findings      []jsonFinding           `json:"findings"`
}

type jsonFinding struct {
	findings.Finding
	Rule *jsonRule `json:"rule,omitempty"`
}

type jsonRule struct {
	Title       string              `json:"title"`
	Scope       string              `json:"scope"`
	Rationale   string              `json:"rationale"`
	Remediation catalog.Remediation `json:"remediation"`
	References  []string            `json:"references,omitempty"`
	Frameworks  []catalog.Framework `json:"frameworks,omitempty"`
}

func writeJSON(w io.Writer, rep *findings.Report, entries []catalog.Rule, _ Options) error {
	idx := ruleIndex(entries)
	out := jsonReport{
		SchemaVersion: jsonSchemaVersion,
		Tool:          rep.Tool,
		Version:       rep.Version,
		GeneratedAt:   rep.GeneratedAt.UTC().Format("2006-01-02T15:04:05Z"),
		Source:        rep.Source,
		Accounts:      rep.Accounts,
		Regions:       rep.Regions,
		Summary:       rep.Counts(),
		Findings:      make([]jsonFinding, 0, len(rep.Findings)),
	}
	for _, f := range rep.Findings {
		jf := jsonFinding{Finding: f}
		if r, ok := idx[f.RuleID]; ok {
			jf.Rule = &jsonRule{Title: r.Title, Scope: r.Scope, Rationale: r.Rationale, Remediation: r.Remediation, References: r.References, Frameworks: r.Frameworks}
		}
		out.Findings = append(out.Findings, jf)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
