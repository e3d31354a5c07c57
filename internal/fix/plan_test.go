package fix

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/policy"
	"github.com/trailseal/trailseal/internal/selectors"
)

const acct = "111122223333"

var trailARN = "arn:aws:cloudtrail:eu-west-1:" + acct + ":trail/main"

func testTrail() inventory.Trail {
	return inventory.Trail{ARN: trailARN, Name: "main", HomeRegion: "eu-west-1", OwnerAccountID: acct, S3BucketName: "logs",
		IsMultiRegion: true, IncludeGlobalServiceEvents: true,
		Status:    inventory.Ok(inventory.TrailStatus{IsLogging: true}),
		Selectors: inventory.Ok(inventory.EventSelectors{})}
}

func testInventory() *inventory.Inventory {
	return &inventory.Inventory{Partition: "aws", Account: inventory.Account{ID: acct},
		Trails: []inventory.Trail{testTrail()},
		Buckets: []inventory.Bucket{{Name: "logs", OwnedByScannedAccount: true, OwnerAccountID: acct,
			Region:            inventory.Ok("eu-west-1"),
			Versioning:        inventory.Ok(inventory.Versioning{}),
			ObjectLock:        inventory.Ok(inventory.ObjectLock{}),
			Lifecycle:         inventory.Ok(inventory.Lifecycle{}),
			Logging:           inventory.Ok(inventory.AccessLogging{}),
			Policy:            inventory.Ok(inventory.BucketPolicy{}),
			PublicAccessBlock: inventory.Ok(inventory.PublicAccessBlock{}),
		}}}
}

func fail(rule, resource string) findings.Finding {
	return findings.Finding{RuleID: rule, Status: findings.Fail, Resource: resource}
}

const bucketARN = "arn:aws:s3:::logs"

func stepIDs(p *Plan) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.ID)
	}
	return out
}

func TestPlanOnlyFailingFindings(t *testing.T) {
	inv := testInventory()
	fs := []findings.Finding{
		fail("bucket.versioning", bucketARN),
		{RuleID: "trail.log_file_validation", Status: findings.Pass, Resource: trailARN},
		{RuleID: "bucket.public_access", Status: findings.Error, Resource: bucketARN},
		{RuleID: "bucket.lifecycle", Status: findings.Fail, Resource: bucketARN, Suppressed: &findings.Suppression{Reason: "accepted"}},
	}
	p := NewPlan(inv, fs, DefaultOptions())
	if got := stepIDs(p); !slices.Equal(got, []string{"bucket.versioning:logs"}) {
		t.Fatalf("steps %v: only the unsuppressed FAIL may be planned", got)
	}
	if !p.Steps[0].Reversible {
		t.Error("versioning alone is reversible")
	}
	if p := NewPlan(inv, nil, DefaultOptions()); !p.Empty() {
		t.Errorf("no findings must plan nothing, got %v", stepIDs(p))
	}
}

// TestPlanListsUnjudgedRules: an ERROR finding of a rule fix acts on
// (fixed or manual) is listed as not judged, since a FAIL may hide behind
// it; an ERROR of a rule fix never touches, a suppressed one, and one
// outside Rules are not.
func TestPlanListsUnjudgedRules(t *testing.T) {
	inv := testInventory()
	errorOf := func(rule, resource string) findings.Finding {
		return findings.Finding{RuleID: rule, Status: findings.Error, Resource: resource, Message: "cannot tell: AccessDenied"}
	}
	suppressed := errorOf("bucket.lifecycle", bucketARN)
	suppressed.Suppressed = &findings.Suppression{Reason: "accepted"}
	fs := []findings.Finding{
		errorOf("bucket.public_access", bucketARN),
		errorOf("bucket.mfa_delete", bucketARN),
		errorOf("trail.digest_delivery", trailARN),
		suppressed,
	}
	if isFixable("trail.digest_delivery") || slices.Contains(ManualOnly, "trail.digest_delivery") {
		t.Fatal("the test needs a rule fix does not act on")
	}
	p := NewPlan(inv, fs, DefaultOptions())
	want := []Unjudged{
		{Rule: "bucket.public_access", Resource: bucketARN, Reason: "cannot tell: AccessDenied"},
		{Rule: "bucket.mfa_delete", Resource: bucketARN, Reason: "cannot tell: AccessDenied"},
	}
	if !slices.Equal(p.Unjudged, want) || !p.Empty() {
		t.Errorf("unjudged %+v, steps %v; want %+v and no step", p.Unjudged, stepIDs(p), want)
	}
	opts := DefaultOptions()
	opts.Rules = []string{"bucket.versioning"}
	if p := NewPlan(inv, fs, opts); len(p.Unjudged) != 0 {
		t.Errorf("rules outside Rules listed: %+v", p.Unjudged)
	}
}

func TestPlanRulesFilter(t *testing.T) {
	inv := testInventory()
	fs := []findings.Finding{fail("bucket.versioning", bucketARN), fail("bucket.public_access", bucketARN)}
	opts := DefaultOptions()
	opts.Rules = []string{"bucket.public_access"}
	if got := stepIDs(NewPlan(inv, fs, opts)); !slices.Equal(got, []string{"bucket.public_access:logs"}) {
		t.Fatalf("steps %v", got)
	}
}

func TestPlanObjectLockOrderAndReversibility(t *testing.T) {
	inv := testInventory()
	fs := []findings.Finding{fail("bucket.object_lock", bucketARN)}
	opts := DefaultOptions()
	opts.LockMode = "COMPLIANCE"
	p := NewPlan(inv, fs, opts)
	if got := stepIDs(p); !slices.Equal(got, []string{"bucket.versioning:logs", "bucket.object_lock:logs"}) {
		t.Fatalf("versioning must come first, got %v", got)
	}
	lock := p.Steps[1]
	if lock.Reversible || !strings.Contains(lock.NotReversible, "cannot be turned off") {
		t.Errorf("object lock step: %+v", lock)
	}
	if !strings.Contains(lock.Warning, "COMPLIANCE") {
		t.Errorf("COMPLIANCE needs a warning, got %q", lock.Warning)
	}
	if p.Steps[0].Reversible {
		t.Error("versioning before Object Lock cannot be undone")
	}
	if !slices.Equal(lock.DependsOn, []string{"bucket.versioning:logs"}) {
		t.Errorf("depends on %v", lock.DependsOn)
	}

	// Retention only, on a bucket that already has Object Lock and versioning.
	inv.Buckets[0].Versioning = inventory.Ok(inventory.Versioning{Status: "Enabled"})
	inv.Buckets[0].ObjectLock = inventory.Ok(inventory.ObjectLock{Enabled: true})
	p = NewPlan(inv, []findings.Finding{fail("bucket.object_lock_retention", bucketARN)}, DefaultOptions())
	if got := stepIDs(p); !slices.Equal(got, []string{"bucket.object_lock:logs"}) || !p.Steps[0].Reversible {
		t.Errorf("GOVERNANCE retention on an enabled lock: steps %v reversible %v", got, p.Steps[0].Reversible)
	}
}

func TestPlanRefusesAccessLogTargets(t *testing.T) {
	inv := testInventory()
	fs := []findings.Finding{fail("bucket.access_logging", bucketARN)}
	good := BucketFacts{Name: "access", Exists: true, Owned: true, Region: "eu-west-1", LogDelivery: true}
	for _, tc := range []struct {
		name   string
		target string
		facts  *BucketFacts
		want   string
	}{
		{"no flag", "", nil, "pass --access-log-bucket"},
		{"itself", "logs", nil, "the trail bucket itself"},
		{"object lock", "access", func() *BucketFacts { f := good; f.ObjectLock = true; return &f }(), "has Object Lock"},
		{"other region", "access", func() *BucketFacts { f := good; f.Region = "us-east-1"; return &f }(), "within one region"},
		{"other account", "access", func() *BucketFacts { f := good; f.Owned, f.Exists = false, false; return &f }(), "not a bucket of account"},
		{"no delivery grant", "access", func() *BucketFacts { f := good; f.LogDelivery = false; return &f }(), "logging.s3.amazonaws.com"},
	} {
		opts := DefaultOptions()
		opts.AccessLogBucket, opts.Facts.AccessLog = tc.target, tc.facts
		p := NewPlan(inv, fs, opts)
		if !p.Empty() || len(p.Refused) != 1 || !strings.Contains(p.Refused[0].Reason, tc.want) {
			t.Errorf("%s: steps %v refused %+v; want a refusal mentioning %q", tc.name, stepIDs(p), p.Refused, tc.want)
		}
	}
	opts := DefaultOptions()
	opts.AccessLogBucket, opts.Facts.AccessLog = "access", &good
	if got := stepIDs(NewPlan(inv, fs, opts)); !slices.Equal(got, []string{"bucket.access_logging:logs"}) {
		t.Errorf("a good target must be planned, got %v", got)
	}
}

func TestPlanRefusesValidationWithKMSOnlyPolicy(t *testing.T) {
	inv := testInventory()
	inv.Buckets[0].Policy = inventory.Ok(inventory.BucketPolicy{Exists: true, Document: `{"Version":"2012-10-17","Statement":[
		{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::logs/*","Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}}]}`})
	p := NewPlan(inv, []findings.Finding{fail("trail.log_file_validation", trailARN)}, DefaultOptions())
	if !p.Empty() || len(p.Refused) != 1 || !strings.Contains(p.Refused[0].Reason, "SSE-S3") {
		t.Fatalf("want a refusal naming SSE-S3 digests, got steps %v refused %+v", stepIDs(p), p.Refused)
	}
	inv.Buckets[0].Policy = inventory.Ok(inventory.BucketPolicy{Exists: true, Document: `{"Version":"2012-10-17","Statement":[
		{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::logs/*","Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":["aws:kms","AES256"]}}}]}`})
	if p := NewPlan(inv, []findings.Finding{fail("trail.log_file_validation", trailARN)}, DefaultOptions()); len(p.Steps) != 1 {
		t.Fatalf("a policy that also allows AES256 must not block validation: %+v", p.Refused)
	}
}

func TestPlanTrailDependencies(t *testing.T) {
	inv := testInventory()
	inv.Trails[0].Status = inventory.Ok(inventory.TrailStatus{IsLogging: false})
	inv.Trails[0].IsMultiRegion, inv.Trails[0].IncludeGlobalServiceEvents = false, false
	fs := []findings.Finding{
		fail("trail.logging", trailARN), fail("trail.kms_encryption", trailARN), fail("trail.cloudwatch_logs", trailARN),
		fail("trail.multi_region", trailARN), fail("monitoring.trail_changes_alarm", "arn:aws:iam::"+acct+":root"),
	}
	opts := DefaultOptions()
	opts.AlarmTopicARN = "arn:aws:sns:eu-west-1:" + acct + ":alerts"
	opts.Facts.Topic = &TopicFacts{ARN: opts.AlarmTopicARN, Exists: true, Confirmed: 1}
	p := NewPlan(inv, fs, opts)
	pos := map[string]int{}
	for i, s := range p.Steps {
		pos[s.ID] = i
	}
	for _, pair := range [][2]string{
		{"kms.create_key:main", "trail.kms_encryption:main"},
		{"logs.group:main", "trail.cloudwatch_logs:main"},
		{"iam.role:main", "trail.cloudwatch_logs:main"},
		{"trail.cloudwatch_logs:main", "monitoring.alarm:trailseal-cloudtrail-changes"},
		{"trail.kms_encryption:main", "trail.logging:main"},
		{"trail.multi_region:main", "trail.logging:main"},
	} {
		a, okA := pos[pair[0]]
		b, okB := pos[pair[1]]
		if !okA || !okB || a > b {
			t.Errorf("want %s before %s in %v", pair[0], pair[1], stepIDs(p))
		}
	}
	mr := p.Steps[pos["trail.multi_region:main"]].Params.(*TrailUpdateParams)
	if mr.GlobalEvents == nil || !*mr.GlobalEvents {
		t.Error("a multi-region trail needs global service events in the same update")
	}
	key := p.Steps[pos["kms.create_key:main"]]
	if key.Reversible || key.Region != "eu-west-1" {
		t.Errorf("key step: reversible %v region %s", key.Reversible, key.Region)
	}

	// Without a topic the alarm is refused, with the flag to pass.
	opts.AlarmTopicARN, opts.Facts.Topic = "", nil
	p = NewPlan(inv, fs, opts)
	if !slices.ContainsFunc(p.Refused, func(r Refusal) bool { return strings.Contains(r.Reason, "--alarm-topic") }) {
		t.Errorf("refusals %+v", p.Refused)
	}
}

func TestPlanManualRules(t *testing.T) {
	inv := testInventory()
	fs := []findings.Finding{fail("bucket.mfa_delete", bucketARN), fail("iam.cloudtrail_full_access", "arn:aws:iam::"+acct+":root"),
		fail("bucket.dedicated_account", bucketARN)}
	p := NewPlan(inv, fs, DefaultOptions())
	if !p.Empty() || len(p.Manual) != 3 {
		t.Fatalf("steps %v manual %+v", stepIDs(p), p.Manual)
	}
	for _, m := range p.Manual {
		if len(m.Steps) == 0 {
			t.Errorf("%s has no instructions", m.Rule)
		}
		if m.Rule == "bucket.mfa_delete" && !strings.Contains(strings.Join(m.Steps, " "), "root") {
			t.Errorf("MFA Delete instructions must say the root user is needed: %v", m.Steps)
		}
	}
}

func TestPlanRefusesBucketOfAnotherAccount(t *testing.T) {
	inv := testInventory()
	inv.Buckets[0].OwnedByScannedAccount, inv.Buckets[0].OwnerAccountID = false, "999988887777"
	p := NewPlan(inv, []findings.Finding{fail("bucket.versioning", bucketARN)}, DefaultOptions())
	if !p.Empty() || len(p.Refused) != 1 || !strings.Contains(p.Refused[0].Reason, "999988887777") {
		t.Fatalf("steps %v refused %+v", stepIDs(p), p.Refused)
	}
}

func TestWantSelectors(t *testing.T) {
	for _, tc := range []struct {
		name              string
		in                inventory.EventSelectors
		mgmt, write, read bool
	}{
		{"default selectors, add writes", inventory.EventSelectors{}, false, true, false},
		{"write-only management", inventory.EventSelectors{Basic: []inventory.EventSelector{{ReadWriteType: "WriteOnly", IncludeManagementEvents: true}}}, true, false, false},
		{"excluded sources and one-bucket data events", inventory.EventSelectors{Basic: []inventory.EventSelector{{ReadWriteType: "All", IncludeManagementEvents: true,
			ExcludeManagementEventSources: []string{"kms.amazonaws.com"},
			DataResources:                 []inventory.DataResource{{Type: "AWS::S3::Object", Values: []string{"arn:aws:s3:::one/"}}}}}}, true, true, true},
		{"advanced with excluded source", inventory.EventSelectors{Advanced: []inventory.AdvancedEventSelector{{Name: "mgmt", FieldSelectors: []inventory.FieldSelector{
			{Field: "eventCategory", Equals: []string{"Management"}}, {Field: "eventSource", NotEquals: []string{"kms.amazonaws.com"}}}}}}, true, true, false},
	} {
		out, err := WantSelectors(tc.in, "aws", tc.mgmt, tc.write, tc.read)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		cov := selectors.EvaluatePartition(out, "aws")
		if tc.mgmt && cov.Management.Kind() != selectors.ManagementAll {
			t.Errorf("%s: management %s", tc.name, cov.Management.Describe())
		}
		if tc.write && cov.S3Write.Level != selectors.All {
			t.Errorf("%s: writes %s", tc.name, cov.S3Write.Describe())
		}
		if tc.read != (cov.S3Read.Level == selectors.All) && tc.read {
			t.Errorf("%s: reads %s", tc.name, cov.S3Read.Describe())
		}
		if !tc.read && tc.write && cov.S3Read.Level == selectors.All {
			t.Errorf("%s: reads must not be turned on without --with-read-events", tc.name)
		}
	}
	// The one-bucket data resource is kept alongside the new selector.
	in := inventory.EventSelectors{Basic: []inventory.EventSelector{{ReadWriteType: "All", DataResources: []inventory.DataResource{{Type: "AWS::Lambda::Function", Values: []string{"arn:aws:lambda"}}}}}}
	out, err := WantSelectors(in, "aws", true, true, false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(out.Basic, func(s inventory.EventSelector) bool {
		return len(s.DataResources) == 1 && s.DataResources[0].Type == "AWS::Lambda::Function"
	}) {
		t.Errorf("existing data resources were dropped: %+v", out.Basic)
	}
	// Six basic selectors cannot be written.
	many := inventory.EventSelectors{}
	for i := 0; i < 5; i++ {
		many.Basic = append(many.Basic, inventory.EventSelector{ReadWriteType: "All", DataResources: []inventory.DataResource{{Type: "AWS::Lambda::Function", Values: []string{"arn:aws:lambda:eu-west-1:1:function:f" + string(rune('a'+i))}}}})
	}
	if _, err := WantSelectors(many, "aws", false, true, false); err == nil {
		t.Error("more than five basic selectors must be refused")
	}
}

func TestHardenBucketPolicyKeepsStatements(t *testing.T) {
	in := HardenInput{Bucket: "logs", Partition: "aws", Account: acct, Trails: []inventory.Trail{testTrail()}}
	doc := `{"Version":"2012-10-17","Id":"keep-me","Statement":[
		{"Sid":"AWSCloudTrailAclCheck","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::logs"},
		{"Sid":"AWSCloudTrailWrite","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::logs/*","Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}},
		{"Sid":"Readers","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:role/reader"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::logs/${aws:username}/*"}]}`
	h, err := HardenBucketPolicy(doc, in)
	if err != nil {
		t.Fatal(err)
	}
	d, err := policy.Parse(h.Document)
	if err != nil {
		t.Fatal(err)
	}
	var sids []string
	for _, s := range d.Statements {
		sids = append(sids, s.Sid)
	}
	if !slices.Equal(sids, []string{"AWSCloudTrailAclCheck", "AWSCloudTrailWrite", "Readers", "DenyInsecureTransport"}) {
		t.Fatalf("statements %v", sids)
	}
	w := d.Statements[1]
	if !hasSourceCondition(w) || len(policy.WideLogResources(w.Resources, "arn:aws:s3:::logs")) > 0 {
		t.Errorf("write statement not hardened: %+v", w)
	}
	if len(w.ConditionsOn("s3:x-amz-acl")) != 1 {
		t.Error("the existing condition must be kept")
	}
	if !d.DeniesInsecureTransport("arn:aws:s3:::logs", "arn:aws:s3:::logs/*") {
		t.Error("no TLS deny")
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(h.Document), &raw); err != nil || raw["Id"] != "keep-me" {
		t.Errorf("top-level fields must survive: %v %v", raw["Id"], err)
	}
	if !strings.Contains(h.Document, "${aws:username}") {
		t.Error("policy variables must be kept literally")
	}

	// Already hard: no change.
	again, err := HardenBucketPolicy(h.Document, in)
	if err != nil || len(again.Changes) != 0 {
		t.Errorf("hardening twice changed %v (%v)", again.Changes, err)
	}

	// No policy at all: the CloudTrail statements are added with the deny.
	fresh, err := HardenBucketPolicy("", in)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckDelivery(fresh.Document, in); err != nil {
		t.Errorf("a new policy must let the trail deliver: %v", err)
	}
}

func TestCheckDeliveryRefuses(t *testing.T) {
	in := HardenInput{Bucket: "logs", Partition: "aws", Account: acct, Trails: []inventory.Trail{testTrail()}}
	noWrite := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::logs"}]}`
	if err := CheckDelivery(noWrite, in); err == nil || !strings.Contains(err.Error(), "would not let CloudTrail write") {
		t.Errorf("missing write statement: %v", err)
	}
	denyAll := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":["s3:GetBucketAcl","s3:PutObject"],"Resource":["arn:aws:s3:::logs","arn:aws:s3:::logs/*"]},
		{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::logs/*"}]}`
	if err := CheckDelivery(denyAll, in); err == nil || !strings.Contains(err.Error(), "denies PutObject") {
		t.Errorf("unconditional deny: %v", err)
	}
}

func TestCheckKeyPolicy(t *testing.T) {
	if err := CheckKeyPolicy(TrailKeyPolicy("aws", acct, trailARN), trailARN); err != nil {
		t.Errorf("generated policy: %v", err)
	}
	other := "arn:aws:cloudtrail:eu-west-1:" + acct + ":trail/other"
	if err := CheckKeyPolicy(TrailKeyPolicy("aws", acct, other), trailARN); err == nil {
		t.Error("a key scoped to another trail must be refused")
	}
	adminOnly := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"kms:*","Resource":"*"}]}`
	if err := CheckKeyPolicy(adminOnly, trailARN); err == nil {
		t.Error("a key policy without a CloudTrail grant must be refused")
	}
}

func TestLifecycleRules(t *testing.T) {
	created := LifecycleRules(nil, []string{"AWSLogs/"}, 400)
	if len(created) != 1 || *created[0].Expiration.Days != 400 || *created[0].Transitions[0].Days != 90 {
		t.Fatalf("created %+v", created)
	}
	if short := LifecycleRules(nil, []string{"AWSLogs/"}, 30); len(short[0].Transitions) != 0 {
		t.Error("no transition may come at or after the expiration")
	}
	cur := []s3types.LifecycleRule{
		{ID: aws.String("logs"), Status: s3types.ExpirationStatusEnabled, Filter: &s3types.LifecycleRuleFilter{Prefix: aws.String("AWSLogs/")},
			Expiration: &s3types.LifecycleExpiration{Days: aws.Int32(30)}, NoncurrentVersionExpiration: &s3types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(7)}},
		{ID: aws.String("tmp"), Status: s3types.ExpirationStatusEnabled, Filter: &s3types.LifecycleRuleFilter{Prefix: aws.String("tmp/")},
			Expiration: &s3types.LifecycleExpiration{Days: aws.Int32(1)}},
		{ID: aws.String("long"), Status: s3types.ExpirationStatusEnabled, Filter: &s3types.LifecycleRuleFilter{Prefix: aws.String("")},
			Expiration: &s3types.LifecycleExpiration{Days: aws.Int32(2000)}},
	}
	out := LifecycleRules(cur, []string{"AWSLogs/"}, 365)
	if *out[0].Expiration.Days != 365 || *out[0].NoncurrentVersionExpiration.NoncurrentDays != 365 {
		t.Errorf("short log rule not raised: %+v", out[0])
	}
	if *out[1].Expiration.Days != 1 {
		t.Error("a rule outside the log prefixes must be left alone")
	}
	if *out[2].Expiration.Days != 2000 {
		t.Error("a longer expiration must never be shortened")
	}
	if *cur[0].Expiration.Days != 30 {
		t.Error("the input rules must not be modified (the journal keeps them)")
	}
	dated := []s3types.LifecycleRule{{ID: aws.String("sunset"), Status: s3types.ExpirationStatusEnabled,
		Filter:     &s3types.LifecycleRuleFilter{Prefix: aws.String("")},
		Expiration: &s3types.LifecycleExpiration{Date: aws.Time(time.Date(2031, 6, 30, 0, 0, 0, 0, time.UTC))}}}
	out = LifecycleRules(dated, []string{"AWSLogs/"}, 365)
	if out[0].Expiration.Date != nil || aws.ToInt32(out[0].Expiration.Days) != 365 {
		t.Errorf("a fixed-date expiration on the logs must become the minimum in days: %+v", out[0].Expiration)
	}
	if dated[0].Expiration.Date == nil {
		t.Error("the input rules must not be modified (the journal keeps them)")
	}
}

// TestPlanMergesSelectorStepsAcrossReallocation: management events and data
// events on the same trail become one selectors step carrying both, even
// when other steps were planned in between.
func TestPlanMergesSelectorStepsAcrossReallocation(t *testing.T) {
	inv := testInventory()
	inv.Trails[0].Status = inventory.Ok(inventory.TrailStatus{IsLogging: false})
	inv.Trails[0].Selectors = inventory.Ok(inventory.EventSelectors{Basic: []inventory.EventSelector{{ReadWriteType: "WriteOnly", IncludeManagementEvents: true}}})
	fs := []findings.Finding{
		fail("trail.management_events", trailARN),
		fail("trail.cloudwatch_logs", trailARN),
		fail("trail.logging", trailARN),
		fail("trail.s3_data_events_write", "arn:aws:iam::"+acct+":root"),
	}
	p := NewPlan(inv, fs, DefaultOptions())
	var sel *Step
	for i := range p.Steps {
		if p.Steps[i].Kind == KindTrailSelectors {
			if sel != nil {
				t.Fatal("two selector steps for one trail")
			}
			sel = &p.Steps[i]
		}
	}
	if sel == nil {
		t.Fatalf("no selectors step in %v", stepIDs(p))
	}
	if !slices.Contains(sel.Rules, "trail.s3_data_events_write") || !slices.Contains(sel.Rules, "trail.management_events") {
		t.Errorf("rules %v", sel.Rules)
	}
	hasData := false
	for _, b := range sel.Params.(*SelectorsParams).Selectors.Basic {
		if len(b.DataResources) > 0 {
			hasData = true
		}
	}
	for _, a := range sel.Params.(*SelectorsParams).Selectors.Advanced {
		for _, f := range a.FieldSelectors {
			if f.Field == "eventCategory" && slices.Contains(f.Equals, "Data") {
				hasData = true
			}
		}
	}
	if !hasData {
		t.Errorf("the selectors step lost the data events: %+v", sel.Params.(*SelectorsParams).Selectors)
	}
}
