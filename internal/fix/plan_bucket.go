package fix

import (
	"fmt"
	"strings"

	"github.com/trailseal/trailseal/internal/inventory"
)

var bucketRules = []string{
	"bucket.versioning", "bucket.object_lock", "bucket.object_lock_retention", "bucket.lifecycle",
	"bucket.public_access", "bucket.access_logging", "bucket.policy_source_arn", "bucket.least_privilege",
}

func (p *planner) planBuckets() {
	var names []string
	seen := map[string]bool{}
	for _, rule := range bucketRules {
		for _, f := range p.failing(rule) {
			name := strings.TrimPrefix(f.Resource, "arn:"+p.partition()+":s3:::")
			if !seen[name] {
				seen[name] = true
				names = append(names, name)
			}
		}
	}
	for _, name := range names {
		b := p.inv.Bucket(name)
		res := "arn:" + p.partition() + ":s3:::" + name
		if b == nil || !b.OwnedByScannedAccount {
			owner := ""
			if b != nil {
				owner = b.OwnerAccountID
			}
			for _, rule := range bucketRules {
				if p.failsOn(rule, res) {
					p.refuse(rule, res, "bucket %s is not owned by account %s (owner %q): run 'trailseal fix' with credentials of the owner account", name, p.inv.Account.ID, owner)
				}
			}
			continue
		}
		p.planBucket(b, res)
	}
}

func (p *planner) planBucket(b *inventory.Bucket, res string) {
	region := bucketRegion(b)
	trails := trailsOfBucket(p.inv, b.Name)

	lockFix := p.failsOn("bucket.object_lock", res) || p.failsOn("bucket.object_lock_retention", res)
	versioning := ""
	if b.Versioning.Value != nil {
		versioning = b.Versioning.Value.Status
	}
	if p.failsOn("bucket.versioning", res) || (lockFix && versioning != "Enabled") {
		if b.Versioning.Value == nil {
			p.refuse("bucket.versioning", res, "versioning of %s could not be read (%s): fix the read permission and re-run", b.Name, b.Versioning.Problem())
		} else {
			s := Step{
				Rules: []string{"bucket.versioning"}, Kind: KindBucketVersion, Region: region, Resource: res,
				Summary: "enable versioning on " + b.Name,
				Before:  "versioning " + orNone(versioning, "never enabled"), After: "versioning Enabled",
				Reversible: true, Params: &VersioningParams{Bucket: b.Name},
			}
			if lockFix {
				s.Rules = append(s.Rules, "bucket.object_lock")
				s.Reversible = false
				s.NotReversible = "Object Lock is enabled next, after which versioning can never be suspended"
			}
			p.add("bucket.versioning:"+b.Name, s)
		}
	}

	if lockFix {
		p.planObjectLock(b, res, region)
	}

	if p.failsOn("bucket.public_access", res) {
		before := "no Block Public Access configuration"
		if v := b.PublicAccessBlock.Value; v != nil && v.Configured {
			before = fmt.Sprintf("BlockPublicAcls %s, IgnorePublicAcls %s, BlockPublicPolicy %s, RestrictPublicBuckets %s",
				onOff(v.BlockPublicAcls), onOff(v.IgnorePublicAcls), onOff(v.BlockPublicPolicy), onOff(v.RestrictPublicBuckets))
		}
		s := p.add("bucket.public_access:"+b.Name, Step{
			Rules: []string{"bucket.public_access"}, Kind: KindBucketBPA, Region: region, Resource: res,
			Summary: "turn on all four Block Public Access settings of " + b.Name,
			Before:  before, After: "all four settings on", Reversible: true, Params: &BPAParams{Bucket: b.Name},
		})
		// A hardened policy is written before BlockPublicPolicy is on, so
		// that S3 judges the new document without the block in the way.
		s.DependsOn = append(s.DependsOn, "bucket.policy:"+b.Name)
	}

	if p.failsOn("bucket.lifecycle", res) {
		p.planLifecycle(b, res, region, trails)
	}
	if p.failsOn("bucket.access_logging", res) {
		p.planAccessLogging(b, res, region)
	}
	if p.failsOn("bucket.policy_source_arn", res) || p.failsOn("bucket.least_privilege", res) {
		p.planBucketPolicy(b, res, region, trails)
	}
}

func (p *planner) planObjectLock(b *inventory.Bucket, res, region string) {
	rule := "bucket.object_lock"
	if !p.failsOn(rule, res) {
		rule = "bucket.object_lock_retention"
	}
	if b.ObjectLock.Value == nil {
		p.refuse(rule, res, "Object Lock configuration of %s could not be read (%s): fix the read permission and re-run", b.Name, b.ObjectLock.Problem())
		return
	}
	cur := *b.ObjectLock.Value
	mode, days := p.opts.LockMode, p.opts.RetentionDays
	if cur.Enabled && cur.DefaultMode == "COMPLIANCE" {
		// A COMPLIANCE default may only be lengthened; keep the mode.
		mode = "COMPLIANCE"
	}
	before := "Object Lock off"
	if cur.Enabled {
		before = "Object Lock on, no default retention"
		if cur.DefaultMode != "" {
			before = fmt.Sprintf("Object Lock on, default %s %d days", cur.DefaultMode, cur.RetentionDays())
		}
	}
	s := Step{
		Rules: []string{rule}, Kind: KindBucketLock, Region: region, Resource: res,
		Summary:   fmt.Sprintf("enable Object Lock on %s with a default %s retention of %d days", b.Name, mode, days),
		Before:    before,
		After:     fmt.Sprintf("Object Lock on, default %s %d days", mode, days),
		DependsOn: []string{"bucket.versioning:" + b.Name},
		Params:    &LockParams{Bucket: b.Name, LockMode: mode, LockDays: days},
	}
	if p.failsOn("bucket.object_lock_retention", res) && rule != "bucket.object_lock_retention" {
		s.Rules = append(s.Rules, "bucket.object_lock_retention")
	}
	switch {
	case !cur.Enabled:
		s.NotReversible = "Object Lock cannot be turned off once enabled"
	case mode == "COMPLIANCE":
		s.NotReversible = "a COMPLIANCE retention can never be shortened or removed"
	default:
		s.Reversible = true
	}
	if mode == "COMPLIANCE" {
		s.Warning = "COMPLIANCE mode: no one, not even the root user, can shorten or remove this retention or delete a locked object version before it expires"
	}
	p.add("bucket.object_lock:"+b.Name, s)
}

func (p *planner) planLifecycle(b *inventory.Bucket, res, region string, trails []inventory.Trail) {
	if b.Lifecycle.Value == nil {
		p.refuse("bucket.lifecycle", res, "lifecycle configuration of %s could not be read (%s): fix the read permission and re-run", b.Name, b.Lifecycle.Problem())
		return
	}
	min := p.opts.MinRetentionDays
	params := &LifecycleParams{Bucket: b.Name, MinDays: min, Prefixes: logPrefixes(trails)}
	s := Step{
		Rules: []string{"bucket.lifecycle"}, Kind: KindBucketLifecycle, Region: region, Resource: res,
		Reversible: true, Params: params,
	}
	if !b.Lifecycle.Value.Configured {
		s.Summary = "add a lifecycle rule for the trail logs of " + b.Name
		s.Before = "no lifecycle configuration"
		s.After = fmt.Sprintf("rule trailseal-trail-logs on %s: to GLACIER after %d days, expire current and noncurrent versions after %d days",
			strings.Join(params.Prefixes, ", "), transitionDays(min), min)
	} else {
		s.Summary = "lengthen the lifecycle expirations that cut trail logs short on " + b.Name
		var short []string
		for _, r := range b.Lifecycle.Value.Rules {
			if (r.ExpirationDays > 0 && r.ExpirationDays < min) || (r.NoncurrentExpirationDays > 0 && r.NoncurrentExpirationDays < min) {
				short = append(short, fmt.Sprintf("%s (expiration %d, noncurrent %d)", orNone(r.ID, "(unnamed)"), r.ExpirationDays, r.NoncurrentExpirationDays))
			}
			if r.ExpirationDate != "" {
				short = append(short, fmt.Sprintf("%s (expires everything on %s)", orNone(r.ID, "(unnamed)"), r.ExpirationDate))
			}
		}
		s.Before = "rules " + strings.Join(short, ", ")
		s.After = fmt.Sprintf("the same rules with every expiration on the log prefixes at least %d days; all other rules unchanged", min)
	}
	p.add("bucket.lifecycle:"+b.Name, s)
}

// transitionDays moves logs to colder storage after 90 days, or at once
// when the retention is shorter than that.
func transitionDays(min int) int {
	if min < 90 {
		return min
	}
	return 90
}

func (p *planner) planAccessLogging(b *inventory.Bucket, res, region string) {
	const rule = "bucket.access_logging"
	target := p.opts.AccessLogBucket
	facts := p.opts.Facts.AccessLog
	switch {
	case target == "":
		p.refuse(rule, res, "no target bucket: pass --access-log-bucket NAME (a bucket of account %s in %s, without Object Lock)", p.inv.Account.ID, region)
		return
	case target == b.Name:
		p.refuse(rule, res, "--access-log-bucket %s is the trail bucket itself: logs about the bucket would be written into it", target)
		return
	case facts == nil || facts.Name != target:
		p.refuse(rule, res, "--access-log-bucket %s was not checked: this is a bug, please report it", target)
		return
	case facts.Problem != "":
		p.refuse(rule, res, "--access-log-bucket %s: %s", target, facts.Problem)
		return
	case !facts.Exists || !facts.Owned:
		p.refuse(rule, res, "--access-log-bucket %s is not a bucket of account %s: create it first", target, p.inv.Account.ID)
		return
	case facts.Region != region:
		p.refuse(rule, res, "--access-log-bucket %s is in %s but %s is in %s: S3 delivers access logs only within one region", target, facts.Region, b.Name, region)
		return
	case facts.ObjectLock:
		p.refuse(rule, res, "--access-log-bucket %s has Object Lock, and S3 cannot deliver server access logs to such a bucket", target)
		return
	case !facts.LogDelivery:
		p.refuse(rule, res, "--access-log-bucket %s does not let S3 deliver logs: add a bucket policy statement allowing service logging.s3.amazonaws.com s3:PutObject on arn:%s:s3:::%s/%s/* (or grant the LogDelivery group WRITE in its ACL), then re-run",
			target, p.partition(), target, b.Name)
		return
	}
	before := "server access logging off"
	if l := b.Logging.Value; l != nil && l.Enabled {
		before = "server access logs to " + l.TargetBucket + "/" + l.TargetPrefix
	}
	s := Step{
		Rules: []string{rule}, Kind: KindBucketLogging, Region: region, Resource: res,
		Summary: fmt.Sprintf("send server access logs of %s to %s", b.Name, target),
		Before:  before, After: "server access logs to " + target + "/" + b.Name + "/",
		Reversible: true, Params: &LoggingParams{Bucket: b.Name, LogTarget: target, LogPrefix: b.Name + "/"},
	}
	p.add("bucket.access_logging:"+b.Name, s)
}

func (p *planner) planBucketPolicy(b *inventory.Bucket, res, region string, trails []inventory.Trail) {
	rules := []string{}
	for _, r := range []string{"bucket.policy_source_arn", "bucket.least_privilege"} {
		if p.failsOn(r, res) {
			rules = append(rules, r)
		}
	}
	if b.Policy.Value == nil {
		p.refuse(rules[0], res, "bucket policy of %s could not be read (%s): fix the read permission and re-run", b.Name, b.Policy.Problem())
		return
	}
	prev := ""
	if b.Policy.Value.Exists {
		prev = b.Policy.Value.Document
	}
	m, err := HardenBucketPolicy(prev, HardenInput{
		Bucket: b.Name, Partition: p.partition(), Account: p.inv.Account.ID, Trails: trails,
	})
	if err != nil {
		for _, r := range rules {
			p.refuse(r, res, "%v", err)
		}
		return
	}
	for _, note := range m.Manual {
		p.plan.Manual = append(p.plan.Manual, Manual{Rule: "bucket.least_privilege", Resource: res, Steps: []string{note}})
	}
	if len(m.Changes) == 0 {
		return
	}
	s := Step{
		Rules: rules, Kind: KindBucketPolicy, Region: region, Resource: res,
		Summary: "harden the bucket policy of " + b.Name + " (every existing statement kept)",
		Before:  orNone(describeStatements(prev), "no bucket policy"),
		After:   strings.Join(m.Changes, "; "), Reversible: true,
		Params: &PolicyParams{Bucket: b.Name, Policy: m.Document, PolicyBase: prev},
	}
	p.add("bucket.policy:"+b.Name, s)
}

func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}
