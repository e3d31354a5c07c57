package report

import (
	_ "embed"
	"html/template"
	"io"
	"sort"
	"strings"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/findings"
)

//go:embed html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"lower": func(s any) string {
		switch v := s.(type) {
		case findings.Status:
			return strings.ToLower(strings.ReplaceAll(string(v), "/", ""))
		case findings.Severity:
			return string(v)
		case string:
			return strings.ToLower(v)
		}
		return ""
	},
}).Parse(htmlSource))

type htmlData struct {
	Rep        *findings.Report
	Generated  string
	Total      int
	Statuses   []htmlCount
	Severities []htmlCount
	Frameworks []htmlFramework
	Cards      []htmlCard
	Passed     []findings.Finding
	Rules      []string
	Accounts   []string
	Suppressed int
}

type htmlCount struct {
	Name  string
	Class string
	N     int
}

type htmlFramework struct {
	ID                        string
	Fail, Error, Manual, Pass int
}

type htmlCard struct {
	F           findings.Finding
	Title       string
	Rationale   string
	Evidence    []htmlKV
	Remediation catalog.Remediation
	References  []string
	Frameworks  []string
}

type htmlKV struct{ K, V string }

// writeHTML writes one self-contained page: inline CSS and script, no
// fonts, images or requests. html/template escapes every value taken from
// the report, so resource names and messages cannot inject markup.
func writeHTML(w io.Writer, rep *findings.Report, entries []catalog.Rule, _ Options) error {
	idx := ruleIndex(entries)
	d := htmlData{Rep: rep, Generated: rep.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC"), Total: len(rep.Findings)}
	counts := rep.Counts()
	for _, s := range findings.Statuses {
		d.Statuses = append(d.Statuses, htmlCount{Name: string(s), Class: strings.ToLower(strings.ReplaceAll(string(s), "/", "")), N: counts[s]})
	}
	sevCount := map[findings.Severity]int{}
	fw := map[string]*htmlFramework{}
	ruleSet, acctSet := map[string]bool{}, map[string]bool{}
	for _, f := range rep.Findings {
		if f.Status == findings.Fail && f.Suppressed == nil {
			sevCount[f.Severity]++
		}
		for _, m := range idx[f.RuleID].Frameworks {
			x := fw[m.Framework]
			if x == nil {
				x = &htmlFramework{ID: m.Framework}
				fw[m.Framework] = x
			}
			switch f.Status {
			case findings.Fail:
				x.Fail++
			case findings.Error:
				x.Error++
			case findings.Manual:
				x.Manual++
			case findings.Pass:
				x.Pass++
			}
		}
		if f.Suppressed != nil {
			d.Suppressed++
		}
		switch f.Status {
		case findings.Pass, findings.NA:
			d.Passed = append(d.Passed, f)
			continue
		}
		ruleSet[f.RuleID] = true
		acctSet[f.Account] = true
		r := idx[f.RuleID]
		c := htmlCard{F: f, Title: nonEmpty(r.Title, f.RuleID), Rationale: r.Rationale, Remediation: r.Remediation,
			References: r.References, Frameworks: frameworkRefs(r)}
		for _, k := range evidenceKeys(f.Evidence) {
			c.Evidence = append(c.Evidence, htmlKV{k, evidenceValue(f.Evidence[k])})
		}
		d.Cards = append(d.Cards, c)
	}
	for _, s := range findings.Severities {
		d.Severities = append(d.Severities, htmlCount{Name: string(s), Class: string(s), N: sevCount[s]})
	}
	for _, x := range fw {
		d.Frameworks = append(d.Frameworks, *x)
	}
	sort.Slice(d.Frameworks, func(i, j int) bool { return d.Frameworks[i].ID < d.Frameworks[j].ID })
	d.Rules = sortedKeys(ruleSet)
	d.Accounts = sortedKeys(acctSet)
	return htmlTemplate.Execute(w, d)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
