package hunt

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trailseal/trailseal/internal/hunt/record"
	"github.com/trailseal/trailseal/internal/inventory"
)

// corpusEntry is one line of testdata/corpus/index.jsonl.
type corpusEntry struct {
	ID       string `json:"id"`
	File     string `json:"file"`
	Position int    `json:"position"`
	Realism  string `json:"realism"`
}

var (
	corpusOnce sync.Once
	corpusRecs map[string]json.RawMessage
	corpusMeta map[string]corpusEntry
	corpusErr  error
)

func loadCorpus() {
	corpusRecs, corpusMeta = map[string]json.RawMessage{}, map[string]corpusEntry{}
	f, err := os.Open("testdata/corpus/index.jsonl")
	if err != nil {
		corpusErr = err
		return
	}
	defer f.Close()
	files := map[string][]json.RawMessage{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e corpusEntry
		if corpusErr = json.Unmarshal(sc.Bytes(), &e); corpusErr != nil {
			return
		}
		name := filepath.Base(e.File)
		if strings.HasPrefix(e.File, "synthetic/") {
			name = "synthetic-" + name
		}
		if files[name] == nil {
			data, err := os.ReadFile(filepath.Join("testdata/corpus", name))
			if err != nil {
				corpusErr = err
				return
			}
			var lf struct{ Records []json.RawMessage }
			if corpusErr = json.Unmarshal(data, &lf); corpusErr != nil {
				return
			}
			files[name] = lf.Records
		}
		corpusRecs[e.ID] = files[name][e.Position]
		corpusMeta[e.ID] = e
	}
	corpusErr = sc.Err()
}

// corpusRecord returns a corpus record by its id (ht-001...), optionally
// edited: the test then says what it changed.
func corpusRecord(t testing.TB, id string, edit func(m map[string]any)) *record.Record {
	t.Helper()
	corpusOnce.Do(loadCorpus)
	if corpusErr != nil {
		t.Fatalf("corpus: %v", corpusErr)
	}
	raw, ok := corpusRecs[id]
	if !ok {
		t.Fatalf("no corpus record %s", id)
	}
	if edit != nil {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		raw, _ = json.Marshal(m)
	}
	r, err := record.Decode(raw)
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	return r
}

// params returns a record's requestParameters as a map to edit.
func params(m map[string]any) map[string]any {
	p, _ := m["requestParameters"].(map[string]any)
	if p == nil {
		p = map[string]any{}
		m["requestParameters"] = p
	}
	return p
}

// written builds a record the corpus lacks, in the form CloudTrail writes
// it (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html):
// an IAM user of account 111122223333 in us-east-1, the event source, name
// and request parameters given (as the service's API reference names them),
// and an error code when the call failed.
func written(t testing.TB, source, name, params, errorCode string) *record.Record {
	t.Helper()
	m := map[string]any{
		"eventVersion": "1.09",
		"userIdentity": map[string]any{"type": "IAMUser", "principalId": "AIDAEXAMPLEWRITTEN01", "arn": "arn:aws:iam::111122223333:user/mallory",
			"accountId": "111122223333", "accessKeyId": "AKIAEXAMPLEWRITTEN01", "userName": "mallory"},
		"eventTime": "2026-03-02T10:00:00Z", "eventSource": source, "eventName": name, "awsRegion": "us-east-1",
		"sourceIPAddress": "198.51.100.7", "userAgent": "aws-cli/2.15.0", "requestID": "0f1e2d3c", "eventID": "written-" + name,
		"readOnly": false, "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": "111122223333",
		"eventCategory": "Management",
	}
	var p any
	if err := json.Unmarshal([]byte(params), &p); err != nil {
		t.Fatalf("written %s: %v", name, err)
	}
	m["requestParameters"] = p
	if errorCode != "" {
		m["errorCode"], m["errorMessage"] = errorCode, "written failure"
	}
	raw, _ := json.Marshal(m)
	r, err := record.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// invCtx builds a context from a small inventory: the account, when it was
// collected, and what mutate adds (trails, buckets, keys, log groups).
func invCtx(account string, collected time.Time, mutate func(inv *inventory.Inventory)) *Context {
	inv := &inventory.Inventory{SchemaVersion: inventory.SchemaVersion, CollectedAt: collected, Partition: "aws",
		Account: inventory.Account{ID: account}}
	mutate(inv)
	return NewContext(inv, DefaultThresholds())
}

// trailWith is a trail writing to bucket, with validation and multi-region on.
func trailWith(account, region, name, bucket string) inventory.Trail {
	return inventory.Trail{
		ARN: "arn:aws:cloudtrail:" + region + ":" + account + ":trail/" + name, Name: name, HomeRegion: region,
		OwnerAccountID: account, S3BucketName: bucket, IsMultiRegion: true, IncludeGlobalServiceEvents: true,
		LogFileValidationEnabled: true,
		Selectors:                inventory.Ok(inventory.EventSelectors{}),
		Insights:                 inventory.Ok([]string{}),
	}
}

// bucketCtx is an inventory whose trail writes to bucket.
func bucketCtx(account, region, bucket string, collected time.Time) *Context {
	return invCtx(account, collected, func(inv *inventory.Inventory) {
		inv.Trails = []inventory.Trail{trailWith(account, region, "audit", bucket)}
		inv.Buckets = []inventory.Bucket{{Name: bucket, ARN: "arn:aws:s3:::" + bucket, OwnedByScannedAccount: true}}
	})
}

var (
	longAgo = time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC) // an inventory older than every record
	later   = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) // one newer than every record
)
