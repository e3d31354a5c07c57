package orgscan_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/trailseal/trailseal/internal/testenv"
)

// The tests share one emulator and one proxy in front of it; each test
// resets both before seeding.
var (
	moto  *testenv.Moto
	proxy *testenv.Proxy
)

const managementAccount = "123456789012"

const archiveBucket = "org-archive-logs"

func TestMain(m *testing.M) {
	testenv.Main(m, testenv.Setup{
		Package: "orgscan",
		Proxy:   true,
		Ready:   func(m *testenv.Moto, p *testenv.Proxy) error { moto, proxy = m, p; return nil },
	})
}

func fresh(t *testing.T) context.Context {
	t.Helper()
	return testenv.Fresh(t, moto, proxy, 2*time.Minute)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
}

// orgFixture is a four-account organization: the management account with a
// logging multi-region organization trail into the log archive bucket, a
// log archive account that owns the bucket, a member with its own trail
// into the same bucket, and a member whose audit role cannot be assumed.
type orgFixture struct {
	orgID                    string
	archive, member, blocked string
}

func seedOrg(t *testing.T, ctx context.Context) orgFixture {
	t.Helper()
	seed, err := testenv.Config(ctx, moto.Endpoint, "us-east-1")
	must(t, err)
	orgID, ids, err := testenv.CreateOrganization(ctx, seed, "log-archive", "workload", "blocked")
	must(t, err)
	f := orgFixture{orgID: orgID, archive: ids["log-archive"], member: ids["workload"], blocked: ids["blocked"]}

	archiveCfg, err := testenv.AssumeConfig(ctx, seed, f.archive)
	must(t, err)
	must(t, testenv.CreateBucket(ctx, archiveCfg, archiveBucket))
	// In AWS the log archive account sees the organization trail and so
	// reads its own bucket; moto does not share trails between accounts,
	// so a local trail into the bucket stands in for it.
	_, err = testenv.CreateLoggingTrail(ctx, archiveCfg, &cloudtrail.CreateTrailInput{
		Name: aws.String("archive-local"), S3BucketName: aws.String(archiveBucket), IsMultiRegionTrail: aws.Bool(true),
	})
	must(t, err)

	_, err = testenv.CreateLoggingTrail(ctx, seed, &cloudtrail.CreateTrailInput{
		Name: aws.String("org-trail"), S3BucketName: aws.String(archiveBucket),
		IsMultiRegionTrail: aws.Bool(true), IsOrganizationTrail: aws.Bool(true), EnableLogFileValidation: aws.Bool(true),
	})
	must(t, err)

	memberCfg, err := testenv.AssumeConfig(ctx, seed, f.member)
	must(t, err)
	_, err = testenv.CreateLoggingTrail(ctx, memberCfg, &cloudtrail.CreateTrailInput{
		Name: aws.String("workload-trail"), S3BucketName: aws.String(archiveBucket),
	})
	must(t, err)

	proxy.Intercept(testenv.DenyAssumeRole(f.blocked))
	return f
}

// scanConfig sends the scan through the proxy.
func scanConfig(t *testing.T, ctx context.Context) aws.Config {
	t.Helper()
	cfg, err := testenv.Config(ctx, proxy.URL, "us-east-1")
	must(t, err)
	return cfg
}
