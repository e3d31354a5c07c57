package rules

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/policy"
)

// iamFullAccessPolicy matches the AWS managed policy in every partition.
var iamFullAccessPolicy = regexp.MustCompile(`^arn:[a-z-]+:iam::aws:policy/AWSCloudTrail_FullAccess$`)

func iamAccountResource(inv *inventory.Inventory) string {
	return fmt.Sprintf("arn:%s:iam::%s:root", bucketPartition(inv), inv.Account.ID)
}

func checkIAMFullAccess(inv *inventory.Inventory, opts Options) []Result {
	res := iamAccountResource(inv)
	if r, bad := missing(inv.IAM, "IAM authorization details", "global", res); bad {
		return []Result{r}
	}
	allowed := map[string]bool{}
	for _, a := range opts.FullAccessAllowList {
		allowed[a] = true
	}
	var holders, allowListed []string
	for _, p := range inv.IAM.Value.Principals {
		for _, arn := range p.AttachedPolicyARNs {
			if !iamFullAccessPolicy.MatchString(arn) {
				continue
			}
			if allowed[p.ARN] {
				allowListed = append(allowListed, p.ARN)
			} else {
				holders = append(holders, p.ARN)
			}
			break
		}
	}
	ev := findings.Evidence{"holders": holders, "allowListed": allowListed, "limit": opts.FullAccessLimit}
	if len(holders) > opts.FullAccessLimit {
		return []Result{fail("global", res, fmt.Sprintf("AWSCloudTrail_FullAccess is attached to %d principals outside the allow-list (limit %d): %s", len(holders), opts.FullAccessLimit, strings.Join(holders, ", ")), ev)}
	}
	return []Result{pass("global", res, fmt.Sprintf("AWSCloudTrail_FullAccess is attached to %d principals outside the allow-list (limit %d) and %d allow-listed", len(holders), opts.FullAccessLimit, len(allowListed)), ev)}
}

func checkIAMWildcard(inv *inventory.Inventory, opts Options) []Result {
	res := iamAccountResource(inv)
	if r, bad := missing(inv.IAM, "IAM authorization details", "global", res); bad {
		return []Result{r}
	}
	return []Result{iamWildcardCheck(inv.IAM.Value, res)}
}

func iamWildcardCheck(auth *inventory.IAMAuthorization, res string) Result {
	attachedTo := map[string][]string{}
	for _, p := range auth.Principals {
		for _, arn := range p.AttachedPolicyARNs {
			attachedTo[arn] = append(attachedTo[arn], p.Type+" "+p.Name)
		}
	}
	var offending, unattached, unparsable []string
	for _, mp := range auth.ManagedPolicies {
		doc, err := policy.Parse(mp.Document)
		if err != nil {
			unparsable = append(unparsable, fmt.Sprintf("managed policy %s: %v", mp.ARN, err))
			continue
		}
		if !iamGrantsAllCloudTrail(doc) {
			continue
		}
		where := attachedTo[mp.ARN]
		if len(where) == 0 && mp.AttachmentCount == 0 {
			unattached = append(unattached, "managed policy "+mp.Name)
			continue
		}
		desc := "managed policy " + mp.Name
		if len(where) > 0 {
			desc += " (attached to " + strings.Join(where, ", ") + ")"
		} else {
			desc += fmt.Sprintf(" (%d attachments)", mp.AttachmentCount)
		}
		offending = append(offending, desc)
	}
	for _, p := range auth.Principals {
		for _, ip := range p.InlinePolicies {
			doc, err := policy.Parse(ip.Document)
			if err != nil {
				unparsable = append(unparsable, fmt.Sprintf("inline policy %s of %s %s: %v", ip.Name, p.Type, p.Name, err))
				continue
			}
			if iamGrantsAllCloudTrail(doc) {
				offending = append(offending, fmt.Sprintf("inline policy %s of %s %s", ip.Name, p.Type, p.Name))
			}
		}
	}
	ev := findings.Evidence{"offending": offending}
	if len(unattached) > 0 {
		ev["unattached"] = unattached
	}
	if len(unparsable) > 0 {
		ev["unparsable"] = unparsable
	}
	switch {
	case len(offending) > 0:
		return fail("global", res, fmt.Sprintf("%d policies allow cloudtrail:* or *: %s", len(offending), strings.Join(offending, "; ")), ev)
	case len(unparsable) > 0:
		return Result{Status: findings.Error, Region: "global", Resource: res, Evidence: ev,
			Message: fmt.Sprintf("cannot evaluate %d policies: %s; fix or inspect them with aws iam get-account-authorization-details", len(unparsable), strings.Join(unparsable, "; "))}
	}
	msg := fmt.Sprintf("no attached customer managed or inline policy allows cloudtrail:* or * (%d managed policies examined)", len(auth.ManagedPolicies))
	if len(unattached) > 0 {
		msg += fmt.Sprintf("; %d unattached policies would: %s", len(unattached), strings.Join(unattached, ", "))
	}
	return pass("global", res, msg, ev)
}

// iamGrantsAllCloudTrail reports whether an Allow statement covers every
// CloudTrail action on all resources or on CloudTrail resources. Passing the
// pattern "cloudtrail:*" as the action asks whether the statement's patterns
// reach all of it, so cloudtrail:Describe* does not count.
func iamGrantsAllCloudTrail(doc *policy.Document) bool {
	for _, s := range doc.Statements {
		if !s.Allows() || !s.CoversAction("cloudtrail:*") {
			continue
		}
		if s.NotActions != nil {
			spares := false
			for _, p := range s.NotActions {
				if policy.MayMatchService(p, "cloudtrail") {
					spares = true
				}
			}
			if spares {
				continue
			}
		}
		if iamCoversCloudTrailResources(s) {
			return true
		}
	}
	return false
}

func iamCoversCloudTrailResources(s policy.Statement) bool {
	if s.NotResources != nil {
		// Everything but a list: CloudTrail resources are in unless named.
		for _, r := range s.NotResources {
			if r == "*" || strings.Contains(r, ":cloudtrail:") {
				return false
			}
		}
		return true
	}
	for _, r := range s.Resources {
		if r == "*" || strings.Contains(r, ":cloudtrail:") {
			return true
		}
		// A wildcard ARN such as "arn:aws-us-gov:*" reaches CloudTrail
		// resources of its partition.
		for _, part := range []string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"} {
			if policy.MatchResource(r, "arn:"+part+":cloudtrail:*") {
				return true
			}
		}
	}
	return false
}
