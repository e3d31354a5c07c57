package testenv

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
)

// TestKeysProxyAnswersEachRegionWithItsOwnKeys asks the simulated
// ListPublicKeys through the real SDK in three regions. The ListPublicKeys
// API reference: "CloudTrail uses different private and public key pairs
// per Region. Each digest file is signed with a private key unique to its
// Region. When you validate a digest file from a specific Region, you must
// look in the same Region for its corresponding public key." So each
// region answers with its own keys only, filtered by the validity range
// asked, and a region without keys answers none.
func TestKeysProxyAnswersEachRegionWithItsOwnKeys(t *testing.T) {
	upstream := httptest.NewServer(http.NotFoundHandler())
	defer upstream.Close()
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	keys := []PublicKey{
		{DER: []byte("use1-a"), Fingerprint: "aa01", From: t0.Add(-48 * time.Hour), To: t0.Add(-24 * time.Hour), Region: "us-east-1"},
		{DER: []byte("use1-b"), Fingerprint: "aa02", From: t0.Add(-24 * time.Hour), To: t0.Add(24 * time.Hour), Region: "us-east-1"},
		{DER: []byte("euw1-a"), Fingerprint: "bb01", From: t0.Add(-24 * time.Hour), To: t0.Add(24 * time.Hour), Region: "eu-west-1"},
	}
	if _, err := StartKeysProxy(upstream.URL, PublicKey{DER: []byte("x"), Fingerprint: "cc"}); err == nil {
		t.Fatal("a key without a region was accepted")
	}
	p, err := StartKeysProxy(upstream.URL, keys...)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	ask := func(region string, from, to time.Time) []string {
		cfg, err := Config(ctx, p.URL, region)
		if err != nil {
			t.Fatal(err)
		}
		out, err := cloudtrail.NewFromConfig(cfg).ListPublicKeys(ctx, &cloudtrail.ListPublicKeysInput{StartTime: aws.Time(from), EndTime: aws.Time(to)})
		if err != nil {
			t.Fatal(err)
		}
		var fps []string
		for _, k := range out.PublicKeyList {
			fps = append(fps, aws.ToString(k.Fingerprint))
		}
		sort.Strings(fps)
		return fps
	}
	for _, c := range []struct {
		region   string
		from, to time.Time
		want     []string
	}{
		{"us-east-1", t0.Add(-72 * time.Hour), t0, []string{"aa01", "aa02"}},
		{"us-east-1", t0, t0.Add(time.Hour), []string{"aa02"}},
		{"eu-west-1", t0.Add(-72 * time.Hour), t0, []string{"bb01"}},
		{"ap-southeast-2", t0.Add(-72 * time.Hour), t0, nil},
	} {
		if got := ask(c.region, c.from, c.to); len(got) != len(c.want) || (len(got) > 0 && got[0] != c.want[0]) {
			t.Errorf("%s %s..%s: %v, want %v", c.region, c.from, c.to, got, c.want)
		}
	}
	byRegion := p.ListPublicKeysByRegion()
	if byRegion["us-east-1"] != 2 || byRegion["eu-west-1"] != 1 || byRegion["ap-southeast-2"] != 1 {
		t.Errorf("calls by region %v", byRegion)
	}
}

// TestKeysProxyListRegions asks the simulated account:ListRegions through
// the real SDK's paginator. Per its API reference the answer lists each
// region with RegionOptStatus (ENABLED, ENABLING, DISABLING, DISABLED,
// ENABLED_BY_DEFAULT), filtered by RegionOptStatusContains, in pages of at
// most MaxResults (1 to 50) joined by NextToken, for the caller's account
// or the AccountId given.
func TestKeysProxyListRegions(t *testing.T) {
	upstream := httptest.NewServer(http.NotFoundHandler())
	defer upstream.Close()
	p, err := StartKeysProxy(upstream.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.SetRegions("444455556666", map[string]string{"us-east-1": "ENABLED_BY_DEFAULT", "af-south-1": "ENABLED", "me-south-1": "DISABLED"})
	ctx := context.Background()
	cfg, err := Config(ctx, p.URL, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	list := func(in *account.ListRegionsInput) map[string]accounttypes.RegionOptStatus {
		out := map[string]accounttypes.RegionOptStatus{}
		pg := account.NewListRegionsPaginator(account.NewFromConfig(cfg), in)
		for pg.HasMorePages() {
			page, err := pg.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if in.MaxResults != nil && len(page.Regions) > int(*in.MaxResults) {
				t.Errorf("page of %d regions, MaxResults %d", len(page.Regions), *in.MaxResults)
			}
			for _, r := range page.Regions {
				out[aws.ToString(r.RegionName)] = r.RegionOptStatus
			}
		}
		return out
	}
	all := list(&account.ListRegionsInput{MaxResults: aws.Int32(5)})
	if len(all) != len(DefaultRegions()) || all["us-east-1"] != accounttypes.RegionOptStatusEnabledByDefault || all["af-south-1"] != accounttypes.RegionOptStatusDisabled {
		t.Errorf("caller's account: %v", all)
	}
	enabled := list(&account.ListRegionsInput{AccountId: aws.String("444455556666"),
		RegionOptStatusContains: []accounttypes.RegionOptStatus{accounttypes.RegionOptStatusEnabled, accounttypes.RegionOptStatusEnabledByDefault}})
	if len(enabled) != 2 || enabled["af-south-1"] != accounttypes.RegionOptStatusEnabled {
		t.Errorf("member account, enabled only: %v", enabled)
	}
	p.FailListRegions(true)
	if _, err := account.NewFromConfig(cfg).ListRegions(ctx, &account.ListRegionsInput{}); err == nil {
		t.Error("ListRegions denied answered")
	}
	if n := p.Calls("account:ListRegions"); n < 5 {
		t.Errorf("%d ListRegions calls counted", n)
	}
}

// TestKeysProxyDescribeTrails: for a target without CloudTrail (MinIO in
// the benchmark) the proxy answers DescribeTrails with the trails set, in
// the shape of its API reference (trailList with TrailARN, HomeRegion,
// S3BucketName, IsMultiRegionTrail), read here by the real SDK.
func TestKeysProxyDescribeTrails(t *testing.T) {
	upstream := httptest.NewServer(http.NotFoundHandler())
	defer upstream.Close()
	p, err := StartKeysProxy(upstream.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	const arn = "arn:aws:cloudtrail:us-east-1:123456789012:trail/bench"
	p.SetTrails(Trail{ARN: arn, Name: "bench", HomeRegion: "us-east-1", Bucket: "bench-trail"})
	ctx := context.Background()
	cfg, err := Config(ctx, p.URL, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	out, err := cloudtrail.NewFromConfig(cfg).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{TrailNameList: []string{arn}})
	if err != nil || len(out.TrailList) != 1 || aws.ToString(out.TrailList[0].S3BucketName) != "bench-trail" || aws.ToBool(out.TrailList[0].IsMultiRegionTrail) {
		t.Fatalf("DescribeTrails: %+v, %v", out, err)
	}
	if p.Counts()["cloudtrail:DescribeTrails"] != 1 {
		t.Errorf("counts %v", p.Counts())
	}
}
