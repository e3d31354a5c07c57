package hunt

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trailseal/trailseal/internal/hunt/detection"
	"github.com/trailseal/trailseal/internal/verify"
)

// TrailLogs reads a trail's log files where verify finds them: its bucket
// and prefix and, for an organization trail, the organization's folder
// (verify.ResolveTarget settles all three, as for verify). Every account
// folder of an organization trail is read unless one account is named.
// Day folders of the period are listed; files delivered before Start, or
// more than a day after End, are not read.
type TrailLogs struct {
	Store  verify.Store
	Bucket string
	Layout verify.Layout
	// AllAccounts reads every account folder under the organization's
	// (Layout.OrgID set); otherwise only Layout.AccountID's.
	AllAccounts bool
	// Regions are the source regions to read; empty means every region
	// folder.
	Regions    []string
	Start, End time.Time
	// Concurrency bounds the listings at once; 0 means 8.
	Concurrency int
}

// Describe implements Source.
func (s *TrailLogs) Describe() string {
	where := "s3://" + s.Bucket + "/"
	if s.Layout.Prefix != "" {
		where += s.Layout.Prefix + "/"
	}
	switch {
	case s.Layout.OrgID != "" && s.AllAccounts:
		return fmt.Sprintf("the trail's log files in %sAWSLogs/%s/ (every account of the organization)", where, s.Layout.OrgID)
	case s.Layout.OrgID != "":
		return fmt.Sprintf("the trail's log files in %sAWSLogs/%s/%s/", where, s.Layout.OrgID, s.Layout.AccountID)
	}
	return fmt.Sprintf("the trail's log files in %sAWSLogs/%s/", where, s.Layout.AccountID)
}

// accountFolder is an account ID folder.
var accountFolder = regexp.MustCompile(`^\d{12}$`)

// Units implements Source.
func (s *TrailLogs) Units(ctx context.Context, yield func(Unit) error) error {
	var mu sync.Mutex // yield is not required to be safe for concurrent use
	safeYield := func(u Unit) error {
		mu.Lock()
		defer mu.Unlock()
		return yield(u)
	}
	accounts := []string{s.Layout.AccountID}
	if s.AllAccounts && s.Layout.OrgID != "" {
		dirs, err := s.Store.ListDirs(ctx, s.Bucket, s.orgRoot())
		if err != nil {
			return fmt.Errorf("list the organization's account folders: %w", err)
		}
		accounts = slices.DeleteFunc(dirs, func(d string) bool { return !accountFolder.MatchString(d) })
	}
	n := s.Concurrency
	if n <= 0 {
		n = 8
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(n)
	for _, account := range accounts {
		l := s.Layout
		l.AccountID = account
		regions := s.Regions
		if len(regions) == 0 {
			dirs, err := s.Store.ListDirs(ctx, s.Bucket, l.LogRoot())
			if err != nil {
				if err := safeYield(s.failed(l.LogRoot(), err)); err != nil {
					return err
				}
				continue
			}
			regions = dirs
		}
		for _, region := range regions {
			for _, day := range s.days() {
				g.Go(func() error { return s.listDay(gctx, l, region, day, safeYield) })
			}
		}
	}
	return g.Wait()
}

// orgRoot is the folder of an organization trail's account folders: its
// files are under prefix/AWSLogs/O-ID/ACCOUNT/ where an account trail's
// are under prefix/AWSLogs/ACCOUNT/
// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html
// gives both for digests; log files follow the same rule).
func (s *TrailLogs) orgRoot() string {
	root := "AWSLogs/" + s.Layout.OrgID + "/"
	if s.Layout.Prefix != "" {
		root = s.Layout.Prefix + "/" + root
	}
	return root
}

// days are the UTC days whose folders may hold files of the period.
func (s *TrailLogs) days() []time.Time {
	end := s.End.Add(lateDelivery)
	var out []time.Time
	for d := s.Start.UTC().Truncate(24 * time.Hour); !d.After(end); d = d.AddDate(0, 0, 1) {
		out = append(out, d)
	}
	return out
}

func (s *TrailLogs) listDay(ctx context.Context, l verify.Layout, region string, day time.Time, yield func(Unit) error) error {
	prefix := l.LogDayPrefix(region, day)
	var units []Unit
	err := s.Store.List(ctx, s.Bucket, prefix, func(o verify.Object) error {
		t, ok := l.ParseLogKey(o.Key, region)
		if !ok || !logFileName.MatchString(o.Key) || t.Before(s.Start) || t.After(s.End.Add(lateDelivery)) {
			return nil
		}
		key := o.Key
		units = append(units, Unit{Origin: detection.Origin{Kind: "s3", Location: "s3://" + s.Bucket + "/" + key, Key: key},
			Open: func(ctx context.Context) (io.ReadCloser, error) {
				body, _, err := s.Store.Open(ctx, s.Bucket, key)
				return body, err
			}})
		return nil
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return yield(s.failed(prefix, err))
	}
	for _, u := range units {
		if err := yield(u); err != nil {
			return err
		}
	}
	return nil
}

func (s *TrailLogs) failed(prefix string, err error) Unit {
	return Unit{Origin: detection.Origin{Kind: "s3", Location: "s3://" + s.Bucket + "/" + prefix}, Err: fmt.Errorf("list: %w", err)}
}
