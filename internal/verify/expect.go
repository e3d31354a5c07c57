package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// Expectation says which source regions must have digests. A trail always
// records its home region; a multi-region trail every region enabled in
// the account. A run verifies every expected region, whatever folders the
// bucket holds: a region whose objects were all deleted leaves none.
type Expectation struct {
	Regions []ExpectedRegion `json:"regions"`
	// Unknown, when set, says why the regions could not be learnt (the
	// trail's configuration or the account's regions unreadable, an offline
	// copy without a pull record). The run is then never a pass: a region
	// deleted whole cannot be seen.
	Unknown string `json:"unknown,omitempty"`
}

// ExpectedRegion is one region that must have digests, and why.
type ExpectedRegion struct {
	Region string `json:"region"`
	// Why: "home region", "enabled in the account" or "opted in".
	Why string `json:"why"`
	// OptIn marks a region enabled by opting in, at a time the region
	// APIs do not give: without digests in the period it is MANUAL, as it
	// may have been enabled after the period.
	OptIn bool `json:"optIn,omitempty"`
}

// Why an expected region is expected.
const (
	WhyHome    = "home region"
	WhyEnabled = "enabled in the account"
	WhyOptIn   = "opted in (time unknown)"
	WhyNamed   = "named with --regions"
)

func (e Expectation) find(region string) (ExpectedRegion, bool) {
	for _, r := range e.Regions {
		if r.Region == region {
			return r, true
		}
	}
	return ExpectedRegion{}, false
}

func (e Expectation) names() []string {
	var out []string
	for _, r := range e.Regions {
		out = append(out, r.Region)
	}
	return out
}

// withHome adds the home region when missing.
func (e Expectation) withHome(home string) Expectation {
	if home == "" {
		return e
	}
	if _, ok := e.find(home); !ok {
		e.Regions = append([]ExpectedRegion{{Region: home, Why: WhyHome}}, e.Regions...)
	}
	for i := range e.Regions {
		if e.Regions[i].Region == home {
			e.Regions[i].Why, e.Regions[i].OptIn = WhyHome, false
		}
	}
	sort.Slice(e.Regions, func(i, j int) bool { return e.Regions[i].Region < e.Regions[j].Region })
	return e
}

// expectRegions starts learning the regions that must have digests: the
// home region of a single-region trail, and every enabled region of the
// account for a multi-region trail. It runs while the bucket is listed;
// the keys of each region are asked for as soon as it is known.
func (t *Target) expectRegions(ctx context.Context, cfg aws.Config, trail *trailLookup, from, to time.Time) func(context.Context) Expectation {
	done := make(chan struct{})
	var e Expectation
	go func() {
		defer close(done)
		e = accountExpectation(ctx, cfg, trail, t.Spec.Trail, t.Layout.AccountID)
		for _, r := range e.Regions {
			t.Keys.Prefetch(r.Region, from, to)
		}
	}()
	return func(ctx context.Context) Expectation {
		select {
		case <-done:
			return e
		case <-ctx.Done():
			return Expectation{Unknown: ctx.Err().Error()}
		}
	}
}

// accountExpectation says which regions of account must have digests
// for the trail: the home region, and for a multi-region trail every
// region enabled in the account.
func accountExpectation(ctx context.Context, cfg aws.Config, trail *trailLookup, arn TrailARN, account string) Expectation {
	var e Expectation
	tr, err := trail.wait(ctx)
	switch {
	case err != nil:
		e.Unknown = fmt.Sprintf("the trail's configuration could not be read (%v): whether it records every region is unknown, so a region whose objects were all deleted would not be seen; name the regions to verify with --regions", err)
	case !tr.IsMultiRegionTrail:
		e.Regions = []ExpectedRegion{{Region: arn.Region, Why: WhyHome}}
	default:
		// A member account of an organization trail is asked about by
		// the management account (or a delegated administrator).
		member := ""
		if account != arn.Account {
			member = account
		}
		e.Regions, err = EnabledRegions(ctx, cfg, member)
		if err != nil {
			e.Regions = nil
			e.Unknown = fmt.Sprintf("the trail records every region, but the regions enabled in account %s could not be listed (%v); name the regions to verify with --regions", account, err)
		}
	}
	return e.withHome(arn.Region)
}

// EnabledRegions lists the regions enabled in an account with their
// opt-in status: account:ListRegions (for member, when set, as the
// organization's management account or a delegated administrator), and
// ec2:DescribeRegions with AllRegions when that is denied and the account
// is the caller's own.
func EnabledRegions(ctx context.Context, cfg aws.Config, member string) ([]ExpectedRegion, error) {
	out, err := listRegions(ctx, cfg, member)
	if err == nil {
		return out, nil
	}
	if member != "" {
		return nil, err
	}
	out, err2 := describeRegions(ctx, cfg)
	if err2 != nil {
		return nil, errors.Join(err, err2)
	}
	return out, nil
}

// listRegions asks account:ListRegions for the enabled regions. Status
// ENABLED_BY_DEFAULT regions are enabled from the account's creation;
// ENABLED ones were opted into, at a time the API does not give.
func listRegions(ctx context.Context, cfg aws.Config, member string) ([]ExpectedRegion, error) {
	in := &account.ListRegionsInput{RegionOptStatusContains: []accounttypes.RegionOptStatus{
		accounttypes.RegionOptStatusEnabled, accounttypes.RegionOptStatusEnabledByDefault}}
	if member != "" {
		in.AccountId = aws.String(member)
	}
	var out []ExpectedRegion
	p := account.NewListRegionsPaginator(account.NewFromConfig(cfg), in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("account:ListRegions: %w", err)
		}
		for _, r := range page.Regions {
			switch r.RegionOptStatus {
			case accounttypes.RegionOptStatusEnabledByDefault:
				out = append(out, ExpectedRegion{Region: aws.ToString(r.RegionName), Why: WhyEnabled})
			case accounttypes.RegionOptStatusEnabled:
				out = append(out, ExpectedRegion{Region: aws.ToString(r.RegionName), Why: WhyOptIn, OptIn: true})
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("account:ListRegions returned no enabled region")
	}
	return out, nil
}

// describeRegions asks ec2:DescribeRegions with AllRegions for the
// caller's account: opt-in-not-required regions are always enabled,
// opted-in ones since a time the API does not give.
func describeRegions(ctx context.Context, cfg aws.Config) ([]ExpectedRegion, error) {
	res, err := ec2.NewFromConfig(cfg).DescribeRegions(ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("ec2:DescribeRegions: %w", err)
	}
	var out []ExpectedRegion
	for _, r := range res.Regions {
		switch aws.ToString(r.OptInStatus) {
		case "opt-in-not-required":
			out = append(out, ExpectedRegion{Region: aws.ToString(r.RegionName), Why: WhyEnabled})
		case "opted-in":
			out = append(out, ExpectedRegion{Region: aws.ToString(r.RegionName), Why: WhyOptIn, OptIn: true})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("ec2:DescribeRegions returned no enabled region")
	}
	return out, nil
}

// PullRecordName is the file 'trailseal pull' writes at the top of its
// folder: for each trail and account copied, the regions that must have
// digests, so an offline verification checks for whole regions deleted
// as an online one does.
const PullRecordName = "trailseal-pull.json"

// pullRecordVersion versions PullRecord.
const pullRecordVersion = 1

// PullRecord is the content of PullRecordName.
type PullRecord struct {
	SchemaVersion int             `json:"schemaVersion"`
	Trails        []PulledAccount `json:"trails"`
}

// PulledAccount is what a pull knew about one trail and account.
type PulledAccount struct {
	Trail    string      `json:"trail"`
	Account  string      `json:"account"`
	Bucket   string      `json:"bucket"`
	Prefix   string      `json:"prefix,omitempty"`
	Start    time.Time   `json:"start"`
	End      time.Time   `json:"end"`
	Expected Expectation `json:"expected"`
}

// ReadPullRecord reads dir's pull record; a folder without one has an
// empty record.
func ReadPullRecord(dir string) (*PullRecord, error) {
	b, err := os.ReadFile(filepath.Join(dir, PullRecordName))
	if errors.Is(err, fs.ErrNotExist) {
		return &PullRecord{SchemaVersion: pullRecordVersion}, nil
	}
	if err != nil {
		return nil, err
	}
	var r PullRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: not a pull record: %v", filepath.Join(dir, PullRecordName), err)
	}
	if r.SchemaVersion != pullRecordVersion {
		return nil, fmt.Errorf("%s: schema version %d, this build reads version %d", filepath.Join(dir, PullRecordName), r.SchemaVersion, pullRecordVersion)
	}
	return &r, nil
}

// Add records a pull of trail and account, replacing an earlier one.
func (r *PullRecord) Add(a PulledAccount) {
	r.Trails = slices.DeleteFunc(r.Trails, func(o PulledAccount) bool { return o.Trail == a.Trail && o.Account == a.Account })
	r.Trails = append(r.Trails, a)
	sort.Slice(r.Trails, func(i, j int) bool {
		if r.Trails[i].Trail != r.Trails[j].Trail {
			return r.Trails[i].Trail < r.Trails[j].Trail
		}
		return r.Trails[i].Account < r.Trails[j].Account
	})
}

// Write stores the record in dir.
func (r *PullRecord) Write(dir string) error {
	r.SchemaVersion = pullRecordVersion
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, PullRecordName), append(b, '\n'), 0o644)
}

// expectation is what the record says for trail and account offline.
func (r *PullRecord) expectation(trail, account string) Expectation {
	for _, a := range r.Trails {
		if a.Trail == trail && a.Account == account {
			return a.Expected
		}
	}
	return Expectation{Unknown: fmt.Sprintf("the copy has no record of which regions trail %s records for account %s (%s, written by 'trailseal pull'): a region whose objects were all deleted would not be seen; name the regions to verify with --regions",
		trail, account, PullRecordName)}
}

// describeExpectation says in a line which regions were expected.
func describeExpectation(e Expectation) string {
	if e.Unknown != "" {
		return "unknown"
	}
	return strings.Join(e.names(), ", ")
}
