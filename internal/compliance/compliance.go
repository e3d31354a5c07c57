// Package compliance maps trailseal's rules onto the controls of compliance
// frameworks (CIS AWS Foundations Benchmark versions, AWS Foundational
// Security Best Practices, trailseal's own best practices) and turns a scan
// report into a per-control view.
//
// Each framework is one embedded YAML file under data/, so a mapping can be
// reviewed and corrected without touching code.
package compliance

import (
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/goccy/go-yaml"

	"github.com/trailseal/trailseal/internal/findings"
)

//go:embed data/*.yaml
var dataFS embed.FS

// Framework is one compliance framework and the rules behind its controls.
type Framework struct {
	ID      string `yaml:"id" json:"id"`
	Title   string `yaml:"title" json:"title"`
	Version string `yaml:"version" json:"version"`
	// Source is where the framework is published.
	Source   string    `yaml:"source" json:"source"`
	Controls []Control `yaml:"controls" json:"controls,omitempty"`
}

// Control is one control of a framework.
type Control struct {
	ID    string   `yaml:"id" json:"id"`
	Title string   `yaml:"title" json:"title"`
	Rules []string `yaml:"rules" json:"rules"`
}

// loadAll parses every embedded framework. The data is part of the binary,
// so a parse failure is a build defect that the tests catch.
func loadAll() ([]Framework, error) {
	entries, err := dataFS.ReadDir("data")
	if err != nil {
		return nil, err
	}
	var out []Framework
	for _, e := range entries {
		raw, err := dataFS.ReadFile(path.Join("data", e.Name()))
		if err != nil {
			return nil, err
		}
		var fw Framework
		if err := yaml.UnmarshalWithOptions(raw, &fw, yaml.Strict()); err != nil {
			return nil, fmt.Errorf("compliance mapping %s: %w", e.Name(), err)
		}
		if want := strings.TrimSuffix(e.Name(), ".yaml"); fw.ID != want {
			return nil, fmt.Errorf("compliance mapping %s declares id %q, want %q", e.Name(), fw.ID, want)
		}
		out = append(out, fw)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// List returns every framework, sorted by ID.
func List() []Framework {
	all, err := loadAll()
	if err != nil {
		panic(err) // embedded data is validated by the package tests
	}
	return all
}

// IDs returns the framework IDs, sorted. They are the mappings' file
// names (loadAll refuses a mapping whose ID differs from its name), so
// that the command line, which names them in its help, does not parse
// every mapping on each start.
func IDs() []string {
	entries, err := dataFS.ReadDir("data")
	if err != nil {
		panic(err) // embedded data is validated by the package tests
	}
	var ids []string
	for _, e := range entries {
		ids = append(ids, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(ids)
	return ids
}

// Load returns the framework with the given ID.
func Load(id string) (*Framework, error) {
	for _, fw := range List() {
		if strings.EqualFold(fw.ID, strings.TrimSpace(id)) {
			return &fw, nil
		}
	}
	return nil, fmt.Errorf("unknown compliance framework %q (valid: %s; see 'trailseal compliance list')", id, strings.Join(IDs(), ", "))
}

// View is a scan report seen through one framework.
type View struct {
	Framework Framework       `json:"framework"`
	Controls  []ControlResult `json:"controls"`
	// Summary counts controls by status.
	Summary map[findings.Status]int `json:"summary"`
}

// ControlResult is the verdict on one control.
type ControlResult struct {
	ID     string          `json:"id"`
	Title  string          `json:"title"`
	Rules  []string        `json:"rules"`
	Status findings.Status `json:"status"`
	// Reason explains a status that the findings alone do not, for example
	// a mapped rule that produced no finding.
	Reason string `json:"reason,omitempty"`
	// Findings counts the findings behind the control by status
	// (suppressed ones included).
	Findings map[findings.Status]int `json:"findings"`
	// Failing lists the unsuppressed FAIL, ERROR and MANUAL findings.
	Failing []Resource `json:"failing,omitempty"`
	// Suppressed lists the suppressed findings, which do not decide the
	// status but stay visible.
	Suppressed []Resource `json:"suppressed,omitempty"`
}

// Resource is one finding behind a control.
type Resource struct {
	FindingID  string                `json:"findingId"`
	RuleID     string                `json:"ruleId"`
	Status     findings.Status       `json:"status"`
	Account    string                `json:"account"`
	Region     string                `json:"region"`
	Resource   string                `json:"resource"`
	Message    string                `json:"message"`
	Suppressed *findings.Suppression `json:"suppressed,omitempty"`
}

// precedence orders statuses by how much they decide a control: one FAIL
// fails it; otherwise an unreadable piece of evidence (ERROR) or one held
// elsewhere (MANUAL) keeps it from passing.
var precedence = map[findings.Status]int{
	findings.Fail:   4,
	findings.Error:  3,
	findings.Manual: 2,
	findings.Pass:   1,
	findings.NA:     0,
}

// Evaluate computes each control's status from the findings of its rules.
// A control passes only when every mapped rule was evaluated and none
// failed; a mapped rule with no finding at all (not run, or unknown) makes
// the control ERROR, never PASS.
func Evaluate(fw *Framework, rep *findings.Report) *View {
	byRule := make(map[string][]findings.Finding)
	for _, f := range rep.Findings {
		byRule[f.RuleID] = append(byRule[f.RuleID], f)
	}
	v := &View{Framework: *fw, Summary: make(map[findings.Status]int)}
	v.Framework.Controls = nil
	for _, c := range fw.Controls {
		cr := ControlResult{ID: c.ID, Title: c.Title, Rules: c.Rules, Status: findings.NA, Findings: make(map[findings.Status]int)}
		raise := func(s findings.Status) {
			if precedence[s] > precedence[cr.Status] {
				cr.Status = s
			}
		}
		var notRun []string
		for _, id := range c.Rules {
			fs := byRule[id]
			if len(fs) == 0 {
				notRun = append(notRun, id)
				continue
			}
			for _, f := range fs {
				cr.Findings[f.Status]++
				r := Resource{FindingID: f.ID, RuleID: f.RuleID, Status: f.Status, Account: f.Account, Region: f.Region,
					Resource: f.Resource, Message: f.Message, Suppressed: f.Suppressed}
				if f.Suppressed != nil {
					cr.Suppressed = append(cr.Suppressed, r)
					continue
				}
				raise(f.Status)
				if f.Status == findings.Fail || f.Status == findings.Error || f.Status == findings.Manual {
					cr.Failing = append(cr.Failing, r)
				}
			}
		}
		if len(notRun) > 0 {
			raise(findings.Error)
			cr.Reason = "not evaluated: no finding for " + strings.Join(notRun, ", ")
		}
		v.Controls = append(v.Controls, cr)
		v.Summary[cr.Status]++
	}
	return v
}

// WriteView renders v as "table" or "json".
func WriteView(w io.Writer, v *View, format string, color bool) error {
	switch strings.ToLower(format) {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "table", "":
		return writeTable(w, v, color)
	}
	return fmt.Errorf("unknown compliance view format %q (supported: table, json)", format)
}

var ansi = map[findings.Status]string{
	findings.Fail:   "\x1b[1;31m",
	findings.Error:  "\x1b[1;35m",
	findings.Manual: "\x1b[1;36m",
	findings.Pass:   "\x1b[1;32m",
	findings.NA:     "\x1b[2m",
}

func writeTable(w io.Writer, v *View, color bool) error {
	paint := func(s findings.Status) string {
		// Pad before colouring so tabwriter counts visible width only.
		text := fmt.Sprintf("%-6s", s)
		if !color {
			return text
		}
		return ansi[s] + text + "\x1b[0m"
	}
	fmt.Fprintf(w, "%s %s (%s)\n\n", v.Framework.Title, v.Framework.Version, v.Framework.ID)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONTROL\tSTATUS\tTITLE\tRULES")
	for _, c := range v.Controls {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ID, paint(c.Status), c.Title, strings.Join(c.Rules, ", "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, c := range v.Controls {
		if len(c.Failing) == 0 && len(c.Suppressed) == 0 && c.Reason == "" {
			continue
		}
		fmt.Fprintf(w, "\n%s %s\n", c.ID, c.Title)
		if c.Reason != "" {
			fmt.Fprintf(w, "  %s\n", c.Reason)
		}
		for _, r := range c.Failing {
			fmt.Fprintf(w, "  %s %s %s %s: %s\n", paint(r.Status), r.RuleID, r.Account, r.Resource, r.Message)
		}
		for _, r := range c.Suppressed {
			fmt.Fprintf(w, "  %s %s %s %s: suppressed until %s (%s)\n", paint(r.Status), r.RuleID, r.Account, r.Resource, r.Suppressed.Expires, r.Suppressed.Reason)
		}
	}
	var parts []string
	for _, s := range findings.Statuses {
		parts = append(parts, fmt.Sprintf("%d %s", v.Summary[s], s))
	}
	fmt.Fprintf(w, "\n%d controls: %s\n", len(v.Controls), strings.Join(parts, ", "))
	return nil
}
