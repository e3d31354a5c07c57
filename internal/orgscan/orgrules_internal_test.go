package orgscan

import (
	"testing"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/rules"
)

const (
	mgmtID    = "111111111111"
	archiveID = "222222222222"
	memberID  = "333333333333"
)

func trail(name, owner, bucket string, org, multi, logging bool) inventory.Trail {
	return inventory.Trail{
		ARN: "arn:aws:cloudtrail:us-east-1:" + owner + ":trail/" + name, Name: name, HomeRegion: "us-east-1",
		OwnerAccountID: owner, S3BucketName: bucket, IsOrganizationTrail: org, IsMultiRegion: multi,
		Status: inventory.Ok(inventory.TrailStatus{IsLogging: logging}),
	}
}

func ownBucket(name, owner string, versioning string) inventory.Bucket {
	return inventory.Bucket{
		Name: name, ARN: "arn:aws:s3:::" + name, OwnedByScannedAccount: true, OwnerAccountID: owner,
		Region:     inventory.Ok("us-east-1"),
		Versioning: inventory.Ok(inventory.Versioning{Status: versioning}),
	}
}

func foreignBucket(name string) inventory.Bucket {
	b := inventory.Bucket{Name: name, ARN: "arn:aws:s3:::" + name}
	reason := "not in this account's ListBuckets"
	b.Region = inventory.InAccount[string]("", reason)
	b.Versioning = inventory.InAccount[inventory.Versioning]("", reason)
	return b
}

func account(id string, trails []inventory.Trail, buckets ...inventory.Bucket) AccountResult {
	return AccountResult{Account: Account{ID: id, Name: "acct-" + id[:1]}, Inventory: &inventory.Inventory{
		SchemaVersion: inventory.SchemaVersion, Partition: "aws", Account: inventory.Account{ID: id},
		Trails: trails, Buckets: buckets,
	}}
}

func result(accts ...AccountResult) *Result {
	org := &Organization{ID: "o-test", ManagementAccountID: mgmtID, Partition: "aws"}
	for _, a := range accts {
		org.Accounts = append(org.Accounts, a.Account)
	}
	return &Result{Organization: org, Accounts: accts}
}

func ctxOf(res *Result, archive string) orgContext {
	var invs []*inventory.Inventory
	for _, r := range res.Accounts {
		if r.Inventory != nil {
			invs = append(invs, r.Inventory)
		}
	}
	return orgContext{res: res, idx: indexOwners(invs), logArchive: archive}
}

func unscanned(id string) AccountResult {
	return AccountResult{Account: Account{ID: id}, AccessError: &inventory.CallError{Call: "sts:AssumeRole", Code: "AccessDenied"}}
}

// The organization trail writes to the archive bucket, which the log
// archive account owns; the member has no trail of its own.
func healthyOrg() []AccountResult {
	return []AccountResult{
		account(mgmtID, []inventory.Trail{trail("org", mgmtID, "archive", true, true, true)}, foreignBucket("archive")),
		account(archiveID, []inventory.Trail{trail("org", mgmtID, "archive", true, true, true)}, ownBucket("archive", archiveID, "Enabled")),
		account(memberID, nil),
	}
}

func TestTrailCoverage(t *testing.T) {
	cases := []struct {
		name  string
		accts []AccountResult
		want  findings.Status
	}{
		{"logging multi-region organization trail", healthyOrg(), findings.Pass},
		{"organization trail single-region", []AccountResult{
			account(mgmtID, []inventory.Trail{trail("org", mgmtID, "archive", true, false, true)})}, findings.Fail},
		{"organization trail stopped", []AccountResult{
			account(mgmtID, []inventory.Trail{trail("org", mgmtID, "archive", true, true, false)})}, findings.Fail},
		{"only account trails", []AccountResult{
			account(mgmtID, []inventory.Trail{trail("local", mgmtID, "b", false, true, true)}),
			account(memberID, []inventory.Trail{trail("local", memberID, "c", false, true, true)})}, findings.Fail},
		{"management account not scanned", []AccountResult{unscanned(mgmtID), account(memberID, nil)}, findings.Error},
		{"organization trail status unreadable", []AccountResult{account(mgmtID, []inventory.Trail{func() inventory.Trail {
			tr := trail("org", mgmtID, "archive", true, true, true)
			tr.Status = inventory.Failed[inventory.TrailStatus]("cloudtrail:GetTrailStatus", "AccessDenied", "")
			return tr
		}()})}, findings.Error},
	}
	for _, c := range cases {
		f := checkTrailCoverage(ctxOf(result(c.accts...), ""))
		if f.Status != c.want {
			t.Errorf("%s: %s (%s), want %s", c.name, f.Status, f.Message, c.want)
		}
		if f.RuleID != RuleTrailCoverage || f.Account != mgmtID || f.ID == "" {
			t.Errorf("%s: finding %+v lacks rule, account or ID", c.name, f)
		}
	}
}

func TestLogArchive(t *testing.T) {
	memberOwnBucket := account(memberID, []inventory.Trail{trail("local", memberID, "member-logs", false, true, true)}, ownBucket("member-logs", memberID, "Enabled"))
	memberToArchive := account(memberID, []inventory.Trail{trail("local", memberID, "archive", false, true, true)}, foreignBucket("archive"))
	archiveAlone := account(archiveID, []inventory.Trail{trail("local", archiveID, "archive", false, true, true)}, ownBucket("archive", archiveID, "Enabled"))
	cases := []struct {
		name       string
		accts      []AccountResult
		configured string
		want       findings.Status
	}{
		{"organization trail into the archive's bucket", healthyOrg(), "", findings.Pass},
		{"configured archive, every account delivers there", []AccountResult{archiveAlone, memberToArchive}, archiveID, findings.Pass},
		{"configured archive, member keeps its own logs", []AccountResult{archiveAlone, memberOwnBucket}, archiveID, findings.Fail},
		{"organization trail into a bucket of the logged account, archive configured elsewhere", []AccountResult{
			account(mgmtID, []inventory.Trail{trail("org", mgmtID, "mgmt-logs", true, true, true)}, ownBucket("mgmt-logs", mgmtID, "Enabled")),
			archiveAlone, memberOwnBucket}, archiveID, findings.Fail},
		{"no organization trail and nothing configured", []AccountResult{memberOwnBucket}, "", findings.Fail},
		{"organization trail bucket owner not scanned", []AccountResult{
			account(mgmtID, []inventory.Trail{trail("org", mgmtID, "archive", true, true, true)}, foreignBucket("archive"))}, "", findings.Manual},
		{"an account could not be scanned", []AccountResult{archiveAlone, memberToArchive, unscanned("444444444444")}, archiveID, findings.Error},
	}
	for _, c := range cases {
		f := checkLogArchive(ctxOf(result(c.accts...), c.configured))
		if f.Status != c.want {
			t.Errorf("%s: %s (%s), want %s", c.name, f.Status, f.Message, c.want)
		}
	}
}

func TestOwnerEvidenceMerge(t *testing.T) {
	res := result(healthyOrg()...)
	mgmt := res.Accounts[0].Inventory
	merged := withOwnerEvidence(mgmt, ctxOf(res, "").idx)
	b := merged.Bucket("archive")
	if b.Versioning.Value == nil || b.Versioning.Value.Status != "Enabled" || b.OwnerAccountID != archiveID || b.OwnedByScannedAccount {
		t.Errorf("merged bucket = %+v; want the archive account's versioning, owner %s, still not owned by the scanned account", b, archiveID)
	}
	if mgmt.Bucket("archive").Versioning.Elsewhere == nil {
		t.Error("merging changed the member's own inventory")
	}

	// Nobody scanned owns the bucket: the member view stays MANUAL.
	lone := result(account(mgmtID, []inventory.Trail{trail("org", mgmtID, "archive", true, true, true)}, foreignBucket("archive")))
	if v := withOwnerEvidence(lone.Accounts[0].Inventory, ctxOf(lone, "").idx).Bucket("archive").Versioning; v.Elsewhere == nil {
		t.Errorf("bucket of an unscanned owner = %+v, want it left Elsewhere", v)
	}

	keyARN := "arn:aws:kms:us-east-1:" + archiveID + ":key/k1"
	owner := account(archiveID, nil)
	owner.Inventory.Keys = []inventory.KMSKey{{ARN: keyARN, OwnerAccountID: archiveID, Region: "us-east-1",
		Metadata: inventory.Ok(inventory.KeyMetadata{KeyID: "k1", KeyState: "Enabled", Enabled: true}),
		Rotation: inventory.Ok(false), Policy: inventory.Ok("{}")}}
	member := account(memberID, nil)
	member.Inventory.Keys = []inventory.KMSKey{{ARN: keyARN, OwnerAccountID: archiveID,
		Metadata: inventory.Ok(inventory.KeyMetadata{KeyID: "k1", KeyState: "Enabled", Enabled: true}),
		Rotation: inventory.InAccount[bool](archiveID, "key policy"), Policy: inventory.InAccount[string](archiveID, "key policy")}}
	kres := result(owner, member)
	k := withOwnerEvidence(member.Inventory, ctxOf(kres, "").idx).Keys[0]
	if k.Rotation.Value == nil || *k.Rotation.Value || k.Policy.Value == nil {
		t.Errorf("merged key = %+v; want the owner's rotation (off) and policy", k)
	}
}

func TestEvaluateDeduplicatesSharedBucketFindings(t *testing.T) {
	res := result(healthyOrg()...)
	fs := Evaluate(res, rules.All(), rules.DefaultOptions(), true)
	n := 0
	for _, f := range fs {
		if f.RuleID == "bucket.versioning" && f.Resource == "arn:aws:s3:::archive" {
			n++
			if f.Status != findings.Pass || f.Account != archiveID || f.AccountName != "acct-2" {
				t.Errorf("archive bucket versioning = %s for %s (%q), want PASS for the archive account", f.Status, f.Account, f.AccountName)
			}
		}
	}
	if n != 1 {
		t.Errorf("archive bucket versioning reported %d times, want once", n)
	}
	sum := Summarize(res, fs)
	if len(sum) != 3 || !sum[0].Scanned || sum[1].Counts[findings.Pass] == 0 {
		t.Errorf("summary = %+v", sum)
	}
}

// TestOrgChecksMatchCatalog: every organization rule of the catalog is
// judged here (account access by accessFindings, the others by orgChecks),
// and nothing is judged that the catalog does not describe.
func TestOrgChecksMatchCatalog(t *testing.T) {
	judged := map[string]bool{RuleAccountAccess: true}
	for _, oc := range orgChecks {
		judged[oc.id] = true
	}
	described := map[string]bool{}
	for _, r := range catalog.Organization() {
		described[r.ID] = true
		if !judged[r.ID] {
			t.Errorf("catalog rule %s is judged by no organization check", r.ID)
		}
	}
	for id := range judged {
		if !described[id] {
			t.Errorf("organization check %s has no catalog entry", id)
		}
	}
}
