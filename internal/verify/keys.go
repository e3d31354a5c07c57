package verify

import (
	"context"
	"crypto/md5"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"golang.org/x/sync/errgroup"

	"github.com/trailseal/trailseal/internal/decodeerr"
)

// PublicKey is one CloudTrail signing key with the period it signs for.
type PublicKey struct {
	Fingerprint   string // hex MD5 of DER
	DER           []byte // as returned by ListPublicKeys
	ValidityStart time.Time
	ValidityEnd   time.Time
	// Region is the region whose ListPublicKeys returned the key; empty
	// for a key file that does not say ('aws cloudtrail
	// list-public-keys' prints no region).
	Region string
	key    *rsa.PublicKey
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
		return nil, fmt.Errorf("not an RSA public key")
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

// KeySource provides the CloudTrail public keys of one region valid in a
// period. CloudTrail signs each region's digests with that region's own
// keys (ListPublicKeys API reference: "CloudTrail uses different private
// and public key pairs per Region"), so a digest's key is looked for in
// its own region's keys only.
type KeySource interface {
	Keys(ctx context.Context, region string, start, end time.Time) ([]PublicKey, error)
}

// KeyRange is the validity window Run asks its KeySource for, for a
// period from start to end: digests are signed up to an hour after their
// period, and keys may have rotated around its edges.
func KeyRange(start, end time.Time) (from, to time.Time) {
	return start.UTC().Add(-3 * time.Hour), end.UTC().Add(2 * time.Hour)
}

// KeyCache asks a KeySource once per region and range, each region in a
// goroutine of its own, and remembers the answers: a run's regions are
// asked at once, while the bucket is listed, and every later question for
// the same region and range waits for that answer.
type KeyCache struct {
	src KeySource
	ctx context.Context
	mu  sync.Mutex
	m   map[keyQuery]*keyAnswer
}

type keyQuery struct {
	region   string
	from, to time.Time
}

type keyAnswer struct {
	done chan struct{}
	keys []PublicKey
	err  error
}

// NewKeyCache returns a cache over src whose questions run until ctx ends.
func NewKeyCache(ctx context.Context, src KeySource) *KeyCache {
	return &KeyCache{src: src, ctx: ctx, m: map[keyQuery]*keyAnswer{}}
}

// Prefetch starts asking for region's keys valid from..to, unless that was
// asked already.
func (c *KeyCache) Prefetch(region string, from, to time.Time) { c.answer(region, from, to) }

func (c *KeyCache) answer(region string, from, to time.Time) *keyAnswer {
	q := keyQuery{region, from.UTC(), to.UTC()}
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.m[q]
	if !ok {
		a = &keyAnswer{done: make(chan struct{})}
		c.m[q] = a
		go func() {
			defer close(a.done)
			a.keys, a.err = c.src.Keys(c.ctx, q.region, q.from, q.to)
		}()
	}
	return a
}

// Keys implements KeySource.
func (c *KeyCache) Keys(ctx context.Context, region string, from, to time.Time) ([]PublicKey, error) {
	a := c.answer(region, from, to)
	select {
	case <-a.done:
		return a.keys, a.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// RegionsOf tells which regions' keys hold fingerprint fp, when the source
// can tell (a key file): the hint for a key found in the wrong region.
func (c *KeyCache) RegionsOf(fp string) []string {
	if h, ok := c.src.(interface{ RegionsOf(string) []string }); ok {
		return h.RegionsOf(fp)
	}
	return nil
}

// StaticKeys is a fixed key list, read from files: every key is offered
// whatever the period. A key whose Region is set is offered for that
// region only; one without (the 'aws cloudtrail list-public-keys' form)
// for every region, matched by fingerprint, which CloudTrail never reuses
// across regions.
type StaticKeys []PublicKey

// Keys implements KeySource.
func (s StaticKeys) Keys(_ context.Context, region string, _, _ time.Time) ([]PublicKey, error) {
	var out []PublicKey
	for _, k := range s {
		if k.Region == "" || k.Region == region {
			out = append(out, k)
		}
	}
	return out, nil
}

// RegionsOf lists the regions the list names for a key with fingerprint fp.
func (s StaticKeys) RegionsOf(fp string) []string {
	var out []string
	for _, k := range s {
		if strings.EqualFold(k.Fingerprint, fp) && k.Region != "" && !slices.Contains(out, k.Region) {
			out = append(out, k.Region)
		}
	}
	return out
}

// Merge returns the keys of s and more, each fingerprint and region once.
func (s StaticKeys) Merge(more StaticKeys) StaticKeys {
	out := slices.Clone(s)
	for _, k := range more {
		dup := false
		for _, o := range out {
			if strings.EqualFold(o.Fingerprint, k.Fingerprint) && o.Region == k.Region {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, k)
		}
	}
	if out == nil {
		out = StaticKeys{}
	}
	return out
}

// APIKeys asks CloudTrail's ListPublicKeys in the digest's own region.
type APIKeys struct {
	// Client returns a CloudTrail client for region.
	Client func(region string) *cloudtrail.Client
}

// Keys implements KeySource.
func (a APIKeys) Keys(ctx context.Context, region string, start, end time.Time) ([]PublicKey, error) {
	var out []PublicKey
	p := cloudtrail.NewListPublicKeysPaginator(a.Client(region), &cloudtrail.ListPublicKeysInput{StartTime: aws.Time(start), EndTime: aws.Time(end)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("cloudtrail ListPublicKeys in %s: %w", region, err)
		}
		for _, k := range page.PublicKeyList {
			pk, err := NewPublicKey(k.Value, aws.ToTime(k.ValidityStartTime), aws.ToTime(k.ValidityEndTime))
			if err != nil {
				return nil, fmt.Errorf("cloudtrail ListPublicKeys in %s returned key %s: %w", region, aws.ToString(k.Fingerprint), err)
			}
			if f := aws.ToString(k.Fingerprint); f != "" && !strings.EqualFold(f, pk.Fingerprint) {
				return nil, fmt.Errorf("cloudtrail ListPublicKeys in %s returned key %s whose bytes hash to %s", region, f, pk.Fingerprint)
			}
			pk.Region = region
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
		Region            string          `json:"Region"`
	} `json:"PublicKeyList"`
}

// ReadKeysFile parses the output of 'aws cloudtrail list-public-keys' (or
// 'trailseal keys export', which adds each key's Region): times as
// ISO-8601 strings or epoch seconds, Value in base64.
func ReadKeysFile(r io.Reader) (StaticKeys, error) {
	var f keysFile
	dec := json.NewDecoder(r)
	if err := dec.Decode(&f); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("public keys file: %v", decodeerr.FromJSONTypeError(te))
		}
		return nil, fmt.Errorf("public keys file is not the JSON of 'aws cloudtrail list-public-keys': %v", strings.TrimPrefix(err.Error(), "json: "))
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
		if k.Region != "" && !regionPattern.MatchString(k.Region) {
			return nil, fmt.Errorf("public key %d: Region %q is not a region code", i+1, k.Region)
		}
		pk.Region = k.Region
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

// regionPattern is the form of a region code.
var regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)

// WriteKeysFile writes keys in the 'aws cloudtrail list-public-keys' JSON
// form, times as ISO-8601, with the Region each key was listed in, so
// ReadKeysFile and the AWS CLI's users can read it.
func WriteKeysFile(w io.Writer, keys []PublicKey) error {
	type entry struct {
		Value             string `json:"Value"`
		ValidityStartTime string `json:"ValidityStartTime"`
		ValidityEndTime   string `json:"ValidityEndTime"`
		Fingerprint       string `json:"Fingerprint"`
		Region            string `json:"Region,omitempty"`
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
			Region:            k.Region,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "    ")
	return enc.Encode(out)
}

// ExportKeys asks src for the keys of every region valid from..to, the
// regions at once, and returns them sorted by region and validity.
func ExportKeys(ctx context.Context, src KeySource, regions []string, from, to time.Time) ([]PublicKey, error) {
	lists := make([][]PublicKey, len(regions))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, r := range regions {
		g.Go(func() (err error) {
			lists[i], err = src.Keys(gctx, r, from, to)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []PublicKey
	for _, l := range lists {
		out = append(out, l...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Region != out[j].Region {
			return out[i].Region < out[j].Region
		}
		return out[i].ValidityStart.Before(out[j].ValidityStart)
	})
	return out, nil
}
