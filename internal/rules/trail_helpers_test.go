package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
)

// Test inventories for the account and trail rules. trailGood returns a trail
// that passes every rule; each case changes one thing.

var trailNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const (
	trailAcct     = "111122223333"
	trailMgmtAcct = "999988887777"
	trailKeyARN   = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	trailBucket   = "trail-logs"
)

func trailAgo(d time.Duration) *time.Time {
	t := trailNow.Add(-d)
	return &t
}

func trailFS(field string, equals ...string) inventory.FieldSelector {
	return inventory.FieldSelector{Field: field, Equals: equals}
}

// trailSelectorsAll records all management events and S3 object events.
func trailSelectorsAll() inventory.EventSelectors {
	return inventory.EventSelectors{Advanced: []inventory.AdvancedEventSelector{
		{Name: "management", FieldSelectors: []inventory.FieldSelector{trailFS("eventCategory", "Management")}},
		{Name: "s3", FieldSelectors: []inventory.FieldSelector{trailFS("eventCategory", "Data"), trailFS("resources.type", "AWS::S3::Object")}},
	}}
}

func trailGood(name string) inventory.Trail {
	return inventory.Trail{
		ARN:                        "arn:aws:cloudtrail:us-east-1:" + trailAcct + ":trail/" + name,
		Name:                       name,
		HomeRegion:                 "us-east-1",
		OwnerAccountID:             trailAcct,
		S3BucketName:               trailBucket,
		IsMultiRegion:              true,
		IncludeGlobalServiceEvents: true,
		LogFileValidationEnabled:   true,
		KMSKeyID:                   trailKeyARN,
		CloudWatchLogsLogGroupARN:  "arn:aws:logs:us-east-1:" + trailAcct + ":log-group:cloudtrail/" + name + ":*",
		HasCustomEventSelectors:    true,
		HasInsightSelectors:        true,
		Status: inventory.Ok(inventory.TrailStatus{
			IsLogging:                        true,
			StartLoggingTime:                 trailAgo(30 * 24 * time.Hour),
			LatestDeliveryTime:               trailAgo(5 * time.Minute),
			LatestDigestDeliveryTime:         trailAgo(40 * time.Minute),
			LatestCloudWatchLogsDeliveryTime: trailAgo(3 * time.Minute),
		}),
		Selectors: inventory.Ok(trailSelectorsAll()),
		Insights:  inventory.Ok([]string{"ApiCallRateInsight", "ApiErrorRateInsight"}),
	}
}

// trailWith returns trailGood("main") changed by edit.
func trailWith(edit func(t *inventory.Trail)) inventory.Trail {
	t := trailGood("main")
	edit(&t)
	return t
}

func trailWithStatus(edit func(s *inventory.TrailStatus)) inventory.Trail {
	return trailWith(func(t *inventory.Trail) {
		st := *t.Status.Value
		edit(&st)
		t.Status = inventory.Ok(st)
	})
}

func trailGoodKey() inventory.KMSKey {
	return inventory.KMSKey{
		ARN: trailKeyARN, Region: "us-east-1", OwnerAccountID: trailAcct,
		Metadata: inventory.Ok(inventory.KeyMetadata{KeyID: "1234abcd-12ab-34cd-56ef-1234567890ab", KeyState: "Enabled", KeyManager: "CUSTOMER", KeySpec: "SYMMETRIC_DEFAULT", Enabled: true}),
		Rotation: inventory.Ok(true),
	}
}

// trailTestInventory holds the given trails, the good key and the trail bucket.
func trailTestInventory(trails ...inventory.Trail) *inventory.Inventory {
	return &inventory.Inventory{
		SchemaVersion: inventory.SchemaVersion,
		CollectedAt:   trailNow,
		Partition:     "aws",
		Account:       inventory.Account{ID: trailAcct},
		Regions:       []string{"us-east-1", "eu-west-1"},
		Organization:  inventory.Ok(inventory.Organization{Member: false}),
		Trails:        trails,
		Buckets:       []inventory.Bucket{{Name: trailBucket, OwnedByScannedAccount: true, OwnerAccountID: trailAcct, Region: inventory.Ok("us-east-1")}},
		Keys:          []inventory.KMSKey{trailGoodKey()},
	}
}

// trailEditInv returns trailTestInventory(trails...) changed by edit.
func trailEditInv(edit func(inv *inventory.Inventory), trails ...inventory.Trail) *inventory.Inventory {
	inv := trailTestInventory(trails...)
	edit(inv)
	return inv
}

func trailFindRule(t *testing.T, id string) Rule {
	t.Helper()
	r, ok := Lookup(append(accountRules(), trailRules()...), id)
	if !ok {
		t.Fatalf("rule %s is not registered", id)
	}
	return r
}

// trailCase is one inventory put to one rule, with the expected status and a
// piece of the expected message for every result.
type trailCase struct {
	rule    string
	name    string
	inv     *inventory.Inventory
	want    findings.Status
	message string
	// of names the trail whose result is checked when there are several.
	of string
}

func trailRunCases(t *testing.T, cases []trailCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.rule+"/"+c.name, func(t *testing.T) {
			r := trailFindRule(t, c.rule)
			results := r.Check(c.inv, DefaultOptions())
			var got Result
			switch {
			case c.of != "":
				for _, r := range results {
					if strings.HasSuffix(r.Resource, "/"+c.of) {
						got = r
					}
				}
			case len(results) == 1:
				got = results[0]
			default:
				t.Fatalf("got %d results, want 1: %+v", len(results), results)
			}
			if got.Status != c.want {
				t.Fatalf("status %s, want %s; message: %s", got.Status, c.want, got.Message)
			}
			if !strings.Contains(got.Message, c.message) {
				t.Errorf("message %q does not contain %q", got.Message, c.message)
			}
			if got.Resource == "" || got.Region == "" {
				t.Errorf("result lacks resource or region: %+v", got)
			}
			if (got.Status == findings.Pass || got.Status == findings.Fail) && len(got.Evidence) == 0 {
				t.Errorf("%s result carries no evidence", got.Status)
			}
		})
	}
}
