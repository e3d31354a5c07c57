package orgscan

import (
	"os"
	"path/filepath"
	"testing"
)

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
