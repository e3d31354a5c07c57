package rules

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trailseal/trailseal/internal/demo"
	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
)

// The catalog-wide evidence test: every rule, fed an inventory where one
// piece of evidence at a time is an error, must say ERROR or MANUAL
// wherever that evidence decides its verdict, and never PASS, FAIL or N/A
// on the strength of evidence it could not read.
//
// The pieces are found by reflection, so a new Result field, or a new rule,
// is covered without touching this test: every inventory.Result[T] reachable
// from the Inventory (trail status, every bucket setting, key metadata, log
// group info...), plus what is not a Result: the trail list itself (in every
// region, or in one), the region list, and each collected resource record.
//
// Whether a verdict depends on a piece is decided by experiment: the rule is
// also run with the piece read but empty (its zero value). A finding that
// comes out the same with the real value, the zero value and the error did
// not depend on it; any other finding must be ERROR or MANUAL.

// evidenceBaseline builds a fresh inventory each call, so that pieces can be
// mutated without copying.
type evidenceBaseline struct {
	name  string
	build func(t *testing.T) *inventory.Inventory
}

func evidenceBaselines() []evidenceBaseline {
	return []evidenceBaseline{
		{"hardened account", func(*testing.T) *inventory.Inventory { return evidenceHardened(false) }},
		{"hardened organization management account", func(*testing.T) *inventory.Inventory { return evidenceHardened(true) }},
		{"member seeing an organization trail", func(*testing.T) *inventory.Inventory { return evidenceMember() }},
		{"demo account", func(t *testing.T) *inventory.Inventory {
			inv, err := demo.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			return inv
		}},
	}
}

// evidencePiece is one piece of evidence: how to make it unreadable, and
// how to make it read but empty.
type evidencePiece struct {
	name  string
	fail  func(inv *inventory.Inventory)
	empty func(inv *inventory.Inventory)
}

// evidencePieces lists the pieces of evidence of inv.
func evidencePieces(inv *inventory.Inventory) []evidencePiece {
	var out []evidencePiece
	for _, path := range evidenceResultPaths(reflect.ValueOf(inv).Elem(), nil) {
		out = append(out, evidencePiece{
			name:  evidencePathName(reflect.TypeOf(*inv), path),
			fail:  func(inv *inventory.Inventory) { evidenceSetResult(inv, path, false) },
			empty: func(inv *inventory.Inventory) { evidenceSetResult(inv, path, true) },
		})
	}
	denied := func(region, call string) inventory.RegionError {
		return inventory.RegionError{Region: region, Error: inventory.CallError{Call: call, Code: "AccessDenied", Message: "denied by the test"}}
	}
	// The trail list: DescribeTrails fails in every region, so nothing that
	// is found through the trails (buckets, keys, log groups, topics,
	// Config regions) is known either. Read but empty: no trail at all.
	noTrails := func(inv *inventory.Inventory) {
		inv.Trails, inv.Buckets, inv.Keys, inv.LogGroups, inv.Topics, inv.ConfigRecorders = nil, nil, nil, nil, nil, nil
	}
	out = append(out, evidencePiece{
		name: "trail list (cloudtrail:DescribeTrails in every region)",
		fail: func(inv *inventory.Inventory) {
			noTrails(inv)
			for _, r := range inv.Regions {
				inv.RegionErrors = append(inv.RegionErrors, denied(r, "cloudtrail:DescribeTrails"))
			}
		},
		empty: noTrails,
	})
	if len(inv.Regions) > 0 {
		// One region unlisted: multi-region trails show up elsewhere, a
		// single-region trail homed there would be missing.
		out = append(out, evidencePiece{
			name: "trail list (cloudtrail:DescribeTrails in " + inv.Regions[0] + ")",
			fail: func(inv *inventory.Inventory) {
				inv.RegionErrors = append(inv.RegionErrors, denied(inv.Regions[0], "cloudtrail:DescribeTrails"))
			},
			empty: func(*inventory.Inventory) {},
		})
		out = append(out, evidencePiece{
			name: "region list (ec2:DescribeRegions)",
			fail: func(inv *inventory.Inventory) {
				inv.RegionErrors = append(inv.RegionErrors, denied(inv.Regions[0], "ec2:DescribeRegions"))
			},
			empty: func(*inventory.Inventory) {},
		})
	}
	// A resource the collector never recorded.
	for _, list := range []string{"Buckets", "Keys", "LogGroups", "Topics", "ConfigRecorders"} {
		n := reflect.ValueOf(inv).Elem().FieldByName(list).Len()
		for i := 0; i < n; i++ {
			drop := func(inv *inventory.Inventory) {
				v := reflect.ValueOf(inv).Elem().FieldByName(list)
				v.Set(reflect.AppendSlice(v.Slice(0, i), v.Slice(i+1, v.Len())))
			}
			out = append(out, evidencePiece{name: fmt.Sprintf("%s[%d] not collected", list, i), fail: drop, empty: func(*inventory.Inventory) {}})
		}
	}
	return out
}

var resultTypePrefix = reflect.TypeOf(inventory.Result[int]{}).PkgPath() + ".Result["

func isResultType(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && strings.HasPrefix(t.PkgPath()+"."+t.Name(), resultTypePrefix)
}

// evidenceResultPaths walks v and returns the path (field and slice
// indexes) of every Result in it. It does not descend into a Result's value:
// what a call returned is one piece of evidence.
func evidenceResultPaths(v reflect.Value, path []int) [][]int {
	switch v.Kind() {
	case reflect.Struct:
		if isResultType(v.Type()) {
			return [][]int{append([]int(nil), path...)}
		}
		var out [][]int
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				out = append(out, evidenceResultPaths(v.Field(i), append(path, i))...)
			}
		}
		return out
	case reflect.Slice:
		var out [][]int
		for i := 0; i < v.Len(); i++ {
			out = append(out, evidenceResultPaths(v.Index(i), append(path, i))...)
		}
		return out
	}
	return nil
}

func evidenceAt(inv *inventory.Inventory, path []int) reflect.Value {
	v := reflect.ValueOf(inv).Elem()
	for _, i := range path {
		if v.Kind() == reflect.Slice {
			v = v.Index(i)
		} else {
			v = v.Field(i)
		}
	}
	return v
}

func evidencePathName(t reflect.Type, path []int) string {
	var b strings.Builder
	for _, i := range path {
		if t.Kind() == reflect.Slice {
			fmt.Fprintf(&b, "[%d]", i)
			t = t.Elem()
			continue
		}
		f := t.Field(i)
		b.WriteString("." + f.Name)
		t = f.Type
	}
	return strings.TrimPrefix(b.String(), ".")
}

// evidenceSetResult makes the Result at path unreadable (an AccessDenied
// call error) or, with empty, read with its zero value.
func evidenceSetResult(inv *inventory.Inventory, path []int, empty bool) {
	r := evidenceAt(inv, path)
	val, errField, elsewhere := r.FieldByName("Value"), r.FieldByName("Error"), r.FieldByName("Elsewhere")
	elsewhere.Set(reflect.Zero(elsewhere.Type()))
	if empty {
		errField.Set(reflect.Zero(errField.Type()))
		val.Set(reflect.New(val.Type().Elem()))
		return
	}
	val.Set(reflect.Zero(val.Type()))
	errField.Set(reflect.ValueOf(&inventory.CallError{Call: "test:Denied", Code: "AccessDenied", Message: "denied by the test"}))
}

// evidenceKey identifies what a finding is about. The region is left out:
// it is a property of the resource (a bucket's region is itself evidence).
func evidenceKey(r Result) string { return r.Account + "|" + r.Resource }

// evidenceVerdicts maps each resource to the statuses found for it.
func evidenceVerdicts(rs []Result) map[string]map[findings.Status]bool {
	out := map[string]map[findings.Status]bool{}
	for _, r := range rs {
		k := evidenceKey(r)
		if out[k] == nil {
			out[k] = map[findings.Status]bool{}
		}
		out[k][r.Status] = true
	}
	return out
}

func TestEveryRuleSaysErrorWithoutItsEvidence(t *testing.T) {
	catalog := All()
	opts := DefaultOptions()
	undecided := map[string]int{} // rule -> ERROR/MANUAL findings caused by a piece
	for _, bl := range evidenceBaselines() {
		t.Run(bl.name, func(t *testing.T) {
			pieces := evidencePieces(bl.build(t))
			if len(pieces) < 20 {
				t.Fatalf("only %d pieces of evidence found: the walker is broken", len(pieces))
			}
			for _, p := range pieces {
				base, failed, empty := bl.build(t), bl.build(t), bl.build(t)
				p.fail(failed)
				p.empty(empty)
				for _, r := range catalog {
					b, z := evidenceVerdicts(r.Check(base, opts)), evidenceVerdicts(r.Check(empty, opts))
					for _, f := range r.Check(failed, opts) {
						k := evidenceKey(f)
						if f.Status == findings.Error || f.Status == findings.Manual {
							if !b[k][f.Status] {
								undecided[r.ID]++
							}
							continue
						}
						if b[k][f.Status] && z[k][f.Status] {
							continue // the verdict does not depend on this piece
						}
						t.Errorf("%s with %s unreadable: %s on %s: %s", r.ID, p.name, f.Status, f.Resource, f.Message)
					}
				}
			}
		})
	}
	// Guard against a vacuous pass: every rule must have been shown a
	// missing piece that it depends on.
	for _, r := range catalog {
		if r.Check != nil && undecided[r.ID] == 0 {
			t.Errorf("%s never said ERROR or MANUAL: no piece of its evidence was found", r.ID)
		}
	}
}

// evidenceHardened is an account that passes nearly every rule, so that a
// piece of evidence taken away changes many verdicts. With org it is the
// management account of an organization whose trail is an organization
// trail.
func evidenceHardened(org bool) *inventory.Inventory {
	inv := monInventory()
	good := bucketGoodInventory()
	inv.SchemaVersion = inventory.SchemaVersion
	inv.CollectedAt = trailNow
	inv.Regions = []string{"eu-west-1", "us-east-1"}
	inv.Organization = inventory.Ok(inventory.Organization{Member: false})
	inv.AccountPublicAccessBlock = good.AccountPublicAccessBlock

	tr := trailGood("main")
	tr.ARN = "arn:aws:cloudtrail:eu-west-1:" + trailAcct + ":trail/main"
	tr.HomeRegion = "eu-west-1"
	tr.S3BucketName, tr.S3KeyPrefix = bucketTestName, "audit"
	tr.CloudWatchLogsLogGroupARN = monGroupARN
	tr.KMSKeyID = "arn:aws:kms:eu-west-1:" + trailAcct + ":key/k"
	inv.Trails = []inventory.Trail{tr}

	b := good.Buckets[0]
	b.Policy = inventory.Ok(inventory.BucketPolicy{Exists: true, Document: strings.ReplaceAll(bucketGoodPolicy,
		"arn:aws:cloudtrail:us-east-1:111122223333:trail/main", tr.ARN)})
	inv.Buckets = []inventory.Bucket{b}

	key := trailGoodKey()
	key.ARN, key.Region = tr.KMSKeyID, "eu-west-1"
	key.Policy = inventory.Ok(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`)
	inv.Keys = []inventory.KMSKey{key}

	lg := &inv.LogGroups[0]
	lg.Info = inventory.Ok(inventory.LogGroupInfo{Exists: true, RetentionDays: 400, KMSKeyID: key.ARN})
	inv.ConfigRecorders[0].Region = "eu-west-1"
	inv.IAM = inventory.Ok(inventory.IAMAuthorization{Principals: []inventory.Principal{{Type: "role", Name: "admin", ARN: "arn:aws:iam::111122223333:role/admin"}}})
	if org {
		inv.Organization = inventory.Ok(inventory.Organization{Member: true, ID: "o-abc123", ManagementAccountID: trailAcct})
		inv.Trails[0].IsOrganizationTrail = true
	}
	return inv
}

// evidenceMember is a member account that sees the management account's
// organization trail: the bucket, key and log group are held elsewhere.
func evidenceMember() *inventory.Inventory {
	inv := evidenceHardened(true)
	const member = "444455556666"
	inv.Account.ID = member
	inv.Organization = inventory.Ok(inventory.Organization{Member: true, ID: "o-abc123", ManagementAccountID: trailAcct})
	why := "organization trail resources live in the management account"
	b := &inv.Buckets[0]
	b.OwnedByScannedAccount = false
	for _, path := range evidenceResultPaths(reflect.ValueOf(b).Elem(), nil) {
		r := reflect.ValueOf(b).Elem()
		for _, i := range path {
			r = r.Field(i)
		}
		r.Set(reflect.Zero(r.Type()))
		r.FieldByName("Elsewhere").Set(reflect.ValueOf(&inventory.Elsewhere{OwnerAccountID: trailAcct, Reason: why}))
	}
	inv.LogGroups[0].Info = inventory.InAccount[inventory.LogGroupInfo](trailAcct, why)
	inv.LogGroups[0].MetricFilters = inventory.InAccount[[]inventory.MetricFilter](trailAcct, why)
	inv.LogGroups[0].Alarms = inventory.InAccount[[]inventory.Alarm](trailAcct, why)
	inv.Keys[0].Metadata = inventory.InAccount[inventory.KeyMetadata](trailAcct, why)
	inv.Keys[0].Rotation = inventory.InAccount[bool](trailAcct, why)
	inv.Keys[0].Policy = inventory.InAccount[string](trailAcct, why)
	inv.Topics = nil
	inv.ConfigRecorders = nil
	inv.CollectedAt = trailNow.Add(time.Minute)
	return inv
}

// TestEvidenceHardenedMostlyPasses keeps the hardened baseline honest: a
// baseline full of FAIL would hide rules that ignore their evidence.
func TestEvidenceHardenedMostlyPasses(t *testing.T) {
	fs := Evaluate(evidenceHardened(false), All(), DefaultOptions())
	pass := 0
	for _, f := range fs {
		switch f.Status {
		case findings.Pass:
			pass++
		case findings.Error, findings.Manual:
			t.Errorf("%s on %s: %s: %s", f.RuleID, f.Resource, f.Status, f.Message)
		}
	}
	if pass < len(All())-6 {
		for _, f := range fs {
			if f.Status != findings.Pass {
				t.Logf("%s %s: %s", f.RuleID, f.Status, f.Message)
			}
		}
		t.Errorf("only %d of %d findings PASS on the hardened baseline", pass, len(fs))
	}
}

// TestNoPassOnUncollectedEvidence runs every rule on an inventory whose
// evidence was never collected (every Result empty, bucket ownership
// unknown): no rule beyond the DescribeTrails fields may say PASS.
func TestNoPassOnUncollectedEvidence(t *testing.T) {
	const acct = "111122223333"
	for _, member := range []bool{false, true} {
		inv := &inventory.Inventory{
			SchemaVersion: inventory.SchemaVersion,
			Partition:     "aws",
			Account:       inventory.Account{ID: acct},
			Regions:       []string{"us-east-1"},
			Trails: []inventory.Trail{{
				ARN: "arn:aws:cloudtrail:us-east-1:111122223333:trail/t", Name: "t", HomeRegion: "us-east-1",
				OwnerAccountID: acct, S3BucketName: "b", KMSKeyID: "arn:aws:kms:us-east-1:111122223333:key/k",
				CloudWatchLogsLogGroupARN: "arn:aws:logs:us-east-1:111122223333:log-group:g:*",
				IsMultiRegion:             true, LogFileValidationEnabled: true, IncludeGlobalServiceEvents: true,
			}},
			Buckets:   []inventory.Bucket{{Name: "b", ARN: "arn:aws:s3:::b"}},
			Keys:      []inventory.KMSKey{{ARN: "arn:aws:kms:us-east-1:111122223333:key/k", Region: "us-east-1"}},
			LogGroups: []inventory.LogGroup{{ARN: "arn:aws:logs:us-east-1:111122223333:log-group:g:*", Name: "g", Region: "us-east-1"}},
		}
		if member {
			inv.Organization = inventory.Ok(inventory.Organization{Member: true, ID: "o-abc123"})
		}
		fromDescribeTrails := map[string]bool{
			"trail.multi_region": true, "trail.log_file_validation": true,
			"trail.global_service_events": true, "trail.kms_encryption": true,
		}
		for _, f := range Evaluate(inv, All(), DefaultOptions()) {
			if f.Status == findings.Pass && !fromDescribeTrails[f.RuleID] {
				t.Errorf("member=%v: %s on %s: PASS on evidence never collected: %s", member, f.RuleID, f.Resource, f.Message)
			}
		}
	}
}
