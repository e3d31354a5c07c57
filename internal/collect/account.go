package collect

import (
	"context"
	"net/url"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3control"

	"github.com/trailseal/trailseal/internal/awsclient"
	"github.com/trailseal/trailseal/internal/inventory"
)

func (c *collector) organization(ctx context.Context) inventory.Result[inventory.Organization] {
	out, err := c.aws.Organizations().DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if awsclient.HasCode(err, "AWSOrganizationsNotInUseException") {
		return inventory.Ok(inventory.Organization{Member: false})
	}
	if err != nil {
		return failed[inventory.Organization]("organizations:DescribeOrganization", err)
	}
	org := inventory.Organization{Member: true}
	if o := out.Organization; o != nil {
		org.ID = aws.ToString(o.Id)
		org.ARN = aws.ToString(o.Arn)
		org.ManagementAccountID = aws.ToString(o.MasterAccountId)
	}
	return inventory.Ok(org)
}

// regions returns the regions to scan: the caller's choice, else the
// account's enabled regions, else (when those cannot be listed) the
// config's region alone with the failure recorded.
func (c *collector) regions(ctx context.Context) ([]string, []inventory.RegionError) {
	if len(c.optsRegions) > 0 {
		return c.optsRegions, nil
	}
	out, err := c.aws.EC2("").DescribeRegions(ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(false)})
	if err == nil && len(out.Regions) > 0 {
		var regions []string
		for _, r := range out.Regions {
			regions = append(regions, aws.ToString(r.RegionName))
		}
		sort.Strings(regions)
		return regions, nil
	}
	fallback := c.aws.AWSConfig().Region
	if fallback == "" {
		fallback = "us-east-1"
	}
	code, msg := "NoRegions", "ec2:DescribeRegions returned no regions"
	if err != nil {
		code, msg = awsclient.Failure(err)
	}
	c.log.Warn("cannot list enabled regions; scanning only the configured region", "region", fallback, "code", code)
	return []string{fallback}, []inventory.RegionError{{
		Region: fallback,
		Error: inventory.CallError{
			Call:    "ec2:DescribeRegions",
			Code:    code,
			Message: "could not list enabled regions, only " + fallback + " was scanned: " + msg,
		},
	}}
}

func (c *collector) accountPublicAccessBlock(ctx context.Context) inventory.Result[inventory.PublicAccessBlock] {
	out, err := c.aws.S3Control(c.globalS3Region()).GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{
		AccountId: aws.String(c.account),
	})
	if awsclient.HasCode(err, "NoSuchPublicAccessBlockConfiguration") {
		return inventory.Ok(inventory.PublicAccessBlock{Configured: false})
	}
	if err != nil {
		return failed[inventory.PublicAccessBlock]("s3control:GetPublicAccessBlock", err)
	}
	if p := out.PublicAccessBlockConfiguration; p != nil {
		return inventory.Ok(publicAccessBlock(p.BlockPublicAcls, p.IgnorePublicAcls, p.BlockPublicPolicy, p.RestrictPublicBuckets))
	}
	return inventory.Ok(inventory.PublicAccessBlock{Configured: true})
}

// publicAccessBlock reads the four settings of a Block Public Access
// configuration, which S3 (per bucket) and S3 Control (per account) return
// as different SDK types with the same fields.
func publicAccessBlock(blockACLs, ignoreACLs, blockPolicy, restrict *bool) inventory.PublicAccessBlock {
	return inventory.PublicAccessBlock{
		Configured:            true,
		BlockPublicAcls:       aws.ToBool(blockACLs),
		IgnorePublicAcls:      aws.ToBool(ignoreACLs),
		BlockPublicPolicy:     aws.ToBool(blockPolicy),
		RestrictPublicBuckets: aws.ToBool(restrict),
	}
}

func (c *collector) iamAuthorization(ctx context.Context) inventory.Result[inventory.IAMAuthorization] {
	auth := inventory.IAMAuthorization{Principals: []inventory.Principal{}, ManagedPolicies: []inventory.ManagedPolicy{}}
	p := iam.NewGetAccountAuthorizationDetailsPaginator(c.aws.IAM(), &iam.GetAccountAuthorizationDetailsInput{
		Filter: []iamtypes.EntityType{
			iamtypes.EntityTypeUser, iamtypes.EntityTypeGroup, iamtypes.EntityTypeRole,
			iamtypes.EntityTypeLocalManagedPolicy,
		},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return failed[inventory.IAMAuthorization]("iam:GetAccountAuthorizationDetails", err)
		}
		for _, u := range page.UserDetailList {
			auth.Principals = append(auth.Principals, inventory.Principal{
				Type:               "user",
				Name:               aws.ToString(u.UserName),
				ARN:                aws.ToString(u.Arn),
				AttachedPolicyARNs: attachedARNs(u.AttachedManagedPolicies),
				InlinePolicies:     inlinePolicies(u.UserPolicyList),
			})
		}
		for _, g := range page.GroupDetailList {
			auth.Principals = append(auth.Principals, inventory.Principal{
				Type:               "group",
				Name:               aws.ToString(g.GroupName),
				ARN:                aws.ToString(g.Arn),
				AttachedPolicyARNs: attachedARNs(g.AttachedManagedPolicies),
				InlinePolicies:     inlinePolicies(g.GroupPolicyList),
			})
		}
		for _, r := range page.RoleDetailList {
			auth.Principals = append(auth.Principals, inventory.Principal{
				Type:               "role",
				Name:               aws.ToString(r.RoleName),
				ARN:                aws.ToString(r.Arn),
				AttachedPolicyARNs: attachedARNs(r.AttachedManagedPolicies),
				InlinePolicies:     inlinePolicies(r.RolePolicyList),
			})
		}
		for _, pol := range page.Policies {
			mp := inventory.ManagedPolicy{
				ARN:             aws.ToString(pol.Arn),
				Name:            aws.ToString(pol.PolicyName),
				AttachmentCount: int(aws.ToInt32(pol.AttachmentCount)),
			}
			if mp.Name == "" {
				// Some emulators omit the name; the ARN ends with it.
				mp.Name = mp.ARN[strings.LastIndexByte(mp.ARN, '/')+1:]
			}
			for _, v := range pol.PolicyVersionList {
				if v.IsDefaultVersion || aws.ToString(v.VersionId) == aws.ToString(pol.DefaultVersionId) {
					mp.Document = decodePolicy(aws.ToString(v.Document))
					break
				}
			}
			auth.ManagedPolicies = append(auth.ManagedPolicies, mp)
		}
	}
	return inventory.Ok(auth)
}

func attachedARNs(list []iamtypes.AttachedPolicy) []string {
	var arns []string
	for _, p := range list {
		arns = append(arns, aws.ToString(p.PolicyArn))
	}
	return arns
}

func inlinePolicies(list []iamtypes.PolicyDetail) []inventory.InlinePolicy {
	var out []inventory.InlinePolicy
	for _, p := range list {
		out = append(out, inventory.InlinePolicy{
			Name:     aws.ToString(p.PolicyName),
			Document: decodePolicy(aws.ToString(p.PolicyDocument)),
		})
	}
	return out
}

// decodePolicy undoes the RFC 3986 encoding IAM applies to policy
// documents. Depending on SDK version and emulator the text may arrive
// already decoded; a JSON document always starts with '{' once decoded, so
// anything that does is left alone. Path unescaping keeps a literal '+'.
func decodePolicy(doc string) string {
	trimmed := strings.TrimSpace(doc)
	if trimmed == "" || strings.HasPrefix(trimmed, "{") {
		return doc
	}
	if dec, err := url.PathUnescape(trimmed); err == nil {
		return dec
	}
	if dec, err := url.QueryUnescape(trimmed); err == nil {
		return dec
	}
	return doc
}
