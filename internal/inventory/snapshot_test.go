package inventory

import (
	"errors"
	"os"
	"path/filepath"
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
		"wrong type":     {"{\"schemaVersion\": 1,\n \"account\": {\"id\": 7}}", "line 2"},
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
		})
	}
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
