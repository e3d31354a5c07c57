package verify

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// SignatureAlgorithm is the only algorithm CloudTrail signs digests with.
const SignatureAlgorithm = "SHA256withRSA"

// Digest is the parsed content of one CloudTrail digest file. Field names
// follow the JSON document CloudTrail writes.
type Digest struct {
	AWSAccountID                string    `json:"awsAccountId"`
	DigestStartTime             string    `json:"digestStartTime"`
	DigestEndTime               string    `json:"digestEndTime"`
	DigestS3Bucket              string    `json:"digestS3Bucket"`
	DigestS3Object              string    `json:"digestS3Object"`
	DigestPublicKeyFingerprint  string    `json:"digestPublicKeyFingerprint"`
	DigestSignatureAlgorithm    string    `json:"digestSignatureAlgorithm"`
	NewestEventTime             *string   `json:"newestEventTime"`
	OldestEventTime             *string   `json:"oldestEventTime"`
	PreviousDigestS3Bucket      *string   `json:"previousDigestS3Bucket"`
	PreviousDigestS3Object      *string   `json:"previousDigestS3Object"`
	PreviousDigestHashValue     *string   `json:"previousDigestHashValue"`
	PreviousDigestHashAlgorithm *string   `json:"previousDigestHashAlgorithm"`
	PreviousDigestSignature     *string   `json:"previousDigestSignature"`
	LogFiles                    []LogFile `json:"logFiles"`

	// Parsed forms of the two time fields, set by ParseDigest.
	Start time.Time `json:"-"`
	End   time.Time `json:"-"`
}

// LogFile is one entry of a digest's logFiles list.
type LogFile struct {
	S3Bucket      string `json:"s3Bucket"`
	S3Object      string `json:"s3Object"`
	HashValue     string `json:"hashValue"`
	HashAlgorithm string `json:"hashAlgorithm"`
	// The event time fields are left out: the verification does not use
	// them, and a year of digests names millions of log files.
}

// HasPrevious reports whether the digest links to an earlier one. The first
// digest after validation or logging was (re)started has no link.
func (d *Digest) HasPrevious() bool {
	return d.PreviousDigestS3Bucket != nil && d.PreviousDigestS3Object != nil &&
		*d.PreviousDigestS3Bucket != "" && *d.PreviousDigestS3Object != ""
}

// ParseDigest decodes the uncompressed JSON of a digest file and checks that
// every field the verification depends on is present and well formed.
func ParseDigest(data []byte) (*Digest, error) {
	// Presence matters for previousDigestSignature (null is meaningful, a
	// missing field is not), so look at the raw object first.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	for _, f := range []string{"digestStartTime", "digestEndTime", "digestS3Bucket", "digestS3Object",
		"digestPublicKeyFingerprint", "digestSignatureAlgorithm", "previousDigestSignature", "logFiles"} {
		if _, ok := raw[f]; !ok {
			return nil, fmt.Errorf("field %s is missing", f)
		}
	}
	var d Digest
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("unexpected field type: %w", err)
	}
	var err error
	if d.Start, err = parseTime(d.DigestStartTime); err != nil {
		return nil, fmt.Errorf("digestStartTime: %w", err)
	}
	if d.End, err = parseTime(d.DigestEndTime); err != nil {
		return nil, fmt.Errorf("digestEndTime: %w", err)
	}
	if d.End.Before(d.Start) {
		return nil, fmt.Errorf("digestEndTime %s is before digestStartTime %s", d.DigestEndTime, d.DigestStartTime)
	}
	if d.DigestS3Bucket == "" || d.DigestS3Object == "" {
		return nil, fmt.Errorf("digestS3Bucket or digestS3Object is empty")
	}
	if d.HasPrevious() && d.PreviousDigestSignature == nil {
		return nil, fmt.Errorf("previousDigestS3Object is set but previousDigestSignature is null")
	}
	for i, l := range d.LogFiles {
		if l.S3Bucket == "" || l.S3Object == "" || l.HashValue == "" {
			return nil, fmt.Errorf("logFiles[%d]: s3Bucket, s3Object or hashValue is empty", i)
		}
		if l.HashAlgorithm != "" && l.HashAlgorithm != "SHA-256" {
			return nil, fmt.Errorf("logFiles[%d]: hash algorithm %q, want SHA-256", i, l.HashAlgorithm)
		}
		if len(l.HashValue) != 64 || !isHex(l.HashValue) {
			return nil, fmt.Errorf("logFiles[%d]: hashValue is not a hex SHA-256", i)
		}
	}
	return &d, nil
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", s)
	}
	return t.UTC(), nil
}

// StringToSign is what CloudTrail signs for a digest: its end time, its
// bucket/key, the hex SHA-256 of its uncompressed content and the previous
// digest's signature (the literal "null" at the start of a chain).
func StringToSign(d *Digest, sha256Hex string) string {
	prev := "null"
	if d.PreviousDigestSignature != nil {
		prev = *d.PreviousDigestSignature
	}
	return d.DigestEndTime + "\n" + d.DigestS3Bucket + "/" + d.DigestS3Object + "\n" + sha256Hex + "\n" + prev
}

// Layout locates a trail's files in its bucket: an optional key prefix, the
// account and, for organization trails, the organization ID.
type Layout struct {
	Prefix     string // without leading or trailing slash
	OrgID      string // o-xxxx for organization trails
	AccountID  string
	TrailName  string
	HomeRegion string
}

func (l Layout) base() string {
	b := "AWSLogs/"
	if l.OrgID != "" {
		b += l.OrgID + "/"
	}
	b += l.AccountID + "/"
	if l.Prefix != "" {
		b = l.Prefix + "/" + b
	}
	return b
}

// DigestRoot is the folder that holds one sub-folder per source region.
func (l Layout) DigestRoot() string { return l.base() + "CloudTrail-Digest/" }

// LogRoot is the folder that holds one sub-folder of log files per region.
func (l Layout) LogRoot() string { return l.base() + "CloudTrail/" }

// DigestDayPrefix is the folder of one region's digests for one UTC day.
func (l Layout) DigestDayPrefix(region string, day time.Time) string {
	return l.DigestRoot() + region + "/" + day.UTC().Format("2006/01/02") + "/"
}

// LogDayPrefix is the folder of one region's log files for one UTC day.
func (l Layout) LogDayPrefix(region string, day time.Time) string {
	return l.LogRoot() + region + "/" + day.UTC().Format("2006/01/02") + "/"
}

// DigestKey is where CloudTrail writes the digest of region ending at end.
func (l Layout) DigestKey(region string, end time.Time, backfill bool) string {
	suffix := ".json.gz"
	if backfill {
		suffix = "_backfill.json.gz"
	}
	return l.DigestDayPrefix(region, end) + l.AccountID + "_CloudTrail-Digest_" + region + "_" +
		l.TrailName + "_" + l.HomeRegion + "_" + end.UTC().Format(keyTimeLayout) + suffix
}

const keyTimeLayout = "20060102T150405Z"

// DigestName is what a digest key says about itself.
type DigestName struct {
	Region   string
	End      time.Time
	Backfill bool
}

var digestNamePattern = regexp.MustCompile(`^(\d{12})_CloudTrail-Digest_([a-z0-9-]+)_(.+)_([a-z0-9-]+)_(\d{8}T\d{6}Z)(_backfill)?\.json\.gz$`)

// ParseDigestKey recognises a digest key of this layout's trail. It returns
// false for keys of other trails, other accounts or other file types.
func (l Layout) ParseDigestKey(key string) (DigestName, bool) {
	root := l.DigestRoot()
	if !strings.HasPrefix(key, root) {
		return DigestName{}, false
	}
	i := strings.LastIndexByte(key, '/')
	m := digestNamePattern.FindStringSubmatch(key[i+1:])
	if m == nil || m[1] != l.AccountID || m[3] != l.TrailName || m[4] != l.HomeRegion {
		return DigestName{}, false
	}
	// The folder must agree with the name: region/yyyy/mm/dd/.
	dir := key[len(root) : i+1]
	end, err := time.Parse(keyTimeLayout, m[5])
	if err != nil || dir != m[2]+"/"+end.Format("2006/01/02")+"/" {
		return DigestName{}, false
	}
	return DigestName{Region: m[2], End: end, Backfill: m[6] != ""}, true
}

// withPrefixOf returns l with the key prefix under which key is a digest
// of l's trail, for a link into the prefix a trail used before its
// S3KeyPrefix was changed.
func (l Layout) withPrefixOf(key string) (Layout, DigestName, bool) {
	// The prefix may itself contain "AWSLogs/": try every occurrence.
	for i := 0; ; {
		j := strings.Index(key[i:], "AWSLogs/")
		if j < 0 {
			return l, DigestName{}, false
		}
		nl := l
		nl.Prefix = strings.Trim(key[:i+j], "/")
		if n, ok := nl.ParseDigestKey(key); ok {
			return nl, n, true
		}
		i += j + 1
	}
}

var logNamePattern = regexp.MustCompile(`^(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8}T\d{4}Z)_[A-Za-z0-9]+\.json\.gz$`)

// ParseLogKey recognises a log file key of this layout's account in region
// and returns the time in its name (minute precision, the delivery time).
func (l Layout) ParseLogKey(key, region string) (time.Time, bool) {
	prefix := l.LogRoot() + region + "/"
	if !strings.HasPrefix(key, prefix) {
		return time.Time{}, false
	}
	i := strings.LastIndexByte(key, '/')
	m := logNamePattern.FindStringSubmatch(key[i+1:])
	if m == nil || m[1] != l.AccountID || m[2] != region {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102T1504Z", m[3])
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// LogKey is where CloudTrail would write a log file delivered at t.
func (l Layout) LogKey(region string, t time.Time, unique string) string {
	return l.LogDayPrefix(region, t) + l.AccountID + "_CloudTrail_" + region + "_" + t.UTC().Format("20060102T1504Z") + "_" + unique + ".json.gz"
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
