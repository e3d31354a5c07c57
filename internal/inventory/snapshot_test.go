package inventory

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func sample() *Inventory {
	return &Inventory{
		SchemaVersion: SchemaVersion,
		CollectedAt:   time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Partition:     "aws",
		Account:       Account{ID: "111122223333"},
		Regions:       []string{"us-east-1"},
		Trails: []Trail{{
			ARN: "arn:aws:cloudtrail:us-east-1:111122223333:trail/t", Name: "t",
			Status: Failed[TrailStatus]("cloudtrail:GetTrailStatus", "AccessDenied", "no"),
		}},
		Buckets: []Bucket{{Name: "b", Versioning: Ok(Versioning{Status: "Enabled"}), ObjectLock: InAccount[ObjectLock]("444455556666", "organization trail bucket")}},
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "snap.json")
	if err := Save(p, sample()); err != nil {
		t.Fatal(err)
	}
	got, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sample(), got); diff != "" {
		t.Fatalf("round trip changed the inventory (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(p + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("temporary file left behind")
	}
}

func TestDecodeRejects(t *testing.T) {
	for name, tc := range map[string]struct{ body, want string }{
		"not json":       {"hello", "not valid JSON"},
		"truncated":      {"{\n  \"schemaVersion\": 1,\n  \"account\": {", "not valid JSON"},
		"no version":     {`{"account":{"id":"1"}}`, "no schemaVersion"},
		"future version": {`{"schemaVersion": 2, "account":{"id":"1"}}`, "schema version 2, this build reads version 1"},
		"unknown field":  {`{"schemaVersion": 1, "account":{"id":"1"}, "trials": []}`, `unknown field "trials"`},
		"wrong type":     {"{\"schemaVersion\": 1,\n \"account\": {\"id\": 7}}", "line 2: account.id must be text, not the number 7"},
		"wrong time":     {"{\"schemaVersion\": 1,\n \"account\": {\"id\": \"1\"},\n \"collectedAt\": \"Tuesday\"}", `line 3: collectedAt must be a time such as 2026-01-02T15:04:05Z, not text "Tuesday"`},
		"list item":      {`{"schemaVersion": 1, "account": {"id": "1"}, "trails": [{"name": "a"}, {"name": ["b"]}]}`, "trails[1].name must be text, not a list"},
		"bad version":    {`{"schemaVersion": "1", "account": {"id": "1"}}`, `schemaVersion must be a whole number, not text "1"`},
		"no account":     {`{"schemaVersion": 1}`, "account.id is empty"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Decode([]byte(tc.body))
			if !errors.Is(err, ErrSnapshot) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want ErrSnapshot containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error must be one line: %q", err)
			}
			for _, goName := range []string{"Go ", " string", " int", "time.Time", "UnmarshalJSON"} {
				if strings.Contains(err.Error(), goName) {
					t.Fatalf("error names a Go type (%q): %q", goName, err)
				}
			}
		})
	}
}

// A file's type errors are located by reading the file again, as a
// stream, with the same words and line as in memory.
func TestLoadNamesWrongTypeByLine(t *testing.T) {
	p := filepath.Join(t.TempDir(), "snap.json")
	body := "{\"schemaVersion\": 1,\n \"account\": {\"id\": \"1\"},\n \"trails\": [\n  {\"name\": \"t\", \"status\": {\"value\": {\"isLogging\": \"yes\"}}}]}"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p)
	want := p + `: invalid snapshot: line 4: trails[0].status.value.isLogging must be true or false, not text "yes"`
	if err == nil || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
}

// Load reads a stream: 64 MiB of zeros fail at the first bytes, without
// the file being read into memory (before, the whole file was). A file
// over the limit is refused by its size, 1 GiB included, without reading.
func TestLoadStreamsWithALimit(t *testing.T) {
	dir := t.TempDir()
	sparse := func(name string, size int64) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(size); err != nil { // sparse: no disk used
			t.Fatal(err)
		}
		f.Close()
		return p
	}
	zeros := sparse("zeros.json", 64<<20)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Load(zeros)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrSnapshot) || !strings.Contains(err.Error(), "not valid JSON") {
		t.Fatalf("zeros: %v", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Fatalf("reading 64 MiB of zeros allocated %d MiB: the file is not read as a stream", alloc>>20)
	}
	_, err = Load(sparse("huge.json", 1<<30))
	if !errors.Is(err, ErrSnapshot) || !strings.Contains(err.Error(), "1024 MiB, larger than the 256 MiB a snapshot may be") {
		t.Fatalf("1 GiB: %v", err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "is a folder") {
		t.Fatalf("folder: %v", err)
	}
}

// A stream without end (a pipe, a device) stops at the limit.
func TestDecodeStopsAtTheLimit(t *testing.T) {
	r := io.MultiReader(strings.NewReader(`{"schemaVersion": 1, "generator": "`), endless('x'))
	_, err := decode(r, 1<<20)
	if !errors.Is(err, ErrSnapshot) || !strings.Contains(err.Error(), "larger than the 1 MiB a snapshot may be") {
		t.Fatalf("got %v", err)
	}
}

type endless byte

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}

func TestResultProblem(t *testing.T) {
	if p := Ok(1).Problem(); p != "" {
		t.Errorf("known value has problem %q", p)
	}
	if p := Failed[int]("s3:GetBucketAcl", "AccessDenied", "").Problem(); p != "s3:GetBucketAcl failed: AccessDenied" {
		t.Errorf("failed: %q", p)
	}
	if p := InAccount[int]("444455556666", "log archive").Problem(); !strings.Contains(p, "444455556666") {
		t.Errorf("elsewhere: %q", p)
	}
	var never Result[int]
	if never.Known() || never.Problem() != "evidence was not collected" {
		t.Errorf("uncollected evidence must not look known: %q", never.Problem())
	}
}

func TestLookups(t *testing.T) {
	inv := sample()
	inv.LogGroups = []LogGroup{{ARN: "arn:aws:logs:us-east-1:1:log-group:g"}}
	if inv.Bucket("b") == nil || inv.Bucket("x") != nil {
		t.Error("Bucket lookup")
	}
	if inv.LogGroup("arn:aws:logs:us-east-1:1:log-group:g:*") == nil {
		t.Error("LogGroup must ignore the trailing :*")
	}
}
