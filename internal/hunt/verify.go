package hunt

import (
	"context"
	"io"
	"path/filepath"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/trailseal/trailseal/internal/hunt/detection"
	"github.com/trailseal/trailseal/internal/verify"
)

// LogSink returns the verify.LogSink through which verify --hunt hands the
// hunter every log file it hashes: the records are split and judged from
// the same bytes as the hash, and each detection carries its file's
// verification status.
func (h *Hunter) LogSink() verify.LogSink {
	return func(o verify.LogObject) verify.LogWriter {
		kind := "s3"
		if !strings.HasPrefix(o.Location, "s3://") {
			kind = "file"
		}
		return verifiedFile{h.File(detection.Origin{Kind: kind, Location: o.Location, Key: o.Key})}
	}
}

// verifiedFile adapts a FileScan to verify.LogWriter.
type verifiedFile struct{ *FileScan }

func (f verifiedFile) Finish(status verify.Status, reasons []verify.Reason) {
	f.SetVerification(Verification(status, reasons))
	f.Close() // an error is kept in the hunt's sources
}

// Verification is how a detection names its log file's verdict: "valid",
// or the status and reasons ("invalid: LOG_MODIFIED").
func Verification(status verify.Status, reasons []verify.Reason) string {
	if len(reasons) == 0 {
		return string(status)
	}
	names := make([]string, len(reasons))
	for i, r := range reasons {
		names[i] = string(r)
	}
	return string(status) + ": " + strings.Join(names, ",")
}

// ReadUnchecked hunts, after verify, the log files among items (a report's
// logs, or an archive report's problems) that it listed but did not hash:
// those written in a gap (LOG_NOT_COVERED), which hold the calls around
// it, and those no digest names (LOG_UNREFERENCED). Their detections say
// so. fromDir is the report's offline copy, if any.
func (h *Hunter) ReadUnchecked(ctx context.Context, st verify.Store, items []verify.Item, fromDir string, concurrency int) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(concurrency, 1))
	for _, it := range items {
		if it.Kind != "log" || it.Status != verify.StatusGap && !hasReason(it.Reasons, verify.LogUnreferenced) {
			continue
		}
		origin := detection.Origin{Kind: "s3", Location: "s3://" + it.Bucket + "/" + it.Key, Key: it.Key,
			Verification: Verification(it.Status, it.Reasons)}
		if fromDir != "" {
			origin.Kind, origin.Location = "file", fromDirPath(fromDir, it.Bucket, it.Key)
		}
		g.Go(func() error {
			h.ReadUnit(gctx, Unit{Origin: origin, Open: func(ctx context.Context) (io.ReadCloser, error) {
				body, _, err := st.Open(ctx, it.Bucket, it.Key)
				return body, err
			}})
			return gctx.Err()
		})
	}
	return g.Wait()
}

func hasReason(rs []verify.Reason, r verify.Reason) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// fromDirPath is how verify's report names a file of an offline copy.
func fromDirPath(root, bucket, key string) string {
	return filepath.Join(root, bucket, filepath.FromSlash(key))
}
