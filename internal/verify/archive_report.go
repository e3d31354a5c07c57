package verify

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

// ArchiveKind marks the JSON report of an archive run (many chains), as
// opposed to a one-account Report.
const ArchiveKind = "archive"

// ArchiveReport is the result of verifying every chain (account and source
// region) of a trail's archive, or of one shard of them. It holds a
// summary per chain and per account and the problems; valid objects are
// only counted (listed with ListValidLogs), so its size grows with the
// problems found, not with the archive.
type ArchiveReport struct {
	SchemaVersion int     `json:"schemaVersion"`
	Kind          string  `json:"kind"`
	Tool          string  `json:"tool,omitempty"`
	Version       string  `json:"version,omitempty"`
	Outcome       Outcome `json:"outcome"`
	Trail         string  `json:"trail"`
	Bucket        string  `json:"bucket"`
	Prefix        string  `json:"prefix,omitempty"`
	// Organization is the organization ID of an organization trail's
	// layout (AWSLogs/<o-id>/<account>/).
	Organization string    `json:"organization,omitempty"`
	FromDir      string    `json:"fromDir,omitempty"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	// AccountsSource says where the list of accounts came from:
	// organizations:ListAccounts, the bucket's account folders, --account-id
	// or the trail's own account; AccountsNote why a fallback was used.
	AccountsSource string `json:"accountsSource"`
	AccountsNote   string `json:"accountsNote,omitempty"`
	// Shard is set on the report of one shard of a sharded run.
	Shard *Shard `json:"shard,omitempty"`
	// State says what --state did, when it was given.
	State *StateSummary `json:"state,omitempty"`
	// Totals adds up every chain.
	Totals   Counts           `json:"totals"`
	Accounts []AccountSummary `json:"accounts"`
	Skipped  []SkippedAccount `json:"skippedAccounts,omitempty"`
	Chains   []ChainSummary   `json:"chains"`
	Problems []Item           `json:"problems"`
	Gaps     []Gap            `json:"gaps"`
	Earlier  []Location       `json:"earlierLocations,omitempty"`
	// Valid lists every valid digest and log file (ListValidLogs only).
	Valid []Item `json:"valid,omitempty"`
}

// Counts adds up results, as RegionSummary counts them.
type Counts struct {
	DigestsValid      int   `json:"digestsValid"`
	DigestsInvalid    int   `json:"digestsInvalid"`
	DigestsMissing    int   `json:"digestsMissing"`
	DigestsUnverified int   `json:"digestsUnverified"`
	LogsValid         int   `json:"logsValid"`
	LogsInvalid       int   `json:"logsInvalid"`
	LogsMissing       int   `json:"logsMissing"`
	LogsUnverified    int   `json:"logsUnverified"`
	LogsUnreferenced  int   `json:"logsUnreferenced"`
	LogsNotCovered    int   `json:"logsNotCovered"`
	Manual            int   `json:"manual"`
	Gaps              int   `json:"gaps"`
	UncompressedBytes int64 `json:"uncompressedBytes"`
}

func (c *Counts) addRegion(s RegionSummary) {
	c.DigestsValid += s.DigestsValid
	c.DigestsInvalid += s.DigestsInvalid
	c.DigestsMissing += s.DigestsMissing
	c.DigestsUnverified += s.DigestsUnverified
	c.LogsValid += s.LogsValid
	c.LogsInvalid += s.LogsInvalid
	c.LogsMissing += s.LogsMissing
	c.LogsUnverified += s.LogsUnverified
	c.LogsUnreferenced += s.LogsUnreferenced
	c.LogsNotCovered += s.LogsNotCovered
	c.Manual += s.Manual
	c.Gaps += s.Gaps
	c.UncompressedBytes += s.UncompressedBytes
}

// Add adds o's counts to c.
func (c *Counts) Add(o Counts) {
	c.addRegion(RegionSummary{DigestsValid: o.DigestsValid, DigestsInvalid: o.DigestsInvalid, DigestsMissing: o.DigestsMissing,
		DigestsUnverified: o.DigestsUnverified, LogsValid: o.LogsValid, LogsInvalid: o.LogsInvalid, LogsMissing: o.LogsMissing,
		LogsUnverified: o.LogsUnverified, LogsUnreferenced: o.LogsUnreferenced, LogsNotCovered: o.LogsNotCovered, Manual: o.Manual,
		Gaps: o.Gaps, UncompressedBytes: o.UncompressedBytes})
}

// Tampered counts what proves tampering or deletion.
func (c Counts) Tampered() int {
	return c.DigestsInvalid + c.DigestsMissing + c.LogsInvalid + c.LogsMissing + c.LogsUnreferenced
}

// Unreadable counts what could not be checked.
func (c Counts) Unreadable() int { return c.DigestsUnverified + c.LogsUnverified + c.Manual }

// ChainSummary is the result of one chain.
type ChainSummary struct {
	Account string  `json:"account"`
	Region  string  `json:"region"`
	Outcome Outcome `json:"outcome"`
	// Expected says why the region must have digests; empty for a region
	// verified because it has folders.
	Expected string `json:"expected,omitempty"`
	Counts
	CoveredFrom time.Time `json:"coveredFrom,omitzero"`
	CoveredTo   time.Time `json:"coveredTo,omitzero"`
	// Locations are the per-location summaries of a chain followed into
	// the bucket or prefix the trail was moved from.
	Locations   []RegionSummary `json:"locations,omitempty"`
	Incremental *Incremental    `json:"incremental,omitempty"`
}

// Incremental says how a run with --state verified a chain.
type Incremental struct {
	// Mode: "since checkpoint" (only newer digests read), "again from DAY"
	// (a day folder verified before changed: everything from that day
	// verified again), or "in full" (no usable state for the chain).
	Mode string `json:"mode"`
	// Checkpoint is the digest the state recorded for the chain.
	Checkpoint string `json:"checkpoint,omitempty"`
	// ChangedDays are the day folders whose listing changed since.
	ChangedDays []string `json:"changedDays,omitempty"`
	// Advanced tells whether the state now records this run's progress;
	// Why says why not.
	Advanced bool   `json:"advanced"`
	Why      string `json:"why,omitempty"`
}

// Incremental modes.
const (
	ModeSinceCheckpoint = "since checkpoint"
	ModeInFull          = "in full"
)

// AccountSummary adds up one account's chains.
type AccountSummary struct {
	Account string `json:"account"`
	// Source: "organization" (organizations:ListAccounts), "folder" (an
	// account folder in the bucket), "both", "--account-id" or "trail".
	Source string `json:"source"`
	// Note says more: an organization account without folders, a folder
	// of an account that is not in the organization now.
	Note    string   `json:"note,omitempty"`
	Outcome Outcome  `json:"outcome"`
	Regions []string `json:"regions"`
	Counts
	Problems int `json:"problems"`
}

// SkippedAccount is an account of the organization not verified, and why.
type SkippedAccount struct {
	Account string `json:"account"`
	Why     string `json:"why"`
}

// StateSummary says what a run with --state did.
type StateSummary struct {
	Path string `json:"path"`
	// SinceCheckpoint, Again and InFull count the chains by mode;
	// Advanced those whose progress the state now records.
	SinceCheckpoint int `json:"sinceCheckpoint"`
	Again           int `json:"verifiedAgain"`
	InFull          int `json:"inFull"`
	Advanced        int `json:"advanced"`
	// Saved tells whether the state was written; Error why not.
	Saved bool   `json:"saved"`
	Error string `json:"error,omitempty"`
}

// accountInfo is what a run knows of an account before its chains run.
type accountInfo struct {
	source, note string
}

// addChain adds one chain's report.
func (r *ArchiveReport) addChain(account, region string, cr *Report, inc *Incremental, valid bool) {
	cs := ChainSummary{Account: account, Region: region, Outcome: cr.Outcome, Incremental: inc}
	if er, ok := cr.Expected.find(region); ok {
		cs.Expected = er.Why
	}
	for _, s := range cr.Summary {
		cs.addRegion(s)
		if s.Region == region && s.Bucket == cr.Bucket && s.Prefix == cr.Prefix {
			cs.CoveredFrom, cs.CoveredTo = s.CoveredFrom, s.CoveredTo
		}
	}
	if len(cr.Summary) > 1 {
		cs.Locations = cr.Summary
	}
	r.Chains = append(r.Chains, cs)
	for _, items := range [][]Item{cr.Digests, cr.Logs} {
		for _, it := range items {
			it.Account = account
			switch {
			case it.Status != StatusValid:
				r.Problems = append(r.Problems, it)
			case valid:
				r.Valid = append(r.Valid, it)
			}
		}
	}
	for _, g := range cr.Gaps {
		g.Account = account
		r.Gaps = append(r.Gaps, g)
	}
	for _, l := range cr.Earlier {
		l.Account = account
		r.Earlier = append(r.Earlier, l)
	}
}

// finish sorts everything and adds up the accounts and the totals from the
// chains, so that a merge of shard reports comes out as one run's.
func (r *ArchiveReport) finish(accounts map[string]accountInfo) {
	r.SchemaVersion, r.Kind = ReportSchemaVersion, ArchiveKind
	sort.Slice(r.Chains, func(i, j int) bool {
		a, b := r.Chains[i], r.Chains[j]
		return byChain(a.Account, a.Region, b.Account, b.Region) < 0
	})
	sortArchiveItems(r.Problems)
	sortArchiveItems(r.Valid)
	sortGaps(r.Gaps)
	sort.SliceStable(r.Earlier, func(i, j int) bool {
		a, b := r.Earlier[i], r.Earlier[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		return a.Region+a.Bucket+a.Prefix < b.Region+b.Bucket+b.Prefix
	})
	sort.Slice(r.Skipped, func(i, j int) bool { return r.Skipped[i].Account < r.Skipped[j].Account })
	byAccount := map[string]*AccountSummary{}
	for id, info := range accounts {
		byAccount[id] = &AccountSummary{Account: id, Source: info.source, Note: info.note, Outcome: OutcomeValid, Regions: []string{}}
	}
	r.Totals, r.Outcome = Counts{}, OutcomeValid
	for _, c := range r.Chains {
		a, ok := byAccount[c.Account]
		if !ok {
			a = &AccountSummary{Account: c.Account, Outcome: OutcomeValid, Regions: []string{}}
			byAccount[c.Account] = a
		}
		a.Regions = append(a.Regions, c.Region)
		a.Add(c.Counts)
		r.Totals.Add(c.Counts)
		if rankOutcome(c.Outcome) > rankOutcome(a.Outcome) {
			a.Outcome = c.Outcome
		}
		if rankOutcome(c.Outcome) > rankOutcome(r.Outcome) {
			r.Outcome = c.Outcome
		}
	}
	for _, it := range r.Problems {
		if a, ok := byAccount[it.Account]; ok {
			a.Problems++
		}
	}
	r.Accounts = r.Accounts[:0]
	for _, a := range byAccount {
		r.Accounts = append(r.Accounts, *a)
	}
	// Problems first: the worst outcome, then the account ID.
	sort.Slice(r.Accounts, func(i, j int) bool {
		a, b := r.Accounts[i], r.Accounts[j]
		if ra, rb := rankOutcome(a.Outcome), rankOutcome(b.Outcome); ra != rb {
			return ra > rb
		}
		return a.Account < b.Account
	})
	for _, s := range []*[]Item{&r.Problems} {
		if *s == nil {
			*s = []Item{}
		}
	}
	if r.Gaps == nil {
		r.Gaps = []Gap{}
	}
	if r.Chains == nil {
		r.Chains = []ChainSummary{}
	}
}

func sortArchiveItems(items []Item) {
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if c := byChain(a.Account, a.Region, b.Account, b.Region); c != 0 {
			return c < 0
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind // digest, log, region
		}
		if !a.End.Equal(b.End) {
			return a.End.Before(b.End)
		}
		if a.Key != b.Key {
			return a.Key < b.Key
		}
		return reasonList(a.Reasons) < reasonList(b.Reasons)
	})
}

// accountInfos recovers the account list of a finished report (for a
// merge).
func (r *ArchiveReport) accountInfos() map[string]accountInfo {
	out := map[string]accountInfo{}
	for _, a := range r.Accounts {
		out[a.Account] = accountInfo{source: a.Source, note: a.Note}
	}
	return out
}

// view is the one-account Report whose text helpers name objects.
func (r *ArchiveReport) view() *Report {
	return &Report{Bucket: r.Bucket, Prefix: r.Prefix, FromDir: r.FromDir, Outcome: r.Outcome, Gaps: r.Gaps}
}

// WriteText writes the problems first, then a line per account (those
// with problems first), then the result line.
func (r *ArchiveReport) WriteText(w io.Writer, verbose bool) error {
	var b strings.Builder
	v := r.view()
	where := v.location(r.Bucket, r.Prefix)
	if r.Organization != "" {
		where += " (organization " + r.Organization + ")"
	}
	fmt.Fprintf(&b, "Verified trail %s in %s from %s to %s\n", r.Trail, where, r.Start.Format(displayTime), r.End.Format(displayTime))
	fmt.Fprintf(&b, "Accounts: %d from %s", len(r.Accounts), r.AccountsSource)
	if r.AccountsNote != "" {
		fmt.Fprintf(&b, " (%s)", r.AccountsNote)
	}
	fmt.Fprintf(&b, "; %d chains (account x region)", len(r.Chains))
	if r.Shard != nil {
		fmt.Fprintf(&b, " in shard %d of %d (0-based): merge the shards' JSON reports with 'trailseal verify merge'", r.Shard.Index, r.Shard.Count)
	}
	b.WriteString("\n")
	if s := r.State; s != nil {
		fmt.Fprintf(&b, "State %s: %d chains read since their checkpoint, %d verified again (day folders changed), %d in full; %d advanced",
			s.Path, s.SinceCheckpoint, s.Again, s.InFull, s.Advanced)
		if !s.Saved {
			fmt.Fprintf(&b, "; NOT SAVED: %s", s.Error)
		}
		b.WriteString("\n")
	}
	v.writeEarlier(&b, r.Earlier, true)
	b.WriteString("\n")
	v.writeProblems(&b, r.Problems, true)
	if verbose {
		for _, it := range r.Valid {
			fmt.Fprintf(&b, "  valid  %-6s %s %s\n", it.Kind, it.Account, v.where(it.Bucket, it.Key))
		}
		if len(r.Valid) > 0 {
			b.WriteString("\n")
		}
	}
	b.WriteString("ACCOUNTS (problems first)\n")
	for _, a := range r.Accounts {
		fmt.Fprintf(&b, "  %s  %-12s %s: %s", a.Account, strings.ToUpper(string(a.Outcome)), strings.Join(a.Regions, ", "), a.text(true))
		if a.Note != "" {
			fmt.Fprintf(&b, " [%s]", a.Note)
		}
		b.WriteString("\n")
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(&b, "  %s  not verified: %s\n", s.Account, s.Why)
	}
	if verbose {
		b.WriteString("\nCHAINS\n")
		for _, c := range r.Chains {
			fmt.Fprintf(&b, "  %s %-15s %-12s digests %d valid; logs %d valid; %d problems",
				c.Account, c.Region, strings.ToUpper(string(c.Outcome)), c.DigestsValid, c.LogsValid, c.Tampered()+c.Unreadable())
			if c.Incremental != nil {
				fmt.Fprintf(&b, "; %s", c.Incremental.Mode)
			}
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "\nTOTAL: %d accounts, %d chains; %s\n", len(r.Accounts), len(r.Chains), r.Totals.text(false))
	b.WriteString("RESULT: " + v.resultLine() + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// MergeArchiveReports combines the reports of every shard of one sharded
// run into the report one run over every chain would have given. It
// refuses reports of other trails, buckets, prefixes or periods, of other
// shard counts, a report that is not a shard's, and a missing or
// duplicated shard.
func MergeArchiveReports(reports []*ArchiveReport, names []string) (*ArchiveReport, error) {
	if len(reports) == 0 {
		return nil, specErrorf("verify merge: no reports given")
	}
	first := reports[0]
	seen := map[int]string{}
	accounts := map[string]accountInfo{}
	out := &ArchiveReport{Tool: first.Tool, Version: first.Version, Trail: first.Trail, Bucket: first.Bucket, Prefix: first.Prefix,
		Organization: first.Organization, FromDir: first.FromDir, Start: first.Start, End: first.End,
		AccountsSource: first.AccountsSource, AccountsNote: first.AccountsNote}
	chains := map[string]string{}
	for i, r := range reports {
		name := names[i]
		switch {
		case r.Kind != ArchiveKind:
			return nil, specErrorf("verify merge: %s is not the JSON report of an archive run (kind %q): run each shard with --shard and --format json", name, r.Kind)
		case r.Shard == nil:
			return nil, specErrorf("verify merge: %s is not a shard's report (it has no shard): there is nothing to merge it with", name)
		case r.Trail != first.Trail || r.Bucket != first.Bucket || r.Prefix != first.Prefix:
			return nil, specErrorf("verify merge: %s is of trail %s in %s, %s of trail %s in %s", name, r.Trail, location(r.Bucket, r.Prefix), names[0], first.Trail, location(first.Bucket, first.Prefix))
		case !r.Start.Equal(first.Start) || !r.End.Equal(first.End):
			return nil, specErrorf("verify merge: %s covers %s to %s, %s covers %s to %s", name, r.Start.Format(displayTime), r.End.Format(displayTime),
				names[0], first.Start.Format(displayTime), first.End.Format(displayTime))
		case r.Shard.Count != first.Shard.Count:
			return nil, specErrorf("verify merge: %s is shard %d of %d, %s of %d", name, r.Shard.Index, r.Shard.Count, names[0], first.Shard.Count)
		case r.Organization != first.Organization:
			return nil, specErrorf("verify merge: %s is of organization %q, %s of %q", name, r.Organization, names[0], first.Organization)
		}
		if prev, dup := seen[r.Shard.Index]; dup {
			return nil, specErrorf("verify merge: shard %d of %d is given twice (%s and %s)", r.Shard.Index, r.Shard.Count, prev, name)
		}
		seen[r.Shard.Index] = name
		for id, info := range r.accountInfos() {
			if old, ok := accounts[id]; ok && old != info {
				return nil, specErrorf("verify merge: %s and another shard list account %s differently (%s, %s): were the shards run at different times?", name, id, info.source, old.source)
			}
			accounts[id] = info
		}
		for _, c := range r.Chains {
			k := chainKey(c.Account, c.Region)
			if prev, dup := chains[k]; dup {
				return nil, specErrorf("verify merge: chain %s is in both %s and %s", k, prev, name)
			}
			chains[k] = name
		}
		out.Chains = append(out.Chains, r.Chains...)
		out.Problems = append(out.Problems, r.Problems...)
		out.Valid = append(out.Valid, r.Valid...)
		out.Gaps = append(out.Gaps, r.Gaps...)
		out.Earlier = append(out.Earlier, r.Earlier...)
		for _, s := range r.Skipped {
			if !slices.Contains(out.Skipped, s) {
				out.Skipped = append(out.Skipped, s)
			}
		}
	}
	var missing []string
	for i := 0; i < first.Shard.Count; i++ {
		if _, ok := seen[i]; !ok {
			missing = append(missing, fmt.Sprint(i))
		}
	}
	if len(missing) > 0 {
		return nil, specErrorf("verify merge: shard %s of %d (0-based) missing: a merge of part of the shards would leave chains unverified", strings.Join(missing, ", "), first.Shard.Count)
	}
	out.finish(accounts)
	return out, nil
}
