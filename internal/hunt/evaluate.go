// Package hunt finds, in CloudTrail's own records, who weakened an audit
// trail or what it depends on: when, from where, and what it cost.
//
// Evaluation is a pure function of a record and a Context (Evaluator.
// Evaluate); reading records is separate (internal/hunt/record), and so are
// the sources that supply them (files, an offline copy, event history).
// Detection metadata lives in internal/hunt/detection.
package hunt

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/trailseal/trailseal/internal/hunt/detection"
	"github.com/trailseal/trailseal/internal/hunt/record"
	"github.com/trailseal/trailseal/internal/inventory"
)

// event is what a check reads: the record, its request parameters and the
// context.
type event struct {
	r *record.Record
	p record.Object
	c *Context
}

// hit is what a check reports when the record weakens something.
type hit struct {
	resource string
	message  string
	// match says how the resource is known to be a trail's (see
	// detection.Detection.Match).
	match    string
	evidence map[string]any
}

// A check decides one detection for one record: nil when the record does
// not weaken anything the detection covers. A check may also return a note
// about what it could not judge (made with unreadable when the request
// itself could not be read).
type check func(e *event) (*hit, string)

// Note says what the evaluation of a record could not settle.
type Note struct {
	Text string
	// Unreadable is set when the request itself could not be read (a
	// policy or selectors that are not what the API accepts): the record
	// may hide a weakening, so the hunt counts it with the sources it
	// could not read.
	Unreadable bool
}

// unreadableMark starts the notes of requests that could not be read.
const unreadableMark = "\x00"

// unreadable makes the note of a request that could not be read.
func unreadable(format string, args ...any) string {
	return unreadableMark + fmt.Sprintf(format, args...)
}

type rule struct {
	info  detection.Info
	check check
}

// Evaluator evaluates records against the detection catalog. It is safe
// for concurrent use.
type Evaluator struct {
	byName map[string][]rule
	names  map[string]bool
}

// NewEvaluator pairs the catalog with its checks.
func NewEvaluator() *Evaluator {
	ev := &Evaluator{byName: map[string][]rule{}, names: map[string]bool{}}
	for _, info := range detection.Catalog() {
		c := checks[info.ID]
		for _, n := range info.EventNames {
			ev.byName[n] = append(ev.byName[n], rule{info: info, check: c})
			ev.names[n] = true
		}
	}
	return ev
}

// Names is the set of event names the catalog reads: the only records worth
// decoding.
func (ev *Evaluator) Names() map[string]bool { return ev.names }

// Evaluate returns the detections one record triggers in context c, and
// notes on what could not be judged. It reads nothing but its arguments.
func (ev *Evaluator) Evaluate(r *record.Record, c *Context) ([]detection.Detection, []Note) {
	rules := ev.byName[r.EventName]
	if len(rules) == 0 {
		return nil, nil
	}
	attempt := false
	if r.ErrorCode != "" {
		if !authorizationFailure(r.ErrorCode) {
			// The call failed without effect (no such trail, invalid
			// parameters, bucket not empty): nothing was weakened.
			return nil, nil
		}
		attempt = true
	}
	e := &event{r: r, p: r.RequestParameters, c: c}
	var out []detection.Detection
	var notes []Note
	for _, ru := range rules {
		if r.EventSource != "" && !strings.EqualFold(r.EventSource, ru.info.EventSource) {
			continue
		}
		h, note := ru.check(e)
		if text, ok := strings.CutPrefix(note, unreadableMark); ok {
			notes = append(notes, Note{Text: text, Unreadable: true})
		} else if note != "" {
			notes = append(notes, Note{Text: note})
		}
		if h == nil {
			continue
		}
		out = append(out, build(ru.info, r, h, attempt))
	}
	return out, notes
}

// authorizationFailure recognises the error codes of a refused call: the
// caller was not allowed, so the record is an attempt. Every other error
// code (TrailNotFoundException, InvalidParameter, BucketNotEmpty, ...)
// means the call did nothing.
func authorizationFailure(code string) bool {
	c := strings.ToLower(code)
	for _, s := range []string{"accessdenied", "unauthorized", "authorizationerror", "notauthorized", "forbidden"} {
		if strings.Contains(c, s) {
			return true
		}
	}
	return false
}

func build(info detection.Info, r *record.Record, h *hit, attempt bool) detection.Detection {
	sev := info.Severity
	msg := h.message
	if attempt {
		sev = detection.Lower(sev)
		msg = "attempt refused with " + r.ErrorCode + ", nothing changed; the request: " + msg
	}
	account := r.RecipientAccountID
	if account == "" {
		account = r.UserIdentity.AccountID
	}
	return detection.Detection{
		DetectionID: info.ID, Title: info.Title, Severity: sev, Attempt: attempt, ErrorCode: r.ErrorCode,
		EventID: r.EventID, EventName: r.EventName, Source: r.EventSource, EventTime: r.EventTime.Time,
		Account: account, Region: r.AWSRegion, Actor: ActorOf(r.UserIdentity),
		SourceIP: r.SourceIPAddress, UserAgent: r.UserAgent,
		Resource: h.resource, Message: msg, Weakens: slices.Clone(info.Weakens),
		Techniques: info.TechniqueIDs(), Match: h.match, Evidence: h.evidence,
	}
}

// ActorOf reads the actor from a record's userIdentity.
func ActorOf(u record.UserIdentity) detection.Actor {
	a := detection.Actor{
		Type: u.Type, ARN: u.ARN, PrincipalID: u.PrincipalID, AccountID: u.AccountID,
		AccessKeyID: u.AccessKeyID, UserName: u.UserName, InvokedBy: u.InvokedBy,
		SessionIssuer:     u.SessionContext.SessionIssuer.ARN,
		SessionIssuerType: u.SessionContext.SessionIssuer.Type,
		MFAAuthenticated:  u.SessionContext.Attributes.MFAAuthenticated,
		SourceIdentity:    u.SessionContext.SourceIdentity,
		IdentityProvider:  u.IdentityProvider,
	}
	if u.Type == "AssumedRole" || strings.Contains(u.ARN, ":assumed-role/") {
		// arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
		if parts := strings.Split(u.ARN, "/"); len(parts) >= 3 {
			a.SessionName = parts[len(parts)-1]
		}
	}
	return a
}

// --- helpers shared by the checks ---

// trailRef names the trail a CloudTrail record acts on and looks it up.
func (e *event) trailRef() (name string, t inventory.Trail, known bool) {
	name = e.p.String("name")
	if name == "" {
		name = e.p.String("trailName")
	}
	if name == "" {
		name = e.r.ResponseElements.String("trailARN")
	}
	t, known = e.c.Trail(name, e.r.AWSRegion)
	return name, t, known
}

// trailResource is how a detection names a trail: its ARN when known.
func trailResource(name string, t inventory.Trail, known bool) string {
	switch {
	case known:
		return t.ARN
	case arn.IsARN(name):
		return name
	}
	return "trail/" + name
}

// val returns a Result's value and whether it was read.
func val[T any](r inventory.Result[T]) (T, bool) {
	if r.Value == nil {
		var zero T
		return zero, false
	}
	return *r.Value, true
}

// resourceARNs returns the ARNs of resources[] entries of a type.
func (e *event) resourceARNs(typ string) []string {
	var out []string
	for _, res := range e.r.Resources {
		if strings.EqualFold(res.Type, typ) || typ == "" {
			out = append(out, res.ARN)
		}
	}
	return out
}

// nameHint reports whether a resource name shows it is CloudTrail's, as
// the console's and most guides' names do (aws-cloudtrail-logs-...,
// ...-cloudtrail-bucket). It is used only where the inventory does not know
// the resource.
func nameHint(kind, name string) string {
	if strings.Contains(strings.ToLower(name), "cloudtrail") {
		return "record: " + kind + " name contains \"cloudtrail\""
	}
	return ""
}

// inventoryPredates reports whether the inventory predates the record: then
// the inventory shows the configuration the record changed.
func (e *event) inventoryPredates() bool {
	return e.c.Known && !e.c.after(e.r.EventTime.Time)
}
