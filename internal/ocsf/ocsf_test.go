package ocsf

import (
	"testing"

	"github.com/trailseal/trailseal/internal/findings"
)

func TestNewFinding(t *testing.T) {
	f := NewFinding(DetectionFinding, findings.High, 1700000000000)
	if f.TypeUID != 200401 || f.TypeName != "Detection Finding: Create" || f.CategoryUID != 2 {
		t.Errorf("type %d %q, category %d: want 200401 \"Detection Finding: Create\", 2", f.TypeUID, f.TypeName, f.CategoryUID)
	}
	if f.SeverityID != 4 || f.Severity != "High" || f.StatusID != 1 {
		t.Errorf("severity %d %q, status %d: want 4 \"High\", 1", f.SeverityID, f.Severity, f.StatusID)
	}
}

// A severity OCSF does not know is "Unknown" (0), not silently Informational.
func TestSeverityOfUnknown(t *testing.T) {
	if id, name := SeverityOf("SEVERE"); id != 0 || name != "Unknown" {
		t.Errorf("SeverityOf(SEVERE) = %d %q, want 0 \"Unknown\"", id, name)
	}
}
