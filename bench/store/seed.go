package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/trailseal/trailseal/internal/drift"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/rules"
	"github.com/trailseal/trailseal/internal/store"
	"github.com/trailseal/trailseal/internal/testenv"
)

var sampleRegions = "us-east-1,us-west-2,eu-west-1"

// motoScans seeds the sample account of bench/scan_calls.sh into moto
// (three trails in three regions, three buckets, a key, a log group) and
// scans it with and without the store.
func (b *bench) motoScans(pairs int) error {
	m, err := testenv.StartMoto()
	if err != nil {
		return err
	}
	defer m.Stop()
	if err := seedSampleAccount(context.Background(), m.Endpoint); err != nil {
		return fmt.Errorf("seed moto: %w", err)
	}
	fmt.Printf("\n## scan of the sample account in moto, regions %s (%d pairs)\n", sampleRegions, pairs)
	env := testenv.Env(m.Endpoint, "us-east-1")
	for _, backend := range []string{"sqlite", "postgres"} {
		url, err := b.newStore(backend, "moto")
		if err != nil {
			return err
		}
		if err := b.scanPairs(backend, url, pairs, env, "--regions", sampleRegions); err != nil {
			return err
		}
	}
	return nil
}

func seedSampleAccount(ctx context.Context, endpoint string) error {
	cfg, err := testenv.Config(ctx, endpoint, "us-east-1")
	if err != nil {
		return err
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("org-audit-logs"), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		return err
	}
	if _, err := s3c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("org-audit-logs"),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		return err
	}
	for bucket, region := range map[string]string{"legacy-trail": "us-west-2", "tooling-trail": "eu-west-1"} {
		if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket),
			CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(region)}},
			func(o *s3.Options) { o.Region = region }); err != nil {
			return err
		}
	}
	key, err := kms.NewFromConfig(cfg).CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		return err
	}
	if _, err := kms.NewFromConfig(cfg).EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: key.KeyMetadata.Arn}); err != nil {
		return err
	}
	logs := cloudwatchlogs.NewFromConfig(cfg)
	if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("org-trail")}); err != nil {
		return err
	}
	groups, err := logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("org-trail")})
	if err != nil || len(groups.LogGroups) == 0 {
		return fmt.Errorf("log group: %v", err)
	}
	trails := []struct {
		region string
		in     cloudtrail.CreateTrailInput
		start  bool
	}{
		{"us-east-1", cloudtrail.CreateTrailInput{Name: aws.String("org-trail"), S3BucketName: aws.String("org-audit-logs"),
			IsMultiRegionTrail: aws.Bool(true), EnableLogFileValidation: aws.Bool(true), KmsKeyId: key.KeyMetadata.Arn,
			CloudWatchLogsLogGroupArn: groups.LogGroups[0].Arn, CloudWatchLogsRoleArn: aws.String("arn:aws:iam::123456789012:role/ct")}, true},
		{"us-west-2", cloudtrail.CreateTrailInput{Name: aws.String("legacy"), S3BucketName: aws.String("legacy-trail")}, true},
		{"eu-west-1", cloudtrail.CreateTrailInput{Name: aws.String("tooling"), S3BucketName: aws.String("tooling-trail"), IsMultiRegionTrail: aws.Bool(true)}, false},
	}
	for _, t := range trails {
		ct := cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) { o.Region = t.region })
		if _, err := ct.CreateTrail(ctx, &t.in); err != nil {
			return err
		}
		if t.start {
			if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: t.in.Name}); err != nil {
				return err
			}
		}
	}
	return nil
}

// seedRuns writes n daily runs of the demo account into a store, the way
// scan --store would: the rule catalog's findings plus drift against the
// run before. The account changes now and then, so that diffs and drift
// have something to show: every 10 runs the legacy trail disappears for a
// run, every 7 the organization trail points at another bucket.
func seedRuns(ctx context.Context, url, snapshot string, n int) error {
	loc, err := store.ParseLocation(url)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, loc, store.Create)
	if err != nil {
		return err
	}
	defer st.Close()
	base, err := inventory.Load(snapshot)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(base)
	if err != nil {
		return err
	}
	start := time.Now().UTC().Add(-time.Duration(n) * 24 * time.Hour)
	var prev *drift.Side
	for i := range n {
		var inv inventory.Inventory
		if err := json.Unmarshal(raw, &inv); err != nil {
			return err
		}
		vary(&inv, i)
		at := start.Add(time.Duration(i) * 24 * time.Hour)
		inv.CollectedAt = at
		fs := rules.Evaluate(&inv, rules.All(), rules.DefaultOptions())
		cur := drift.Side{Time: at, Inventory: &inv, Findings: fs}
		all := append(fs, drift.Compare(prev, cur)...)
		rules.SortFindings(all)
		id, err := st.Save(ctx, &store.Record{
			StartedAt: at, FinishedAt: at.Add(2 * time.Second), Source: "aws", ToolVersion: "bench", CatalogVersion: "bench",
			ExitCode: 3, Regions: inv.Regions, Accounts: []store.Account{{ID: inv.Account.ID, Inventory: &inv}}, Findings: all,
		})
		if err != nil {
			return err
		}
		prev = &drift.Side{RunID: id, Time: at, Inventory: &inv, Findings: all}
	}
	return nil
}

func vary(inv *inventory.Inventory, i int) {
	var kept []inventory.Trail
	for _, t := range inv.Trails {
		if t.Name == "legacy-audit" && i%10 == 9 {
			continue
		}
		if t.Name == "organization-trail" && i%7 == 6 {
			t.S3BucketName = "other-bucket"
		}
		kept = append(kept, t)
	}
	inv.Trails = kept
}
