package compliance

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/trailseal/trailseal/internal/findings"
)

func TestListHasEveryFramework(t *testing.T) {
	want := []string{"cis-1.4", "cis-3.0", "cis-4.0", "cis-5.0", "fsbp", "trailseal-best-practices"}
	got := IDs()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("IDs() = %v, want %v", got, want)
	}
	var listed []string
	for _, fw := range List() {
		listed = append(listed, fw.ID)
	}
	if strings.Join(listed, ",") != strings.Join(got, ",") {
		t.Errorf("IDs() = %v, but the mappings parsed declare %v", got, listed)
	}
	for _, fw := range List() {
		if fw.Title == "" || fw.Version == "" || fw.Source == "" || len(fw.Controls) == 0 {
			t.Errorf("%s: title, version, source and controls are required: %+v", fw.ID, fw)
		}
		seen := map[string]bool{}
		for _, c := range fw.Controls {
			if c.ID == "" || c.Title == "" || len(c.Rules) == 0 {
				t.Errorf("%s: control %q needs an ID, a title and rules", fw.ID, c.ID)
			}
			if seen[c.ID] {
				t.Errorf("%s: control %s listed twice", fw.ID, c.ID)
			}
			seen[c.ID] = true
		}
	}
}

func TestSpecControlNumbers(t *testing.T) {
	// Spot checks of the numbering that docs/rules.md gives per version.
	tests := []struct{ fw, control, rule string }{
		{"cis-1.4", "3.1", "account.multi_region_trail"},
		{"cis-1.4", "3.3", "bucket.public_access"},
		{"cis-1.4", "3.4", "trail.cloudwatch_logs"},
		{"cis-1.4", "3.7", "trail.kms_encryption"},
		{"cis-1.4", "3.10", "trail.s3_data_events_write"},
		{"cis-1.4", "2.1.3", "bucket.mfa_delete"},
		{"cis-3.0", "3.5", "trail.kms_encryption"},
		{"cis-5.0", "3.4", "bucket.access_logging"},
		{"cis-5.0", "3.9", "trail.s3_data_events_read"},
		{"cis-5.0", "2.1.2", "bucket.mfa_delete"},
		{"fsbp", "CloudTrail.6", "bucket.public_access"},
		{"fsbp", "S3.22", "trail.s3_data_events_write"},
		{"fsbp", "Config.1", "config.recorder"},
	}
	for _, tt := range tests {
		fw, err := Load(tt.fw)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, c := range fw.Controls {
			if c.ID == tt.control {
				for _, r := range c.Rules {
					found = found || r == tt.rule
				}
			}
		}
		if !found {
			t.Errorf("%s control %s should map %s", tt.fw, tt.control, tt.rule)
		}
	}
	// v3+ dropped the public bucket and CloudWatch Logs controls.
	fw, _ := Load("cis-5.0")
	for _, c := range fw.Controls {
		for _, r := range c.Rules {
			if r == "bucket.public_access" || r == "trail.cloudwatch_logs" {
				t.Errorf("cis-5.0 control %s maps %s, which CIS v3+ no longer has", c.ID, r)
			}
		}
	}
}

func TestLoadUnknown(t *testing.T) {
	_, err := Load("cis-9.9")
	if err == nil {
		t.Fatal("want error")
	}
	for _, id := range IDs() {
		if !strings.Contains(err.Error(), id) {
			t.Errorf("error %q should name valid id %s", err, id)
		}
	}
	if fw, err := Load("CIS-5.0"); err != nil || fw.ID != "cis-5.0" {
		t.Errorf("Load is case-insensitive: %v %v", fw, err)
	}
}

func f(rule string, st findings.Status, resource string) findings.Finding {
	return findings.Finding{ID: findings.StableID(rule, "111122223333", "us-east-1", resource), RuleID: rule, Status: st,
		Severity: findings.High, Account: "111122223333", Region: "us-east-1", Resource: resource, Message: "observed"}
}

func TestEvaluate(t *testing.T) {
	fw := &Framework{ID: "test", Title: "Test", Version: "1", Controls: []Control{
		{ID: "C1", Title: "fails", Rules: []string{"r.a", "r.b"}},
		{ID: "C2", Title: "passes", Rules: []string{"r.c"}},
		{ID: "C3", Title: "error beats pass", Rules: []string{"r.c", "r.d"}},
		{ID: "C4", Title: "manual", Rules: []string{"r.e"}},
		{ID: "C5", Title: "not applicable", Rules: []string{"r.f"}},
		{ID: "C6", Title: "rule never ran", Rules: []string{"r.c", "r.missing"}},
		{ID: "C7", Title: "suppressed fail only", Rules: []string{"r.g"}},
		{ID: "C8", Title: "pass plus n/a", Rules: []string{"r.c", "r.f"}},
	}}
	sup := f("r.g", findings.Fail, "arn:aws:s3:::g")
	sup.Suppressed = &findings.Suppression{Reason: "accepted", Expires: "2030-01-01"}
	rep := &findings.Report{Findings: []findings.Finding{
		f("r.a", findings.Pass, "arn:aws:s3:::a"),
		f("r.b", findings.Fail, "arn:aws:s3:::b1"),
		f("r.b", findings.Pass, "arn:aws:s3:::b2"),
		f("r.c", findings.Pass, "arn:aws:s3:::c"),
		f("r.d", findings.Error, "arn:aws:s3:::d"),
		f("r.e", findings.Manual, "arn:aws:s3:::e"),
		f("r.f", findings.NA, ""),
		f("r.g", findings.Pass, "arn:aws:s3:::g2"),
		sup,
	}}
	v := Evaluate(fw, rep)
	want := map[string]findings.Status{
		"C1": findings.Fail, "C2": findings.Pass, "C3": findings.Error, "C4": findings.Manual,
		"C5": findings.NA, "C6": findings.Error, "C7": findings.Pass, "C8": findings.Pass,
	}
	for _, c := range v.Controls {
		if c.Status != want[c.ID] {
			t.Errorf("control %s (%s): status %s, want %s", c.ID, c.Title, c.Status, want[c.ID])
		}
	}
	c1 := v.Controls[0]
	if len(c1.Failing) != 1 || c1.Failing[0].Resource != "arn:aws:s3:::b1" || c1.Findings[findings.Pass] != 2 {
		t.Errorf("C1 failing resources = %+v, counts %v", c1.Failing, c1.Findings)
	}
	if c6 := v.Controls[5]; !strings.Contains(c6.Reason, "r.missing") {
		t.Errorf("C6 reason %q should name the rule that did not run", c6.Reason)
	}
	if c7 := v.Controls[6]; len(c7.Suppressed) != 1 || len(c7.Failing) != 0 {
		t.Errorf("C7 should list the suppressed finding apart: %+v", c7)
	}
	if v.Summary[findings.Pass] != 3 || v.Summary[findings.Error] != 2 || v.Summary[findings.Fail] != 1 {
		t.Errorf("summary = %v", v.Summary)
	}
}

func TestWriteView(t *testing.T) {
	fw, err := Load("fsbp")
	if err != nil {
		t.Fatal(err)
	}
	rep := &findings.Report{Findings: []findings.Finding{
		f("trail.kms_encryption", findings.Fail, "arn:aws:cloudtrail:us-east-1:111122223333:trail/main"),
	}}
	v := Evaluate(fw, rep)
	var tbl bytes.Buffer
	if err := WriteView(&tbl, v, "table", false); err != nil {
		t.Fatal(err)
	}
	out := tbl.String()
	for _, s := range []string{"CloudTrail.2", "FAIL", "trail/main", "not evaluated"} {
		if !strings.Contains(out, s) {
			t.Errorf("table output lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour codes without color")
	}
	var js bytes.Buffer
	if err := WriteView(&js, v, "json", false); err != nil {
		t.Fatal(err)
	}
	var back View
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Framework.ID != "fsbp" || len(back.Controls) != len(fw.Controls) || back.Controls[1].Status != findings.Fail {
		t.Errorf("json round trip: %+v", back.Controls[1])
	}
	if err := WriteView(&js, v, "xml", false); err == nil {
		t.Error("want error for unknown format")
	}
}
