package drift

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/rules"
)

// Run is a whole stored run, as Between compares it.
type Run struct {
	ID   int64
	Time time.Time
	// Inventories are the scanned accounts' inventories by account ID;
	// accounts the run could not scan are absent.
	Inventories map[string]*inventory.Inventory
	Findings    []findings.Finding
}

// Diff is what changed from run A to run B, over the accounts both runs
// scanned.
type Diff struct {
	A RunRef `json:"a"`
	B RunRef `json:"b"`
	// Accounts were scanned by both runs; OnlyA and OnlyB by one.
	Accounts []string `json:"accounts"`
	OnlyA    []string `json:"onlyInA,omitempty"`
	OnlyB    []string `json:"onlyInB,omitempty"`
	// NewFailures are FAIL in B and were not FAIL in A (or not reported).
	NewFailures []Transition `json:"newFailures"`
	// Fixed were FAIL in A and are reported, not FAIL, in B.
	Fixed []Transition `json:"fixed"`
	// Vanished were FAIL in A and are not reported in B at all: their
	// resource is gone (see Drift for a removed trail).
	Vanished []Transition `json:"vanished"`
	// Changed moved between statuses other than FAIL, or kept a verdict
	// other than PASS and N/A with different evidence.
	Changed []Transition `json:"changed"`
	// Drift are the drift findings of B compared with A that are not PASS
	// or N/A.
	Drift []findings.Finding `json:"drift"`
}

// RunRef names a run in a Diff.
type RunRef struct {
	ID   int64     `json:"id"`
	Time time.Time `json:"time"`
}

// Transition is one finding in A (Before) and B (After); either may be nil.
type Transition struct {
	Before *findings.Finding `json:"before,omitempty"`
	After  *findings.Finding `json:"after,omitempty"`
}

// Finding returns the newer side of the transition.
func (t Transition) Finding() findings.Finding {
	if t.After != nil {
		return *t.After
	}
	return *t.Before
}

// Between compares run a with the later run b. Drift findings stored in
// either run are left out of the finding categories: Drift holds the drift
// of b against a, computed afresh.
func Between(a, b Run) Diff {
	d := Diff{A: RunRef{a.ID, a.Time}, B: RunRef{b.ID, b.Time}}
	for acct := range a.Inventories {
		if _, ok := b.Inventories[acct]; ok {
			d.Accounts = append(d.Accounts, acct)
		} else {
			d.OnlyA = append(d.OnlyA, acct)
		}
	}
	for acct := range b.Inventories {
		if _, ok := a.Inventories[acct]; !ok {
			d.OnlyB = append(d.OnlyB, acct)
		}
	}
	slices.Sort(d.Accounts)
	slices.Sort(d.OnlyA)
	slices.Sort(d.OnlyB)

	before, after := byID(a.Findings, d.Accounts), byID(b.Findings, d.Accounts)
	for id, fb := range after {
		fa, ok := before[id]
		switch {
		case fb.Status == findings.Fail && (!ok || fa.Status != findings.Fail):
			d.NewFailures = append(d.NewFailures, transition(fa, fb, ok, true))
		case ok && fa.Status == findings.Fail && fb.Status != findings.Fail:
			d.Fixed = append(d.Fixed, transition(fa, fb, true, true))
		case ok && changed(fa, fb):
			d.Changed = append(d.Changed, transition(fa, fb, true, true))
		}
	}
	for id, fa := range before {
		if _, ok := after[id]; !ok && fa.Status == findings.Fail {
			d.Vanished = append(d.Vanished, transition(fa, findings.Finding{}, true, false))
		}
	}
	for _, list := range [][]Transition{d.NewFailures, d.Fixed, d.Vanished, d.Changed} {
		sortTransitions(list)
	}

	for _, acct := range d.Accounts {
		prev := Side{RunID: a.ID, Time: a.Time, Inventory: a.Inventories[acct], Findings: ofAccount(a.Findings, acct)}
		cur := Side{RunID: b.ID, Time: b.Time, Inventory: b.Inventories[acct], Findings: ofAccount(b.Findings, acct)}
		for _, f := range Compare(&prev, cur) {
			if f.Status != findings.Pass && f.Status != findings.NA {
				d.Drift = append(d.Drift, f)
			}
		}
	}
	rules.SortFindings(d.Drift)
	return d
}

// byID indexes the non-drift findings of the given accounts.
func byID(fs []findings.Finding, accounts []string) map[string]findings.Finding {
	out := map[string]findings.Finding{}
	for _, f := range fs {
		if !IsDrift(f.RuleID) && slices.Contains(accounts, f.Account) {
			out[f.ID] = f
		}
	}
	return out
}

func ofAccount(fs []findings.Finding, account string) []findings.Finding {
	var out []findings.Finding
	for _, f := range fs {
		if f.Account == account {
			out = append(out, f)
		}
	}
	return out
}

func transition(a, b findings.Finding, hasA, hasB bool) Transition {
	var t Transition
	if hasA {
		t.Before = &a
	}
	if hasB {
		t.After = &b
	}
	return t
}

// changed decides whether a finding that did not enter or leave FAIL is
// worth showing: its status changed, or it is not passing and what was
// observed changed. Passing checks whose details moved on are not news. What
// was observed is the evidence when both sides have some (time stamps that
// move on every run left out), else the message.
func changed(a, b findings.Finding) bool {
	switch {
	case a.Status != b.Status:
		return true
	case a.Status == findings.Pass || a.Status == findings.NA:
		return false
	case len(a.Evidence) > 0 && len(b.Evidence) > 0:
		return !sameEvidence(a.Evidence, b.Evidence)
	}
	return a.Message != b.Message
}

// volatileEvidence are evidence keys that change on every run without
// anything having changed: when the scan ran, when CloudTrail last
// delivered.
func volatileEvidence(key string) bool {
	return key == "collectedAt" || strings.HasPrefix(key, "latest") && strings.HasSuffix(key, "Time")
}

// sameEvidence compares evidence by its JSON form, so that evidence read
// back from a store (numbers as float64) equals the evidence it was.
func sameEvidence(a, b findings.Evidence) bool {
	strip := func(e findings.Evidence) findings.Evidence {
		out := findings.Evidence{}
		for k, v := range e {
			if !volatileEvidence(k) {
				out[k] = v
			}
		}
		return out
	}
	ja, errA := json.Marshal(strip(a))
	jb, errB := json.Marshal(strip(b))
	return errA == nil && errB == nil && string(ja) == string(jb)
}

func sortTransitions(ts []Transition) {
	fs := make([]findings.Finding, len(ts))
	for i, t := range ts {
		fs[i] = t.Finding()
	}
	order := map[string]int{}
	sorted := slices.Clone(fs)
	rules.SortFindings(sorted)
	for i, f := range sorted {
		order[f.ID] = i
	}
	sort.SliceStable(ts, func(i, j int) bool { return order[ts[i].Finding().ID] < order[ts[j].Finding().ID] })
}
