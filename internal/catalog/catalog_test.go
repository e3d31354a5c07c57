package catalog

import (
	"strings"
	"testing"
)

// TestCatalogMetadataComplete: IDs and aliases are unique across account
// and organization rules (users put them in --rules and suppression files),
// and every entry says what it checks, why, how it is audited and fixed.
// (That every account rule has a check is TestCatalogAndChecksAgree's, in
// internal/rules.)
func TestCatalogMetadataComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range All() {
		if seen[r.ID] {
			t.Errorf("duplicate rule ID %s", r.ID)
		}
		seen[r.ID] = true
		for _, a := range r.Aliases {
			if seen[a] {
				t.Errorf("alias %s of %s collides", a, r.ID)
			}
			seen[a] = true
		}
		if r.Severity.Rank() < 0 {
			t.Errorf("%s: invalid severity %q", r.ID, r.Severity)
		}
		for field, v := range map[string]string{
			"Title": r.Title, "Scope": r.Scope, "Rationale": r.Rationale, "Audit": r.Audit,
			"Remediation.Console": r.Remediation.Console, "Remediation.CLI": r.Remediation.CLI,
			"Remediation.Terraform": r.Remediation.Terraform,
		} {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: %s is empty", r.ID, field)
			}
		}
		if len(r.References) == 0 {
			t.Errorf("%s: no references", r.ID)
		}
	}
	if n, a, o, d := len(All()), len(Account()), len(Organization()), len(Drift()); n != a+o+d {
		t.Errorf("All has %d rules, Account %d, Organization %d and Drift %d", n, a, o, d)
	}
}

func TestLookupByIDAndAlias(t *testing.T) {
	rules := []Rule{{ID: "bucket.mfa_delete", Aliases: []string{"s3.mfa_delete"}}, {ID: "trail.logging"}}
	for _, name := range []string{"bucket.mfa_delete", "s3.mfa_delete"} {
		if r, ok := Lookup(rules, name); !ok || r.ID != "bucket.mfa_delete" {
			t.Errorf("Lookup(%q) = %q, %v", name, r.ID, ok)
		}
	}
	if _, ok := Lookup(rules, "bucket.nope"); ok {
		t.Error("Lookup found an unknown ID")
	}
}

func TestParseSeverity(t *testing.T) {
	for in, want := range map[string]Severity{"HIGH": High, " low ": Low, "critical": Critical} {
		if got, err := ParseSeverity(in); err != nil || got != want {
			t.Errorf("ParseSeverity(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Error("ParseSeverity accepted an unknown severity")
	}
	for i := 1; i < len(Severities); i++ {
		if Severities[i-1].Rank() <= Severities[i].Rank() {
			t.Errorf("Severities not from most to least severe at %s", Severities[i])
		}
	}
}
