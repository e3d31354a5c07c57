package verify

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Version is one version of an object, or a delete marker, as
// ListObjectVersions reports it.
type Version struct {
	Key          string
	VersionID    string
	LastModified time.Time
	ETag         string
	Size         int64
	IsLatest     bool
	DeleteMarker bool
}

// ErrNoVersions is returned by a store that cannot read versions.
var ErrNoVersions = errors.New("the store keeps no object versions")

// VersionStore is a Store that can read what a versioned bucket keeps of
// deleted or overwritten objects.
type VersionStore interface {
	// Versioning returns the bucket's versioning status: "Enabled",
	// "Suspended", or "" when it was never enabled.
	Versioning(ctx context.Context, bucket string) (string, error)
	// ListVersions lists the versions and delete markers of the objects
	// whose keys start with prefix.
	ListVersions(ctx context.Context, bucket, prefix string) ([]Version, error)
	// OpenVersion reads one version of an object.
	OpenVersion(ctx context.Context, bucket, key, versionID string) (io.ReadCloser, ObjectInfo, error)
}

// Recovery says whether a missing object can be restored from the
// bucket's versions. It is looked for only for what is missing, so an
// intact archive costs no call.
type Recovery struct {
	// Versioning is the bucket's versioning status: Enabled, Suspended,
	// "not enabled", or "unknown" (offline copy, or it could not be read).
	Versioning string `json:"versioning"`
	Error      string `json:"error,omitempty"`
	// Objects are the keys found with versions: for a range of missing
	// hourly digests, each digest of it that left a version.
	Objects []RecoveredObject `json:"objects,omitempty"`
}

// RecoveredObject is what the bucket keeps of one missing key.
type RecoveredObject struct {
	Key string `json:"key"`
	// DeleteMarker is the delete marker that hides the object, if any.
	DeleteMarker *ObjectVersion `json:"deleteMarker,omitempty"`
	// Version is the newest surviving version of the object.
	Version *ObjectVersion `json:"version,omitempty"`
	// Verdict on that version: valid (it hashes as its digest says, or its
	// signature verifies), modified, or unchecked.
	Verdict string `json:"verdict,omitempty"`
	Detail  string `json:"detail,omitempty"`
	// Restore is the command that makes the version current again.
	Restore string `json:"restore,omitempty"`
}

// ObjectVersion identifies one version or delete marker.
type ObjectVersion struct {
	VersionID string    `json:"versionId"`
	Time      time.Time `json:"time"`
	ETag      string    `json:"etag,omitempty"`
	Size      int64     `json:"size,omitempty"`
}

// Verdicts on a surviving version.
const (
	VersionValid     = "valid"
	VersionModified  = "modified"
	VersionUnchecked = "unchecked"
)

// lookForVersions looks, for every missing digest and log file, at what
// the bucket keeps of it: a delete marker and surviving versions, each
// checked against what its digest says.
func (v *verifier) lookForVersions(ctx context.Context) error {
	var todo []*Item
	for _, items := range [][]Item{v.report.Digests, v.report.Logs} {
		for i := range items {
			if it := &items[i]; it.Status == StatusMissing {
				todo = append(todo, it)
			}
		}
	}
	if len(todo) == 0 {
		return nil
	}
	vs, ok := v.o.Store.(VersionStore)
	if !ok {
		for _, it := range todo {
			it.Recovery = &Recovery{Versioning: "unknown", Error: "an offline copy keeps no versions: look in the bucket online"}
		}
		return nil
	}
	r := &recoverer{v: v, vs: vs, status: map[string]*bucketVersioning{}}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(v.o.Concurrency)
	for _, it := range todo {
		g.Go(func() error {
			it.Recovery = r.recover(gctx, it)
			return gctx.Err()
		})
	}
	return g.Wait()
}

type recoverer struct {
	v      *verifier
	vs     VersionStore
	mu     sync.Mutex
	status map[string]*bucketVersioning
}

type bucketVersioning struct {
	once   sync.Once
	status string
	err    error
}

// versioning asks each bucket's versioning status once.
func (r *recoverer) versioning(ctx context.Context, bucket string) (string, error) {
	r.mu.Lock()
	b, ok := r.status[bucket]
	if !ok {
		b = &bucketVersioning{}
		r.status[bucket] = b
	}
	r.mu.Unlock()
	b.once.Do(func() { b.status, b.err = r.vs.Versioning(ctx, bucket) })
	return b.status, b.err
}

func (r *recoverer) recover(ctx context.Context, it *Item) *Recovery {
	status, err := r.versioning(ctx, it.Bucket)
	if err != nil {
		if errors.Is(err, ErrNoVersions) {
			return &Recovery{Versioning: "unknown", Error: "an offline copy keeps no versions: look in the bucket online"}
		}
		return &Recovery{Versioning: "unknown", Error: fmt.Sprintf("s3:GetBucketVersioning: %v", err)}
	}
	rec := &Recovery{Versioning: status}
	if status == "" {
		rec.Versioning = "not enabled"
		return rec
	}
	versions, err := r.versionsOf(ctx, it)
	if err != nil {
		rec.Error = fmt.Sprintf("s3:ListObjectVersions: %v", err)
		return rec
	}
	byKey := map[string][]Version{}
	var keys []string
	for _, ver := range versions {
		if _, ok := byKey[ver.Key]; !ok {
			keys = append(keys, ver.Key)
		}
		byKey[ver.Key] = append(byKey[ver.Key], ver)
	}
	sort.Strings(keys)
	for _, key := range keys {
		rec.Objects = append(rec.Objects, r.recoverKey(ctx, it, key, byKey[key]))
	}
	return rec
}

// versionsOf lists the versions that may be the missing object: its own
// key's, or for a range of hourly digests (or a region without any) those
// of the digest day folders of the range.
func (r *recoverer) versionsOf(ctx context.Context, it *Item) ([]Version, error) {
	l := r.v.o.Layout
	if it.Key != "" && !strings.Contains(it.Key, "*") {
		vs, err := r.vs.ListVersions(ctx, it.Bucket, it.Key)
		return slicesFilter(vs, func(v Version) bool { return v.Key == it.Key }), err
	}
	var out []Version
	for _, day := range days(it.Start, it.End) {
		vs, err := r.vs.ListVersions(ctx, it.Bucket, l.DigestDayPrefix(it.Region, day))
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			n, ok := l.ParseDigestKey(v.Key)
			if ok && !n.Backfill && n.Region == it.Region && n.End.After(it.Start) && !n.End.After(it.End.Add(10*time.Minute)) {
				out = append(out, v)
			}
		}
	}
	return out, nil
}

func slicesFilter(vs []Version, keep func(Version) bool) []Version {
	var out []Version
	for _, v := range vs {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}

// recoverKey reports the delete marker and the newest surviving version
// of key, and checks that version.
func (r *recoverer) recoverKey(ctx context.Context, it *Item, key string, versions []Version) RecoveredObject {
	ro := RecoveredObject{Key: key}
	// ListObjectVersions lists a key's versions newest first (times have
	// one-second steps, so order, not time, tells which is newer); the
	// delete marker that hides the object is the latest one.
	for _, ver := range versions {
		ov := &ObjectVersion{VersionID: ver.VersionID, Time: ver.LastModified, ETag: ver.ETag, Size: ver.Size}
		switch {
		case ver.DeleteMarker && ver.IsLatest:
			ro.DeleteMarker = ov
		case !ver.DeleteMarker && ro.Version == nil:
			ro.Version = ov
		}
	}
	if ro.Version == nil {
		ro.Detail = "no version survives: the object was deleted for good"
		return ro
	}
	ro.Verdict, ro.Detail = r.checkVersion(ctx, it, key, ro.Version.VersionID)
	// The AWS CLI URL-encodes --copy-source itself, except the versionId.
	ro.Restore = fmt.Sprintf("aws s3api copy-object --bucket %s --key %s --copy-source %s",
		it.Bucket, shellQuote(key), shellQuote(it.Bucket+"/"+key+"?versionId="+url.QueryEscape(ro.Version.VersionID)))
	return ro
}

// checkVersion checks a surviving version against its digest: a log
// file's hash against the digest that names it, a digest's hash against
// the next digest's previousDigestHashValue, else its own signature.
func (r *recoverer) checkVersion(ctx context.Context, it *Item, key, versionID string) (string, string) {
	v := r.v
	open := func(ctx context.Context) (io.ReadCloser, ObjectInfo, error) {
		return r.vs.OpenVersion(ctx, it.Bucket, key, versionID)
	}
	if it.Kind == "log" {
		want, ok := v.missingLogHash(objRef{it.Bucket, key})
		if !ok {
			return VersionUnchecked, "no digest hash to check it against"
		}
		body, _, err := open(ctx)
		if err != nil {
			return VersionUnchecked, fmt.Sprintf("could not read the version: %v", err)
		}
		defer body.Close()
		sum, _, _, err := gunzipHash(body, nil, 0)
		if err != nil || sum != hex.EncodeToString(want[:]) {
			return VersionModified, fmt.Sprintf("the version hashes to %s, the digest says %x", sum, want)
		}
		return VersionValid, "the version hashes as its digest says"
	}
	ds := &digestState{region: it.Region, bucket: it.Bucket, key: key}
	ds.name, _ = v.o.Layout.ParseDigestKey(key)
	v.readDigestFrom(ctx, ds, open)
	if ds.status != StatusValid || ds.d == nil {
		return VersionModified, "the version does not read as a digest: " + strings.Join(ds.detail, "; ")
	}
	if h := v.linkHash[objRef{it.Bucket, key}]; h != nil {
		if !strings.EqualFold(*h, ds.sha) {
			return VersionModified, fmt.Sprintf("the version hashes to %s, the next digest's previousDigestHashValue is %s", ds.sha, *h)
		}
		return VersionValid, "the version hashes as the next digest's previousDigestHashValue says"
	}
	v.checkSignature(ctx, ds)
	if ds.status != StatusValid {
		return VersionModified, strings.Join(ds.detail, "; ")
	}
	return VersionValid, "the version's signature verifies"
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:+,@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// writeRecovery prints what the bucket keeps of a missing object.
func (r *Report) writeRecovery(b *strings.Builder, it Item) {
	for _, line := range r.RecoveryLines(it) {
		fmt.Fprintf(b, "               %s\n", line)
	}
}

// RecoveryLines says in words what the bucket keeps of a missing object:
// the delete marker, the surviving version and its verdict, and the
// command that restores it. Every report format says it in these words.
func (r *Report) RecoveryLines(it Item) []string {
	rec := it.Recovery
	switch {
	case rec == nil:
		return nil
	case rec.Error != "":
		return []string{"versions: " + rec.Error}
	case rec.Versioning == "not enabled":
		return []string{"not recoverable from S3: the bucket is not versioned"}
	case len(rec.Objects) == 0:
		return []string{fmt.Sprintf("no version or delete marker found (bucket versioning %s)", rec.Versioning)}
	}
	var out []string
	for _, o := range rec.Objects {
		if it.Key == "" || o.Key != it.Key {
			out = append(out, r.where(it.Bucket, o.Key))
		}
		if m := o.DeleteMarker; m != nil {
			out = append(out, fmt.Sprintf("deleted at %s (delete marker %s)", m.Time.Format(displayTime), m.VersionID))
		}
		switch {
		case o.Version == nil:
			out = append(out, o.Detail)
		case o.Verdict == VersionValid:
			out = append(out, fmt.Sprintf("recoverable: valid version %s (%s)", o.Version.VersionID, o.Detail), "restore: "+o.Restore)
		case o.Verdict == VersionModified:
			out = append(out, fmt.Sprintf("recoverable but modified: version %s (%s)", o.Version.VersionID, o.Detail))
		default:
			out = append(out, fmt.Sprintf("recoverable, unchecked: version %s (%s)", o.Version.VersionID, o.Detail), "restore: "+o.Restore)
		}
	}
	return out
}
