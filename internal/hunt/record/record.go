// Package record reads CloudTrail records: the Record type and a streaming
// reader for CloudTrail log files ({"Records":[...]}, gzipped or not), JSON
// Lines of records and JSON arrays of records.
//
// The reader never holds a whole file. It splits the byte stream into
// records as the bytes arrive (see Splitter) and decodes only the records
// whose eventName the caller asked for; every other record costs one pass
// of a byte scanner and nothing else. Because the Splitter is an io.Writer,
// it can be fed from any stream of log bytes, for example the bytes verify
// already decompresses to hash a log file.
package record

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Record is one CloudTrail event record, with the fields hunt reads. The
// field names follow the CloudTrail record contents reference
// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html).
// Types are tolerant of the variations exports introduce (JSON text where
// an object is expected, "true" for true, other time layouts), so that a
// record is never lost to a formatting difference.
type Record struct {
	EventVersion        string       `json:"eventVersion"`
	UserIdentity        UserIdentity `json:"userIdentity"`
	EventTime           Time         `json:"eventTime"`
	EventSource         string       `json:"eventSource"`
	EventName           string       `json:"eventName"`
	AWSRegion           string       `json:"awsRegion"`
	SourceIPAddress     string       `json:"sourceIPAddress"`
	UserAgent           string       `json:"userAgent"`
	ErrorCode           string       `json:"errorCode"`
	ErrorMessage        string       `json:"errorMessage"`
	RequestParameters   Object       `json:"requestParameters"`
	ResponseElements    Object       `json:"responseElements"`
	AdditionalEventData Object       `json:"additionalEventData"`
	RequestID           string       `json:"requestID"`
	EventID             string       `json:"eventID"`
	ReadOnly            Bool         `json:"readOnly"`
	Resources           []Resource   `json:"resources"`
	EventType           string       `json:"eventType"`
	ManagementEvent     Bool         `json:"managementEvent"`
	RecipientAccountID  string       `json:"recipientAccountId"`
	SharedEventID       string       `json:"sharedEventID"`
	VPCEndpointID       string       `json:"vpcEndpointId"`
	EventCategory       string       `json:"eventCategory"`
}

// UserIdentity is the userIdentity element
// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html).
type UserIdentity struct {
	Type             string         `json:"type"`
	PrincipalID      string         `json:"principalId"`
	ARN              string         `json:"arn"`
	AccountID        string         `json:"accountId"`
	AccessKeyID      string         `json:"accessKeyId"`
	UserName         string         `json:"userName"`
	InvokedBy        string         `json:"invokedBy"`
	IdentityProvider string         `json:"identityProvider"`
	CredentialID     string         `json:"credentialId"`
	SessionContext   SessionContext `json:"sessionContext"`
}

// SessionContext is userIdentity.sessionContext.
type SessionContext struct {
	SessionIssuer       SessionIssuer     `json:"sessionIssuer"`
	Attributes          SessionAttributes `json:"attributes"`
	SourceIdentity      string            `json:"sourceIdentity"`
	WebIDFederationData Object            `json:"webIdFederationData"`
}

// SessionIssuer is the identity whose temporary credentials were used.
type SessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

// SessionAttributes are the session's creation date and MFA flag.
type SessionAttributes struct {
	CreationDate     string `json:"creationDate"`
	MFAAuthenticated string `json:"mfaAuthenticated"`
}

// Resource is one entry of resources[]. Exports spell ARN "arn" as well;
// encoding/json matches field names case-insensitively.
type Resource struct {
	ARN       string `json:"ARN"`
	AccountID string `json:"accountId"`
	Type      string `json:"type"`
}

// Decode parses one record.
func Decode(raw []byte) (*Record, error) {
	var r Record
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Time is eventTime. CloudTrail writes RFC 3339 in UTC; exports also write
// "2006-01-02 15:04:05.000" and fractions of a second.
type Time struct{ time.Time }

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		// Epoch milliseconds, as some exports write them.
		ms, nerr := strconv.ParseInt(string(b), 10, 64)
		if nerr != nil {
			return fmt.Errorf("eventTime %s is neither a time string nor epoch milliseconds", b)
		}
		t.Time = time.UnixMilli(ms).UTC()
		return nil
	}
	for _, l := range timeLayouts {
		if v, err := time.Parse(l, s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	return fmt.Errorf("eventTime %q is not a time this reader knows", s)
}

// MarshalJSON writes RFC 3339 in UTC, or null for the zero time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format(time.RFC3339))
}

// Bool accepts true, false, "true", "false" and null.
type Bool struct {
	Value bool
	Set   bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (b *Bool) UnmarshalJSON(data []byte) error {
	switch strings.Trim(strings.ToLower(string(data)), `"`) {
	case "true":
		*b = Bool{Value: true, Set: true}
	case "false":
		*b = Bool{Value: false, Set: true}
	case "null", "":
	default:
		return fmt.Errorf("%s is not a boolean", data)
	}
	return nil
}

// MarshalJSON implements json.Marshaler.
func (b Bool) MarshalJSON() ([]byte, error) {
	if !b.Set {
		return []byte("null"), nil
	}
	return json.Marshal(b.Value)
}

// Object is a JSON object such as requestParameters. It also accepts a JSON
// string holding an object (Athena and some SIEM exports keep these fields
// as text) and null.
type Object map[string]any

// UnmarshalJSON implements json.Unmarshaler.
func (o *Object) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" || s == "null" {
			*o = nil
			return nil
		}
		data = []byte(s)
	}
	if string(data) == "null" {
		*o = nil
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	*o = m
	return nil
}

// Get walks a path of keys (case-insensitively, as encoding/json matches
// struct fields) and returns the value there, or nil. A value on the way
// that is JSON text is read as JSON: CloudTrail Lake keeps
// requestParameters as map<string,string>, so its nested objects arrive as
// strings
// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/query-supported-event-schemas.html).
func (o Object) Get(path ...string) any {
	var cur any = map[string]any(o)
	for _, k := range path {
		m, ok := structured(cur).(map[string]any)
		if !ok {
			return nil
		}
		v, ok := m[k]
		if !ok {
			v = nil
			for mk, mv := range m {
				if strings.EqualFold(mk, k) {
					v = mv
					break
				}
			}
		}
		cur = v
	}
	return cur
}

// Structured returns the value at path, read as JSON when it is JSON text
// (an object or a list kept as a string, as CloudTrail Lake does). Use it
// where a list or an object is expected; String keeps text as it is (a key
// policy is JSON text in every record).
func (o Object) Structured(path ...string) any {
	return structured(o.Get(path...))
}

// structured decodes a string holding a JSON object or list.
func structured(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	t := strings.TrimSpace(s)
	if len(t) < 2 || (t[0] != '{' && t[0] != '[') {
		return v
	}
	var out any
	if json.Unmarshal([]byte(t), &out) != nil {
		return v
	}
	return out
}

// Has reports whether the path names a value that is present (even null).
func (o Object) Has(path ...string) bool {
	if len(path) == 0 || o == nil {
		return false
	}
	parent, ok := o.Get(path[:len(path)-1]...).(map[string]any)
	if !ok {
		return false
	}
	for k := range parent {
		if strings.EqualFold(k, path[len(path)-1]) {
			return true
		}
	}
	return false
}

// String returns the value at path as a string: strings as they are, the
// first element of a one-element list (S3 records some headers that way),
// numbers and booleans in their JSON form, "" otherwise.
func (o Object) String(path ...string) string {
	return AsString(o.Get(path...))
}

// Bool returns the value at path as a boolean (true, "true") and whether it
// was present as one.
func (o Object) Bool(path ...string) (value, ok bool) {
	return AsBool(o.Get(path...))
}

// Int returns the value at path as an integer (a number or a numeric
// string) and whether it was one.
func (o Object) Int(path ...string) (int, bool) {
	return AsInt(o.Get(path...))
}

// AsString converts a decoded JSON value to a string (see Object.String).
func AsString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		if len(x) == 1 {
			return AsString(x[0])
		}
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// AsBool converts a decoded JSON value to a boolean.
func AsBool(v any) (value, ok bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	case []any:
		if len(x) == 1 {
			return AsBool(x[0])
		}
	}
	return false, false
}

// AsInt converts a decoded JSON value to an integer.
func AsInt(v any) (int, bool) {
	switch x := v.(type) {
	case float64:
		return int(x), true
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(x))
		return n, err == nil
	case []any:
		if len(x) == 1 {
			return AsInt(x[0])
		}
	}
	return 0, false
}

// List returns v as a list: a list as is, one value as a list of one, nil
// as nil. XML-derived request parameters hold one rule as an object and
// several as a list.
func List(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}
