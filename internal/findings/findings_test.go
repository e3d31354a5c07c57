package findings

import "testing"

func TestStableID(t *testing.T) {
	a := StableID("bucket.object_lock", "111122223333", "us-east-1", "arn:aws:s3:::b")
	if a != StableID("bucket.object_lock", "111122223333", "us-east-1", "arn:aws:s3:::b") {
		t.Fatal("same finding, different ID")
	}
	for _, other := range []string{
		StableID("bucket.versioning", "111122223333", "us-east-1", "arn:aws:s3:::b"),
		StableID("bucket.object_lock", "444455556666", "us-east-1", "arn:aws:s3:::b"),
		StableID("bucket.object_lock", "111122223333", "us-east-1", "arn:aws:s3:::c"),
		// the separator keeps field boundaries: "a"+"bc" differs from "ab"+"c"
		StableID("bucket.object_lock", "111122223333", "us-east-1a", "rn:aws:s3:::b"),
	} {
		if other == a {
			t.Fatalf("different findings share ID %s", a)
		}
	}
}

func TestFailingHonoursThresholdAndSuppression(t *testing.T) {
	rep := &Report{Findings: []Finding{
		{RuleID: "a", Status: Fail, Severity: Critical},
		{RuleID: "b", Status: Fail, Severity: Low},
		{RuleID: "c", Status: Fail, Severity: High, Suppressed: &Suppression{Reason: "accepted"}},
		{RuleID: "d", Status: Error, Severity: Critical},
		{RuleID: "e", Status: Pass, Severity: Critical},
	}}
	if got := rep.Failing(High); len(got) != 1 || got[0].RuleID != "a" {
		t.Fatalf("Failing(high) = %+v", got)
	}
	if got := rep.Failing(Low); len(got) != 2 {
		t.Fatalf("Failing(low) = %+v", got)
	}
	if c := rep.Counts(); c[Fail] != 3 || c[Error] != 1 || c[Pass] != 1 {
		t.Fatalf("Counts = %v", c)
	}
}

func TestParseSeverity(t *testing.T) {
	if s, err := ParseSeverity(" HIGH "); err != nil || s != High {
		t.Fatalf("ParseSeverity = %q, %v", s, err)
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Fatal("unknown severity accepted")
	}
}
