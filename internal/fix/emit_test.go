package fix_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/trailseal/trailseal/internal/fix"
	"github.com/trailseal/trailseal/internal/testenv"
)

// TestEmitCLIReachesSameEndState applies a plan with the SDK, then runs the
// same plan emitted as an AWS CLI script against a fresh copy of the
// account, and requires identical finding statuses after both.
func TestEmitCLIReachesSameEndState(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatalf("the aws CLI is needed to run the emitted script: %v", err)
	}
	ctx, cfg := fresh(t)
	m := seed(t, ctx, cfg)
	plan, inv, _ := planFor(t, ctx, cfg, m, fixOptions(m))
	var script bytes.Buffer
	if err := fix.EmitCLI(&script, plan); err != nil {
		t.Fatal(err)
	}
	j := fix.NewJournal(filepath.Join(t.TempDir(), "j.json"), inv.Account.ID)
	if out, err := (&fix.Applier{Clients: fix.NewClients(cfg), Journal: j}).Apply(ctx, plan); err != nil || out.Failed+out.Skipped > 0 {
		t.Fatalf("apply: %+v %v", out, err)
	}
	_, viaSDK := scan(t, ctx, deliveringConfig(t, ctx))

	ctx, cfg = fresh(t)
	seed(t, ctx, cfg)
	path := filepath.Join(t.TempDir(), "fix.sh")
	if err := os.WriteFile(path, script.Bytes(), 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "bash", path)
	cmd.Env = append(os.Environ(), testenv.Env(moto.Endpoint, region)...)
	cmd.Env = append(cmd.Env, "AWS_PAGER=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("emitted script failed: %v\n%s\nscript:\n%s", err, out, script.String())
	}
	_, viaCLI := scan(t, ctx, deliveringConfig(t, ctx))

	a, b := statusOf(viaSDK), statusOf(viaCLI)
	var diffs []string
	for k, v := range a {
		if b[k] != v {
			diffs = append(diffs, k+": SDK "+string(v)+", CLI "+string(b[k]))
		}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok {
			diffs = append(diffs, k+": only after CLI, "+string(v))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("end states differ:\n%s\nscript:\n%s", strings.Join(diffs, "\n"), script.String())
	}
}

// TestEmitTerraformParses renders the full plan as Terraform and parses it
// as HCL.
func TestEmitTerraformParses(t *testing.T) {
	ctx, cfg := fresh(t)
	m := seed(t, ctx, cfg)
	plan, inv, _ := planFor(t, ctx, cfg, m, fixOptions(m))
	var tf bytes.Buffer
	if err := fix.EmitTerraform(&tf, plan, inv); err != nil {
		t.Fatal(err)
	}
	f, diags := hclparse.NewParser().ParseHCL(tf.Bytes(), "fix.tf")
	if diags.HasErrors() {
		t.Fatalf("emitted Terraform does not parse: %s\n%s", diags.Error(), tf.String())
	}
	content, _, diags := f.Body.PartialContent(terraformSchema)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	types := map[string]int{}
	for _, b := range content.Blocks {
		if b.Type == "resource" {
			types[b.Labels[0]]++
		} else {
			types[b.Type]++
		}
	}
	for _, want := range []string{
		"aws_cloudtrail", "import", "aws_kms_key", "aws_kms_alias", "aws_cloudwatch_log_group", "aws_iam_role", "aws_iam_role_policy",
		"aws_cloudwatch_log_metric_filter", "aws_cloudwatch_metric_alarm", "aws_s3_bucket_versioning",
		"aws_s3_bucket_object_lock_configuration", "aws_s3_bucket_public_access_block", "aws_s3_bucket_lifecycle_configuration",
		"aws_s3_bucket_logging", "aws_s3_bucket_policy",
	} {
		if types[want] == 0 {
			t.Errorf("no %s block in:\n%s", want, tf.String())
		}
	}
	if types["aws_cloudtrail"] != 1 {
		t.Errorf("want one aws_cloudtrail resource for the one trail, got %d", types["aws_cloudtrail"])
	}
}

var terraformSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "resource", LabelNames: []string{"type", "name"}},
	{Type: "import"},
	{Type: "terraform"},
}}
