package policy

import (
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/trailseal/trailseal/internal/wildcard"
)

// MatchAction reports whether an Action pattern ("s3:Delete*", "*") matches
// an action name. Action names are case-insensitive.
//
// Passing a pattern as the action asks whether one pattern covers another in
// the common cases: MatchAction("s3:*", "s3:Put*") is true, while
// MatchAction("s3:Put*", "s3:*") is false.
func MatchAction(pattern, action string) bool {
	return wildcard.Match(strings.ToLower(pattern), strings.ToLower(action))
}

// MatchResource reports whether a Resource pattern matches an ARN. ARNs are
// case-sensitive. As with MatchAction, a wildcard in arn is matched
// literally, which lets callers ask "does this pattern cover bucket/*".
func MatchResource(pattern, arn string) bool {
	return wildcard.Match(pattern, arn)
}

// CoversAction reports whether the statement applies to action, honouring
// NotAction (every action except those listed).
func (s Statement) CoversAction(action string) bool {
	if s.NotActions != nil {
		for _, p := range s.NotActions {
			if MatchAction(p, action) {
				return false
			}
		}
		return true
	}
	for _, p := range s.Actions {
		if MatchAction(p, action) {
			return true
		}
	}
	return false
}

// CoversResource reports whether the statement applies to arn, honouring
// NotResource. A statement with neither element is treated as covering
// everything, the reading that hides nothing.
func (s Statement) CoversResource(arn string) bool {
	if s.NotResources != nil {
		for _, p := range s.NotResources {
			if MatchResource(p, arn) {
				return false
			}
		}
		return true
	}
	if s.Resources == nil {
		return true
	}
	for _, p := range s.Resources {
		if MatchResource(p, arn) {
			return true
		}
	}
	return false
}

// MayMatchService reports whether an action pattern can match some action of
// the service (its literal part, up to the first wildcard, is compatible with
// "service:"). "*", "s*" and "s3:Get*" may match S3 actions; "sqs:*" cannot.
func MayMatchService(pattern, service string) bool {
	lit := strings.ToLower(pattern)
	if i := strings.IndexAny(lit, "*?"); i >= 0 {
		lit = lit[:i]
	}
	svc := strings.ToLower(service) + ":"
	return strings.HasPrefix(svc, lit) || strings.HasPrefix(lit, svc)
}

// IsAnyone reports whether the principal is everybody: "*" or {"AWS": "*"}.
func (p *Principal) IsAnyone() bool {
	if p == nil {
		return false
	}
	if p.Anyone {
		return true
	}
	for _, a := range p.AWS {
		if a == "*" {
			return true
		}
	}
	return false
}

// HasService reports whether the principal names the service principal
// (for example "cloudtrail.amazonaws.com"), case-insensitively.
func (p *Principal) HasService(name string) bool {
	if p == nil {
		return false
	}
	for _, s := range p.Service {
		if strings.EqualFold(s, name) {
			return true
		}
	}
	return false
}

var accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)

// AccountOf returns the account ID an AWS principal entry refers to: a bare
// account ID or an IAM/STS ARN. It returns "" for anything else (unique IDs
// such as AROA..., which IAM leaves behind when a role is deleted, or "*").
func AccountOf(entry string) string {
	if accountIDPattern.MatchString(entry) {
		return entry
	}
	if a, err := arn.Parse(entry); err == nil && accountIDPattern.MatchString(a.AccountID) {
		return a.AccountID
	}
	return ""
}

// Accounts returns the account IDs named in the principal's AWS entries, and
// the entries that name no account ("*" excluded: see IsAnyone).
func (p *Principal) Accounts() (accounts, unresolved []string) {
	if p == nil {
		return nil, nil
	}
	seen := map[string]bool{}
	for _, a := range p.AWS {
		if a == "*" {
			continue
		}
		id := AccountOf(a)
		if id == "" {
			unresolved = append(unresolved, a)
			continue
		}
		if !seen[id] {
			seen[id] = true
			accounts = append(accounts, id)
		}
	}
	return accounts, unresolved
}

// ConditionsOn returns the statement's conditions on key (case-insensitive).
func (s Statement) ConditionsOn(key string) []Condition {
	key = strings.ToLower(key)
	var out []Condition
	for _, c := range s.Conditions {
		if c.Key == key {
			out = append(out, c)
		}
	}
	return out
}

// RestrictingKeys are the condition keys that, set to fixed values, tie a
// grant to known callers, networks or resources. They mirror the keys S3
// itself accepts as making a policy non-public.
var RestrictingKeys = []string{
	"aws:SourceArn",
	"aws:SourceAccount",
	"aws:SourceOwner",
	"aws:SourceOrgID",
	"aws:SourceOrgPaths",
	"aws:SourceVpc",
	"aws:SourceVpce",
	"aws:SourceIp",
	"aws:PrincipalOrgID",
	"aws:PrincipalOrgPaths",
	"aws:PrincipalAccount",
	"aws:PrincipalArn",
	"aws:userid",
	"s3:DataAccessPointArn",
	"s3:DataAccessPointAccount",
}

// Restricts reports whether the condition can only hold for requests that
// carry the key with one of a fixed set of values. Negated operators,
// IfExists variants and ForAllValues all hold when the key is absent (an
// anonymous caller has no aws:PrincipalOrgID), and wildcard-only values hold
// for everyone, so none of them restricts.
func (c Condition) Restricts() bool {
	if c.IfExists || strings.EqualFold(c.Set, "ForAllValues") || len(c.Values) == 0 {
		return false
	}
	switch strings.ToLower(c.Base) {
	case "stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike":
		for _, v := range c.Values {
			if strings.Trim(v, "*?") == "" {
				return false
			}
		}
		return true
	case "ipaddress":
		for _, v := range c.Values {
			if v == "0.0.0.0/0" || v == "::/0" {
				return false
			}
		}
		return true
	}
	return false
}

// RestrictingConditions returns the keys (as listed in RestrictingKeys) on
// which the statement has a restricting condition. An empty result on an
// Allow to "*" means the grant is public.
func (s Statement) RestrictingConditions() []string {
	var out []string
	for _, k := range RestrictingKeys {
		for _, c := range s.ConditionsOn(k) {
			if c.Restricts() {
				out = append(out, k)
				break
			}
		}
	}
	return out
}

// IsPublicGrant reports whether the statement allows something to everybody
// without a condition that narrows who can use it. NotPrincipal in an Allow
// statement grants everybody but the listed principals, so it counts too.
func (s Statement) IsPublicGrant() bool {
	if !s.Allows() {
		return false
	}
	if !s.Principal.IsAnyone() && s.NotPrincipal == nil {
		return false
	}
	return len(s.RestrictingConditions()) == 0
}

// DeniesAllS3 reports whether a Deny statement's actions take in every S3
// action ("*", "s3:*", or a NotAction that spares no S3 action).
func (s Statement) DeniesAllS3() bool {
	if !s.Denies() {
		return false
	}
	if s.NotActions != nil {
		for _, p := range s.NotActions {
			if MayMatchService(p, "s3") {
				return false
			}
		}
		return true
	}
	for _, p := range s.Actions {
		if MatchAction(p, "s3:*") {
			return true
		}
	}
	return false
}

// DeniesInsecureTransport reports whether some statement denies every S3
// action to everybody when aws:SecureTransport is false, on each of the
// given resources.
func (d *Document) DeniesInsecureTransport(resources ...string) bool {
	for _, s := range d.Statements {
		if !s.DeniesAllS3() || !s.Principal.IsAnyone() || !deniesPlainHTTP(s) {
			continue
		}
		covered := true
		for _, r := range resources {
			if !s.CoversResource(r) {
				covered = false
				break
			}
		}
		if covered {
			return true
		}
	}
	return false
}

// deniesPlainHTTP looks for Bool (or BoolIfExists) aws:SecureTransport
// "false". Other conditions in the same statement would narrow the deny, so
// a statement carrying any is not counted.
func deniesPlainHTTP(s Statement) bool {
	found := false
	for _, c := range s.Conditions {
		if c.Key != "aws:securetransport" || !strings.EqualFold(c.Base, "Bool") || c.Set != "" {
			return false
		}
		if len(c.Values) != 1 || !strings.EqualFold(c.Values[0], "false") {
			return false
		}
		found = true
	}
	return found
}
