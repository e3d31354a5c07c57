package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/compliance"
	"github.com/trailseal/trailseal/internal/findings"
)

//go:embed html.tmpl
var htmlSource string

// htmlTemplate is parsed on first use: parsed at start-up, as the other
// templates of this package were, it cost every command about a millisecond,
// the ones that write no HTML too.
var htmlTemplate = sync.OnceValue(parseHTMLTemplate)

// parseHTMLTemplate parses the scan report's templates anew; verify's page
// adds its own to a fresh copy (a template that has run cannot be cloned).
func parseHTMLTemplate() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"lower":  statusClass,
		"join":   strings.Join,
		"add":    func(a, b int) int { return a + b },
		"pct":    func(f float64) string { return fmt.Sprintf("%.3f%%", f) },
		"half":   func(n int) int { return n / 2 },
		"short":  ShortResource,
		"counts": statusCounts,
		"firstTab": func(c htmlCard) string {
			switch {
			case len(c.CLI) > 0:
				return "cli"
			case len(c.Terraform) > 0:
				return "tf"
			}
			return "con"
		},
		"scoreClass": func(f htmlFramework) string {
			switch {
			case f.Assessed == 0:
				return ""
			case f.Pass*100 >= 80*f.Assessed:
				return "good"
			case f.Pass*100 >= 50*f.Assessed:
				return "mid"
			}
			return "bad"
		},
	}).Parse(htmlSource))
}

// statusCounts writes a control's findings by status: "2 FAIL, 3 PASS".
func statusCounts(m map[findings.Status]int) string {
	var parts []string
	for _, s := range findings.Statuses {
		if m[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[s], s))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// statusClass is the CSS class of a status or severity ("N/A" is "na").
func statusClass(s any) string {
	switch v := s.(type) {
	case findings.Status:
		return strings.ToLower(strings.ReplaceAll(string(v), "/", ""))
	case findings.Severity:
		return string(v)
	case string:
		return strings.ToLower(strings.ReplaceAll(v, "/", ""))
	}
	return ""
}

// htmlData is what the report page shows, computed here so that the
// template only lays it out.
type htmlData struct {
	Rep        *findings.Report
	Generated  string
	Verdict    htmlVerdict
	Total      int
	Suppressed int
	// StatusBar counts every finding by status; SeverityBar counts the
	// unsuppressed FAIL findings by severity.
	StatusBar   svgBar
	SeverityBar svgBar
	Frameworks  []htmlFramework
	// Accounts is set when the report covers more than one account.
	Accounts *htmlAccounts
	Cards    []htmlCard
	Passed   []findings.Finding
	Filters  htmlFilters
	// ControlStatuses are the legend of the compliance bars.
	ControlStatuses []findings.Status
}

// htmlVerdict is the one-line answer at the top of the page.
type htmlVerdict struct {
	Class, Headline, Detail string
}

// htmlFilters are the choices of the filter bar.
type htmlFilters struct {
	Rules, Regions []string
	Accounts       []htmlOption
}

type htmlOption struct{ Value, Label string }

// htmlCard is one FAIL, ERROR or MANUAL finding.
type htmlCard struct {
	F          findings.Finding
	Title      string
	Rationale  string
	Console    string
	CLI        []cmdPart
	Terraform  []cmdPart
	References []string
	Frameworks []string
	// Placeholders are the values the remediation still needs.
	Placeholders []string
	// AutoFix is the 'trailseal fix' command line, when the rule has an
	// automatic fix.
	AutoFix  string
	Evidence []htmlKV
	// Search is the text the search box matches, lower case.
	Search string
}

type htmlKV struct{ K, V string }

// writeHTML writes one self-contained page: inline CSS, SVG and script, no
// fonts, images or requests, so it works offline and from a mail
// attachment. html/template escapes every value taken from the report, so
// resource names and messages cannot inject markup.
func writeHTML(w io.Writer, rep *findings.Report, entries []catalog.Rule, opts Options) error {
	d := htmlData{
		Rep:             rep,
		Generated:       rep.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC"),
		Total:           len(rep.Findings),
		Verdict:         verdict(rep),
		ControlStatuses: controlStatuses,
	}
	d.StatusBar, d.SeverityBar = statusBar(rep), severityBar(rep)
	d.Frameworks = frameworkViews(rep)
	d.Accounts = accountViews(rep)
	d.Cards, d.Passed, d.Filters = cards(rep, ruleIndex(entries), opts)
	for _, f := range rep.Findings {
		if f.Suppressed != nil {
			d.Suppressed++
		}
	}
	return htmlTemplate().ExecuteTemplate(w, "report", d)
}

// verdict sums the report up in one line: open FAIL findings first, then
// whether the audit is complete.
func verdict(rep *findings.Report) htmlVerdict {
	failing := rep.Failing(findings.Info)
	unread := rep.Unreadable()
	v := htmlVerdict{Detail: Summary(rep)}
	switch {
	case len(failing) > 0:
		v.Class = "fail"
		v.Headline = plural(len(failing), "finding", "findings") + " to fix"
		bySev := map[findings.Severity]int{}
		for _, f := range failing {
			bySev[f.Severity]++
		}
		var top []string
		for _, s := range []findings.Severity{findings.Critical, findings.High} {
			if bySev[s] > 0 {
				top = append(top, fmt.Sprintf("%d %s", bySev[s], s))
			}
		}
		if len(top) > 0 {
			v.Headline += ": " + strings.Join(top, ", ")
		}
	case len(unread) > 0:
		v.Class = "error"
		v.Headline = "Audit incomplete"
	default:
		v.Class = "pass"
		v.Headline = "No failing findings"
	}
	if len(failing) > 0 && len(unread) > 0 {
		v.Headline += "; audit incomplete"
	}
	return v
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// cards builds a card per FAIL, ERROR and MANUAL finding, the PASS and N/A
// list, and the filter choices.
func cards(rep *findings.Report, idx map[string]catalog.Rule, opts Options) ([]htmlCard, []findings.Finding, htmlFilters) {
	var out []htmlCard
	var passed []findings.Finding
	ruleSet, regionSet := map[string]bool{}, map[string]bool{}
	accounts := map[string]string{}
	for _, f := range rep.Findings {
		if f.Status == findings.Pass || f.Status == findings.NA {
			passed = append(passed, f)
			continue
		}
		ruleSet[f.RuleID] = true
		regionSet[f.Region] = true
		if accounts[f.Account] == "" {
			accounts[f.Account] = f.AccountName
		}
		out = append(out, card(f, idx[f.RuleID], opts))
	}
	fl := htmlFilters{Rules: sortedKeys(ruleSet), Regions: sortedKeys(regionSet)}
	for _, id := range sortedKeys(accounts) {
		label := id
		if name := accounts[id]; name != "" {
			label += " (" + name + ")"
		}
		fl.Accounts = append(fl.Accounts, htmlOption{Value: id, Label: label})
	}
	return out, passed, fl
}

func card(f findings.Finding, r catalog.Rule, opts Options) htmlCard {
	facts := findingFacts(f)
	c := htmlCard{F: f, Title: nonEmpty(r.Title, f.RuleID), Rationale: r.Rationale,
		Console: strings.TrimSpace(r.Remediation.Console), References: r.References, Frameworks: frameworkRefs(r)}
	if s := strings.TrimSpace(r.Remediation.CLI); s != "" {
		c.CLI = fillCommand(s, facts)
	}
	if s := strings.TrimSpace(r.Remediation.Terraform); s != "" {
		c.Terraform = fillCommand(s, facts)
	}
	c.Placeholders = placeholderTokens(c.CLI, c.Terraform)
	if f.Status == findings.Fail && slices.Contains(opts.Fixable, f.RuleID) {
		c.AutoFix = "trailseal fix --rules " + f.RuleID
	}
	search := []string{f.RuleID, c.Title, f.Message, f.Resource, f.Account, f.AccountName, f.Region, string(f.Status), string(f.Severity)}
	for _, k := range evidenceKeys(f.Evidence) {
		v := evidenceValue(f.Evidence[k])
		c.Evidence = append(c.Evidence, htmlKV{k, v})
		search = append(search, v)
	}
	c.Search = strings.ToLower(strings.Join(search, " "))
	return c
}

// sortedKeys returns the keys of m, sorted.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// frameworkViews evaluates the report against every compliance framework,
// by control: a control passes only when every finding of its rules does
// (see compliance.Evaluate), so the percentage is of controls, not of
// findings.
func frameworkViews(rep *findings.Report) []htmlFramework {
	var out []htmlFramework
	for _, fw := range compliance.List() {
		h := frameworkView(compliance.Evaluate(&fw, rep))
		h.Linked = true
		out = append(out, h)
	}
	return out
}

// htmlFramework is one framework's controls, by status.
type htmlFramework struct {
	ID, Title, Version, Source string
	Controls                   []compliance.ControlResult
	// Pass and Assessed count controls; Assessed leaves out N/A ones.
	Pass, Assessed int
	// NA counts the controls that do not apply.
	NA int
	// Percent is Pass of Assessed, "n/a" when nothing was assessed.
	Percent string
	Bar     svgBar
	// Linked is set in the scan report, where each finding has a card to
	// link to.
	Linked bool
}

func frameworkView(v *compliance.View) htmlFramework {
	h := htmlFramework{ID: v.Framework.ID, Title: v.Framework.Title, Version: v.Framework.Version,
		Source: v.Framework.Source, Controls: v.Controls, Pass: v.Summary[findings.Pass]}
	h.NA = v.Summary[findings.NA]
	h.Assessed = len(v.Controls) - h.NA
	h.Percent = "n/a"
	if h.Assessed > 0 {
		h.Percent = fmt.Sprintf("%d%%", h.Pass*100/h.Assessed)
	}
	var segs []svgSegment
	for _, s := range controlStatuses {
		segs = append(segs, svgSegment{Key: string(s), Label: string(s), Class: statusClass(s), N: v.Summary[s]})
	}
	h.Bar = newBar("controls", segs)
	return h
}

// controlStatuses orders a compliance bar: passing controls first.
var controlStatuses = []findings.Status{findings.Pass, findings.Fail, findings.Error, findings.Manual, findings.NA}

// WriteComplianceHTML writes a compliance view as a self-contained page:
// the framework's score by control, then every control with the findings
// that decide it. rep is the report the view was evaluated from.
func WriteComplianceHTML(w io.Writer, v *compliance.View, rep *findings.Report) error {
	d := struct {
		Rep             *findings.Report
		Generated       string
		FW              htmlFramework
		ControlStatuses []findings.Status
	}{rep, rep.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC"), frameworkView(v), controlStatuses}
	return htmlTemplate().ExecuteTemplate(w, "compliance", d)
}
