package detection

import (
	"slices"
	"testing"
)

func TestEventNames(t *testing.T) {
	all, mgmt := EventNames(false), EventNames(true)
	for _, data := range []string{"DeleteObject", "DeleteObjects", "PutObjectRetention"} {
		if !slices.Contains(all, data) || slices.Contains(mgmt, data) {
			t.Errorf("%s: in all %v, in management %v", data, slices.Contains(all, data), slices.Contains(mgmt, data))
		}
	}
	// PutObjectLockConfiguration shares a detection with a data event but
	// is a management event: event history has it.
	if !slices.Contains(mgmt, "PutObjectLockConfiguration") || !slices.IsSorted(all) || len(all) != len(mgmt)+3 {
		t.Errorf("management names %v", mgmt)
	}
}

func TestLookup(t *testing.T) {
	if d, ok := Lookup("hunt.trail_logging_stopped"); !ok || d.Title == "" {
		t.Fatal("hunt.trail_logging_stopped not found")
	}
	if _, ok := Lookup("hunt.nope"); ok {
		t.Fatal("unknown ID found")
	}
}

func TestActorNames(t *testing.T) {
	for _, tc := range []struct {
		a         Actor
		name, key string
	}{
		{Actor{Type: "IAMUser", ARN: "arn:aws:iam::1:user/alice"}, "user/alice", "arn:aws:iam::1:user/alice"},
		{Actor{Type: "AssumedRole", ARN: "arn:aws:sts::1:assumed-role/Ops/bob", SessionName: "bob", SessionIssuer: "arn:aws:iam::1:role/Ops"},
			"role/Ops (session bob)", "arn:aws:sts::1:assumed-role/Ops/bob"},
		{Actor{Type: "Root", ARN: "arn:aws:iam::1:root", AccountID: "1"}, "root (account 1)", "arn:aws:iam::1:root"},
		{Actor{Type: "AWSService", InvokedBy: "cloudformation.amazonaws.com"}, "service cloudformation.amazonaws.com", "cloudformation.amazonaws.com"},
		{Actor{}, "unknown", "unknown"},
	} {
		if got := tc.a.Name(); got != tc.name {
			t.Errorf("Name() = %q, want %q", got, tc.name)
		}
		if got := tc.a.Key(); got != tc.key {
			t.Errorf("Key() = %q, want %q", got, tc.key)
		}
	}
}
