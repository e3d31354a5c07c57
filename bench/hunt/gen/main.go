// Command gen writes a sample offline copy of a trail's bucket for the hunt
// benchmark: CloudTrail log files laid out as 'trailseal pull' writes them
// (DIR/<bucket>/AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/...json.gz),
// filled with realistic records (assumed-role sessions, service callers,
// KMS, STS, EC2, S3 data events, the occasional benign call of an event the
// hunt reads) and a handful of planted trail-weakening events, plus a
// snapshot (the hunt's context) and the list of planted event IDs.
//
// With -signed-hours it writes instead a trail's signed archive (digests
// and their signatures, as 'trailseal pull' keeps them) whose log files
// hold the same kind of records, and the public keys, for 'verify --hunt'
// against 'verify'.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/trailseal/trailseal/internal/inventory"
)

const (
	account     = "111122223333"
	trailBucket = "acme-org-cloudtrail"
	trailName   = "org-trail"
	trailKey    = "arn:aws:kms:us-east-1:111122223333:key/5c4f6a3e-8d2b-4f0e-9a71-2b3c4d5e6f70"
)

var regions = []string{"us-east-1", "eu-west-1", "ap-southeast-2"}

func main() {
	files := flag.Int("files", 100080, "log files to write")
	out := flag.String("out", "", "folder to write the copy into (DIR/<bucket>/...)")
	mean := flag.Int("records", 12, "mean records per log file")
	signedHours := flag.Int("signed-hours", 0, "write a signed archive of this many hours (12 log files an hour in each of 3 regions) instead")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "gen: -out is required")
		os.Exit(2)
	}
	err := error(nil)
	if *signedHours > 0 {
		err = runSigned(*signedHours, *mean, *out)
	} else {
		err = run(*files, *mean, *out)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// plant is a trail-weakening event put into one file.
type plant struct {
	file int
	rec  func(r *rand.Rand, t time.Time) map[string]any
}

func run(files, mean int, out string) error {
	plants := planted(files)
	first := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	var planted []string
	var total int64
	var wg sync.WaitGroup
	next := make(chan int, 64)
	errs := make(chan error, runtime.NumCPU())
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				ids, n, err := writeFile(out, first, i, mean, plants)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				planted = append(planted, ids...)
				total += int64(n)
				mu.Unlock()
			}
		}()
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "..", "planted.txt"), []byte(strings.Join(planted, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	if err := inventory.Save(filepath.Join(out, "..", "snapshot.json"), snapshot(first)); err != nil {
		return err
	}
	fmt.Printf("%d log files, %d records, %d planted events\n", files, total, len(planted))
	return nil
}

// writeFile writes log file i: its region, its 5-minute slot, its records.
func writeFile(out string, first time.Time, i, mean int, plants map[int][]plant) ([]string, int, error) {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	region := regions[i%len(regions)]
	slot := first.Add(time.Duration(i/len(regions)) * 5 * time.Minute)
	n := 1 + r.IntN(2*mean-1)
	recs := make([]map[string]any, 0, n+1)
	callers := sessions(i / len(regions) / 12)
	for k := range n {
		rec := background(r, region, slot.Add(time.Duration(k)*time.Second))
		rec["userIdentity"] = callers[r.IntN(len(callers))]
		recs = append(recs, rec)
	}
	var ids []string
	for _, p := range plants[i] {
		rec := p.rec(r, slot.Add(150*time.Second))
		rec["awsRegion"] = region
		rec["eventID"] = uuid(r)
		ids = append(ids, rec["eventID"].(string))
		recs = append(recs, rec)
	}
	var raw bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&raw, gzip.DefaultCompression)
	if err := json.NewEncoder(zw).Encode(map[string]any{"Records": recs}); err != nil {
		return nil, 0, err
	}
	if err := zw.Close(); err != nil {
		return nil, 0, err
	}
	delivered := slot.Add(5 * time.Minute)
	key := fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%016x.json.gz", account, region,
		delivered.Format("2006/01/02"), account, region, delivered.Format("20060102T1504Z"), r.Uint64())
	p := filepath.Join(out, trailBucket, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, 0, err
	}
	return ids, len(recs), os.WriteFile(p, raw.Bytes(), 0o644)
}

func uuid(r *rand.Rand) string {
	a, b := r.Uint64(), r.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", a>>32, a>>16&0xffff, a&0xfff, b>>48&0x3fff|0x8000, b&0xffffffffffff)
}

// sessions returns the callers active in one hour: credentials last, so
// the same sessions (and access keys) recur through many records, as in a
// real trail.
func sessions(hour int) []map[string]any {
	r := rand.New(rand.NewPCG(uint64(hour), 11))
	out := make([]map[string]any, 30)
	for i := range out {
		out[i] = identity(r)
	}
	return out
}

// identity is a userIdentity element: an assumed-role session most of the
// time, an IAM user or an AWS service otherwise.
func identity(r *rand.Rand) map[string]any {
	roles := []string{"AppServer", "DataPipeline", "AWSReservedSSO_Admin_0a1b2c3d", "GitHubActionsDeploy", "Lambda-Orders"}
	switch x := r.IntN(10); {
	case x < 7:
		role := roles[r.IntN(len(roles))]
		session := fmt.Sprintf("i-0%015x", r.Uint64()&0xfffffffffffffff)
		if strings.HasPrefix(role, "AWSReservedSSO") {
			session = []string{"alice@example.com", "bob@example.com", "chen@example.com"}[r.IntN(3)]
		}
		return map[string]any{
			"type": "AssumedRole", "principalId": "AROAEXAMPLE" + strings.ToUpper(role[:4]) + ":" + session,
			"arn": "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + session, "accountId": account,
			"accessKeyId": fmt.Sprintf("ASIA%016X", r.Uint64()),
			"sessionContext": map[string]any{
				"sessionIssuer": map[string]any{"type": "Role", "principalId": "AROAEXAMPLE" + strings.ToUpper(role[:4]),
					"arn": "arn:aws:iam::" + account + ":role/" + role, "accountId": account, "userName": role},
				"attributes": map[string]any{"creationDate": "2026-01-01T00:00:00Z", "mfaAuthenticated": "false"},
			},
		}
	case x < 9:
		return map[string]any{"type": "IAMUser", "principalId": "AIDAEXAMPLEUSER", "arn": "arn:aws:iam::" + account + ":user/ci-deployer",
			"accountId": account, "accessKeyId": "AKIAEXAMPLEDEPLOYER1", "userName": "ci-deployer"}
	}
	return map[string]any{"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}
}

var agents = []string{
	"aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/kms#1.35.3",
	"Boto3/1.34.144 md/Botocore#1.34.144 ua/2.0 os/linux#5.10.219-208.866.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.4",
	"aws-cli/2.17.13 md/awscrt#0.20.11 ua/2.0 os/macos#23.5.0 md/arch#arm64 lang/python#3.11.9 exec-env/CloudShell",
	"ec2.amazonaws.com", "lambda.amazonaws.com", "console.amazonaws.com",
}

// background is one ordinary record: what fills a real trail.
func background(r *rand.Rand, region string, t time.Time) map[string]any {
	rec := map[string]any{
		"eventVersion": "1.10", "eventTime": t.Format(time.RFC3339),
		"awsRegion": region, "sourceIPAddress": fmt.Sprintf("203.0.%d.%d", r.IntN(256), r.IntN(256)),
		"userAgent": agents[r.IntN(len(agents))], "requestID": uuid(r), "eventID": uuid(r), "eventType": "AwsApiCall",
		"managementEvent": true, "recipientAccountId": account, "eventCategory": "Management", "readOnly": true,
		"tlsDetails": map[string]any{"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
			"clientProvidedHostHeader": "service." + region + ".amazonaws.com"},
	}
	set := func(source, name string, params, resp any) {
		rec["eventSource"], rec["eventName"], rec["requestParameters"], rec["responseElements"] = source, name, params, resp
	}
	switch x := r.IntN(100); {
	case x < 28:
		set("kms.amazonaws.com", []string{"Decrypt", "GenerateDataKey"}[r.IntN(2)], map[string]any{
			"encryptionContext":   map[string]any{"aws:s3:arn": fmt.Sprintf("arn:aws:s3:::app-data-%d/objects/%x", r.IntN(4), r.Uint64())},
			"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "keyId": "arn:aws:kms:" + region + ":" + account + ":key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"}, nil)
		rec["resources"] = []any{map[string]any{"accountId": account, "type": "AWS::KMS::Key", "ARN": "arn:aws:kms:" + region + ":" + account + ":key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"}}
	case x < 45:
		set("sts.amazonaws.com", "AssumeRole", map[string]any{"roleArn": "arn:aws:iam::" + account + ":role/AppServer",
			"roleSessionName": fmt.Sprintf("i-0%015x", r.Uint64()&0xfffffffffffffff), "durationSeconds": 3600},
			map[string]any{"credentials": map[string]any{"accessKeyId": fmt.Sprintf("ASIA%016X", r.Uint64()), "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLE", "expiration": "Jan 1, 2026, 1:00:00 AM"},
				"assumedRoleUser": map[string]any{"assumedRoleId": "AROAEXAMPLE:s", "arn": "arn:aws:sts::" + account + ":assumed-role/AppServer/s"}})
		rec["readOnly"] = false
	case x < 60:
		rec["eventCategory"], rec["managementEvent"] = "Data", false
		bucket := fmt.Sprintf("app-data-%d", r.IntN(4))
		key := fmt.Sprintf("objects/%x/%x.json", r.Uint32(), r.Uint64())
		set("s3.amazonaws.com", []string{"GetObject", "PutObject", "HeadObject"}[r.IntN(3)],
			map[string]any{"bucketName": bucket, "Host": bucket + ".s3." + region + ".amazonaws.com", "key": key}, nil)
		rec["additionalEventData"] = map[string]any{"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "bytesTransferredIn": 0,
			"AuthenticationMethod": "AuthHeader", "x-amz-id-2": "Example+id2/AbCdEf0123456789", "bytesTransferredOut": r.IntN(100000)}
		rec["resources"] = []any{map[string]any{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::" + bucket + "/" + key},
			map[string]any{"accountId": account, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::" + bucket}}
	case x < 75:
		set("ec2.amazonaws.com", []string{"DescribeInstances", "DescribeSecurityGroups", "DescribeVolumes"}[r.IntN(3)],
			map[string]any{"maxResults": 1000, "filterSet": map[string]any{"items": []any{map[string]any{"name": "tag:Environment", "valueSet": map[string]any{"items": []any{map[string]any{"value": "production"}}}}}}}, nil)
	case x < 85:
		set("logs.amazonaws.com", "CreateLogStream", map[string]any{"logGroupName": "/aws/lambda/orders", "logStreamName": fmt.Sprintf("2026/01/01/[$LATEST]%x", r.Uint64())}, nil)
		rec["readOnly"] = false
	case x < 92:
		set("ssm.amazonaws.com", "GetParameter", map[string]any{"name": "/app/prod/db-endpoint", "withDecryption": true}, nil)
	case x < 99:
		set("cloudtrail.amazonaws.com", []string{"DescribeTrails", "GetTrailStatus", "LookupEvents"}[r.IntN(3)], map[string]any{"trailNameList": []any{}, "includeShadowTrails": true}, nil)
	default:
		benignCatalogEvent(r, region, set)
		rec["readOnly"] = false
	}
	return rec
}

// benignCatalogEvent is one of the calls hunt reads that weakens nothing:
// hunt must decode it and decide so.
func benignCatalogEvent(r *rand.Rand, region string, set func(source, name string, params, resp any)) {
	switch r.IntN(5) {
	case 0:
		set("s3.amazonaws.com", "PutBucketPolicy", map[string]any{"bucketName": "app-data-1", "policy": "",
			"bucketPolicy": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Sid": "DenyPlainHTTP", "Effect": "Deny",
				"Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::app-data-1/*", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}}}}}, nil)
	case 1:
		set("logs.amazonaws.com", "DeleteLogStream", map[string]any{"logGroupName": "/aws/lambda/orders", "logStreamName": "2025/12/01/[$LATEST]old"}, nil)
	case 2:
		set("logs.amazonaws.com", "PutRetentionPolicy", map[string]any{"logGroupName": "/aws/lambda/orders", "retentionInDays": 30}, nil)
	case 3:
		set("guardduty.amazonaws.com", "UpdateDetector", map[string]any{"detectorId": "12abc34d567e8fa901bc2d34e56789f0", "findingPublishingFrequency": "FIFTEEN_MINUTES"}, nil)
	default:
		set("s3.amazonaws.com", "PutBucketVersioning", map[string]any{"bucketName": "app-data-2", "versioning": "",
			"VersioningConfiguration": map[string]any{"Status": "Enabled", "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"}}, nil)
	}
}

// planted places the trail-weakening events through the dataset.
func planted(files int) map[int][]plant {
	attacker := func(r *rand.Rand) map[string]any {
		return map[string]any{"type": "AssumedRole", "principalId": "AROAEXAMPLEBREAKGL:mallory",
			"arn": "arn:aws:sts::" + account + ":assumed-role/BreakGlass/mallory", "accountId": account, "accessKeyId": "ASIAEXAMPLEMALLORY01",
			"sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "arn": "arn:aws:iam::" + account + ":role/BreakGlass", "accountId": account, "userName": "BreakGlass"},
				"attributes": map[string]any{"creationDate": "2026-02-01T00:00:00Z", "mfaAuthenticated": "false"}}}
	}
	call := func(source, name string, params any, extra map[string]any) func(r *rand.Rand, t time.Time) map[string]any {
		return func(r *rand.Rand, t time.Time) map[string]any {
			rec := map[string]any{"eventVersion": "1.10", "userIdentity": attacker(r), "eventTime": t.Format(time.RFC3339),
				"eventSource": source, "eventName": name, "sourceIPAddress": "198.51.100.23", "userAgent": "aws-cli/2.17.13",
				"requestParameters": params, "responseElements": nil, "requestID": uuid(r), "readOnly": false, "eventType": "AwsApiCall",
				"managementEvent": true, "recipientAccountId": account, "eventCategory": "Management"}
			for k, v := range extra {
				rec[k] = v
			}
			return rec
		}
	}
	at := func(frac float64) int { return int(float64(files) * frac) }
	return map[int][]plant{
		at(0.11): {{rec: call("cloudtrail.amazonaws.com", "StopLogging", map[string]any{"name": trailName}, map[string]any{"errorCode": "AccessDenied", "errorMessage": "denied"})}},
		at(0.23): {{rec: call("cloudtrail.amazonaws.com", "PutEventSelectors", map[string]any{"trailName": trailName, "eventSelectors": []any{
			map[string]any{"readWriteType": "ReadOnly", "includeManagementEvents": false, "dataResources": []any{}, "excludeManagementEventSources": []any{}}}}, nil)}},
		at(0.37): {{rec: call("s3.amazonaws.com", "PutBucketLifecycle", map[string]any{"bucketName": trailBucket, "lifecycle": "",
			"LifecycleConfiguration": map[string]any{"Rule": map[string]any{"ID": "tidy", "Status": "Enabled", "Filter": map[string]any{"Prefix": ""}, "Expiration": map[string]any{"Days": 2}}}}, nil)}},
		at(0.52): {{rec: call("kms.amazonaws.com", "ScheduleKeyDeletion", map[string]any{"keyId": trailKey, "pendingWindowInDays": 7},
			map[string]any{"resources": []any{map[string]any{"accountId": account, "type": "AWS::KMS::Key", "ARN": trailKey}}})}},
		at(0.68): {{rec: call("s3.amazonaws.com", "DeleteBucketPolicy", map[string]any{"bucketName": trailBucket, "policy": ""}, nil)}},
		at(0.81): {{rec: call("cloudtrail.amazonaws.com", "StopLogging", map[string]any{"name": trailName}, nil)}},
		at(0.94): {{rec: call("cloudtrail.amazonaws.com", "DeleteTrail", map[string]any{"name": trailName}, nil)}},
	}
}

// snapshot is the context: the account's organization trail, its bucket
// and key, collected before the events.
func snapshot(first time.Time) *inventory.Inventory {
	return &inventory.Inventory{SchemaVersion: inventory.SchemaVersion, Generator: "bench/hunt/gen", CollectedAt: first.Add(-24 * time.Hour),
		Partition: "aws", Account: inventory.Account{ID: account}, Regions: regions,
		Trails: []inventory.Trail{{ARN: "arn:aws:cloudtrail:us-east-1:" + account + ":trail/" + trailName, Name: trailName, HomeRegion: "us-east-1",
			OwnerAccountID: account, S3BucketName: trailBucket, IsMultiRegion: true, IncludeGlobalServiceEvents: true,
			LogFileValidationEnabled: true, KMSKeyID: trailKey}},
		Buckets: []inventory.Bucket{{Name: trailBucket, ARN: "arn:aws:s3:::" + trailBucket, OwnedByScannedAccount: true, OwnerAccountID: account}},
		Keys:    []inventory.KMSKey{{ARN: trailKey, Region: "us-east-1", OwnerAccountID: account, Metadata: inventory.Ok(inventory.KeyMetadata{KeyID: trailKey[strings.LastIndex(trailKey, "/")+1:], KeyState: "Enabled", Enabled: true})}},
	}
}
