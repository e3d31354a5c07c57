package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/spf13/cobra"

	"github.com/trailseal/trailseal/internal/awsclient"
	"github.com/trailseal/trailseal/internal/verify"
)

type verifyOptions struct {
	aws         awsOptions
	trailARN    string
	startTime   string
	endTime     string
	bucket      string
	prefix      string
	accountID   string
	regions     string
	publicKeys  string
	fromDir     string
	format      string
	verbose     bool
	concurrency int
	// concurrencySet: --concurrency was given; otherwise --from-dir reads
	// with 4 per CPU, since more only adds memory on a local disk.
	concurrencySet bool
	// now pins the current time in tests.
	now time.Time
}

var verifyLong = `Verify proves that the CloudTrail log files of a period are complete and
unchanged. It lists the trail's digest files for every source region, checks
each digest's RSA signature (SHA256withRSA, keys from CloudTrail's
ListPublicKeys or --public-keys) and its link to the previous digest, then
re-hashes every log file a digest names. The flags of 'aws cloudtrail
validate-logs' keep their names and meaning.

Beyond validate-logs, verify reports with a reason code each: several
consecutive deleted digests (every one named), deleted newest digests (the
chain end is compared with the trail's latest digest delivery and with the
hourly cadence up to --end-time), data appended after a gzip member, wrong
previousDigestHashValue/previousDigestSignature links, log files in the
period that no digest names, gaps (validation or logging off), unsupported
signature algorithms, unknown keys and keys not valid at signing time. A gap
fails the run too: nothing proves the logs of that period complete.

--from-dir verifies an offline copy made by 'trailseal pull' (DIR/<bucket>/
<key>, signatures in <key>.metadata.json). Without those files a digest's
signature is taken from the next digest, so the newest digest of each chain
is reported as unverifiable. Offline runs need --public-keys (the JSON of
'aws cloudtrail list-public-keys' or 'trailseal keys export').

Exit codes:
` + exitCodesHelp("verify")

const verifyExample = `  # the same flags as 'aws cloudtrail validate-logs', every region of the trail
  trailseal verify --trail-arn arn:aws:cloudtrail:us-east-1:111122223333:trail/org-audit \
      --start-time 2026-01-01T00:00:00Z --end-time 2026-02-01T00:00:00Z

  # one member account of an organization trail, two regions, JSON report
  trailseal verify --trail-arn arn:aws:cloudtrail:us-east-1:111122223333:trail/org-audit \
      --account-id 444455556666 --regions eu-west-1,us-east-1 \
      --start-time 2026-01-01T00:00:00Z --format json > report.json

  # air-gapped: verify a copy made by 'trailseal pull' with exported keys
  trailseal keys export --regions us-east-1 --start-time 2026-01-01T00:00:00Z > keys.json
  trailseal pull --trail-arn ARN --start-time 2026-01-01T00:00:00Z --to evidence/
  trailseal verify --trail-arn ARN --start-time 2026-01-01T00:00:00Z \
      --from-dir evidence/ --public-keys keys.json`

func newVerifyCommand(g *globals) *cobra.Command {
	o := &verifyOptions{}
	cmd := &cobra.Command{
		Use:     "verify",
		Short:   "Verify CloudTrail digest chains and log files: complete, unchanged, in place",
		Long:    verifyLong,
		Example: verifyExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.concurrencySet = cmd.Flags().Changed("concurrency")
			return runVerify(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	addTrailFlags(f, &o.trailARN, &o.startTime, &o.endTime, &o.bucket, &o.prefix, &o.accountID, &o.regions)
	f.StringVar(&o.publicKeys, "public-keys", "", "read public keys from this JSON file (output of 'aws cloudtrail list-public-keys') instead of calling ListPublicKeys")
	f.StringVar(&o.fromDir, "from-dir", "", "verify an offline copy laid out as DIR/<bucket>/<key> (made by 'trailseal pull') instead of S3")
	f.StringVarP(&o.format, "format", "f", "text", "output format: text or json")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "list every valid digest and log file too")
	f.IntVar(&o.concurrency, "concurrency", 128, "maximum objects read at once (with --from-dir the default is 4 per CPU)")
	addAWSFlags(f, &o.aws)
	return cmd
}

// trailARN is a parsed CloudTrail trail ARN.
type trailARN struct {
	raw, partition, region, account, name string
}

var trailARNPattern = regexp.MustCompile(`^arn:(aws[a-z-]*):cloudtrail:([a-z0-9-]+):(\d{12}):trail/([A-Za-z0-9._-]{3,128})$`)

func parseTrailARN(s string) (trailARN, error) {
	if s == "" {
		return trailARN{}, usageError("--trail-arn is required (arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME)")
	}
	m := trailARNPattern.FindStringSubmatch(s)
	if m == nil {
		return trailARN{}, usageError("--trail-arn %q is not a trail ARN (want arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME, the name 3 to 128 letters, digits, '.', '_' or '-')", s)
	}
	return trailARN{raw: s, partition: m[1], region: m[2], account: m[3], name: m[4]}, nil
}

// parseFlagTime accepts RFC 3339 and, as UTC, a date or a date and time
// without zone, like validate-logs does.
func parseFlagTime(flag, s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, usageError("--%s %q is not a time; use ISO 8601 such as 2026-01-08T05:21:42Z", flag, s)
}

// periodFlags validates --start-time and --end-time.
func periodFlags(start, end string, now time.Time) (time.Time, time.Time, error) {
	if start == "" {
		return time.Time{}, time.Time{}, usageError("--start-time is required, e.g. --start-time 2026-01-01T00:00:00Z")
	}
	s, err := parseFlagTime("start-time", start)
	if err != nil {
		return s, s, err
	}
	e := now.UTC()
	if end != "" {
		if e, err = parseFlagTime("end-time", end); err != nil {
			return s, e, err
		}
	}
	if !s.Before(e) {
		return s, e, usageError("--start-time %s is not before --end-time %s", s.Format(time.RFC3339), e.Format(time.RFC3339))
	}
	return s, e, nil
}

// prefetchSpec is what verify will list first: with it, resolveTarget
// starts those listings while it settles the bucket's region and layout.
type prefetchSpec struct {
	regions     []string
	start, end  time.Time
	concurrency int
}

// trailTarget is where a trail's files are and how to read them.
type trailTarget struct {
	// stop ends the prefetch of listings, if one was started and kept.
	stop    func()
	store   verify.Store
	bucket  string
	layout  verify.Layout
	latest  func() time.Time // LatestDigestDeliveryTime, zero when unknown; nil offline
	keys    verify.KeySource
	regions []string
}

// resolveTarget works out bucket, prefix, layout and key source from the
// flags, asking CloudTrail only for what the flags leave open.
func resolveTarget(ctx context.Context, g *globals, a awsOptions, arn trailARN, bucket, prefix, account, fromDir, keysFile string, needKeys bool, pf *prefetchSpec) (*trailTarget, error) {
	t := &trailTarget{bucket: bucket}
	// relocate, once the bucket's region is known, moves the store to a
	// client for it and tells whether it had to.
	var relocate func() bool
	if account == "" {
		account = arn.account
	} else if !accountIDPattern.MatchString(account) {
		return nil, usageError("--account-id %q is not a 12-digit account ID", account)
	}
	prefix = strings.Trim(prefix, "/")
	t.layout = verify.Layout{Prefix: prefix, AccountID: account, TrailName: arn.name, HomeRegion: arn.region}
	if keysFile != "" {
		f, err := os.Open(keysFile)
		if err != nil {
			return nil, usageError("--public-keys: %v", err)
		}
		keys, err := verify.ReadKeysFile(f)
		f.Close()
		if err != nil {
			return nil, usageError("--public-keys %s: %v", keysFile, err)
		}
		t.keys = keys
	}
	if fromDir != "" {
		if needKeys && t.keys == nil {
			return nil, usageError("--from-dir needs --public-keys: export them with 'trailseal keys export' while online")
		}
		if t.bucket == "" {
			entries, err := os.ReadDir(fromDir)
			if err != nil {
				return nil, usageError("--from-dir: %v", err)
			}
			var dirs []string
			for _, e := range entries {
				if e.IsDir() {
					dirs = append(dirs, e.Name())
				}
			}
			if len(dirs) != 1 {
				return nil, usageError("--from-dir %s holds %d bucket folders; name the one to verify with --s3-bucket", fromDir, len(dirs))
			}
			t.bucket = dirs[0]
		}
		// A missing folder would read as a bucket without digests.
		if fi, err := os.Stat(filepath.Join(fromDir, t.bucket)); err != nil || !fi.IsDir() {
			return nil, usageError("--from-dir %s has no folder for bucket %s; give the folder 'trailseal pull --to' wrote", fromDir, t.bucket)
		}
		t.store = verify.DirStore{Root: filepath.Clean(fromDir)}
	} else {
		cfg, err := loadAWSConfig(ctx, awsOptions{profile: a.profile, roleARN: a.roleARN, externalID: a.externalID, region: arn.region}, g.logger, g.debug)
		if err != nil {
			return nil, err
		}
		cfg.Retryer = func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 6 })
		}
		// Keep a connection per concurrent request: the default pool keeps
		// ten, and reconnecting for every object costs more than the GET.
		cfg.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConns = 0
			t.MaxIdleConnsPerHost = 1024
		})
		ct := cloudtrail.NewFromConfig(cfg)
		if t.bucket == "" {
			out, err := ct.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{TrailNameList: []string{arn.raw}})
			if err != nil {
				return nil, explain(errUnreadable, fmt.Errorf("find the trail's bucket with DescribeTrails: %w (pass --s3-bucket to skip this call)", err))
			}
			if len(out.TrailList) == 0 {
				return nil, explain(errUnreadable, fmt.Errorf("trail %s not found; check the ARN or pass --s3-bucket", arn.raw))
			}
			tr := out.TrailList[0]
			t.bucket = aws.ToString(tr.S3BucketName)
			if prefix == "" {
				t.layout.Prefix = strings.Trim(aws.ToString(tr.S3KeyPrefix), "/")
			}
		}
		// The trail status is only needed at the chain-end check: ask for
		// it while the objects are read.
		status := make(chan time.Time, 1)
		go func() {
			var latest time.Time
			if st, err := ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(arn.raw)}); err == nil {
				latest = aws.ToTime(st.LatestDigestDeliveryTime)
			} else {
				g.logger.Debug("GetTrailStatus failed; the chain end is checked against the hourly cadence only", "err", err)
			}
			status <- latest
		}()
		t.latest = func() time.Time {
			l := <-status
			status <- l
			return l
		}
		if t.keys == nil {
			t.keys = verify.APIKeys{Client: ct}
			if pf != nil {
				// Asked now, while the bucket is being settled.
				t.keys = verify.EarlyKeys(ctx, t.keys, pf.start, pf.end)
			}
		}
		// The bucket's region is asked for while the bucket is read with
		// the trail's home region, where trail buckets usually are; only
		// when it is elsewhere is the first listing done again.
		home := s3.NewFromConfig(cfg, s3Options(cfg))
		located := make(chan *s3.Client, 1)
		go func() { located <- clientForBucket(ctx, g, cfg, home, t.bucket) }()
		store := &bucketStore{g: g, cfg: cfg, clients: map[string]*verify.S3Store{t.bucket: verify.NewS3Store(home)}}
		t.store = store
		relocate = func() bool {
			c := <-located
			if c == home {
				return false
			}
			store.mu.Lock()
			store.clients[t.bucket] = verify.NewS3Store(c)
			store.mu.Unlock()
			return true
		}
		if pf != nil {
			// The first listings start now too, on the guess that the
			// bucket is in the home region and holds an account trail's
			// layout; a wrong guess costs a few listings, never a result.
			p := verify.StartPrefetch(ctx, store, t.bucket, t.layout, pf.regions, pf.start, pf.end, pf.concurrency)
			t.store, t.stop = p, p.Stop
		}
	}
	// Organization trails add the organization ID before the account:
	// find it in the bucket rather than asking Organizations.
	org, err := findOrgID(ctx, t.store, t.bucket, t.layout)
	if relocate != nil && relocate() {
		t.dropPrefetch()
		org, err = findOrgID(ctx, t.store, t.bucket, t.layout)
	}
	if err != nil {
		t.dropPrefetch()
		return nil, explain(errUnreadable, err)
	}
	if org != "" {
		t.dropPrefetch()
	}
	t.layout.OrgID = org
	return t, nil
}

// dropPrefetch abandons a prefetch whose guess was wrong.
func (t *trailTarget) dropPrefetch() {
	if p, ok := t.store.(*verify.Prefetch); ok {
		p.Stop()
		t.store, t.stop = p.Store, nil
	}
}

func findOrgID(ctx context.Context, st verify.Store, bucket string, l verify.Layout) (string, error) {
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

// s3Options are the S3 client options of verify and pull: path-style when
// an endpoint override points at an emulator, and no response checksum
// validation, since the verifier hashes every object itself.
func s3Options(cfg aws.Config) func(*s3.Options) {
	custom := awsclient.CustomEndpoint(cfg)
	return func(o *s3.Options) {
		awsclient.S3("", custom)(o)
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}
}

// newS3Client builds an S3 client for the bucket's region.
func newS3Client(ctx context.Context, g *globals, cfg aws.Config, bucket string) *s3.Client {
	return clientForBucket(ctx, g, cfg, s3.NewFromConfig(cfg, s3Options(cfg)), bucket)
}

// clientForBucket asks c (a client for cfg.Region) for the bucket's region
// and returns c when the bucket is there or the question fails, otherwise
// a client for the bucket's region.
func clientForBucket(ctx context.Context, g *globals, cfg aws.Config, c *s3.Client, bucket string) *s3.Client {
	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(bucket)})
	if err != nil {
		g.logger.Debug("GetBucketLocation failed; using the trail's home region for S3", "bucket", bucket, "err", err)
		return c
	}
	region := awsclient.BucketRegion(string(loc.LocationConstraint))
	if region == cfg.Region {
		return c
	}
	return s3.NewFromConfig(cfg, s3Options(cfg), func(o *s3.Options) { o.Region = region })
}

// bucketStore reads each bucket with a client for its region: when verify
// follows a moved trail's chain into its old bucket, that bucket may be in
// another region than the new one.
type bucketStore struct {
	g       *globals
	cfg     aws.Config
	mu      sync.Mutex
	clients map[string]*verify.S3Store
}

func (b *bucketStore) client(ctx context.Context, bucket string) *verify.S3Store {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.clients[bucket]
	if !ok {
		c = verify.NewS3Store(newS3Client(ctx, b.g, b.cfg, bucket))
		b.clients[bucket] = c
	}
	return c
}

func (b *bucketStore) List(ctx context.Context, bucket, prefix string, fn func(verify.Object) error) error {
	return b.client(ctx, bucket).List(ctx, bucket, prefix, fn)
}

func (b *bucketStore) ListDirs(ctx context.Context, bucket, prefix string) ([]string, error) {
	return b.client(ctx, bucket).ListDirs(ctx, bucket, prefix)
}

func (b *bucketStore) Open(ctx context.Context, bucket, key string) (io.ReadCloser, map[string]string, error) {
	return b.client(ctx, bucket).Open(ctx, bucket, key)
}

func runVerify(ctx context.Context, g *globals, o *verifyOptions) error {
	report, err := executeVerify(ctx, g, o)
	if err != nil {
		return err
	}
	if err := writeVerifyReport(g, report, o.format, o.verbose); err != nil {
		return err
	}
	return verifyExit(report)
}

// executeVerify validates the flags and runs the verification; the caller
// prints the report.
func executeVerify(ctx context.Context, g *globals, o *verifyOptions) (*verify.Report, error) {
	now := o.now
	if now.IsZero() {
		now = time.Now()
	}
	arn, err := parseTrailARN(o.trailARN)
	if err != nil {
		return nil, err
	}
	start, end, err := periodFlags(o.startTime, o.endTime, now)
	if err != nil {
		return nil, err
	}
	regions, err := parseRegions(o.regions)
	if err != nil {
		return nil, err
	}
	if o.format != "text" && o.format != "json" {
		return nil, usageError("--format must be text or json, not %q", o.format)
	}
	if o.concurrency < 1 || o.concurrency > 1024 {
		return nil, usageError("--concurrency must be between 1 and 1024, not %d", o.concurrency)
	}
	if err := o.aws.validate(); err != nil {
		return nil, err
	}
	concurrency := o.concurrency
	if o.fromDir != "" && !o.concurrencySet {
		concurrency = 4 * runtime.GOMAXPROCS(0)
	}
	t, err := resolveTarget(ctx, g, o.aws, arn, o.bucket, o.prefix, o.accountID, o.fromDir, o.publicKeys, true,
		&prefetchSpec{regions: regions, start: start, end: end, concurrency: concurrency})
	if err != nil {
		return nil, err
	}
	if t.stop != nil {
		defer t.stop()
	}
	vo := verify.Options{
		Store: t.store, Bucket: t.bucket, Layout: t.layout, Regions: regions,
		Start: start, End: end, Keys: t.keys, Concurrency: concurrency,
		LatestDigestDeliveryFunc: t.latest, Now: now, Offline: o.fromDir != "", Logger: g.logger,
		ListValidLogs: o.format == "json" || o.verbose,
	}
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		// The live set (about 250 bytes per log file) is small, but the
		// garbage of reading millions of objects is not: a soft limit
		// makes the collector keep the heap near the live set on long
		// periods, without extra work on short ones.
		debug.SetMemoryLimit(64 << 20)
	}
	var finish func()
	vo.Progress, finish = newProgress(g)
	report, err := verify.Run(ctx, vo)
	finish()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil, err
		}
		return nil, explain(errUnreadable, fmt.Errorf("verify s3://%s: %w", t.bucket, err))
	}
	report.Trail = arn.raw
	return report, nil
}

func writeVerifyReport(g *globals, r *verify.Report, format string, verbose bool) error {
	if format == "json" {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return r.WriteText(g.stdout, verbose)
}

// verifyExit maps the outcome to an exit outcome; the report already says why.
func verifyExit(r *verify.Report) error {
	switch r.Outcome {
	case verify.OutcomeValid:
		return nil
	case verify.OutcomeInvalid:
		return errInvalid
	default:
		return errUnreadable
	}
}
