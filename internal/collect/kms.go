package collect

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/trailseal/trailseal/internal/awsclient"
	"github.com/trailseal/trailseal/internal/inventory"
)

// keyRef is a trail's KmsKeyId with where to ask about it.
type keyRef struct {
	id     string
	region string
	owner  string
}

// keys reads every distinct trail KMS key once.
func (c *collector) keys(ctx context.Context, trails []inventory.Trail) []inventory.KMSKey {
	refs := map[string]keyRef{}
	for _, t := range trails {
		if t.KMSKeyID == "" {
			continue
		}
		if _, ok := refs[t.KMSKeyID]; ok {
			continue
		}
		// A bare key ID or alias lives in the trail owner's account and,
		// for CloudTrail, in the trail's home region.
		ref := keyRef{id: t.KMSKeyID, region: t.HomeRegion, owner: t.OwnerAccountID}
		if r := regionOf(t.KMSKeyID); r != "" {
			ref.region = r
		}
		if a := accountOf(t.KMSKeyID); a != "" {
			ref.owner = a
		}
		refs[t.KMSKeyID] = ref
	}
	ids := sortedKeys(refs)
	out := make([]inventory.KMSKey, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		c.spawn(&wg, func() { out[i] = c.key(ctx, refs[id]) })
	}
	wg.Wait()
	return out
}

func (c *collector) key(ctx context.Context, ref keyRef) inventory.KMSKey {
	k := inventory.KMSKey{ARN: ref.id, Region: ref.region, OwnerAccountID: ref.owner}
	foreign := ref.owner != "" && ref.owner != c.account
	client := c.aws.KMS(ref.region)

	desc, err := client.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(ref.id)})
	if err != nil {
		if foreign && awsclient.IsAccessDenied(err) {
			reason := "the key policy does not let this account describe the key"
			k.Metadata = inventory.InAccount[inventory.KeyMetadata](ref.owner, reason)
			k.Rotation = inventory.InAccount[bool](ref.owner, reason)
			k.Policy = inventory.InAccount[string](ref.owner, reason)
			return k
		}
		k.Metadata = failed[inventory.KeyMetadata]("kms:DescribeKey", err)
		k.Rotation = failed[bool]("kms:DescribeKey", err)
		k.Policy = failed[string]("kms:DescribeKey", err)
		return k
	}
	md := desc.KeyMetadata
	if arn := aws.ToString(md.Arn); arn != "" {
		k.ARN = arn
	}
	k.Metadata = inventory.Ok(inventory.KeyMetadata{
		KeyID:      aws.ToString(md.KeyId),
		KeyState:   string(md.KeyState),
		KeyManager: string(md.KeyManager),
		KeySpec:    string(md.KeySpec),
		Enabled:    md.Enabled,
	})

	var wg sync.WaitGroup
	if md.KeyManager == kmstypes.KeyManagerTypeCustomer {
		c.spawn(&wg, func() {
			rot, err := client.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: aws.String(k.ARN)})
			switch {
			case err == nil:
				k.Rotation = inventory.Ok(rot.KeyRotationEnabled)
			case foreign && awsclient.IsAccessDenied(err):
				k.Rotation = inventory.InAccount[bool](ref.owner, "the key policy does not let this account read the rotation status")
			default:
				k.Rotation = failed[bool]("kms:GetKeyRotationStatus", err)
			}
		})
	} else {
		// AWS rotates the keys it manages every year; there is nothing to
		// ask.
		k.Rotation = inventory.Ok(true)
	}
	if foreign {
		// GetKeyPolicy does not accept keys of other accounts.
		k.Policy = inventory.InAccount[string](ref.owner, "a key policy can only be read from the account that owns the key")
	} else {
		c.spawn(&wg, func() {
			pol, err := client.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(k.ARN), PolicyName: aws.String("default")})
			if err != nil {
				k.Policy = failed[string]("kms:GetKeyPolicy", err)
				return
			}
			k.Policy = inventory.Ok(aws.ToString(pol.Policy))
		})
	}
	wg.Wait()
	return k
}
