package fix

import (
	"encoding/json"
	"testing"

	"github.com/trailseal/trailseal/internal/inventory"
)

// statementsOf decodes the Statement element, whether array or object.
func statementsOf(t *testing.T, doc string) []map[string]any {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		t.Fatal(err)
	}
	switch s := raw["Statement"].(type) {
	case []any:
		var out []map[string]any
		for _, e := range s {
			out = append(out, e.(map[string]any))
		}
		return out
	case map[string]any:
		return []map[string]any{s}
	}
	t.Fatalf("no statements in %s", doc)
	return nil
}

// TestHardenBucketPolicyOddShapes feeds policies in shapes people really
// write and checks that every original statement survives and that the
// result lets the trail deliver.
func TestHardenBucketPolicyOddShapes(t *testing.T) {
	in := HardenInput{Bucket: "logs", Partition: "aws", Account: acct, Trails: []inventory.Trail{testTrail()}}
	cases := map[string]string{
		"single statement object without Sid": `{"Version":"2012-10-17","Statement":
			{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":["s3:GetBucketAcl","s3:PutObject"],"Resource":["arn:aws:s3:::logs","arn:aws:s3:::logs/AWSLogs/` + acct + `/*"]}}`,
		"duplicate Sids and NotPrincipal": `{"Version":"2012-10-17","Statement":[
			{"Sid":"X","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::logs"},
			{"Sid":"X","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::logs/AWSLogs/` + acct + `/*"},
			{"Sid":"X","Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"s3:DeleteObject","Resource":"arn:aws:s3:::logs/*"}]}`,
		"combined statement on every resource": `{"Version":"2012-10-17","Statement":[
			{"Sid":"CT","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":["s3:GetBucketAcl","s3:PutObject"],"Resource":"*"}]}`,
		"NotAction statement": `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"NotAction":"s3:DeleteObject","Resource":["arn:aws:s3:::logs","arn:aws:s3:::logs/*"]}]}`,
		"condition with another value present": `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::logs"},
			{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::logs/AWSLogs/` + acct + `/*",
			 "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"},"StringLike":{"aws:SourceArn":"*"}}}]}`,
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			h, err := HardenBucketPolicy(doc, in)
			if err != nil {
				t.Fatalf("hardening refused: %v", err)
			}
			before, after := statementsOf(t, doc), statementsOf(t, h.Document)
			if len(after) < len(before) {
				t.Fatalf("%d statements became %d", len(before), len(after))
			}
			for i, b := range before {
				a := after[i]
				for _, k := range []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction"} {
					bj, _ := json.Marshal(b[k])
					aj, _ := json.Marshal(a[k])
					if string(bj) != string(aj) {
						t.Errorf("statement %d: %s changed from %s to %s", i+1, k, bj, aj)
					}
				}
				if bc, ok := b["Condition"].(map[string]any); ok {
					ac, _ := a["Condition"].(map[string]any)
					for op, kv := range bc {
						for key, v := range kv.(map[string]any) {
							av, _ := ac[op].(map[string]any)
							bj, _ := json.Marshal(v)
							aj, _ := json.Marshal(av[key])
							if string(bj) != string(aj) {
								t.Errorf("statement %d: condition %s %s changed from %s to %s", i+1, op, key, bj, aj)
							}
						}
					}
				}
			}
			if err := CheckDelivery(h.Document, in); err != nil {
				t.Errorf("hardened policy breaks delivery: %v", err)
			}
			again, err := HardenBucketPolicy(h.Document, in)
			if err != nil || len(again.Changes) != 0 {
				t.Errorf("second run changes %v (%v)", again.Changes, err)
			}
		})
	}
}

// TestKMSOnlyDenyDetection: statements that make SSE-S3 digest writes fail
// must block log file validation; ones that allow SSE-S3 must not.
func TestKMSOnlyDenyDetection(t *testing.T) {
	wrap := func(cond string) string {
		return `{"Version":"2012-10-17","Statement":[{"Sid":"EnforceKMS","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::logs/*","Condition":` + cond + `}]}`
	}
	fire := map[string]string{
		"StringNotEquals sse aws:kms":       `{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}`,
		"Null kms key id":                   `{"Null":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"true"}}`,
		"StringNotEquals kms key id":        `{"StringNotEquals":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:eu-west-1:111122223333:key/k"}}`,
		"StringNotLike sse, mixed case key": `{"StringNotLike":{"S3:X-Amz-Server-Side-Encryption":"aws:kms*"}}`,
	}
	quiet := map[string]string{
		"AES256 allowed":            `{"StringNotEquals":{"s3:x-amz-server-side-encryption":["aws:kms","AES256"]}}`,
		"kms key id only if exists": `{"StringNotEqualsIfExists":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:eu-west-1:111122223333:key/k"}}`,
		"Null false":                `{"Null":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"false"}}`,
	}
	for name, c := range fire {
		if got := kmsOnlyDeny(wrap(c)); len(got) == 0 {
			t.Errorf("%s: not detected", name)
		}
	}
	for name, c := range quiet {
		if got := kmsOnlyDeny(wrap(c)); len(got) != 0 {
			t.Errorf("%s: wrongly detected %v", name, got)
		}
	}
}
