package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/trailseal/trailseal/internal/testenv"
)

// operatorSid is the statement an operator adds to the trail bucket's
// policy after fix ran.
const operatorSid = "OperatorAddedLater"

// bucketTools reads and changes the trail bucket as an operator would,
// with a client of its own.
type bucketTools struct {
	t      *testing.T
	ctx    context.Context
	s3     *s3.Client
	bucket string
}

func newBucketTools(t *testing.T, endpoint, bucket string) *bucketTools {
	t.Helper()
	ctx := context.Background()
	cfg, err := testenv.Config(ctx, endpoint, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	return &bucketTools{t: t, ctx: ctx, s3: s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }), bucket: bucket}
}

func (b *bucketTools) policy() string {
	b.t.Helper()
	out, err := b.s3.GetBucketPolicy(b.ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(b.bucket)})
	if err != nil {
		b.t.Fatalf("get bucket policy: %v", err)
	}
	return aws.ToString(out.Policy)
}

// addStatement appends a statement to the live policy, as an operator
// editing it by hand would.
func (b *bucketTools) addStatement() {
	b.t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(b.policy()), &doc); err != nil {
		b.t.Fatal(err)
	}
	st, _ := doc["Statement"].([]any)
	doc["Statement"] = append(st, map[string]any{"Sid": operatorSid, "Effect": "Deny", "Principal": "*",
		"Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::" + b.bucket})
	out, _ := json.Marshal(doc)
	if _, err := b.s3.PutBucketPolicy(b.ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(b.bucket), Policy: aws.String(string(out))}); err != nil {
		b.t.Fatalf("operator's policy change: %v", err)
	}
}

// blockPublicAccess turns on all four settings, or only BlockPublicAcls.
func (b *bucketTools) blockPublicAccess(all bool) {
	b.t.Helper()
	_, err := b.s3.PutPublicAccessBlock(b.ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String(b.bucket),
		PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true),
			IgnorePublicAcls: aws.Bool(all), BlockPublicPolicy: aws.Bool(all), RestrictPublicBuckets: aws.Bool(all)}})
	if err != nil {
		b.t.Fatalf("operator's Block Public Access change: %v", err)
	}
}

// publicAccessBlock describes the live configuration: "none" or the four
// settings.
func (b *bucketTools) publicAccessBlock() string {
	b.t.Helper()
	out, err := b.s3.GetPublicAccessBlock(b.ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(b.bucket)})
	if err != nil {
		if strings.Contains(err.Error(), "NoSuchPublicAccessBlockConfiguration") {
			return "none"
		}
		b.t.Fatalf("get Block Public Access: %v", err)
	}
	c := out.PublicAccessBlockConfiguration
	var on []string
	for name, v := range map[string]*bool{"acls": c.BlockPublicAcls, "ignore": c.IgnorePublicAcls, "policy": c.BlockPublicPolicy, "restrict": c.RestrictPublicBuckets} {
		if aws.ToBool(v) {
			on = append(on, name)
		}
	}
	return strings.Join(sortedCopy(on), ",")
}

func sortedCopy(l []string) []string {
	out := append([]string(nil), l...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// applyBucketFixes applies the policy and Block Public Access fixes and
// returns the journal.
func applyBucketFixes(t *testing.T) string {
	t.Helper()
	journal := filepath.Join(t.TempDir(), "journal.json")
	code, stdout, stderr := runFixCLI(t, "", "fix", "--regions", "us-east-1", "--rules", "bucket.policy_source_arn,bucket.least_privilege,bucket.public_access",
		"--apply", "--yes", "--journal", journal)
	if code != ExitOK || !strings.Contains(stdout, "changed     bucket.policy:") || !strings.Contains(stdout, "changed     bucket.public_access:") {
		t.Fatalf("apply: exit %d\n%s\n%s", code, stdout, stderr)
	}
	return journal
}

// TestFixUndoTwiceKeepsLaterChanges: undo, then an operator adds a policy
// statement and turns Block Public Access on, then undo again. The second
// undo must change nothing: the journal says its changes were reverted.
func TestFixUndoTwiceKeepsLaterChanges(t *testing.T) {
	m := startScanMoto(t)
	seed, err := testenv.SeedMisconfigured(context.Background(), mustConfig(t, m.Endpoint), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	b := newBucketTools(t, m.Endpoint, seed.TrailBucket)
	journal := applyBucketFixes(t)

	code, stdout, stderr := runFixCLI(t, "", "fix", "--undo", journal, "--yes")
	if code != ExitOK || !strings.Contains(stdout, "reverted     bucket.policy:") || !strings.Contains(stdout, "reverted     bucket.public_access:") {
		t.Fatalf("first undo: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if got := b.publicAccessBlock(); got != "none" {
		t.Fatalf("first undo left Block Public Access %s", got)
	}

	b.addStatement()
	b.blockPublicAccess(true)
	code, stdout, stderr = runFixCLI(t, "", "fix", "--undo", journal, "--yes")
	if code != ExitOK {
		t.Errorf("second undo: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "nothing to undo") || !strings.Contains(stdout, "already reverted") {
		t.Errorf("second undo must say the journal was already undone:\n%s", stdout)
	}
	if !strings.Contains(b.policy(), operatorSid) {
		t.Errorf("the second undo deleted the operator's policy statement: %s", b.policy())
	}
	if got := b.publicAccessBlock(); got != "acls,ignore,policy,restrict" {
		t.Errorf("the second undo changed the operator's Block Public Access: %s", got)
	}
}

// TestFixUndoRefusesChangedResources: after apply, an operator adds a
// policy statement and turns three Block Public Access settings off. Undo
// must leave both alone, say what changed and how to revert by hand, and
// exit 1; the same undo with --force reverts them; a third undo is a no-op.
func TestFixUndoRefusesChangedResources(t *testing.T) {
	m := startScanMoto(t)
	seed, err := testenv.SeedMisconfigured(context.Background(), mustConfig(t, m.Endpoint), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	b := newBucketTools(t, m.Endpoint, seed.TrailBucket)
	journal := applyBucketFixes(t)
	b.addStatement()
	b.blockPublicAccess(false)

	code, stdout, stderr := runFixCLI(t, "", "fix", "--undo", journal, "--yes")
	if code != ExitRuntime {
		t.Errorf("undo over changed resources: exit %d, want %d\n%s\n%s", code, ExitRuntime, stdout, stderr)
	}
	for _, want := range []string{
		"refused      bucket.policy:" + seed.TrailBucket + ": changed since fix applied it",
		"aws s3api put-bucket-policy --bucket " + seed.TrailBucket,
		"refused      bucket.public_access:" + seed.TrailBucket + ": changed since fix applied it",
		"BlockPublicAcls on, IgnorePublicAcls off",
		"aws s3api delete-public-access-block --bucket " + seed.TrailBucket,
		"--force",
	} {
		if !strings.Contains(stdout+stderr, want) {
			t.Errorf("undo output lacks %q:\n%s\n%s", want, stdout, stderr)
		}
	}
	if !strings.Contains(b.policy(), operatorSid) {
		t.Errorf("undo deleted the operator's policy statement: %s", b.policy())
	}
	if got := b.publicAccessBlock(); got != "acls" {
		t.Errorf("undo changed the operator's Block Public Access: %s", got)
	}

	code, stdout, stderr = runFixCLI(t, "", "fix", "--undo", journal, "--yes", "--force")
	if code != ExitOK || !strings.Contains(stdout, "reverted     bucket.policy:") || !strings.Contains(stdout, "reverted     bucket.public_access:") {
		t.Fatalf("forced undo: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if strings.Contains(b.policy(), operatorSid) || strings.Contains(b.policy(), "DenyInsecureTransport") {
		t.Errorf("forced undo did not restore the policy fix replaced: %s", b.policy())
	}
	if got := b.publicAccessBlock(); got != "none" {
		t.Errorf("forced undo left Block Public Access %s", got)
	}
	code, stdout, _ = runFixCLI(t, "", "fix", "--undo", journal, "--yes")
	if code != ExitOK || !strings.Contains(stdout, "nothing to undo") {
		t.Errorf("undo after a complete undo must be a no-op: exit %d\n%s", code, stdout)
	}
}

func mustConfig(t *testing.T, endpoint string) aws.Config {
	t.Helper()
	cfg, err := testenv.Config(context.Background(), endpoint, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestFixUndoUsageErrors: --force belongs to --undo, and --journal never
// overwrites a file, which may be an earlier run's only record.
func TestFixUndoUsageErrors(t *testing.T) {
	assertUserError(t, ExitUsage, "--force only applies with --undo", "fix", "--force")
	existing := writeFile(t, "journal.json", "{}")
	assertUserError(t, ExitUsage, "already exists", "fix", "--apply", "--yes", "--journal", existing)
}
