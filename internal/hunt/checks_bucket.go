package hunt

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/trailseal/trailseal/internal/hunt/record"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/policy"
)

// bucketRef is the bucket an S3 record acts on.
type bucketRef struct {
	name   string
	b      *inventory.Bucket
	trails []inventory.Trail
	match  string
}

// bucket names the bucket of an S3 record and decides whether it is a
// trail's: known to the inventory, or else shown by the record itself (its
// name, or one of the hints a check found in the request). An empty match
// means it is not known to be a trail's.
func (e *event) bucket(hints ...string) bucketRef {
	name := e.p.String("bucketName")
	if name == "" {
		for _, a := range e.resourceARNs("") {
			if p, err := arn.Parse(a); err == nil && p.Service == "s3" {
				name, _, _ = strings.Cut(p.Resource, "/")
				break
			}
		}
	}
	ref := bucketRef{name: name}
	if ref.b, ref.trails = e.c.Bucket(name); ref.b != nil {
		ref.match = "inventory"
		return ref
	}
	ref.match = nameHint("bucket", name)
	for _, h := range hints {
		if ref.match == "" {
			ref.match = h
		}
	}
	return ref
}

func (r bucketRef) resource() string { return "bucket/" + r.name }

// logPrefixes are the key prefixes the bucket's trails write log and digest
// files under: PREFIX/AWSLogs/ or AWSLogs/.
func (r bucketRef) logPrefixes() []string {
	var out []string
	for _, t := range r.trails {
		p := "AWSLogs/"
		if t.S3KeyPrefix != "" {
			p = strings.TrimSuffix(t.S3KeyPrefix, "/") + "/AWSLogs/"
		}
		out = append(out, p)
	}
	return out
}

// reaches reports whether a key prefix filter takes in trail log files:
// the empty prefix does, and so does one that overlaps a trail's log
// prefix. Without known trail prefixes any prefix may. A prefix with "*"
// counts too: S3 takes it literally, so it matches no log file, but such a
// rule shows the intent to expire everything (Stratus Red Team's
// cloudtrail-lifecycle-rule uses "*"), and the message says so.
func (r bucketRef) reaches(prefix string) bool {
	lp := r.logPrefixes()
	if prefix == "" || len(lp) == 0 || strings.Contains(prefix, "*") {
		return true
	}
	for _, p := range lp {
		if strings.HasPrefix(p, prefix) || strings.HasPrefix(prefix, p) {
			return true
		}
	}
	return false
}

// lifecycleRule is the part of a lifecycle rule that can delete log files.
type lifecycleRule struct {
	id, status, prefix string
	tagged             bool // a tag filter: CloudTrail writes untagged objects
	days, noncurrent   int
	date               string
}

func lifecycleRules(p record.Object) []lifecycleRule {
	cfg := p.Structured("LifecycleConfiguration")
	if m, ok := cfg.(map[string]any); ok {
		cfg = record.Object(m).Get("Rule")
		if cfg == nil {
			cfg = record.Object(m).Get("Rules")
		}
	}
	var out []lifecycleRule
	for _, v := range record.List(cfg) {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		o := record.Object(m)
		r := lifecycleRule{id: o.String("ID"), status: o.String("Status"), prefix: o.String("Prefix")}
		if f, ok := o.Get("Filter").(map[string]any); ok {
			fo := record.Object(f)
			r.prefix = fo.String("Prefix")
			if and, ok := fo.Get("And").(map[string]any); ok {
				r.prefix = record.Object(and).String("Prefix")
				r.tagged = record.Object(and).Get("Tag") != nil || record.Object(and).Get("Tags") != nil
			}
			r.tagged = r.tagged || fo.Get("Tag") != nil
		}
		r.days, _ = o.Int("Expiration", "Days")
		r.date = o.String("Expiration", "Date")
		r.noncurrent, _ = o.Int("NoncurrentVersionExpiration", "NoncurrentDays")
		out = append(out, r)
	}
	return out
}

// checkLifecycle reports enabled lifecycle rules that expire trail log
// files (current or noncurrent versions) sooner than the retention minimum.
func checkLifecycle(e *event) (*hit, string) {
	rules := lifecycleRules(e.p)
	hint := ""
	for _, r := range rules {
		if strings.HasPrefix(r.prefix, "AWSLogs") || strings.Contains(r.prefix, "CloudTrail") {
			hint = "record: the rule filters on CloudTrail's key layout (" + r.prefix + ")"
		}
	}
	ref := e.bucket(hint)
	if ref.match == "" {
		return nil, ""
	}
	if len(rules) == 0 && e.p.Has("LifecycleConfiguration") && e.p.Structured("LifecycleConfiguration") != nil {
		if _, isText := e.p.Structured("LifecycleConfiguration").(string); isText {
			return nil, unreadable("%s %s on trail bucket %s: the lifecycle rules could not be read; judge them by hand", e.r.EventName, e.r.EventID, ref.name)
		}
	}
	min := e.c.MinRetentionDays
	var bad []string
	var evid []map[string]any
	for _, r := range rules {
		if !strings.EqualFold(r.status, "Enabled") || r.tagged || !ref.reaches(r.prefix) {
			continue
		}
		var what []string
		if r.days > 0 && r.days < min {
			what = append(what, fmt.Sprintf("expires objects after %d days", r.days))
		}
		if r.date != "" {
			what = append(what, "expires every object on "+r.date)
		}
		if r.noncurrent > 0 && r.noncurrent < min {
			what = append(what, fmt.Sprintf("deletes noncurrent versions after %d days", r.noncurrent))
		}
		if len(what) == 0 {
			continue
		}
		filter := fmt.Sprintf("prefix %q", r.prefix)
		if r.prefix == "" {
			filter = "the whole bucket"
		} else if strings.Contains(r.prefix, "*") {
			filter += " (S3 takes \"*\" literally: only keys beginning with it match)"
		}
		bad = append(bad, fmt.Sprintf("rule %q %s, on %s", r.id, strings.Join(what, " and "), filter))
		evid = append(evid, map[string]any{"id": r.id, "prefix": r.prefix, "expirationDays": r.days,
			"expirationDate": r.date, "noncurrentDays": r.noncurrent})
	}
	if len(bad) == 0 {
		return nil, ""
	}
	return &hit{resource: ref.resource(), match: ref.match,
		message:  fmt.Sprintf("lifecycle on trail bucket %s: %s (retention minimum %d days)", ref.name, strings.Join(bad, "; "), min),
		evidence: map[string]any{"bucket": ref.name, "rules": evid}}, ""
}

// bucketPolicyDoc reads the policy a PutBucketPolicy record carries:
// CloudTrail records it parsed, as bucketPolicy; exports may keep it as text.
func bucketPolicyDoc(p record.Object) (*policy.Document, string) {
	v := p.Get("bucketPolicy")
	var text string
	switch x := v.(type) {
	case string:
		text = x
	case map[string]any:
		b, _ := json.Marshal(x)
		text = string(b)
	default:
		text = p.String("policy")
	}
	if strings.TrimSpace(text) == "" {
		return nil, ""
	}
	doc, err := policy.Parse(text)
	if err != nil {
		return nil, text
	}
	return doc, text
}

// cloudTrailCanWrite reports whether a bucket policy lets CloudTrail put log
// files, and names a statement that stops it.
func cloudTrailCanWrite(doc *policy.Document) (ok bool, why string) {
	allowed := false
	for _, s := range doc.Statements {
		covers := s.CoversAction("s3:PutObject")
		switch {
		case s.Allows() && covers && s.Principal.HasService("cloudtrail.amazonaws.com"):
			allowed = true
		case s.Denies() && covers && (s.Principal.IsAnyone() || s.Principal.HasService("cloudtrail.amazonaws.com")) && len(s.Conditions) == 0:
			return false, fmt.Sprintf("statement %q denies s3:PutObject to CloudTrail", s.Sid)
		}
	}
	if !allowed {
		return false, "no statement allows cloudtrail.amazonaws.com s3:PutObject"
	}
	return true, ""
}

func mentionsCloudTrail(text string) string {
	if strings.Contains(strings.ToLower(text), "cloudtrail.amazonaws.com") {
		return "record: the policy names cloudtrail.amazonaws.com"
	}
	return ""
}

func checkBucketPolicy(e *event) (*hit, string) {
	if e.r.EventName == "DeleteBucketPolicy" {
		ref := e.bucket()
		if ref.match == "" {
			return nil, ""
		}
		return &hit{resource: ref.resource(), match: ref.match,
			message:  "policy of trail bucket " + ref.name + " deleted: CloudTrail may no longer write log files to it",
			evidence: map[string]any{"bucket": ref.name}}, ""
	}
	doc, text := bucketPolicyDoc(e.p)
	ref := e.bucket(mentionsCloudTrail(text))
	if ref.match == "" {
		return nil, ""
	}
	if doc == nil {
		return nil, unreadable("PutBucketPolicy %s on trail bucket %s: the policy could not be read; judge it by hand", e.r.EventID, ref.name)
	}
	var weak []string
	for _, s := range doc.Statements {
		if s.IsPublicGrant() {
			weak = append(weak, fmt.Sprintf("statement %q grants %s to everybody without a restricting condition", s.Sid, strings.Join(s.Actions, ",")))
		}
	}
	if ok, why := cloudTrailCanWrite(doc); !ok {
		weak = append(weak, why)
	}
	if len(weak) == 0 {
		return nil, ""
	}
	return &hit{resource: ref.resource(), match: ref.match,
		message:  "policy of trail bucket " + ref.name + ": " + strings.Join(weak, "; "),
		evidence: map[string]any{"bucket": ref.name, "policy": text}}, ""
}

var publicGroups = []string{"acs.amazonaws.com/groups/global/AllUsers", "acs.amazonaws.com/groups/global/AuthenticatedUsers"}

// checkBucketACL reports canned ACLs and grants that open a trail bucket.
func checkBucketACL(e *event) (*hit, string) {
	ref := e.bucket()
	if ref.match == "" {
		return nil, ""
	}
	var open []string
	switch canned := e.p.String("x-amz-acl"); canned {
	case "public-read", "public-read-write", "authenticated-read":
		open = append(open, "canned ACL "+canned)
	}
	for k, v := range e.p {
		if strings.HasPrefix(strings.ToLower(k), "x-amz-grant-") {
			for _, g := range publicGroups {
				if strings.Contains(record.AsString(v), g) {
					open = append(open, k+" to "+g[strings.LastIndex(g, "/")+1:])
				}
			}
		}
	}
	raw, _ := json.Marshal(e.p.Get("AccessControlPolicy"))
	for _, g := range publicGroups {
		if strings.Contains(string(raw), g) {
			open = append(open, "grant to "+g[strings.LastIndex(g, "/")+1:])
		}
	}
	if len(open) == 0 {
		return nil, ""
	}
	slices.Sort(open)
	return &hit{resource: ref.resource(), match: ref.match,
		message:  "ACL of trail bucket " + ref.name + " made public: " + strings.Join(slices.Compact(open), ", "),
		evidence: map[string]any{"bucket": ref.name, "acl": open}}, ""
}

var pabSettings = []string{"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"}

// pabOff lists the Block Public Access settings a request turns off
// (omitted settings are false, as the API reads them).
func pabOff(p record.Object) []string {
	var off []string
	for _, s := range pabSettings {
		if v, _ := p.Bool("PublicAccessBlockConfiguration", s); !v {
			off = append(off, s)
		}
	}
	return off
}

func checkBucketPAB(e *event) (*hit, string) {
	ref := e.bucket()
	if ref.match == "" {
		return nil, ""
	}
	what := "deleted"
	if strings.HasPrefix(e.r.EventName, "Put") {
		off := pabOff(e.p)
		if len(off) == 0 {
			return nil, ""
		}
		what = "set with " + strings.Join(off, ", ") + " off"
	}
	return &hit{resource: ref.resource(), match: ref.match,
		message:  "Block Public Access of trail bucket " + ref.name + " " + what,
		evidence: map[string]any{"bucket": ref.name}}, ""
}

func checkAccountPAB(e *event) (*hit, string) {
	acct := e.r.RecipientAccountID
	what := "deleted"
	if strings.HasPrefix(e.r.EventName, "Put") {
		off := pabOff(e.p)
		if len(off) == 0 {
			return nil, ""
		}
		what = "set with " + strings.Join(off, ", ") + " off"
	}
	return &hit{resource: "account/" + acct, message: "account-level S3 Block Public Access " + what}, ""
}

func checkVersioning(e *event) (*hit, string) {
	ref := e.bucket()
	if ref.match == "" {
		return nil, ""
	}
	status := e.p.String("VersioningConfiguration", "Status")
	mfa := e.p.String("VersioningConfiguration", "MfaDelete")
	var weak []string
	if strings.EqualFold(status, "Suspended") {
		weak = append(weak, "versioning suspended")
	}
	if strings.EqualFold(mfa, "Disabled") {
		v, read := inventory.Versioning{}, false
		if ref.b != nil {
			v, read = val(ref.b.Versioning)
		}
		if !(read && e.inventoryPredates() && v.MFADelete != "Enabled") {
			weak = append(weak, "MFA Delete turned off")
		}
	}
	if len(weak) == 0 {
		return nil, ""
	}
	return &hit{resource: ref.resource(), match: ref.match,
		message:  "trail bucket " + ref.name + ": " + strings.Join(weak, ", "),
		evidence: map[string]any{"bucket": ref.name, "status": status, "mfaDelete": mfa}}, ""
}

func checkBucketLogging(e *event) (*hit, string) {
	ref := e.bucket()
	if ref.match == "" || !e.p.Has("BucketLoggingStatus") {
		return nil, ""
	}
	if e.p.Get("BucketLoggingStatus", "LoggingEnabled") != nil {
		return nil, ""
	}
	return &hit{resource: ref.resource(), match: ref.match,
		message:  "server access logging of trail bucket " + ref.name + " turned off",
		evidence: map[string]any{"bucket": ref.name}}, ""
}

// objectKeys lists the object keys an object-level S3 record names.
func (e *event) objectKeys() []string {
	var keys []string
	if k := e.p.String("key"); k != "" {
		keys = append(keys, k)
	}
	for _, o := range record.List(e.p.Get("Delete", "Object")) {
		if m, ok := o.(map[string]any); ok {
			keys = append(keys, record.Object(m).String("Key"))
		}
	}
	for _, a := range e.resourceARNs("AWS::S3::Object") {
		if p, err := arn.Parse(a); err == nil {
			if _, k, ok := strings.Cut(p.Resource, "/"); ok && !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// logKeyHint is the record's own evidence that objects are trail files:
// CloudTrail's key layout (AWSLogs/ACCOUNT/CloudTrail/ or CloudTrail-Digest/).
func logKeyHint(keys []string) string {
	for _, k := range keys {
		if strings.Contains(k, "/CloudTrail/") || strings.Contains(k, "/CloudTrail-Digest/") {
			return "record: the key " + k + " is in CloudTrail's layout"
		}
	}
	return ""
}

// bypassesGovernance reads the x-amz-bypass-governance-retention header,
// which S3 records among the request parameters like other x-amz- headers.
func (e *event) bypassesGovernance() bool {
	v, _ := e.p.Bool("x-amz-bypass-governance-retention")
	return v
}

func checkObjectLock(e *event) (*hit, string) {
	if e.r.EventName == "PutObjectRetention" {
		return checkObjectRetention(e)
	}
	ref := e.bucket()
	if ref.match == "" {
		return nil, ""
	}
	mode := e.p.String("ObjectLockConfiguration", "Rule", "DefaultRetention", "Mode")
	days, _ := e.p.Int("ObjectLockConfiguration", "Rule", "DefaultRetention", "Days")
	years, _ := e.p.Int("ObjectLockConfiguration", "Rule", "DefaultRetention", "Years")
	total := days + 365*years
	var had inventory.ObjectLock
	read := false
	if ref.b != nil {
		had, read = val(ref.b.ObjectLock)
	}
	var weak []string
	switch {
	case mode == "":
		if !(read && e.inventoryPredates() && had.DefaultMode == "") {
			weak = append(weak, "default retention removed")
		}
	default:
		if total < e.c.MinRetentionDays {
			weak = append(weak, fmt.Sprintf("default retention %d days (minimum %d)", total, e.c.MinRetentionDays))
		} else if read && had.RetentionDays() > total {
			weak = append(weak, fmt.Sprintf("default retention shortened from %d to %d days", had.RetentionDays(), total))
		}
		if strings.EqualFold(mode, "GOVERNANCE") && read && had.DefaultMode == "COMPLIANCE" {
			weak = append(weak, "mode moved from COMPLIANCE to GOVERNANCE (bypassable)")
		}
	}
	if len(weak) == 0 {
		return nil, ""
	}
	return &hit{resource: ref.resource(), match: ref.match,
		message:  "Object Lock of trail bucket " + ref.name + ": " + strings.Join(weak, "; "),
		evidence: map[string]any{"bucket": ref.name, "mode": mode, "days": days, "years": years}}, ""
}

func checkObjectRetention(e *event) (*hit, string) {
	keys := e.objectKeys()
	ref := e.bucket(logKeyHint(keys))
	if ref.match == "" {
		return nil, ""
	}
	mode := e.p.String("Retention", "Mode")
	until := e.p.String("Retention", "RetainUntilDate")
	var weak []string
	if e.bypassesGovernance() {
		weak = append(weak, "governance-mode retention bypassed (x-amz-bypass-governance-retention)")
	}
	if strings.EqualFold(mode, "GOVERNANCE") {
		weak = append(weak, "retention set to GOVERNANCE mode until "+until)
	}
	if mode == "" && until == "" && e.p.Has("Retention") {
		weak = append(weak, "retention removed")
	}
	if len(weak) == 0 {
		return nil, ""
	}
	return &hit{resource: ref.resource(), match: ref.match,
		message:  fmt.Sprintf("retention of %s in trail bucket %s: %s", strings.Join(keys, ", "), ref.name, strings.Join(weak, "; ")),
		evidence: map[string]any{"bucket": ref.name, "keys": keys, "mode": mode, "retainUntilDate": until, "bypassGovernanceRetention": e.bypassesGovernance()}}, ""
}

func checkDeleteObjects(e *event) (*hit, string) {
	keys := e.objectKeys()
	ref := e.bucket(logKeyHint(keys))
	if ref.match == "" {
		return nil, ""
	}
	what := strings.Join(keys, ", ")
	if len(keys) > 5 {
		what = fmt.Sprintf("%d objects (%s, ...)", len(keys), strings.Join(keys[:5], ", "))
	} else if len(keys) == 0 {
		what = "objects"
	}
	msg := "deleted " + what + " from trail bucket " + ref.name
	if e.bypassesGovernance() {
		msg += ", bypassing governance-mode retention (x-amz-bypass-governance-retention)"
	}
	return &hit{resource: ref.resource(), match: ref.match, message: msg,
		evidence: map[string]any{"bucket": ref.name, "keys": keys, "bypassGovernanceRetention": e.bypassesGovernance()}}, ""
}

func checkDeleteBucket(e *event) (*hit, string) {
	ref := e.bucket()
	if ref.match == "" {
		return nil, ""
	}
	msg := "trail bucket " + ref.name + " deleted"
	var names []string
	for _, t := range ref.trails {
		names = append(names, t.Name)
	}
	if len(names) > 0 {
		msg += "; trails writing there: " + strings.Join(names, ", ")
	}
	return &hit{resource: ref.resource(), match: ref.match, message: msg, evidence: map[string]any{"bucket": ref.name}}, ""
}

func checkBucketEncryption(e *event) (*hit, string) {
	ref := e.bucket()
	if ref.match == "" {
		return nil, ""
	}
	var had inventory.Encryption
	read := false
	if ref.b != nil {
		had, read = val(ref.b.Encryption)
	}
	hadKMS := false
	for _, r := range had.Rules {
		if strings.HasPrefix(r.SSEAlgorithm, "aws:kms") {
			hadKMS = true
		}
	}
	var weak []string
	if e.r.EventName == "DeleteBucketEncryption" {
		if !read || hadKMS {
			weak = append(weak, "default encryption deleted (S3 falls back to SSE-S3)")
		}
	} else {
		def := []string{"ServerSideEncryptionConfiguration", "Rule", "ApplyServerSideEncryptionByDefault"}
		alg := e.p.String(append(def, "SSEAlgorithm")...)
		key := e.p.String(append(def, "KMSMasterKeyID")...)
		if alg == "AES256" && read && hadKMS {
			weak = append(weak, "default encryption moved from SSE-KMS to SSE-S3")
		}
		if a, err := arn.Parse(key); err == nil && e.r.RecipientAccountID != "" && a.AccountID != e.r.RecipientAccountID {
			weak = append(weak, "default encryption uses a KMS key of account "+a.AccountID)
		}
	}
	if len(weak) == 0 {
		return nil, ""
	}
	return &hit{resource: ref.resource(), match: ref.match,
		message: "trail bucket " + ref.name + ": " + strings.Join(weak, "; "), evidence: map[string]any{"bucket": ref.name}}, ""
}

func checkReplication(e *event) (*hit, string) {
	ref := e.bucket()
	if ref.match == "" {
		return nil, ""
	}
	msg := "replication of trail bucket " + ref.name + " deleted"
	if e.r.EventName == "PutBucketReplication" {
		rules := record.List(e.p.Get("ReplicationConfiguration", "Rule"))
		if len(rules) == 0 {
			return nil, ""
		}
		for _, r := range rules {
			if m, ok := r.(map[string]any); ok && strings.EqualFold(record.Object(m).String("Status"), "Enabled") {
				return nil, ""
			}
		}
		msg = "replication of trail bucket " + ref.name + ": every rule disabled"
	}
	return &hit{resource: ref.resource(), match: ref.match, message: msg, evidence: map[string]any{"bucket": ref.name}}, ""
}
