package fix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/policy"
)

// HardenInput is what HardenBucketPolicy needs to know about the bucket.
type HardenInput struct {
	Bucket    string
	Partition string
	Account   string
	// OrgID is the organization ID, needed for organization trails.
	OrgID string
	// Trails are the trails that deliver to the bucket.
	Trails []inventory.Trail
}

// Hardened is the outcome of HardenBucketPolicy.
type Hardened struct {
	// Document is the new policy; equal to the input when Changes is empty.
	Document string
	// Changes says, one line each, what was added.
	Changes []string
	// Manual lists problems that cannot be fixed without removing or
	// rewriting a statement, which this function never does.
	Manual []string
}

var accountID = regexp.MustCompile(`^\d{12}$`)

// HardenBucketPolicy adds to a trail bucket's policy what the rules ask for
// without removing or loosening anything: a source condition on CloudTrail's
// write statements, the CloudTrail statements a trail needs if they are
// missing, and a deny of plain-HTTP access. doc is "" when the bucket has no
// policy. It returns an error, and no document, when the result would not
// let every trail deliver.
func HardenBucketPolicy(doc string, in HardenInput) (*Hardened, error) {
	h, err := newHardener(doc, in)
	if err != nil {
		return nil, err
	}
	h.hardenTrailStatements()
	if err := h.addTrailStatements(); err != nil {
		return nil, err
	}
	h.denyInsecureTransport()
	if len(h.out.Changes) == 0 {
		h.out.Document = doc
		return h.out, nil
	}
	h.raw["Statement"] = h.stmts
	var buf bytes.Buffer
	if err := writeOrdered(&buf, h.raw, ""); err != nil {
		return nil, err
	}
	h.out.Document = buf.String()
	if err := CheckDelivery(h.out.Document, in); err != nil {
		return nil, err
	}
	return h.out, nil
}

// hardener merges additions into one bucket policy. It edits the policy as
// generic JSON (raw, stmts), so that every element it does not touch stays
// exactly as written, and judges it through the parsed model.
type hardener struct {
	in        HardenInput
	raw       map[string]any
	stmts     []any
	parsed    *policy.Document
	bucketARN string
	sids      map[string]bool
	// paths and sources are the object ARNs the trails write and the
	// accounts they write as; pathErr says why they are unknown.
	paths, sources []string
	pathErr        error
	out            *Hardened
}

func newHardener(doc string, in HardenInput) (*hardener, error) {
	h := &hardener{in: in, raw: map[string]any{"Version": "2012-10-17"}, parsed: &policy.Document{}, out: &Hardened{},
		bucketARN: fmt.Sprintf("arn:%s:s3:::%s", in.Partition, in.Bucket), sids: map[string]bool{}}
	if strings.TrimSpace(doc) != "" {
		dec := json.NewDecoder(strings.NewReader(doc))
		dec.UseNumber()
		if err := dec.Decode(&h.raw); err != nil {
			return nil, fmt.Errorf("bucket policy of %s is not valid JSON (%v): fix it by hand first", in.Bucket, err)
		}
		var err error
		if h.parsed, err = policy.Parse(doc); err != nil {
			return nil, fmt.Errorf("bucket policy of %s cannot be parsed (%v): fix it by hand first", in.Bucket, err)
		}
		switch s := h.raw["Statement"].(type) {
		case []any:
			h.stmts = s
		case map[string]any:
			h.stmts = []any{s}
		}
		if len(h.stmts) != len(h.parsed.Statements) {
			return nil, fmt.Errorf("bucket policy of %s has statements that are not objects: fix it by hand first", in.Bucket)
		}
	}
	for _, s := range h.parsed.Statements {
		h.sids[s.Sid] = true
	}
	h.paths, h.sources, h.pathErr = trailPaths(in, h.bucketARN)
	return h, nil
}

// uniqueSid is base, numbered if the policy already has that Sid.
func (h *hardener) uniqueSid(base string) string {
	sid := base
	for i := 2; h.sids[sid]; i++ {
		sid = fmt.Sprintf("%s%d", base, i)
	}
	h.sids[sid] = true
	return sid
}

// hardenTrailStatements narrows CloudTrail's write statements to the
// trails' paths and adds a source condition where they lack one.
func (h *hardener) hardenTrailStatements() {
	for i, s := range h.parsed.Statements {
		if !s.Allows() || !s.Principal.HasService("cloudtrail.amazonaws.com") || !s.CoversAction("s3:PutObject") {
			continue
		}
		name := statementName(i, s)
		st := h.stmts[i].(map[string]any)
		if s.NotResources != nil {
			h.out.Manual = append(h.out.Manual, fmt.Sprintf("%s of the policy of %s uses NotResource; replace it with Resource %s", name, h.in.Bucket, strings.Join(h.paths, ", ")))
			continue
		}
		h.narrow(name, st, s)
		if hasSourceCondition(s) {
			continue
		}
		accts := resourceAccounts(s.Resources, h.bucketARN)
		if len(accts) == 0 && h.pathErr == nil {
			accts = h.sources
		}
		if len(accts) == 0 {
			h.out.Manual = append(h.out.Manual, fmt.Sprintf("%s grants CloudTrail PutObject without aws:SourceArn or aws:SourceAccount and the writing accounts are unknown: add the condition by hand", name))
			continue
		}
		addCondition(st, "StringEquals", "aws:SourceAccount", accts)
		h.out.Changes = append(h.out.Changes, fmt.Sprintf("%s: added condition aws:SourceAccount = %s", name, strings.Join(accts, ", ")))
	}
}

// narrow replaces over-wide PutObject resources with the trails' paths.
func (h *hardener) narrow(name string, st map[string]any, s policy.Statement) {
	wide := policy.WideLogResources(s.Resources, h.bucketARN)
	if len(wide) == 0 {
		return
	}
	if h.pathErr != nil {
		h.out.Manual = append(h.out.Manual, fmt.Sprintf("%s allows PutObject on %s: narrow it by hand (%v)", name, strings.Join(wide, ", "), h.pathErr))
		return
	}
	var keep []any
	for _, r := range s.Resources {
		if !slices.Contains(wide, r) {
			keep = append(keep, r)
		}
	}
	for _, p := range h.paths {
		if !slices.Contains(s.Resources, p) {
			keep = append(keep, p)
		}
	}
	st["Resource"] = keep
	h.out.Changes = append(h.out.Changes, fmt.Sprintf("%s: PutObject narrowed from %s to %s", name, strings.Join(wide, ", "), strings.Join(h.paths, ", ")))
}

// addTrailStatements adds the statements CloudTrail needs but the policy
// lacks. Without them the trail cannot deliver at all, so adding them can
// only help. They are judged on the statements as narrowed: narrowing a
// combined statement on "*" takes the bucket ARN, and with it
// GetBucketAcl, away.
func (h *hardener) addTrailStatements() error {
	if h.pathErr != nil {
		return nil
	}
	current := h.parsed
	if len(h.out.Changes) > 0 {
		b, err := json.Marshal(map[string]any{"Statement": h.stmts})
		if err != nil {
			return err
		}
		if current, err = policy.Parse(string(b)); err != nil {
			return fmt.Errorf("bucket policy of %s cannot be merged (%v): fix it by hand first", h.in.Bucket, err)
		}
	}
	if !allowsTrail(current, "s3:GetBucketAcl", h.bucketARN) {
		h.stmts = append(h.stmts, map[string]any{
			"Sid": h.uniqueSid("AWSCloudTrailAclCheck"), "Effect": "Allow",
			"Principal": map[string]any{"Service": "cloudtrail.amazonaws.com"},
			"Action":    "s3:GetBucketAcl", "Resource": h.bucketARN,
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": h.sources}},
		})
		h.out.Changes = append(h.out.Changes, "added statement letting CloudTrail read the bucket ACL (s3:GetBucketAcl), conditioned on aws:SourceAccount")
	}
	var missing []string
	for _, p := range h.paths {
		if !allowsTrail(current, "s3:PutObject", strings.TrimSuffix(p, "*")+"x") {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		h.stmts = append(h.stmts, map[string]any{
			"Sid": h.uniqueSid("AWSCloudTrailWrite"), "Effect": "Allow",
			"Principal": map[string]any{"Service": "cloudtrail.amazonaws.com"},
			"Action":    "s3:PutObject", "Resource": missing,
			"Condition": map[string]any{"StringEquals": map[string]any{
				"aws:SourceAccount": h.sources, "s3:x-amz-acl": "bucket-owner-full-control",
			}},
		})
		h.out.Changes = append(h.out.Changes, "added statement letting CloudTrail write "+strings.Join(missing, ", ")+", conditioned on aws:SourceAccount")
	}
	return nil
}

// denyInsecureTransport appends a deny of plain-HTTP access if the policy
// has none.
func (h *hardener) denyInsecureTransport() {
	if h.parsed.DeniesInsecureTransport(h.bucketARN, h.bucketARN+"/*") {
		return
	}
	h.stmts = append(h.stmts, map[string]any{
		"Sid": h.uniqueSid("DenyInsecureTransport"), "Effect": "Deny", "Principal": "*",
		"Action": "s3:*", "Resource": []any{h.bucketARN, h.bucketARN + "/*"},
		"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
	})
	h.out.Changes = append(h.out.Changes, "added statement DenyInsecureTransport (deny s3:* without TLS)")
}

// CheckDelivery refuses a bucket policy that would stop a trail of the
// account from delivering: CloudTrail must be allowed to read the ACL and to
// write under each trail's prefix, and no deny may reach it over TLS.
func CheckDelivery(doc string, in HardenInput) error {
	d, err := policy.Parse(doc)
	if err != nil {
		return fmt.Errorf("the new bucket policy of %s does not parse (%v); nothing was changed", in.Bucket, err)
	}
	bucketARN := fmt.Sprintf("arn:%s:s3:::%s", in.Partition, in.Bucket)
	paths, _, err := trailPaths(in, bucketARN)
	if err != nil {
		// Trails of other accounts: their paths cannot be checked from here.
		return nil
	}
	if !allowsTrail(d, "s3:GetBucketAcl", bucketARN) {
		return fmt.Errorf("refusing: the new policy of %s would not let CloudTrail read the bucket ACL (s3:GetBucketAcl), so delivery would stop", in.Bucket)
	}
	for _, p := range paths {
		if !allowsTrail(d, "s3:PutObject", strings.TrimSuffix(p, "*")+"x") {
			return fmt.Errorf("refusing: the new policy of %s would not let CloudTrail write %s, so delivery would stop", in.Bucket, p)
		}
	}
	for i, s := range d.Statements {
		if s.Denies() && s.CoversAction("s3:PutObject") && (s.Principal.IsAnyone() || s.Principal.HasService("cloudtrail.amazonaws.com")) && len(s.Conditions) == 0 {
			return fmt.Errorf("refusing: %s of the new policy of %s denies PutObject without a condition, so delivery would stop", statementName(i, s), in.Bucket)
		}
	}
	return nil
}

// trailPaths returns the object ARN patterns the bucket's trails write to
// and the accounts they write as. It fails when a trail belongs to an
// organization whose ID is unknown.
func trailPaths(in HardenInput, bucketARN string) (paths, accounts []string, err error) {
	if len(in.Trails) == 0 {
		return nil, nil, fmt.Errorf("no trail of the scan delivers to %s", in.Bucket)
	}
	add := func(l []string, v string) []string {
		if !slices.Contains(l, v) {
			l = append(l, v)
		}
		return l
	}
	for _, t := range in.Trails {
		owner := t.OwnerAccountID
		if owner == "" {
			owner = in.Account
		}
		if !accountID.MatchString(owner) {
			return nil, nil, fmt.Errorf("trail %s has no known owner account", t.Name)
		}
		prefix := strings.Trim(t.S3KeyPrefix, "/")
		if prefix != "" {
			prefix += "/"
		}
		paths = add(paths, fmt.Sprintf("%s/%sAWSLogs/%s/*", bucketARN, prefix, owner))
		if t.IsOrganizationTrail {
			if in.OrgID == "" {
				return nil, nil, fmt.Errorf("trail %s is an organization trail and the organization ID is unknown", t.Name)
			}
			paths = add(paths, fmt.Sprintf("%s/%sAWSLogs/%s/*", bucketARN, prefix, in.OrgID))
		}
		accounts = add(accounts, owner)
	}
	return paths, accounts, nil
}

func allowsTrail(d *policy.Document, action, resource string) bool {
	for _, s := range d.Statements {
		if s.Allows() && s.Principal.HasService("cloudtrail.amazonaws.com") && s.CoversAction(action) && s.CoversResource(resource) {
			return true
		}
	}
	return false
}

func hasSourceCondition(s policy.Statement) bool {
	for _, key := range []string{"aws:SourceArn", "aws:SourceAccount"} {
		for _, c := range s.ConditionsOn(key) {
			if c.Restricts() {
				return true
			}
		}
	}
	return false
}

// resourceAccounts returns the account IDs named after AWSLogs/ in the
// statement's resources on this bucket.
func resourceAccounts(resources []string, bucketARN string) []string {
	var out []string
	for _, r := range resources {
		key, ok := strings.CutPrefix(r, bucketARN+"/")
		if !ok {
			continue
		}
		i := strings.Index(key, "AWSLogs/")
		if i < 0 {
			continue
		}
		id, _, _ := strings.Cut(key[i+len("AWSLogs/"):], "/")
		if accountID.MatchString(id) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func addCondition(st map[string]any, op, key string, values []string) {
	cond, _ := st["Condition"].(map[string]any)
	if cond == nil {
		cond = map[string]any{}
		st["Condition"] = cond
	}
	block, _ := cond[op].(map[string]any)
	if block == nil {
		block = map[string]any{}
		cond[op] = block
	}
	if len(values) == 1 {
		block[key] = values[0]
	} else {
		block[key] = values
	}
}

func statementName(i int, s policy.Statement) string {
	if s.Sid != "" {
		return fmt.Sprintf("statement %d (%s)", i+1, s.Sid)
	}
	return fmt.Sprintf("statement %d", i+1)
}

// describeStatements summarises a policy for the plan's "before" column.
func describeStatements(doc string) string {
	if strings.TrimSpace(doc) == "" {
		return ""
	}
	d, err := policy.Parse(doc)
	if err != nil {
		return "unparsable policy"
	}
	var names []string
	for i, s := range d.Statements {
		names = append(names, statementName(i, s))
	}
	return fmt.Sprintf("%d statements: %s", len(d.Statements), strings.Join(names, ", "))
}

// kmsOnlyDeny names Deny statements that refuse PutObject unless SSE-KMS is
// used. CloudTrail writes digest files with SSE-S3, so such a statement
// breaks digest delivery once log file validation is on.
func kmsOnlyDeny(doc string) []string {
	d, err := policy.Parse(doc)
	if err != nil {
		return nil
	}
	var out []string
	for i, s := range d.Statements {
		if !s.Denies() || !s.CoversAction("s3:PutObject") {
			continue
		}
		if !s.Principal.IsAnyone() && !s.Principal.HasService("cloudtrail.amazonaws.com") {
			continue
		}
		blocks := false
		for _, c := range s.ConditionsOn("s3:x-amz-server-side-encryption") {
			base := strings.ToLower(c.Base)
			if !strings.HasPrefix(base, "stringnot") {
				continue
			}
			if !slices.ContainsFunc(c.Values, func(v string) bool { return strings.EqualFold(v, "AES256") }) {
				blocks = true
			}
		}
		// An SSE-S3 write carries no KMS key ID, so a deny that fires when
		// that key is absent (Null true, or a negated match without
		// IfExists) refuses every digest file too.
		for _, c := range s.ConditionsOn("s3:x-amz-server-side-encryption-aws-kms-key-id") {
			base := strings.ToLower(c.Base)
			switch {
			case base == "null" && slices.ContainsFunc(c.Values, func(v string) bool { return strings.EqualFold(v, "true") }):
				blocks = true
			case strings.HasPrefix(base, "stringnot") && !c.IfExists:
				blocks = true
			}
		}
		if blocks {
			out = append(out, statementName(i, s))
		}
	}
	return out
}

// policyKeyOrder is the order people write policy elements in; keeping it
// makes the merged document diff cleanly against the original.
var policyKeyOrder = []string{"Version", "Id", "Statement", "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}

// writeOrdered encodes v as indented JSON with policy elements in their
// usual order and everything else sorted.
func writeOrdered(buf *bytes.Buffer, v any, indent string) error {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		rank := func(k string) int {
			if i := slices.Index(policyKeyOrder, k); i >= 0 {
				return i
			}
			return len(policyKeyOrder)
		}
		slices.SortFunc(keys, func(a, b string) int {
			if ra, rb := rank(a), rank(b); ra != rb {
				return ra - rb
			}
			return strings.Compare(a, b)
		})
		buf.WriteString("{")
		for i, k := range keys {
			if i > 0 {
				buf.WriteString(",")
			}
			buf.WriteString("\n" + indent + "  ")
			kb, _ := json.Marshal(k)
			buf.Write(kb)
			buf.WriteString(": ")
			if err := writeOrdered(buf, x[k], indent+"  "); err != nil {
				return err
			}
		}
		buf.WriteString("\n" + indent + "}")
	case []any:
		buf.WriteString("[")
		for i, e := range x {
			if i > 0 {
				buf.WriteString(",")
			}
			buf.WriteString("\n" + indent + "  ")
			if err := writeOrdered(buf, e, indent+"  "); err != nil {
				return err
			}
		}
		buf.WriteString("\n" + indent + "]")
	default:
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(x); err != nil {
			return err
		}
		buf.Write(bytes.TrimSpace(b.Bytes()))
	}
	return nil
}
