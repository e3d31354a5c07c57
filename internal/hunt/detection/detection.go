// Package detection holds what hunt reports and the catalog that describes
// it: each detection's ID, severity, MITRE ATT&CK techniques, the scan rules
// it weakens, what it means and how to respond. It has no evaluation logic,
// so that report writers and the CLI can use it without the evaluator
// (internal/hunt), as the rule metadata is kept apart from rule logic.
package detection

import (
	"strings"
	"time"

	"github.com/trailseal/trailseal/internal/findings"
)

// SchemaVersion is the version of the JSON report ('trailseal hunt
// --format json'). Bump it when a field changes meaning or is removed.
const SchemaVersion = 1

// Detection is one record that weakened (or tried to weaken) the audit
// trail or something it depends on.
type Detection struct {
	DetectionID string            `json:"detectionId"`
	Title       string            `json:"title"`
	Severity    findings.Severity `json:"severity"`
	// Attempt is set when AWS refused the call (AccessDenied and the
	// like): nothing changed, but someone tried. Its severity is one
	// lower than the detection's.
	Attempt   bool      `json:"attempt"`
	ErrorCode string    `json:"errorCode,omitempty"`
	EventID   string    `json:"eventID"`
	EventName string    `json:"eventName"`
	Source    string    `json:"eventSource"`
	EventTime time.Time `json:"eventTime"`
	Account   string    `json:"account"`
	Region    string    `json:"region"`
	Actor     Actor     `json:"actor"`
	SourceIP  string    `json:"sourceIPAddress"`
	UserAgent string    `json:"userAgent"`
	// Resource names what was changed: trail/NAME, bucket/NAME, a key or
	// topic ARN, log-group/NAME, alarm/NAME.
	Resource string `json:"resource"`
	// Message says what the record shows, in one line.
	Message string `json:"message"`
	// Weakens lists the scan rules whose protection the change removes.
	Weakens    []string `json:"weakens"`
	Techniques []string `json:"techniques"`
	// Match says how the resource was known to belong to a trail:
	// "inventory" (the account's inventory or a snapshot), "record: ..."
	// (the record itself shows it, when the inventory does not know the
	// resource or there is no context), or "" for detections that need no
	// context.
	Match string `json:"match,omitempty"`
	// Evidence holds the request parameters that matter (a lifecycle
	// rule's days and filter, the selectors' coverage, ...).
	Evidence map[string]any `json:"evidence,omitempty"`
	// Origin says where the record was read.
	Origin Origin `json:"origin"`
}

// Actor is who made the call, from the record's userIdentity.
type Actor struct {
	Type        string `json:"type"`
	ARN         string `json:"arn,omitempty"`
	PrincipalID string `json:"principalId,omitempty"`
	AccountID   string `json:"accountId,omitempty"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	UserName    string `json:"userName,omitempty"`
	// SessionName is the role session name of an assumed role (the last
	// part of its ARN).
	SessionName string `json:"sessionName,omitempty"`
	// SessionIssuer is the role (or user) whose credentials the session
	// uses.
	SessionIssuer     string `json:"sessionIssuer,omitempty"`
	SessionIssuerType string `json:"sessionIssuerType,omitempty"`
	MFAAuthenticated  string `json:"mfaAuthenticated,omitempty"`
	SourceIdentity    string `json:"sourceIdentity,omitempty"`
	IdentityProvider  string `json:"identityProvider,omitempty"`
	// InvokedBy is the AWS service that made the call on the principal's
	// behalf (signin.amazonaws.com for the console, cloudformation, ...).
	InvokedBy string `json:"invokedBy,omitempty"`
}

// Key identifies an actor for grouping: the principal's ARN (for an
// assumed role, the session's ARN, which names the role and the session),
// else the principal ID, else the invoking service.
func (a Actor) Key() string {
	for _, k := range []string{a.ARN, a.PrincipalID, a.InvokedBy, a.Type} {
		if k != "" {
			return k
		}
	}
	return "unknown"
}

// Name is a short human name: user/alice, role/Admin (session bob), root,
// or the service.
func (a Actor) Name() string {
	switch a.Type {
	case "Root":
		return "root (account " + a.AccountID + ")"
	case "AssumedRole":
		role := a.SessionIssuer
		if i := strings.LastIndex(role, ":role/"); i >= 0 {
			role = "role/" + role[i+len(":role/"):]
		}
		if role == "" {
			role = a.ARN
		}
		if a.SessionName != "" {
			return role + " (session " + a.SessionName + ")"
		}
		return role
	case "AWSService":
		return "service " + a.InvokedBy
	}
	if i := strings.LastIndex(a.ARN, ":"); i >= 0 {
		return a.ARN[i+1:]
	}
	return a.Key()
}

// Origin says where a record was read.
type Origin struct {
	// Kind is "file", "s3" or "event-history".
	Kind string `json:"kind"`
	// Location is the file path, s3://bucket/key, or "event history REGION".
	Location string `json:"location"`
	// Key is the log file's S3 object key, when known (an offline copy
	// keeps it as its path under the bucket folder).
	Key string `json:"key,omitempty"`
	// Record is the record's 0-based position in the file.
	Record int `json:"record"`
	// Verification is the log file's verification status when the file
	// was read by verify ("valid", "invalid", "unverified"); empty when
	// not verified.
	Verification string `json:"verification,omitempty"`
}

// Lower returns the severity one step down (info stays info), for attempts.
func Lower(s findings.Severity) findings.Severity {
	switch s {
	case findings.Critical:
		return findings.High
	case findings.High:
		return findings.Medium
	case findings.Medium:
		return findings.Low
	}
	return findings.Info
}

// Report is the outcome of one hunt.
type Report struct {
	SchemaVersion int       `json:"schemaVersion"`
	Tool          string    `json:"tool"`
	Version       string    `json:"version"`
	GeneratedAt   time.Time `json:"generatedAt"`
	// Start and End bound the events read, when given.
	Start *time.Time `json:"startTime,omitempty"`
	End   *time.Time `json:"endTime,omitempty"`
	// Context says what told hunt which resources belong to a trail.
	Context ContextInfo `json:"context"`
	// Sources lists what was read.
	Sources SourceSummary `json:"sources"`
	// Detections are sorted by event time.
	Detections []Detection `json:"detections"`
	// Notes say what could not be judged (for example weakenings that
	// need context, with --no-context).
	Notes []string `json:"notes,omitempty"`
}

// ContextInfo describes the context of a hunt.
type ContextInfo struct {
	// Kind is "inventory" (collected now), "snapshot" or "none".
	Kind        string    `json:"kind"`
	Location    string    `json:"location,omitempty"`
	Account     string    `json:"account,omitempty"`
	CollectedAt time.Time `json:"collectedAt,omitzero"`
	Trails      []string  `json:"trails,omitempty"`
}

// SourceSummary counts what was read and lists what could not be.
type SourceSummary struct {
	Description string `json:"description"`
	Files       int    `json:"files"`
	Records     int64  `json:"records"`
	// Selected records are those whose eventName a detection reads: the
	// ones decoded.
	Selected int64 `json:"selected"`
	Bytes    int64 `json:"bytes"`
	// Errors name each source (or record) that could not be read; a hunt
	// with errors exits 4.
	Errors []SourceError `json:"errors,omitempty"`
}

// SourceError is one source that could not be read.
type SourceError struct {
	Location string `json:"location"`
	Error    string `json:"error"`
}

// Counts tallies detections by severity (attempts included, at their
// lowered severity) and attempts.
func (r *Report) Counts() (bySeverity map[findings.Severity]int, attempts int) {
	bySeverity = map[findings.Severity]int{}
	for _, d := range r.Detections {
		bySeverity[d.Severity]++
		if d.Attempt {
			attempts++
		}
	}
	return bySeverity, attempts
}
