package verify

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
)

// scheduleLogs queues the log files of a digest that verified for reading.
func (v *verifier) scheduleLogs(ds *digestState) {
	if ds.boundary {
		return
	}
	trusted := ds.status == StatusValid || (ds.status == StatusUnverifiable && len(ds.reasons) == 1 && ds.reasons[0] == DigestNoSignatureOffline)
	if !trusted {
		return
	}
	// Indices into ds.logs, which the digest keeps to the end anyway: a
	// queued log file costs four bytes, whatever the length of the period.
	var todo []int32
	v.refMu.Lock()
	for i := range ds.logs {
		lf := &ds.logs[i]
		switch first := v.referenced[lf.objRef]; {
		case first == nil:
			v.referenced[lf.objRef] = &lf.sum
			todo = append(todo, int32(i))
		case *first != lf.sum:
			// Named again with another hash: at most one can match, so
			// each is checked.
			todo = append(todo, int32(i))
		}
	}
	v.refMu.Unlock()
	if v.o.Progress != nil && len(todo) > 0 {
		v.o.Progress.Plan(len(todo), 0)
	}
	if len(todo) > 0 {
		v.queue.push(logBatch{ds: ds, logs: todo})
	}
}

// logBatch is the log files one verified digest hands to the reader.
type logBatch struct {
	ds   *digestState
	logs []int32 // indices into ds.logs
}

// logQueue passes log files from the digest readers to dispatchLogs. A
// digest reader never waits for a log slot: every digest is read as early
// as possible (the chain checks and the log folder listing wait for the
// last one), while the log files keep the --concurrency slots busy. The
// queue holds references the digests hold anyway, so memory stays bounded
// by the number of digests.
type logQueue struct {
	mu      sync.Mutex
	batches []logBatch
	closed  bool
	wake    chan struct{}
}

func newLogQueue() *logQueue { return &logQueue{wake: make(chan struct{}, 1)} }

func (q *logQueue) push(b logBatch) {
	q.mu.Lock()
	q.batches = append(q.batches, b)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *logQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take returns the queued batches, waiting for some; nil once the queue is
// closed and empty.
func (q *logQueue) take() []logBatch {
	for {
		q.mu.Lock()
		b, closed := q.batches, q.closed
		q.batches = nil
		q.mu.Unlock()
		if len(b) > 0 || closed {
			return b
		}
		<-q.wake
	}
}

// dispatchLogs starts a read for every queued log file, at most
// --concurrency at a time, until the queue is closed.
func (v *verifier) dispatchLogs() {
	for {
		batches := v.queue.take()
		if batches == nil {
			return
		}
		for _, b := range batches {
			if v.logsCtx.Err() != nil {
				continue // cancelled: Run returns the error, drain the queue
			}
			for _, i := range b.logs {
				lf := b.ds.logs[i]
				v.logs.Go(func() error {
					it := v.checkLog(v.logsCtx, b.ds.region, lf)
					v.itemsMu.Lock()
					if it.Status == StatusValid && !v.o.ListValidLogs {
						v.report.countValid(it)
					} else {
						v.logItems = append(v.logItems, it)
					}
					v.itemsMu.Unlock()
					return v.logsCtx.Err()
				})
			}
		}
	}
}

func (v *verifier) checkLog(ctx context.Context, region string, lf logRef) Item {
	it := Item{Kind: "log", Region: region, Bucket: lf.bucket, Key: lf.key, Status: StatusValid}
	var sum [32]byte
	var size int64
	var info ObjectInfo
	var err error
	var sink LogWriter
	for attempt := 1; ; attempt++ {
		if v.o.LogSink != nil {
			sink = v.o.LogSink(v.logObject(region, lf))
		}
		sum, size, info, err = v.hashLog(ctx, lf.bucket, lf.key, sink)
		var re *readError
		if err == nil || !errors.As(err, &re) || attempt == fetchAttempts || ctx.Err() != nil {
			break
		}
		if sink != nil {
			sink.Discard()
		}
		backoff(ctx, attempt)
	}
	defer func() { finishSink(sink, it) }()
	it.Size, it.VersionID, it.ETag = size, info.VersionID, info.ETag
	switch {
	case errors.Is(err, ErrNotFound):
		it.Status, it.Reasons, it.Detail = StatusMissing, []Reason{LogMissing}, "named by its digest but not found"
		v.itemsMu.Lock()
		v.missingLogs[lf.objRef] = lf.sum
		v.itemsMu.Unlock()
	case errors.Is(err, errTrailingData):
		it.Status, it.Reasons, it.Detail = StatusInvalid, []Reason{LogTrailingData}, err.Error()
		if sum != lf.sum {
			it.Reasons = append(it.Reasons, LogModified)
		}
	case err != nil && isReadErr(err):
		it.Status, it.Reasons, it.Detail = StatusError, []Reason{LogReadError}, err.Error()
	case err != nil:
		it.Status, it.Reasons, it.Detail = StatusInvalid, []Reason{LogBadFormat}, err.Error()
	case sum != lf.sum:
		it.Status, it.Reasons, it.Detail = StatusInvalid, []Reason{LogModified}, fmt.Sprintf("content hashes to %x, the digest says %x", sum, lf.sum)
	}
	return it
}

// finishSink tells the log sink the verdict on the file it was given, or
// that the file could not be read.
func finishSink(sink LogWriter, it Item) {
	switch {
	case sink == nil:
	case it.Status == StatusMissing || it.Status == StatusError:
		sink.Discard()
	default:
		sink.Finish(it.Status, it.Reasons)
	}
}

func (v *verifier) hashLog(ctx context.Context, bucket, key string, sink LogWriter) ([32]byte, int64, ObjectInfo, error) {
	var sum [32]byte
	if err := v.acquire(ctx); err != nil {
		return sum, 0, ObjectInfo{}, &readError{err}
	}
	defer v.release()
	body, info, err := v.o.Store.Open(ctx, bucket, key)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return sum, 0, info, err
		}
		return sum, 0, info, &readError{err}
	}
	defer body.Close()
	var tee io.Writer
	if sink != nil {
		tee = &sinkWriter{w: sink}
	}
	hexSum, compressed, n, err := gunzipHashTee(body, nil, 0, tee)
	if v.o.Progress != nil {
		v.o.Progress.Done(compressed)
	}
	hex.Decode(sum[:], []byte(hexSum))
	return sum, n, info, err
}

// missingLogHash is the hash the digest gives a log file found missing.
func (v *verifier) missingLogHash(ref objRef) ([32]byte, bool) {
	v.itemsMu.Lock()
	defer v.itemsMu.Unlock()
	sum, ok := v.missingLogs[ref]
	return sum, ok
}
