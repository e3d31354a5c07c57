package verify

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trailseal/trailseal/internal/awsclient"
)

// acquire takes one of the --concurrency read slots.
func (v *verifier) acquire(ctx context.Context) error {
	select {
	case v.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (v *verifier) release() { <-v.sem }

// fetchDigests reads digests in parallel. With start, each digest whose
// signature can be checked at once (it has its metadata) is checked and
// its log files are scheduled.
func (v *verifier) fetchDigests(ctx context.Context, digests []*digestState, start bool) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(v.o.Concurrency)
	for _, ds := range digests {
		g.Go(func() error {
			v.fetchDigest(gctx, ds)
			if start && ds.d != nil && (ds.md.present || !v.o.Offline) {
				v.checkSignatures(gctx, []*digestState{ds})
				v.scheduleLogs(ds)
			}
			return gctx.Err()
		})
	}
	return g.Wait()
}

func (v *verifier) fetchDigest(ctx context.Context, ds *digestState) {
	v.readDigestFrom(ctx, ds, func(ctx context.Context) (io.ReadCloser, ObjectInfo, error) {
		return v.o.Store.Open(ctx, ds.bucket, ds.key)
	})
}

// readDigestFrom reads, hashes and parses a digest from open, retrying
// reads that fail mid-stream, and records on ds what it found.
func (v *verifier) readDigestFrom(ctx context.Context, ds *digestState, open func(context.Context) (io.ReadCloser, ObjectInfo, error)) {
	var data []byte
	var err error
	for attempt := 1; ; attempt++ {
		data, err = v.readDigest(ctx, ds, open)
		var re *readError
		if err == nil || !errors.As(err, &re) || attempt == fetchAttempts || ctx.Err() != nil || awsclient.IsUnreachable(err) {
			break
		}
		backoff(ctx, attempt)
	}
	ds.unpacked = int64(len(data))
	ds.status = StatusValid
	switch {
	case errors.Is(err, ErrNotFound):
		ds.fail(StatusMissing, DigestMissing, "named as previousDigestS3Object by the next digest but not found")
		if !ds.boundary {
			ds.detail[len(ds.detail)-1] = "not found"
		}
		return
	case errors.Is(err, errTrailingData):
		ds.fail(StatusInvalid, DigestTrailingData, "%v", err)
		// The gzip member itself was read: keep checking it.
	case err != nil && isReadErr(err):
		ds.fail(StatusError, DigestReadError, "%v", err)
		return
	case err != nil:
		ds.fail(StatusInvalid, DigestBadFormat, "%v", err)
		return
	}
	d, perr := ParseDigest(data)
	if perr != nil {
		ds.fail(StatusInvalid, DigestBadFormat, "%v", perr)
		return
	}
	// Share one copy of strings that repeat what is already held, and drop
	// what the verification does not use: a year has 8,760 digests per
	// region.
	if d.DigestS3Bucket == ds.bucket {
		d.DigestS3Bucket = ds.bucket
	}
	if d.DigestS3Object == ds.key {
		d.DigestS3Object = ds.key
	}
	if d.PreviousDigestS3Bucket != nil && *d.PreviousDigestS3Bucket == ds.bucket {
		d.PreviousDigestS3Bucket = &ds.bucket
	}
	d.NewestEventTime, d.OldestEventTime, d.PreviousDigestHashAlgorithm = nil, nil, nil
	ds.prevHash = d.PreviousDigestHashValue
	if d.PreviousDigestSignature != nil {
		ds.prevSig = newCompactHex(*d.PreviousDigestSignature)
		d.PreviousDigestSignature = &emptySig
	}
	ds.logs = make([]logRef, len(d.LogFiles))
	for i, lf := range d.LogFiles {
		b := lf.S3Bucket
		if b == ds.bucket {
			b = ds.bucket // share one copy of the name
		}
		ds.logs[i].objRef = objRef{b, lf.S3Object}
		hex.Decode(ds.logs[i].sum[:], []byte(lf.HashValue)) // ParseDigest checked the form
	}
	d.LogFiles = nil
	ds.d = d
	ds.parsed, ds.start, ds.end = true, d.Start, d.End
}

func isReadErr(err error) bool {
	var re *readError
	return errors.As(err, &re)
}

// readDigest reads, gunzips and hashes one digest, keeping its uncompressed
// bytes (digests are small) and its metadata.
func (v *verifier) readDigest(ctx context.Context, ds *digestState, open func(context.Context) (io.ReadCloser, ObjectInfo, error)) ([]byte, error) {
	if err := v.acquire(ctx); err != nil {
		return nil, &readError{err}
	}
	defer v.release()
	body, info, err := open(ctx)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, err
		}
		return nil, &readError{err}
	}
	defer body.Close()
	ds.md = metaOf(info.Metadata)
	ds.versionID, ds.etag = info.VersionID, info.ETag
	var data []byte
	sum, compressed, _, err := gunzipHash(body, &data, maxDigestSize)
	if v.o.Progress != nil {
		v.o.Progress.Done(compressed)
	}
	ds.sha = sum
	return data, err
}

func backoff(ctx context.Context, attempt int) {
	t := time.NewTimer(time.Duration(attempt*attempt) * 100 * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
