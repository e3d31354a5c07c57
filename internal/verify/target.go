package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailseal/trailseal/internal/awsclient"
)

// SpecError is a problem with what was asked for (a flag value, a key
// file, a folder), not with the evidence: the CLI exits 2 for it.
type SpecError struct{ Err error }

func (e *SpecError) Error() string { return e.Err.Error() }
func (e *SpecError) Unwrap() error { return e.Err }

func specErrorf(format string, args ...any) error {
	return &SpecError{fmt.Errorf(format, args...)}
}

// TrailARN is a parsed CloudTrail trail ARN.
type TrailARN struct {
	Raw, Partition, Region, Account, Name string
}

var (
	trailNamePattern = regexp.MustCompile(`^[A-Za-z0-9._-]{3,128}$`)
	accountPattern   = regexp.MustCompile(`^\d{12}$`)
)

// ParseTrailARN checks s is arn:PARTITION:cloudtrail:REGION:ACCOUNT:trail/NAME.
func ParseTrailARN(s string) (TrailARN, error) {
	if s == "" {
		return TrailARN{}, specErrorf("--trail-arn is required (arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME)")
	}
	bad := specErrorf("--trail-arn %q is not a trail ARN (want arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME, the name 3 to 128 letters, digits, '.', '_' or '-')", s)
	a, err := arn.Parse(s)
	if err != nil || a.Service != "cloudtrail" || !strings.HasPrefix(a.Partition, "aws") || a.Region == "" ||
		!accountPattern.MatchString(a.AccountID) || !strings.HasPrefix(a.Resource, "trail/") {
		return TrailARN{}, bad
	}
	name := strings.TrimPrefix(a.Resource, "trail/")
	if !trailNamePattern.MatchString(name) {
		return TrailARN{}, bad
	}
	return TrailARN{Raw: s, Partition: a.Partition, Region: a.Region, Account: a.AccountID, Name: name}, nil
}

// TargetSpec is what to verify (or pull), as the user gave it. Empty
// fields are settled from the trail: its bucket and prefix through
// CloudTrail, the organization folder from the bucket.
type TargetSpec struct {
	Trail     TrailARN
	Bucket    string
	Prefix    string
	AccountID string // member account of an organization trail; default the trail's
	// FromDir reads an offline copy made by Pull instead of S3.
	FromDir string
	// KeyFiles are JSON key lists to use instead of ListPublicKeys; they
	// are merged. NeedKeys makes them required offline.
	KeyFiles []string
	NeedKeys bool
	// Regions are the regions named; nil means every region that must
	// have digests and every region with folders.
	Regions     []string
	Start, End  time.Time
	Concurrency int
	// Prefetch starts the first listings while the target is settled.
	Prefetch bool
	// AWS is the configuration (credentials, the trail's home region);
	// unused offline.
	AWS    aws.Config
	Logger *slog.Logger
	// Keys, when set, is a key cache shared with other targets: CloudTrail's
	// keys are per region, the same for every account.
	Keys *KeyCache
}

// Target is where a trail's files are and how to read them. It is built
// once per trail and account, and its Options run one verification.
type Target struct {
	Spec   TargetSpec
	Store  Store
	Bucket string
	Layout Layout
	Keys   *KeyCache
	// Offline is set for a copy read from Spec.FromDir.
	Offline bool

	fromDir  string
	latest   func() time.Time
	expected func(context.Context) Expectation
	stop     func()
	cancel   context.CancelFunc
}

// ResolveTarget settles bucket, prefix, layout, key source and expected
// regions from spec, asking AWS only for what spec leaves open. Errors
// about spec itself are *SpecError.
func ResolveTarget(ctx context.Context, spec TargetSpec) (*Target, error) {
	if spec.Logger == nil {
		spec.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	account := spec.AccountID
	if account == "" {
		account = spec.Trail.Account
	} else if !accountPattern.MatchString(account) {
		return nil, specErrorf("--account-id %q is not a 12-digit account ID", account)
	}
	// The target's background work (keys, trail status, expected regions)
	// lives as long as the target.
	ctx, cancel := context.WithCancel(ctx)
	t := &Target{Spec: spec, Bucket: spec.Bucket, cancel: cancel,
		Layout: Layout{Prefix: strings.Trim(spec.Prefix, "/"), AccountID: account, TrailName: spec.Trail.Name, HomeRegion: spec.Trail.Region}}
	var fileKeys StaticKeys
	for _, path := range spec.KeyFiles {
		keys, err := readKeysPath(path)
		if err != nil {
			cancel()
			return nil, err
		}
		fileKeys = fileKeys.Merge(keys)
	}
	var err error
	if spec.FromDir != "" {
		err = t.resolveOffline(ctx, fileKeys)
	} else {
		err = t.resolveOnline(ctx, fileKeys)
	}
	if err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

func readKeysPath(path string) (StaticKeys, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, specErrorf("--public-keys: %v", err)
	}
	defer f.Close()
	keys, err := ReadKeysFile(f)
	if err != nil {
		return nil, specErrorf("--public-keys %s: %v", path, err)
	}
	return keys, nil
}

// Close stops what the target still does in the background.
func (t *Target) Close() {
	if t.stop != nil {
		t.stop()
	}
	t.cancel()
}

// Options are the options of one verification of the target.
func (t *Target) Options() Options {
	s := t.Spec
	return Options{
		Store: t.Store, Bucket: t.Bucket, Layout: t.Layout, Regions: s.Regions,
		Start: s.Start, End: s.End, Keys: t.Keys, Concurrency: s.Concurrency,
		LatestDigestDeliveryFunc: t.latest, Expected: t.expected, Offline: t.Offline, Logger: s.Logger,
		FromDir: t.fromDir,
	}
}

// Expected returns the regions that must have digests, waiting for the
// calls that tell.
func (t *Target) Expected(ctx context.Context) Expectation {
	if t.expected == nil {
		return Expectation{}
	}
	return t.expected(ctx)
}

func (t *Target) resolveOffline(ctx context.Context, keys StaticKeys) error {
	s := t.Spec
	bucket, err := offlineBucket(s.FromDir, t.Bucket, s.NeedKeys && keys == nil)
	if err != nil {
		return err
	}
	t.Bucket = bucket
	t.Offline, t.fromDir = true, filepath.Clean(s.FromDir)
	t.Store = DirStore{Root: t.fromDir}
	t.Keys = NewKeyCache(ctx, keys)
	rec, err := ReadPullRecord(s.FromDir)
	if err != nil {
		return &SpecError{err}
	}
	exp := rec.expectation(s.Trail.Raw, t.Layout.AccountID)
	t.expected = func(context.Context) Expectation { return exp }
	return t.settleLayout(ctx, nil)
}

func (t *Target) resolveOnline(ctx context.Context, fileKeys StaticKeys) error {
	s := t.Spec
	cfg := readConfig(s.AWS, s.Trail.Region)
	ct := cloudtrail.NewFromConfig(cfg)
	// DescribeTrails tells the bucket, when not given, and whether the
	// trail records every region, when the regions are not named.
	var trail *trailLookup
	if t.Bucket == "" || s.Regions == nil {
		trail = t.describeTrail(ctx, ct)
	}
	switch {
	case s.Keys != nil:
		t.Keys = s.Keys
	case fileKeys != nil:
		t.Keys = NewKeyCache(ctx, fileKeys)
	default:
		t.Keys = NewKeyCache(ctx, APIKeys{Client: func(region string) *cloudtrail.Client {
			return cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) { o.Region = region })
		}})
	}
	// The keys of the regions known now are asked for at once, while the
	// bucket is settled; the others as soon as they are known.
	from, to := KeyRange(s.Start, s.End)
	for _, r := range append([]string{s.Trail.Region}, s.Regions...) {
		t.Keys.Prefetch(r, from, to)
	}
	if t.Bucket == "" {
		tr, err := trail.wait(ctx)
		if err != nil {
			return err
		}
		t.Bucket = aws.ToString(tr.S3BucketName)
		if s.Prefix == "" {
			t.Layout.Prefix = strings.Trim(aws.ToString(tr.S3KeyPrefix), "/")
		}
	}
	t.latest = t.trailStatus(ctx, ct)
	if s.Regions == nil {
		t.expected = t.expectRegions(ctx, cfg, trail, from, to)
	}
	// The bucket's region is asked for while the bucket is read with the
	// trail's home region, where trail buckets usually are; only when it
	// is elsewhere is the first listing done again.
	buckets := newS3Buckets(cfg, s.Logger)
	home := buckets.home
	located := make(chan *s3.Client, 1)
	go func() { located <- clientForBucket(ctx, s.Logger, cfg, home, t.Bucket) }()
	buckets.set(t.Bucket, home)
	t.Store = buckets
	relocate := func() bool {
		c := <-located
		if c == home {
			return false
		}
		buckets.set(t.Bucket, c)
		return true
	}
	if s.Prefetch {
		// The first listings start now too, on the guess that the bucket
		// is in the home region and holds an account trail's layout; a
		// wrong guess costs a few listings, never a result.
		p := StartPrefetch(ctx, buckets, t.Bucket, t.Layout, s.Regions, s.Start, s.End, s.Concurrency)
		t.Store, t.stop = p, p.Stop
	}
	return t.settleLayout(ctx, relocate)
}

// readConfig is cfg for reading a trail's objects from region: more
// retries, and a connection kept per concurrent request (the default pool
// keeps ten, and reconnecting for every object costs more than the GET).
func readConfig(aws0 aws.Config, region string) aws.Config {
	cfg := aws0.Copy()
	cfg.Region = region
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 6 })
	}
	// The run's awsclient.Network, when the caller applied one, stays
	// under the tuned client: it bounds retries when the endpoint goes.
	cfg.HTTPClient = awsclient.WithTransportOptions(cfg.HTTPClient, func(tr *http.Transport) {
		tr.MaxIdleConns = 0
		tr.MaxIdleConnsPerHost = 1024
	})
	return cfg
}

// settleLayout finds the organization folder, if any, moving to the
// bucket's own region first when relocate says the guess was wrong.
func (t *Target) settleLayout(ctx context.Context, relocate func() bool) error {
	// Organization trails add the organization ID before the account:
	// find it in the bucket rather than asking Organizations.
	org, err := findOrgID(ctx, t.Store, t.Bucket, t.Layout)
	if relocate != nil && relocate() {
		t.dropPrefetch()
		org, err = findOrgID(ctx, t.Store, t.Bucket, t.Layout)
	}
	if err != nil {
		t.dropPrefetch()
		return err
	}
	if org != "" {
		t.dropPrefetch()
	}
	t.Layout.OrgID = org
	return nil
}

// dropPrefetch abandons a prefetch whose guess was wrong.
func (t *Target) dropPrefetch() {
	if p, ok := t.Store.(*Prefetch); ok {
		p.Stop()
		t.Store, t.stop = p.Store, nil
	}
}

// trailLookup is the answer of DescribeTrails, asked once in the
// background: for the bucket when it was not given, and for whether the
// trail records every region.
type trailLookup struct {
	done  chan struct{}
	trail *cloudtrailTrail
	err   error
}

// cloudtrailTrail is what verify uses of a trail's configuration.
type cloudtrailTrail struct {
	S3BucketName, S3KeyPrefix *string
	IsMultiRegionTrail        bool
	IsOrganizationTrail       bool
}

func (l *trailLookup) wait(ctx context.Context) (*cloudtrailTrail, error) {
	select {
	case <-l.done:
		return l.trail, l.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (t *Target) describeTrail(ctx context.Context, ct *cloudtrail.Client) *trailLookup {
	l := &trailLookup{done: make(chan struct{})}
	raw := t.Spec.Trail.Raw
	go func() {
		defer close(l.done)
		out, err := ct.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{TrailNameList: []string{raw}})
		switch {
		case err != nil:
			l.err = fmt.Errorf("find the trail with DescribeTrails: %w (pass --s3-bucket and --regions to verify without it)", awsclient.Described(err))
		case len(out.TrailList) == 0:
			l.err = fmt.Errorf("trail %s not found; check the ARN, or pass --s3-bucket and --regions", raw)
		default:
			tr := out.TrailList[0]
			l.trail = &cloudtrailTrail{S3BucketName: tr.S3BucketName, S3KeyPrefix: tr.S3KeyPrefix,
				IsMultiRegionTrail: aws.ToBool(tr.IsMultiRegionTrail), IsOrganizationTrail: aws.ToBool(tr.IsOrganizationTrail)}
		}
	}()
	return l
}

// trailStatus asks GetTrailStatus in the background: the latest digest
// delivery is only needed at the chain-end check.
func (t *Target) trailStatus(ctx context.Context, ct *cloudtrail.Client) func() time.Time {
	status := make(chan time.Time, 1)
	raw, logger := t.Spec.Trail.Raw, t.Spec.Logger
	go func() {
		var latest time.Time
		if st, err := ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(raw)}); err == nil {
			latest = aws.ToTime(st.LatestDigestDeliveryTime)
		} else {
			logger.Debug("GetTrailStatus failed; the chain end is checked against the hourly cadence only", "err", err)
		}
		status <- latest
	}()
	return func() time.Time {
		l := <-status
		status <- l
		return l
	}
}

func findOrgID(ctx context.Context, st Store, bucket string, l Layout) (string, error) {
	root := "AWSLogs/"
	if l.Prefix != "" {
		root = l.Prefix + "/" + root
	}
	dirs, err := st.ListDirs(ctx, bucket, root)
	if err != nil {
		return "", err
	}
	for _, d := range dirs {
		if d == l.AccountID {
			return "", nil
		}
	}
	for _, d := range dirs {
		if strings.HasPrefix(d, "o-") {
			sub, err := st.ListDirs(ctx, bucket, root+d+"/")
			if err != nil {
				return "", err
			}
			for _, s := range sub {
				if s == l.AccountID {
					return d, nil
				}
			}
		}
	}
	return "", nil
}

// S3Options are the S3 client options of verify and pull: path-style
// when an endpoint override points at an emulator, and no response
// checksum validation, since the verifier hashes every object itself.
func S3Options(cfg aws.Config) func(*s3.Options) {
	custom := awsclient.CustomEndpoint(cfg)
	return func(o *s3.Options) {
		awsclient.S3("", custom)(o)
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}
}

// clientForBucket asks c (a client for cfg.Region) for the bucket's
// region and returns c when the bucket is there or the question fails,
// otherwise a client for the bucket's region.
func clientForBucket(ctx context.Context, logger *slog.Logger, cfg aws.Config, c *s3.Client, bucket string) *s3.Client {
	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(bucket)})
	if err != nil {
		logger.Debug("GetBucketLocation failed; using the trail's home region for S3", "bucket", bucket, "err", err)
		return c
	}
	region := awsclient.BucketRegion(string(loc.LocationConstraint))
	if region == cfg.Region {
		return c
	}
	return s3.NewFromConfig(cfg, S3Options(cfg), func(o *s3.Options) { o.Region = region })
}

// s3Buckets reads each bucket with a client for its region: when verify
// follows a moved trail's chain into its old bucket, that bucket may be
// in another region than the new one.
type s3Buckets struct {
	cfg    aws.Config
	logger *slog.Logger
	home   *s3.Client
	mu     sync.Mutex
	stores map[string]*S3Store
}

func newS3Buckets(cfg aws.Config, logger *slog.Logger) *s3Buckets {
	return &s3Buckets{cfg: cfg, logger: logger, home: s3.NewFromConfig(cfg, S3Options(cfg)), stores: map[string]*S3Store{}}
}

// NewS3Buckets returns a Store that reads every bucket through a client
// for the bucket's own region (pull and tests use it directly).
func NewS3Buckets(cfg aws.Config) Store {
	return newS3Buckets(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func (b *s3Buckets) set(bucket string, c *s3.Client) {
	b.mu.Lock()
	b.stores[bucket] = NewS3Store(c)
	b.mu.Unlock()
}

func (b *s3Buckets) store(ctx context.Context, bucket string) *S3Store {
	b.mu.Lock()
	defer b.mu.Unlock()
	st, ok := b.stores[bucket]
	if !ok {
		st = NewS3Store(clientForBucket(ctx, b.logger, b.cfg, b.home, bucket))
		b.stores[bucket] = st
	}
	return st
}

func (b *s3Buckets) List(ctx context.Context, bucket, prefix string, fn func(Object) error) error {
	return b.store(ctx, bucket).List(ctx, bucket, prefix, fn)
}

func (b *s3Buckets) ListFrom(ctx context.Context, bucket, prefix, startAfter string, fn func(Object) error) error {
	return b.store(ctx, bucket).ListFrom(ctx, bucket, prefix, startAfter, fn)
}

func (b *s3Buckets) ListDirs(ctx context.Context, bucket, prefix string) ([]string, error) {
	return b.store(ctx, bucket).ListDirs(ctx, bucket, prefix)
}

func (b *s3Buckets) Open(ctx context.Context, bucket, key string) (io.ReadCloser, ObjectInfo, error) {
	return b.store(ctx, bucket).Open(ctx, bucket, key)
}

// IsSpecError tells whether err is about what was asked for.
func IsSpecError(err error) bool {
	var se *SpecError
	return errors.As(err, &se)
}

func (b *s3Buckets) Versioning(ctx context.Context, bucket string) (string, error) {
	return b.store(ctx, bucket).Versioning(ctx, bucket)
}

func (b *s3Buckets) ListVersions(ctx context.Context, bucket, prefix string) ([]Version, error) {
	return b.store(ctx, bucket).ListVersions(ctx, bucket, prefix)
}

func (b *s3Buckets) OpenVersion(ctx context.Context, bucket, key, versionID string) (io.ReadCloser, ObjectInfo, error) {
	return b.store(ctx, bucket).OpenVersion(ctx, bucket, key, versionID)
}

// offlineBucket checks a --from-dir run's inputs and returns the bucket to
// verify: bucket, or when it is empty the one bucket folder under fromDir.
// noKeys says the run needs --public-keys and has none.
func offlineBucket(fromDir, bucket string, noKeys bool) (string, error) {
	if noKeys {
		return "", specErrorf("--from-dir needs --public-keys: export them with 'trailseal keys export' while online")
	}
	if bucket == "" {
		entries, err := os.ReadDir(fromDir)
		if err != nil {
			return "", specErrorf("--from-dir: %v", err)
		}
		var dirs []string
		for _, e := range entries {
			if e.IsDir() {
				dirs = append(dirs, e.Name())
			}
		}
		if len(dirs) != 1 {
			return "", specErrorf("--from-dir %s holds %d bucket folders; name the one to verify with --s3-bucket", fromDir, len(dirs))
		}
		bucket = dirs[0]
	}
	// A missing folder would read as a bucket without digests.
	if fi, err := os.Stat(filepath.Join(fromDir, bucket)); err != nil || !fi.IsDir() {
		return "", specErrorf("--from-dir %s has no folder for bucket %s; give the folder 'trailseal pull --to' wrote", fromDir, bucket)
	}
	return bucket, nil
}
