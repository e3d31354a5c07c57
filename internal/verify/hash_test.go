package verify

import (
	"bytes"
	stdgzip "compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"
)

// FuzzGunzipHashMatchesStdlib checks gunzipHash (pooled readers, one
// member only, trailing bytes, read errors told apart from bad data)
// against a plain compress/gzip read of arbitrary input: whenever that
// reads one clean member, gunzipHash must return the same SHA-256, with no
// error or with errTrailingData when bytes follow; whenever it fails,
// gunzipHash must fail too. Accepting what the reference rejects, or
// hashing other bytes, could turn a tampered log file into a valid one.
func FuzzGunzipHashMatchesStdlib(f *testing.F) {
	member := func(s string) []byte {
		var b bytes.Buffer
		zw := stdgzip.NewWriter(&b)
		zw.Write([]byte(s))
		zw.Close()
		return b.Bytes()
	}
	valid := member(`{"Records":[{"eventVersion":"1.08","eventName":"ConsoleLogin"}]}`)
	f.Add(valid)
	f.Add(valid[:len(valid)-3])                         // truncated
	f.Add(append(append([]byte{}, valid...), 'x'))      // trailing byte
	f.Add(append(append([]byte{}, valid...), valid...)) // second member
	f.Add([]byte("not gzip at all"))
	f.Add(member(string(bytes.Repeat([]byte("abcdefgh"), 9000))))
	f.Fuzz(func(t *testing.T, data []byte) {
		sum, _, n, err := gunzipHash(bytes.NewReader(data), nil, 0)

		var want []byte
		var refErr error
		zr, err2 := stdgzip.NewReader(bytes.NewReader(data))
		if err2 != nil {
			refErr = err2
		} else {
			zr.Multistream(false)
			want, refErr = io.ReadAll(zr)
		}
		switch {
		case refErr != nil && err == nil:
			t.Fatalf("compress/gzip rejects the input (%v) but gunzipHash accepts it", refErr)
		case refErr == nil && err == nil:
			h := sha256.Sum256(want)
			if sum != hex.EncodeToString(h[:]) || n != int64(len(want)) {
				t.Fatalf("gunzipHash hashed %d bytes to %s; compress/gzip read %d bytes hashing to %x", n, sum, len(want), h)
			}
		case refErr == nil && err != nil && !errors.Is(err, errTrailingData):
			t.Fatalf("compress/gzip reads one clean member but gunzipHash fails: %v", err)
		case refErr == nil && errors.Is(err, errTrailingData):
			// The member is fine and bytes follow it: the hash must still
			// be the member's, and the caller reports the extra bytes.
			h := sha256.Sum256(want)
			if sum != hex.EncodeToString(h[:]) {
				t.Fatalf("hash of the member before trailing data differs from compress/gzip's")
			}
		}
	})
}
