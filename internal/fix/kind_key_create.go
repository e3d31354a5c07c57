package fix

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// KindCreateKey creates a KMS key for one trail, with an alias and
// rotation on. It is never reverted: trailseal never deletes a key.
const KindCreateKey Kind = "kms:CreateKey"

// CreateKeyParams are the parameters of a KindCreateKey step.
type CreateKeyParams struct {
	TrailRef
	KeyPolicy      string `json:"keyPolicy"`
	KeyDescription string `json:"keyDescription"`
}

// Kind implements Params.
func (*CreateKeyParams) Kind() Kind { return KindCreateKey }

// KeyAlias is the alias fix gives the key it creates for a trail, which
// also lets a re-run find a key an interrupted run already created.
func KeyAlias(trail string) string { return "alias/trailseal/cloudtrail/" + trail }

// Why created keys stay after --undo.
const notRevertedKey = "cannot be reverted automatically: trailseal never deletes a KMS key; schedule its deletion by hand if unwanted"

const (
	notRevertedAlias    = "the alias stays with the key it names, so that a new run reuses that key instead of creating another"
	notRevertedRotation = "rotation stays on the key fix created, which is kept"
)

var createKeyKind = kindOps{
	fixes:   []string{"trail.kms_encryption"},
	params:  func() Params { return &CreateKeyParams{} },
	apply:   applyCreateKey,
	resolve: resolveCreateKey,
	emitCLI: func(e *cliEmitter, s Step) {
		p := s.Params.(*CreateKeyParams)
		r := "--region " + s.Region
		v := e.newVar(s.ID, "keyArn", "KEY_ARN")
		e.line("%s=$(aws kms create-key %s --description %s --key-spec SYMMETRIC_DEFAULT --key-usage ENCRYPT_DECRYPT --tags TagKey=created-by,TagValue=trailseal --policy %s --query KeyMetadata.Arn --output text)",
			v, r, sq(p.KeyDescription), sq(p.KeyPolicy))
		e.line("aws kms create-alias %s --alias-name %s --target-key-id \"$%s\"", r, sq(KeyAlias(p.TrailName)), v)
		e.line("aws kms enable-key-rotation %s --key-id \"$%s\"", r, v)
	},
	emitTerraform: func(e *tfEmitter, s Step) {
		p := s.Params.(*CreateKeyParams)
		n := label("trail_" + p.TrailName)
		e.names[s.ID] = "aws_kms_key." + n
		e.line(`resource "aws_kms_key" %s {`, hq(n))
		e.line(`  description         = %s`, hq(p.KeyDescription))
		e.line(`  enable_key_rotation = true`)
		e.line(`  policy              = %s`, hq(p.KeyPolicy))
		e.line(`  tags = {`)
		e.line(`    "created-by" = "trailseal"`)
		e.line(`  }`)
		e.line(`}`)
		e.line("")
		e.line(`resource "aws_kms_alias" %s {`, hq(n))
		e.line(`  name          = %s`, hq(KeyAlias(p.TrailName)))
		e.line(`  target_key_id = aws_kms_key.%s.key_id`, n)
		e.line(`}`)
	},
}

// applyCreateKey reuses the key an earlier, interrupted run created and
// named with the alias, or creates one; then it turns rotation on. The new
// key's ARN is journaled the moment CreateKey returns it.
func applyCreateKey(ctx context.Context, r *stepRun) error {
	p := r.step.Params.(*CreateKeyParams)
	k := r.clients.kms(r.step.Region)
	alias := KeyAlias(p.TrailName)
	existing, err := k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(alias)})
	var keyARN string
	switch {
	case err == nil && existing.KeyMetadata.KeyState == kmstypes.KeyStateEnabled:
		keyARN = aws.ToString(existing.KeyMetadata.Arn)
		if err := r.output("keyArn", keyARN); err != nil {
			return err
		}
	case err == nil || errorCode(err) == "NotFoundException":
		if keyARN, err = createKey(ctx, r, k, alias); err != nil {
			return err
		}
	default:
		return failedCall("kms:DescribeKey", err)
	}
	return r.call(ctx, Change{Call: "kms:EnableKeyRotation", Resource: keyARN, Summary: "turned on rotation of key " + keyARN, NotReversible: notRevertedRotation},
		func(ctx context.Context, _ *Change) error {
			_, err := k.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: aws.String(keyARN)})
			return err
		})
}

func createKey(ctx context.Context, r *stepRun, k *kms.Client, alias string) (string, error) {
	p := r.step.Params.(*CreateKeyParams)
	var keyARN, keyID string
	err := r.call(ctx, Change{Call: "kms:CreateKey", Summary: "created a KMS key", Previous: marshal(prevExisted{}), NotReversible: notRevertedKey},
		func(ctx context.Context, ch *Change) error {
			var tags []kmstypes.Tag
			for _, key := range slices.Sorted(maps.Keys(r.creationTags())) {
				tags = append(tags, kmstypes.Tag{TagKey: aws.String(key), TagValue: aws.String(r.creationTags()[key])})
			}
			out, err := k.CreateKey(ctx, &kms.CreateKeyInput{
				Description: aws.String(p.KeyDescription), Policy: aws.String(p.KeyPolicy),
				KeySpec: kmstypes.KeySpecSymmetricDefault, KeyUsage: kmstypes.KeyUsageTypeEncryptDecrypt, Tags: tags,
			})
			if err != nil {
				return err
			}
			keyARN, keyID = aws.ToString(out.KeyMetadata.Arn), aws.ToString(out.KeyMetadata.KeyId)
			ch.Resource, ch.Summary = keyARN, "created KMS key "+keyARN
			return r.output("keyArn", keyARN)
		})
	if err != nil {
		return "", err
	}
	err = r.call(ctx, Change{Call: "kms:CreateAlias", Resource: alias, Summary: "created alias " + alias + " for it", Previous: marshal(prevExisted{}), NotReversible: notRevertedAlias},
		func(ctx context.Context, _ *Change) error {
			_, err := k.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: aws.String(keyID)})
			return err
		})
	return keyARN, err
}

// resolveCreateKey settles the key step by reading KMS: the key this step
// created is found by its tags when the journal never learnt its ARN, then
// the alias and the rotation are read.
func resolveCreateKey(ctx context.Context, r *stepRun) error {
	e := r.entry()
	p := r.step.Params.(*CreateKeyParams)
	k := r.clients.kms(r.step.Region)
	keyARN := e.Outputs["keyArn"]
	if keyARN == "" && hasPending(e, "kms:CreateKey") {
		arn, err := findTaggedKey(ctx, r, k)
		if err != nil {
			return err
		}
		keyARN = arn
	}
	if keyARN == "" {
		dropPending(e, "kms:CreateKey")
		r.settle(Failed, "interrupted before a key was created")
		return r.save()
	}
	confirm(e, "kms:CreateKey", keyARN, "created KMS key "+keyARN+" (found by its "+tagStep+" tag after the run stopped)")
	if err := r.output("keyArn", keyARN); err != nil {
		return err
	}
	if hasPending(e, "kms:CreateAlias") {
		d, err := k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(KeyAlias(p.TrailName))})
		switch {
		case err == nil && aws.ToString(d.KeyMetadata.Arn) == keyARN:
			confirm(e, "kms:CreateAlias", "", "")
		case err == nil || errorCode(err) == "NotFoundException":
			dropPending(e, "kms:CreateAlias")
		default:
			return err
		}
	}
	rot, err := k.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: aws.String(keyARN)})
	if err != nil {
		return err
	}
	if hasPending(e, "kms:EnableKeyRotation") && rot.KeyRotationEnabled {
		confirm(e, "kms:EnableKeyRotation", "", "")
	}
	dropPending(e, "kms:EnableKeyRotation")
	settleCalls(r, "kms:EnableKeyRotation")
	return r.save()
}

// findTaggedKey lists the region's keys for the one this step created.
func findTaggedKey(ctx context.Context, r *stepRun, k *kms.Client) (string, error) {
	if r.journal.Run == "" {
		return "", errors.New("a journal of version 1 names no run, so the key cannot be told from others by its tags: look for keys tagged created-by=trailseal")
	}
	pages := kms.NewListKeysPaginator(k, &kms.ListKeysInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("kms:ListKeys: %w", err)
		}
		for _, key := range page.Keys {
			tags, err := k.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: key.KeyId})
			if err != nil {
				continue // AWS managed keys and keys of no concern may refuse
			}
			m := map[string]string{}
			for _, t := range tags.Tags {
				m[aws.ToString(t.TagKey)] = aws.ToString(t.TagValue)
			}
			if r.createdHere(m) {
				return aws.ToString(key.KeyArn), nil
			}
		}
	}
	return "", nil
}
