package orgscan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/trailseal/trailseal/internal/inventory"
)

// ErrState marks a resume state file that cannot be used for this scan. The
// CLI maps it to a usage error.
var ErrState = errors.New("unusable resume state")

// stateVersion is bumped when the state file format changes meaning.
const stateVersion = 1

// The state file is JSON lines: a header naming the scan, then one record
// per finished account, appended and synced as each account finishes. An
// append costs one account's inventory however large the organization,
// and a crash can at worst leave a torn last line, which Load ignores.
type stateHeader struct {
	Kind           string    `json:"kind"` // "header"
	Version        int       `json:"version"`
	OrganizationID string    `json:"organizationId"`
	RoleName       string    `json:"roleName"`
	Regions        []string  `json:"regions"`
	StartedAt      time.Time `json:"startedAt"`
}

// AccountResult is the outcome of one account: its inventory, or why it
// could not be scanned.
type AccountResult struct {
	Account   Account              `json:"account"`
	Inventory *inventory.Inventory `json:"inventory,omitempty"`
	// AccessError is set when no inventory could be collected: the role
	// could not be assumed, or its credentials did not work.
	AccessError *inventory.CallError `json:"accessError,omitempty"`
	// RoleARN is the role that was (or could not be) assumed; empty for
	// the caller's own account.
	RoleARN    string        `json:"roleArn,omitempty"`
	FinishedAt time.Time     `json:"finishedAt"`
	Duration   time.Duration `json:"durationNs"`
	// Resumed is true when the result was read back from the state file.
	Resumed bool `json:"-"`
}

type stateRecord struct {
	Kind string `json:"kind"` // "account"
	AccountResult
}

// stateFile appends finished accounts to a resume state file.
type stateFile struct {
	mu sync.Mutex
	f  *os.File
}

// openState opens (or creates) the state file at path for the scan that
// header describes, and returns the accounts it already holds. A file
// written for another organization, role or region list is refused rather
// than silently mixed in.
func openState(path string, header stateHeader) (*stateFile, map[string]AccountResult, error) {
	done := map[string]AccountResult{}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist) || (err == nil && len(bytes.TrimSpace(data)) == 0):
		f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrState, err)
		}
		header.Kind, header.Version = "header", stateVersion
		line, _ := json.Marshal(header)
		if _, err := f.Write(append(line, '\n')); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("write resume state %s: %w", path, err)
		}
		return &stateFile{f: f}, done, f.Sync()
	case err != nil:
		return nil, nil, fmt.Errorf("%w: %v", ErrState, err)
	}

	good, err := readState(data, header, done)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %v", ErrState, path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrState, err)
	}
	// Drop a torn last line so the next record starts on a line of its own.
	if err := f.Truncate(int64(good)); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%w: %v", ErrState, err)
	}
	if _, err := f.Seek(int64(good), io.SeekStart); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%w: %v", ErrState, err)
	}
	return &stateFile{f: f}, done, nil
}

// readState parses state data into done and returns the length of the
// prefix made of complete, valid lines.
func readState(data []byte, want stateHeader, done map[string]AccountResult) (int, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 1<<20), 1<<30)
	good := 0
	first := true
	for sc.Scan() {
		line := sc.Bytes()
		complete := good+len(line) < len(data) // a newline follows
		if first {
			var h stateHeader
			if err := json.Unmarshal(line, &h); err != nil || h.Kind != "header" {
				return 0, errors.New("not a trailseal org scan state file (no header line)")
			}
			if h.Version != stateVersion {
				return 0, fmt.Errorf("state format version %d, this build reads version %d", h.Version, stateVersion)
			}
			if h.OrganizationID != want.OrganizationID || h.RoleName != want.RoleName || !slices.Equal(h.Regions, want.Regions) {
				return 0, fmt.Errorf("it was written for organization %s, role %s, regions %v, not this scan (organization %s, role %s, regions %v): use another --resume file",
					h.OrganizationID, h.RoleName, regionsLabel(h.Regions), want.OrganizationID, want.RoleName, regionsLabel(want.Regions))
			}
			first = false
			good += len(line) + 1
			continue
		}
		var rec stateRecord
		if !complete || json.Unmarshal(line, &rec) != nil || rec.Kind != "account" || rec.Account.ID == "" {
			// Only the last line can be torn by a crash; anything after it
			// would be ours too, so stop here.
			break
		}
		good += len(line) + 1
		// A record must carry evidence: the account's own inventory, or
		// why there is none. Anything else would report the account as
		// finished with nothing found, so it is scanned again instead.
		if (rec.Inventory == nil) == (rec.AccessError == nil) ||
			(rec.Inventory != nil && rec.Inventory.Account.ID != rec.Account.ID) {
			continue
		}
		rec.Resumed = true
		done[rec.Account.ID] = rec.AccountResult
	}
	if first {
		return 0, errors.New("not a trailseal org scan state file (no header line)")
	}
	return good, nil
}

func regionsLabel(r []string) any {
	if len(r) == 0 {
		return "(enabled regions)"
	}
	return r
}

// append records one finished account and syncs it to disk before
// returning, so an interruption right after cannot lose it.
func (s *stateFile) append(res AccountResult) error {
	line, err := json.Marshal(stateRecord{Kind: "account", AccountResult: res})
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("write resume state: %w", err)
	}
	return s.f.Sync()
}

func (s *stateFile) close() error { return s.f.Close() }
