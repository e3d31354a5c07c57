package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/trailseal/trailseal/internal/awsclient"
)

// ErrNotFound is returned by Store.Open for an object that does not exist.
var ErrNotFound = errors.New("object not found")

// Object is one listed object.
type Object struct {
	Key  string
	Size int64
	// ETag is S3's entity tag ("" for a folder copy): with the key and
	// size it fingerprints a folder's listing for incremental runs.
	ETag string
}

// RangeLister is a Store that lists a prefix from a key on, so that one
// paginated listing covers the day folders of a whole period (one request
// per 1,000 keys rather than one per folder). fn returns ErrStopListing to
// end the listing early.
type RangeLister interface {
	ListFrom(ctx context.Context, bucket, prefix, startAfter string, fn func(Object) error) error
}

// ErrStopListing ends a ListFrom listing without an error.
var ErrStopListing = errors.New("stop listing")

// ObjectInfo is what a read returns besides the body.
type ObjectInfo struct {
	// Metadata is the object's user metadata with lower-case names; nil
	// when the store has none for it, as for an offline copy without
	// sidecar files.
	Metadata map[string]string
	// VersionID and ETag are S3's, where S3 gives them (a version ID only
	// in a bucket that has versioning enabled or suspended).
	VersionID string
	ETag      string
}

// Store reads the objects of a trail's bucket(s).
type Store interface {
	// List calls fn for every object under prefix, in key order.
	List(ctx context.Context, bucket, prefix string, fn func(Object) error) error
	// ListDirs returns the sub-folder names directly under prefix.
	ListDirs(ctx context.Context, bucket, prefix string) ([]string, error)
	// Open returns the object's body and what the store knows about it;
	// ErrNotFound when there is no such object.
	Open(ctx context.Context, bucket, key string) (io.ReadCloser, ObjectInfo, error)
}

// S3Store reads from Amazon S3. Make it with NewS3Store, which reads
// objects with plain signed GETs (see objectReader); an S3Store{Client: c}
// literal uses the SDK's GetObject for every object.
type S3Store struct {
	Client *s3.Client

	mu      sync.Mutex
	readers map[string]*objectReader // by bucket; nil: SDK path only
}

// NewS3Store returns a store reading with c.
func NewS3Store(c *s3.Client) *S3Store {
	return &S3Store{Client: c, readers: map[string]*objectReader{}}
}

// reader returns the fast reader for bucket, nil when the SDK path is
// kept.
func (s *S3Store) reader(ctx context.Context, bucket string) *objectReader {
	if s.readers == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.readers[bucket]
	if !ok {
		r = newObjectReader(ctx, s.Client, bucket)
		s.readers[bucket] = r
	}
	return r
}

// List implements Store.
func (s *S3Store) List(ctx context.Context, bucket, prefix string, fn func(Object) error) error {
	return s.ListFrom(ctx, bucket, prefix, "", fn)
}

// ListFrom implements RangeLister with ListObjectsV2's StartAfter.
func (s *S3Store) ListFrom(ctx context.Context, bucket, prefix, startAfter string, fn func(Object) error) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)}
	if startAfter != "" {
		in.StartAfter = aws.String(startAfter)
	}
	p := s3.NewListObjectsV2Paginator(s.Client, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, awsclient.Described(err))
		}
		for _, o := range page.Contents {
			err := fn(Object{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size), ETag: aws.ToString(o.ETag)})
			if errors.Is(err, ErrStopListing) {
				return nil
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// ListDirs implements Store.
func (s *S3Store) ListDirs(ctx context.Context, bucket, prefix string) ([]string, error) {
	var dirs []string
	p := s3.NewListObjectsV2Paginator(s.Client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, awsclient.Described(err))
		}
		for _, cp := range page.CommonPrefixes {
			d := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), prefix), "/")
			if d != "" {
				dirs = append(dirs, d)
			}
		}
	}
	return dirs, nil
}

// Open implements Store.
func (s *S3Store) Open(ctx context.Context, bucket, key string) (io.ReadCloser, ObjectInfo, error) {
	if r := s.reader(ctx, bucket); r != nil && !r.skewed.Load() {
		body, info, err := r.open(ctx, key)
		if !isClockSkew(err) {
			return body, info, err
		}
		// S3 refused the request time: this clock is off by more than 15
		// minutes. The SDK corrects for that from S3's Date header and
		// retries, so the bucket is read through it from now on.
		r.skewed.Store(true)
	}
	out, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		var nsk *s3types.NoSuchKey
		if errors.As(err, &nsk) || awsclient.HasCode(err, "NoSuchKey", "NotFound") {
			return nil, ObjectInfo{}, ErrNotFound
		}
		return nil, ObjectInfo{}, err
	}
	md := make(map[string]string, len(out.Metadata))
	for k, v := range out.Metadata {
		md[strings.ToLower(k)] = v
	}
	return out.Body, ObjectInfo{Metadata: md, VersionID: aws.ToString(out.VersionId), ETag: aws.ToString(out.ETag)}, nil
}

// SidecarSuffix names the file next to an offline object that keeps its S3
// user metadata (the digest signature in particular).
const SidecarSuffix = ".metadata.json"

// DirStore reads an offline copy: Root/<bucket>/<key>, with the S3 user
// metadata of each object in <key>.metadata.json when 'trailseal pull'
// made the copy.
type DirStore struct{ Root string }

func (d DirStore) path(bucket, key string) (string, error) {
	if strings.Contains(bucket, "/") || bucket == "" || bucket == "." || bucket == ".." {
		return "", fmt.Errorf("bucket name %q cannot be a folder name", bucket)
	}
	p := filepath.Join(d.Root, bucket, filepath.FromSlash(key))
	if !strings.HasPrefix(p, filepath.Join(d.Root, bucket)+string(filepath.Separator)) {
		return "", fmt.Errorf("key %q leaves the bucket folder", key)
	}
	return p, nil
}

// List implements Store.
func (d DirStore) List(ctx context.Context, bucket, prefix string, fn func(Object) error) error {
	base := filepath.Join(d.Root, bucket)
	// Walk only the deepest folder the prefix names.
	dir := prefix
	if i := strings.LastIndexByte(dir, '/'); i >= 0 {
		dir = dir[:i]
	} else {
		dir = ""
	}
	start := filepath.Join(base, filepath.FromSlash(dir))
	var objs []Object
	// The trailing separator makes the walk enter the folder when it is a
	// symbolic link (evidence moved to another disk, say).
	err := filepath.WalkDir(start+string(filepath.Separator), func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if e.IsDir() || strings.HasSuffix(p, SidecarSuffix) {
			return nil
		}
		rel, err := filepath.Rel(base, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		objs = append(objs, Object{Key: key, Size: info.Size()})
		return nil
	})
	if err != nil {
		return fmt.Errorf("list %s: %w", start, err)
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].Key < objs[j].Key })
	for _, o := range objs {
		if err := fn(o); err != nil {
			return err
		}
	}
	return nil
}

// ListDirs implements Store.
func (d DirStore) ListDirs(ctx context.Context, bucket, prefix string) ([]string, error) {
	p, err := d.path(bucket, prefix+"x")
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(filepath.Dir(p))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, e := range entries {
		isDir := e.IsDir()
		if e.Type()&fs.ModeSymlink != 0 {
			// A linked folder counts as a folder.
			fi, err := os.Stat(filepath.Join(filepath.Dir(p), e.Name()))
			isDir = err == nil && fi.IsDir()
		}
		if isDir {
			dirs = append(dirs, e.Name())
		}
	}
	return dirs, nil
}

// Open implements Store.
func (d DirStore) Open(ctx context.Context, bucket, key string) (io.ReadCloser, ObjectInfo, error) {
	p, err := d.path(bucket, key)
	if err != nil {
		return nil, ObjectInfo{}, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ObjectInfo{}, ErrNotFound
	}
	if err != nil {
		return nil, ObjectInfo{}, err
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		// A folder is not an object (S3 has no folders to GET).
		f.Close()
		return nil, ObjectInfo{}, ErrNotFound
	}
	md, err := readSidecar(p + SidecarSuffix)
	if err != nil {
		f.Close()
		return nil, ObjectInfo{}, err
	}
	return f, ObjectInfo{Metadata: md}, nil
}

func readSidecar(p string) (map[string]string, error) {
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var raw map[string]string
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("metadata file %s is not a JSON object of strings: %w", p, err)
	}
	md := make(map[string]string, len(raw))
	for k, v := range raw {
		md[strings.ToLower(k)] = v
	}
	return md, nil
}

// WriteSidecar stores an object's user metadata next to its offline copy.
func WriteSidecar(objectPath string, md map[string]string) error {
	b, err := json.MarshalIndent(md, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(objectPath+SidecarSuffix, append(b, '\n'), 0o644)
}

// Versioning implements VersionStore.
func (s *S3Store) Versioning(ctx context.Context, bucket string) (string, error) {
	out, err := s.Client.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(bucket)})
	if err != nil {
		return "", err
	}
	return string(out.Status), nil
}

// ListVersions implements VersionStore.
func (s *S3Store) ListVersions(ctx context.Context, bucket, prefix string) ([]Version, error) {
	var out []Version
	p := s3.NewListObjectVersionsPaginator(s.Client, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list versions of s3://%s/%s: %w", bucket, prefix, awsclient.Described(err))
		}
		for _, v := range page.Versions {
			out = append(out, Version{Key: aws.ToString(v.Key), VersionID: aws.ToString(v.VersionId), LastModified: aws.ToTime(v.LastModified),
				ETag: aws.ToString(v.ETag), Size: aws.ToInt64(v.Size), IsLatest: aws.ToBool(v.IsLatest)})
		}
		for _, m := range page.DeleteMarkers {
			out = append(out, Version{Key: aws.ToString(m.Key), VersionID: aws.ToString(m.VersionId), LastModified: aws.ToTime(m.LastModified),
				IsLatest: aws.ToBool(m.IsLatest), DeleteMarker: true})
		}
	}
	return out, nil
}

// OpenVersion implements VersionStore.
func (s *S3Store) OpenVersion(ctx context.Context, bucket, key, versionID string) (io.ReadCloser, ObjectInfo, error) {
	out, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: aws.String(versionID)})
	if err != nil {
		return nil, ObjectInfo{}, err
	}
	md := make(map[string]string, len(out.Metadata))
	for k, v := range out.Metadata {
		md[strings.ToLower(k)] = v
	}
	return out.Body, ObjectInfo{Metadata: md, VersionID: aws.ToString(out.VersionId), ETag: aws.ToString(out.ETag)}, nil
}
