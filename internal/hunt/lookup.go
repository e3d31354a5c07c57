package hunt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"

	"github.com/trailseal/trailseal/internal/awsclient"
	"github.com/trailseal/trailseal/internal/hunt/detection"
)

// LookupRate is CloudTrail's limit on LookupEvents: two requests per second
// per account per region
// (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html).
const LookupRate = 2

// Lookup reads management events from CloudTrail event history
// (LookupEvents) in every region, concurrently. Event history keeps 90 days
// of management events whatever the trails do, so it survives a deleted
// trail and changed selectors; it never has data events.
//
// LookupEvents takes one lookup attribute per call, so Lookup asks for each
// event name the catalog reads, one after the other in a region, paced to
// Rate requests per second (retries included) and backing off when
// throttled.
type Lookup struct {
	Config aws.Config
	// Regions to read; empty means every region enabled in the account
	// (ec2:DescribeRegions).
	Regions    []string
	Start, End time.Time
	// Names are the event names to ask for; empty means every management
	// event the catalog reads.
	Names []string
	// Rate is the requests per second per region; 0 means LookupRate.
	Rate float64
}

// Describe implements Source.
func (l *Lookup) Describe() string {
	if len(l.Regions) == 0 {
		return "CloudTrail event history in every enabled region"
	}
	return fmt.Sprintf("CloudTrail event history in %d region(s)", len(l.Regions))
}

// Units implements Source: one unit per page of events.
func (l *Lookup) Units(ctx context.Context, yield func(Unit) error) error {
	regions := l.Regions
	if len(regions) == 0 {
		var err error
		if regions, err = l.enabledRegions(ctx); err != nil {
			fallback := l.Config.Region
			if err := yield(Unit{Origin: detection.Origin{Kind: "event-history", Location: "ec2:DescribeRegions"},
				Err: fmt.Errorf("cannot list enabled regions, only %s was read: %w", fallback, err)}); err != nil {
				return err
			}
			regions = []string{fallback}
		}
	}
	names := l.Names
	if len(names) == 0 {
		names = detection.EventNames(true)
	}
	var mu sync.Mutex // yield is not required to be safe for concurrent use
	safeYield := func(u Unit) error {
		mu.Lock()
		defer mu.Unlock()
		return yield(u)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(regions))
	for i, r := range regions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = l.region(ctx, r, names, safeYield)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (l *Lookup) enabledRegions(ctx context.Context) ([]string, error) {
	out, err := ec2.NewFromConfig(l.Config).DescribeRegions(ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(false)})
	if err != nil {
		return nil, err
	}
	var regions []string
	for _, r := range out.Regions {
		regions = append(regions, aws.ToString(r.RegionName))
	}
	if len(regions) == 0 {
		return nil, errors.New("ec2:DescribeRegions returned no regions")
	}
	sort.Strings(regions)
	return regions, nil
}

// region reads every event name in one region. A refusal (AccessDenied)
// ends the region: the other names would be refused too.
func (l *Lookup) region(ctx context.Context, region string, names []string, yield func(Unit) error) error {
	r := l.Rate
	if r <= 0 {
		r = LookupRate
	}
	// Pace at nine tenths of the limit: requests leave at even intervals
	// but arrive with network jitter, and one arriving early would be
	// throttled.
	limiter := rate.NewLimiter(rate.Limit(r*0.9), 1)
	client := cloudtrail.NewFromConfig(l.Config, func(o *cloudtrail.Options) {
		o.Region = region
		o.APIOptions = append(o.APIOptions, paced(limiter))
		// Throttling is expected here; ten attempts with backoff ride it
		// out, whatever the configuration's retry settings.
		o.RetryMaxAttempts = 10
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 10
			so.MaxBackoff = 20 * time.Second
			// The pacing above, not the retry quota, bounds the rate.
			so.RateLimiter = ratelimit.None
		})
	})
	origin := detection.Origin{Kind: "event-history", Location: "event history " + region}
	for _, name := range names {
		in := &cloudtrail.LookupEventsInput{
			LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String(name)}},
			MaxResults:       aws.Int32(50),
		}
		if !l.Start.IsZero() {
			in.StartTime = aws.Time(l.Start)
		}
		if !l.End.IsZero() {
			in.EndTime = aws.Time(l.End)
		}
		p := cloudtrail.NewLookupEventsPaginator(client, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				u := Unit{Origin: origin, Err: fmt.Errorf("cloudtrail:LookupEvents %s: %w", name, err)}
				if yerr := yield(u); yerr != nil {
					return yerr
				}
				if refused(err) {
					return nil
				}
				break
			}
			if len(page.Events) == 0 {
				continue
			}
			var b bytes.Buffer
			for _, e := range page.Events {
				b.WriteString(aws.ToString(e.CloudTrailEvent))
				b.WriteByte('\n')
			}
			body := b.Bytes()
			if err := yield(Unit{Origin: origin, Open: func(context.Context) (io.ReadCloser, error) {
				return io.NopCloser(bytes.NewReader(body)), nil
			}}); err != nil {
				return err
			}
		}
	}
	return nil
}

func refused(err error) bool {
	code := awsclient.ErrorCode(err)
	return code != "" && authorizationFailure(code)
}

// paced waits for the limiter before every attempt of a call, retries
// included, so that a region never sees more than the limit.
func paced(l *rate.Limiter) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Finalize.Insert(middleware.FinalizeMiddlewareFunc("trailsealLookupPacing",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if err := l.Wait(ctx); err != nil {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, err
				}
				return next.HandleFinalize(ctx, in)
			}), "Retry", middleware.After)
	}
}
