package fix_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/fix"
	"github.com/trailseal/trailseal/internal/permissions"
	"github.com/trailseal/trailseal/internal/policy"
	"github.com/trailseal/trailseal/internal/testenv"
)

// TestApplyFixesAndIsIdempotent seeds a misconfigured account, applies the
// full plan, and scans again: every rule a step claimed to fix passes,
// nothing that passed before stops passing, an unrelated policy statement
// survives, a second plan is empty, and every call made is in the
// published fix policy.
//
// moto enables Object Lock on an existing versioned bucket only while the
// bucket is empty (real S3 has no such limit); the seeded trail bucket is
// empty because moto's CloudTrail never delivers files, so no proxy is
// needed to simulate it.
func TestApplyFixesAndIsIdempotent(t *testing.T) {
	ctx, cfg := fresh(t)
	m := seed(t, ctx, cfg)
	plan, inv, before := planFor(t, ctx, cfg, m, fixOptions(m))
	if len(plan.Refused) > 0 {
		t.Fatalf("plan refused fixes: %+v", plan.Refused)
	}
	fixed := map[string]bool{}
	for _, s := range plan.Steps {
		for _, r := range s.Rules {
			fixed[r] = true
		}
	}
	for _, want := range []string{
		"trail.logging", "trail.multi_region", "trail.global_service_events", "trail.management_events",
		"trail.log_file_validation", "trail.kms_encryption", "trail.cloudwatch_logs", "trail.s3_data_events_write",
		"bucket.versioning", "bucket.object_lock", "bucket.lifecycle", "bucket.public_access", "bucket.access_logging",
		"bucket.policy_source_arn", "bucket.least_privilege", "monitoring.trail_changes_alarm", "monitoring.bucket_policy_changes_alarm",
	} {
		if !fixed[want] {
			t.Errorf("plan has no step for %s", want)
		}
	}
	assertOrder(t, plan, "bucket.versioning:"+m.TrailBucket, "bucket.object_lock:"+m.TrailBucket)
	assertOrder(t, plan, "kms.create_key:"+m.TrailName, "trail.kms_encryption:"+m.TrailName)
	assertOrder(t, plan, "logs.group:"+m.TrailName, "trail.cloudwatch_logs:"+m.TrailName)
	assertOrder(t, plan, "iam.role:"+m.TrailName, "trail.cloudwatch_logs:"+m.TrailName)
	assertOrder(t, plan, "trail.cloudwatch_logs:"+m.TrailName, "trail.logging:"+m.TrailName)

	accessBefore := bucketState(t, ctx, cfg, m.AccessBucket)
	clients := fix.NewClients(cfg)
	j := fix.NewJournal(filepath.Join(t.TempDir(), "journal.json"), inv.Account.ID)
	out, err := (&fix.Applier{Clients: clients, Journal: j}).Apply(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	if out.Failed+out.Skipped > 0 || out.Applied != len(plan.Steps) {
		for _, e := range j.Entries {
			if e.Status != fix.Applied {
				t.Errorf("step %s %s: %s", e.Step.ID, e.Status, e.Error)
			}
		}
		t.Fatalf("apply: %+v", out)
	}

	for _, c := range clients.Calls() {
		if strings.Contains(c, ":Delete") || strings.Contains(c, "ScheduleKeyDeletion") {
			t.Errorf("apply made a deleting call: %s", c)
		}
	}
	rescan := deliveringConfig(t, ctx)
	inv2, after := scan(t, ctx, rescan)
	prev, now := statusOf(before), statusOf(after)
	for _, f := range after {
		if fixed[f.RuleID] && f.Status != findings.Pass {
			t.Errorf("%s on %s is %s after the fix: %s", f.RuleID, f.Resource, f.Status, f.Message)
		}
	}
	for k, st := range prev {
		if st == findings.Pass && now[k] != findings.Pass {
			t.Errorf("%s passed before the fix and is %s after", k, now[k])
		}
	}
	// The fix merged, it did not replace: the unrelated statement is there.
	b := inv2.Bucket(m.TrailBucket)
	doc, err := policy.Parse(b.Policy.Value.Document)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(doc.Statements, func(s policy.Statement) bool { return s.Sid == m.KeptStatement }) {
		t.Errorf("statement %s was dropped from the bucket policy: %s", m.KeptStatement, b.Policy.Value.Document)
	}
	// The access-log bucket was used, not changed.
	if after := bucketState(t, ctx, cfg, m.AccessBucket); after != accessBefore {
		t.Errorf("access-log bucket changed:\nbefore %s\nafter  %s", accessBefore, after)
	}

	plan2, _, _ := planFor(t, ctx, rescan, m, fixOptions(m))
	if !plan2.Empty() {
		for _, s := range plan2.Steps {
			t.Errorf("second run plans %s: %s (%s -> %s)", s.ID, s.Summary, s.Before, s.After)
		}
	}

	// Every call made by scan and apply is allowed by docs/policies/fix.json.
	calls := clients.Calls()
	for c := range inv.Calls {
		calls = append(calls, c)
	}
	missing, err := permissions.Missing(permissions.FixPolicy(), calls)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Errorf("the fix policy lacks: %s", strings.Join(missing, ", "))
	}
}

// TestUndoRestoresPreviousValues applies a plan, undoes it from the
// journal on disk, and checks that reversible settings are back while the
// irreversible ones are reported as such.
func TestUndoRestoresPreviousValues(t *testing.T) {
	ctx, cfg := fresh(t)
	m := seed(t, ctx, cfg)
	plan, inv, _ := planFor(t, ctx, cfg, m, fixOptions(m))
	path := filepath.Join(t.TempDir(), "journal.json")
	if _, err := (&fix.Applier{Clients: fix.NewClients(cfg), Journal: fix.NewJournal(path, inv.Account.ID)}).Apply(ctx, plan); err != nil {
		t.Fatal(err)
	}
	j, err := fix.LoadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	undoClients := fix.NewClients(cfg)
	results := fix.Undo(ctx, undoClients, j)
	if missing, err := permissions.Missing(permissions.FixPolicy(), undoClients.Calls()); err != nil || len(missing) > 0 {
		t.Errorf("the fix policy lacks undo calls: %v %v", missing, err)
	}
	notReverted := map[string]string{}
	for _, r := range results {
		switch r.Status {
		case fix.UndoFailed:
			t.Errorf("undo of %s failed: %s", r.Step.ID, r.Detail)
		case fix.NotReverted:
			notReverted[r.Step.ID] = r.Detail
		}
	}
	if !strings.Contains(notReverted["bucket.object_lock:"+m.TrailBucket], "cannot be turned off") {
		t.Errorf("undo must say Object Lock cannot be reverted, got %q", notReverted["bucket.object_lock:"+m.TrailBucket])
	}
	if _, ok := notReverted["kms.create_key:"+m.TrailName]; !ok {
		t.Error("undo must say the created key is kept")
	}

	after, _ := scan(t, ctx, cfg)
	tr := after.Trails[0]
	if tr.LogFileValidationEnabled || tr.IsMultiRegion || tr.IncludeGlobalServiceEvents || tr.KMSKeyID != "" || tr.CloudWatchLogsLogGroupARN != "" {
		t.Errorf("trail settings not restored: %+v", tr)
	}
	if tr.Status.Value == nil || tr.Status.Value.IsLogging {
		t.Errorf("trail should be stopped again: %+v", tr.Status)
	}
	if sel := tr.Selectors.Value; sel == nil || len(sel.Basic) != 1 || sel.Basic[0].ReadWriteType != "WriteOnly" || len(sel.Basic[0].DataResources) != 0 {
		t.Errorf("event selectors not restored: %+v", tr.Selectors)
	}
	b := after.Bucket(m.TrailBucket)
	if b.PublicAccessBlock.Value == nil || b.PublicAccessBlock.Value.Configured {
		t.Errorf("Block Public Access should be gone again: %+v", b.PublicAccessBlock)
	}
	if b.Lifecycle.Value == nil || b.Lifecycle.Value.Configured {
		t.Errorf("lifecycle should be gone again: %+v", b.Lifecycle)
	}
	if b.Logging.Value == nil || b.Logging.Value.Enabled {
		t.Errorf("access logging should be off again: %+v", b.Logging)
	}
	out, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(m.TrailBucket)})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(aws.ToString(out.Policy), "DenyInsecureTransport") || strings.Contains(aws.ToString(out.Policy), "aws:SourceAccount") {
		t.Errorf("bucket policy not restored: %s", aws.ToString(out.Policy))
	}
	if lock := b.ObjectLock.Value; lock == nil || !lock.Enabled {
		t.Errorf("Object Lock cannot be undone and must still be on: %+v", b.ObjectLock)
	}
}

// TestPartialFailureStopsDependents makes versioning fail and checks that
// Object Lock, which depends on it, is not attempted while unrelated steps
// still run, and that the journal says exactly which is which.
func TestPartialFailureStopsDependents(t *testing.T) {
	ctx, cfg := fresh(t)
	m := seed(t, ctx, cfg)
	plan, inv, _ := planFor(t, ctx, cfg, m, fixOptions(m))
	proxy, err := testenv.StartProxy(moto.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	proxy.Intercept(func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if r.Method == http.MethodPut && r.URL.Query().Has("versioning") {
			testenv.S3Error(w, http.StatusForbidden, "AccessDenied", "Access Denied")
			return true
		}
		return false
	})
	pcfg, err := testenv.Config(ctx, proxy.URL, region)
	if err != nil {
		t.Fatal(err)
	}
	j := fix.NewJournal(filepath.Join(t.TempDir(), "journal.json"), inv.Account.ID)
	out, err := (&fix.Applier{Clients: fix.NewClients(pcfg), Journal: j}).Apply(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]fix.Entry{}
	for _, e := range j.Entries {
		status[e.Step.ID] = e
	}
	if e := status["bucket.versioning:"+m.TrailBucket]; e.Status != fix.Failed || !strings.Contains(e.Error, "AccessDenied") {
		t.Errorf("versioning step: %+v", e)
	}
	if e := status["bucket.object_lock:"+m.TrailBucket]; e.Status != fix.Skipped || !strings.Contains(e.Error, "bucket.versioning") {
		t.Errorf("object lock step must be skipped: %+v", e)
	}
	if e := status["bucket.public_access:"+m.TrailBucket]; e.Status != fix.Applied {
		t.Errorf("an independent step must still run: %+v", e)
	}
	for _, e := range j.Entries {
		t.Logf("%s %s %s", e.Step.ID, e.Status, e.Error)
	}
	if out.Failed != 1 || out.Skipped != 1 || out.Applied != len(plan.Steps)-2 {
		t.Errorf("outcome %+v", out)
	}
}

func assertOrder(t *testing.T, plan *fix.Plan, first, second string) {
	t.Helper()
	i := slices.IndexFunc(plan.Steps, func(s fix.Step) bool { return s.ID == first })
	j := slices.IndexFunc(plan.Steps, func(s fix.Step) bool { return s.ID == second })
	if i < 0 || j < 0 || i > j {
		t.Errorf("want step %s (at %d) before %s (at %d)", first, i, second, j)
	}
}

// bucketState summarises the settings fix could touch on a bucket.
func bucketState(t *testing.T, ctx context.Context, cfg aws.Config, bucket string) string {
	t.Helper()
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	var parts []string
	pol, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("policy of %s: %v", bucket, err)
	}
	parts = append(parts, "policy="+aws.ToString(pol.Policy))
	v, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	parts = append(parts, "versioning="+string(v.Status))
	l, err := c.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	parts = append(parts, fmt.Sprintf("logging=%v", l.LoggingEnabled != nil))
	_, err = c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(bucket)})
	parts = append(parts, fmt.Sprintf("bpa=%v", err == nil))
	_, err = c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucket)})
	parts = append(parts, fmt.Sprintf("lifecycle=%v", err == nil))
	return strings.Join(parts, " ")
}
