package rules

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/policy"
)

// bucketTarget is one trail bucket with the trails that deliver to it.
type bucketTarget struct {
	name string
	// b is nil when the collector recorded nothing for the bucket.
	b        *inventory.Bucket
	trails   []inventory.Trail
	region   string
	resource string
	// partition is the scanned partition ("aws" when the inventory says nothing).
	partition string
}

func bucketPartition(inv *inventory.Inventory) string {
	if inv.Partition != "" {
		return inv.Partition
	}
	return "aws"
}

// bucketTargets groups the trails by bucket, in the order buckets first
// appear, so that each bucket yields one finding per rule.
func bucketTargets(inv *inventory.Inventory) []bucketTarget {
	part := bucketPartition(inv)
	var out []bucketTarget
	index := map[string]int{}
	for _, t := range inv.Trails {
		if t.S3BucketName == "" {
			continue
		}
		i, ok := index[t.S3BucketName]
		if !ok {
			bt := bucketTarget{
				name:      t.S3BucketName,
				b:         inv.Bucket(t.S3BucketName),
				resource:  fmt.Sprintf("arn:%s:s3:::%s", part, t.S3BucketName),
				partition: part,
			}
			if bt.b != nil && bt.b.Region.Value != nil {
				bt.region = *bt.b.Region.Value
			}
			index[t.S3BucketName] = len(out)
			out = append(out, bt)
			i = len(out) - 1
		}
		out[i].trails = append(out[i].trails, t)
	}
	return out
}

// bucketCheck runs check on every trail bucket and attaches the fields every
// bucket finding carries. A bucket the collector never recorded is ERROR.
func bucketCheck(inv *inventory.Inventory, check func(t bucketTarget) Result) []Result {
	targets := bucketTargets(inv)
	if len(targets) == 0 {
		return trailNone(inv, "no trail delivers to an S3 bucket, so there is no trail bucket to check")
	}
	out := make([]Result, 0, len(targets))
	for _, t := range targets {
		var r Result
		if t.b == nil {
			r = Result{
				Status:   findings.Error,
				Resource: t.resource,
				Message:  fmt.Sprintf("bucket %s of trail %s was not collected: re-run the scan with s3 read permissions", t.name, t.trails[0].Name),
			}
		} else {
			r = check(t)
		}
		if r.Evidence == nil {
			r.Evidence = findings.Evidence{}
		}
		r.Evidence["bucket"] = t.name
		r.Evidence["trails"] = t.trailARNs()
		if t.b != nil && !t.b.OwnedByScannedAccount && t.b.OwnerAccountID != "" {
			r.Evidence["bucketOwnerAccountId"] = t.b.OwnerAccountID
			// The finding belongs to the account that can act on it.
			r.Account = t.b.OwnerAccountID
		}
		out = append(out, r)
	}
	return trailListGap(inv, out)
}

func (t bucketTarget) trailARNs() []string {
	out := make([]string, 0, len(t.trails))
	for _, tr := range t.trails {
		out = append(out, tr.ARN)
	}
	return out
}

// owner is the account that owns the bucket, "" when unknown.
func (t bucketTarget) owner(inv *inventory.Inventory) string {
	if t.b.OwnerAccountID != "" {
		return t.b.OwnerAccountID
	}
	if t.b.OwnedByScannedAccount {
		return inv.Account.ID
	}
	return ""
}

// logPrefixes are the key prefixes under which the bucket's trails write log
// and digest files.
func (t bucketTarget) logPrefixes() []string {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, tr := range t.trails {
		p := strings.Trim(tr.S3KeyPrefix, "/")
		if p != "" {
			p += "/"
		}
		add(p + "AWSLogs/")
		// Whether CloudTrail collapses slashes at the edges of the prefix
		// is not documented; keep the key as written too, so a lifecycle
		// rule aimed at either form is seen to reach the logs.
		if raw := tr.S3KeyPrefix; raw != "" && raw != strings.TrimSuffix(p, "/") {
			add(raw + "/AWSLogs/")
		}
	}
	return out
}

// bucketPolicyDoc reads and parses the bucket policy. It returns a finished
// Result (MANUAL/ERROR) when the policy cannot be evaluated; doc is nil when
// the bucket has no policy.
func bucketPolicyDoc(t bucketTarget) (doc *policy.Document, stop *Result) {
	if r, bad := missing(t.b.Policy, "bucket policy of "+t.name, t.region, t.resource); bad {
		return nil, &r
	}
	if !t.b.Policy.Value.Exists {
		return nil, nil
	}
	d, err := policy.Parse(t.b.Policy.Value.Document)
	if err != nil {
		r := Result{
			Status:   findings.Error,
			Region:   t.region,
			Resource: t.resource,
			Message:  fmt.Sprintf("cannot evaluate bucket policy of %s: %v; inspect it with 'aws s3api get-bucket-policy --bucket %s'", t.name, err, t.name),
			Evidence: findings.Evidence{"policyParseError": err.Error()},
		}
		return nil, &r
	}
	return d, nil
}

func bucketStatementName(i int, s policy.Statement) string {
	if s.Sid != "" {
		return fmt.Sprintf("statement %d (%s)", i+1, s.Sid)
	}
	return fmt.Sprintf("statement %d", i+1)
}

func bucketMinRetention(opts Options) int {
	if opts.MinRetentionDays > 0 {
		return opts.MinRetentionDays
	}
	return DefaultOptions().MinRetentionDays
}

func checkBucketObjectLock(inv *inventory.Inventory, opts Options) []Result {
	return bucketCheck(inv, func(t bucketTarget) Result {
		if r, bad := missing(t.b.ObjectLock, "Object Lock configuration of "+t.name, t.region, t.resource); bad {
			return r
		}
		ol := *t.b.ObjectLock.Value
		ev := findings.Evidence{"objectLockEnabled": ol.Enabled}
		if ol.Enabled {
			return pass(t.region, t.resource, fmt.Sprintf("Object Lock is enabled on %s", t.name), ev)
		}
		return fail(t.region, t.resource, fmt.Sprintf("Object Lock is not enabled on %s: trail logs can be deleted by anyone with delete rights", t.name), ev)
	})
}

func checkBucketObjectLockRetention(inv *inventory.Inventory, opts Options) []Result {
	minDays := bucketMinRetention(opts)
	return bucketCheck(inv, func(t bucketTarget) Result {
		if r, bad := missing(t.b.ObjectLock, "Object Lock configuration of "+t.name, t.region, t.resource); bad {
			return r
		}
		ol := *t.b.ObjectLock.Value
		if !ol.Enabled {
			r := notApplicable(t.region, t.resource, fmt.Sprintf("Object Lock is not enabled on %s (see bucket.object_lock)", t.name))
			r.Evidence = findings.Evidence{"objectLockEnabled": false}
			return r
		}
		days := ol.RetentionDays()
		ev := findings.Evidence{"objectLockEnabled": true, "defaultMode": ol.DefaultMode, "retentionDays": days, "minRetentionDays": minDays}
		switch {
		case ol.DefaultMode == "":
			return fail(t.region, t.resource, fmt.Sprintf("Object Lock is on for %s but there is no default retention rule, so CloudTrail's files are not locked", t.name), ev)
		case days < minDays:
			return fail(t.region, t.resource, fmt.Sprintf("default retention on %s is %s %d days, shorter than the required %d days", t.name, ol.DefaultMode, days, minDays), ev)
		case strings.EqualFold(ol.DefaultMode, "GOVERNANCE"):
			return pass(t.region, t.resource, fmt.Sprintf("default retention on %s is GOVERNANCE %d days; COMPLIANCE is stronger, as GOVERNANCE can be bypassed with s3:BypassGovernanceRetention", t.name, days), ev)
		}
		return pass(t.region, t.resource, fmt.Sprintf("default retention on %s is %s %d days", t.name, ol.DefaultMode, days), ev)
	})
}

func checkBucketVersioning(inv *inventory.Inventory, opts Options) []Result {
	return bucketCheck(inv, func(t bucketTarget) Result {
		if r, bad := missing(t.b.Versioning, "versioning of "+t.name, t.region, t.resource); bad {
			return r
		}
		v := *t.b.Versioning.Value
		ev := findings.Evidence{"versioningStatus": v.Status}
		if v.Status == "Enabled" {
			return pass(t.region, t.resource, fmt.Sprintf("versioning is Enabled on %s", t.name), ev)
		}
		state := v.Status
		if state == "" {
			state = "never enabled"
		}
		return fail(t.region, t.resource, fmt.Sprintf("versioning on %s is %s", t.name, state), ev)
	})
}

func checkBucketMFADelete(inv *inventory.Inventory, opts Options) []Result {
	return bucketCheck(inv, func(t bucketTarget) Result {
		if r, bad := missing(t.b.Versioning, "versioning of "+t.name, t.region, t.resource); bad {
			return r
		}
		v := *t.b.Versioning.Value
		ev := findings.Evidence{"mfaDelete": v.MFADelete, "versioningStatus": v.Status}
		if v.MFADelete == "Enabled" {
			return pass(t.region, t.resource, fmt.Sprintf("MFA Delete is Enabled on %s", t.name), ev)
		}
		state := v.MFADelete
		if state == "" {
			state = "never enabled"
		}
		lc := t.b.Lifecycle
		switch {
		case lc.Value != nil && lc.Value.Configured:
			ev["lifecycleConfigured"] = true
			return fail(t.region, t.resource, fmt.Sprintf("MFA Delete on %s is %s and the bucket has a lifecycle configuration, which MFA Delete cannot coexist with: rely on Object Lock in COMPLIANCE mode instead", t.name, state), ev)
		case lc.Value != nil:
			ev["lifecycleConfigured"] = false
		default:
			ev["lifecycle"] = lc.Problem()
		}
		return fail(t.region, t.resource, fmt.Sprintf("MFA Delete on %s is %s", t.name, state), ev)
	})
}

func checkBucketLifecycle(inv *inventory.Inventory, opts Options) []Result {
	minDays := bucketMinRetention(opts)
	return bucketCheck(inv, func(t bucketTarget) Result {
		if r, bad := missing(t.b.Lifecycle, "lifecycle configuration of "+t.name, t.region, t.resource); bad {
			return r
		}
		return bucketLifecycle(t, *t.b.Lifecycle.Value, minDays)
	})
}

// bucketLifecycleVerdict is what one lifecycle rule means for the trail logs.
type bucketLifecycleVerdict struct {
	label string
	// applies: enabled, and its filter lets trail log objects through.
	applies bool
	// whyNot says why a rule does not apply to the trail logs.
	whyNot string
	// early lists how the rule deletes objects sooner than the retention.
	early []string
}

// bucketLifecycle judges a bucket's lifecycle configuration: some enabled
// rule must apply to the trail logs (otherwise their lifetime is left to
// chance, and a rule an attacker put in place of the archive rule goes
// unseen), and no rule that applies may delete them, or their noncurrent
// versions, sooner than the retention (destruction of evidence: HIGH).
func bucketLifecycle(t bucketTarget, lc inventory.Lifecycle, minDays int) Result {
	prefixes := t.logPrefixes()
	ev := findings.Evidence{"lifecycleConfigured": lc.Configured, "minRetentionDays": minDays, "logPrefixes": prefixes, "ruleCount": len(lc.Rules)}
	where := strings.Join(prefixes, ", ")
	if !lc.Configured || len(lc.Rules) == 0 {
		return fail(t.region, t.resource, fmt.Sprintf("%s has no lifecycle configuration: no rule manages the trail logs under %s", t.name, where), ev)
	}
	var applying, notApplying, destroying, elsewhere []string
	for _, r := range lc.Rules {
		v := bucketJudgeLifecycleRule(r, prefixes, minDays)
		switch {
		case v.applies && len(v.early) > 0:
			destroying = append(destroying, fmt.Sprintf("%s %s", v.label, strings.Join(v.early, " and ")))
		case v.applies:
			applying = append(applying, v.label)
		default:
			notApplying = append(notApplying, fmt.Sprintf("%s: %s", v.label, v.whyNot))
			if len(v.early) > 0 {
				elsewhere = append(elsewhere, fmt.Sprintf("%s %s", v.label, strings.Join(v.early, " and ")))
			}
		}
	}
	ev["applyingRules"] = applying
	ev["rulesNotApplying"] = notApplying
	ev["destroyingRules"] = destroying
	ev["shortExpirationsElsewhere"] = elsewhere
	var tail string
	if len(elsewhere) > 0 {
		tail = fmt.Sprintf("; rules that expire other objects sooner than %s: %s", bucketDays(minDays), strings.Join(elsewhere, "; "))
	}
	if len(destroying) > 0 {
		r := fail(t.region, t.resource, fmt.Sprintf("%s, sooner than the required %s: trail logs are deleted before the retention ends%s",
			strings.Join(destroying, "; "), bucketDays(minDays), tail), ev)
		r.Severity = findings.High
		return r
	}
	if len(applying) == 0 {
		return fail(t.region, t.resource, fmt.Sprintf("no enabled lifecycle rule of %s applies to the trail logs under %s (%s)%s",
			t.name, where, strings.Join(notApplying, "; "), tail), ev)
	}
	return pass(t.region, t.resource, fmt.Sprintf("%s applies to the trail logs under %s and none expires them sooner than %s%s",
		bucketRuleCount(applying), where, bucketDays(minDays), tail), ev)
}

// bucketJudgeLifecycleRule decides whether one lifecycle rule reaches the
// trail log objects and whether it deletes objects sooner than minDays.
// Lifecycle filters are literal prefixes, tags and object sizes
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleRuleFilter.html):
// CloudTrail writes its log and digest files under <prefix>/AWSLogs/ and
// puts no tags on them.
func bucketJudgeLifecycleRule(r inventory.LifecycleRule, logPrefixes []string, minDays int) bucketLifecycleVerdict {
	v := bucketLifecycleVerdict{label: "rule " + cmp.Or(r.ID, "(unnamed)")}
	switch {
	case r.Prefix != "":
		v.label += fmt.Sprintf(" (prefix %q)", r.Prefix)
	case len(r.Tags) == 0:
		v.label += " (whole bucket)"
	}
	enabled := strings.EqualFold(r.Status, "Enabled")
	switch {
	case !enabled:
		v.whyNot = "disabled"
	case len(r.Tags) > 0:
		v.whyNot = fmt.Sprintf("applies only to objects tagged %s, and CloudTrail writes its log files without tags", strings.Join(r.Tags, ", "))
	case !bucketPrefixOverlaps(r.Prefix, logPrefixes) && strings.ContainsAny(r.Prefix, "*?"):
		v.whyNot = fmt.Sprintf("S3 lifecycle prefixes are literal, not wildcards: it matches only keys that begin with %q, and no trail log does", r.Prefix)
	case !bucketPrefixOverlaps(r.Prefix, logPrefixes):
		v.whyNot = "its prefix is outside the trail logs"
	default:
		v.applies = true
	}
	if !enabled {
		return v
	}
	if r.ExpirationDate != "" {
		// From the date on, S3 deletes every matching object within a
		// day of its creation.
		v.early = append(v.early, fmt.Sprintf("expires every object on %s and anything written after it within a day", r.ExpirationDate))
	}
	if r.ExpirationDays > 0 && r.ExpirationDays < minDays {
		v.early = append(v.early, "expires objects after "+bucketDays(r.ExpirationDays))
	}
	if r.NoncurrentExpirationDays > 0 && r.NoncurrentExpirationDays < minDays {
		v.early = append(v.early, "expires noncurrent versions after "+bucketDays(r.NoncurrentExpirationDays))
	}
	return v
}

// bucketDays is "1 day" or "n days".
func bucketDays(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// bucketRuleCount is "rule a" or "2 rules (a, b)".
func bucketRuleCount(labels []string) string {
	if len(labels) == 1 {
		return labels[0]
	}
	return fmt.Sprintf("%d rules (%s)", len(labels), strings.Join(labels, ", "))
}

// bucketPrefixOverlaps reports whether a lifecycle rule prefix reaches any
// object under one of the log prefixes: a rule on "AWSLogs/1/" expires log
// files just as a rule on "" does.
func bucketPrefixOverlaps(rulePrefix string, logPrefixes []string) bool {
	if rulePrefix == "" {
		return true
	}
	for _, p := range logPrefixes {
		if strings.HasPrefix(p, rulePrefix) || strings.HasPrefix(rulePrefix, p) {
			return true
		}
	}
	return false
}

const (
	bucketAllUsersURI  = "http://acs.amazonaws.com/groups/global/AllUsers"
	bucketAuthUsersURI = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
)

// bucketTri is a Block Public Access setting seen through both levels.
type bucketTri int

const (
	bucketOff bucketTri = iota
	bucketOn
	bucketUnknown
)

// bucketBPASetting combines the bucket and account levels: a setting is on
// when either level has it on, off only when both are known to be off.
func bucketBPASetting(bucket, account inventory.Result[inventory.PublicAccessBlock], get func(inventory.PublicAccessBlock) bool) bucketTri {
	if (bucket.Value != nil && get(*bucket.Value)) || (account.Value != nil && get(*account.Value)) {
		return bucketOn
	}
	if bucket.Value != nil && account.Value != nil {
		return bucketOff
	}
	return bucketUnknown
}

func checkBucketPublicAccess(inv *inventory.Inventory, opts Options) []Result {
	return bucketCheck(inv, func(t bucketTarget) Result {
		return bucketPublicAccess(inv, t)
	})
}

func bucketPublicAccess(inv *inventory.Inventory, t bucketTarget) Result {
	b := t.b
	// Another account's bucket: nothing here can be judged, say where to look.
	if r, bad := missing(b.ACL, "ACL of "+t.name, t.region, t.resource); bad && r.Status == findings.Manual {
		return r
	}
	if r, bad := missing(b.Policy, "bucket policy of "+t.name, t.region, t.resource); bad && r.Status == findings.Manual {
		return r
	}
	ev := findings.Evidence{}
	var issues, unread []string
	var firstErr *inventory.CallError
	noteUnread := func(what string, problem string, err *inventory.CallError) {
		unread = append(unread, what+": "+problem)
		if firstErr == nil && err != nil {
			firstErr = err
		}
	}

	acct := inv.AccountPublicAccessBlock
	setting := func(get func(inventory.PublicAccessBlock) bool) bucketTri {
		return bucketBPASetting(b.PublicAccessBlock, acct, get)
	}
	ignoreACLs := setting(func(p inventory.PublicAccessBlock) bool { return p.IgnorePublicAcls })
	restrict := setting(func(p inventory.PublicAccessBlock) bool { return p.RestrictPublicBuckets })

	if b.ACL.Value != nil {
		var grants []string
		for _, g := range b.ACL.Value.Grants {
			if g.URI == bucketAllUsersURI || g.URI == bucketAuthUsersURI {
				grants = append(grants, fmt.Sprintf("%s to %s", g.Permission, g.URI[strings.LastIndex(g.URI, "/")+1:]))
			}
		}
		ev["publicAclGrants"] = grants
		if len(grants) > 0 {
			switch ignoreACLs {
			case bucketOff:
				issues = append(issues, "ACL grants "+strings.Join(grants, ", ")+" and IgnorePublicAcls is off")
			case bucketUnknown:
				noteUnread("IgnorePublicAcls", "Block Public Access could not be read at bucket and account level", nil)
			}
		}
	} else {
		noteUnread("ACL", b.ACL.Problem(), b.ACL.Error)
	}

	if b.Policy.Value != nil {
		if b.Policy.Value.Exists {
			d, err := policy.Parse(b.Policy.Value.Document)
			if err != nil {
				ev["policyParseError"] = err.Error()
				noteUnread("bucket policy", err.Error(), nil)
			} else {
				var public []string
				for i, s := range d.Statements {
					if s.IsPublicGrant() {
						public = append(public, bucketStatementName(i, s))
					}
				}
				ev["publicStatements"] = public
				if len(public) > 0 {
					switch restrict {
					case bucketOff:
						issues = append(issues, "policy "+strings.Join(public, ", ")+" allows \"*\" without a restricting condition and RestrictPublicBuckets is off")
					case bucketUnknown:
						noteUnread("RestrictPublicBuckets", "Block Public Access could not be read at bucket and account level", nil)
					}
				}
			}
		}
	} else {
		noteUnread("bucket policy", b.Policy.Problem(), b.Policy.Error)
	}

	if b.PolicyStatus.Value != nil {
		ev["policyIsPublic"] = b.PolicyStatus.Value.IsPublic
		if b.PolicyStatus.Value.IsPublic {
			issues = append(issues, "GetBucketPolicyStatus reports the bucket public")
		}
	} else if b.PolicyStatus.Elsewhere == nil {
		noteUnread("policy status", b.PolicyStatus.Problem(), b.PolicyStatus.Error)
	}

	bpa := []struct {
		name string
		get  func(inventory.PublicAccessBlock) bool
	}{
		{"BlockPublicAcls", func(p inventory.PublicAccessBlock) bool { return p.BlockPublicAcls }},
		{"IgnorePublicAcls", func(p inventory.PublicAccessBlock) bool { return p.IgnorePublicAcls }},
		{"BlockPublicPolicy", func(p inventory.PublicAccessBlock) bool { return p.BlockPublicPolicy }},
		{"RestrictPublicBuckets", func(p inventory.PublicAccessBlock) bool { return p.RestrictPublicBuckets }},
	}
	var off []string
	effective := map[string]string{}
	for _, s := range bpa {
		switch setting(s.get) {
		case bucketOn:
			effective[s.name] = "on"
		case bucketOff:
			effective[s.name] = "off"
			off = append(off, s.name)
		default:
			effective[s.name] = "unknown"
			problem := "bucket: " + b.PublicAccessBlock.Problem() + "; account: " + acct.Problem()
			if b.PublicAccessBlock.Value != nil {
				problem = "account: " + acct.Problem()
			} else if acct.Value != nil {
				problem = "bucket: " + b.PublicAccessBlock.Problem()
			}
			noteUnread(s.name, problem, nil)
		}
	}
	ev["blockPublicAccess"] = effective
	if b.PublicAccessBlock.Value != nil {
		ev["bucketPublicAccessBlock"] = *b.PublicAccessBlock.Value
	}
	if acct.Value != nil {
		ev["accountPublicAccessBlock"] = *acct.Value
	}
	if len(off) > 0 {
		issues = append(issues, "one step from public: Block Public Access "+strings.Join(off, ", ")+" off at both bucket and account level")
	}
	if len(unread) > 0 {
		ev["unread"] = unread
	}

	if len(issues) > 0 {
		msg := t.name + ": " + strings.Join(issues, "; ")
		if len(unread) > 0 {
			msg += fmt.Sprintf(" (also unread: %d items, see evidence)", len(unread))
		}
		return fail(t.region, t.resource, msg, ev)
	}
	if len(unread) > 0 {
		if firstErr != nil {
			ev["call"] = firstErr.Call
			ev["errorCode"] = firstErr.Code
		}
		return Result{
			Status:   findings.Error,
			Region:   t.region,
			Resource: t.resource,
			Message:  fmt.Sprintf("cannot tell whether %s is public: %s", t.name, strings.Join(unread, "; ")),
			Evidence: ev,
		}
	}
	return pass(t.region, t.resource, fmt.Sprintf("%s is not public: no public ACL grant or policy statement, policy status private, all four Block Public Access settings on", t.name), ev)
}

func checkBucketAccessLogging(inv *inventory.Inventory, opts Options) []Result {
	return bucketCheck(inv, func(t bucketTarget) Result {
		if r, bad := missing(t.b.Logging, "server access logging of "+t.name, t.region, t.resource); bad {
			return r
		}
		l := *t.b.Logging.Value
		ev := findings.Evidence{"loggingEnabled": l.Enabled, "targetBucket": l.TargetBucket, "targetPrefix": l.TargetPrefix}
		switch {
		case !l.Enabled:
			return fail(t.region, t.resource, fmt.Sprintf("server access logging is off on %s", t.name), ev)
		case l.TargetBucket == t.name:
			return fail(t.region, t.resource, fmt.Sprintf("server access logs of %s are written to the bucket itself", t.name), ev)
		}
		return pass(t.region, t.resource, fmt.Sprintf("server access logs of %s go to %s", t.name, l.TargetBucket), ev)
	})
}

func checkBucketEncryption(inv *inventory.Inventory, opts Options) []Result {
	return bucketCheck(inv, func(t bucketTarget) Result {
		if r, bad := missing(t.b.Encryption, "default encryption of "+t.name, t.region, t.resource); bad {
			return r
		}
		enc := *t.b.Encryption.Value
		var algs []string
		for _, r := range enc.Rules {
			algs = append(algs, r.SSEAlgorithm)
		}
		ev := findings.Evidence{"sseAlgorithms": algs}
		if len(enc.Rules) == 0 {
			return fail(t.region, t.resource, fmt.Sprintf("%s has no default encryption", t.name), ev)
		}
		var validating []string
		for _, tr := range t.trails {
			if tr.LogFileValidationEnabled {
				validating = append(validating, tr.Name)
			}
		}
		ev["validatingTrails"] = validating
		if len(validating) == 0 {
			return pass(t.region, t.resource, fmt.Sprintf("%s encrypts by default with %s", t.name, strings.Join(algs, ", ")), ev)
		}
		doc, stop := bucketPolicyDoc(t)
		if stop != nil {
			return *stop
		}
		if doc != nil {
			if blocking := bucketKMSOnlyStatements(doc); len(blocking) > 0 {
				ev["kmsOnlyStatements"] = blocking
				return fail(t.region, t.resource, fmt.Sprintf("policy of %s %s denies PutObject unless SSE-KMS is used, but trail %s has log file validation on and digests are written with SSE-S3 (AES256)", t.name, strings.Join(blocking, ", "), strings.Join(validating, ", ")), ev)
			}
		}
		return pass(t.region, t.resource, fmt.Sprintf("%s encrypts by default with %s and its policy lets SSE-S3 digest files in", t.name, strings.Join(algs, ", ")), ev)
	})
}

// bucketKMSOnlyStatements names the Deny statements that refuse a PutObject
// whose encryption header is AES256: a negated string condition on
// s3:x-amz-server-side-encryption listing aws:kms but not AES256. Only denies
// that reach CloudTrail (everyone, or the cloudtrail service) matter.
func bucketKMSOnlyStatements(doc *policy.Document) []string {
	var out []string
	for i, s := range doc.Statements {
		if !s.Denies() || !s.CoversAction("s3:PutObject") {
			continue
		}
		// A NotPrincipal deny reaches everyone it does not name.
		reaches := s.Principal.IsAnyone() || s.Principal.HasService("cloudtrail.amazonaws.com") ||
			(s.NotPrincipal != nil && !s.NotPrincipal.IsAnyone() && !s.NotPrincipal.HasService("cloudtrail.amazonaws.com"))
		if !reaches {
			continue
		}
		// A negated match on the KMS key ID holds for SSE-S3 requests, which
		// carry no key ID: such a deny refuses every digest file.
		// A Null "false" test on the same key limits the deny to requests
		// that name a key, which SSE-S3 requests do not.
		keyOnly, keyNamed := false, false
		for _, c := range s.ConditionsOn("s3:x-amz-server-side-encryption-aws-kms-key-id") {
			base := strings.ToLower(c.Base)
			switch {
			case base == "null":
				keyNamed = keyNamed || (len(c.Values) == 1 && strings.EqualFold(c.Values[0], "false"))
			case c.Set == "" && (base == "stringnotequals" || base == "stringnotequalsignorecase" || base == "stringnotlike" || base == "arnnotequals" || base == "arnnotlike"):
				keyOnly = true
			}
		}
		keyOnly = keyOnly && !keyNamed
		if keyOnly {
			out = append(out, bucketStatementName(i, s))
			continue
		}
		for _, c := range s.ConditionsOn("s3:x-amz-server-side-encryption") {
			base := strings.ToLower(c.Base)
			if base != "stringnotequals" && base != "stringnotequalsignorecase" && base != "stringnotlike" {
				continue
			}
			kms, aes := false, false
			for _, v := range c.Values {
				switch {
				case strings.HasPrefix(strings.ToLower(v), "aws:kms"):
					kms = true
				case policy.MatchAction(v, "AES256"):
					aes = true
				}
			}
			if kms && !aes {
				out = append(out, bucketStatementName(i, s))
				break
			}
		}
	}
	return out
}

func checkBucketPolicySourceARN(inv *inventory.Inventory, opts Options) []Result {
	return bucketCheck(inv, func(t bucketTarget) Result {
		doc, stop := bucketPolicyDoc(t)
		if stop != nil {
			return *stop
		}
		ev := findings.Evidence{"policyExists": doc != nil}
		if doc == nil {
			return notApplicable(t.region, t.resource, fmt.Sprintf("%s has no bucket policy, so no statement grants CloudTrail write access", t.name))
		}
		var checked, problems []string
		for i, s := range doc.Statements {
			if !s.Allows() || !s.Principal.HasService("cloudtrail.amazonaws.com") || !s.CoversAction("s3:PutObject") {
				continue
			}
			name := bucketStatementName(i, s)
			checked = append(checked, name)
			if !bucketHasSourceCondition(s) {
				problems = append(problems, name+" has no aws:SourceArn or aws:SourceAccount condition")
			}
			if wide := bucketWideResources(s, t.partition, t.name); len(wide) > 0 {
				problems = append(problems, fmt.Sprintf("%s allows PutObject on %s, broader than .../AWSLogs/<account or org ID>/*", name, strings.Join(wide, ", ")))
			}
		}
		ev["cloudtrailWriteStatements"] = checked
		if len(checked) == 0 {
			r := notApplicable(t.region, t.resource, fmt.Sprintf("no statement in the policy of %s grants cloudtrail.amazonaws.com s3:PutObject", t.name))
			r.Evidence = ev
			return r
		}
		if len(problems) > 0 {
			ev["problems"] = problems
			return fail(t.region, t.resource, t.name+": "+strings.Join(problems, "; "), ev)
		}
		return pass(t.region, t.resource, fmt.Sprintf("CloudTrail write access to %s is conditioned on the source and limited to AWSLogs/<id>/* (%s)", t.name, strings.Join(checked, ", ")), ev)
	})
}

func bucketHasSourceCondition(s policy.Statement) bool {
	for _, key := range []string{"aws:SourceArn", "aws:SourceAccount"} {
		for _, c := range s.ConditionsOn(key) {
			if c.Restricts() {
				return true
			}
		}
	}
	return false
}

// bucketWideResources returns the statement's resources that reach beyond
// one account's or one organization's AWSLogs folder. Everything before
// "AWSLogs/" must be literal (the trail prefix), and so must the ID after it.
func bucketWideResources(s policy.Statement, partition, bucket string) []string {
	if s.NotResources != nil {
		return []string{"NotResource " + strings.Join(s.NotResources, ", ")}
	}
	return policy.WideLogResources(s.Resources, fmt.Sprintf("arn:%s:s3:::%s", partition, bucket))
}

// bucketProtectedActions are the calls that destroy logs or loosen the
// bucket's protection; only the owner account should be able to make them.
var bucketProtectedActions = []string{
	"s3:DeleteObject",
	"s3:DeleteObjectVersion",
	"s3:DeleteObjectTagging",
	"s3:DeleteObjectVersionTagging",
	"s3:PutBucketPolicy",
	"s3:PutLifecycleConfiguration",
	"s3:PutBucketVersioning",
	"s3:PutBucketObjectLockConfiguration",
}

func checkBucketLeastPrivilege(inv *inventory.Inventory, opts Options) []Result {
	return bucketCheck(inv, func(t bucketTarget) Result {
		doc, stop := bucketPolicyDoc(t)
		if stop != nil {
			return *stop
		}
		ev := findings.Evidence{"policyExists": doc != nil}
		if doc == nil {
			return fail(t.region, t.resource, fmt.Sprintf("%s has no bucket policy, so nothing denies access without TLS", t.name), ev)
		}
		owner := t.owner(inv)
		ownerCanonical := ""
		if t.b.ACL.Value != nil {
			ownerCanonical = t.b.ACL.Value.OwnerID
		}
		var problems []string
		for i, s := range doc.Statements {
			if !s.Allows() {
				continue
			}
			var actions []string
			for _, a := range bucketProtectedActions {
				if s.CoversAction(a) {
					actions = append(actions, a)
				}
			}
			if len(actions) == 0 {
				continue
			}
			if outside := bucketOutsidePrincipals(s, owner, ownerCanonical); len(outside) > 0 {
				problems = append(problems, fmt.Sprintf("%s allows %s to %s", bucketStatementName(i, s), strings.Join(actions, ", "), strings.Join(outside, ", ")))
			}
		}
		tls := doc.DeniesInsecureTransport(t.resource, t.resource+"/*")
		ev["deniesInsecureTransport"] = tls
		if !tls {
			problems = append(problems, "no statement denies s3:* to everyone when aws:SecureTransport is false")
		}
		if len(problems) > 0 {
			ev["problems"] = problems
			return fail(t.region, t.resource, t.name+": "+strings.Join(problems, "; "), ev)
		}
		return pass(t.region, t.resource, fmt.Sprintf("policy of %s grants destructive actions to no one outside account %s and denies non-TLS access", t.name, owner), ev)
	})
}

// bucketOutsidePrincipals describes the principals of an Allow statement
// that are not the bucket owner account. "*" counts as outside unless a
// condition pins aws:PrincipalAccount to the owner.
func bucketOutsidePrincipals(s policy.Statement, owner, ownerCanonical string) []string {
	var out []string
	if s.NotPrincipal != nil {
		return []string{"everyone except the NotPrincipal list"}
	}
	p := s.Principal
	if p == nil {
		return nil
	}
	if p.IsAnyone() && !bucketPinnedToAccount(s, owner) {
		out = append(out, "\"*\"")
	}
	accounts, unresolved := p.Accounts()
	for _, a := range accounts {
		if a != owner {
			out = append(out, "account "+a)
		}
	}
	for _, u := range unresolved {
		out = append(out, "unresolved principal "+u)
	}
	for _, sv := range p.Service {
		out = append(out, "service "+sv)
	}
	for _, f := range p.Federated {
		out = append(out, "federated "+f)
	}
	for _, c := range p.CanonicalUser {
		if c != ownerCanonical || c == "" {
			out = append(out, "canonical user "+c)
		}
	}
	return out
}

func bucketPinnedToAccount(s policy.Statement, owner string) bool {
	if owner == "" {
		return false
	}
	for _, c := range s.ConditionsOn("aws:PrincipalAccount") {
		if !c.Restricts() || !strings.EqualFold(c.Base, "StringEquals") {
			continue
		}
		all := true
		for _, v := range c.Values {
			if v != owner {
				all = false
			}
		}
		if all {
			return true
		}
	}
	return false
}

func checkBucketDedicatedAccount(inv *inventory.Inventory, opts Options) []Result {
	return bucketCheck(inv, func(t bucketTarget) Result {
		ev := findings.Evidence{"ownedByScannedAccount": t.b.OwnedByScannedAccount, "logArchiveAccount": opts.LogArchiveAccount}
		ownedHere := t.b.OwnedByScannedAccount || t.b.OwnerAccountID == inv.Account.ID
		// The collector marks a bucket it found outside ListBuckets by
		// recording its evidence as held elsewhere; a bucket with no
		// owner and readable evidence was read while ListBuckets failed.
		if !ownedHere && t.b.OwnerAccountID == "" && t.b.Region.Elsewhere == nil {
			return Result{
				Status:   findings.Error,
				Region:   t.region,
				Resource: t.resource,
				Message:  fmt.Sprintf("cannot tell which account owns %s (it was not matched against s3:ListBuckets): grant s3:ListAllMyBuckets and rescan", t.name),
				Evidence: ev,
			}
		}
		if !ownedHere {
			owner := t.b.OwnerAccountID
			if owner == "" {
				owner = "another account"
			} else {
				owner = "account " + owner
			}
			return pass(t.region, t.resource, fmt.Sprintf("%s is owned by %s, not by the logged account %s", t.name, owner, inv.Account.ID), ev)
		}
		switch {
		case opts.LogArchiveAccount != "" && opts.LogArchiveAccount == inv.Account.ID:
			return pass(t.region, t.resource, fmt.Sprintf("%s is owned by the configured log archive account %s", t.name, inv.Account.ID), ev)
		case opts.LogArchiveAccount != "":
			return fail(t.region, t.resource, fmt.Sprintf("%s is owned by the logged account %s, not by the log archive account %s", t.name, inv.Account.ID, opts.LogArchiveAccount), ev)
		}
		if r, bad := missing(inv.Organization, "organization membership", t.region, t.resource); bad {
			return r
		}
		org := *inv.Organization.Value
		ev["organizationMember"] = org.Member
		if org.Member {
			ev["organizationId"] = org.ID
			return fail(t.region, t.resource, fmt.Sprintf("%s is owned by the logged account %s although it belongs to organization %s: move logs to a log archive account", t.name, inv.Account.ID, org.ID), ev)
		}
		r := notApplicable(t.region, t.resource, fmt.Sprintf("%s is owned by the logged account, which has no organization and no configured log archive account", t.name))
		r.Evidence = ev
		return r
	})
}
