package collect_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/trailseal/trailseal/internal/collect"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/testenv"
)

// The tests share one emulator (starting it takes seconds) and one proxy in
// front of it. Every test resets both before seeding its own state.
var (
	moto  *testenv.Moto
	proxy *testenv.Proxy
)

// motoAccount is the account moto serves to its default credentials.
const motoAccount = "123456789012"

var scanRegions = []string{"eu-west-1", "us-east-1"}

func TestMain(m *testing.M) {
	testenv.Main(m, testenv.Setup{
		Package: "collect",
		MotoEnv: []string{"MOTO_IAM_LOAD_MANAGED_POLICIES=true"},
		Proxy:   true,
		Ready:   func(m *testenv.Moto, p *testenv.Proxy) error { moto, proxy = m, p; return nil },
	})
}

// fresh wipes emulator state and proxy hooks and returns a context bounded
// so that a hung emulator fails the test instead of stalling the run.
func fresh(t testing.TB) context.Context {
	t.Helper()
	return testenv.Fresh(t, moto, proxy, 2*time.Minute)
}

// seedConfig talks to moto directly, so seeding calls are neither counted
// nor intercepted.
func seedConfig(t testing.TB, ctx context.Context, region string) aws.Config {
	t.Helper()
	cfg, err := testenv.Config(ctx, moto.Endpoint, region)
	if err != nil {
		t.Fatalf("sdk config: %v", err)
	}
	return cfg
}

// scanConfig goes through the proxy, so tests can see and alter the
// collector's requests.
func scanConfig(t testing.TB, ctx context.Context) aws.Config {
	t.Helper()
	cfg, err := testenv.Config(ctx, proxy.URL, "us-east-1")
	if err != nil {
		t.Fatalf("sdk config: %v", err)
	}
	return cfg
}

func scan(t testing.TB, ctx context.Context, cfg aws.Config) *inventory.Inventory {
	t.Helper()
	inv, err := collect.Collect(ctx, cfg, collect.Options{Regions: scanRegions, Concurrency: 8})
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	return inv
}

// assumeInto returns a scan config holding credentials of account, which
// moto hands out for any role ARN in that account.
func assumeInto(t testing.TB, ctx context.Context, account string) aws.Config {
	t.Helper()
	out, err := sts.NewFromConfig(seedConfig(t, ctx, "us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::" + account + ":role/auditor"),
		RoleSessionName: aws.String("trailseal-test"),
	})
	if err != nil {
		t.Fatalf("assume role into %s: %v", account, err)
	}
	cfg := scanConfig(t, ctx)
	cr := out.Credentials
	cfg.Credentials = aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(
		aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken)))
	return cfg
}

func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("seed %s: %v", what, err)
	}
}

// jsonEqual compares two JSON documents by value: emulators and AWS may
// reformat a policy they store.
func jsonEqual(t testing.TB, a, b string) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal([]byte(a), &va); err != nil {
		t.Errorf("not JSON: %v: %s", err, a)
		return false
	}
	if err := json.Unmarshal([]byte(b), &vb); err != nil {
		t.Errorf("not JSON: %v: %s", err, b)
		return false
	}
	return reflect.DeepEqual(va, vb)
}
