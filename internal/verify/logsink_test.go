package verify_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"sync"
	"testing"

	"github.com/trailseal/trailseal/internal/verify"
	"github.com/trailseal/trailseal/internal/verify/chaingen"
)

// recordingSink keeps what a LogSink was given, per key and read.
type recordingSink struct {
	mu    sync.Mutex
	reads map[string][]*sinkRead
	// failOn makes the writer of this key fail on its first Write.
	failOn string
}

type sinkRead struct {
	obj       verify.LogObject
	buf       bytes.Buffer
	finished  bool
	discarded bool
	status    verify.Status
	reasons   []verify.Reason
	fail      bool
}

func (r *sinkRead) Write(p []byte) (int, error) {
	if r.fail {
		return 0, errors.New("the sink cannot parse this")
	}
	return r.buf.Write(p)
}

func (r *sinkRead) Finish(s verify.Status, reasons []verify.Reason) {
	r.finished, r.status, r.reasons = true, s, reasons
}

func (r *sinkRead) Discard() { r.discarded = true }

func (s *recordingSink) sink(o verify.LogObject) verify.LogWriter {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := &sinkRead{obj: o, fail: o.Key == s.failOn}
	s.reads[o.Key] = append(s.reads[o.Key], r)
	return r
}

// flakyStore breaks off the first read of one key midway, as a dropped
// connection does.
type flakyStore struct {
	verify.Store
	key  string
	once sync.Once
}

func (f *flakyStore) Open(ctx context.Context, bucket, key string) (io.ReadCloser, verify.ObjectInfo, error) {
	body, info, err := f.Store.Open(ctx, bucket, key)
	if err != nil || key != f.key {
		return body, info, err
	}
	broken := false
	f.once.Do(func() { broken = true })
	if !broken {
		return body, info, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.MultiReader(io.LimitReader(body, 40), errReader{}), body}, info, nil
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset by peer") }

// TestLogSinkGetsEachLogFileOnce: with Options.LogSink, every log file
// verify hashes is also handed, uncompressed and whole, to the sink, with
// its verdict once the hash is compared: valid, or invalid and why. A read
// that breaks off is discarded and the retry gets a fresh writer; a
// missing file is discarded; a sink that fails does not change the
// verdict.
func TestLogSinkGetsEachLogFileOnce(t *testing.T) {
	a := generate(t, newSpec("sink-bucket"))
	logs := a.LogKeys("us-east-1")
	modified, missing, flaky, failing := logs[2], logs[5], logs[8], logs[11]
	o := a.Get(modified)
	o.Body = chaingen.Gzip(append(chaingen.Gunzip(o.Body), ' '))
	want := map[string][]byte{}
	for _, k := range logs {
		want[k] = chaingen.Gunzip(a.Get(k).Body)
	}
	a.Delete(missing)
	dir := t.TempDir()
	if err := a.WriteDir(dir, true); err != nil {
		t.Fatal(err)
	}
	rec := &recordingSink{reads: map[string][]*sinkRead{}, failOn: failing}
	opts := options(a)
	opts.Store, opts.Offline, opts.FromDir = &flakyStore{Store: verify.DirStore{Root: dir}, key: flaky}, true, dir
	opts.LogSink = rec.sink
	r := run(t, opts)
	expectExactly(t, r, finding{reason: verify.LogModified, keyPart: modified}, finding{reason: verify.LogMissing, keyPart: missing})

	for _, k := range logs {
		reads := rec.reads[k]
		if len(reads) == 0 {
			t.Errorf("%s: never given to the sink", k)
			continue
		}
		last := reads[len(reads)-1]
		for _, early := range reads[:len(reads)-1] {
			if !early.discarded || early.finished {
				t.Errorf("%s: a read that broke off was not discarded", k)
			}
		}
		if wantPath := filepath.Join(dir, "sink-bucket", filepath.FromSlash(k)); last.obj.Location != wantPath || last.obj.Region != "us-east-1" {
			t.Errorf("%s: named %+v, want location %s", k, last.obj, wantPath)
		}
		switch k {
		case missing:
			if !last.discarded || last.finished {
				t.Errorf("missing %s: not discarded (%+v)", k, last)
			}
			continue
		case flaky:
			if len(reads) != 2 {
				t.Errorf("flaky %s: %d reads, want 2 (one broken off, one whole)", k, len(reads))
			}
		default:
			if len(reads) != 1 {
				t.Errorf("%s: %d reads, want 1", k, len(reads))
			}
		}
		wantStatus := verify.StatusValid
		if k == modified {
			wantStatus = verify.StatusInvalid
		}
		if !last.finished || last.discarded || last.status != wantStatus {
			t.Errorf("%s: finished %v with %s %v, want %s", k, last.finished, last.status, last.reasons, wantStatus)
		}
		if k == modified && (len(last.reasons) != 1 || last.reasons[0] != verify.LogModified) {
			t.Errorf("modified %s: reasons %v", k, last.reasons)
		}
		if k != failing && !bytes.Equal(last.buf.Bytes(), want[k]) {
			t.Errorf("%s: the sink got %d bytes, want the %d uncompressed bytes of the file", k, last.buf.Len(), len(want[k]))
		}
	}
}
