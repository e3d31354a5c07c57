package orgscan

import (
	"github.com/trailseal/trailseal/internal/inventory"
)

// ownerIndex knows, for every bucket and key that some scanned account read
// as its own, which account that is and what it read.
type ownerIndex struct {
	buckets map[string]ownedBucket
	keys    map[string]ownedKey
}

type ownedBucket struct {
	account string
	bucket  *inventory.Bucket
}

type ownedKey struct {
	account string
	key     *inventory.KMSKey
}

func indexOwners(invs []*inventory.Inventory) ownerIndex {
	idx := ownerIndex{buckets: map[string]ownedBucket{}, keys: map[string]ownedKey{}}
	for _, inv := range invs {
		for i := range inv.Buckets {
			b := &inv.Buckets[i]
			if b.OwnedByScannedAccount {
				idx.buckets[b.Name] = ownedBucket{account: inv.Account.ID, bucket: b}
			}
		}
		for i := range inv.Keys {
			k := &inv.Keys[i]
			// Only a full key ARN identifies a key across accounts; a key
			// the account read itself resolves to one.
			if k.OwnerAccountID == inv.Account.ID && k.Metadata.Known() && isARN(k.ARN) {
				idx.keys[k.ARN] = ownedKey{account: inv.Account.ID, key: k}
			}
		}
	}
	return idx
}

// owner returns the scanned account that owns bucket name, or "".
func (idx ownerIndex) bucketOwner(name string) string {
	return idx.buckets[name].account
}

// withOwnerEvidence returns inv with the evidence of buckets and keys held
// by another scanned account replaced by what that account read about its
// own resource. Only evidence the member could not read (Elsewhere) is
// replaced; inv itself is not modified.
func withOwnerEvidence(inv *inventory.Inventory, idx ownerIndex) *inventory.Inventory {
	out := *inv
	out.Buckets = append([]inventory.Bucket(nil), inv.Buckets...)
	out.Keys = append([]inventory.KMSKey(nil), inv.Keys...)
	for i := range out.Buckets {
		b := &out.Buckets[i]
		src, ok := idx.buckets[b.Name]
		if !ok || b.OwnedByScannedAccount || src.account == inv.Account.ID {
			continue
		}
		o := src.bucket
		b.OwnerAccountID = src.account
		adopt(&b.Region, o.Region)
		adopt(&b.Versioning, o.Versioning)
		adopt(&b.ObjectLock, o.ObjectLock)
		adopt(&b.Encryption, o.Encryption)
		adopt(&b.PublicAccessBlock, o.PublicAccessBlock)
		adopt(&b.Policy, o.Policy)
		adopt(&b.PolicyStatus, o.PolicyStatus)
		adopt(&b.ACL, o.ACL)
		adopt(&b.Ownership, o.Ownership)
		adopt(&b.Logging, o.Logging)
		adopt(&b.Lifecycle, o.Lifecycle)
	}
	for i := range out.Keys {
		k := &out.Keys[i]
		src, ok := idx.keys[k.ARN]
		if !ok || src.account == inv.Account.ID {
			continue
		}
		k.OwnerAccountID = src.account
		if k.Region == "" {
			k.Region = src.key.Region
		}
		adopt(&k.Metadata, src.key.Metadata)
		adopt(&k.Rotation, src.key.Rotation)
		adopt(&k.Policy, src.key.Policy)
	}
	return &out
}

// adopt replaces evidence the member could not see with the owner's: its
// value, or the error the owner got, which is then the honest verdict.
func adopt[T any](dst *inventory.Result[T], owner inventory.Result[T]) {
	if dst.Elsewhere == nil || owner.Elsewhere != nil || (owner.Value == nil && owner.Error == nil) {
		return
	}
	*dst = owner
}

func isARN(s string) bool {
	return len(s) > 4 && s[:4] == "arn:"
}
