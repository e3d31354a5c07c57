package fix_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/fix"
	"github.com/trailseal/trailseal/internal/permissions"
	"github.com/trailseal/trailseal/internal/testenv"
)

// TestLogGroupKindsApplyAndUndo: a trail delivers to a log group that keeps
// events 30 days and has no KMS key. With a --kms-key whose policy lets
// CloudWatch Logs use it, fix plans both changes; after apply both rules
// pass; undo puts both back and they fail again. moto lacks AssociateKmsKey
// and DisassociateKmsKey: a proxy simulates them (testenv.SimulateLogsKMS).
func TestLogGroupKindsApplyAndUndo(t *testing.T) {
	ctx, direct := fresh(t)
	m := seedGoldenAlarm(t, ctx, direct)
	proxy, err := testenv.StartProxy(moto.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	testenv.SimulateLogsKMS(proxy)
	cfg, err := testenv.Config(ctx, proxy.URL, region)
	if err != nil {
		t.Fatal(err)
	}
	logs := cloudwatchlogs.NewFromConfig(cfg)
	if _, err := logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(goldenLogGroup), RetentionInDays: aws.Int32(30)}); err != nil {
		t.Fatal(err)
	}
	groupARN := fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", region, testenv.MotoAccount, goldenLogGroup)
	keyPolicy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%[1]s:root"},"Action":"kms:*","Resource":"*"},
		{"Effect":"Allow","Principal":{"Service":"logs.%[2]s.amazonaws.com"},"Action":["kms:Encrypt*","kms:Decrypt*","kms:ReEncrypt*","kms:GenerateDataKey*","kms:Describe*"],"Resource":"*",
		 "Condition":{"ArnLike":{"kms:EncryptionContext:aws:logs:arn":"%[3]s"}}}]}`, testenv.MotoAccount, region, groupARN)
	key, err := kms.NewFromConfig(cfg).CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(keyPolicy)})
	if err != nil {
		t.Fatal(err)
	}
	opts := fixOptions(m)
	opts.Rules = []string{"trail.log_group_retention", "trail.log_group_encryption"}
	opts.KMSKeyARN = aws.ToString(key.KeyMetadata.Arn)
	plan, inv, _ := planFor(t, ctx, cfg, m, opts)
	if len(plan.Steps) != 2 || len(plan.Refused) > 0 {
		t.Fatalf("want a retention and a key step: %+v", plan)
	}
	clients := fix.NewClients(cfg)
	j := fix.NewJournal(filepath.Join(t.TempDir(), "journal.json"), inv.Account.ID)
	if out, err := (&fix.Applier{Clients: clients, Journal: j}).Apply(ctx, plan); err != nil || out.Applied != 2 {
		t.Fatalf("apply: %+v %v %+v", out, err, j.Entries)
	}
	assertRules(t, ctx, cfg, groupARN, findings.Pass)
	for _, r := range fix.Undo(ctx, clients, j) {
		if r.Status != fix.Reverted {
			t.Errorf("undo of %s: %s %s", r.Step.ID, r.Status, r.Detail)
		}
	}
	assertRules(t, ctx, cfg, groupARN, findings.Fail)
	if missing, err := permissions.Missing(permissions.FixPolicy(), clients.Calls()); err != nil || len(missing) > 0 {
		t.Errorf("the fix policy lacks: %v %v", missing, err)
	}
}

func assertRules(t *testing.T, ctx context.Context, cfg aws.Config, groupARN string, want findings.Status) {
	t.Helper()
	_, fs := scan(t, ctx, cfg)
	for _, id := range []string{"trail.log_group_retention", "trail.log_group_encryption"} {
		got := statusOf(fs)[id+" "+groupARN]
		if got != want {
			var msgs []string
			for _, f := range fs {
				if f.RuleID == id {
					msgs = append(msgs, f.Resource+": "+f.Message)
				}
			}
			t.Errorf("%s is %s, want %s: %s", id, got, want, strings.Join(msgs, "; "))
		}
	}
}
