package rules

import (
	"testing"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
)

const (
	iamFullAccessARN = "arn:aws:iam::aws:policy/AWSCloudTrail_FullAccess"
	iamWildcardDoc   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:*","Resource":"*"}]}`
	iamNarrowDoc     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["cloudtrail:Describe*","cloudtrail:LookupEvents"],"Resource":"*"}]}`
)

func iamInventory(auth inventory.IAMAuthorization) *inventory.Inventory {
	return &inventory.Inventory{
		SchemaVersion: inventory.SchemaVersion,
		Partition:     "aws",
		Account:       inventory.Account{ID: bucketTestAccount},
		IAM:           inventory.Ok(auth),
	}
}

func iamRunOne(t *testing.T, id string, inv *inventory.Inventory, opts Options) Result {
	t.Helper()
	r, ok := Lookup(identityRules(), id)
	if !ok {
		t.Fatalf("rule %s is not in identityRules", id)
	}
	got := r.Check(inv, opts)
	if len(got) != 1 {
		t.Fatalf("%d results, want 1", len(got))
	}
	if got[0].Resource != "arn:aws:iam::111122223333:root" || got[0].Region != "global" {
		t.Errorf("resource %q region %q", got[0].Resource, got[0].Region)
	}
	return got[0]
}

func TestIAMCloudTrailFullAccess(t *testing.T) {
	holders := inventory.IAMAuthorization{Principals: []inventory.Principal{
		{Type: "role", Name: "admin", ARN: "arn:aws:iam::111122223333:role/admin", AttachedPolicyARNs: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess", iamFullAccessARN}},
		{Type: "user", Name: "bob", ARN: "arn:aws:iam::111122223333:user/bob", AttachedPolicyARNs: []string{"arn:aws-cn:iam::aws:policy/AWSCloudTrail_FullAccess"}},
		{Type: "group", Name: "readers", ARN: "arn:aws:iam::111122223333:group/readers", AttachedPolicyARNs: []string{"arn:aws:iam::aws:policy/AWSCloudTrail_ReadOnlyAccess"}},
		{Type: "role", Name: "lookalike", ARN: "arn:aws:iam::111122223333:role/lookalike", AttachedPolicyARNs: []string{"arn:aws:iam::111122223333:policy/AWSCloudTrail_FullAccess"}},
	}}
	tests := []struct {
		name string
		auth inventory.IAMAuthorization
		opts Options
		want findings.Status
		msg  []string
	}{
		{"attached to two, limit 0", holders, DefaultOptions(), findings.Fail, []string{"2 principals", "role/admin", "user/bob"}},
		{"one allow-listed, limit 1", holders, Options{FullAccessAllowList: []string{"arn:aws:iam::111122223333:role/admin"}, FullAccessLimit: 1}, findings.Pass, []string{"1 principals", "1 allow-listed"}},
		{"one allow-listed, limit 0", holders, Options{FullAccessAllowList: []string{"arn:aws:iam::111122223333:role/admin"}}, findings.Fail, []string{"user/bob"}},
		{"nobody holds it", inventory.IAMAuthorization{Principals: holders.Principals[2:]}, DefaultOptions(), findings.Pass, []string{"0 principals"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := iamRunOne(t, "iam.cloudtrail_full_access", iamInventory(tt.auth), tt.opts)
			bucketExpect(t, r, tt.want, tt.msg...)
		})
	}
	t.Run("unreadable", func(t *testing.T) {
		inv := iamInventory(holders)
		inv.IAM = inventory.Failed[inventory.IAMAuthorization]("iam:GetAccountAuthorizationDetails", "AccessDenied", "")
		bucketExpect(t, iamRunOne(t, "iam.cloudtrail_full_access", inv, DefaultOptions()), findings.Error, "iam:GetAccountAuthorizationDetails", "AccessDenied")
	})
}

func TestIAMCloudTrailWildcard(t *testing.T) {
	attached := func(doc string) inventory.IAMAuthorization {
		return inventory.IAMAuthorization{
			Principals: []inventory.Principal{{Type: "role", Name: "ops", ARN: "arn:aws:iam::111122223333:role/ops",
				AttachedPolicyARNs: []string{"arn:aws:iam::111122223333:policy/trail-admin"}}},
			ManagedPolicies: []inventory.ManagedPolicy{{ARN: "arn:aws:iam::111122223333:policy/trail-admin", Name: "trail-admin", AttachmentCount: 1, Document: doc}},
		}
	}
	inline := func(doc string) inventory.IAMAuthorization {
		return inventory.IAMAuthorization{Principals: []inventory.Principal{{Type: "user", Name: "carol", ARN: "arn:aws:iam::111122223333:user/carol",
			InlinePolicies: []inventory.InlinePolicy{{Name: "everything", Document: doc}}}}}
	}
	tests := []struct {
		name string
		auth inventory.IAMAuthorization
		want findings.Status
		msg  []string
	}{
		{"managed cloudtrail:* attached", attached(iamWildcardDoc), findings.Fail, []string{"managed policy trail-admin", "role ops"}},
		{"inline star on star", inline(`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`), findings.Fail, []string{"inline policy everything of user carol"}},
		{"cloudtrail:* on one trail ARN", inline(`{"Statement":{"Effect":"Allow","Action":"cloudtrail:*","Resource":"arn:aws:cloudtrail:us-east-1:111122223333:trail/main"}}`), findings.Fail, []string{"everything"}},
		{"NotAction sparing only IAM", inline(`{"Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`), findings.Fail, []string{"everything"}},
		{"narrow actions", attached(iamNarrowDoc), findings.Pass, []string{"no attached"}},
		{"NotAction sparing cloudtrail", inline(`{"Statement":{"Effect":"Allow","NotAction":"cloudtrail:*","Resource":"*"}}`), findings.Pass, nil},
		{"cloudtrail:* on S3 only", inline(`{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::bucket/*"}}`), findings.Pass, nil},
		{"deny cloudtrail:*", inline(`{"Statement":{"Effect":"Deny","Action":"cloudtrail:*","Resource":"*"}}`), findings.Pass, nil},
		{"unattached wildcard policy is noted, not failed", inventory.IAMAuthorization{ManagedPolicies: []inventory.ManagedPolicy{{ARN: "arn:aws:iam::111122223333:policy/spare", Name: "spare", Document: iamWildcardDoc}}}, findings.Pass, []string{"1 unattached", "spare"}},
		{"malformed policy", inline(`{"Statement":`), findings.Error, []string{"everything", "not valid JSON"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := iamRunOne(t, "iam.cloudtrail_wildcard", iamInventory(tt.auth), DefaultOptions())
			bucketExpect(t, r, tt.want, tt.msg...)
		})
	}
	t.Run("unreadable", func(t *testing.T) {
		inv := iamInventory(inventory.IAMAuthorization{})
		inv.IAM = inventory.Result[inventory.IAMAuthorization]{}
		bucketExpect(t, iamRunOne(t, "iam.cloudtrail_wildcard", inv, DefaultOptions()), findings.Error, "not collected")
	})
}

func TestIAMRuleMetadata(t *testing.T) {
	rs := identityRules()
	if len(rs) != 2 {
		t.Fatalf("%d identity rules, want 2", len(rs))
	}
	for _, r := range rs {
		if r.Severity != findings.Medium || r.Scope != "iam" || r.Title == "" || r.Rationale == "" || r.Audit == "" ||
			r.Remediation.Console == "" || r.Remediation.CLI == "" || r.Remediation.Terraform == "" || len(r.References) == 0 {
			t.Errorf("%s has incomplete metadata", r.ID)
		}
	}
}

func TestIAMWildcardResourceInOtherPartitions(t *testing.T) {
	for _, res := range []string{"arn:aws-us-gov:*", "arn:aws-cn:cloud*", "arn:aws:*"} {
		t.Run(res, func(t *testing.T) {
			doc := `{"Statement":{"Effect":"Allow","Action":"cloudtrail:*","Resource":"` + res + `"}}`
			inv := iamInventory(inventory.IAMAuthorization{Principals: []inventory.Principal{{Type: "user", Name: "carol",
				ARN: "arn:aws:iam::111122223333:user/carol", InlinePolicies: []inventory.InlinePolicy{{Name: "ct", Document: doc}}}}})
			bucketExpect(t, iamRunOne(t, "iam.cloudtrail_wildcard", inv, DefaultOptions()), findings.Fail, "inline policy ct")
		})
	}
	// A resource of another service in that partition grants no CloudTrail access.
	doc := `{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws-us-gov:s3:::b/*"}}`
	inv := iamInventory(inventory.IAMAuthorization{Principals: []inventory.Principal{{Type: "user", Name: "carol",
		ARN: "arn:aws:iam::111122223333:user/carol", InlinePolicies: []inventory.InlinePolicy{{Name: "ct", Document: doc}}}}})
	bucketExpect(t, iamRunOne(t, "iam.cloudtrail_wildcard", inv, DefaultOptions()), findings.Pass)
}
