package orgscan

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailseal/trailseal/internal/inventory"
)

func testHeader() stateHeader {
	return stateHeader{OrganizationID: "o-abc", RoleName: "Audit", Regions: []string{"us-east-1"}}
}

func TestStateRoundTripAndTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.jsonl")
	s, done, err := openState(path, testHeader())
	if err != nil || len(done) != 0 {
		t.Fatalf("new state: %v, %d accounts", err, len(done))
	}
	inv := &inventory.Inventory{SchemaVersion: inventory.SchemaVersion, Account: inventory.Account{ID: "111111111111"}}
	must(t, s.append(AccountResult{Account: Account{ID: "111111111111", Name: "one"}, Inventory: inv}))
	must(t, s.append(AccountResult{Account: Account{ID: "222222222222"}, AccessError: &inventory.CallError{Call: "sts:AssumeRole", Code: "AccessDenied"}}))
	must(t, s.close())

	// A crash in the middle of the third record leaves a torn line.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	must(t, err)
	_, err = f.WriteString(`{"kind":"account","account":{"id":"3333`)
	must(t, err)
	must(t, f.Close())

	s, done, err = openState(path, testHeader())
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if len(done) != 2 || done["111111111111"].Inventory == nil || done["222222222222"].AccessError.Code != "AccessDenied" {
		t.Fatalf("reopened state holds %+v, want both finished accounts", done)
	}
	if !done["111111111111"].Resumed {
		t.Error("records read back are not marked Resumed")
	}
	// The next record must start on its own line, replacing the torn one.
	must(t, s.append(AccountResult{Account: Account{ID: "333333333333"}, AccessError: &inventory.CallError{Call: "sts:AssumeRole", Code: "AccessDenied"}}))
	must(t, s.close())
	_, done, err = openState(path, testHeader())
	if err != nil || len(done) != 3 {
		t.Fatalf("after appending past a torn line: %v, %d accounts, want 3", err, len(done))
	}
}

func TestStateRefusesAnotherScan(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.jsonl")
	s, _, err := openState(path, testHeader())
	must(t, err)
	must(t, s.close())
	for name, h := range map[string]stateHeader{
		"organization": {OrganizationID: "o-other", RoleName: "Audit", Regions: []string{"us-east-1"}},
		"role":         {OrganizationID: "o-abc", RoleName: "Other", Regions: []string{"us-east-1"}},
		"regions":      {OrganizationID: "o-abc", RoleName: "Audit", Regions: []string{"eu-west-1"}},
	} {
		if _, _, err := openState(path, h); !errors.Is(err, ErrState) || !strings.Contains(err.Error(), "use another --resume file") {
			t.Errorf("other %s: err = %v, want ErrState asking for another file", name, err)
		}
	}
	junk := filepath.Join(t.TempDir(), "junk.json")
	must(t, os.WriteFile(junk, []byte(`{"schemaVersion":1}`+"\n"), 0o600))
	if _, _, err := openState(junk, testHeader()); !errors.Is(err, ErrState) {
		t.Errorf("a file that is not a state file: err = %v, want ErrState", err)
	}
}

func TestSelect(t *testing.T) {
	all := []Account{{ID: "111111111111"}, {ID: "222222222222"}, {ID: "333333333333"}}
	ids := func(as []Account) string {
		var out []string
		for _, a := range as {
			out = append(out, a.ID[:1])
		}
		return strings.Join(out, ",")
	}
	cases := []struct {
		name             string
		include, exclude []string
		want, unknown    string
	}{
		{"everything", nil, nil, "1,2,3", ""},
		{"exclude one", nil, []string{"222222222222"}, "1,3", ""},
		{"include two", []string{"333333333333", "111111111111"}, nil, "1,3", ""},
		{"include and exclude", []string{"111111111111", "222222222222"}, []string{"111111111111"}, "2", ""},
		{"unknown requested", []string{"999999999999", "222222222222"}, nil, "2", "999999999999"},
	}
	for _, c := range cases {
		got, unknown := Select(all, c.include, c.exclude)
		if ids(got) != c.want || strings.Join(unknown, ",") != c.unknown {
			t.Errorf("%s: selected %s unknown %v, want %s unknown %s", c.name, ids(got), unknown, c.want, c.unknown)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestStateIgnoresRecordsWithoutEvidence: a record that holds neither an
// inventory nor the reason there is none, or an inventory of another
// account, proves nothing about the account; resuming from it would report
// the account as done with no findings at all.
func TestStateIgnoresRecordsWithoutEvidence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.jsonl")
	s, _, err := openState(path, testHeader())
	must(t, err)
	must(t, s.close())
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	must(t, err)
	_, err = f.WriteString(`{"kind":"account","account":{"id":"111111111111"}}` + "\n" +
		`{"kind":"account","account":{"id":"222222222222"},"inventory":{"account":{"id":"999999999999"}}}` + "\n" +
		`{"kind":"account","account":{"id":"333333333333"},"inventory":{"account":{"id":"333333333333"}}}` + "\n")
	must(t, err)
	must(t, f.Close())

	s, done, err := openState(path, testHeader())
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if _, ok := done["111111111111"]; ok {
		t.Error("an account with no inventory and no access error was taken as finished")
	}
	if _, ok := done["222222222222"]; ok {
		t.Error("an account holding another account's inventory was taken as finished")
	}
	if r, ok := done["333333333333"]; !ok || r.Inventory == nil {
		t.Error("a valid record after invalid ones was lost")
	}
}
