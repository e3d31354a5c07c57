package fix_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/trailseal/trailseal/internal/collect"
	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/fix"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/rules"
	"github.com/trailseal/trailseal/internal/testenv"
)

var moto *testenv.Moto

const region = "us-east-1"

func TestMain(m *testing.M) {
	testenv.Main(m, testenv.Setup{
		Package: "fix",
		MotoEnv: []string{"MOTO_IAM_LOAD_MANAGED_POLICIES=true"},
		Ready:   func(m *testenv.Moto, _ *testenv.Proxy) error { moto = m; return nil },
	})
}

// fresh wipes the emulator and returns a bounded context and an SDK config.
func fresh(t *testing.T) (context.Context, aws.Config) {
	t.Helper()
	if err := moto.Reset(); err != nil {
		t.Fatalf("reset moto: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	cfg, err := testenv.Config(ctx, moto.Endpoint, region)
	if err != nil {
		t.Fatal(err)
	}
	return ctx, cfg
}

func seed(t *testing.T, ctx context.Context, cfg aws.Config) testenv.Misconfigured {
	t.Helper()
	m, err := testenv.SeedMisconfigured(ctx, cfg, region)
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return m
}

func scan(t *testing.T, ctx context.Context, cfg aws.Config) (*inventory.Inventory, []findings.Finding) {
	t.Helper()
	inv, err := collect.Collect(ctx, cfg, collect.Options{Regions: []string{region}, Concurrency: 8})
	if err != nil {
		t.Fatalf("collect: %v", err)
	}
	return inv, rules.Evaluate(inv, rules.All(), rules.DefaultOptions())
}

// fixOptions are the options the end-to-end tests plan with.
func fixOptions(m testenv.Misconfigured) fix.Options {
	o := fix.DefaultOptions()
	o.AccessLogBucket = m.AccessBucket
	o.AlarmTopicARN = m.TopicARN
	o.WithReadEvents = true
	return o
}

func planFor(t *testing.T, ctx context.Context, cfg aws.Config, m testenv.Misconfigured, opts fix.Options) (*fix.Plan, *inventory.Inventory, []findings.Finding) {
	t.Helper()
	inv, fs := scan(t, ctx, cfg)
	if err := fix.Probe(ctx, fix.NewClients(cfg), inv.Account.ID, region, &opts); err != nil {
		t.Fatal(err)
	}
	return fix.NewPlan(inv, fs, opts), inv, fs
}

func statusOf(fs []findings.Finding) map[string]findings.Status {
	out := map[string]findings.Status{}
	for _, f := range fs {
		out[f.RuleID+" "+f.Resource] = f.Status
	}
	return out
}

// deliveringConfig returns a config whose GetTrailStatus answers carry a
// recent CloudWatch Logs delivery. moto never delivers anything, so without
// this a trail that was just connected to a log group would look like one
// whose delivery is broken; real CloudTrail delivers within minutes.
func deliveringConfig(t *testing.T, ctx context.Context) aws.Config {
	t.Helper()
	p, err := testenv.StartProxy(moto.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	p.Rewrite(func(r *http.Request, status int, _ http.Header, body []byte) (int, []byte) {
		if status != http.StatusOK || !strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".GetTrailStatus") {
			return status, body
		}
		var m map[string]any
		if json.Unmarshal(body, &m) != nil {
			return status, body
		}
		if _, ok := m["LatestCloudWatchLogsDeliveryTime"]; !ok {
			m["LatestCloudWatchLogsDeliveryTime"] = float64(time.Now().Add(-time.Minute).Unix())
		}
		out, _ := json.Marshal(m)
		return status, out
	})
	cfg, err := testenv.Config(ctx, p.URL, region)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
