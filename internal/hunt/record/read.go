package record

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Stats counts what a read saw.
type Stats struct {
	// Records is every record in the input; Selected those whose eventName
	// was asked for (and decoded).
	Records, Selected int
	// Bytes is the uncompressed size read.
	Bytes int64
}

// Add sums two Stats.
func (s *Stats) Add(o Stats) {
	s.Records += o.Records
	s.Selected += o.Selected
	s.Bytes += o.Bytes
}

// BadRecordError is a selected record that could not be decoded. Reading
// goes on after it: the other records of the file are still read.
type BadRecordError struct {
	Index int
	Err   error
}

func (e *BadRecordError) Error() string {
	return fmt.Sprintf("record %d: %v", e.Index, e.Err)
}

func (e *BadRecordError) Unwrap() error { return e.Err }

// Reader reads records of one stream (a log file, a JSON Lines file).
type Reader struct {
	// Names selects the records to decode by eventName; nil decodes all.
	Names map[string]bool
	// Record receives each selected record and its position in the stream.
	// An error it returns stops the read.
	Record func(rec *Record, index int) error
}

// Writer returns an io.WriteCloser that takes the uncompressed bytes of one
// stream, as verify has them when it hashes a log file, and calls
// rd.Record for each selected record as soon as its last byte arrives.
// Close reports a stream that ended inside a record, and every selected
// record that could not be decoded (joined BadRecordErrors).
func (rd *Reader) Writer() *RecordWriter {
	w := &RecordWriter{rd: rd}
	w.split = Splitter{Names: rd.Names, Emit: w.emit}
	return w
}

// RecordWriter is the io.WriteCloser Reader.Writer returns.
type RecordWriter struct {
	rd    *Reader
	split Splitter
	stats Stats
	bad   []error
}

func (w *RecordWriter) emit(raw []byte, index int) error {
	w.stats.Selected++
	rec, err := Decode(raw)
	if err != nil {
		w.bad = append(w.bad, &BadRecordError{Index: index, Err: err})
		return nil
	}
	if w.rd.Record == nil {
		return nil
	}
	return w.rd.Record(rec, index)
}

// Write implements io.Writer.
func (w *RecordWriter) Write(p []byte) (int, error) {
	n, err := w.split.Write(p)
	w.stats.Bytes += int64(n)
	return n, err
}

// Close implements io.Closer.
func (w *RecordWriter) Close() error {
	err := w.split.Close()
	return errors.Join(append([]error{err}, w.bad...)...)
}

// Stats returns what was read so far.
func (w *RecordWriter) Stats() Stats {
	s := w.stats
	s.Records = w.split.Records()
	return s
}

// Read reads one stream, gzipped (recognised by its magic bytes) or not.
// Decode errors of single records are returned joined at the end, after
// every other record was read; any other error stops the read.
func (rd *Reader) Read(r io.Reader) (Stats, error) {
	st := statePool.Get().(*readState)
	defer statePool.Put(st)
	st.br.Reset(r)
	w := rd.Writer()
	w.split.Reuse(st.store)
	defer func() {
		if b := w.split.Reuse(nil); cap(b) <= maxPooledStore {
			st.store = b
		}
	}()
	var src io.Reader = &st.br
	if head, _ := st.br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		if st.zr == nil {
			zr, err := gzip.NewReader(&st.br)
			if err != nil {
				return w.Stats(), fmt.Errorf("not gzip: %w", err)
			}
			st.zr = zr
		} else if err := st.zr.Reset(&st.br); err != nil {
			return w.Stats(), fmt.Errorf("not gzip: %w", err)
		}
		src = st.zr
	}
	_, err := io.CopyBuffer(w, onlyReader{src}, st.copyBuf[:])
	if err != nil {
		if w.split.err == nil && src != io.Reader(&st.br) {
			// Not the splitter's (or the callback's) error: reading failed.
			err = fmt.Errorf("corrupt gzip data: %w", err)
		}
		return w.Stats(), err
	}
	return w.Stats(), w.Close()
}

// readState is pooled: a hunt reads up to millions of files, and a fresh
// gzip reader and buffers per file would make the garbage collector set the
// memory peak.
type readState struct {
	br      bufio.Reader
	zr      *gzip.Reader
	store   []byte
	copyBuf [64 << 10]byte
}

// maxPooledStore keeps a buffer grown by one huge record from staying in
// the pool.
const maxPooledStore = 1 << 20

var statePool = sync.Pool{New: func() any {
	st := &readState{}
	st.br = *bufio.NewReaderSize(nil, 64<<10)
	return st
}}

// onlyReader hides WriterTo/ReaderFrom so that io.CopyBuffer uses the
// pooled buffer.
type onlyReader struct{ io.Reader }
