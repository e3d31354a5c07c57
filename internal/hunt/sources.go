package hunt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/trailseal/trailseal/internal/hunt/detection"
)

// Files reads the files named on the command line: CloudTrail log files
// (gzipped or not), JSON Lines or arrays of records. "-" is standard input.
type Files struct {
	Paths []string
	Stdin io.Reader
}

// Describe implements Source.
func (f Files) Describe() string {
	if len(f.Paths) == 1 {
		return "file " + f.Paths[0]
	}
	return fmt.Sprintf("%d files", len(f.Paths))
}

// Units implements Source.
func (f Files) Units(ctx context.Context, yield func(Unit) error) error {
	for _, p := range f.Paths {
		u := Unit{Origin: detection.Origin{Kind: "file", Location: p}}
		if p == "-" {
			u.Origin.Location = "standard input"
			u.Open = func(context.Context) (io.ReadCloser, error) { return io.NopCloser(f.Stdin), nil }
		} else {
			u.Open = func(context.Context) (io.ReadCloser, error) { return openFile(p) }
		}
		if err := yield(u); err != nil {
			return err
		}
	}
	return nil
}

func openFile(p string) (io.ReadCloser, error) {
	f, err := os.Open(p)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, err
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, errors.New("is a folder (use --from-dir for an offline copy of a trail's bucket)")
	}
	return f, nil
}

// ErrNoLogFiles is returned by Dir when its folder holds no CloudTrail log
// file at all.
var ErrNoLogFiles = errors.New("no CloudTrail log files")

// Dir reads an offline copy of trail buckets as 'trailseal pull' writes it
// (Root/<bucket>/<key>) or as 'aws s3 sync' does (Root/AWSLogs/...): every
// log file under a CloudTrail/ folder, not the digests or sidecar files.
// With Start or End set, files whose name says they were delivered before
// Start, or more than a day after End, are skipped without being read.
type Dir struct {
	Root       string
	Start, End time.Time
}

// Describe implements Source.
func (d Dir) Describe() string { return "offline copy " + d.Root }

// logFileName is CloudTrail's log file name: ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz
// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/get-and-view-cloudtrail-log-files.html).
// The unique string is letters and digits, which keeps out the
// .metadata.json sidecar files 'trailseal pull' writes next to objects.
var logFileName = regexp.MustCompile(`_CloudTrail_[a-z0-9-]+_(\d{8}T\d{4}Z)_[A-Za-z0-9]+\.json(\.gz)?$`)

// lateDelivery is how long after End a file may still hold events from
// before End: CloudTrail usually delivers within 15 minutes, and the slack
// is generous so that a late file is never skipped.
const lateDelivery = 24 * time.Hour

// Units implements Source.
func (d Dir) Units(ctx context.Context, yield func(Unit) error) error {
	found := 0
	err := filepath.WalkDir(d.Root+string(filepath.Separator), func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return yield(Unit{Origin: detection.Origin{Kind: "file", Location: p}, Err: err})
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if e.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(d.Root, p)
		rel = filepath.ToSlash(rel)
		m := logFileName.FindStringSubmatch(rel)
		if m == nil || !strings.Contains(rel, "/CloudTrail/") {
			return nil
		}
		found++
		if t, err := time.Parse("20060102T1504Z", m[1]); err == nil {
			if !d.Start.IsZero() && t.Before(d.Start) || !d.End.IsZero() && t.After(d.End.Add(lateDelivery)) {
				return nil
			}
		}
		key := rel
		if !strings.HasPrefix(rel, "AWSLogs/") {
			_, key, _ = strings.Cut(rel, "/") // drop the bucket folder
		}
		return yield(Unit{Origin: detection.Origin{Kind: "file", Location: p, Key: key},
			Open: func(context.Context) (io.ReadCloser, error) { return openLogFile(p) }})
	})
	if err != nil {
		return err
	}
	if found == 0 {
		return fmt.Errorf("%w under %s (want %s/<bucket>/AWSLogs/.../CloudTrail/..., as 'trailseal pull' writes it)", ErrNoLogFiles, d.Root, d.Root)
	}
	return nil
}
