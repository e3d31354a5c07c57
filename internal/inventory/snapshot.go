package inventory

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/trailseal/trailseal/internal/decodeerr"
)

// ErrSnapshot marks a snapshot that cannot be used (unreadable, malformed or
// of another schema version). The CLI maps it to a usage error.
var ErrSnapshot = errors.New("invalid snapshot")

// Write encodes inv as indented JSON.
func Write(w io.Writer, inv *Inventory) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(inv)
}

// Save writes inv to path through a temporary file beside it, renamed
// over path once complete. The CLI writes snapshots through its own output
// helper, which also handles links and devices; Save serves tests and
// tools.
func Save(path string, inv *Inventory) error {
	var buf bytes.Buffer
	if err := Write(&buf, inv); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	_, err = tmp.Write(buf.Bytes())
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write snapshot: %w", err)
	}
	return nil
}

// MaxSnapshotBytes bounds the snapshots Load reads. encoding/json holds a
// whole document in memory while it decodes it, so without a bound a file
// of any size takes as much memory; the snapshots of large accounts are
// tens of megabytes.
const MaxSnapshotBytes = 256 << 20

// Load reads a snapshot file written by Save or 'scan --save-snapshot' as
// a stream: a file that is not JSON fails at its first bytes, a larger one
// than MaxSnapshotBytes is refused, and only a value of the wrong type
// makes it read the file again, to say which one and where.
func Load(path string) (*Inventory, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrSnapshot, path, unwrapPathError(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: %s: %v", ErrSnapshot, path, unwrapPathError(err))
	case fi.IsDir():
		return nil, fmt.Errorf("%w: %s is a folder, not a snapshot file", ErrSnapshot, path)
	case fi.Mode().IsRegular() && fi.Size() > MaxSnapshotBytes:
		return nil, fmt.Errorf("%w: %s is %d MiB, larger than the %d MiB a snapshot may be", ErrSnapshot, path, fi.Size()>>20, MaxSnapshotBytes>>20)
	}
	inv, err := decode(f, MaxSnapshotBytes)
	if errors.Is(err, errWrongType) {
		err = locateInFile(path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return inv, nil
}

// Decode parses and validates snapshot JSON held in memory.
func Decode(data []byte) (*Inventory, error) {
	inv, err := decode(bytes.NewReader(data), int64(len(data)))
	if errors.Is(err, errWrongType) {
		if m, ferr := decodeerr.FindJSON(bytes.NewReader(data), inventoryType); ferr == nil && m != nil {
			line, _ := position(data, m.Offset)
			return nil, fmt.Errorf("%w: line %d: %w", ErrSnapshot, line, m)
		}
	}
	return inv, err
}

var inventoryType = reflect.TypeFor[Inventory]()

// errWrongType marks a decoding error about a value's type, which the
// caller locates by reading the document again.
var errWrongType = errors.New("a value of the wrong type")

// decode reads one snapshot document from r, at most limit bytes of it.
func decode(r io.Reader, limit int64) (*Inventory, error) {
	lr := &limitedReader{r: r, left: limit}
	dec := json.NewDecoder(lr)
	dec.DisallowUnknownFields()
	var inv Inventory
	err := dec.Decode(&inv)
	var syn *json.SyntaxError
	switch {
	case lr.over:
		return nil, fmt.Errorf("%w: larger than the %d MiB a snapshot may be", ErrSnapshot, limit>>20)
	case errors.As(err, &syn):
		return nil, fmt.Errorf("%w: not valid JSON: at byte %d: %v", ErrSnapshot, syn.Offset, strings.TrimPrefix(syn.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return nil, fmt.Errorf("%w: not valid JSON: unexpected end of file", ErrSnapshot)
	}
	// A document of another version need not fit this version's types,
	// so the version is judged first (encoding/json goes on decoding the
	// fields it can after the first problem).
	var te *json.UnmarshalTypeError
	versionBad := errors.As(err, &te) && te.Field == "schemaVersion"
	switch {
	case inv.SchemaVersion == 0 && !versionBad:
		return nil, fmt.Errorf("%w: no schemaVersion field; is this a trailseal snapshot?", ErrSnapshot)
	case inv.SchemaVersion != SchemaVersion && !versionBad:
		return nil, fmt.Errorf("%w: schema version %d, this build reads version %d", ErrSnapshot, inv.SchemaVersion, SchemaVersion)
	case err != nil:
		return nil, describeDecodeError(err)
	}
	if inv.Account.ID == "" {
		return nil, fmt.Errorf("%w: account.id is empty", ErrSnapshot)
	}
	return &inv, nil
}

// describeDecodeError words an error of encoding/json other than a syntax
// error: an unknown field as it is; a type error by field and type in
// words, marked errWrongType so that the caller can say exactly where.
func describeDecodeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &wrongType{decodeerr.FromJSONTypeError(te)}
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	var pe *time.ParseError
	if errors.As(err, &pe) || strings.HasPrefix(msg, "Time.") {
		// time.Time's own error, which encoding/json passes on without
		// the field.
		return &wrongType{&decodeerr.Mismatch{Path: "a time", Want: "text such as 2026-01-02T15:04:05Z", Found: "something else", Offset: -1}}
	}
	return fmt.Errorf("%w: %s", ErrSnapshot, msg)
}

// wrongType is a type error, worded, that the caller may locate exactly.
type wrongType struct{ m *decodeerr.Mismatch }

func (e *wrongType) Error() string   { return ErrSnapshot.Error() + ": " + e.m.Error() }
func (e *wrongType) Unwrap() []error { return []error{ErrSnapshot, errWrongType} }

// locateInFile reads the snapshot at path again, as a stream, to find the
// value of the wrong type and its line; err is returned when it cannot.
func locateInFile(path string, err error) error {
	f, ferr := os.Open(path)
	if ferr != nil {
		return err
	}
	defer f.Close()
	m, ferr := decodeerr.FindJSON(io.LimitReader(f, MaxSnapshotBytes), inventoryType)
	if ferr != nil || m == nil {
		return err
	}
	if _, ferr := f.Seek(0, io.SeekStart); ferr != nil {
		return fmt.Errorf("%w: %w", ErrSnapshot, m)
	}
	line, ferr := streamLine(f, m.Offset)
	if ferr != nil {
		return fmt.Errorf("%w: %w", ErrSnapshot, m)
	}
	return fmt.Errorf("%w: line %d: %w", ErrSnapshot, line, m)
}

// streamLine is the line of a byte offset in r. (Lines only: the offset
// is the end of the value, and the line is all a reader needs.)
func streamLine(r io.Reader, offset int64) (int, error) {
	br := bufio.NewReader(io.LimitReader(r, offset))
	line := 1
	for {
		b, err := br.ReadByte()
		if err == io.EOF {
			return line, nil
		}
		if err != nil {
			return 0, err
		}
		if b == '\n' {
			line++
		}
	}
}

// limitedReader reads at most left bytes and notes whether r had more.
type limitedReader struct {
	r    io.Reader
	left int64
	over bool
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// One byte more tells a document of exactly the limit from a
		// longer one.
		var one [1]byte
		if n, _ := l.r.Read(one[:]); n > 0 {
			l.over = true
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

func position(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1)
	return line, col
}

func unwrapPathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return strings.TrimSpace(pe.Err.Error())
	}
	return err.Error()
}

// Bucket returns the bucket with the given name, or nil.
func (inv *Inventory) Bucket(name string) *Bucket {
	for i := range inv.Buckets {
		if inv.Buckets[i].Name == name {
			return &inv.Buckets[i]
		}
	}
	return nil
}

// Key returns the KMS key a trail names (by ARN, or by the trail's KmsKeyId
// as recorded), or nil.
func (inv *Inventory) Key(id string) *KMSKey {
	for i := range inv.Keys {
		k := &inv.Keys[i]
		if k.ARN == id || (k.Metadata.Value != nil && k.Metadata.Value.KeyID == id) {
			return k
		}
	}
	return nil
}

// LogGroup returns the log group with the given ARN (with or without the
// trailing ":*"), or nil.
func (inv *Inventory) LogGroup(arn string) *LogGroup {
	arn = strings.TrimSuffix(arn, ":*")
	for i := range inv.LogGroups {
		if strings.TrimSuffix(inv.LogGroups[i].ARN, ":*") == arn {
			return &inv.LogGroups[i]
		}
	}
	return nil
}

// Topic returns the SNS topic with the given ARN, or nil.
func (inv *Inventory) Topic(arn string) *SNSTopic {
	for i := range inv.Topics {
		if inv.Topics[i].ARN == arn {
			return &inv.Topics[i]
		}
	}
	return nil
}

// ConfigRegion returns the AWS Config state for region, or nil.
func (inv *Inventory) ConfigRegion(region string) *ConfigRegion {
	for i := range inv.ConfigRecorders {
		if inv.ConfigRecorders[i].Region == region {
			return &inv.ConfigRecorders[i]
		}
	}
	return nil
}
