package catalogcheck

import (
	"strings"
	"testing"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/compliance"
	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/rules"
)

// TestMappedRulesExist checks every rule ID in every mapping against the
// real catalog, and that the trailseal view covers every rule. It fails
// while rule families are still being written.
func TestMappedRulesExist(t *testing.T) {
	entries := catalog.Account()
	for _, fw := range compliance.List() {
		for _, c := range fw.Controls {
			for _, id := range c.Rules {
				if r, ok := catalog.Lookup(entries, id); !ok || r.ID != id {
					t.Errorf("%s control %s maps unknown rule %q", fw.ID, c.ID, id)
				}
			}
		}
	}
	bp, err := compliance.Load("trailseal-best-practices")
	if err != nil {
		t.Fatal(err)
	}
	mapped := map[string]bool{}
	for _, c := range bp.Controls {
		for _, id := range c.Rules {
			mapped[id] = true
		}
	}
	for _, r := range entries {
		if !mapped[r.ID] {
			t.Errorf("rule %s is missing from trailseal-best-practices", r.ID)
		}
	}
}

// TestMappingsAgreeWithRuleMetadata: a rule's own framework list (shown by
// 'trailseal explain') and the compliance data files must say the same.
func TestMappingsAgreeWithRuleMetadata(t *testing.T) {
	fromData := map[string]bool{}
	known := map[string]bool{}
	for _, fw := range compliance.List() {
		known[fw.ID] = true
		for _, c := range fw.Controls {
			for _, id := range c.Rules {
				fromData[fw.ID+" "+c.ID+" "+id] = true
			}
		}
	}
	fromRules := map[string]bool{}
	for _, r := range catalog.Account() {
		for _, f := range r.Frameworks {
			if known[f.Framework] {
				fromRules[f.Framework+" "+f.Control+" "+r.ID] = true
			}
		}
	}
	for k := range fromRules {
		if !fromData[k] {
			t.Errorf("rule metadata maps %q but the compliance data does not", k)
		}
	}
	for k := range fromData {
		if strings.HasPrefix(k, "trailseal-best-practices ") {
			continue
		}
		if !fromRules[k] {
			t.Errorf("compliance data maps %q but the rule's metadata does not", k)
		}
	}
}

// TestNoTrailFailsDataEventControls: an account without any trail records
// no S3 object events, so the data event controls fail (they said N/A).
func TestNoTrailFailsDataEventControls(t *testing.T) {
	inv := &inventory.Inventory{
		SchemaVersion: inventory.SchemaVersion,
		Partition:     "aws",
		Account:       inventory.Account{ID: "111122223333"},
		Regions:       []string{"us-east-1", "eu-west-1"},
		Organization:  inventory.Ok(inventory.Organization{}),
	}
	rep := &findings.Report{Findings: rules.Evaluate(inv, rules.All(), rules.DefaultOptions())}
	for fw, controls := range map[string][]string{
		"cis-3.0": {"3.8", "3.9"}, "cis-5.0": {"3.8", "3.9"}, "cis-1.4": {"3.10", "3.11"}, "fsbp": {"S3.22", "S3.23"},
	} {
		f, err := compliance.Load(fw)
		if err != nil {
			t.Fatal(err)
		}
		view := compliance.Evaluate(f, rep)
		for _, id := range controls {
			found := false
			for _, c := range view.Controls {
				if c.ID == id {
					found = true
					if c.Status != findings.Fail {
						t.Errorf("%s %s: %s, want FAIL (%s)", fw, id, c.Status, c.Reason)
					}
				}
			}
			if !found {
				t.Errorf("%s has no control %s", fw, id)
			}
		}
	}
}
