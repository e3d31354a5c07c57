package fix

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// JournalVersion is the format version of journal files.
const JournalVersion = 1

// Entry statuses.
const (
	Applied = "applied"
	Failed  = "failed"
	Skipped = "skipped"
	// InProgress is only ever seen in the journal of a run that died
	// during a step: the step's Changes say how far it got.
	InProgress = "in progress"
)

// Journal records what an --apply run changed, with the values it replaced,
// so that --undo can put them back. It is rewritten after every step: a run
// that dies halfway still leaves an exact record.
type Journal struct {
	Version   int       `json:"version"`
	Tool      string    `json:"tool"`
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
	// Previous is the state before the change, in a shape that depends on
	// the step kind.
	Previous json.RawMessage `json:"previous,omitempty"`
	// Outputs are identifiers the step created (keyArn, logGroupArn, roleArn).
	Outputs map[string]string `json:"outputs,omitempty"`
	// Changes are the write calls of a step made of several calls, each
	// recorded as soon as it succeeded. For a step that failed halfway they
	// are the only record of what it left behind.
	Changes []Change  `json:"changes,omitempty"`
	At      time.Time `json:"at"`
}

// Partial reports whether the step did not complete but changed something.
func (e Entry) Partial() bool { return e.Status != Applied && len(e.Changes) > 0 }

// Change is one completed write call of a multi-call step.
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
}

// Undoable returns, in journal order, the entries --undo has something to
// say about: applied steps, and failed or interrupted steps that changed
// something before they stopped.
func (j *Journal) Undoable() []Entry {
	var out []Entry
	for _, e := range j.Entries {
		if e.Status == Applied || e.Partial() {
			out = append(out, e)
		}
	}
	return out
}

// NewJournal starts a journal that will be written to path.
func NewJournal(path, account string) *Journal {
	return &Journal{Version: JournalVersion, Tool: "trailseal", Account: account, StartedAt: time.Now().UTC(), path: path}
}

// Path is where the journal is written.
func (j *Journal) Path() string { return j.path }

// DefaultJournalPath is a new file name under the user's state directory
// ($XDG_STATE_HOME/trailseal, else the user config directory).
func DefaultJournalPath(now time.Time) (string, error) {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		d, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("no directory for the journal (%v): pass --journal FILE", err)
		}
		dir = d
	}
	base := filepath.Join(dir, "trailseal", "journal-"+now.UTC().Format("20060102T150405Z"))
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

// LoadJournal reads a journal written by an --apply run.
func LoadJournal(path string) (*Journal, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	var j Journal
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("journal %s is not valid JSON: %v", path, err)
	}
	if j.Version != JournalVersion || j.Tool != "trailseal" {
		return nil, fmt.Errorf("%s is not a trailseal journal of version %d", path, JournalVersion)
	}
	j.path = path
	return &j, nil
}
