package fix_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailseal/trailseal/internal/awsclient"
	"github.com/trailseal/trailseal/internal/fix"
	"github.com/trailseal/trailseal/internal/testenv"
)

// replayGolden brings the emulator, seeded as the golden's account was,
// to the state the golden's run left, by applying the golden's own steps
// with this build. It returns the golden, copied to a temporary file (an
// undo writes to it), with the identifiers the emulator gave this time
// (the new key's ARN) in place of those of the run that wrote it.
func replayGolden(t *testing.T, ctx context.Context, c *fix.Clients, name string) *fix.Journal {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	golden, err := fix.LoadJournal(path)
	if err != nil {
		t.Fatalf("load the version 1 golden: %v", err)
	}
	plan := &fix.Plan{Account: golden.Account}
	for _, e := range golden.Entries {
		plan.Steps = append(plan.Steps, e.Step)
	}
	replay := fix.NewJournal(filepath.Join(t.TempDir(), "replay.json"), golden.Account)
	if out, err := (&fix.Applier{Clients: c, Journal: replay}).Apply(ctx, plan); err != nil || out.Applied != len(plan.Steps) {
		t.Fatalf("replaying the golden's steps: %+v %v", out, err)
	}
	text := string(data)
	for i, e := range golden.Entries {
		if old, now := e.Outputs["keyArn"], replay.Entries[i].Outputs["keyArn"]; old != "" {
			text = strings.ReplaceAll(text, old, now)
		}
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if golden, err = fix.LoadJournal(path); err != nil {
		t.Fatal(err)
	}
	return golden
}

// undoAll undoes j and fails on anything but reverted or not reversible.
func undoAll(t *testing.T, ctx context.Context, c *fix.Clients, j *fix.Journal) map[string]fix.UndoResult {
	t.Helper()
	out := map[string]fix.UndoResult{}
	for _, r := range fix.Undo(ctx, c, j) {
		if r.Status != fix.Reverted && r.Status != fix.NotReverted {
			t.Errorf("undo of %s: %s: %s", r.Step.ID, r.Status, r.Detail)
		}
		out[r.Step.ID] = r
	}
	return out
}

// TestUndoJournalV1Full undoes a journal written by version 1 of the
// format for the full plan on an account whose bucket had a partial Block
// Public Access configuration and a lifecycle rule, both stored then as
// SDK types. Every setting must be back as seeded, and a second undo must
// change nothing.
func TestUndoJournalV1Full(t *testing.T) {
	ctx, cfg := fresh(t)
	m := seedGoldenFull(t, ctx, cfg)
	c := fix.NewClients(cfg)
	golden := replayGolden(t, ctx, c, "journal-v1-full.json")
	got := undoAll(t, ctx, c, golden)
	if r := got["bucket.object_lock:"+m.TrailBucket]; r.Status != fix.NotReverted {
		t.Errorf("Object Lock cannot be undone: %+v", r)
	}

	after, _ := scan(t, ctx, cfg)
	tr := after.Trails[0]
	if tr.LogFileValidationEnabled || tr.IsMultiRegion || tr.IncludeGlobalServiceEvents || tr.KMSKeyID != "" || tr.CloudWatchLogsLogGroupARN != "" {
		t.Errorf("trail settings not restored: %+v", tr)
	}
	if tr.Status.Value == nil || tr.Status.Value.IsLogging {
		t.Errorf("trail should be stopped again: %+v", tr.Status)
	}
	if sel := tr.Selectors.Value; sel == nil || len(sel.Basic) != 1 || sel.Basic[0].ReadWriteType != "WriteOnly" {
		t.Errorf("event selectors not restored: %+v", tr.Selectors)
	}
	b := after.Bucket(m.TrailBucket)
	if v := b.PublicAccessBlock.Value; v == nil || !v.Configured || !v.BlockPublicAcls || v.IgnorePublicAcls || v.BlockPublicPolicy || v.RestrictPublicBuckets {
		t.Errorf("Block Public Access must be back to BlockPublicAcls only: %+v", b.PublicAccessBlock)
	}
	if v := b.Lifecycle.Value; v == nil || len(v.Rules) != 1 || v.Rules[0].ID != "short-logs" || v.Rules[0].ExpirationDays != 30 || v.Rules[0].NoncurrentExpirationDays != 7 {
		t.Errorf("the 30-day lifecycle rule must be back: %+v", b.Lifecycle)
	}
	if b.Logging.Value == nil || b.Logging.Value.Enabled {
		t.Errorf("access logging should be off again: %+v", b.Logging)
	}
	pol, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(m.TrailBucket)})
	if err != nil || strings.Contains(aws.ToString(pol.Policy), "DenyInsecureTransport") {
		t.Errorf("bucket policy not restored: %v %s", err, aws.ToString(pol.Policy))
	}

	again, err := fix.LoadJournal(golden.Path())
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Undoable()) != 0 {
		t.Errorf("after a complete undo nothing is left to undo: %d entries", len(again.Undoable()))
	}
	for _, r := range fix.Undo(ctx, c, again) {
		if r.Status != fix.AlreadyReverted && r.Status != fix.NotReverted {
			t.Errorf("a second undo must change nothing, but %s: %s %s", r.Step.ID, r.Status, r.Detail)
		}
	}
}

// TestUndoJournalV1ReplacedFilter undoes a version 1 journal whose alarm
// step replaced an operator's metric filter, recorded then with the SDK's
// transformation type: the operator's filter must come back exactly. The
// proxy makes PutMetricFilter replace the filter, as CloudWatch Logs does
// and moto does not (testenv.MetricFilterReplacer).
func TestUndoJournalV1ReplacedFilter(t *testing.T) {
	ctx, cfg := fresh(t)
	seedGoldenAlarm(t, ctx, cfg)
	proxy, err := testenv.StartProxy(moto.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	proxy.Intercept(testenv.MetricFilterReplacer(moto.Endpoint))
	pcfg, err := testenv.Config(ctx, proxy.URL, region)
	if err != nil {
		t.Fatal(err)
	}
	c := fix.NewClients(pcfg)
	golden := replayGolden(t, ctx, c, "journal-v1-alarm.json")
	undoAll(t, ctx, c, golden)
	f, err := cloudwatchlogs.NewFromConfig(cfg).DescribeMetricFilters(ctx, &cloudwatchlogs.DescribeMetricFiltersInput{LogGroupName: aws.String(goldenLogGroup)})
	if err != nil || len(f.MetricFilters) != 1 {
		t.Fatalf("filters after undo: %v %+v", err, f)
	}
	mf := f.MetricFilters[0]
	tr := mf.MetricTransformations
	if aws.ToString(mf.FilterPattern) != `{ $.eventName = DeleteTrail }` || len(tr) != 1 || aws.ToString(tr[0].MetricName) != "OldTrailDeletes" ||
		aws.ToString(tr[0].MetricNamespace) != "Operators" || tr[0].DefaultValue == nil || *tr[0].DefaultValue != 0 {
		t.Errorf("the operator's filter is not back as it was: %s %+v", aws.ToString(mf.FilterPattern), tr)
	}
	al, err := cloudwatch.NewFromConfig(cfg, awsclient.CloudWatch(region, true)).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{fix.Alarms[0].FilterName}})
	if err != nil || len(al.MetricAlarms) != 0 {
		t.Errorf("the alarm fix created must be gone: %v %+v", err, al)
	}
}
