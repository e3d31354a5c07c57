package hunt

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/trailseal/trailseal/internal/verify"
)

// gapSlack is how far before a gap the call that opened it, and after it
// the call that closed it, are looked for. CloudTrail breaks the chain
// within an hour of the call (the last digest covers the hour in which
// logging or validation stopped), and the first digest of the new chain
// starts around the call that started it again
// (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_UpdateTrail.html,
// EnableLogFileValidation).
const gapSlack = 2 * time.Hour

// historyDays is how long CloudTrail event history keeps management events
// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/view-cloudtrail-events.html).
const historyDays = 90

// History returns a trail's events between from and to from CloudTrail
// event history.
type History func(ctx context.Context, from, to time.Time) ([]TrailEvent, error)

// EventHistory reads trail events from event history in region (a trail's
// home region, where its StopLogging and StartLogging calls are made).
func EventHistory(cfg aws.Config, region string) History {
	return func(ctx context.Context, from, to time.Time) ([]TrailEvent, error) {
		h := NewHunter(Options{TrailEvents: true})
		src := &Lookup{Config: cfg, Regions: []string{region}, Start: from, End: to, Names: TrailEventNames}
		var errs []error
		err := src.Units(ctx, func(u Unit) error {
			if u.Err != nil {
				errs = append(errs, u.Err)
				return nil
			}
			h.ReadUnit(ctx, u)
			return nil
		})
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		for _, e := range h.Report().Sources.Errors {
			errs = append(errs, fmt.Errorf("%s: %s", e.Location, e.Error))
		}
		return h.TrailEvents(), errors.Join(append([]error{err}, errs...)...)
	}
}

// ExplainGaps names, for each gap of a verify report, the calls that
// opened it (StopLogging, DeleteTrail, UpdateTrail turning validation off)
// and closed it (StartLogging, UpdateTrail turning validation on, or
// CreateTrail): from events, read from the log files on either side of the
// gap, and where those do not hold them, from history (nil offline). A gap
// it cannot explain says what was looked for and where.
func ExplainGaps(ctx context.Context, gaps []verify.Gap, trail TrailID, events []TrailEvent, history History, now time.Time) error {
	var mine []TrailEvent
	for _, e := range events {
		if trail.Names(e) {
			mine = append(mine, e)
		}
	}
	var from, to time.Time
	for i := range gaps {
		explainGap(&gaps[i], mine)
		if explained(gaps[i]) {
			continue
		}
		if f := gaps[i].From.Add(-gapSlack); from.IsZero() || f.Before(from) {
			from = f
		}
		if t := gaps[i].To.Add(gapSlack); t.After(to) {
			to = t
		}
	}
	if from.IsZero() {
		return nil
	}
	why := "logs on either side of the gap"
	switch {
	case history == nil:
		why += "; event history was not asked (offline)"
	case to.Before(now.AddDate(0, 0, -historyDays)):
		why += fmt.Sprintf("; event history keeps only %d days", historyDays)
	default:
		if to.After(now) {
			to = now
		}
		found, err := history(ctx, from, to)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		for _, e := range found {
			if trail.Names(e) {
				mine = append(mine, e)
			}
		}
		mine = sortEvents(mine)
		why += " nor in event history"
		if err != nil {
			why += fmt.Sprintf(" (which could not be read in full: %v)", oneLine(err))
		}
	}
	for i := range gaps {
		if !explained(gaps[i]) {
			explainGap(&gaps[i], mine)
			gaps[i].Unexplained = unexplained(gaps[i], why)
		}
	}
	return nil
}

// explained tells whether a gap has the events it can have: a gap after
// the last digest has not been closed.
func explained(g verify.Gap) bool {
	return g.OpenedBy != nil && (g.ClosedBy != nil || g.Where == verify.GapAfterChain)
}

func unexplained(g verify.Gap, why string) string {
	var missing []string
	if g.OpenedBy == nil {
		missing = append(missing, "StopLogging, DeleteTrail or UpdateTrail turning validation off before it")
	}
	if g.ClosedBy == nil && g.Where != verify.GapAfterChain {
		missing = append(missing, "StartLogging, UpdateTrail turning validation on or CreateTrail after it")
	}
	if len(missing) == 0 {
		return ""
	}
	return "not explained: no " + strings.Join(missing, ", and no ") + " was found in the " + why
}

// explainGap picks, from the trail's events (oldest first), the last call
// that stopped logging or validation before the gap ended, and the first
// call that started it again after that.
func explainGap(g *verify.Gap, events []TrailEvent) {
	lo, hi := g.From.Add(-gapSlack), g.To.Add(gapSlack)
	var opened, started, created *TrailEvent
	for i := range events {
		e := &events[i]
		if e.Time.Before(lo) || e.Time.After(hi) {
			continue
		}
		if e.Effect == Stops && !e.Time.After(g.To) {
			opened, started, created = e, nil, nil
		}
	}
	for i := range events {
		e := &events[i]
		if e.Time.Before(lo) || e.Time.After(hi) || opened != nil && e.Time.Before(opened.Time) {
			continue
		}
		if e.Effect == Starts && started == nil {
			started = e
		}
		if e.Effect == Creates && created == nil {
			created = e
		}
	}
	if opened != nil && g.OpenedBy == nil {
		g.OpenedBy = gapEvent(*opened)
	}
	closed := started
	if closed == nil {
		closed = created
	}
	if closed != nil && g.ClosedBy == nil && g.Where != verify.GapAfterChain {
		g.ClosedBy = gapEvent(*closed)
	}
}

func gapEvent(e TrailEvent) *verify.GapEvent {
	from := e.Origin.Location
	if e.Origin.Verification != "" {
		from += " (" + e.Origin.Verification + ")"
	}
	return &verify.GapEvent{EventName: e.EventName, EventTime: e.Time.UTC(), EventID: e.EventID, Change: e.Change, Trail: e.Trail,
		Account: e.Account, Region: e.Region, Actor: e.Actor.Name(), ActorARN: e.Actor.ARN, AccessKeyID: e.Actor.AccessKeyID,
		InvokedBy: e.Actor.InvokedBy, SourceIP: e.SourceIP, UserAgent: e.UserAgent, ReadFrom: from}
}
