package verify

import (
	"cmp"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// Status is the verdict on one digest, log file or period.
type Status string

// Statuses. Invalid and Missing prove a problem; Error and Unverifiable
// mean the evidence could not be checked, which is never a pass.
const (
	StatusValid        Status = "valid"
	StatusInvalid      Status = "invalid"
	StatusMissing      Status = "missing"
	StatusGap          Status = "gap"
	StatusError        Status = "error"
	StatusUnverifiable Status = "unverifiable"
	// StatusManual: verify cannot decide; a person must (say, whether a
	// region was enabled before the period). Never a pass.
	StatusManual Status = "manual"
)

// Reason says why an item is not valid. Each has one meaning, given in
// ReasonTable (reasons.go), from which docs/verify.md's table is checked.
type Reason string

// Reason codes.
const (
	DigestMissing            Reason = "DIGEST_MISSING"             // named by the next digest, not in the bucket
	DigestSlotMissing        Reason = "DIGEST_SLOT_MISSING"        // an hourly digest between two chain links is gone
	DigestTailMissing        Reason = "DIGEST_TAIL_MISSING"        // CloudTrail delivered digests later than the newest found
	DigestChainEndsEarly     Reason = "DIGEST_CHAIN_ENDS_EARLY"    // no digest for the last hours before --end-time
	DigestNone               Reason = "DIGEST_NONE"                // no digest at all for a region that must have them
	RegionOptInUnknown       Reason = "REGION_OPT_IN_TIME_UNKNOWN" // an opted-in region without digests: enabled before or after the period?
	RegionsUnknown           Reason = "REGIONS_UNKNOWN"            // the regions that must have digests could not be learnt
	DigestBadFormat          Reason = "DIGEST_BAD_FORMAT"          // not gzip, not JSON, or a required field missing
	DigestTrailingData       Reason = "DIGEST_TRAILING_DATA"       // bytes after the gzip member
	DigestMoved              Reason = "DIGEST_MOVED"               // digestS3Bucket/Object differ from where it was read
	DigestSignatureMissing   Reason = "DIGEST_SIGNATURE_MISSING"   // no signature metadata
	DigestSignatureInvalid   Reason = "DIGEST_SIGNATURE_INVALID"   // RSA verification failed: content or signature changed
	DigestAlgorithm          Reason = "DIGEST_ALGORITHM_UNSUPPORTED"
	DigestKeyNotFound        Reason = "DIGEST_KEY_NOT_FOUND" // no public key has the digest's fingerprint
	DigestKeyNotValid        Reason = "DIGEST_KEY_NOT_VALID_AT_SIGNING"
	DigestPrevHash           Reason = "DIGEST_PREVIOUS_HASH_MISMATCH"
	DigestPrevSignature      Reason = "DIGEST_PREVIOUS_SIGNATURE_MISMATCH"
	DigestBackfillMetadata   Reason = "DIGEST_BACKFILL_METADATA_MISSING"
	DigestNoSignatureOffline Reason = "DIGEST_SIGNATURE_UNAVAILABLE_OFFLINE"
	DigestReadError          Reason = "DIGEST_READ_ERROR"
	DigestKeysUnavailable    Reason = "DIGEST_KEYS_UNAVAILABLE"
	DigestCheckpoint         Reason = "DIGEST_CHECKPOINT_MISMATCH" // the digest a state file recorded as verified is gone, replaced, or not linked to
	LogModified              Reason = "LOG_MODIFIED"
	LogMissing               Reason = "LOG_MISSING"
	LogTrailingData          Reason = "LOG_TRAILING_DATA"
	LogBadFormat             Reason = "LOG_BAD_FORMAT"
	LogUnreferenced          Reason = "LOG_UNREFERENCED"
	LogReadError             Reason = "LOG_READ_ERROR"
	LogNotCovered            Reason = "LOG_NOT_COVERED" // written in a gap: no digest protects it
	ValidationGap            Reason = "GAP"             // the chain restarted: validation or logging was off
)

// Item is the verdict on one digest or log file.
type Item struct {
	Kind string `json:"kind"` // digest, log or region
	// Account is the account whose files the item is about, in the report
	// of a run over several accounts (an organization's archive).
	Account  string    `json:"account,omitempty"`
	Region   string    `json:"region"`
	Bucket   string    `json:"bucket,omitempty"`
	Key      string    `json:"key,omitempty"`
	Status   Status    `json:"status"`
	Reasons  []Reason  `json:"reasons,omitempty"`
	Detail   string    `json:"detail,omitempty"`
	Backfill bool      `json:"backfill,omitempty"`
	Start    time.Time `json:"start,omitzero"`
	End      time.Time `json:"end,omitzero"`
	Size     int64     `json:"size,omitempty"` // uncompressed bytes hashed
	// Count is the number of hourly digests a missing range stands for
	// (Start to End); 0 for one object.
	Count int `json:"count,omitempty"`
	// VersionID and ETag identify the object read, where S3 gives them.
	VersionID string `json:"versionId,omitempty"`
	ETag      string `json:"etag,omitempty"`
	// KeyFingerprint is the key a digest names; KeyRegion the region
	// whose key list held it (empty for a key file without regions).
	KeyFingerprint string `json:"keyFingerprint,omitempty"`
	KeyRegion      string `json:"keyRegion,omitempty"`
	// Recovery, for a missing object, is what the bucket's versions keep
	// of it.
	Recovery *Recovery `json:"recovery,omitempty"`
}

// Gap is a period no digest covers: CloudTrail started a new chain (a
// signed previousDigestSignature of null) after validation or logging was
// off, or stopped delivering digests while log files were still written.
type Gap struct {
	Account string    `json:"account,omitempty"`
	Region  string    `json:"region"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Reason  Reason    `json:"reason"`
	// Where: between two chains, before the first or after the last.
	Where string `json:"where"`
	// Logs counts the log files written in it (LOG_NOT_COVERED).
	Logs int `json:"logs"`
	// OpenedBy and ClosedBy, with verify --hunt, are the calls that
	// stopped logging or validation before the gap and started it again
	// after; Unexplained says what could not be found.
	OpenedBy    *GapEvent `json:"openedBy,omitempty"`
	ClosedBy    *GapEvent `json:"closedBy,omitempty"`
	Unexplained string    `json:"unexplained,omitempty"`
}

// Where a gap is.
const (
	GapRestart     = "restart"
	GapBeforeChain = "before the first digest"
	GapAfterChain  = "after the last digest"
)

// RegionSummary counts results for one source region.
type RegionSummary struct {
	Region string `json:"region"`
	// Expected says why the region must have digests; empty for a region
	// verified only because it has folders.
	Expected string `json:"expected,omitempty"`
	// Bucket and Prefix say where the counted files are: a trail moved
	// within the period has a summary per location.
	Bucket            string `json:"bucket,omitempty"`
	Prefix            string `json:"prefix,omitempty"`
	DigestsValid      int    `json:"digestsValid"`
	DigestsInvalid    int    `json:"digestsInvalid"`
	DigestsMissing    int    `json:"digestsMissing"` // hourly digests, a range counted by its hours
	DigestsUnverified int    `json:"digestsUnverified"`
	LogsValid         int    `json:"logsValid"`
	LogsInvalid       int    `json:"logsInvalid"`
	LogsMissing       int    `json:"logsMissing"`
	LogsUnverified    int    `json:"logsUnverified"`
	LogsUnreferenced  int    `json:"logsUnreferenced"`
	LogsNotCovered    int    `json:"logsNotCovered"`
	// Manual counts what a person must decide (REGION_OPT_IN_TIME_UNKNOWN,
	// REGIONS_UNKNOWN).
	Manual            int       `json:"manual"`
	Gaps              int       `json:"gaps"`
	CoveredFrom       time.Time `json:"coveredFrom,omitzero"`
	CoveredTo         time.Time `json:"coveredTo,omitzero"`
	UncompressedBytes int64     `json:"uncompressedBytes"`
}

// ReportSchemaVersion versions the JSON form of Report.
const ReportSchemaVersion = 1

// Report is the result of a verification run.
type Report struct {
	SchemaVersion int    `json:"schemaVersion"`
	Tool          string `json:"tool,omitempty"`
	Version       string `json:"version,omitempty"`
	// Outcome is the verdict: valid, gaps, unverifiable or invalid.
	Outcome Outcome `json:"outcome"`
	Bucket  string  `json:"bucket"`
	Prefix  string  `json:"prefix,omitempty"`
	// FromDir is the folder of an offline copy (DIR/<bucket>/<key>); the
	// text report names its files by path.
	FromDir string          `json:"fromDir,omitempty"`
	Account string          `json:"account"`
	Trail   string          `json:"trail"`
	Start   time.Time       `json:"start"`
	End     time.Time       `json:"end"`
	Regions []string        `json:"regions"`
	Digests []Item          `json:"digests"`
	Logs    []Item          `json:"logs"`
	Gaps    []Gap           `json:"gaps"`
	Summary []RegionSummary `json:"summary"`
	// Expected are the regions that must have digests, and why.
	Expected Expectation `json:"expected"`
	// Earlier lists the buckets or prefixes the trail delivered to before
	// it was moved, whose part of the period was verified by following the
	// chain into them.
	Earlier []Location `json:"earlierLocations,omitempty"`

	// validLogs counts valid log files not listed in Logs.
	validLogs map[string]*RegionSummary
	// next is where a one-region run leaves its chain, for a state file;
	// nil when there is nothing verified to record.
	next *Checkpoint
}

func (r *Report) countValid(it Item) {
	if r.validLogs == nil {
		r.validLogs = map[string]*RegionSummary{}
	}
	s, ok := r.validLogs[it.Region]
	if !ok {
		s = &RegionSummary{}
		r.validLogs[it.Region] = s
	}
	s.LogsValid++
	s.UncompressedBytes += it.Size
}

// Location is a bucket and prefix one region's chain was followed into.
type Location struct {
	Account string    `json:"account,omitempty"`
	Bucket  string    `json:"bucket"`
	Prefix  string    `json:"prefix,omitempty"`
	Region  string    `json:"region"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	// LinkedFrom is the digest whose previousDigestS3Bucket/Object point
	// into this location.
	LinkedFrom string `json:"linkedFrom"`
}

// merge adds the finished report of an earlier location to r.
func (r *Report) merge(o *Report) {
	r.Digests = append(r.Digests, o.Digests...)
	r.Logs = append(r.Logs, o.Logs...)
	r.Gaps = append(r.Gaps, o.Gaps...)
	r.Summary = append(r.Summary, o.Summary...)
	r.Earlier = append(r.Earlier, o.Earlier...)
	for _, region := range o.Regions {
		if !slices.Contains(r.Regions, region) {
			r.Regions = append(r.Regions, region)
		}
	}
	sort.Strings(r.Regions)
	if rankOutcome(o.Outcome) > rankOutcome(r.Outcome) {
		r.Outcome = o.Outcome
	}
	r.sortItems()
	// The later location first: the summary reads in the order the chain
	// was walked.
	sort.SliceStable(r.Summary, func(i, j int) bool { return r.Summary[i].Region < r.Summary[j].Region })
}

// rankOutcome orders outcomes: invalid wins over everything, anything
// unverifiable over gaps (a gap is reported as the verdict only when
// every file present was checked), gaps over valid.
func rankOutcome(o Outcome) int {
	switch o {
	case OutcomeInvalid:
		return 3
	case OutcomeUnverifiable:
		return 2
	case OutcomeGaps:
		return 1
	}
	return 0
}

// Outcome is the overall verdict.
type Outcome string

// Outcomes, from best to worst for the exit code.
const (
	OutcomeValid        Outcome = "valid"
	OutcomeGaps         Outcome = "gaps"         // every file present is valid, but the period has gaps
	OutcomeUnverifiable Outcome = "unverifiable" // something could not be read or checked, nothing proven wrong
	OutcomeInvalid      Outcome = "invalid"      // something is modified, missing or out of the chain
)

// Problems returns every item that is not valid, digests first.
func (r *Report) Problems() []Item {
	var out []Item
	for _, it := range r.Digests {
		if it.Status != StatusValid {
			out = append(out, it)
		}
	}
	for _, it := range r.Logs {
		if it.Status != StatusValid {
			out = append(out, it)
		}
	}
	return out
}

func (r *Report) finish() {
	r.SchemaVersion = ReportSchemaVersion
	r.sortItems()
	r.summarize()
}

func (r *Report) sortItems() {
	sort.SliceStable(r.Digests, func(i, j int) bool {
		a, b := r.Digests[i], r.Digests[j]
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		if !a.End.Equal(b.End) {
			return a.End.Before(b.End)
		}
		return a.Key < b.Key
	})
	sort.SliceStable(r.Logs, func(i, j int) bool {
		a, b := r.Logs[i], r.Logs[j]
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		return a.Key < b.Key
	})
	sortGaps(r.Gaps)
}

// sortGaps orders gaps by account (one-account reports leave it empty),
// region and start.
func sortGaps(gaps []Gap) {
	slices.SortStableFunc(gaps, func(a, b Gap) int {
		return cmp.Or(byChain(a.Account, a.Region, b.Account, b.Region), a.From.Compare(b.From))
	})
}

// byChain orders by account, then region: the order of a report's lists.
func byChain(account1, region1, account2, region2 string) int {
	return cmp.Or(strings.Compare(account1, account2), strings.Compare(region1, region2))
}

func (r *Report) summarize() {
	sums := map[string]*RegionSummary{}
	get := func(region string) *RegionSummary {
		s, ok := sums[region]
		if !ok {
			s = &RegionSummary{Region: region, Bucket: r.Bucket, Prefix: r.Prefix}
			if er, ok := r.Expected.find(region); ok {
				s.Expected = er.Why
			}
			sums[region] = s
		}
		return s
	}
	for _, region := range r.Regions {
		get(region)
	}
	r.Outcome = OutcomeValid
	worse := func(o Outcome) {
		if rankOutcome(o) > rankOutcome(r.Outcome) {
			r.Outcome = o
		}
	}
	for _, it := range r.Digests {
		r.countDigest(get(it.Region), it, worse)
	}
	for region, c := range r.validLogs {
		s := get(region)
		s.LogsValid += c.LogsValid
		s.UncompressedBytes += c.UncompressedBytes
	}
	for _, it := range r.Logs {
		r.countLog(get(it.Region), it, worse)
	}
	for _, g := range r.Gaps {
		get(g.Region).Gaps++
		// No digest covers it: not a pass, but not proof of tampering.
		worse(OutcomeGaps)
	}
	r.Summary = r.Summary[:0]
	for _, s := range sums {
		r.Summary = append(r.Summary, *s)
	}
	sort.Slice(r.Summary, func(i, j int) bool { return r.Summary[i].Region < r.Summary[j].Region })
	if r.Digests == nil {
		r.Digests = []Item{}
	}
	if r.Logs == nil {
		r.Logs = []Item{}
	}
	if r.Gaps == nil {
		r.Gaps = []Gap{}
	}
}

func (r *Report) countDigest(s *RegionSummary, it Item, worse func(Outcome)) {
	switch {
	case it.Status == StatusValid:
		s.DigestsValid++
		if s.CoveredFrom.IsZero() || it.Start.Before(s.CoveredFrom) {
			s.CoveredFrom = it.Start
		}
		if it.End.After(s.CoveredTo) {
			s.CoveredTo = it.End
		}
	case it.Status == StatusInvalid:
		s.DigestsInvalid++
		worse(OutcomeInvalid)
	case it.Status == StatusMissing:
		s.DigestsMissing += max(it.Count, 1)
		worse(OutcomeInvalid)
	case it.Status == StatusManual:
		s.Manual++
		worse(OutcomeUnverifiable)
	default:
		s.DigestsUnverified++
		worse(OutcomeUnverifiable)
	}
}

func (r *Report) countLog(s *RegionSummary, it Item, worse func(Outcome)) {
	switch {
	case it.Status == StatusValid:
		s.LogsValid++
		s.UncompressedBytes += it.Size
	case it.Status == StatusMissing:
		s.LogsMissing++
		worse(OutcomeInvalid)
	case it.Status == StatusGap:
		s.LogsNotCovered++
		worse(OutcomeGaps)
	case it.Status == StatusInvalid && len(it.Reasons) > 0 && it.Reasons[0] == LogUnreferenced:
		s.LogsUnreferenced++
		worse(OutcomeInvalid)
	case it.Status == StatusInvalid:
		s.LogsInvalid++
		worse(OutcomeInvalid)
	default:
		s.LogsUnverified++
		worse(OutcomeUnverifiable)
	}
}

const displayTime = "2006-01-02T15:04:05Z"

// WriteText writes problems first, then a summary per region and the
// result line. With verbose every valid item is listed too.
func (r *Report) WriteText(w io.Writer, verbose bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Verified trail %s (account %s) in %s from %s to %s\n", r.Trail, r.Account, r.location(r.Bucket, r.Prefix),
		r.Start.Format(displayTime), r.End.Format(displayTime))
	if r.Expected.Unknown == "" && len(r.Expected.Regions) > 0 {
		fmt.Fprintf(&b, "Regions that must have digests: %s\n", describeExpectation(r.Expected))
	}
	r.writeEarlier(&b, r.Earlier, false)
	b.WriteString("\n")
	r.writeProblems(&b, r.Problems(), false)
	if verbose {
		for _, it := range r.Digests {
			if it.Status == StatusValid {
				fmt.Fprintf(&b, "  valid  digest %s\n", r.where(it.Bucket, it.Key))
			}
		}
		for _, it := range r.Logs {
			if it.Status == StatusValid {
				fmt.Fprintf(&b, "  valid  log    %s\n", r.where(it.Bucket, it.Key))
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("SUMMARY\n")
	for _, s := range r.Summary {
		label := s.Region
		if s.Bucket != r.Bucket || s.Prefix != r.Prefix {
			label += " in " + r.location(s.Bucket, s.Prefix)
		}
		fmt.Fprintf(&b, "  %s: %s", label, s.Counts().text(true))
		if !s.CoveredFrom.IsZero() {
			fmt.Fprintf(&b, "; valid digests cover %s to %s", s.CoveredFrom.Format(displayTime), s.CoveredTo.Format(displayTime))
		}
		b.WriteString("\n")
	}
	b.WriteString("\nRESULT: " + r.resultLine() + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// text words the counts as every text report does; withManual adds what
// is left to check by hand, when anything is.
func (c Counts) text(withManual bool) string {
	s := fmt.Sprintf("digests %d valid, %d invalid, %d missing, %d unverified; logs %d valid, %d invalid, %d missing, %d unreferenced, %d unverified, %d not covered; %d gaps",
		c.DigestsValid, c.DigestsInvalid, c.DigestsMissing, c.DigestsUnverified,
		c.LogsValid, c.LogsInvalid, c.LogsMissing, c.LogsUnreferenced, c.LogsUnverified, c.LogsNotCovered, c.Gaps)
	if withManual && c.Manual > 0 {
		s += fmt.Sprintf("; %d to check by hand", c.Manual)
	}
	return s
}

// chainLabel names a chain in the text report: its region, after its
// account in a report over several accounts.
func chainLabel(account, region string, withAccount bool) string {
	if withAccount {
		return account + " " + region
	}
	return region
}

// writeEarlier writes a line per location the chain was followed into.
func (r *Report) writeEarlier(b *strings.Builder, earlier []Location, withAccount bool) {
	for _, l := range earlier {
		fmt.Fprintf(b, "  %s: the trail was moved; its chain was followed into %s for %s to %s (linked from %s)\n",
			chainLabel(l.Account, l.Region, withAccount), r.location(l.Bucket, l.Prefix), l.From.Format(displayTime), l.To.Format(displayTime), l.LinkedFrom)
	}
}

// writeProblems writes the PROBLEMS section: problems and r.Gaps, naming
// their account too when withAccount is set.
func (r *Report) writeProblems(b *strings.Builder, problems []Item, withAccount bool) {
	if len(problems) == 0 && len(r.Gaps) == 0 {
		return
	}
	b.WriteString("PROBLEMS\n")
	for _, it := range problems {
		fmt.Fprintf(b, "  %-12s %-6s %-40s %s\n", strings.ToUpper(string(it.Status)), it.Kind, reasonList(it.Reasons), chainLabel(it.Account, it.Region, withAccount))
		if it.Key != "" {
			fmt.Fprintf(b, "               %s\n", r.where(it.Bucket, it.Key))
		}
		if it.Detail != "" {
			fmt.Fprintf(b, "               %s\n", it.Detail)
		}
		if it.Recovery != nil {
			r.writeRecovery(b, it)
		}
	}
	for _, g := range r.Gaps {
		fmt.Fprintf(b, "  %-12s %-6s %-40s %s\n", "GAP", "period", string(g.Reason), chainLabel(g.Account, g.Region, withAccount))
		fmt.Fprintf(b, "               no digest covers %s to %s (%s): validation or logging was off; %d log files written then are not covered\n",
			g.From.Format(displayTime), g.To.Format(displayTime), g.Where, g.Logs)
		writeGapEvents(b, g)
	}
	b.WriteString("\n")
}

// resultLine is the verdict in words. A script reads the exit code (0
// valid, 1 invalid, 3 gaps only, 4 could not verify) or the JSON outcome.
func (r *Report) resultLine() string {
	switch r.Outcome {
	case OutcomeValid:
		return "all digests and log files are valid"
	case OutcomeInvalid:
		line := "INVALID: files are modified, missing or outside the chain (see PROBLEMS)"
		if len(r.Gaps) > 0 {
			line += "; the period also has gaps"
		}
		return line
	case OutcomeGaps:
		var spans []string
		logs := 0
		for _, g := range r.Gaps {
			spans = append(spans, fmt.Sprintf("%s %s to %s", g.Region, g.From.Format(displayTime), g.To.Format(displayTime)))
			logs += g.Logs
		}
		return fmt.Sprintf("GAPS: every file present is valid, but no digest covers %s (%d log files not covered)", strings.Join(spans, "; "), logs)
	}
	return "UNVERIFIABLE: nothing was found invalid, but some files, keys or regions could not be checked (see PROBLEMS)"
}

// location names a bucket and prefix: s3://bucket/prefix, or the folder of
// an offline copy.
func (r *Report) location(bucket, prefix string) string {
	if r.FromDir != "" {
		return filepath.Join(r.FromDir, bucket, filepath.FromSlash(prefix))
	}
	if prefix == "" {
		return "s3://" + bucket
	}
	return "s3://" + bucket + "/" + prefix
}

// where names one object: its S3 URL, or its path in an offline copy.
func (r *Report) where(bucket, key string) string {
	if r.FromDir != "" {
		return filepath.Join(r.FromDir, bucket, filepath.FromSlash(key))
	}
	return "s3://" + bucket + "/" + key
}

func location(bucket, prefix string) string {
	if prefix == "" {
		return "s3://" + bucket
	}
	return "s3://" + bucket + "/" + prefix
}

func reasonList(rs []Reason) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}
