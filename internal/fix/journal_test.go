package fix

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDefaultJournalPathUsesStateDir(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_STATE_HOME", dir)
	p, err := DefaultJournalPath(time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "trailseal", "journal-20250304T050607Z.json"); p != want {
		t.Errorf("path %s, want %s", p, want)
	}
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("HOME", dir)
	p, err = DefaultJournalPath(time.Now())
	if err != nil || !strings.HasPrefix(p, dir) || !strings.Contains(p, "trailseal") {
		t.Errorf("fallback path %s, %v", p, err)
	}
}

func TestJournalRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "j.json")
	j := NewJournal(path, "111122223333")
	j.Entries = append(j.Entries, Entry{Step: Step{ID: "bucket.versioning:logs", Kind: KindBucketVersion, Reversible: true, Params: &VersioningParams{Bucket: "logs"}},
		Status: Applied, Previous: marshal(versioningState{Status: ""}), At: time.Now().UTC()})
	if err := j.Save(); err != nil {
		t.Fatal(err)
	}
	got, err := LoadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Account != j.Account || len(got.Entries) != 1 || got.Entries[0].Step.ID != "bucket.versioning:logs" || !sameJSON(string(got.Entries[0].Previous), `{"status":""}`) {
		t.Errorf("round trip: %+v", got)
	}
	if _, err := LoadJournal(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("a missing journal must be an error")
	}
}

func TestDefaultJournalPathNeverReusesAFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_STATE_HOME", dir)
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	first, err := DefaultJournalPath(now)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(first), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(first, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	second, err := DefaultJournalPath(now)
	if err != nil {
		t.Fatal(err)
	}
	if second == first || !strings.HasSuffix(second, "journal-20250304T050607Z-2.json") {
		t.Fatalf("second apply in the same second got %s (first %s)", second, first)
	}
}

func TestUndoableIncludesPartialSteps(t *testing.T) {
	created := []Change{{Call: "iam:CreateRole", Summary: "created role r", Reversible: true}}
	for _, tc := range []struct {
		name string
		e    Entry
		want bool
	}{
		{"applied", Entry{Status: Applied}, true},
		{"failed halfway", Entry{Status: Failed, Changes: created}, true},
		{"interrupted halfway", Entry{Status: InProgress, Changes: created}, true},
		{"failed before changing anything", Entry{Status: Failed}, false},
		{"skipped", Entry{Status: Skipped}, false},
	} {
		j := &Journal{Entries: []Entry{tc.e}}
		if got := len(j.Undoable()) == 1; got != tc.want {
			t.Errorf("%s: undoable %t, want %t", tc.name, got, tc.want)
		}
	}
}

func TestPartialErrorSaysWhatChangedAndWhatFailed(t *testing.T) {
	denied := errors.New("AccessDenied: no")
	for _, tc := range []struct {
		changes []Change
		err     error
		want    string
	}{
		{[]Change{{Summary: "created key k"}}, failedCall("kms:CreateAlias", denied),
			"partially applied: created key k was changed, kms:CreateAlias failed: AccessDenied: no"},
		{[]Change{{Summary: "created key k"}, {Summary: "created alias a"}}, failedCall("kms:EnableKeyRotation", denied),
			"partially applied: created key k and created alias a were changed, kms:EnableKeyRotation failed: AccessDenied: no"},
		{[]Change{{Summary: "created role r"}}, denied,
			"partially applied: created role r was changed, the rest of the step failed: AccessDenied: no"},
	} {
		if got := partialError(tc.changes, tc.err); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}
