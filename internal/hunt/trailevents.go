package hunt

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/trailseal/trailseal/internal/hunt/detection"
	"github.com/trailseal/trailseal/internal/hunt/record"
)

// Effect is what a trail event did to the trail's log files and digests.
type Effect uint8

// Effects of trail events.
const (
	// Stops: logging stopped, the trail deleted, or validation turned off
	// (CloudTrail's digest chain breaks within the hour).
	Stops Effect = iota + 1
	// Starts: logging started, or validation turned on (a new chain).
	Starts
	// Creates: a trail created; its logging starts with StartLogging.
	Creates
)

// TrailEvent is a call that stopped or started a trail's logging or
// validation. A hunt keeps them (Options.TrailEvents) whether or not a
// detection fires, so that verify can say which calls opened and closed
// each gap in a digest chain.
type TrailEvent struct {
	Effect Effect
	// Change says what the call did, in words.
	Change string
	// Trail is the trail the request named: a name or an ARN.
	Trail     string
	EventName string
	EventID   string
	Time      time.Time
	Account   string
	Region    string
	Actor     detection.Actor
	SourceIP  string
	UserAgent string
	Origin    detection.Origin
}

// TrailEventNames are the events a TrailEvent comes from.
var TrailEventNames = []string{"StopLogging", "StartLogging", "DeleteTrail", "CreateTrail", "UpdateTrail"}

// maxTrailEvents bounds the trail events a hunt keeps: a handful a day is
// usual, and the bound keeps a flood of them from growing memory.
const maxTrailEvents = 10000

// trailEventOf reads a trail event from a record; false when the record
// changed nothing about logging or validation (a failed call, an
// UpdateTrail of other settings).
func trailEventOf(r *record.Record) (TrailEvent, bool) {
	if r.ErrorCode != "" || !strings.EqualFold(r.EventSource, "cloudtrail.amazonaws.com") && r.EventSource != "" {
		return TrailEvent{}, false
	}
	p := r.RequestParameters
	var effect Effect
	var change string
	switch r.EventName {
	case "StopLogging":
		effect, change = Stops, "logging stopped"
	case "DeleteTrail":
		effect, change = Stops, "trail deleted"
	case "StartLogging":
		effect, change = Starts, "logging started"
	case "CreateTrail":
		effect, change = Creates, "trail created"
		if on, ok := p.Bool("enableLogFileValidation"); ok && on {
			change += " with log file validation"
		}
	case "UpdateTrail":
		on, ok := p.Bool("enableLogFileValidation")
		switch {
		case !ok:
			return TrailEvent{}, false
		case on:
			effect, change = Starts, "log file validation turned on"
		default:
			effect, change = Stops, "log file validation turned off"
		}
	default:
		return TrailEvent{}, false
	}
	trail := p.String("name")
	if trail == "" {
		trail = r.ResponseElements.String("trailARN")
	}
	account := r.RecipientAccountID
	if account == "" {
		account = r.UserIdentity.AccountID
	}
	return TrailEvent{Effect: effect, Change: change, Trail: trail, EventName: r.EventName, EventID: r.EventID,
		Time: r.EventTime.Time, Account: account, Region: r.AWSRegion, Actor: ActorOf(r.UserIdentity),
		SourceIP: r.SourceIPAddress, UserAgent: r.UserAgent}, true
}

// TrailID names a trail: its ARN, or its name with the account and home
// region it lives in.
type TrailID struct {
	ARN, Name, Account, Region string
}

// TrailIDOf reads a trail ARN (arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME).
func TrailIDOf(trailARN string) TrailID {
	a, err := arn.Parse(trailARN)
	if err != nil {
		return TrailID{Name: trailARN}
	}
	return TrailID{ARN: trailARN, Name: strings.TrimPrefix(a.Resource, "trail/"), Account: a.AccountID, Region: a.Region}
}

// Names tells whether an event's trail parameter names the trail: its ARN,
// or its name called in its account and home region (where CloudTrail
// requires StartLogging and StopLogging of a multi-region trail to be
// called:
// https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StopLogging.html).
func (t TrailID) Names(e TrailEvent) bool {
	if e.Trail == "" {
		return false
	}
	if arn.IsARN(e.Trail) {
		if t.ARN != "" {
			return e.Trail == t.ARN
		}
		return strings.HasSuffix(e.Trail, ":trail/"+t.Name)
	}
	return e.Trail == t.Name && (t.Account == "" || e.Account == "" || e.Account == t.Account) &&
		(t.Region == "" || e.Region == "" || e.Region == t.Region)
}

// sortEvents orders trail events by time, then event ID, and drops the
// same event read twice (from two copies, or the logs and event history).
func sortEvents(events []TrailEvent) []TrailEvent {
	slices.SortStableFunc(events, func(a, b TrailEvent) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.EventID, b.EventID))
	})
	return slices.CompactFunc(events, func(a, b TrailEvent) bool {
		return a.EventID != "" && a.EventID == b.EventID && a.Time.Equal(b.Time)
	})
}
