package orgscan

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/trailseal/trailseal/internal/awsclient"
	"github.com/trailseal/trailseal/internal/inventory"
)

// Account is one member of the organization.
type Account struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// Organization is what the management account tells about the organization.
type Organization struct {
	ID                  string `json:"id"`
	ManagementAccountID string `json:"managementAccountId"`
	CallerAccountID     string `json:"callerAccountId"`
	// Partition is the caller's partition (aws, aws-cn, aws-us-gov).
	Partition string    `json:"partition"`
	Accounts  []Account `json:"accounts"`
}

// ListOrganization reads the organization and its ACTIVE accounts with the
// caller's credentials (management account or delegated administrator).
// Suspended and closing accounts cannot be assumed into and are skipped.
func ListOrganization(ctx context.Context, cfg aws.Config) (*Organization, error) {
	ident, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("no usable AWS credentials for the management account: %s (sts:GetCallerIdentity)", awsclient.Describe(err))
	}
	client := organizations.NewFromConfig(cfg)
	desc, err := client.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		return nil, fmt.Errorf("cannot read the organization: %s (organizations:DescribeOrganization); run --org from the management account or a delegated administrator", awsclient.Describe(err))
	}
	org := &Organization{
		ID:                  aws.ToString(desc.Organization.Id),
		ManagementAccountID: aws.ToString(desc.Organization.MasterAccountId),
		CallerAccountID:     aws.ToString(ident.Account),
		Partition:           "aws",
	}
	if a, err := arn.Parse(aws.ToString(ident.Arn)); err == nil && a.Partition != "" {
		org.Partition = a.Partition
	}
	p := organizations.NewListAccountsPaginator(client, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("cannot list the organization's accounts: %s (organizations:ListAccounts); grant organizations:ListAccounts or run from the management account", awsclient.Describe(err))
		}
		for _, a := range page.Accounts {
			if !accountActive(a) {
				continue
			}
			org.Accounts = append(org.Accounts, Account{ID: aws.ToString(a.Id), Name: aws.ToString(a.Name)})
		}
	}
	slices.SortFunc(org.Accounts, func(a, b Account) int { return strings.Compare(a.ID, b.ID) })
	return org, nil
}

// accountActive reads the newer State field and falls back to the
// deprecated Status, which some endpoints still return alone.
func accountActive(a orgtypes.Account) bool {
	if a.State != "" {
		return a.State == orgtypes.AccountStateActive
	}
	return a.Status == orgtypes.AccountStatusActive
}

// Select applies --accounts and --exclude-accounts. It returns the accounts
// to scan and the requested IDs that are not ACTIVE members.
func Select(all []Account, include, exclude []string) (selected []Account, unknown []string) {
	known := map[string]bool{}
	for _, a := range all {
		known[a.ID] = true
	}
	for _, id := range include {
		if !known[id] && !slices.Contains(unknown, id) {
			unknown = append(unknown, id)
		}
	}
	for _, a := range all {
		if len(include) > 0 && !slices.Contains(include, a.ID) {
			continue
		}
		if slices.Contains(exclude, a.ID) {
			continue
		}
		selected = append(selected, a)
	}
	return selected, unknown
}

// credentialsFor returns cfg with credentials of role roleName in account,
// assumed from the caller's credentials. The cache refreshes them a few
// minutes before they expire, so a long scan never sends expired keys.
func credentialsFor(cfg aws.Config, stsClient *sts.Client, account, roleName, externalID, partition string) aws.Config {
	arn := roleARN(partition, account, roleName)
	provider := stscreds.NewAssumeRoleProvider(stsClient, arn, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "trailseal-org-scan"
		o.Duration = time.Hour
		if externalID != "" {
			o.ExternalID = aws.String(externalID)
		}
	})
	out := cfg.Copy()
	out.Credentials = aws.NewCredentialsCache(provider, func(o *aws.CredentialsCacheOptions) {
		o.ExpiryWindow = 5 * time.Minute
		o.ExpiryWindowJitterFrac = 0.5
	})
	return out
}

func roleARN(partition, account, roleName string) string {
	if partition == "" {
		partition = "aws"
	}
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, account, roleName)
}

// callError turns err into the CallError an ERROR finding reports.
func callError(call string, err error) *inventory.CallError {
	code, msg := awsclient.Failure(err)
	return &inventory.CallError{Call: call, Code: code, Message: msg}
}
