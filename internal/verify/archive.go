package verify

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"golang.org/x/sync/errgroup"
)

// ArchiveSpec is a run over every chain (account and source region) of a
// trail: an organization trail's whole archive, or the accounts named.
type ArchiveSpec struct {
	TargetSpec
	// Accounts are the accounts to verify; nil: every account (for an
	// organization trail the organization's, else the trail's own).
	Accounts []string
	// Shard selects the chains of one shard; the zero value is all.
	Shard Shard
	// State, when set, makes the run incremental (see State).
	State StateStore
	// ListValidLogs keeps every valid digest and log file in the report.
	ListValidLogs bool
	Now           time.Time
	Progress      ArchiveProgress
	// Chains bounds the chains verified at once (each holds its own
	// state); 0 derives it from Concurrency.
	Chains int
	// LogSink, when set, is every chain's Options.LogSink (verify --hunt).
	LogSink LogSink
}

// ArchiveProgress is told about chains as well as objects.
type ArchiveProgress interface {
	Progress
	// Chains is called as chains are planned and finished.
	Chains(planned, done int)
}

// archive is one archive run.
type archive struct {
	spec    ArchiveSpec
	store   Store
	bucket  string
	prefix  string
	orgID   string
	cfg     aws.Config
	online  bool
	trail   *trailLookup
	keys    *KeyCache
	latest  func() time.Time
	pull    *PullRecord
	members func() ([]orgAccount, error) // Organizations ListAccounts, asked early
	slots   chan struct{}
	// heavy bounds the chains verified in full at once (their state grows
	// with the period); chains read since a checkpoint hold little.
	heavy   chan struct{}
	keyFrom time.Time
	keyTo   time.Time

	mu       sync.Mutex
	report   *ArchiveReport
	accounts map[string]accountInfo
	old      *State
	next     map[string]*ChainState
	planned  int
	done     int
}

// chainJob is one chain to verify.
type chainJob struct {
	account, region string
	expect          Expectation
}

// RunArchive verifies every chain of spec's trail (or of one shard of
// them) through one pool: at most spec.Chains chains at once, all reading
// through the same spec.Concurrency read slots and one key cache, each
// chain's report folded into the archive report as it ends. It returns an
// error only when nothing could be verified (the bucket unreadable, a bad
// state file, cancelled).
func RunArchive(ctx context.Context, spec ArchiveSpec) (*ArchiveReport, error) {
	if spec.Concurrency <= 0 {
		spec.Concurrency = 32
	}
	if spec.Now.IsZero() {
		spec.Now = time.Now()
	}
	if spec.Logger == nil {
		spec.Logger = discardLogger()
	}
	spec.Start, spec.End = spec.Start.UTC(), spec.End.UTC()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a := &archive{spec: spec, slots: make(chan struct{}, spec.Concurrency), accounts: map[string]accountInfo{}, next: map[string]*ChainState{}}
	a.heavy = make(chan struct{}, a.chainsAtOnce())
	a.keyFrom, a.keyTo = KeyRange(spec.Start, spec.End)
	a.report = &ArchiveReport{Trail: spec.Trail.Raw, Start: spec.Start, End: spec.End}
	if !spec.Shard.Whole() {
		sh := spec.Shard
		a.report.Shard = &sh
	}
	for _, step := range []func(context.Context) error{
		a.resolve,      // bucket, prefix, keys, the trail's configuration
		a.findAccounts, // the organization's layout and accounts
		a.loadState,    // where the previous run left each chain
		a.runChains,    // every chain of the shard, through one pool
		a.saveState,    // advanced for the chains that verified cleanly
	} {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	return a.report, nil
}

// resolve settles where the trail's files are and how to read them.
func (a *archive) resolve(ctx context.Context) error {
	s := a.spec
	a.bucket, a.prefix = s.Bucket, strings.Trim(s.Prefix, "/")
	var fileKeys StaticKeys
	for _, path := range s.KeyFiles {
		keys, err := readKeysPath(path)
		if err != nil {
			return err
		}
		fileKeys = fileKeys.Merge(keys)
	}
	if s.FromDir != "" {
		return a.resolveOffline(ctx, fileKeys)
	}
	a.online = true
	a.cfg = readConfig(s.AWS, s.Trail.Region)
	ct := cloudtrail.NewFromConfig(a.cfg)
	if len(s.Accounts) == 0 {
		// ListAccounts pages 20 accounts a request: ask while the trail
		// and the bucket are settled.
		a.members = asyncMembers(ctx, a.cfg)
	}
	t := &Target{Spec: s.TargetSpec}
	if a.bucket == "" || s.Regions == nil {
		a.trail = t.describeTrail(ctx, ct)
	}
	switch {
	case s.Keys != nil:
		a.keys = s.Keys
	case fileKeys != nil:
		a.keys = NewKeyCache(ctx, fileKeys)
	default:
		cfg := a.cfg
		a.keys = NewKeyCache(ctx, APIKeys{Client: func(region string) *cloudtrail.Client {
			return cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) { o.Region = region })
		}})
	}
	for _, r := range append([]string{s.Trail.Region}, s.Regions...) {
		a.keys.Prefetch(r, a.keyFrom, a.keyTo)
	}
	if a.bucket == "" {
		tr, err := a.trail.wait(ctx)
		if err != nil {
			return err
		}
		a.bucket = aws.ToString(tr.S3BucketName)
		if s.Prefix == "" {
			a.prefix = strings.Trim(aws.ToString(tr.S3KeyPrefix), "/")
		}
	}
	a.latest = t.trailStatus(ctx, ct)
	buckets := newS3Buckets(a.cfg, s.Logger)
	buckets.set(a.bucket, clientForBucket(ctx, s.Logger, a.cfg, buckets.home, a.bucket))
	a.store = buckets
	return nil
}

func (a *archive) resolveOffline(ctx context.Context, keys StaticKeys) error {
	s := a.spec
	bucket, err := offlineBucket(s.FromDir, a.bucket, s.NeedKeys && keys == nil)
	if err != nil {
		return err
	}
	a.bucket = bucket
	if s.State != nil {
		return specErrorf("--state needs S3: a folder copy has no ETags to tell a replaced file by")
	}
	a.store = DirStore{Root: filepath.Clean(s.FromDir)}
	a.keys = NewKeyCache(ctx, keys)
	a.latest = func() time.Time { return time.Time{} }
	rec, err := ReadPullRecord(s.FromDir)
	if err != nil {
		return &SpecError{err}
	}
	a.pull = rec
	return nil
}

// layout is the layout of account's files.
func (a *archive) layout(account string) Layout {
	t := a.spec.Trail
	return Layout{Prefix: a.prefix, OrgID: a.orgID, AccountID: account, TrailName: t.Name, HomeRegion: t.Region}
}

// findAccounts works out the layout (organization trail or not) and the
// accounts to verify, and says where the list came from.
func (a *archive) findAccounts(ctx context.Context) error {
	s := a.spec
	root := "AWSLogs/"
	if a.prefix != "" {
		root = a.prefix + "/" + root
	}
	dirs, err := a.store.ListDirs(ctx, a.bucket, root)
	if err != nil {
		return err
	}
	var orgDirs []string
	for _, d := range dirs {
		if strings.HasPrefix(d, "o-") {
			orgDirs = append(orgDirs, d)
		}
	}
	// An organization folder in the bucket holds an organization trail's
	// files for the period even when the trail is no longer one.
	isOrg := len(orgDirs) > 0
	if a.trail != nil {
		if tr, err := a.trail.wait(ctx); err == nil && tr.IsOrganizationTrail {
			isOrg = true
		}
	}
	r := a.report
	r.Bucket, r.Prefix, r.FromDir = a.bucket, a.prefix, s.FromDir
	if isOrg {
		if err := a.findOrganization(ctx, orgDirs); err != nil {
			return err
		}
		r.Organization = a.orgID
	}
	switch {
	case len(s.Accounts) > 0:
		for _, id := range s.Accounts {
			if !accountPattern.MatchString(id) {
				return specErrorf("--account-id %q is not a 12-digit account ID", id)
			}
			a.accounts[id] = accountInfo{source: "--account-id"}
		}
		r.AccountsSource = "--account-id"
	case isOrg:
		return a.organizationAccounts(ctx, root+a.orgID+"/")
	default:
		a.accounts[s.Trail.Account] = accountInfo{source: "trail"}
		r.AccountsSource = "the trail's account (not an organization trail)"
	}
	return nil
}

// findOrganization settles the organization ID of an organization trail's
// layout: the organization folder in the bucket, or Organizations.
func (a *archive) findOrganization(ctx context.Context, orgDirs []string) error {
	if len(orgDirs) == 1 {
		a.orgID = orgDirs[0]
		return nil
	}
	if a.online {
		out, err := organizations.NewFromConfig(a.cfg).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
		if err == nil && out.Organization != nil {
			a.orgID = aws.ToString(out.Organization.Id)
			return nil
		}
	}
	if len(orgDirs) == 0 {
		return fmt.Errorf("the trail is an organization trail but s3://%s has no AWSLogs/o-*/ folder, and organizations:DescribeOrganization could not name the organization", a.bucket)
	}
	return specErrorf("s3://%s holds %d organization folders (%s) and organizations:DescribeOrganization could not tell which is this trail's", a.bucket, len(orgDirs), strings.Join(orgDirs, ", "))
}

// organizationAccounts lists the organization's accounts with
// Organizations ListAccounts when the caller may (so an account whose
// folders were all deleted is still verified, and reported), and the
// account folders in the bucket (an account that left the organization
// keeps its files there).
func (a *archive) organizationAccounts(ctx context.Context, orgRoot string) error {
	r := a.report
	dirs, err := a.store.ListDirs(ctx, a.bucket, orgRoot)
	if err != nil {
		return err
	}
	folders := map[string]bool{}
	for _, d := range dirs {
		if accountPattern.MatchString(d) {
			folders[d] = true
		}
	}
	var members []orgAccount
	if a.members != nil {
		members, err = a.members()
	} else {
		err = errors.New("an offline copy cannot ask Organizations")
	}
	if err != nil {
		r.AccountsSource = "the bucket's account folders"
		r.AccountsNote = fmt.Sprintf("organizations:ListAccounts failed (%v): an account whose folders were all deleted is not seen", err)
		for id := range folders {
			a.accounts[id] = accountInfo{source: "folder"}
		}
		return nil
	}
	r.AccountsSource = "organizations:ListAccounts"
	skipped := map[string]bool{}
	for _, m := range members {
		if !m.joined.IsZero() && m.joined.After(a.spec.End) && !folders[m.id] {
			// Nothing of the period can be expected from it.
			r.Skipped = append(r.Skipped, SkippedAccount{Account: m.id, Why: fmt.Sprintf("joined the organization at %s, after the period", m.joined.UTC().Format(displayTime))})
			skipped[m.id] = true
			continue
		}
		info := accountInfo{source: "organization"}
		if !folders[m.id] {
			info.note = "in the organization, but no folder in the bucket"
		}
		a.accounts[m.id] = info
	}
	for id := range folders {
		if _, ok := a.accounts[id]; !ok && !skipped[id] {
			a.accounts[id] = accountInfo{source: "folder", note: "has a folder in the bucket but is not in the organization now"}
		}
	}
	return nil
}

type orgAccount struct {
	id     string
	joined time.Time
}

// asyncMembers starts listOrgAccounts and returns the wait for it.
func asyncMembers(ctx context.Context, cfg aws.Config) func() ([]orgAccount, error) {
	done := make(chan struct{})
	var members []orgAccount
	var err error
	go func() {
		defer close(done)
		members, err = listOrgAccounts(ctx, cfg)
	}()
	return func() ([]orgAccount, error) {
		select {
		case <-done:
			return members, err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// listOrgAccounts asks Organizations ListAccounts (the management account
// or a delegated administrator may).
func listOrgAccounts(ctx context.Context, cfg aws.Config) ([]orgAccount, error) {
	var out []orgAccount
	p := organizations.NewListAccountsPaginator(organizations.NewFromConfig(cfg), &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, acc := range page.Accounts {
			out = append(out, orgAccount{id: aws.ToString(acc.Id), joined: aws.ToTime(acc.JoinedTimestamp)})
		}
	}
	return out, nil
}

// loadState reads the state and checks it is this trail's.
func (a *archive) loadState(ctx context.Context) error {
	st := a.spec.State
	if st == nil {
		return nil
	}
	old, err := st.Load(ctx)
	if err != nil {
		return err
	}
	a.report.State = &StateSummary{Path: st.String()}
	if old == nil {
		return nil
	}
	switch {
	case old.Trail != a.spec.Trail.Raw:
		return specErrorf("--state %s is the state of trail %s, not %s", st, old.Trail, a.spec.Trail.Raw)
	case old.Bucket != a.bucket || old.Prefix != a.prefix:
		return specErrorf("--state %s is the state of %s, not %s: the trail was moved; start a new state file", st, location(old.Bucket, old.Prefix), location(a.bucket, a.prefix))
	case old.Shard != a.spec.Shard.String():
		return specErrorf("--state %s is the state of shard %q, not %q: give each shard its own state file", st, old.Shard, a.spec.Shard.String())
	}
	a.old = old
	return nil
}

// chainsAtOnce is how many chains a run verifies in full at once; chains
// read since their checkpoint (a few new objects each) run up to
// Concurrency at once.
func (a *archive) chainsAtOnce() int {
	if a.spec.Chains > 0 {
		return a.spec.Chains
	}
	return min(64, max(2, a.spec.Concurrency/4))
}

// runChains discovers each account's regions and verifies every chain of
// the shard: discovery feeds a channel that workers drain, at most
// chainsAtOnce of them verifying a chain in full, so memory holds that
// many chains' state, whatever the number of accounts.
func (a *archive) runChains(ctx context.Context) error {
	ids := make([]string, 0, len(a.accounts))
	for id := range a.accounts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	jobs := make(chan chainJob, a.chainsAtOnce())
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(jobs)
		dg, dctx := errgroup.WithContext(gctx)
		dg.SetLimit(max(16, a.spec.Concurrency/2))
		for _, id := range ids {
			dg.Go(func() error {
				chains, err := a.accountChains(dctx, id)
				if err != nil {
					return err
				}
				for _, c := range chains {
					select {
					case jobs <- c:
					case <-dctx.Done():
						return dctx.Err()
					}
				}
				return nil
			})
		}
		return dg.Wait()
	})
	for range max(a.chainsAtOnce(), a.spec.Concurrency) {
		g.Go(func() error {
			for job := range jobs {
				if err := a.runChain(gctx, job); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	a.report.finish(a.accounts)
	return nil
}

// accountChains lists an account's regions, learns which must have
// digests, and returns the chains of the shard.
func (a *archive) accountChains(ctx context.Context, account string) ([]chainJob, error) {
	s := a.spec
	home := s.Trail.Region
	var exp Expectation
	var regions []string
	if s.Regions != nil {
		regions = slices.Clone(s.Regions)
		for _, r := range regions {
			exp.Regions = append(exp.Regions, ExpectedRegion{Region: r, Why: WhyNamed})
		}
	} else {
		expected := make(chan Expectation, 1)
		go func() {
			switch {
			case a.pull != nil:
				expected <- a.pull.expectation(s.Trail.Raw, account).withHome(home)
			default:
				expected <- accountExpectation(ctx, a.cfg, a.trail, s.Trail, account)
			}
		}()
		digestDirs, logDirs, err := listRegionDirs(ctx, a.store, a.bucket, a.layout(account))
		exp = <-expected
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			// The account's folders cannot be listed: its home region's
			// chain says so, never a pass.
			exp.Unknown = fmt.Sprintf("the account's folders could not be listed: %v", err)
		}
		regions = mergeRegions(mergeRegions(digestDirs, logDirs), exp.names())
	}
	var out []chainJob
	for _, r := range regions {
		if !s.Shard.Has(account, r) {
			continue
		}
		a.keys.Prefetch(r, a.keyFrom, a.keyTo)
		ce := Expectation{}
		if er, ok := exp.find(r); ok {
			ce.Regions = []ExpectedRegion{er}
		}
		if r == home {
			ce.Unknown = exp.Unknown
		}
		out = append(out, chainJob{account: account, region: r, expect: ce})
	}
	a.mu.Lock()
	a.planned += len(out)
	if p := a.spec.Progress; p != nil {
		p.Chains(a.planned, a.done)
	}
	a.mu.Unlock()
	return out, nil
}
