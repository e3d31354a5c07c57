package collect_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/trailseal/trailseal/internal/collect"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/testenv"
)

func TestCollectSingleRegionTrailToPublicBucket(t *testing.T) {
	ctx := fresh(t)
	cfg := seedConfig(t, ctx, "eu-west-1")
	arn := seedTrail(t, ctx, cfg, &cloudtrail.CreateTrailInput{
		Name:         aws.String("regional"),
		S3BucketName: aws.String("open-logs"),
	})
	s := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	_, err := s.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("open-logs"), ACL: s3types.BucketCannedACLPublicRead})
	must(t, "public acl", err)
	public := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::open-logs/*"}]}`
	_, err = s.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("open-logs"), Policy: aws.String(public)})
	must(t, "public policy", err)

	inv := scan(t, ctx, scanConfig(t, ctx))

	if len(inv.Trails) != 1 {
		t.Fatalf("want 1 trail, got %+v", inv.Trails)
	}
	tr := inv.Trails[0]
	if tr.ARN != arn || tr.HomeRegion != "eu-west-1" || tr.IsMultiRegion || tr.LogFileValidationEnabled || tr.KMSKeyID != "" {
		t.Errorf("trail: want single-region eu-west-1 without validation or key, got %+v", tr)
	}
	if tr.Status.Value == nil || tr.Status.Value.IsLogging {
		t.Errorf("status: want read and not logging (never started), got %+v", tr.Status)
	}
	b := inv.Bucket("open-logs")
	if b == nil {
		t.Fatalf("bucket missing: %+v", inv.Buckets)
	}
	if diff := cmp.Diff(inventory.Ok("eu-west-1"), b.Region); diff != "" {
		t.Errorf("region (-want +got):\n%s", diff)
	}
	var allUsersRead bool
	for _, g := range b.ACL.Value.Grants {
		if g.GranteeType == "Group" && g.URI == "http://acs.amazonaws.com/groups/global/AllUsers" && g.Permission == "READ" {
			allUsersRead = true
		}
	}
	if !allUsersRead {
		t.Errorf("acl: want an AllUsers READ grant, got %+v", b.ACL.Value)
	}
	if b.Policy.Value == nil || !b.Policy.Value.Exists || !jsonEqual(t, public, b.Policy.Value.Document) {
		t.Errorf("policy: want the public policy, got %+v", b.Policy)
	}
	wantOff := []struct {
		name      string
		want, got any
	}{
		{"public access block", inventory.Ok(inventory.PublicAccessBlock{Configured: false}), b.PublicAccessBlock},
		{"object lock", inventory.Ok(inventory.ObjectLock{Enabled: false}), b.ObjectLock},
		{"lifecycle", inventory.Ok(inventory.Lifecycle{Configured: false}), b.Lifecycle},
		{"logging", inventory.Ok(inventory.AccessLogging{}), b.Logging},
		{"versioning", inventory.Ok(inventory.Versioning{}), b.Versioning},
		{"account public access block", inventory.Ok(inventory.PublicAccessBlock{Configured: false}), inv.AccountPublicAccessBlock},
	}
	for _, c := range wantOff {
		if diff := cmp.Diff(c.want, c.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
	if !b.PolicyStatus.Known() || !b.Encryption.Known() || !b.Ownership.Known() {
		t.Errorf("policy status, encryption, ownership: want read, got %s / %s / %s", b.PolicyStatus.Problem(), b.Encryption.Problem(), b.Ownership.Problem())
	}
	if len(inv.Keys) != 0 || len(inv.LogGroups) != 0 || len(inv.Topics) != 0 {
		t.Errorf("want no keys, log groups or topics, got %d/%d/%d", len(inv.Keys), len(inv.LogGroups), len(inv.Topics))
	}
	if len(inv.ConfigRecorders) != 1 || inv.ConfigRecorders[0].Region != "eu-west-1" {
		t.Errorf("config: want the bucket region eu-west-1, got %+v", inv.ConfigRecorders)
	}
}

// TestCollectOrganizationTrailFromMember scans a member account whose only
// trail is the management account's organization trail.
//
// moto keeps trails per account and does not show an organization trail to
// member accounts, so the proxy simulates what AWS does: the member's
// DescribeTrails calls are answered with the management account's view
// (by presenting the management account's access key to moto). Every other
// call keeps the member's identity.
func TestCollectOrganizationTrailFromMember(t *testing.T) {
	ctx := fresh(t)
	mgmt := seedConfig(t, ctx, "us-east-1")
	orgs := organizations.NewFromConfig(mgmt)
	_, err := orgs.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll})
	must(t, "organization", err)
	acct, err := orgs.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("member"), Email: aws.String("member@example.com")})
	must(t, "member account", err)
	member := aws.ToString(acct.CreateAccountStatus.AccountId)
	trailARN := seedTrail(t, ctx, mgmt, &cloudtrail.CreateTrailInput{
		Name:                aws.String("org"),
		S3BucketName:        aws.String("org-archive"),
		IsMultiRegionTrail:  aws.Bool(true),
		IsOrganizationTrail: aws.Bool(true),
		KmsKeyId:            aws.String("arn:aws:kms:us-east-1:" + motoAccount + ":key/11111111-2222-3333-4444-555555555555"),
	})

	cfg := assumeInto(t, ctx, member)
	memberKey, err := cfg.Credentials.Retrieve(ctx)
	must(t, "member credentials", err)
	proxy.Alter(func(r *http.Request) {
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".DescribeTrails") {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "Credential="+memberKey.AccessKeyID+"/", "Credential=testing/", 1))
		}
	})

	inv := scan(t, ctx, cfg)

	if inv.Account.ID != member {
		t.Fatalf("scanned account: want member %s, got %s", member, inv.Account.ID)
	}
	if inv.Organization.Value == nil || !inv.Organization.Value.Member || inv.Organization.Value.ManagementAccountID != motoAccount {
		t.Errorf("organization: want member of %s's organization, got %+v", motoAccount, inv.Organization)
	}
	if len(inv.Trails) != 1 {
		t.Fatalf("want the organization trail once, got %+v", inv.Trails)
	}
	tr := inv.Trails[0]
	if tr.ARN != trailARN || tr.OwnerAccountID != motoAccount || !tr.IsOrganizationTrail {
		t.Errorf("trail: want %s owned by %s, got %+v", trailARN, motoAccount, tr)
	}
	// Whether a member may read the status depends on AWS; either way it
	// must be an answer or a recorded failure, never silence.
	if !tr.Status.Known() && tr.Status.Error == nil {
		t.Errorf("status neither read nor failed: %+v", tr.Status)
	}
	b := inv.Bucket("org-archive")
	if b == nil {
		t.Fatalf("bucket missing: %+v", inv.Buckets)
	}
	if b.OwnedByScannedAccount || b.OwnerAccountID != motoAccount {
		t.Errorf("bucket ownership: want held by %s, got owned=%v owner=%q", motoAccount, b.OwnedByScannedAccount, b.OwnerAccountID)
	}
	elsewhere := map[string]*inventory.Elsewhere{
		"region": b.Region.Elsewhere, "versioning": b.Versioning.Elsewhere, "objectLock": b.ObjectLock.Elsewhere,
		"encryption": b.Encryption.Elsewhere, "publicAccessBlock": b.PublicAccessBlock.Elsewhere, "policy": b.Policy.Elsewhere,
		"policyStatus": b.PolicyStatus.Elsewhere, "acl": b.ACL.Elsewhere, "ownership": b.Ownership.Elsewhere,
		"logging": b.Logging.Elsewhere, "lifecycle": b.Lifecycle.Elsewhere,
	}
	for name, e := range elsewhere {
		if e == nil || e.OwnerAccountID != motoAccount {
			t.Errorf("bucket %s: want Elsewhere in %s, got %+v", name, motoAccount, e)
		}
	}
	for _, r := range proxy.Requests() {
		if r.Service == "s3" && strings.HasPrefix(r.Path, "/org-archive") {
			t.Errorf("made a call on the foreign bucket: %s %s?%s", r.Method, r.Path, r.Query)
		}
	}
	if len(inv.Keys) != 1 || inv.Keys[0].OwnerAccountID != motoAccount {
		t.Fatalf("key: want one key owned by %s, got %+v", motoAccount, inv.Keys)
	}
	if k := inv.Keys[0]; k.Metadata.Value == nil && k.Metadata.Elsewhere == nil && k.Metadata.Error == nil {
		t.Errorf("key metadata not collected: %+v", k.Metadata)
	}
	if len(inv.ConfigRecorders) != 0 {
		t.Errorf("config: no owned bucket, want no regions read, got %+v", inv.ConfigRecorders)
	}
}

func TestCollectStoppedTrail(t *testing.T) {
	ctx := fresh(t)
	cfg := seedConfig(t, ctx, "us-east-1")
	seedTrail(t, ctx, cfg, &cloudtrail.CreateTrailInput{Name: aws.String("paused"), S3BucketName: aws.String("paused-logs"), IsMultiRegionTrail: aws.Bool(true)})
	ct := cloudtrail.NewFromConfig(cfg)
	_, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("paused")})
	must(t, "start logging", err)
	_, err = ct.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("paused")})
	must(t, "stop logging", err)

	inv := scan(t, ctx, scanConfig(t, ctx))
	if len(inv.Trails) != 1 {
		t.Fatalf("want 1 trail, got %+v", inv.Trails)
	}
	st := inv.Trails[0].Status
	if st.Value == nil {
		t.Fatalf("status not read: %s", st.Problem())
	}
	if st.Value.IsLogging {
		t.Errorf("want IsLogging false after StopLogging")
	}
	if st.Value.StopLoggingTime == nil || st.Value.StopLoggingTime.Before(inv.CollectedAt.Add(-10*time.Minute)) {
		t.Errorf("want a recent StopLoggingTime, got %v", st.Value.StopLoggingTime)
	}
}

func TestCollectEventSelectors(t *testing.T) {
	ctx := fresh(t)
	cfg := seedConfig(t, ctx, "us-east-1")
	advARN := seedTrail(t, ctx, cfg, &cloudtrail.CreateTrailInput{Name: aws.String("advanced"), S3BucketName: aws.String("adv-logs"), IsMultiRegionTrail: aws.Bool(true)})
	basicARN := seedTrail(t, ctx, cfg, &cloudtrail.CreateTrailInput{Name: aws.String("basic"), S3BucketName: aws.String("basic-logs")})
	ct := cloudtrail.NewFromConfig(cfg)
	_, err := ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{
		TrailName: aws.String("advanced"),
		AdvancedEventSelectors: []cttypes.AdvancedEventSelector{
			{Name: aws.String("management"), FieldSelectors: []cttypes.AdvancedFieldSelector{
				{Field: aws.String("eventCategory"), Equals: []string{"Management"}},
				{Field: aws.String("eventSource"), NotEquals: []string{"kms.amazonaws.com"}},
			}},
			{Name: aws.String("Log all S3 events"), FieldSelectors: []cttypes.AdvancedFieldSelector{
				{Field: aws.String("eventCategory"), Equals: []string{"Data"}},
				{Field: aws.String("resources.type"), Equals: []string{"AWS::S3::Object"}},
				{Field: aws.String("readOnly"), Equals: []string{"false"}},
				{Field: aws.String("resources.ARN"), StartsWith: []string{"arn:aws:s3:::payroll/", "arn:aws:s3:::hr/"}},
			}},
		},
	})
	must(t, "advanced selectors", err)
	_, err = ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{
		TrailName: aws.String("basic"),
		EventSelectors: []cttypes.EventSelector{{
			ReadWriteType:           cttypes.ReadWriteTypeWriteOnly,
			IncludeManagementEvents: aws.Bool(true),
			DataResources:           []cttypes.DataResource{{Type: aws.String("AWS::S3::Object"), Values: []string{"arn:aws:s3"}}},
		}},
	})
	must(t, "basic selectors", err)

	inv := scan(t, ctx, scanConfig(t, ctx))
	got := map[string]inventory.Result[inventory.EventSelectors]{}
	for _, tr := range inv.Trails {
		got[tr.ARN] = tr.Selectors
	}
	want := map[string]inventory.Result[inventory.EventSelectors]{
		advARN: inventory.Ok(inventory.EventSelectors{Advanced: []inventory.AdvancedEventSelector{
			{Name: "management", FieldSelectors: []inventory.FieldSelector{
				{Field: "eventCategory", Equals: []string{"Management"}},
				{Field: "eventSource", NotEquals: []string{"kms.amazonaws.com"}},
			}},
			{Name: "Log all S3 events", FieldSelectors: []inventory.FieldSelector{
				{Field: "eventCategory", Equals: []string{"Data"}},
				{Field: "resources.type", Equals: []string{"AWS::S3::Object"}},
				{Field: "readOnly", Equals: []string{"false"}},
				{Field: "resources.ARN", StartsWith: []string{"arn:aws:s3:::payroll/", "arn:aws:s3:::hr/"}},
			}},
		}}),
		basicARN: inventory.Ok(inventory.EventSelectors{Basic: []inventory.EventSelector{{
			ReadWriteType:           "WriteOnly",
			IncludeManagementEvents: true,
			DataResources:           []inventory.DataResource{{Type: "AWS::S3::Object", Values: []string{"arn:aws:s3"}}},
		}}}),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("selectors (-want +got):\n%s", diff)
	}
}

// TestCollectAccessDeniedOnOneCall denies s3:GetBucketPolicy at the proxy
// and checks that only that piece of evidence is lost. The same proxy
// simulates MFA Delete, which moto accepts but never reports back.
func TestCollectAccessDeniedOnOneCall(t *testing.T) {
	ctx := fresh(t)
	seedWellConfigured(t, ctx)
	proxy.Intercept(func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		if r.Method == http.MethodGet && r.URL.Path == "/"+trailBucket && r.URL.Query().Has("policy") {
			testenv.S3Error(w, http.StatusForbidden, "AccessDenied", "Access Denied")
			return true
		}
		return false
	})
	proxy.Rewrite(func(r *http.Request, status int, _ http.Header, body []byte) (int, []byte) {
		if r.Method == http.MethodGet && r.URL.Path == "/"+trailBucket && r.URL.Query().Has("versioning") {
			// Insert before the root's closing tag, whatever moto names it.
			if i := bytes.LastIndex(body, []byte("</")); i >= 0 {
				body = append(body[:i:i], append([]byte("<MfaDelete>Enabled</MfaDelete>"), body[i:]...)...)
			}
		}
		return status, body
	})

	inv := scan(t, ctx, scanConfig(t, ctx))
	b := inv.Bucket(trailBucket)
	if b == nil {
		t.Fatalf("bucket missing")
	}
	if b.Policy.Error == nil || b.Policy.Error.Call != "s3:GetBucketPolicy" || b.Policy.Error.Code != "AccessDenied" || b.Policy.Value != nil {
		t.Errorf("policy: want Error{s3:GetBucketPolicy AccessDenied}, got %+v / %s", b.Policy, b.Policy.Problem())
	}
	if diff := cmp.Diff(inventory.Ok(inventory.Versioning{Status: "Enabled", MFADelete: "Enabled"}), b.Versioning); diff != "" {
		t.Errorf("versioning with simulated MFA Delete (-want +got):\n%s", diff)
	}
	others := map[string]string{
		"region": b.Region.Problem(), "objectLock": b.ObjectLock.Problem(), "encryption": b.Encryption.Problem(),
		"publicAccessBlock": b.PublicAccessBlock.Problem(), "policyStatus": b.PolicyStatus.Problem(), "acl": b.ACL.Problem(),
		"ownership": b.Ownership.Problem(), "logging": b.Logging.Problem(), "lifecycle": b.Lifecycle.Problem(),
		"trail status": inv.Trails[0].Status.Problem(), "key": inv.Keys[0].Metadata.Problem(),
		"alarms": inv.LogGroups[0].Alarms.Problem(), "iam": inv.IAM.Problem(),
	}
	for name, problem := range others {
		if problem != "" {
			t.Errorf("%s: want read despite the denied policy call, got %s", name, problem)
		}
	}
}

func TestCollectWithoutCredentials(t *testing.T) {
	t.Run("rejected by STS", func(t *testing.T) {
		ctx := fresh(t)
		proxy.Intercept(func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
			_, _, svc := testenv.CredentialScope(r.Header.Get("Authorization"))
			if svc == "sts" {
				testenv.QueryError(w, http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
				return true
			}
			return false
		})
		inv, err := collect.Collect(ctx, scanConfig(t, ctx), collect.Options{Regions: scanRegions})
		if err == nil || inv != nil {
			t.Fatalf("want an error and no inventory, got %v / %v", err, inv)
		}
		if msg := err.Error(); !strings.Contains(msg, "credentials") || !strings.Contains(msg, "InvalidClientTokenId") || strings.Contains(msg, "\n") {
			t.Errorf("error should be one line naming credentials and the code, got %q", msg)
		}
		for _, r := range proxy.Requests() {
			if r.Service != "sts" {
				t.Errorf("made a call after the identity check failed: %s %s", r.Service, r.Path)
			}
		}
	})
	t.Run("no provider", func(t *testing.T) {
		ctx := fresh(t)
		cfg := scanConfig(t, ctx)
		cfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{}, errors.New("no EC2 IMDS role found")
		})
		_, err := collect.Collect(ctx, cfg, collect.Options{Regions: scanRegions})
		if err == nil || !strings.Contains(err.Error(), "credentials") {
			t.Fatalf("want an error about credentials, got %v", err)
		}
	})
}

// TestCollectCallsEachResourceOnce runs two trails that share a bucket, a
// key and a log group and checks that nothing is asked twice.
func TestCollectCallsEachResourceOnce(t *testing.T) {
	ctx := fresh(t)
	w := seedWellConfigured(t, ctx)
	eu := seedConfig(t, ctx, "eu-west-1")
	_, err := cloudtrail.NewFromConfig(eu).CreateTrail(ctx, &cloudtrail.CreateTrailInput{
		Name:                      aws.String("second"),
		S3BucketName:              aws.String(trailBucket),
		KmsKeyId:                  aws.String(w.keyARN),
		CloudWatchLogsLogGroupArn: aws.String(w.logGroupARN),
		CloudWatchLogsRoleArn:     aws.String(w.roleARN),
	})
	must(t, "second trail", err)

	inv := scan(t, ctx, scanConfig(t, ctx))
	if len(inv.Trails) != 2 || len(inv.Buckets) != 1 || len(inv.Keys) != 1 || len(inv.LogGroups) != 1 {
		t.Fatalf("want 2 trails sharing 1 bucket, key and log group; got %d/%d/%d/%d", len(inv.Trails), len(inv.Buckets), len(inv.Keys), len(inv.LogGroups))
	}

	reqs := proxy.Requests()
	seen := map[string]int{}
	for _, r := range reqs {
		sig := strings.Join([]string{r.Service, r.Region, r.Method, r.Path, r.Query, r.Target, string(r.Body)}, "|")
		seen[sig]++
	}
	for sig, n := range seen {
		if n > 1 {
			t.Errorf("request made %d times: %s", n, sig)
		}
	}
	total := 0
	for _, n := range inv.Calls {
		total += n
	}
	if total != len(reqs) {
		t.Errorf("inv.Calls counts %d calls, the proxy saw %d requests", total, len(reqs))
	}
	for call, want := range map[string]int{
		"sts:GetCallerIdentity":      1,
		"cloudtrail:DescribeTrails":  len(scanRegions),
		"cloudtrail:GetTrailStatus":  2,
		"s3:ListBuckets":             1,
		"s3:GetBucketVersioning":     1,
		"kms:DescribeKey":            1,
		"logs:DescribeMetricFilters": 1,
	} {
		if got := inv.Calls[call]; got != want {
			t.Errorf("calls[%s] = %d, want %d", call, got, want)
		}
	}
}

func TestCollectRegionDiscoveryFallback(t *testing.T) {
	ctx := fresh(t)
	proxy.Intercept(func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if bytes.Contains(body, []byte("Action=DescribeRegions")) {
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>denied</Message></Error></Errors><RequestID>x</RequestID></Response>`))
			return true
		}
		return false
	})
	var mu sync.Mutex
	var lastDone, lastTotal, reports int
	progress := func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		lastDone, lastTotal = done, total
		reports++
	}
	inv, err := collect.Collect(ctx, scanConfig(t, ctx), collect.Options{Progress: progress})
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if reports == 0 || lastDone != lastTotal {
		t.Errorf("progress: want reports ending with done == total, got %d reports, last %d/%d", reports, lastDone, lastTotal)
	}
	if diff := cmp.Diff([]string{"us-east-1"}, inv.Regions); diff != "" {
		t.Errorf("regions (-want +got):\n%s", diff)
	}
	if len(inv.RegionErrors) != 1 || inv.RegionErrors[0].Error.Call != "ec2:DescribeRegions" || inv.RegionErrors[0].Error.Code != "UnauthorizedOperation" {
		t.Errorf("region errors: want the DescribeRegions failure, got %+v", inv.RegionErrors)
	}
}

func BenchmarkCollect(b *testing.B) {
	ctx := context.Background()
	if err := moto.Reset(); err != nil {
		b.Fatal(err)
	}
	proxy.Clear()
	seedWellConfigured(b, ctx)
	cfg := scanConfig(b, ctx)
	calls := 0
	for b.Loop() {
		inv, err := collect.Collect(ctx, cfg, collect.Options{Regions: scanRegions})
		if err != nil {
			b.Fatal(err)
		}
		for _, n := range inv.Calls {
			calls += n
		}
	}
	b.ReportMetric(float64(calls)/float64(b.N), "calls/scan")
}
