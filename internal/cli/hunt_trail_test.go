package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cstypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailseal/trailseal/internal/hunt/detection"
	"github.com/trailseal/trailseal/internal/testenv"
)

// TestHuntTrailARNOrganization: 'hunt --trail-arn' on an organization
// trail finds the trail's bucket and prefix (DescribeTrails) and the
// organization folder in the bucket as verify does, and reads every
// member account's log files under it: a member stopped its AWS Config
// recorder, another deleted its own trail. The records are the
// recorder's, of real calls against moto, made by identities of the member
// accounts; moto has one account, so each member's ID is written into its
// records' recipientAccountId, as CloudTrail writes the account whose log
// holds the record. Laid out as CloudTrail delivers an organization
// trail's files (prefix/AWSLogs/O-ID/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/).
// Not read: a file delivered before --start-time, and an account folder
// outside the organization's. --account-id reads one member only.
func TestHuntTrailARNOrganization(t *testing.T) {
	e := startHuntVerifyEnv(t)
	ctx := context.Background()
	const bucket, prefix, org = "org-trail-archive", "audit", "o-a1b2c3d4e5"
	const memberA, memberB, outsider = "444455556666", "777788889999", "999900001111"
	if _, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	e.rec.Identity("AKIAEXAMPLEMEMBERA01", map[string]any{"type": "IAMUser", "principalId": "AIDAEXAMPLEMEMBERA01",
		"arn": "arn:aws:iam::" + memberA + ":user/dev", "accountId": memberA, "userName": "dev"})
	roleB := "arn:aws:sts::" + memberB + ":assumed-role/Deployer/ci"
	e.rec.Identity("ASIAEXAMPLEMEMBERB01", map[string]any{"type": "AssumedRole", "principalId": "AROAEXAMPLEDEPLOYER:ci", "arn": roleB, "accountId": memberB,
		"sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "arn": "arn:aws:iam::" + memberB + ":role/Deployer", "accountId": memberB}}})
	clientCfg := func(key string) aws.Config {
		c, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"), config.WithBaseEndpoint(e.rec.URL),
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(key, "secret", "")))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	admin := e.trailClient(t, "testing")
	e.at(t, e.first, func() error {
		_, err := admin.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("org-audit"), S3BucketName: aws.String(bucket),
			S3KeyPrefix: aws.String(prefix), IsMultiRegionTrail: aws.Bool(true), IsOrganizationTrail: aws.Bool(true), EnableLogFileValidation: aws.Bool(true)})
		return err
	})
	e.at(t, e.first, func() error {
		_, err := admin.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("org-audit")})
		return err
	})
	e.at(t, e.first.Add(time.Hour), func() error {
		_, err := configservice.NewFromConfig(clientCfg("AKIAEXAMPLEMEMBERA01")).PutConfigurationRecorder(ctx, &configservice.PutConfigurationRecorderInput{
			ConfigurationRecorder: &cstypes.ConfigurationRecorder{Name: aws.String("default"), RoleARN: aws.String("arn:aws:iam::" + memberA + ":role/config")}})
		return err
	})
	e.at(t, e.first.Add(2*time.Hour), func() error {
		_, err := configservice.NewFromConfig(clientCfg("AKIAEXAMPLEMEMBERA01")).StopConfigurationRecorder(ctx, &configservice.StopConfigurationRecorderInput{
			ConfigurationRecorderName: aws.String("default")})
		return err
	})
	e.at(t, e.first.Add(2*time.Hour), func() error {
		_, err := admin.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("member-trail"), S3BucketName: aws.String(bucket)})
		return err
	})
	e.at(t, e.first.Add(3*time.Hour), func() error {
		_, err := cloudtrail.NewFromConfig(clientCfg("ASIAEXAMPLEMEMBERB01")).DeleteTrail(ctx, &cloudtrail.DeleteTrailInput{Name: aws.String("member-trail")})
		return err
	})

	byAccount := map[string][]map[string]any{}
	var stopped, deleted map[string]any
	for _, r := range e.rec.Records() {
		account := r["userIdentity"].(map[string]any)["accountId"].(string)
		r["recipientAccountId"] = account
		byAccount[account] = append(byAccount[account], r)
		switch r["eventName"] {
		case "StopConfigurationRecorder":
			stopped = r
		case "DeleteTrail":
			deleted = r
		}
	}
	if stopped == nil || deleted == nil || len(byAccount[hvAccount]) == 0 {
		t.Fatalf("records: %v", byAccount)
	}
	// An old copy of member A's call, delivered three days before
	// --start-time, and member B's call under an account folder that is
	// not the organization's: neither is read.
	old := map[string]any{}
	for k, v := range stopped {
		old[k] = v
	}
	old["eventID"], old["eventTime"] = "old-copy", e.first.Add(-72*time.Hour).Format(time.RFC3339)
	upload := func(account, keyPrefix string, recs []map[string]any) []string {
		dir := t.TempDir()
		keys, err := testenv.WriteLogFiles(dir, bucket, account, recs, 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range keys {
			body, err := os.ReadFile(filepath.Join(dir, bucket, filepath.FromSlash(k)))
			if err != nil {
				t.Fatal(err)
			}
			key := keyPrefix + strings.TrimPrefix(k, "AWSLogs/"+account+"/")
			if _, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
				t.Fatal(err)
			}
			out = append(out, key)
		}
		return out
	}
	orgFolder := func(account string) string { return prefix + "/AWSLogs/" + org + "/" + account + "/" }
	upload(hvAccount, orgFolder(hvAccount), byAccount[hvAccount])
	keysA := upload(memberA, orgFolder(memberA), byAccount[memberA])
	keysB := upload(memberB, orgFolder(memberB), byAccount[memberB])
	upload(memberA, orgFolder(memberA), []map[string]any{old})
	upload(outsider, prefix+"/AWSLogs/"+outsider+"/", byAccount[memberB])

	args := []string{"hunt", "--trail-arn", hvTrail, "--start-time", e.first.Add(-time.Hour).Format(time.RFC3339), "--no-context", "--format", "json"}
	run := func(extra ...string) (int, detection.Report) {
		t.Helper()
		code, out, errOut := runCLI(t, append(args, extra...)...)
		var r detection.Report
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("exit %d, not JSON: %v\n%s%s", code, err, out, errOut)
		}
		return code, r
	}
	code, r := run()
	got := map[string]detection.Detection{}
	for _, d := range r.Detections {
		got[d.DetectionID] = d
	}
	if d, ok := got["hunt.config_recorder_stopped"]; !ok || d.Account != memberA || d.EventID != stopped["eventID"] ||
		d.Actor.ARN != "arn:aws:iam::"+memberA+":user/dev" || d.Origin.Location != "s3://"+bucket+"/"+keysA[0] {
		t.Errorf("member A's StopConfigurationRecorder: %+v", d)
	}
	if d, ok := got["hunt.trail_deleted"]; !ok || d.Account != memberB || d.Actor.ARN != roleB || d.Actor.SessionName != "ci" ||
		d.EventID != deleted["eventID"] || d.Origin.Location != "s3://"+bucket+"/"+keysB[0] {
		t.Errorf("member B's DeleteTrail: %+v", d)
	}
	if code != ExitFindings || len(r.Detections) != 2 || len(r.Sources.Errors) != 0 || r.Sources.Files != 3 ||
		!strings.Contains(r.Sources.Description, "s3://"+bucket+"/"+prefix+"/AWSLogs/"+org+"/ (every account of the organization)") {
		t.Errorf("exit %d, %d files read (want the 3 of the period in the organization's folder), sources %+v, detections %+v", code, r.Sources.Files, r.Sources, r.Detections)
	}

	code, r = run("--account-id", memberA)
	if code != ExitFindings || len(r.Detections) != 1 || r.Detections[0].Account != memberA || r.Sources.Files != 1 {
		t.Errorf("--account-id %s: exit %d, %d files, detections %+v", memberA, code, r.Sources.Files, r.Detections)
	}

	assertUserError(t, ExitUsage, "--trail-arn needs --start-time", "hunt", "--trail-arn", hvTrail)
	assertUserError(t, ExitUsage, "is not a trail ARN", "hunt", "--trail-arn", "arn:aws:s3:::bucket", "--start-time", "2026-01-01")
	assertUserError(t, ExitUsage, "give one source", "hunt", "--trail-arn", hvTrail, "--lookup-events", "--start-time", "2026-01-01")
	assertUserError(t, ExitUsage, "go with --trail-arn", "hunt", "--lookup-events", "--account-id", memberA, "--start-time", "2026-01-01")
}
