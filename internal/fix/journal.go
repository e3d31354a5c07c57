package fix

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// SchemaVersion is the format of the journals this build writes. Version
// 1 (written until typed step kinds) is read and upgraded on load; see
// journal_v1.go.
const SchemaVersion = 2

// Entry statuses.
const (
	Applied = "applied"
	Failed  = "failed"
	Skipped = "skipped"
	// InProgress is only ever seen in the journal of a run that died
	// during a step, or whose call in flight could not be read back: the
	// next 'fix' or 'fix --undo' settles it by reading the resources.
	InProgress = "in progress"
)

// Journal records what an --apply run changed, with the values it replaced,
// so that --undo can put them back. It is rewritten before and after every
// write call: a run that dies at any point still leaves an exact record,
// and an undo records what it reverted so that a second undo does nothing.
//
// The journal holds trailseal's own types only, never SDK types, so that
// an SDK upgrade cannot make an old journal unreadable.
type Journal struct {
	SchemaVersion int    `json:"schemaVersion"`
	Tool          string `json:"tool"`
	// Run identifies the apply run; it is the value of the trailseal:run
	// tag on every resource the run creates.
	Run       string    `json:"run"`
	Account   string    `json:"account"`
	StartedAt time.Time `json:"startedAt"`
	Entries   []Entry   `json:"entries"`

	path string
}

// Entry is the outcome of one step.
type Entry struct {
	Step   Step   `json:"step"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	// Note says how the status was established when that is not plain:
	// read back after an interruption.
	Note string `json:"note,omitempty"`
	// Previous is the state before the change, in the shape of the step's
	// kind. It is recorded before the write.
	Previous json.RawMessage `json:"previous,omitempty"`
	// Left is the state fix set, in the same shape: undo reverts only
	// while the resource is still so.
	Left json.RawMessage `json:"left,omitempty"`
	// Outputs are identifiers the step created (keyArn, logGroupArn,
	// roleArn), each recorded as soon as the API returned it.
	Outputs map[string]string `json:"outputs,omitempty"`
	// Changes are the write calls of a step made of several calls, each
	// recorded before it is made and confirmed when it succeeded. For a
	// step that failed halfway they are the only record of what it left
	// behind.
	Changes []Change  `json:"changes,omitempty"`
	At      time.Time `json:"at"`
	// Undone is set once an undo reverted the step, or found it cannot be.
	Undone *UndoRecord `json:"undone,omitempty"`
}

// Partial reports whether the step did not complete but changed something.
func (e Entry) Partial() bool { return e.Status != Applied && len(e.madeChanges()) > 0 }

func (e Entry) madeChanges() []Change {
	var out []Change
	for _, c := range e.Changes {
		if !c.Pending {
			out = append(out, c)
		}
	}
	return out
}

// Change is one write call of a multi-call step.
type Change struct {
	// Call is the API call, "service:Operation".
	Call     string `json:"call"`
	Resource string `json:"resource"`
	// Summary says what changed, for people: "created role X".
	Summary string `json:"summary"`
	// Previous is what the call replaced, in a shape that depends on Call.
	Previous json.RawMessage `json:"previous,omitempty"`
	// Reversible is false when --undo cannot take the change back;
	// NotReversible then says why and what to do instead.
	Reversible    bool   `json:"reversible"`
	NotReversible string `json:"notReversible,omitempty"`
	// Pending is true from just before the call until it succeeded: a
	// pending change in a journal is a call whose outcome is unknown.
	Pending bool `json:"pending,omitempty"`
	// Undone is set once an undo reverted the call, or found it cannot be.
	Undone *UndoRecord `json:"undone,omitempty"`
}

// UndoRecord is what an undo did with an entry or change.
type UndoRecord struct {
	At     time.Time `json:"at"`
	Status string    `json:"status"`
	Detail string    `json:"detail"`
	Forced bool      `json:"forced,omitempty"`
}

// Undoable returns, in journal order, the entries --undo has something to
// say about: applied steps, and failed or interrupted steps that changed
// something before they stopped, unless an earlier undo already dealt with
// them.
func (j *Journal) Undoable() []Entry {
	var out []Entry
	for _, e := range j.Entries {
		if e.Status == Applied && e.Undone == nil || e.Partial() && !allUndone(e.madeChanges()) {
			out = append(out, e)
		}
	}
	return out
}

// Undone returns the entries an earlier undo reverted or reported as
// irreversible.
func (j *Journal) Undone() []Entry {
	var out []Entry
	for _, e := range j.Entries {
		if e.Undone != nil || e.Partial() && allUndone(e.madeChanges()) {
			out = append(out, e)
		}
	}
	return out
}

func allUndone(cs []Change) bool {
	for _, c := range cs {
		if c.Undone == nil {
			return false
		}
	}
	return true
}

// Unsettled returns the entries whose outcome is unknown.
func (j *Journal) Unsettled() []Entry {
	var out []Entry
	for _, e := range j.Entries {
		if e.Status == InProgress {
			out = append(out, e)
		}
	}
	return out
}

// NewJournal starts a journal that will be written to path.
func NewJournal(path, account string) *Journal {
	b := make([]byte, 8)
	rand.Read(b)
	run := time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
	return &Journal{SchemaVersion: SchemaVersion, Tool: "trailseal", Run: run, Account: account, StartedAt: time.Now().UTC(), path: path}
}

// Path is where the journal is written.
func (j *Journal) Path() string { return j.path }

// JournalDir is the directory default journals are written to
// ($XDG_STATE_HOME/trailseal, else trailseal under the user config
// directory).
func JournalDir() (string, error) {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		d, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("no directory for the journal (%v): pass --journal FILE", err)
		}
		dir = d
	}
	return filepath.Join(dir, "trailseal"), nil
}

// DefaultJournalPath is a new file name in JournalDir.
func DefaultJournalPath(now time.Time) (string, error) {
	dir, err := JournalDir()
	if err != nil {
		return "", err
	}
	base := filepath.Join(dir, "journal-"+now.UTC().Format("20060102T150405Z"))
	// Two applies in the same second must not share a journal: the second
	// would overwrite what the first recorded for --undo.
	path := base + ".json"
	for n := 2; ; n++ {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return path, nil
		}
		path = fmt.Sprintf("%s-%d.json", base, n)
	}
}

// FindJournals returns the journal files in dir, oldest first. A missing
// directory holds none.
func FindJournals(dir string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "journal-*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	return paths, nil
}

// Save writes the journal atomically.
func (j *Journal) Save() error {
	if err := os.MkdirAll(filepath.Dir(j.path), 0o700); err != nil {
		return fmt.Errorf("journal directory: %w", err)
	}
	data, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	tmp := j.path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("write journal: %w", err)
	}
	if err := os.Rename(tmp, j.path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write journal: %w", err)
	}
	return nil
}

// LoadJournal reads a journal written by an --apply run of this or an
// earlier version.
func LoadJournal(path string) (*Journal, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	var head struct {
		SchemaVersion int    `json:"schemaVersion"`
		Version       int    `json:"version"`
		Tool          string `json:"tool"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("journal %s is not valid JSON: %v", path, oneLineErr(err))
	}
	var j *Journal
	switch {
	case head.Tool != "trailseal":
		return nil, fmt.Errorf("%s is not a trailseal journal", path)
	case head.SchemaVersion == SchemaVersion:
		j = &Journal{}
		err = json.Unmarshal(data, j)
	case head.SchemaVersion == 0 && head.Version == 1:
		j, err = upgradeV1(data)
	default:
		return nil, fmt.Errorf("%s is not a trailseal journal of version 1 to %d (it says %d): use the trailseal that wrote it",
			path, SchemaVersion, max(head.SchemaVersion, head.Version))
	}
	if err != nil {
		return nil, fmt.Errorf("journal %s cannot be read: %v", path, oneLineErr(err))
	}
	j.path = path
	return j, nil
}

func oneLineErr(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }

// journalError is a journal that could not be written: the run must stop,
// since a change it made next would have no record.
type journalError struct{ err error }

func (e *journalError) Error() string { return e.err.Error() }
func (e *journalError) Unwrap() error { return e.err }
