package collect_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/google/go-cmp/cmp"

	"github.com/trailseal/trailseal/internal/collect"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/testenv"
)

// resultState is what one inventory.Result found in an inventory holds.
type resultState struct {
	path                     string
	value, failed, elsewhere bool
	errCode                  string
}

// results walks inv and lists every inventory.Result in it, so that tests
// can check evidence they did not name one by one.
func results(inv *inventory.Inventory) []resultState {
	var out []resultState
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() {
				walk(path, v.Elem())
			}
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				walk(fmt.Sprintf("%s[%d]", path, i), v.Index(i))
			}
		case reflect.Struct:
			if strings.HasPrefix(v.Type().Name(), "Result[") {
				s := resultState{
					path:      path,
					value:     !v.FieldByName("Value").IsNil(),
					failed:    !v.FieldByName("Error").IsNil(),
					elsewhere: !v.FieldByName("Elsewhere").IsNil(),
				}
				if s.failed {
					s.errCode = v.FieldByName("Error").Elem().FieldByName("Code").String()
				}
				out = append(out, s)
				return
			}
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() {
					walk(path+"."+v.Type().Field(i).Name, v.Field(i))
				}
			}
		}
	}
	walk("inv", reflect.ValueOf(inv))
	return out
}

// denyJSON answers a JSON-protocol call (CloudTrail, KMS, Logs,
// Organizations, Config) with the AccessDeniedException AWS sends.
func denyJSON(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	w.Write([]byte(`{"__type":"AccessDeniedException","message":"not authorized"}`))
}

// TestCollectEveryResultDecided checks the promise that collected evidence
// always says something: a Result with nothing set would be read by rules
// as "never collected", which hides which call to fix.
func TestCollectEveryResultDecided(t *testing.T) {
	ctx := fresh(t)
	seedWellConfigured(t, ctx)
	inv := scan(t, ctx, scanConfig(t, ctx))
	all := results(inv)
	if len(all) < 20 {
		t.Fatalf("walked only %d results; the walker is broken", len(all))
	}
	for _, r := range all {
		n := 0
		for _, b := range []bool{r.value, r.failed, r.elsewhere} {
			if b {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: want exactly one of value/error/elsewhere, got value=%v error=%v elsewhere=%v", r.path, r.value, r.failed, r.elsewhere)
		}
	}
}

// TestCollectDeniedEverywhereIsNeverOk denies every read call after trail
// discovery. A "not configured" mapping that also caught AccessDenied
// would turn into a value here, and from there into a false PASS.
func TestCollectDeniedEverywhereIsNeverOk(t *testing.T) {
	ctx := fresh(t)
	seedWellConfigured(t, ctx)
	allowed := map[string]bool{"sts": true, "ec2": true}
	proxy.Rewrite(func(r *http.Request, status int, _ http.Header, body []byte) (int, []byte) {
		// moto leaves HasInsightSelectors out of DescribeTrails; AWS sets
		// it, and then the insight selectors must be read (and fail).
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".DescribeTrails") && status == http.StatusOK {
			var out map[string][]map[string]any
			if json.Unmarshal(body, &out) == nil {
				for _, tr := range out["trailList"] {
					tr["HasInsightSelectors"] = true
				}
				if b, err := json.Marshal(out); err == nil {
					return status, b
				}
			}
		}
		return status, body
	})
	proxy.Intercept(func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		_, _, svc := testenv.CredentialScope(r.Header.Get("Authorization"))
		target := r.Header.Get("X-Amz-Target")
		switch {
		case allowed[svc], strings.HasSuffix(target, ".DescribeTrails"):
			return false
		case svc == "s3" && r.URL.Path == "/":
			return false // ListBuckets: the bucket must count as ours
		case svc == "s3" && strings.HasPrefix(r.URL.Path, "/v20180820/"):
			// S3 Control signs as s3 and wraps its XML errors in
			// ErrorResponse.
			testenv.QueryError(w, http.StatusForbidden, "AccessDenied", "Access Denied")
		case svc == "s3":
			testenv.S3Error(w, http.StatusForbidden, "AccessDenied", "Access Denied")
		case target != "":
			denyJSON(w)
		default:
			testenv.QueryError(w, http.StatusForbidden, "AccessDenied", "not authorized")
		}
		return true
	})

	inv := scan(t, ctx, scanConfig(t, ctx))
	if len(inv.Trails) != 1 || len(inv.Buckets) != 1 || len(inv.Keys) != 1 || len(inv.LogGroups) != 1 {
		t.Fatalf("want the trail and its bucket, key and log group listed, got %d/%d/%d/%d", len(inv.Trails), len(inv.Buckets), len(inv.Keys), len(inv.LogGroups))
	}
	for _, r := range results(inv) {
		if r.value || r.elsewhere || !r.failed {
			t.Errorf("%s: every call was denied, want an error, got value=%v elsewhere=%v", r.path, r.value, r.elsewhere)
			continue
		}
		if !strings.HasPrefix(r.errCode, "AccessDenied") {
			t.Errorf("%s: want the AccessDenied code kept, got %q", r.path, r.errCode)
		}
	}
}

func TestCollectCanceled(t *testing.T) {
	t.Run("before the identity check", func(t *testing.T) {
		fresh(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		inv, err := collect.Collect(ctx, scanConfig(t, context.Background()), collect.Options{Regions: scanRegions})
		if !errors.Is(err, context.Canceled) || inv != nil {
			t.Fatalf("want context.Canceled and no inventory, got %v / %v", err, inv != nil)
		}
		if strings.Contains(err.Error(), "credentials") {
			t.Errorf("an interrupted scan is not a credentials problem: %q", err)
		}
	})
	t.Run("during the scan", func(t *testing.T) {
		base := fresh(t)
		seedWellConfigured(t, base)
		ctx, cancel := context.WithCancel(base)
		defer cancel()
		proxy.Intercept(func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
			if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".GetTrailStatus") {
				// Ctrl-C while a call is in flight: the call hangs until
				// the client gives up on it.
				cancel()
				select {
				case <-r.Context().Done():
				case <-time.After(30 * time.Second):
				}
				denyJSON(w)
				return true
			}
			return false
		})
		start := time.Now()
		inv, err := collect.Collect(ctx, scanConfig(t, base), collect.Options{Regions: scanRegions})
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("Collect took %v after cancellation, want prompt return", took)
		}
		if !errors.Is(err, context.Canceled) || inv != nil {
			t.Fatalf("a canceled scan must not return a half-read inventory: got err=%v inventory=%v", err, inv != nil)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("error should be one line: %q", err)
		}
	})
}

// TestCollectLogGroupExactName points the trail at a log group that is gone
// while one whose name extends it exists: the prefix search finds the
// longer one, which must not count as the trail's group.
func TestCollectLogGroupExactName(t *testing.T) {
	ctx := fresh(t)
	w := seedWellConfigured(t, ctx)
	cfg := seedConfig(t, ctx, "us-east-1")
	logs := cloudwatchlogs.NewFromConfig(cfg)
	_, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(logGroupName + "-archive")})
	must(t, "longer log group", err)
	_, err = logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(logGroupName)})
	must(t, "delete log group", err)

	inv := scan(t, ctx, scanConfig(t, ctx))
	g := inv.LogGroup(w.logGroupARN)
	if g == nil {
		t.Fatalf("log group %s missing from %+v", w.logGroupARN, inv.LogGroups)
	}
	if diff := cmp.Diff(inventory.Ok(inventory.LogGroupInfo{Exists: false}), g.Info); diff != "" {
		t.Errorf("deleted log group (-want +got):\n%s", diff)
	}
}

// TestCollectLogGroupARNForms checks that a trail's log group ARN is read
// the same with and without the ":*" suffix.
func TestCollectLogGroupARNForms(t *testing.T) {
	ctx := fresh(t)
	w := seedWellConfigured(t, ctx)
	bare := strings.TrimSuffix(w.logGroupARN, ":*")
	proxy.Rewrite(func(r *http.Request, status int, _ http.Header, body []byte) (int, []byte) {
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".DescribeTrails") {
			body = []byte(strings.ReplaceAll(string(body), w.logGroupARN, bare))
		}
		return status, body
	})
	inv := scan(t, ctx, scanConfig(t, ctx))
	if len(inv.Trails) != 1 || inv.Trails[0].CloudWatchLogsLogGroupARN != bare {
		t.Fatalf("rewrite did not apply: %+v", inv.Trails)
	}
	g := inv.LogGroup(bare)
	if g == nil || g.Name != logGroupName || g.Info.Value == nil || !g.Info.Value.Exists {
		t.Errorf("log group from a bare ARN: want %s read, got %+v", logGroupName, g)
	}
}

// TestCollectDescribeTrailsFailsInOneRegion checks that a region whose
// trails cannot be listed is reported rather than silently skipped.
func TestCollectDescribeTrailsFailsInOneRegion(t *testing.T) {
	ctx := fresh(t)
	seedTrail(t, ctx, seedConfig(t, ctx, "us-east-1"), &cloudtrail.CreateTrailInput{Name: aws.String("home"), S3BucketName: aws.String("home-logs")})
	proxy.Intercept(func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		_, region, _ := testenv.CredentialScope(r.Header.Get("Authorization"))
		if region == "eu-west-1" && strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".DescribeTrails") {
			denyJSON(w)
			return true
		}
		return false
	})
	inv := scan(t, ctx, scanConfig(t, ctx))
	want := []inventory.RegionError{{Region: "eu-west-1", Error: inventory.CallError{Call: "cloudtrail:DescribeTrails", Code: "AccessDeniedException", Message: "not authorized"}}}
	if diff := cmp.Diff(want, inv.RegionErrors); diff != "" {
		t.Errorf("region errors (-want +got):\n%s", diff)
	}
	if len(inv.Trails) != 1 {
		t.Errorf("the us-east-1 trail must still be listed, got %+v", inv.Trails)
	}
}

// TestCollectBucketOwnershipWithoutListBuckets denies s3:ListBuckets. S3
// still says who owns the trail's bucket when asked with the expected
// owner; a bucket of ours treated as unowned would drop out of the checks
// on our own buckets (AWS Config), and one of another account must not be
// claimed as ours.
func TestCollectBucketOwnershipWithoutListBuckets(t *testing.T) {
	for _, tt := range []struct {
		name   string
		holder string // the account S3 says owns the bucket
		owned  bool
	}{
		{"our bucket", motoAccount, true},
		{"another account's bucket", "999999999999", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := fresh(t)
			seedWellConfigured(t, ctx)
			proxy.Intercept(func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
				_, _, svc := testenv.CredentialScope(r.Header.Get("Authorization"))
				if svc != "s3" || strings.HasPrefix(r.URL.Path, "/v20180820/") {
					return false
				}
				if r.URL.Path == "/" {
					testenv.S3Error(w, http.StatusForbidden, "AccessDenied", "Access Denied")
					return true
				}
				// moto ignores the expected-owner header; S3 refuses a
				// bucket of another owner with 403.
				if exp := r.Header.Get("X-Amz-Expected-Bucket-Owner"); exp != "" && exp != tt.holder {
					testenv.S3Error(w, http.StatusForbidden, "AccessDenied", "Access Denied")
					return true
				}
				return false
			})
			inv := scan(t, ctx, scanConfig(t, ctx))
			b := inv.Bucket(trailBucket)
			if b == nil {
				t.Fatalf("bucket missing")
			}
			if b.OwnedByScannedAccount != tt.owned {
				t.Errorf("ownership: want owned=%v, got owned=%v owner=%q", tt.owned, b.OwnedByScannedAccount, b.OwnerAccountID)
			}
			if diff := cmp.Diff(inventory.Ok("us-east-1"), b.Region); diff != "" {
				t.Errorf("region (-want +got):\n%s", diff)
			}
			wantConfig := 0
			if tt.owned {
				wantConfig = 1
			}
			if len(inv.ConfigRecorders) != wantConfig {
				t.Errorf("config: want %d regions read, got %+v", wantConfig, inv.ConfigRecorders)
			}
		})
	}
}
