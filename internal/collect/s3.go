package collect

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/trailseal/trailseal/internal/awsclient"
	"github.com/trailseal/trailseal/internal/inventory"
)

// buckets reads every distinct trail bucket once.
func (c *collector) buckets(ctx context.Context, trails []inventory.Trail) []inventory.Bucket {
	// The first trail naming a bucket decides which account is credited as
	// its owner when we cannot see it.
	owners := map[string]string{}
	for _, t := range trails {
		if t.S3BucketName == "" {
			continue
		}
		if _, ok := owners[t.S3BucketName]; !ok {
			owners[t.S3BucketName] = t.OwnerAccountID
		}
	}
	if len(owners) == 0 {
		return []inventory.Bucket{}
	}
	names := sortedKeys(owners)
	out := make([]inventory.Bucket, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		c.spawn(&wg, func() { out[i] = c.bucket(ctx, name, owners[name]) })
	}
	wg.Wait()
	return out
}

// owned lists the scanned account's buckets once per scan.
func (c *collector) owned(ctx context.Context) (map[string]bool, error) {
	c.listOnce.Do(func() {
		own := map[string]bool{}
		p := s3.NewListBucketsPaginator(c.aws.S3(c.globalS3Region()), &s3.ListBucketsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				c.listBuckets = err
				return
			}
			for _, b := range page.Buckets {
				own[aws.ToString(b.Name)] = true
			}
		}
		c.ownBuckets = own
	})
	return c.ownBuckets, c.listBuckets
}

// globalS3Region is where bucket-independent S3 calls (ListBuckets,
// GetBucketLocation) work for buckets of any region.
func (c *collector) globalS3Region() string {
	switch c.partition {
	case "aws-cn":
		return "cn-north-1"
	case "aws-us-gov":
		return "us-gov-west-1"
	case "aws", "":
		return "us-east-1"
	}
	return c.aws.AWSConfig().Region
}

func (c *collector) bucket(ctx context.Context, name, trailOwner string) inventory.Bucket {
	b := inventory.Bucket{Name: name, ARN: fmt.Sprintf("arn:%s:s3:::%s", c.partition, name)}
	own, err := c.owned(ctx)
	switch {
	case err == nil && !own[name]:
		owner := ""
		if trailOwner != c.account {
			owner = trailOwner
		}
		b.OwnerAccountID = owner
		setBucketElsewhere(&b, owner, "the bucket is not in this account's s3:ListBuckets, so this identity cannot read its configuration")
		return b
	case err == nil:
		b.OwnedByScannedAccount = true
		b.OwnerAccountID = c.account
	default:
		// S3 answers a call naming the expected owner only when that
		// account owns the bucket, which settles ownership without
		// ListBuckets; a bucket left unowned would drop out of the
		// checks that only concern our own buckets.
		loc, perr := c.aws.S3(c.globalS3Region()).GetBucketLocation(ctx, &s3.GetBucketLocationInput{
			Bucket:              aws.String(name),
			ExpectedBucketOwner: aws.String(c.account),
		})
		if perr == nil {
			b.OwnedByScannedAccount = true
			b.OwnerAccountID = c.account
			c.ownedBucket(ctx, &b, loc)
			return b
		}
		// Ownership is unknown, but the bucket calls themselves say
		// whether we may read it: try them rather than give up.
		code, _ := awsclient.Failure(err)
		c.log.Warn("cannot list buckets; reading trail bucket without knowing its owner", "bucket", name, "code", code)
	}
	c.ownedBucket(ctx, &b, nil)
	return b
}

func setBucketElsewhere(b *inventory.Bucket, owner, reason string) {
	b.Region = inventory.InAccount[string](owner, reason)
	b.Versioning = inventory.InAccount[inventory.Versioning](owner, reason)
	b.ObjectLock = inventory.InAccount[inventory.ObjectLock](owner, reason)
	b.Encryption = inventory.InAccount[inventory.Encryption](owner, reason)
	b.PublicAccessBlock = inventory.InAccount[inventory.PublicAccessBlock](owner, reason)
	b.Policy = inventory.InAccount[inventory.BucketPolicy](owner, reason)
	b.PolicyStatus = inventory.InAccount[inventory.PolicyStatus](owner, reason)
	b.ACL = inventory.InAccount[inventory.ACL](owner, reason)
	b.Ownership = inventory.InAccount[inventory.Ownership](owner, reason)
	b.Logging = inventory.InAccount[inventory.AccessLogging](owner, reason)
	b.Lifecycle = inventory.InAccount[inventory.Lifecycle](owner, reason)
}

// ownedBucket reads a bucket's configuration in the bucket's own region:
// S3 answers configuration calls sent to another region with a redirect.
// loc is the bucket's location when already read.
func (c *collector) ownedBucket(ctx context.Context, b *inventory.Bucket, loc *s3.GetBucketLocationOutput) {
	var err error
	if loc == nil {
		loc, err = c.aws.S3(c.globalS3Region()).GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(b.Name)})
	}
	region := ""
	if err != nil {
		b.Region = failed[string]("s3:GetBucketLocation", err)
		// Still try: the configured region is the likeliest home and
		// each call records its own failure if it is wrong.
		region = c.aws.AWSConfig().Region
	} else {
		region = awsclient.BucketRegion(string(loc.LocationConstraint))
		b.Region = inventory.Ok(region)
	}
	client := c.aws.S3(region)
	in := func() *string { return aws.String(b.Name) }

	var wg sync.WaitGroup
	c.spawn(&wg, func() {
		out, err := client.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: in()})
		if err != nil {
			b.Versioning = failed[inventory.Versioning]("s3:GetBucketVersioning", err)
			return
		}
		b.Versioning = inventory.Ok(inventory.Versioning{Status: string(out.Status), MFADelete: string(out.MFADelete)})
	})
	c.spawn(&wg, func() {
		out, err := client.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: in()})
		if awsclient.HasCode(err, "ObjectLockConfigurationNotFoundError") {
			b.ObjectLock = inventory.Ok(inventory.ObjectLock{Enabled: false})
			return
		}
		if err != nil {
			b.ObjectLock = failed[inventory.ObjectLock]("s3:GetObjectLockConfiguration", err)
			return
		}
		var ol inventory.ObjectLock
		if cfg := out.ObjectLockConfiguration; cfg != nil {
			ol.Enabled = cfg.ObjectLockEnabled == s3types.ObjectLockEnabledEnabled
			if cfg.Rule != nil && cfg.Rule.DefaultRetention != nil {
				r := cfg.Rule.DefaultRetention
				ol.DefaultMode = string(r.Mode)
				ol.Days = int(aws.ToInt32(r.Days))
				ol.Years = int(aws.ToInt32(r.Years))
			}
		}
		b.ObjectLock = inventory.Ok(ol)
	})
	c.spawn(&wg, func() {
		out, err := client.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: in()})
		if awsclient.HasCode(err, "ServerSideEncryptionConfigurationNotFoundError") {
			b.Encryption = inventory.Ok(inventory.Encryption{Rules: []inventory.EncryptionRule{}})
			return
		}
		if err != nil {
			b.Encryption = failed[inventory.Encryption]("s3:GetBucketEncryption", err)
			return
		}
		enc := inventory.Encryption{Rules: []inventory.EncryptionRule{}}
		if out.ServerSideEncryptionConfiguration != nil {
			for _, r := range out.ServerSideEncryptionConfiguration.Rules {
				er := inventory.EncryptionRule{BucketKeyEnabled: aws.ToBool(r.BucketKeyEnabled)}
				if d := r.ApplyServerSideEncryptionByDefault; d != nil {
					er.SSEAlgorithm = string(d.SSEAlgorithm)
					er.KMSMasterKeyID = aws.ToString(d.KMSMasterKeyID)
				}
				enc.Rules = append(enc.Rules, er)
			}
		}
		b.Encryption = inventory.Ok(enc)
	})
	c.spawn(&wg, func() {
		out, err := client.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: in()})
		if awsclient.HasCode(err, "NoSuchPublicAccessBlockConfiguration") {
			b.PublicAccessBlock = inventory.Ok(inventory.PublicAccessBlock{Configured: false})
			return
		}
		if err != nil {
			b.PublicAccessBlock = failed[inventory.PublicAccessBlock]("s3:GetPublicAccessBlock", err)
			return
		}
		pab := inventory.PublicAccessBlock{Configured: true}
		if p := out.PublicAccessBlockConfiguration; p != nil {
			pab = publicAccessBlock(p.BlockPublicAcls, p.IgnorePublicAcls, p.BlockPublicPolicy, p.RestrictPublicBuckets)
		}
		b.PublicAccessBlock = inventory.Ok(pab)
	})
	c.spawn(&wg, func() {
		out, err := client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: in()})
		if awsclient.HasCode(err, "NoSuchBucketPolicy") {
			b.Policy = inventory.Ok(inventory.BucketPolicy{Exists: false})
			return
		}
		if err != nil {
			b.Policy = failed[inventory.BucketPolicy]("s3:GetBucketPolicy", err)
			return
		}
		b.Policy = inventory.Ok(inventory.BucketPolicy{Exists: true, Document: aws.ToString(out.Policy)})
	})
	c.spawn(&wg, func() {
		out, err := client.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: in()})
		if awsclient.HasCode(err, "NoSuchBucketPolicy") {
			b.PolicyStatus = inventory.Ok(inventory.PolicyStatus{IsPublic: false})
			return
		}
		if err != nil {
			b.PolicyStatus = failed[inventory.PolicyStatus]("s3:GetBucketPolicyStatus", err)
			return
		}
		public := out.PolicyStatus != nil && aws.ToBool(out.PolicyStatus.IsPublic)
		b.PolicyStatus = inventory.Ok(inventory.PolicyStatus{IsPublic: public})
	})
	c.spawn(&wg, func() {
		out, err := client.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: in()})
		if err != nil {
			b.ACL = failed[inventory.ACL]("s3:GetBucketAcl", err)
			return
		}
		acl := inventory.ACL{Grants: []inventory.Grant{}}
		if out.Owner != nil {
			acl.OwnerID = aws.ToString(out.Owner.ID)
		}
		for _, g := range out.Grants {
			gr := inventory.Grant{Permission: string(g.Permission)}
			if g.Grantee != nil {
				gr.GranteeType = string(g.Grantee.Type)
				gr.ID = aws.ToString(g.Grantee.ID)
				gr.URI = aws.ToString(g.Grantee.URI)
			}
			acl.Grants = append(acl.Grants, gr)
		}
		b.ACL = inventory.Ok(acl)
	})
	c.spawn(&wg, func() {
		out, err := client.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: in()})
		if awsclient.HasCode(err, "OwnershipControlsNotFoundError") {
			b.Ownership = inventory.Ok(inventory.Ownership{})
			return
		}
		if err != nil {
			b.Ownership = failed[inventory.Ownership]("s3:GetBucketOwnershipControls", err)
			return
		}
		var own inventory.Ownership
		if out.OwnershipControls != nil && len(out.OwnershipControls.Rules) > 0 {
			own.ObjectOwnership = string(out.OwnershipControls.Rules[0].ObjectOwnership)
		}
		b.Ownership = inventory.Ok(own)
	})
	c.spawn(&wg, func() {
		out, err := client.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: in()})
		if err != nil {
			b.Logging = failed[inventory.AccessLogging]("s3:GetBucketLogging", err)
			return
		}
		var lg inventory.AccessLogging
		if le := out.LoggingEnabled; le != nil && aws.ToString(le.TargetBucket) != "" {
			lg = inventory.AccessLogging{
				Enabled:      true,
				TargetBucket: aws.ToString(le.TargetBucket),
				TargetPrefix: aws.ToString(le.TargetPrefix),
			}
		}
		b.Logging = inventory.Ok(lg)
	})
	c.spawn(&wg, func() {
		out, err := client.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: in()})
		if awsclient.HasCode(err, "NoSuchLifecycleConfiguration") {
			b.Lifecycle = inventory.Ok(inventory.Lifecycle{Configured: false})
			return
		}
		if err != nil {
			b.Lifecycle = failed[inventory.Lifecycle]("s3:GetBucketLifecycleConfiguration", err)
			return
		}
		lc := inventory.Lifecycle{Configured: true}
		for _, r := range out.Rules {
			lc.Rules = append(lc.Rules, lifecycleRule(r))
		}
		b.Lifecycle = inventory.Ok(lc)
	})
	wg.Wait()
}

// lifecycleRule keeps what matters for retention. The prefix may sit in
// Filter.Prefix, Filter.And.Prefix or the legacy top-level Prefix,
// depending on how the rule was written; a tag or object size filter
// narrows the rule further (see the LifecycleRuleFilter API reference,
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleRuleFilter.html).
func lifecycleRule(r s3types.LifecycleRule) inventory.LifecycleRule {
	lr := inventory.LifecycleRule{ID: aws.ToString(r.ID), Status: string(r.Status)}
	prefix := r.Prefix //nolint:staticcheck // legacy rules still carry it
	if f := r.Filter; f != nil {
		if f.Prefix != nil {
			prefix = f.Prefix
		}
		if f.Tag != nil {
			lr.Tags = append(lr.Tags, aws.ToString(f.Tag.Key)+"="+aws.ToString(f.Tag.Value))
		}
		lr.ObjectSizeGreaterThan = aws.ToInt64(f.ObjectSizeGreaterThan)
		lr.ObjectSizeLessThan = aws.ToInt64(f.ObjectSizeLessThan)
		if a := f.And; a != nil {
			if a.Prefix != nil {
				prefix = a.Prefix
			}
			for _, t := range a.Tags {
				lr.Tags = append(lr.Tags, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
			}
			if a.ObjectSizeGreaterThan != nil {
				lr.ObjectSizeGreaterThan = aws.ToInt64(a.ObjectSizeGreaterThan)
			}
			if a.ObjectSizeLessThan != nil {
				lr.ObjectSizeLessThan = aws.ToInt64(a.ObjectSizeLessThan)
			}
		}
	}
	lr.Prefix = aws.ToString(prefix)
	if r.Expiration != nil {
		lr.ExpirationDays = int(aws.ToInt32(r.Expiration.Days))
		if r.Expiration.Date != nil {
			lr.ExpirationDate = r.Expiration.Date.UTC().Format("2006-01-02")
		}
	}
	if r.NoncurrentVersionExpiration != nil {
		lr.NoncurrentExpirationDays = int(aws.ToInt32(r.NoncurrentVersionExpiration.NoncurrentDays))
	}
	for _, t := range r.Transitions {
		lr.Transitions = append(lr.Transitions, inventory.Transition{
			Days: int(aws.ToInt32(t.Days)), StorageClass: string(t.StorageClass),
		})
	}
	for _, t := range r.NoncurrentVersionTransitions {
		lr.Transitions = append(lr.Transitions, inventory.Transition{
			Days: int(aws.ToInt32(t.NoncurrentDays)), StorageClass: string(t.StorageClass), Noncurrent: true,
		})
	}
	return lr
}

// bucketRegions lists the regions holding owned trail buckets whose region
// is known.
func bucketRegions(buckets []inventory.Bucket) []string {
	set := map[string]bool{}
	for _, b := range buckets {
		if b.OwnedByScannedAccount && b.Region.Value != nil {
			set[*b.Region.Value] = true
		}
	}
	regions := sortedKeys(set)
	sort.Strings(regions)
	return regions
}
