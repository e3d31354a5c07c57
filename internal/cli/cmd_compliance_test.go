package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestRunComplianceList(t *testing.T) {
	var buf bytes.Buffer
	if err := runComplianceList(&buf, "table"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"cis-1.4", "cis-3.0", "cis-4.0", "cis-5.0", "fsbp", "trailseal-best-practices"} {
		if !strings.Contains(buf.String(), id) {
			t.Errorf("table lacks %s:\n%s", id, buf.String())
		}
	}
	buf.Reset()
	if err := runComplianceList(&buf, "json"); err != nil {
		t.Fatal(err)
	}
	var fws []struct {
		ID       string `json:"id"`
		Controls []any  `json:"controls"`
	}
	if err := json.Unmarshal(buf.Bytes(), &fws); err != nil || len(fws) != 6 || len(fws[0].Controls) == 0 {
		t.Fatalf("json: %v %+v", err, fws)
	}
	if err := runComplianceList(&buf, "yaml"); exitCode(err) != ExitUsage {
		t.Errorf("bad --format: exit %d, want %d", exitCode(err), ExitUsage)
	}
}
