package record

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// split runs a Splitter over data fed in chunks of the given sizes (cycled)
// and returns the selected records.
func split(t testing.TB, data []byte, names map[string]bool, chunks ...int) ([]string, []int, error) {
	t.Helper()
	var got []string
	var idx []int
	s := &Splitter{Names: names, Emit: func(raw []byte, i int) error {
		got = append(got, string(raw))
		idx = append(idx, i)
		return nil
	}}
	if len(chunks) == 0 {
		chunks = []int{len(data) + 1}
	}
	for i := 0; len(data) > 0; i++ {
		n := min(chunks[i%len(chunks)], len(data))
		if _, err := s.Write(data[:n]); err != nil {
			return got, idx, err
		}
		data = data[n:]
	}
	return got, idx, s.Close()
}

// reference decodes a log file with encoding/json: the records and each
// record's eventName as encoding/json reads it.
func reference(t testing.TB, data []byte) ([]string, []string) {
	t.Helper()
	var file struct{ Records []json.RawMessage }
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatalf("reference decode: %v", err)
	}
	var raws, names []string
	for _, r := range file.Records {
		var n struct{ EventName string }
		json.Unmarshal(r, &n)
		raws = append(raws, string(r))
		names = append(names, n.EventName)
	}
	return raws, names
}

func huntData(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("../testdata/corpus/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files in ../testdata/corpus: %v", err)
	}
	return files
}

// TestSplitterAgreesWithEncodingJSON: on every real log file of the corpus,
// fed whole and in awkward chunk sizes, the Splitter hands over exactly the
// records encoding/json decodes, and selects by eventName exactly the ones
// whose decoded eventName is asked for.
func TestSplitterAgreesWithEncodingJSON(t *testing.T) {
	for _, f := range huntData(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want, names := reference(t, data)
		for _, chunks := range [][]int{nil, {1}, {7, 3, 1}, {4096}} {
			got, _, err := split(t, data, nil, chunks...)
			if err != nil {
				t.Fatalf("%s chunks %v: %v", f, chunks, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("%s chunks %v: records differ (-encoding/json +splitter):\n%s", f, chunks, diff)
			}
		}
		for i, n := range names {
			sel := map[string]bool{n: true}
			got, _, err := split(t, data, sel, 5)
			if err != nil {
				t.Fatal(err)
			}
			var wantSel []string
			for j, m := range names {
				if m == n {
					wantSel = append(wantSel, want[j])
				}
			}
			if diff := cmp.Diff(wantSel, got); diff != "" {
				t.Fatalf("%s: selecting %q (record %d) differs:\n%s", f, n, i, diff)
			}
		}
	}
}

func TestSplitterForms(t *testing.T) {
	rec := func(name string) string {
		return `{"eventVersion":"1.09","eventName":"` + name + `","requestParameters":{"eventName":"NotThis","x":"}{][\"\\"}}`
	}
	sel := map[string]bool{"StopLogging": true}
	for _, tc := range []struct {
		name  string
		input string
		want  []string
		index []int
	}{
		{"log file", `{"Records":[` + rec("GetObject") + `,` + rec("StopLogging") + `]}`, []string{rec("StopLogging")}, []int{1}},
		{"log file with BOM and other members", "\xef\xbb\xbf" + `{"x":[1,{"eventName":"StopLogging"}],"Records":[` + rec("StopLogging") + `],"y":{"eventName":"StopLogging"}}`, []string{rec("StopLogging")}, []int{0}},
		{"two log files", `{"Records":[` + rec("StopLogging") + "]}\n" + `{"Records":[]}` + `{"Records":[` + rec("StopLogging") + `]}`, []string{rec("StopLogging"), rec("StopLogging")}, []int{0, 1}},
		{"JSON Lines", rec("StopLogging") + "\n" + rec("PutObject") + "\r\n" + rec("StopLogging") + "\n", []string{rec("StopLogging"), rec("StopLogging")}, []int{0, 2}},
		{"array", "[ " + rec("PutObject") + " , " + rec("StopLogging") + " ]", []string{rec("StopLogging")}, []int{1}},
		{"key case and escapes", `{"Records":[{"EVENTNAME":"Stop\u004cogging"},{"event\u004eame":"StopLogging"}]}`, []string{`{"EVENTNAME":"Stop\u004cogging"}`, `{"event\u004eame":"StopLogging"}`}, []int{0, 1}},
		{"pretty printed", "{\n \"Records\": [\n  {\n   \"eventName\" : \"StopLogging\"\n  }\n ]\n}\n", []string{"{\n   \"eventName\" : \"StopLogging\"\n  }"}, []int{0}},
		{"nested eventName does not select", `{"Records":[{"eventName":"GetObject","requestParameters":{"eventName":"StopLogging"}}]}`, nil, nil},
		{"eventName as a value of another key", `{"Records":[{"field":"eventName","x":"StopLogging"}]}`, nil, nil},
		{"empty", "", nil, nil},
		{"empty Records", `{"Records":[]}`, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, chunks := range [][]int{nil, {1}, {2, 5}} {
				got, idx, err := split(t, []byte(tc.input), sel, chunks...)
				if err != nil {
					t.Fatalf("chunks %v: %v", chunks, err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("chunks %v: (-want +got)\n%s", chunks, diff)
				}
				if diff := cmp.Diff(tc.index, idx); diff != "" {
					t.Errorf("chunks %v: indices (-want +got)\n%s", chunks, diff)
				}
			}
		})
	}
}

func TestSplitterErrors(t *testing.T) {
	for _, tc := range []struct {
		name, input, want string
	}{
		{"truncated record", `{"Records":[{"eventName":"StopLogging"`, "cut short"},
		{"truncated string", `{"Records":[{"eventName":"Stop`, "cut short"},
		{"truncated file", `{"Records":[{"eventName":"StopLogging"}`, "cut short"},
		{"not JSON", `hello`, "not CloudTrail JSON"},
		{"scalar record", `{"Records":[1]}`, "record 0 at offset 12 is not a JSON object"},
		{"string record", `[{"a":1},"x"]`, "record 1 at offset 9 is not a JSON object"},
		{"array record", `{"Records":[[]]}`, "is not a JSON object"},
		{"stray bracket", `{"a":1}}`, "unexpected '}'"},
		{"record closed by bracket", `{"Records":[{"a":1]]}`, "unexpected ']'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := split(t, []byte(tc.input), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	big := `{"Records":[{"eventName":"` + strings.Repeat("x", 200) + `"}]}`
	s := &Splitter{MaxRecord: 100, Emit: func([]byte, int) error { return nil }}
	var err error
	for p := []byte(big); len(p) > 0 && err == nil; p = p[min(16, len(p)):] {
		_, err = s.Write(p[:min(16, len(p))])
	}
	if err == nil || !strings.Contains(err.Error(), "larger than 100 bytes") {
		t.Fatalf("oversized record: %v", err)
	}
}

// TestReaderGzipAndPlain reads one corpus file gzipped, plain, and as JSON
// Lines, and decodes the same selected records each time.
func TestReaderGzipAndPlain(t *testing.T) {
	data, err := os.ReadFile(huntData(t)[0])
	if err != nil {
		t.Fatal(err)
	}
	raws, names := reference(t, data)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	var lines bytes.Buffer
	for _, r := range raws {
		var compact bytes.Buffer
		json.Compact(&compact, []byte(r))
		lines.Write(compact.Bytes())
		lines.WriteByte('\n')
	}
	sel := map[string]bool{names[0]: true}
	var results [][]string
	for _, input := range [][]byte{data, gz.Bytes(), lines.Bytes()} {
		var ids []string
		rd := &Reader{Names: sel, Record: func(rec *Record, i int) error {
			ids = append(ids, rec.EventID)
			return nil
		}}
		st, err := rd.Read(bytes.NewReader(input))
		if err != nil {
			t.Fatal(err)
		}
		if st.Records != len(raws) || st.Selected != len(ids) || len(ids) == 0 {
			t.Fatalf("stats %+v, %d ids, %d records", st, len(ids), len(raws))
		}
		results = append(results, ids)
	}
	if diff := cmp.Diff(results[0], results[1]); diff != "" {
		t.Error(diff)
	}
	if diff := cmp.Diff(results[0], results[2]); diff != "" {
		t.Error(diff)
	}

	// A corrupt gzip stream and a bad selected record are errors; the
	// records around a bad one are still read.
	corrupt := append([]byte(nil), gz.Bytes()...)
	corrupt[len(corrupt)/2] ^= 0xff
	if _, err := (&Reader{}).Read(bytes.NewReader(corrupt)); err == nil {
		t.Error("corrupt gzip: no error")
	}
	var seen []int
	rd := &Reader{Names: map[string]bool{"StopLogging": true}, Record: func(_ *Record, i int) error { seen = append(seen, i); return nil }}
	_, err = rd.Read(strings.NewReader(`{"Records":[{"eventName":"StopLogging","readOnly":"perhaps"},{"eventName":"StopLogging"}]}`))
	var bad *BadRecordError
	if !errors.As(err, &bad) || bad.Index != 0 || !slicesEqual(seen, []int{1}) {
		t.Errorf("bad record: err %v, seen %v", err, seen)
	}
}

func slicesEqual(a, b []int) bool { return cmp.Equal(a, b) }

// FuzzSplitter: for every input encoding/json accepts as a log file, the
// Splitter hands over the same records, fed in any chunk size.
func FuzzSplitter(f *testing.F) {
	f.Add([]byte(`{"Records":[{"eventName":"StopLogging","a":"\\\"}"},{"b":[{"c":"]"}]}]}`), 3)
	f.Add([]byte(`{"Records":[{"Event\u004eame":"x"}]}`), 1)
	f.Add([]byte(`{"Records":[],"Records":[{"eventName":"y"}]}`), 2)
	f.Fuzz(func(t *testing.T, data []byte, chunk int) {
		var file struct{ Records []json.RawMessage }
		if json.Unmarshal(data, &file) != nil || !json.Valid(data) {
			return
		}
		var top map[string]json.RawMessage
		if json.Unmarshal(data, &top) != nil {
			return
		}
		// Only plain log files: one object whose Records member (any
		// spelling) is an array of objects and appears once.
		n := 0
		for k, v := range top {
			if strings.EqualFold(k, "Records") {
				n++
				if len(bytes.TrimSpace(v)) == 0 || bytes.TrimSpace(v)[0] != '[' {
					return
				}
			}
		}
		if n != 1 || bytes.Count(data, []byte("Records")) != 1 {
			return
		}
		for _, r := range file.Records {
			if len(r) == 0 || r[0] != '{' {
				return
			}
		}
		if chunk < 1 {
			chunk = 1
		}
		got, _, err := split(t, data, nil, chunk)
		if err != nil {
			t.Fatalf("splitter: %v", err)
		}
		if len(got) != len(file.Records) {
			t.Fatalf("%d records, encoding/json %d", len(got), len(file.Records))
		}
		for i := range got {
			var a, b any
			if json.Unmarshal([]byte(got[i]), &a) != nil || json.Unmarshal(file.Records[i], &b) != nil || !cmp.Equal(a, b) {
				t.Fatalf("record %d: %s vs %s", i, got[i], file.Records[i])
			}
			var name struct{ EventName string }
			if json.Unmarshal(file.Records[i], &name) == nil && name.EventName != "" {
				sel, _, _ := split(t, []byte(`{"Records":[`+got[i]+`]}`), map[string]bool{name.EventName: true}, chunk)
				if len(sel) != 1 {
					t.Fatalf("record %d: eventName %q not selected", i, name.EventName)
				}
			}
		}
	})
}

// BenchmarkSplitter measures the splitter alone over realistic records, none
// of them selected (the common case).
func BenchmarkSplitter(b *testing.B) {
	data := syntheticLog(2000)
	b.SetBytes(int64(len(data)))
	sel := map[string]bool{"StopLogging": true}
	s := &Splitter{Names: sel, Emit: func([]byte, int) error { return nil }}
	for b.Loop() {
		*s = Splitter{Names: sel, Emit: s.Emit, buf: s.buf[:0]}
		for p := data; len(p) > 0; {
			n := min(len(p), 32<<10)
			s.Write(p[:n])
			p = p[n:]
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func syntheticLog(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	b.WriteString(`{"Records":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:s","arn":"arn:aws:sts::111122223333:assumed-role/App/s","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/App"},"attributes":{"creationDate":"2026-01-01T00:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"2026-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-sdk-go-v2/1.30.0","requestParameters":{"bucketName":"app","key":"k`)
		b.WriteString(strings.Repeat("x", rng.IntN(40)))
		b.WriteString(`"},"responseElements":null,"requestID":"R","eventID":"E","readOnly":true,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::app/k"}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"111122223333","eventCategory":"Data"}`)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// benchFiles is gzipped log files of synthetic records, ~15 KB each
// uncompressed, as the hunt benchmark's are.
func benchFiles(b *testing.B) (files [][]byte, uncompressed int64) {
	b.Helper()
	for i := range 400 {
		raw := syntheticLog(12)
		if i%10 == 0 {
			raw = bytes.Replace(raw, []byte(`"GetObject"`), []byte(`"StopLogging"`), 1)
		}
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(raw)
		zw.Close()
		files = append(files, z.Bytes())
		uncompressed += int64(len(raw))
	}
	return files, uncompressed
}

// BenchmarkGunzipBound is the bound for BenchmarkReaderRead: decompressing
// the same files and doing nothing else.
func BenchmarkGunzipBound(b *testing.B) {
	files, n := benchFiles(b)
	b.SetBytes(n)
	zr, _ := gzip.NewReader(bytes.NewReader(files[0]))
	buf := make([]byte, 64<<10)
	for b.Loop() {
		for _, f := range files {
			zr.Reset(bytes.NewReader(f))
			io.CopyBuffer(io.Discard, struct{ io.Reader }{zr}, buf)
		}
	}
}

// BenchmarkReaderRead is hunt's read of the same files: gunzip, split,
// decode the records asked for.
func BenchmarkReaderRead(b *testing.B) {
	files, n := benchFiles(b)
	b.SetBytes(n)
	rd := &Reader{Names: map[string]bool{"StopLogging": true, "DeleteTrail": true}, Record: func(*Record, int) error { return nil }}
	for b.Loop() {
		for _, f := range files {
			if _, err := rd.Read(bytes.NewReader(f)); err != nil {
				b.Fatal(err)
			}
		}
	}
}
