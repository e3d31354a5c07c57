package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsarn "github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/trailseal/trailseal/internal/awsclient"
	"github.com/trailseal/trailseal/internal/inventory"
)

// Options tune a collection run.
type Options struct {
	// Regions to scan. Empty means the account's enabled regions
	// (ec2:DescribeRegions); if that call fails, the config's region only,
	// recorded in Inventory.RegionErrors.
	Regions []string
	// Concurrency bounds the number of API calls in flight; 0 means 16.
	Concurrency int
	// Logger receives debug messages; nil discards them.
	Logger *slog.Logger
	// Progress, when set, is told how many collection tasks are done out of
	// those known so far. The total grows as the scan discovers resources.
	Progress func(done, total int)
	// TrailDependenciesOnly collects the trails and what they depend on
	// (buckets, keys, log groups, alarms, topics) and nothing else: no
	// IAM, Organizations, account-level Block Public Access or AWS Config.
	// trailseal hunt needs no more for its context.
	TrailDependenciesOnly bool
}

// defaultConcurrency keeps well under the per-account API rate limits of
// the read calls we make while still overlapping network latency.
const defaultConcurrency = 16

// maxAttempts is generous because a scan fans out many calls at once and
// hitting a throttle must not turn evidence into an ERROR finding.
const maxAttempts = 8

// Collect reads the account that cfg's credentials belong to. It returns an
// error only when nothing can be collected (no usable credentials); every
// other failure is recorded on the evidence it affects.
func Collect(ctx context.Context, cfg aws.Config, opts Options) (*inventory.Inventory, error) {
	c := newCollector(cfg, opts)

	ident, err := c.aws.STS().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		if ctx.Err() != nil {
			return nil, interrupted(ctx)
		}
		code, _ := awsclient.Failure(err)
		return nil, fmt.Errorf("no usable AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run 'aws sso login' (sts:GetCallerIdentity: %s)", code)
	}
	inv := &inventory.Inventory{
		SchemaVersion: inventory.SchemaVersion,
		Generator:     "trailseal",
		CollectedAt:   time.Now().UTC(),
		Account: inventory.Account{
			ID:        aws.ToString(ident.Account),
			CallerARN: aws.ToString(ident.Arn),
		},
	}
	inv.Partition = partitionOf(inv.Account.CallerARN)
	c.account = inv.Account.ID
	c.partition = inv.Partition

	// Account-wide evidence does not depend on the trails: start it now and
	// let it overlap with trail discovery.
	var wg sync.WaitGroup
	if !opts.TrailDependenciesOnly {
		c.spawn(&wg, func() { inv.Organization = c.organization(ctx) })
		c.spawn(&wg, func() { inv.IAM = c.iamAuthorization(ctx) })
		c.spawn(&wg, func() { inv.AccountPublicAccessBlock = c.accountPublicAccessBlock(ctx) })
	}

	inv.Regions, inv.RegionErrors = c.regions(ctx)
	trails, regionErrs := c.trails(ctx, inv.Regions)
	inv.RegionErrors = append(inv.RegionErrors, regionErrs...)
	inv.Trails = trails

	// Trail details, buckets, keys and log groups are independent of each
	// other; each of them fans out further on its own.
	// The resource readers get their own copy of the trails: trailDetails
	// fills in the originals at the same time.
	listed := slices.Clone(inv.Trails)
	var tw sync.WaitGroup
	for i := range inv.Trails {
		c.spawn(&tw, func() { c.trailDetails(ctx, &inv.Trails[i]) })
	}
	c.spawn(&tw, func() { inv.Buckets = c.buckets(ctx, listed) })
	c.spawn(&tw, func() { inv.Keys = c.keys(ctx, listed) })
	c.spawn(&tw, func() { inv.LogGroups, inv.Topics = c.logGroups(ctx, listed) })
	tw.Wait()

	// AWS Config matters only where a trail bucket of ours lives, which is
	// known once the buckets have been located.
	if !opts.TrailDependenciesOnly {
		inv.ConfigRecorders = c.configRecorders(ctx, inv.Buckets)
	}

	wg.Wait()
	// Calls cut short by a canceled or expired context were recorded as
	// failures; an inventory full of them would read as a broken account.
	if ctx.Err() != nil {
		return nil, interrupted(ctx)
	}
	inv.Calls = c.aws.Counter().Counts()
	return inv, nil
}

// interrupted explains a scan stopped by its context, keeping the context
// error for errors.Is.
func interrupted(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("scan timed out before all evidence was read; run it again with a longer timeout: %w", ctx.Err())
	}
	return fmt.Errorf("scan interrupted before all evidence was read: %w", ctx.Err())
}

// collector holds what every part of a scan shares.
type collector struct {
	aws       *awsclient.Clients
	log       *slog.Logger
	progress  func(done, total int)
	account   string
	partition string

	optsRegions []string

	progMu      sync.Mutex
	done, total int

	listOnce    sync.Once
	ownBuckets  map[string]bool
	listBuckets error
}

func newCollector(cfg aws.Config, opts Options) *collector {
	n := opts.Concurrency
	if n <= 0 {
		n = defaultConcurrency
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cfg = cfg.Copy()
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = maxAttempts
			o.MaxBackoff = 20 * time.Second
		})
	}
	return &collector{
		aws:      awsclient.NewClients(cfg, awsclient.NewCounter(n)),
		log:      log,
		progress: opts.Progress,

		optsRegions: opts.Regions,
	}
}

// spawn runs fn in its own goroutine and reports it to the progress
// callback. Concurrency is bounded per API call (see awsclient.Counter), not per
// goroutine, so a task may wait for tasks it started without deadlocking.
func (c *collector) spawn(wg *sync.WaitGroup, fn func()) {
	c.step(0, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer c.step(1, 0)
		fn()
	}()
}

func (c *collector) step(done, total int) {
	if c.progress == nil {
		return
	}
	c.progMu.Lock()
	defer c.progMu.Unlock()
	c.done += done
	c.total += total
	c.progress(c.done, c.total)
}

// failed turns an error into a Result for call.
func failed[T any](call string, err error) inventory.Result[T] {
	code, msg := awsclient.Failure(err)
	return inventory.Failed[T](call, code, msg)
}

// partitionOf is the partition of an ARN, "aws" when it is not one.
func partitionOf(s string) string {
	if a, err := awsarn.Parse(s); err == nil && a.Partition != "" {
		return a.Partition
	}
	return "aws"
}

// regionOf is the region of an ARN, "" when it has none or is not one.
func regionOf(s string) string {
	a, _ := awsarn.Parse(s)
	return a.Region
}

// accountOf is the account of an ARN, "" when it has none or is not one.
func accountOf(s string) string {
	a, _ := awsarn.Parse(s)
	return a.AccountID
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
