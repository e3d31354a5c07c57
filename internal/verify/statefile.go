package verify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// State is what --state keeps between runs of an archive verification:
// for every chain (account and source region) that verified cleanly, where
// the run left it and a fingerprint of every day folder it verified.
type State struct {
	SchemaVersion int    `json:"schemaVersion"`
	Trail         string `json:"trail"`
	Bucket        string `json:"bucket"`
	Prefix        string `json:"prefix,omitempty"`
	// Shard is "I/N" for a state kept by one shard of a sharded run: each
	// shard keeps its own.
	Shard   string                 `json:"shard,omitempty"`
	Updated time.Time              `json:"updated"`
	Chains  map[string]*ChainState `json:"chains"`
}

// ChainState is one chain's entry: verified cleanly from Start to the
// checkpoint.
type ChainState struct {
	Start      time.Time  `json:"start"`
	Checkpoint Checkpoint `json:"checkpoint"`
	// Days holds the fingerprint of each day folder ("2006/01/02") from
	// Start's day to the checkpoint's: the SHA-256 over the sorted key,
	// size and ETag of the digests and log files the checkpoint covers.
	Days map[string]string `json:"days"`
}

// StateSchemaVersion versions State.
const StateSchemaVersion = 1

// chainKey names a chain in a state file and a report.
func chainKey(account, region string) string { return account + "/" + region }

// ErrStateChanged: the state was changed by another run since this one
// read it; this run's progress is not recorded (the next run verifies
// again from the state the other run left).
var ErrStateChanged = errors.New("the state was changed by another run since this run read it; not overwritten")

// StateStore reads and writes a state, refusing to overwrite a state that
// changed since it was read.
type StateStore interface {
	// Load returns the state, nil when there is none yet.
	Load(ctx context.Context) (*State, error)
	// Save replaces the state read by Load, atomically: a crash leaves the
	// old one. ErrStateChanged when another run wrote it in between.
	Save(ctx context.Context, s *State) error
	String() string
}

// OpenStateStore returns the store for path: s3://bucket/key, read and
// written with cfg through a client for the bucket's region, or a local
// file.
func OpenStateStore(ctx context.Context, path string, cfg aws.Config) (StateStore, error) {
	if rest, ok := strings.CutPrefix(path, "s3://"); ok {
		bucket, key, _ := strings.Cut(rest, "/")
		if bucket == "" || key == "" || strings.HasSuffix(key, "/") {
			return nil, specErrorf("--state %q: want s3://BUCKET/KEY or a file path", path)
		}
		home := s3.NewFromConfig(cfg, S3Options(cfg))
		return &S3State{Client: clientForBucket(ctx, discardLogger(), cfg, home, bucket), Bucket: bucket, Key: key}, nil
	}
	if path == "" || strings.HasSuffix(path, string(filepath.Separator)) {
		return nil, specErrorf("--state %q: want a file path or s3://BUCKET/KEY", path)
	}
	return &FileState{Path: path}, nil
}

func decodeState(b []byte, where string) (*State, error) {
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, &SpecError{fmt.Errorf("%s is not a trailseal state file: %v", where, err)}
	}
	if s.SchemaVersion != StateSchemaVersion {
		return nil, specErrorf("%s: state schema version %d, this build reads version %d", where, s.SchemaVersion, StateSchemaVersion)
	}
	if s.Chains == nil {
		s.Chains = map[string]*ChainState{}
	}
	return &s, nil
}

func encodeState(s *State) ([]byte, error) {
	s.SchemaVersion = StateSchemaVersion
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// FileState keeps the state in a local file, replaced through a temporary
// file in the same folder and a rename, so a crash leaves the old one. A
// file changed since Load is not overwritten (checked just before the
// rename: two runs on one machine that end at the same instant can still
// race; keep the state in S3 for a guarantee).
type FileState struct {
	Path   string
	loaded [32]byte // SHA-256 of what Load read; zero when there was none
	had    bool
}

func (f *FileState) String() string { return f.Path }

// Load implements StateStore.
func (f *FileState) Load(ctx context.Context) (*State, error) {
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		f.had = false
		return nil, nil
	}
	if err != nil {
		return nil, specErrorf("--state: %v", err)
	}
	f.had, f.loaded = true, sha256.Sum256(b)
	return decodeState(b, f.Path)
}

// Save implements StateStore.
func (f *FileState) Save(ctx context.Context, s *State) error {
	b, err := encodeState(s)
	if err != nil {
		return err
	}
	dir := filepath.Dir(f.Path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(f.Path)+".*")
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	cur, err := os.ReadFile(f.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if f.had {
			return ErrStateChanged
		}
	case err != nil:
		return fmt.Errorf("write state: %w", err)
	case !f.had || sha256.Sum256(cur) != f.loaded:
		return ErrStateChanged
	}
	if err := os.Rename(tmp.Name(), f.Path); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	f.had, f.loaded = true, sha256.Sum256(b)
	return nil
}

// S3State keeps the state in an S3 object, replaced with a conditional
// PutObject: If-Match with the ETag Load read, or If-None-Match: * when
// there was none, so that of two runs that read the same state only one
// can replace it (the other gets 412 Precondition Failed). The PutObject
// API reference: "If-Match: Uploads the object only if the ETag (entity
// tag) value provided during the WRITE operation matches the ETag of the
// object in S3"; "If-None-Match: Uploads the object only if the object key
// name does not already exist in the bucket specified"; both answer 412
// Precondition Failed otherwise, and 409 ConditionalRequestConflict when a
// concurrent write of the same key is in flight.
type S3State struct {
	Client *s3.Client
	Bucket string
	Key    string
	etag   string // of the object Load read; "" when there was none
}

func (s *S3State) String() string { return "s3://" + s.Bucket + "/" + s.Key }

// Load implements StateStore.
func (s *S3State) Load(ctx context.Context) (*State, error) {
	out, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(s.Key)})
	if err != nil {
		var nsk *s3types.NoSuchKey
		var ae smithy.APIError
		if errors.As(err, &nsk) || (errors.As(err, &ae) && (ae.ErrorCode() == "NoSuchKey" || ae.ErrorCode() == "NotFound")) {
			s.etag = ""
			return nil, nil
		}
		return nil, fmt.Errorf("read state %s: %w", s, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("read state %s: %w", s, err)
	}
	s.etag = aws.ToString(out.ETag)
	return decodeState(b, s.String())
}

// Save implements StateStore.
func (s *S3State) Save(ctx context.Context, st *State) error {
	b, err := encodeState(st)
	if err != nil {
		return err
	}
	in := &s3.PutObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(s.Key), Body: bytes.NewReader(b), ContentType: aws.String("application/json")}
	if s.etag != "" {
		in.IfMatch = aws.String(s.etag)
	} else {
		in.IfNoneMatch = aws.String("*")
	}
	out, err := s.Client.PutObject(ctx, in)
	if err != nil {
		var re *smithyhttp.ResponseError
		var ae smithy.APIError
		if errors.As(err, &re) && (re.HTTPStatusCode() == http.StatusPreconditionFailed || re.HTTPStatusCode() == http.StatusConflict) ||
			errors.As(err, &ae) && (ae.ErrorCode() == "PreconditionFailed" || ae.ErrorCode() == "ConditionalRequestConflict" || ae.ErrorCode() == "NoSuchKey") {
			return ErrStateChanged
		}
		return fmt.Errorf("write state %s: %w", s, err)
	}
	s.etag = aws.ToString(out.ETag)
	return nil
}
