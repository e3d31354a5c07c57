package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailseal/trailseal/internal/hunt/detection"
	"github.com/trailseal/trailseal/internal/testenv"
	"github.com/trailseal/trailseal/internal/verify"
	"github.com/trailseal/trailseal/internal/verify/chaingen"
)

// huntVerifyEnv is moto behind the KeysProxy (each region's own
// ListPublicKeys key), behind the TrailRecorder, which writes a CloudTrail
// record of every call passing through it and answers LookupEvents from
// them. The archive's hours are recent, so that event history (90 days)
// still has the calls made at their times.
type huntVerifyEnv struct {
	rec     *testenv.TrailRecorder
	s3      *s3.Client // straight to moto: uploads are not calls to record
	signers chaingen.Signers
	first   time.Time
}

const (
	hvAccount  = "123456789012" // moto's account: the trail's owner
	hvTrail    = "arn:aws:cloudtrail:us-east-1:" + hvAccount + ":trail/org-audit"
	hvAttacker = "arn:aws:sts::" + hvAccount + ":assumed-role/Contractor/mallory"
	hvOperator = "arn:aws:iam::" + hvAccount + ":user/ops-alice"
)

func startHuntVerifyEnv(t *testing.T) *huntVerifyEnv {
	t.Helper()
	m, err := testenv.StartMoto()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	first := time.Now().UTC().Truncate(time.Hour).Add(-12*time.Hour + time.Minute + 31*time.Second)
	signers, err := chaingen.NewSigners(1024, first.Add(-24*time.Hour), first.Add(30*24*time.Hour), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	var served []testenv.PublicKey
	for _, k := range signers.PublicKeys() {
		served = append(served, testenv.PublicKey{DER: k.DER, Fingerprint: k.Fingerprint, From: k.ValidityStart, To: k.ValidityEnd, Region: k.Region})
	}
	keys, err := testenv.StartKeysProxy(m.Endpoint, served...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(keys.Close)
	rec, err := testenv.StartTrailRecorder(keys.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Close)
	rec.Identity("testing", map[string]any{"type": "IAMUser", "principalId": "AIDAEXAMPLEADMIN0001", "arn": "arn:aws:iam::" + hvAccount + ":user/admin",
		"accountId": hvAccount, "userName": "admin"})
	rec.Identity("ASIAEXAMPLEMALLORY01", map[string]any{"type": "AssumedRole", "principalId": "AROAEXAMPLECONTRACT:mallory", "arn": hvAttacker, "accountId": hvAccount,
		"sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "principalId": "AROAEXAMPLECONTRACT",
			"arn": "arn:aws:iam::" + hvAccount + ":role/Contractor", "accountId": hvAccount, "userName": "Contractor"}}})
	rec.Identity("AKIAEXAMPLEOPSALICE1", map[string]any{"type": "IAMUser", "principalId": "AIDAEXAMPLEOPSALICE1", "arn": hvOperator,
		"accountId": hvAccount, "userName": "ops-alice"})
	cfg, err := testenv.Config(context.Background(), m.Endpoint, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	testenv.SetEnv(t, rec.URL, "us-east-1")
	return &huntVerifyEnv{rec: rec, signers: signers, first: first,
		s3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.UsePathStyle = true
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		})}
}

// trailClient makes CloudTrail calls as accessKey through the recorder.
func (e *huntVerifyEnv) trailClient(t *testing.T, accessKey string) *cloudtrail.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"), config.WithBaseEndpoint(e.rec.URL),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(accessKey, "secret", "")))
	if err != nil {
		t.Fatal(err)
	}
	return cloudtrail.NewFromConfig(cfg)
}

// trail creates the bucket and the trail org-audit writing to it, as the
// administrator, and starts its logging.
func (e *huntVerifyEnv) trail(t *testing.T, bucket string) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	admin := e.trailClient(t, "testing")
	if _, err := admin.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("org-audit"), S3BucketName: aws.String(bucket),
		EnableLogFileValidation: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("org-audit")}); err != nil {
		t.Fatal(err)
	}
}

// at makes the calls of do at time at: their records carry it.
func (e *huntVerifyEnv) at(t *testing.T, when time.Time, do func() error) {
	t.Helper()
	e.rec.SetClock(func() time.Time { return when })
	defer e.rec.SetClock(nil)
	if err := do(); err != nil {
		t.Fatal(err)
	}
}

// recorded returns the newest record of eventName, as the recorder wrote
// it.
func (e *huntVerifyEnv) recorded(t *testing.T, eventName string) map[string]any {
	t.Helper()
	recs := e.rec.Records()
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i]["eventName"] == eventName {
			return recs[i]
		}
	}
	t.Fatalf("no %s record", eventName)
	return nil
}

// store generates the archive and stores it in moto with the SDK.
func (e *huntVerifyEnv) store(t *testing.T, s chaingen.Spec, edit func(*chaingen.Archive)) *chaingen.Archive {
	t.Helper()
	a, err := chaingen.Generate(s)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(a)
	}
	for _, o := range a.Sorted() {
		if _, err := e.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(o.Bucket), Key: aws.String(o.Key),
			Body: bytes.NewReader(o.Body), Metadata: o.Metadata}); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

func (e *huntVerifyEnv) args(bucket string, extra ...string) []string {
	return append([]string{"verify", "--trail-arn", hvTrail, "--start-time", e.first.Truncate(time.Hour).Format(time.RFC3339),
		"--end-time", e.first.Add(6 * time.Hour).Format(time.RFC3339), "--s3-bucket", bucket, "--regions", "us-east-1"}, extra...)
}

type verifyHuntJSON struct {
	verify.Report
	Hunt detection.Report `json:"hunt"`
}

func (e *huntVerifyEnv) runJSON(t *testing.T, args ...string) (int, verifyHuntJSON) {
	t.Helper()
	code, out, errOut := runCLI(t, append(args, "--format", "json")...)
	var r verifyHuntJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("exit %d, not JSON: %v\n%s%s", code, err, out, errOut)
	}
	return code, r
}

// TestVerifyHuntNamesRestart: an attacker stops the trail (StopLogging)
// and, two hours later, an operator starts it again (StartLogging).
// CloudTrail records both calls in the trail's own log files: the
// StopLogging in the last file delivered before logging stopped, the
// StartLogging in the first file after it started; no log file is
// delivered while logging is off; the digest chain breaks within the hour
// and a new one starts with a null previousDigestSignature
// (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_UpdateTrail.html,
// EnableLogFileValidation: "The same applies whenever you stop CloudTrail
// logging"). The two records are the recorder's, made from the real calls
// against moto, at the archive's times. verify --hunt names both calls on
// the gap, who, when and from where, in text and JSON, from the log files
// alone (no event history asked), and the StopLogging is a detection read
// from a verified file. Plain verify says only that there was a gap.
func TestVerifyHuntNamesRestart(t *testing.T) {
	e := startHuntVerifyEnv(t)
	ctx := context.Background()
	const bucket = "restarted-trail"
	e.trail(t, bucket)
	stopAt, startAt := e.first.Add(time.Hour+29*time.Minute), e.first.Add(4*time.Hour+time.Minute)
	e.at(t, stopAt, func() error {
		_, err := e.trailClient(t, "ASIAEXAMPLEMALLORY01").StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("org-audit")})
		return err
	})
	e.at(t, startAt, func() error {
		_, err := e.trailClient(t, "AKIAEXAMPLEOPSALICE1").StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("org-audit")})
		return err
	})
	stop, start := e.recorded(t, "StopLogging"), e.recorded(t, "StartLogging")
	stopRaw, _ := json.Marshal(stop)
	startRaw, _ := json.Marshal(start)
	spec := chaingen.Spec{Bucket: bucket, Layout: verify.Layout{AccountID: hvAccount, TrailName: "org-audit", HomeRegion: "us-east-1"},
		Regions: []string{"us-east-1"}, First: e.first, Hours: 6, LogsPerDigest: 3, LogBytes: 800, Signers: e.signers, Seed: 5,
		GapHours: map[int]bool{2: true, 3: true},
		Records: func(region string, h, i int) [][]byte {
			switch {
			case h == 1 && i == 2: // delivered at hour 1 + 35 min, after the call at + 29 min
				return [][]byte{stopRaw}
			case h == 4 && i == 0: // the first file after logging started
				return [][]byte{startRaw}
			}
			return nil
		}}
	var stopFile string
	e.store(t, spec, func(a *chaingen.Archive) {
		logs := a.LogKeys("us-east-1")
		stopFile = logs[5]
		for _, k := range logs[6:12] { // nothing is delivered while logging is off
			a.Delete(k)
		}
	})

	code, out, _ := runCLI(t, e.args(bucket)...)
	if code != ExitGaps || strings.Contains(out, "opened by") {
		t.Fatalf("plain verify: exit %d, want 3 with a gap and no explanation:\n%s", code, out)
	}
	lookupsBefore := len(e.rec.Lookups())

	code, out, _ = runCLI(t, e.args(bucket, "--hunt", "--no-context")...)
	stamp := func(tm time.Time) string { return tm.UTC().Format("2006-01-02T15:04:05Z") }
	for _, want := range []string{
		"opened by StopLogging at " + stamp(stopAt) + ": logging stopped, by role/Contractor (session mallory) (" + hvAttacker + ") with access key ASIAEXAMPLEMALLORY01 from 127.0.0.1",
		"event " + stop["eventID"].(string) + ", read from s3://" + bucket + "/" + stopFile + " (valid)",
		"closed by StartLogging at " + stamp(startAt) + ": logging started, by user/ops-alice with access key AKIAEXAMPLEOPSALICE1 from 127.0.0.1",
		"hunt.trail_logging_stopped",
		"RESULT: GAPS",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q", want)
		}
	}
	if code != ExitGaps || t.Failed() {
		t.Fatalf("exit %d, want 3:\n%s", code, out)
	}

	code, r := e.runJSON(t, e.args(bucket, "--hunt", "--no-context")...)
	if code != ExitGaps || len(r.Gaps) != 1 {
		t.Fatalf("exit %d, gaps %+v", code, r.Gaps)
	}
	g := r.Gaps[0]
	if o := g.OpenedBy; o == nil || o.EventName != "StopLogging" || !o.EventTime.Equal(stopAt) || o.ActorARN != hvAttacker ||
		o.SourceIP != "127.0.0.1" || o.EventID != stop["eventID"] || o.Trail != "org-audit" {
		t.Errorf("openedBy %+v, want the recorded StopLogging", o)
	}
	if c := g.ClosedBy; c == nil || c.EventName != "StartLogging" || !c.EventTime.Equal(startAt) || c.ActorARN != hvOperator ||
		c.SourceIP != "127.0.0.1" || c.EventID != start["eventID"] {
		t.Errorf("closedBy %+v, want the recorded StartLogging", c)
	}
	if g.Unexplained != "" {
		t.Errorf("unexplained: %s", g.Unexplained)
	}
	var found bool
	for _, d := range r.Hunt.Detections {
		if d.DetectionID == "hunt.trail_logging_stopped" && d.EventID == stop["eventID"] {
			found = d.Actor.ARN == hvAttacker && d.Origin.Verification == "valid" && d.Origin.Location == "s3://"+bucket+"/"+stopFile
		}
	}
	if !found || r.Hunt.Sources.Files != 12 {
		t.Errorf("hunt: %d files read, detections %+v; want the 12 files and the StopLogging from its verified file", r.Hunt.Sources.Files, r.Hunt.Detections)
	}
	if n := len(e.rec.Lookups()) - lookupsBefore; n != 0 {
		t.Errorf("%d LookupEvents calls: the logs explain the gap", n)
	}

	// The reports for pipelines say the same: the GAP result and testcase
	// name the call that opened it, the detection is a result and a
	// failing testcase of its own.
	dir := t.TempDir()
	if code, _, errOut := runCLI(t, e.args(bucket, "--hunt", "--no-context", "--format", "sarif,junit,html", "--output-dir", dir)...); code != ExitGaps {
		t.Fatalf("--format sarif,junit,html: exit %d, want 3: %s", code, errOut)
	}
	opened := "opened by StopLogging at " + stamp(stopAt) + ": logging stopped, by role/Contractor (session mallory)"
	for _, f := range []struct{ name, want string }{
		{"report.sarif.json", opened}, {"report.sarif.json", `"ruleId": "hunt.trail_logging_stopped"`},
		{"report.junit.xml", opened}, {"report.junit.xml", `<testcase name="hunt.trail_logging_stopped" classname="verify.hunt"`},
		{"report.html", "<b>opened by</b> StopLogging at " + stamp(stopAt)}, {"report.html", `<div class="panel" id="hunt">`},
	} {
		b, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil || !strings.Contains(string(b), f.want) {
			t.Errorf("%s lacks %q (%v)", f.name, f.want, err)
		}
	}
}

// TestVerifyHuntGapFromEventHistory: the organization trail's management
// account turns log file validation off and, three hours later, on again
// (UpdateTrail); a member account's chain breaks and restarts. The calls
// are the management account's, recorded in its own log files, not in the
// member's verified here; verify --hunt finds them in the management
// account's event history (LookupEvents in the trail's home region, asked
// only for the trail events, over the gap's window) and names both on the
// gap. The member's log files written in the gap are hunted too (not
// covered by any digest, and said so). Offline (--from-dir), where no
// event history can be asked, the gap says what was not found.
func TestVerifyHuntGapFromEventHistory(t *testing.T) {
	e := startHuntVerifyEnv(t)
	ctx := context.Background()
	const bucket, member, org = "org-trail-logs", "444455556666", "o-a1b2c3d4e5"
	e.trail(t, bucket)
	offAt, onAt := e.first.Add(time.Hour+40*time.Minute), e.first.Add(4*time.Hour+2*time.Minute)
	update := func(key string, on bool) func() error {
		return func() error {
			_, err := e.trailClient(t, key).UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("org-audit"), EnableLogFileValidation: aws.Bool(on)})
			return err
		}
	}
	e.at(t, offAt, update("ASIAEXAMPLEMALLORY01", false))
	e.at(t, onAt, update("AKIAEXAMPLEOPSALICE1", true))
	spec := chaingen.Spec{Bucket: bucket, Layout: verify.Layout{AccountID: member, OrgID: org, TrailName: "org-audit", HomeRegion: "us-east-1"},
		Regions: []string{"us-east-1"}, First: e.first, Hours: 6, LogsPerDigest: 3, LogBytes: 800, Signers: e.signers, Seed: 6,
		GapHours: map[int]bool{2: true, 3: true}}
	a := e.store(t, spec, nil)
	args := e.args(bucket, "--account-id", member, "--hunt", "--no-context")
	lookupsBefore := len(e.rec.Lookups())

	code, r := e.runJSON(t, args...)
	if code != ExitGaps || len(r.Gaps) != 1 {
		t.Fatalf("exit %d, gaps %+v", code, r.Gaps)
	}
	g := r.Gaps[0]
	if o := g.OpenedBy; o == nil || o.EventName != "UpdateTrail" || o.Change != "log file validation turned off" || !o.EventTime.Equal(offAt) ||
		o.ActorARN != hvAttacker || o.ReadFrom != "event history us-east-1" || o.Account != hvAccount {
		t.Errorf("openedBy %+v, want the management account's UpdateTrail turning validation off, from event history", o)
	}
	if c := g.ClosedBy; c == nil || c.EventName != "UpdateTrail" || c.Change != "log file validation turned on" || !c.EventTime.Equal(onAt) ||
		c.ActorARN != hvOperator || c.SourceIP != "127.0.0.1" {
		t.Errorf("closedBy %+v, want the UpdateTrail turning validation on", c)
	}
	var asked []string
	for _, l := range e.rec.Lookups()[lookupsBefore:] {
		if l.Region != "us-east-1" {
			t.Errorf("LookupEvents in %s: only the trail's home region holds its calls", l.Region)
		}
		asked = append(asked, l.EventName)
	}
	if strings.Join(asked, ",") != "StopLogging,StartLogging,DeleteTrail,CreateTrail,UpdateTrail" {
		t.Errorf("LookupEvents asked for %v, want each trail event once", asked)
	}
	notCovered := 0
	for _, d := range r.Logs {
		if d.Status == verify.StatusGap {
			notCovered++
		}
	}
	if notCovered != 6 || r.Hunt.Sources.Files != 18 {
		t.Errorf("%d files not covered, hunt read %d files; want the 12 verified and the 6 of the gap", notCovered, r.Hunt.Sources.Files)
	}

	dir := t.TempDir()
	if err := a.WriteDir(dir, true); err != nil {
		t.Fatal(err)
	}
	keys := writeKeysFile(t, e.signers)
	code, out, _ := runCLI(t, append(args, "--from-dir", dir, "--public-keys", keys)...)
	if code != ExitGaps || !strings.Contains(out, "not explained: no StopLogging, DeleteTrail or UpdateTrail turning validation off before it, and no StartLogging, UpdateTrail turning validation on or CreateTrail after it was found in the logs on either side of the gap; event history was not asked (offline)") {
		t.Errorf("offline: exit %d:\n%s", code, out)
	}
}

func writeKeysFile(t *testing.T, s chaingen.Signers) string {
	t.Helper()
	var b bytes.Buffer
	if err := verify.WriteKeysFile(&b, s.PublicKeys()); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "keys.json", b.String())
}

// TestVerifyHuntExitCodes: with --hunt, invalid files still exit 1 and
// anything that could not be checked 4, over a detection or a gap (3); a
// file the hunt could not read is 4 too, even when verify found it valid.
func TestVerifyHuntExitCodes(t *testing.T) {
	found := &detection.Report{Detections: []detection.Detection{{DetectionID: "hunt.trail_logging_stopped"}}}
	unread := &detection.Report{Sources: detection.SourceSummary{Errors: []detection.SourceError{{Location: "s3://b/k", Error: "record 3: bad"}}}}
	clean := &detection.Report{}
	for _, tt := range []struct {
		outcome verify.Outcome
		hunt    *detection.Report
		want    int
	}{
		{verify.OutcomeValid, clean, ExitOK},
		{verify.OutcomeValid, found, ExitGaps},
		{verify.OutcomeGaps, clean, ExitGaps},
		{verify.OutcomeValid, unread, ExitUnverifiable},
		{verify.OutcomeGaps, unread, ExitUnverifiable},
		{verify.OutcomeUnverifiable, found, ExitUnverifiable},
		{verify.OutcomeInvalid, found, ExitRuntime},
		{verify.OutcomeInvalid, unread, ExitRuntime},
	} {
		if got := exitCode(verifyHuntExit(&verify.Report{Outcome: tt.outcome}, tt.hunt)); got != tt.want {
			t.Errorf("%s with %d detections and %d unread: exit %d, want %d", tt.outcome, len(tt.hunt.Detections), len(tt.hunt.Sources.Errors), got, tt.want)
		}
	}
	assertUserError(t, ExitUsage, "go with --hunt", "verify", "--trail-arn", hvTrail, "--start-time", "2026-01-01", "--snapshot", "x.json")
	assertUserError(t, ExitUsage, "exclude each other", "verify", "--trail-arn", hvTrail, "--start-time", "2026-01-01", "--hunt", "--snapshot", "x.json", "--no-context")
}

// TestVerifyHuntOrganizationArchive: an organization trail's whole archive
// is verified in one run (the management account's chain and a member's),
// and --hunt hunts every chain's log files. The attacker stops the
// organization trail from the management account and an operator starts
// it again; CloudTrail records both calls in the management account's
// logs, and both accounts' chains break and restart. Each account's gap is
// named by those two calls, the member's too (its own logs do not hold
// them). Run as four shards merged with 'verify merge', the result is the
// same: each shard's hunt is kept and merged, and the member's gap, whose
// calls are in another shard's files, is explained from event history.
func TestVerifyHuntOrganizationArchive(t *testing.T) {
	e := startHuntVerifyEnv(t)
	ctx := context.Background()
	const bucket, member, org = "org-archive", "444455556666", "o-a1b2c3d4e5"
	e.trail(t, bucket)
	stopAt, startAt := e.first.Add(time.Hour+29*time.Minute), e.first.Add(4*time.Hour+time.Minute)
	e.at(t, stopAt, func() error {
		_, err := e.trailClient(t, "ASIAEXAMPLEMALLORY01").StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("org-audit")})
		return err
	})
	e.at(t, startAt, func() error {
		_, err := e.trailClient(t, "AKIAEXAMPLEOPSALICE1").StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("org-audit")})
		return err
	})
	stop, start := e.recorded(t, "StopLogging"), e.recorded(t, "StartLogging")
	stopRaw, _ := json.Marshal(stop)
	startRaw, _ := json.Marshal(start)
	for _, account := range []string{hvAccount, member} {
		spec := chaingen.Spec{Bucket: bucket, Layout: verify.Layout{AccountID: account, OrgID: org, TrailName: "org-audit", HomeRegion: "us-east-1"},
			Regions: []string{"us-east-1"}, First: e.first, Hours: 6, LogsPerDigest: 3, LogBytes: 600, Signers: e.signers, Seed: 7,
			GapHours: map[int]bool{2: true, 3: true}}
		if account == hvAccount {
			spec.Records = func(_ string, h, i int) [][]byte {
				switch {
				case h == 1 && i == 2:
					return [][]byte{stopRaw}
				case h == 4 && i == 0:
					return [][]byte{startRaw}
				}
				return nil
			}
		}
		e.store(t, spec, func(a *chaingen.Archive) {
			for _, k := range a.LogKeys("us-east-1")[6:12] {
				a.Delete(k)
			}
		})
	}
	args := []string{"verify", "--trail-arn", hvTrail, "--start-time", e.first.Truncate(time.Hour).Format(time.RFC3339),
		"--end-time", e.first.Add(6 * time.Hour).Format(time.RFC3339), "--regions", "us-east-1", "--hunt", "--no-context"}
	type archiveJSON struct {
		verify.ArchiveReport
		Hunt detection.Report `json:"hunt"`
	}
	check := func(name string, code int, out string) {
		t.Helper()
		var r archiveJSON
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%s: exit %d, not JSON: %v\n%s", name, code, err, out)
		}
		if code != ExitGaps || len(r.Gaps) != 2 || len(r.Accounts) != 2 {
			t.Fatalf("%s: exit %d, %d accounts, gaps %+v", name, code, len(r.Accounts), r.Gaps)
		}
		for _, g := range r.Gaps {
			if g.OpenedBy == nil || g.OpenedBy.EventID != stop["eventID"] || g.OpenedBy.ActorARN != hvAttacker ||
				g.ClosedBy == nil || g.ClosedBy.EventID != start["eventID"] || g.ClosedBy.ActorARN != hvOperator {
				t.Errorf("%s: account %s's gap opened by %+v, closed by %+v", name, g.Account, g.OpenedBy, g.ClosedBy)
			}
		}
		stops := 0
		for _, d := range r.Hunt.Detections {
			if d.EventID == stop["eventID"] && d.Origin.Verification == "valid" {
				stops++
			}
		}
		if stops != 1 || r.Hunt.Sources.Files != 24 {
			t.Errorf("%s: %d StopLogging detections, %d files hunted; want 1 and the 24 files of both chains", name, stops, r.Hunt.Sources.Files)
		}
	}
	code, out, errOut := runCLI(t, append(args, "--format", "json")...)
	if errOut != "" {
		t.Logf("stderr: %s", errOut)
	}
	check("one run", code, out)
	code, text, _ := runCLI(t, args...)
	if code != ExitGaps || strings.Count(text, "opened by StopLogging") != 2 || strings.Count(text, "closed by StartLogging") != 2 || !strings.Contains(text, "hunt.trail_logging_stopped") {
		t.Errorf("text: exit %d:\n%s", code, text)
	}

	// Four shards: the management account's chain falls in shard 0, the
	// member's in shard 2 (FNV-1a of account/region, as verify shards).
	dir := t.TempDir()
	var shards []string
	lookups := len(e.rec.Lookups())
	for i := range 4 {
		if code, _, errOut := runCLI(t, append(args, "--format", "json", "--shard", fmt.Sprintf("%d/4", i), "--output", filepath.Join(dir, "shard-{shard}.json"))...); code != ExitGaps && code != ExitOK {
			t.Fatalf("shard %d: exit %d: %s", i, code, errOut)
		}
		shards = append(shards, filepath.Join(dir, fmt.Sprintf("shard-%d.json", i)))
	}
	if len(e.rec.Lookups()) == lookups {
		t.Error("no LookupEvents: the member's shard should have asked event history")
	}
	code, out, _ = runCLI(t, append([]string{"verify", "merge", "--format", "json"}, shards...)...)
	check("merged shards", code, out)
}
