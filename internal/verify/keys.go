package verify

import (
	"context"
	"crypto/md5"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
)

// PublicKey is one CloudTrail signing key with the period it signs for.
type PublicKey struct {
	Fingerprint   string // hex MD5 of DER
	DER           []byte // as returned by ListPublicKeys
	ValidityStart time.Time
	ValidityEnd   time.Time
	key           *rsa.PublicKey
}

// Fingerprint is how a digest names its key: the hex MD5 of the key bytes.
func Fingerprint(der []byte) string {
	sum := md5.Sum(der)
	return hex.EncodeToString(sum[:])
}

// NewPublicKey parses der (PKCS#1 RSAPublicKey, as CloudTrail returns it, or
// SubjectPublicKeyInfo) and derives its fingerprint from the bytes.
func NewPublicKey(der []byte, start, end time.Time) (PublicKey, error) {
	k, err := parseRSAPublicKey(der)
	if err != nil {
		return PublicKey{}, err
	}
	return PublicKey{Fingerprint: Fingerprint(der), DER: der, ValidityStart: start.UTC(), ValidityEnd: end.UTC(), key: k}, nil
}

func parseRSAPublicKey(der []byte) (*rsa.PublicKey, error) {
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("not an RSA public key in PKCS#1 or SubjectPublicKeyInfo DER form")
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("public key is %T, not RSA", k)
	}
	return rk, nil
}

// signingSlack is how long after a digest's end time CloudTrail may sign
// it: a key whose validity starts within this window still fits.
const signingSlack = time.Hour

// validAt reports whether the key could have signed a digest whose signing
// moment is at or shortly after t.
func (k PublicKey) validAt(t time.Time) bool {
	if !k.ValidityEnd.IsZero() && t.After(k.ValidityEnd) {
		return false
	}
	if !k.ValidityStart.IsZero() && t.Add(signingSlack).Before(k.ValidityStart) {
		return false
	}
	return true
}

// KeySource provides CloudTrail public keys valid in a period.
type KeySource interface {
	Keys(ctx context.Context, start, end time.Time) ([]PublicKey, error)
}

// KeyRange is the validity window Run asks its KeySource for, for a
// period from start to end: digests are signed up to an hour after their
// period, and keys may have rotated around its edges.
func KeyRange(start, end time.Time) (from, to time.Time) {
	return start.UTC().Add(-3 * time.Hour), end.UTC().Add(2 * time.Hour)
}

// EarlyKeys starts src.Keys for the key range of [start, end] at once, so
// that the call overlaps what the caller does before Run, and answers
// Run's call for that range with its result. Other ranges go to src.
func EarlyKeys(ctx context.Context, src KeySource, start, end time.Time) KeySource {
	e := &earlyKeys{src: src, done: make(chan struct{})}
	e.from, e.to = KeyRange(start, end)
	go func() {
		defer close(e.done)
		e.ring, e.err = src.Keys(ctx, e.from, e.to)
	}()
	return e
}

type earlyKeys struct {
	src      KeySource
	from, to time.Time
	done     chan struct{}
	ring     []PublicKey
	err      error
}

func (e *earlyKeys) Keys(ctx context.Context, from, to time.Time) ([]PublicKey, error) {
	if !from.Equal(e.from) || !to.Equal(e.to) {
		return e.src.Keys(ctx, from, to)
	}
	select {
	case <-e.done:
		return e.ring, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// StaticKeys is a fixed key list, read from a file: every key is offered
// whatever the period.
type StaticKeys []PublicKey

// Keys implements KeySource.
func (s StaticKeys) Keys(context.Context, time.Time, time.Time) ([]PublicKey, error) { return s, nil }

// APIKeys asks CloudTrail's ListPublicKeys in the trail's home region.
type APIKeys struct{ Client *cloudtrail.Client }

// Keys implements KeySource.
func (a APIKeys) Keys(ctx context.Context, start, end time.Time) ([]PublicKey, error) {
	var out []PublicKey
	p := cloudtrail.NewListPublicKeysPaginator(a.Client, &cloudtrail.ListPublicKeysInput{StartTime: aws.Time(start), EndTime: aws.Time(end)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("cloudtrail ListPublicKeys: %w", err)
		}
		for _, k := range page.PublicKeyList {
			pk, err := NewPublicKey(k.Value, aws.ToTime(k.ValidityStartTime), aws.ToTime(k.ValidityEndTime))
			if err != nil {
				return nil, fmt.Errorf("cloudtrail ListPublicKeys returned key %s: %w", aws.ToString(k.Fingerprint), err)
			}
			if f := aws.ToString(k.Fingerprint); f != "" && !strings.EqualFold(f, pk.Fingerprint) {
				return nil, fmt.Errorf("cloudtrail ListPublicKeys returned key %s whose bytes hash to %s", f, pk.Fingerprint)
			}
			out = append(out, pk)
		}
	}
	return out, nil
}

// keysFile is the JSON that 'aws cloudtrail list-public-keys' prints.
type keysFile struct {
	PublicKeyList []struct {
		Value             string          `json:"Value"`
		ValidityStartTime json.RawMessage `json:"ValidityStartTime"`
		ValidityEndTime   json.RawMessage `json:"ValidityEndTime"`
		Fingerprint       string          `json:"Fingerprint"`
	} `json:"PublicKeyList"`
}

// ReadKeysFile parses the output of 'aws cloudtrail list-public-keys' (or
// 'trailseal keys export'): times as ISO-8601 strings or epoch seconds,
// Value in base64.
func ReadKeysFile(r io.Reader) (StaticKeys, error) {
	var f keysFile
	dec := json.NewDecoder(r)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("public keys file is not the JSON of 'aws cloudtrail list-public-keys': %w", err)
	}
	if len(f.PublicKeyList) == 0 {
		return nil, fmt.Errorf("public keys file has no PublicKeyList entries")
	}
	var keys StaticKeys
	for i, k := range f.PublicKeyList {
		der, err := base64.StdEncoding.DecodeString(k.Value)
		if err != nil {
			return nil, fmt.Errorf("public key %d: Value is not base64: %w", i+1, err)
		}
		start, err := parseKeyTime(k.ValidityStartTime)
		if err != nil {
			return nil, fmt.Errorf("public key %d: ValidityStartTime: %w", i+1, err)
		}
		end, err := parseKeyTime(k.ValidityEndTime)
		if err != nil {
			return nil, fmt.Errorf("public key %d: ValidityEndTime: %w", i+1, err)
		}
		pk, err := NewPublicKey(der, start, end)
		if err != nil {
			return nil, fmt.Errorf("public key %d: %w", i+1, err)
		}
		if k.Fingerprint != "" && !strings.EqualFold(k.Fingerprint, pk.Fingerprint) {
			return nil, fmt.Errorf("public key %d: Fingerprint %s does not match its Value (MD5 %s)", i+1, k.Fingerprint, pk.Fingerprint)
		}
		keys = append(keys, pk)
	}
	return keys, nil
}

func parseKeyTime(raw json.RawMessage) (time.Time, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return time.Time{}, nil
	}
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			return time.Time{}, err
		}
		// The AWS CLI prints epoch seconds as strings with some output settings.
		if f, err := strconv.ParseFloat(str, 64); err == nil {
			return epoch(f)
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05"} {
			if t, err := time.Parse(layout, str); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("%s is neither ISO-8601 nor epoch seconds", s)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s is neither ISO-8601 nor epoch seconds", s)
	}
	return epoch(f)
}

func epoch(f float64) (time.Time, error) {
	if f < 0 || f > 1e11 || math.IsNaN(f) {
		return time.Time{}, fmt.Errorf("epoch seconds %v out of range", f)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}

// WriteKeysFile writes keys in the 'aws cloudtrail list-public-keys' JSON
// form, times as ISO-8601, so ReadKeysFile and the AWS CLI's users can read it.
func WriteKeysFile(w io.Writer, keys []PublicKey) error {
	type entry struct {
		Value             string `json:"Value"`
		ValidityStartTime string `json:"ValidityStartTime"`
		ValidityEndTime   string `json:"ValidityEndTime"`
		Fingerprint       string `json:"Fingerprint"`
	}
	out := struct {
		PublicKeyList []entry `json:"PublicKeyList"`
	}{PublicKeyList: []entry{}}
	for _, k := range keys {
		out.PublicKeyList = append(out.PublicKeyList, entry{
			Value:             base64.StdEncoding.EncodeToString(k.DER),
			ValidityStartTime: k.ValidityStart.UTC().Format(time.RFC3339),
			ValidityEndTime:   k.ValidityEnd.UTC().Format(time.RFC3339),
			Fingerprint:       k.Fingerprint,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "    ")
	return enc.Encode(out)
}
