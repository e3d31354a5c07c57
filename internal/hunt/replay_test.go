package hunt

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/trailseal/trailseal/internal/collect"
	"github.com/trailseal/trailseal/internal/hunt/detection"
	"github.com/trailseal/trailseal/internal/testenv"
)

// The emulator starts only for the tests that need it, so that the pure
// evaluator tests run without it; a missing moto_server fails those tests.
var (
	motoOnce sync.Once
	motoSrv  *testenv.Moto
	motoErr  error
)

func emulator(t *testing.T) *testenv.Moto {
	t.Helper()
	motoOnce.Do(func() { motoSrv, motoErr = testenv.StartMoto() })
	if motoErr != nil {
		t.Fatal(motoErr)
	}
	return motoSrv
}

func TestMain(m *testing.M) {
	code := m.Run()
	if motoSrv != nil {
		motoSrv.Stop()
	}
	os.Exit(code)
}

// clientConfig signs with accessKey and sends every call to endpoint.
func clientConfig(t *testing.T, endpoint, accessKey, region string) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(accessKey, "secret", "")),
		config.WithBaseEndpoint(endpoint), config.WithRetryMaxAttempts(2))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// technique is one Stratus Red Team CloudTrail technique: its warm-up (a
// trail and its bucket, made by the administrator, as Stratus's Terraform
// does) and its detonation (the calls of the technique, made by the
// attacker's identity).
type technique struct {
	id, region, trail, bucket string
	key                       string         // the attacker's access key
	identity                  map[string]any // its userIdentity
	detonate                  func(ctx context.Context, ct *cloudtrail.Client, s *s3.Client) error
	want                      string // detection ID
}

const replayAccount = "123456789012"

func user(name string) map[string]any {
	return map[string]any{"type": "IAMUser", "principalId": "AIDA" + strings.ToUpper(name[:4]) + "EXAMPLE", "accountId": replayAccount,
		"arn": "arn:aws:iam::" + replayAccount + ":user/" + name, "userName": name}
}

func assumedRole(role, session string) map[string]any {
	return map[string]any{"type": "AssumedRole", "principalId": "AROAEXAMPLEROLE:" + session, "accountId": replayAccount,
		"arn": "arn:aws:sts::" + replayAccount + ":assumed-role/" + role + "/" + session,
		"sessionContext": map[string]any{
			"sessionIssuer": map[string]any{"type": "Role", "principalId": "AROAEXAMPLEROLE", "accountId": replayAccount,
				"arn": "arn:aws:iam::" + replayAccount + ":role/" + role, "userName": role},
			"attributes": map[string]any{"creationDate": time.Now().UTC().Format(time.RFC3339), "mfaAuthenticated": "false"},
		}}
}

// stratusTechniques replays the calls of Stratus Red Team's four CloudTrail
// defense-evasion techniques as their Go code makes them
// (https://stratus-red-team.cloud/attack-techniques/AWS/), with the
// parameters the recorded detonations in the corpus show (ht-005, ht-009,
// ht-029, ht-031).
func stratusTechniques() []technique {
	return []technique{
		{id: "aws.defense-evasion.cloudtrail-stop", region: "us-east-1", trail: "stratus-red-team-ct-stop-trail", bucket: "stratus-red-team-ct-stop-bucket",
			key: "AKIASTRATUSSTOP00001", identity: user("stop-operator"), want: "hunt.trail_logging_stopped",
			detonate: func(ctx context.Context, ct *cloudtrail.Client, _ *s3.Client) error {
				_, err := ct.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("stratus-red-team-ct-stop-trail")})
				return err
			}},
		{id: "aws.defense-evasion.cloudtrail-delete", region: "eu-west-1", trail: "stratus-red-team-cloudtraild-trail", bucket: "stratus-red-team-cloudtraild-bucket",
			key: "ASIASTRATUSDELETE001", identity: assumedRole("IncidentSimulation", "delete-session"), want: "hunt.trail_deleted",
			detonate: func(ctx context.Context, ct *cloudtrail.Client, _ *s3.Client) error {
				_, err := ct.DeleteTrail(ctx, &cloudtrail.DeleteTrailInput{Name: aws.String("stratus-red-team-cloudtraild-trail")})
				return err
			}},
		{id: "aws.defense-evasion.cloudtrail-event-selectors", region: "us-east-1", trail: "stratus-red-team-ctes-trail", bucket: "stratus-red-team-ctes-bucket",
			key: "AKIASTRATUSSELECT001", identity: user("selectors-operator"), want: "hunt.trail_selectors_reduced",
			detonate: func(ctx context.Context, ct *cloudtrail.Client, _ *s3.Client) error {
				_, err := ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{
					TrailName: aws.String("stratus-red-team-ctes-trail"),
					EventSelectors: []cttypes.EventSelector{{
						IncludeManagementEvents: aws.Bool(false), ReadWriteType: cttypes.ReadWriteTypeReadOnly,
						DataResources: []cttypes.DataResource{{Type: aws.String("AWS::S3::Object"), Values: []string{}}, {Type: aws.String("AWS::Lambda::Function"), Values: []string{}}},
					}},
				})
				return err
			}},
		{id: "aws.defense-evasion.cloudtrail-lifecycle-rule", region: "us-east-1", trail: "stratus-red-team-ctlr-trail", bucket: "stratus-red-team-ctlr-bucket",
			key: "ASIASTRATUSLIFECYC01", identity: assumedRole("IncidentSimulation", "lifecycle-session"), want: "hunt.bucket_lifecycle_expires_logs",
			detonate: func(ctx context.Context, _ *cloudtrail.Client, s *s3.Client) error {
				_, err := s.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{
					Bucket: aws.String("stratus-red-team-ctlr-bucket"),
					LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: []s3types.LifecycleRule{{
						ID: aws.String("nuke-cloudtrail-logs-after-1-day"), Status: s3types.ExpirationStatusEnabled,
						Filter:     &s3types.LifecycleRuleFilter{Prefix: aws.String("*")},
						Expiration: &s3types.LifecycleExpiration{Days: aws.Int32(1)},
					}}},
				})
				return err
			}},
	}
}

// warmUp makes a technique's trail and bucket as the administrator.
func warmUp(ctx context.Context, t *testing.T, endpoint string, tq technique) {
	t.Helper()
	cfg := clientConfig(t, endpoint, "AKIASETUPADMIN000001", tq.region)
	s := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	in := &s3.CreateBucketInput{Bucket: aws.String(tq.bucket)}
	if tq.region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(tq.region)}
	}
	must(t, func() error { _, err := s.CreateBucket(ctx, in); return err })
	pol := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"AWSCloudTrailAclCheck","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::%[1]s"},`+
		`{"Sid":"AWSCloudTrailWrite","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::%[1]s/*","Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]}`, tq.bucket)
	must(t, func() error {
		_, err := s.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(tq.bucket), Policy: aws.String(pol)})
		return err
	})
	ct := cloudtrail.NewFromConfig(cfg)
	must(t, func() error {
		_, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String(tq.trail), S3BucketName: aws.String(tq.bucket),
			IncludeGlobalServiceEvents: aws.Bool(true), EnableLogFileValidation: aws.Bool(true)})
		return err
	})
	must(t, func() error {
		_, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(tq.trail)})
		return err
	})
}

func must(t *testing.T, f func() error) {
	t.Helper()
	if err := f(); err != nil {
		t.Fatal(err)
	}
}

// TestStratusReplay replays each Stratus Red Team CloudTrail technique
// against moto through the recording proxy, which writes the records as
// CloudTrail would; then hunt reads them from log files (an offline copy)
// and from event history (LookupEvents, answered by the proxy), with the
// context collected from moto, and names each technique's actor.
func TestStratusReplay(t *testing.T) {
	m := emulator(t)
	ctx := context.Background()
	rec, err := testenv.StartTrailRecorder(m.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	admin := user("admin")
	rec.Identity("AKIASETUPADMIN000001", admin)
	begin := time.Now().UTC().Add(-time.Minute)
	techniques := stratusTechniques()
	for _, tq := range techniques {
		rec.Identity(tq.key, tq.identity)
		warmUp(ctx, t, rec.URL, tq)
	}
	for _, tq := range techniques {
		cfg := clientConfig(t, rec.URL, tq.key, tq.region)
		if err := tq.detonate(ctx, cloudtrail.NewFromConfig(cfg), s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })); err != nil {
			t.Fatalf("%s: %v", tq.id, err)
		}
	}
	end := time.Now().UTC().Add(time.Minute)

	// The context: the account's inventory, collected now (after the
	// techniques), trail dependencies only.
	inv, err := collect.Collect(ctx, clientConfig(t, m.Endpoint, "AKIASETUPADMIN000001", "us-east-1"),
		collect.Options{Regions: []string{"us-east-1", "eu-west-1"}, TrailDependenciesOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	for call := range inv.Calls {
		if strings.HasPrefix(call, "IAM:") || strings.HasPrefix(call, "Config") || strings.HasPrefix(call, "Organizations:") {
			t.Errorf("a hunt context collected %s", call)
		}
	}
	hctx := NewContext(inv, DefaultThresholds())

	dir := t.TempDir()
	if _, err := testenv.WriteLogFiles(dir, "audit-archive", rec.Account, rec.Records(), 7); err != nil {
		t.Fatal(err)
	}
	fromDir, err := Run(ctx, Dir{Root: dir, Start: begin, End: end}, Options{Context: hctx, Start: begin, End: end})
	if err != nil {
		t.Fatal(err)
	}
	checkTechniques(t, "log files", fromDir, techniques)

	rec.LookupRate(10)
	fromHistory, err := Run(ctx, &Lookup{Config: clientConfig(t, rec.URL, "AKIASETUPADMIN000001", "us-east-1"),
		Regions: []string{"us-east-1", "eu-west-1"}, Start: begin, End: end, Rate: 10}, Options{Context: hctx, Start: begin, End: end})
	if err != nil {
		t.Fatal(err)
	}
	checkTechniques(t, "event history", fromHistory, techniques)
	checkLookups(t, rec.Lookups(), 10)

	// Asked faster than the proxy allows, hunt is throttled and backs off
	// until every page is read.
	rec.LookupRate(1)
	before := len(rec.Lookups())
	hurried, err := Run(ctx, &Lookup{Config: clientConfig(t, rec.URL, "AKIASETUPADMIN000001", "us-east-1"),
		Regions: []string{"us-east-1", "eu-west-1"}, Start: begin, End: end, Rate: 30,
		Names: []string{"StopLogging", "DeleteTrail", "PutEventSelectors", "PutBucketLifecycle"}}, Options{Context: hctx, Start: begin, End: end})
	if err != nil {
		t.Fatal(err)
	}
	checkTechniques(t, "throttled event history", hurried, techniques)
	throttled := 0
	for _, c := range rec.Lookups()[before:] {
		if c.Throttled {
			throttled++
		}
	}
	if throttled == 0 {
		t.Error("the hurried lookups were never throttled: the test did not exercise backoff")
	}
}

func checkTechniques(t *testing.T, from string, rep *detection.Report, techniques []technique) {
	t.Helper()
	if len(rep.Sources.Errors) > 0 {
		t.Errorf("%s: unreadable sources %+v", from, rep.Sources.Errors)
	}
	if len(rep.Detections) != len(techniques) {
		for _, d := range rep.Detections {
			t.Logf("%s %s %s %s", d.DetectionID, d.EventName, d.Actor.ARN, d.Message)
		}
		t.Fatalf("%s: %d detections, want one per technique (%d)", from, len(rep.Detections), len(techniques))
	}
	for _, tq := range techniques {
		i := slices.IndexFunc(rep.Detections, func(d detection.Detection) bool { return d.DetectionID == tq.want })
		if i < 0 {
			t.Errorf("%s: %s not found (%s)", from, tq.id, tq.want)
			continue
		}
		d := rep.Detections[i]
		if d.Actor.ARN != tq.identity["arn"] || d.Actor.AccessKeyID != tq.key || d.Region != tq.region || d.Account != replayAccount {
			t.Errorf("%s: %s attributed to %+v in %s/%s", from, tq.id, d.Actor, d.Account, d.Region)
		}
		if d.SourceIP != "127.0.0.1" || !strings.Contains(d.UserAgent, "aws-sdk-go-v2") || d.EventID == "" {
			t.Errorf("%s: %s evidence incomplete: %+v", from, tq.id, d)
		}
	}
}

// checkLookups: event history was asked only for the catalog's management
// event names, each once per region, the regions at the same time.
func checkLookups(t *testing.T, calls []testenv.LookupCall, limit float64) {
	t.Helper()
	want := detection.EventNames(true)
	perRegion := map[string][]string{}
	first, last := map[string]time.Time{}, map[string]time.Time{}
	sent := map[string]int{}
	for _, c := range calls {
		sent[c.Region]++
		if first[c.Region].IsZero() {
			first[c.Region] = c.At
		}
		last[c.Region] = c.At
		if !c.Throttled {
			perRegion[c.Region] = append(perRegion[c.Region], c.EventName)
		}
	}
	for _, r := range []string{"us-east-1", "eu-west-1"} {
		got := slices.Clone(perRegion[r])
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: asked %v, want each of %v once", r, got, want)
		}
	}
	if first["eu-west-1"].After(last["us-east-1"]) || first["us-east-1"].After(last["eu-west-1"]) {
		t.Errorf("regions were read one after the other, not at once")
	}
	// The pacing keeps each region under the limit: n calls, retries of
	// throttled ones included, arrive over at least (n-1)/limit, and most
	// are answered at the first try. (A throttle now and then from network
	// jitter is retried; how many depends on the machine's load: under a
	// load of 20 on two cores, one in eight was. Without pacing nearly all
	// would be.)
	for r, n := range sent {
		if answered := len(perRegion[r]); answered < n/2 {
			t.Errorf("%s: %d of %d calls throttled", r, n-answered, n)
		}
		if span, least := last[r].Sub(first[r]), time.Duration(float64(n-1)/limit*float64(time.Second)); span < least {
			t.Errorf("%s: %d calls in %v, faster than %v per second", r, n, span, limit)
		}
	}
}
