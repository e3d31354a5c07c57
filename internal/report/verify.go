package report

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/trailseal/trailseal/internal/hunt/detection"
	"github.com/trailseal/trailseal/internal/verify"
)

// The writers of 'trailseal verify' (one account's chains, an organization's
// archive, a merge of shards): text and JSON come from package verify;
// HTML, JUnit and SARIF are written here from the same report types. They
// read the report only; the verdict and the exit code stay verify's.

// VerifyOptions tune the verify writers.
type VerifyOptions struct {
	// Verbose lists every valid object in the text report.
	Verbose bool
	// Hunt is the hunt's report of 'verify --hunt': the JSON report holds
	// it under "hunt", SARIF and JUnit add its detections, and the HTML
	// page its timeline (HuntTimeline, which the caller prepares with the
	// hunt's own words: package hunt/output).
	Hunt         *detection.Report
	HuntTimeline *Timeline
}

// verifyWriters maps a verify --format name to its writer.
var verifyWriters = map[string]func(io.Writer, *verifyDoc, VerifyOptions) error{
	"text":  func(w io.Writer, d *verifyDoc, o VerifyOptions) error { return d.text(w, o.Verbose) },
	"json":  writeVerifyJSON,
	"html":  writeVerifyHTML,
	"junit": writeVerifyJUnit,
	"sarif": writeVerifySARIF,
}

// VerifyFormats returns the formats of verify's reports, sorted.
func VerifyFormats() []string {
	var names []string
	for n := range verifyWriters {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LookupVerifyFormat checks a verify --format name.
func LookupVerifyFormat(format string) error {
	if _, ok := verifyWriters[format]; !ok {
		return fmt.Errorf("unknown format %q (supported: %s)", format, strings.Join(VerifyFormats(), ", "))
	}
	return nil
}

// WriteVerify writes the report of one account's chains in format.
func WriteVerify(w io.Writer, format string, r *verify.Report, opts VerifyOptions) error {
	if err := LookupVerifyFormat(format); err != nil {
		return err
	}
	return verifyWriters[format](w, accountDoc(r), opts)
}

// WriteVerifyArchive writes the report of an archive run (or of a merge of
// shards) in format.
func WriteVerifyArchive(w io.Writer, format string, r *verify.ArchiveReport, opts VerifyOptions) error {
	if err := LookupVerifyFormat(format); err != nil {
		return err
	}
	return verifyWriters[format](w, archiveDoc(r), opts)
}

// writeVerifyJSON writes verify's JSON report; with --hunt, the hunt's
// report under "hunt" in the same document.
func writeVerifyJSON(w io.Writer, d *verifyDoc, o VerifyOptions) error {
	if o.Hunt == nil {
		return writeIndentedJSON(w, d.source)
	}
	switch r := d.source.(type) {
	case *verify.Report:
		return writeIndentedJSON(w, struct {
			*verify.Report
			Hunt *detection.Report `json:"hunt"`
		}{r, o.Hunt})
	case *verify.ArchiveReport:
		return writeIndentedJSON(w, struct {
			*verify.ArchiveReport
			Hunt *detection.Report `json:"hunt"`
		}{r, o.Hunt})
	}
	return fmt.Errorf("verify report of type %T", d.source)
}

func writeIndentedJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// verifyDoc is what every writer needs of either report: one account's, or
// an archive's (Archive set).
type verifyDoc struct {
	source  any
	text    func(io.Writer, bool) error
	Archive bool
	Tool    string
	Version string
	Trail   string
	// Where is the bucket and prefix (or folder of an offline copy).
	Where        string
	Organization string
	Offline      bool
	Start, End   time.Time
	Outcome      verify.Outcome
	ResultLine   string
	// Account is the account of a one-account report.
	Account string
	// Chains are the results per account and region, sorted.
	Chains   []verifyChain
	Accounts []verify.AccountSummary
	Totals   verify.Counts
	// Problems are every item that is not valid, each with its account.
	Problems []verify.Item
	Gaps     []verify.Gap
	Earlier  []verify.Location
	Skipped  []verify.SkippedAccount
	State    *verify.StateSummary
	Shard    *verify.Shard
	// ExpectedUnknown says why the regions that must have digests could
	// not be learnt (one-account report).
	ExpectedUnknown string
	AccountsSource  string
	AccountsNote    string
	// bucket and prefix are where the trail delivers; name names an
	// object, location a bucket and prefix, as the text report does.
	bucket, prefix string
	name           func(bucket, key string) string
	// recovery says what a versioned bucket keeps of a missing object.
	recovery func(verify.Item) []string
	// byChain indexes the problems and gaps by account and region.
	byChain  map[string]*chainIndex
	location func(bucket, prefix string) string
}

// verifyChain is one account and region: a one-account report's region
// summaries (one per location of a moved trail, added up), or an archive's
// chain summary.
type verifyChain struct {
	Account, Region, Expected string
	Outcome                   verify.Outcome
	verify.Counts
	CoveredFrom, CoveredTo time.Time
	// Locations names the buckets or prefixes of a moved trail.
	Locations []string
	// Mode is how --state verified the chain.
	Mode string
}

func accountDoc(r *verify.Report) *verifyDoc {
	d := &verifyDoc{source: r, text: r.WriteText, Tool: r.Tool, Version: r.Version, Trail: r.Trail,
		Where: r.LocationName(r.Bucket, r.Prefix), Offline: r.FromDir != "", Start: r.Start, End: r.End,
		Outcome: r.Outcome, ResultLine: r.ResultLine(), Account: r.Account, Gaps: r.Gaps, Earlier: r.Earlier,
		ExpectedUnknown: r.Expected.Unknown, bucket: r.Bucket, prefix: r.Prefix, name: r.ObjectName, recovery: r.RecoveryLines, location: r.LocationName}
	byRegion := map[string]*verifyChain{}
	for _, s := range r.Summary {
		c := byRegion[s.Region]
		if c == nil {
			c = &verifyChain{Account: r.Account, Region: s.Region, Expected: s.Expected}
			byRegion[s.Region] = c
		}
		c.Counts.Add(s.Counts())
		c.Locations = append(c.Locations, r.LocationName(s.Bucket, s.Prefix))
		if !s.CoveredFrom.IsZero() && (c.CoveredFrom.IsZero() || s.CoveredFrom.Before(c.CoveredFrom)) {
			c.CoveredFrom = s.CoveredFrom
		}
		if s.CoveredTo.After(c.CoveredTo) {
			c.CoveredTo = s.CoveredTo
		}
	}
	for _, c := range byRegion {
		c.Outcome = c.Counts.Outcome()
		// Locations are named only for a trail moved within the period.
		if len(c.Locations) == 1 && c.Locations[0] == d.Where {
			c.Locations = nil
		}
		d.Chains = append(d.Chains, *c)
		d.Totals.Add(c.Counts)
	}
	sortChains(d.Chains)
	for _, it := range r.Problems() {
		it.Account = r.Account
		d.Problems = append(d.Problems, it)
	}
	for i := range d.Gaps {
		d.Gaps[i].Account = r.Account
	}
	return d
}

func archiveDoc(r *verify.ArchiveReport) *verifyDoc {
	d := &verifyDoc{source: r, text: r.WriteText, Archive: true, Tool: r.Tool, Version: r.Version, Trail: r.Trail,
		Where: r.LocationName(r.Bucket, r.Prefix), Organization: r.Organization, Offline: r.FromDir != "",
		Start: r.Start, End: r.End, Outcome: r.Outcome, ResultLine: r.ResultLine(), Accounts: r.Accounts,
		Totals: r.Totals, Problems: r.Problems, Gaps: r.Gaps, Earlier: r.Earlier, Skipped: r.Skipped, State: r.State,
		Shard: r.Shard, AccountsSource: r.AccountsSource, AccountsNote: r.AccountsNote, bucket: r.Bucket, prefix: r.Prefix, name: r.ObjectName, recovery: r.RecoveryLines, location: r.LocationName}
	for _, c := range r.Chains {
		vc := verifyChain{Account: c.Account, Region: c.Region, Expected: c.Expected, Outcome: c.Outcome, Counts: c.Counts,
			CoveredFrom: c.CoveredFrom, CoveredTo: c.CoveredTo}
		for _, l := range c.Locations {
			vc.Locations = append(vc.Locations, r.LocationName(l.Bucket, l.Prefix))
		}
		if c.Incremental != nil {
			vc.Mode = c.Incremental.Mode
		}
		d.Chains = append(d.Chains, vc)
	}
	sortChains(d.Chains)
	return d
}

func sortChains(cs []verifyChain) {
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].Account != cs[j].Account {
			return cs[i].Account < cs[j].Account
		}
		return cs[i].Region < cs[j].Region
	})
}

// chainProblems returns the problems and gaps of one account and region.
// An archive has thousands of chains: the index is built once.
func (d *verifyDoc) chainProblems(account, region string) ([]verify.Item, []verify.Gap) {
	if d.byChain == nil {
		d.byChain = map[string]*chainIndex{}
		get := func(account, region string) *chainIndex {
			k := account + "/" + region
			if d.byChain[k] == nil {
				d.byChain[k] = &chainIndex{}
			}
			return d.byChain[k]
		}
		for _, it := range d.Problems {
			c := get(it.Account, it.Region)
			c.items = append(c.items, it)
		}
		for _, g := range d.Gaps {
			c := get(g.Account, g.Region)
			c.gaps = append(c.gaps, g)
		}
	}
	c := d.byChain[account+"/"+region]
	if c == nil {
		return nil, nil
	}
	return c.items, c.gaps
}

type chainIndex struct {
	items []verify.Item
	gaps  []verify.Gap
}

// fileTime matches the time in a CloudTrail log or digest file name:
// ..._20260301T0403Z_... (log) or ..._20260301T010131Z.json.gz (digest).
var fileTime = regexp.MustCompile(`_(\d{8}T\d{4}(?:\d\d)?Z)[_.]`)

// itemTime says when an item is from: its period, or the time in its file
// name; "" when neither is known (a region-level result).
func itemTime(it verify.Item) string {
	switch {
	case !it.Start.IsZero() && !it.End.IsZero():
		return it.Start.UTC().Format(verifyTime) + " to " + it.End.UTC().Format(verifyTime)
	case !it.End.IsZero():
		return "ending " + it.End.UTC().Format(verifyTime)
	}
	if t, ok := keyTime(it.Key); ok {
		return t.Format(verifyTime)
	}
	return ""
}

func keyTime(key string) (time.Time, bool) {
	m := fileTime.FindStringSubmatch(key)
	if m == nil {
		return time.Time{}, false
	}
	for _, layout := range []string{"20060102T150405Z", "20060102T1504Z"} {
		if t, err := time.Parse(layout, m[1]); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// verifyTime is how times are written, as in the text report.
const verifyTime = "2006-01-02T15:04:05Z"

// reasonCodes joins an item's reason codes.
func reasonCodes(rs []verify.Reason) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}
