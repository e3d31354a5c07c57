package fix

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// KindBucketPolicy writes a hardened bucket policy (HardenBucketPolicy):
// every existing statement kept, statements added or narrowed.
const KindBucketPolicy Kind = "s3:PutBucketPolicy"

// PolicyParams are the parameters of a KindBucketPolicy step.
type PolicyParams struct {
	Bucket string `json:"bucket"`
	// Policy is the merged bucket policy; PolicyBase is the document it was
	// merged from ("" when the bucket had none). Apply refuses to write when
	// the live policy no longer equals PolicyBase.
	Policy     string `json:"policy"`
	PolicyBase string `json:"policyBase,omitempty"`
}

// Kind implements Params.
func (*PolicyParams) Kind() Kind { return KindBucketPolicy }

// policyState is a bucket's policy.
type policyState struct {
	Exists   bool   `json:"exists"`
	Document string `json:"document,omitempty"`
}

var bucketPolicyKind = setting[policyState]{
	read: func(ctx context.Context, c *Clients, s Step) (policyState, error) {
		cur, err := c.s3(s.Region).GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(s.Params.(*PolicyParams).Bucket)})
		return readOptional(err, "NoSuchBucketPolicy", func() policyState {
			return policyState{Exists: true, Document: aws.ToString(cur.Policy)}
		})
	},
	target: func(s Step, _ policyState, _ outputFunc) (policyState, error) {
		return policyState{Exists: true, Document: s.Params.(*PolicyParams).Policy}, nil
	},
	check: func(s Step, prev policyState) error {
		p := s.Params.(*PolicyParams)
		if !sameJSON(prev.Document, p.PolicyBase) {
			return fmt.Errorf("the policy of %s changed since the plan was made; nothing was written: run 'trailseal fix' again", p.Bucket)
		}
		return nil
	},
	write: func(ctx context.Context, c *Clients, s Step, v policyState, _ bool) error {
		bucket := aws.String(s.Params.(*PolicyParams).Bucket)
		if !v.Exists {
			_, err := c.s3(s.Region).DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: bucket})
			return err
		}
		_, err := c.s3(s.Region).PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: bucket, Policy: aws.String(v.Document)})
		return err
	},
	same: func(_ Step, a, b policyState) bool { return a.Exists == b.Exists && sameJSON(a.Document, b.Document) },
	show: func(_ Step, v policyState) string {
		if !v.Exists {
			return "no bucket policy"
		}
		return "a policy of " + describeStatements(v.Document)
	},
	reverted: func(_ Step, prev policyState) string {
		return revertedOptional(prev.Exists, "the bucket policy", "the previous bucket policy")
	},
	manual: func(s Step, prev policyState) string {
		return manualOptional(prev.Exists, s.Params.(*PolicyParams).Bucket, s.Region, "delete-bucket-policy", "put-bucket-policy",
			"--policy "+sq(compactDoc(prev.Document)))
	},
}.ops(kindOps{
	fixes:  []string{"bucket.policy_source_arn", "bucket.least_privilege"},
	params: func() Params { return &PolicyParams{} },
	emitCLI: func(e *cliEmitter, s Step) {
		p := s.Params.(*PolicyParams)
		e.line("aws s3api put-bucket-policy --region %s --bucket %s --policy %s", s.Region, sq(p.Bucket), sq(p.Policy))
	},
	emitTerraform: func(e *tfEmitter, s Step) {
		p := s.Params.(*PolicyParams)
		e.line(`resource "aws_s3_bucket_policy" %s {`, hq(label(p.Bucket)))
		e.line(`  bucket = %s`, hq(p.Bucket))
		e.line(`  policy = %s`, hq(p.Policy))
		e.line(`}`)
	},
})

// sameJSON compares two documents by value, since S3 may reformat a
// policy it stores. Two empty strings are equal.
func sameJSON(a, b string) bool {
	if strings.TrimSpace(a) == "" || strings.TrimSpace(b) == "" {
		return strings.TrimSpace(a) == strings.TrimSpace(b)
	}
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a == b
	}
	return reflect.DeepEqual(x, y)
}

// compactDoc puts a JSON document on one line for a command.
func compactDoc(doc string) string {
	var v any
	if json.Unmarshal([]byte(doc), &v) != nil {
		return doc
	}
	return compactJSON(v)
}
