package verify

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
)

// errTrailingData marks bytes after the end of the gzip member. Gunzip
// tools and the AWS CLI ignore them, so they can hide content.
var errTrailingData = errors.New("data after the end of the gzip stream")

// gunzipHash streams r through gunzip and SHA-256 without holding the file.
// When keep is non-nil the uncompressed bytes are also copied there, up to
// limit bytes (digests are small; logs are never kept). It returns the hex
// hash, the compressed and uncompressed sizes.
func gunzipHash(r io.Reader, keep *[]byte, limit int64) (sum string, compressed, uncompressed int64, err error) {
	return gunzipHashTee(r, keep, limit, nil)
}

// gunzipHashTee is gunzipHash that also writes the uncompressed bytes to
// tee, when set, as they are hashed.
func gunzipHashTee(r io.Reader, keep *[]byte, limit int64, tee io.Writer) (sum string, compressed, uncompressed int64, err error) {
	// Readers and buffers are pooled: a run reads up to millions of
	// objects, and fresh ones per object (about 130 KB) would make the
	// garbage collector, not the hashing, set the memory peak.
	st := hashPool.Get().(*hashState)
	defer hashPool.Put(st)
	cr := &countingReader{r: r}
	st.br.Reset(cr)
	br := &st.br
	var zr *gzip.Reader
	if st.zr == nil {
		zr, err = gzip.NewReader(br)
		if err == nil {
			st.zr = zr
		}
	} else {
		zr, err = st.zr, st.zr.Reset(br)
	}
	if err != nil {
		if cr.err != nil {
			return "", cr.n, 0, &readError{cr.err}
		}
		return "", cr.n, 0, fmt.Errorf("not gzip: %w", err)
	}
	// One member only: CloudTrail writes exactly one, and a second member
	// would be content the digest hash does not describe.
	zr.Multistream(false)
	h := sha256.New()
	var w io.Writer = h
	var buf limitedBuffer
	if keep != nil {
		buf.limit = limit
		w = io.MultiWriter(h, &buf)
	}
	if tee != nil {
		w = io.MultiWriter(w, tee)
	}
	n, err := io.CopyBuffer(w, onlyReader{zr}, st.copyBuf[:])
	if err != nil {
		if cr.err != nil {
			return "", cr.n, n, &readError{cr.err}
		}
		if errors.Is(err, errTooLarge) {
			return "", cr.n, n, err
		}
		return "", cr.n, n, fmt.Errorf("corrupt gzip data: %w", err)
	}
	if keep != nil {
		*keep = buf.b
	}
	sum = hex.EncodeToString(h.Sum(nil))
	var extra [1]byte
	m, rerr := io.ReadFull(br, extra[:])
	if m > 0 {
		rest, _ := io.CopyBuffer(io.Discard, onlyReader{br}, st.copyBuf[:])
		return sum, cr.n, n, fmt.Errorf("%w (%d bytes)", errTrailingData, rest+int64(m))
	}
	if rerr != nil && !errors.Is(rerr, io.EOF) {
		return sum, cr.n, n, &readError{rerr}
	}
	return sum, cr.n, n, nil
}

type hashState struct {
	br      bufio.Reader
	zr      *gzip.Reader
	copyBuf [32 << 10]byte
}

var hashPool = sync.Pool{New: func() any {
	st := &hashState{}
	st.br = *bufio.NewReaderSize(nil, 64<<10)
	return st
}}

// onlyReader hides WriterTo so io.CopyBuffer uses the pooled buffer.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// countingReader counts bytes and remembers a failure of the underlying
// reader, so a dropped connection is not mistaken for corrupt data.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

// readError is a failure to read an object's bytes (network, disk), as
// opposed to bytes that are wrong. It may succeed when retried.
type readError struct{ err error }

func (e *readError) Error() string { return "read failed: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

var errTooLarge = errors.New("file too large")

type limitedBuffer struct {
	b     []byte
	limit int64
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if int64(len(l.b)+len(p)) > l.limit {
		return 0, fmt.Errorf("%w: more than %d bytes uncompressed", errTooLarge, l.limit)
	}
	l.b = append(l.b, p...)
	return len(p), nil
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
