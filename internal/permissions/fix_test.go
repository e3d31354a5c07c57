package permissions

import (
	"bytes"
	"os"
	"testing"
)

func TestFixPolicyMatchesDocs(t *testing.T) {
	doc, err := os.ReadFile("../../docs/policies/fix.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc, fixPolicy) {
		t.Fatal("internal/permissions/fix.json differs from docs/policies/fix.json: copy the docs file over")
	}
}

// fix plans from a fresh scan, so its policy must allow all that scan does.
func TestFixPolicyCoversScan(t *testing.T) {
	scan, err := Actions(scanPolicy)
	if err != nil {
		t.Fatal(err)
	}
	fix, err := Actions(fixPolicy)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, a := range fix {
		have[a] = true
	}
	for _, a := range scan {
		if !have[a] {
			t.Errorf("fix policy lacks scan action %s", a)
		}
	}
}

func TestFixWriteActionsMapToBucketActions(t *testing.T) {
	for call, want := range map[string]string{
		"s3:PutObjectLockConfiguration":      "s3:PutBucketObjectLockConfiguration",
		"s3:DeleteBucketLifecycle":           "s3:PutLifecycleConfiguration",
		"s3:DeletePublicAccessBlock":         "s3:PutBucketPublicAccessBlock",
		"s3:PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
		"cloudtrail:UpdateTrail":             "cloudtrail:UpdateTrail",
	} {
		got, err := Action(call)
		if err != nil || got != want {
			t.Errorf("Action(%q) = %q, %v; want %q", call, got, err, want)
		}
	}
	missing, err := Missing(fixPolicy, []string{"s3:PutObjectLockConfiguration", "s3:DeleteBucket", "kms:ScheduleKeyDeletion"})
	if err != nil {
		t.Fatal(err)
	}
	// fix must never be able to delete a bucket or a key.
	if len(missing) != 2 {
		t.Errorf("Missing = %v; want the two destructive calls only", missing)
	}
}
