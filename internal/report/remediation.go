package report

import (
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/trailseal/trailseal/internal/findings"
)

// The rule catalog writes its remediation commands for any account, with
// placeholders (BUCKET, <trail ARN>, ACCOUNT_ID). A report is about one
// finding, so it fills in what the finding says: its account, region and
// resource, and the names its evidence holds. What the finding cannot say
// (which SNS topic to alarm, which key to encrypt with) stays a placeholder,
// marked as one.

// Facts a placeholder can be filled from.
const (
	factAccount   = "account"
	factRegion    = "region"
	factBucket    = "bucket"
	factTrailARN  = "trail ARN"
	factTrailName = "trail name"
	factLogGroup  = "log group"
	factKeyARN    = "key ARN"
)

// placeholders maps each placeholder the catalog uses to the fact that
// fills it; an empty fact is a value the user must choose. Any other
// <angle-bracketed> text is a placeholder too. TestRemediationPlaceholders
// fails when the catalog uses one that is not listed here.
var placeholders = map[string]string{
	"<account>": factAccount, "ACCOUNT_ID": factAccount,
	"<region>": factRegion, "REGION": factRegion,
	"<bucket>": factBucket, "BUCKET": factBucket,
	"<trail ARN>": factTrailARN,
	"<trail>":     factTrailName, "TRAIL_NAME": factTrailName,
	"<group>":   factLogGroup,
	"<key ARN>": factKeyARN, "KEY_ARN": factKeyARN,

	"ACCESS_LOG_BUCKET": "", "ARCHIVE_BUCKET": "", "PREFIX": "",
	"USER": "", "GROUP": "", "ROLE": "", "POLICY_ARN": "", "POLICY_NAME": "",
}

// placeholderPattern finds an <angle-bracketed> placeholder or an upper-case
// word; upper-case words not in placeholders (JSON, COMPLIANCE) are text.
var placeholderPattern = regexp.MustCompile(`<[^<>\n]{1,60}>|\b[A-Z][A-Z0-9_]*[A-Z0-9]\b`)

// shellSafe is what a filled-in value may contain: a value with a space,
// quote, $ or glob character would need quoting that the command's context
// (inside a JSON string, say) does not allow, so it stays a placeholder.
var shellSafe = regexp.MustCompile(`^[A-Za-z0-9._:/@+=,-]+$`)

// cmdPart is a piece of a remediation command: plain text, a value filled
// in from the finding (Fact says which), or a placeholder left to fill.
type cmdPart struct {
	Text string
	// Fact names where a filled-in value came from.
	Fact string
	// Placeholder is set on text the user must replace.
	Placeholder bool
}

// fillCommand splits a remediation text into parts, filling placeholders
// from the finding's facts.
func fillCommand(text string, facts map[string]string) []cmdPart {
	var parts []cmdPart
	plain := func(s string) {
		if s == "" {
			return
		}
		if n := len(parts); n > 0 && parts[n-1].Fact == "" && !parts[n-1].Placeholder {
			parts[n-1].Text += s
			return
		}
		parts = append(parts, cmdPart{Text: s})
	}
	last := 0
	for _, m := range placeholderPattern.FindAllStringIndex(text, -1) {
		token := text[m[0]:m[1]]
		fact, known := placeholders[token]
		angle := strings.HasPrefix(token, "<")
		if !known && !angle {
			continue
		}
		plain(text[last:m[0]])
		last = m[1]
		if v := facts[fact]; fact != "" && v != "" {
			parts = append(parts, cmdPart{Text: v, Fact: fact})
			continue
		}
		parts = append(parts, cmdPart{Text: token, Placeholder: true})
	}
	plain(text[last:])
	return parts
}

// findingFacts gathers the values a finding gives for the placeholders: its
// account and region, what its resource ARN names, and the bucket, trail,
// log group and key its evidence names (a trail only when there is one).
func findingFacts(f findings.Finding) map[string]string {
	facts := map[string]string{factAccount: f.Account}
	if f.Region != "" && f.Region != "global" {
		facts[factRegion] = f.Region
	}
	if a, err := arn.Parse(f.Resource); err == nil {
		switch {
		case a.Service == "cloudtrail" && strings.HasPrefix(a.Resource, "trail/"):
			facts[factTrailARN] = f.Resource
			facts[factTrailName] = strings.TrimPrefix(a.Resource, "trail/")
		case a.Service == "s3" && a.AccountID == "":
			facts[factBucket], _, _ = strings.Cut(a.Resource, "/")
		case a.Service == "logs" && strings.HasPrefix(a.Resource, "log-group:"):
			facts[factLogGroup] = strings.TrimSuffix(strings.TrimPrefix(a.Resource, "log-group:"), ":*")
		case a.Service == "kms":
			facts[factKeyARN] = f.Resource
		}
	}
	evidenceFact := func(fact, key string) {
		if s, ok := f.Evidence[key].(string); ok && s != "" && facts[fact] == "" {
			facts[fact] = s
		}
	}
	evidenceFact(factBucket, "bucket")
	evidenceFact(factLogGroup, "logGroup")
	evidenceFact(factKeyARN, "keyArn")
	if trail := onlyTrail(f.Evidence["trails"]); trail != "" && facts[factTrailARN] == "" {
		if a, err := arn.Parse(trail); err == nil && strings.HasPrefix(a.Resource, "trail/") {
			facts[factTrailARN] = trail
			facts[factTrailName] = strings.TrimPrefix(a.Resource, "trail/")
		}
	}
	for k, v := range facts {
		if !shellSafe.MatchString(v) {
			delete(facts, k)
		}
	}
	return facts
}

// onlyTrail returns the trail ARN of evidence that lists exactly one trail
// (as []string, or []any after a JSON round trip), else "".
func onlyTrail(v any) string {
	switch t := v.(type) {
	case []string:
		if len(t) == 1 {
			return t[0]
		}
	case []any:
		if len(t) == 1 {
			s, _ := t[0].(string)
			return s
		}
	}
	return ""
}

// placeholderTokens lists the placeholders left in parts, sorted and unique.
func placeholderTokens(parts ...[]cmdPart) []string {
	seen := map[string]bool{}
	for _, ps := range parts {
		for _, p := range ps {
			if p.Placeholder {
				seen[p.Text] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
