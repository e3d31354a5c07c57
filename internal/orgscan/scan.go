package orgscan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/trailseal/trailseal/internal/awsclient"
	"github.com/trailseal/trailseal/internal/collect"
	"github.com/trailseal/trailseal/internal/inventory"
)

// DefaultConcurrency is the bound on API calls in flight across the whole
// organization when none is given.
const DefaultConcurrency = 64

// Options tune an organization scan.
type Options struct {
	// RoleName is the role assumed in every account (not the caller's own).
	RoleName   string
	ExternalID string
	// Accounts, when not empty, limits the scan to these account IDs;
	// Exclude removes accounts from it.
	Accounts []string
	Exclude  []string
	// Regions to scan in every account; empty means each account's enabled
	// regions.
	Regions []string
	// Concurrency bounds API calls in flight across all accounts and
	// regions; 0 means DefaultConcurrency.
	Concurrency int
	// AccountWorkers bounds how many accounts are scanned at once; 0 means
	// as many as Concurrency. Calls, not accounts, are the scarce
	// resource: an account waiting on a dependent call holds no slot.
	AccountWorkers int
	// StatePath, when set, is the resume state file: finished accounts in
	// it are not scanned again, and each account is appended as it
	// finishes.
	StatePath string
	Logger    *slog.Logger
	// Started is called once the accounts to scan are known, with how many
	// there are and how many of them the state file already holds.
	Started func(total, resumed int)
	// Finished is called as each account finishes (resumed ones included),
	// from the goroutine that scanned it.
	Finished func(AccountResult)
}

// Result is the outcome of an organization scan.
type Result struct {
	Organization *Organization
	// Accounts holds the finished accounts, in account ID order.
	Accounts []AccountResult
	// Pending lists the selected accounts that did not finish (the scan was
	// interrupted).
	Pending []Account
	// Unknown lists IDs given in Options.Accounts that are not ACTIVE
	// members of the organization.
	Unknown []string
	// Attempts and Throttles count HTTP attempts made by this run (the
	// resumed accounts cost none).
	Attempts, Throttles int64
	Elapsed             time.Duration
}

// Scan lists the organization with cfg (management or delegated
// administrator credentials) and collects every selected account. It
// returns an error only when the organization itself cannot be read or the
// state file is unusable; an account that cannot be scanned is recorded in
// its AccountResult. When ctx is cancelled, Scan stops starting accounts,
// abandons those in flight, and returns what finished with ctx.Err().
func Scan(ctx context.Context, cfg aws.Config, opts Options) (*Result, error) {
	start := time.Now()
	if opts.RoleName == "" {
		return nil, errors.New("no role name: give the role to assume in every account")
	}
	n := opts.Concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	workers := opts.AccountWorkers
	if workers <= 0 {
		workers = n
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	lim := NewLimiter(n)

	mgmt := cfg.Copy()
	mgmt.Retryer = patientRetryer
	lim.Apply(&mgmt, "caller")
	org, err := ListOrganization(ctx, mgmt)
	if err != nil {
		if ctx.Err() != nil {
			// Interrupted before any account: say so, not "cannot list".
			return nil, ctx.Err()
		}
		return nil, err
	}
	selected, unknown := Select(org.Accounts, opts.Accounts, opts.Exclude)
	res := &Result{Organization: org, Unknown: unknown}

	done := map[string]AccountResult{}
	var state *stateFile
	if opts.StatePath != "" {
		state, done, err = openState(opts.StatePath, stateHeader{
			OrganizationID: org.ID, RoleName: opts.RoleName, Regions: opts.Regions, StartedAt: time.Now().UTC(),
		})
		if err != nil {
			return nil, err
		}
		defer state.close()
	}

	var todo []Account
	resumed := 0
	for _, a := range selected {
		if r, ok := done[a.ID]; ok {
			resumed++
			res.Accounts = append(res.Accounts, r)
			continue
		}
		todo = append(todo, a)
	}
	if opts.Started != nil {
		opts.Started(len(selected), resumed)
	}
	if opts.Finished != nil {
		for _, r := range res.Accounts {
			opts.Finished(r)
		}
	}

	// The role is assumed with the caller's credentials, through the
	// same limiter as everything else.
	stsClient := sts.NewFromConfig(mgmt)
	partition := org.Partition

	var (
		mu       sync.Mutex
		stateErr error
		wg       sync.WaitGroup
		slots    = make(chan struct{}, workers)
	)
launch:
	for _, a := range todo {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			break launch
		}
		if ctx.Err() != nil {
			<-slots
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			r := scanAccount(ctx, cfg, stsClient, lim, a, org.CallerAccountID, partition, opts, log)
			if ctx.Err() != nil {
				// Evidence gathered while being cancelled is incomplete:
				// leave the account for the next run.
				return
			}
			if state != nil && !transientAccessError(r) {
				if err := state.append(r); err != nil {
					mu.Lock()
					stateErr = errors.Join(stateErr, err)
					mu.Unlock()
				}
			}
			mu.Lock()
			res.Accounts = append(res.Accounts, r)
			mu.Unlock()
			if opts.Finished != nil {
				opts.Finished(r)
			}
		}()
	}
	wg.Wait()

	finished := map[string]bool{}
	for _, r := range res.Accounts {
		finished[r.Account.ID] = true
	}
	for _, a := range selected {
		if !finished[a.ID] {
			res.Pending = append(res.Pending, a)
		}
	}
	sortResults(res.Accounts)
	res.Attempts, res.Throttles = lim.Attempts(), lim.Throttles()
	res.Elapsed = time.Since(start)
	if stateErr != nil {
		return res, stateErr
	}
	return res, ctx.Err()
}

// transientAccessError tells whether an account failed for a reason a
// later run may not meet (throttling, an STS outage, the network), as
// opposed to a refusal (AccessDenied: the role is missing or does not trust
// the caller). Such an account is reported in this run but not written to
// the resume state, so --resume tries it again.
func transientAccessError(r AccountResult) bool {
	if r.AccessError == nil {
		return false
	}
	switch r.AccessError.Code {
	case "AccessDenied", "AccessDeniedException", "CredentialsRejected",
		"InvalidClientTokenId", "RegionDisabledException", "MalformedPolicyDocument":
		return false
	}
	return true
}

// scanAccount assumes the role in one account (or uses the caller's own
// credentials for the caller's account) and collects its inventory.
func scanAccount(ctx context.Context, cfg aws.Config, stsClient *sts.Client, lim *Limiter, a Account, caller, partition string, opts Options, log *slog.Logger) AccountResult {
	start := time.Now()
	r := AccountResult{Account: a}
	acfg := cfg.Copy()
	if a.ID != caller {
		r.RoleARN = roleARN(partition, a.ID, opts.RoleName)
		acfg = credentialsFor(cfg, stsClient, a.ID, opts.RoleName, opts.ExternalID, partition)
		// Assume the role up front: its failure is the account's one ERROR
		// finding, not a cascade of failed calls.
		if _, err := acfg.Credentials.Retrieve(ctx); err != nil {
			r.AccessError = callError("sts:AssumeRole", err)
			r.FinishedAt, r.Duration = time.Now().UTC(), time.Since(start)
			log.Debug("cannot assume role", "account", a.ID, "role", r.RoleARN, "code", r.AccessError.Code)
			return r
		}
	}
	lim.Apply(&acfg, a.ID)
	inv, err := collect.Collect(ctx, acfg, collect.Options{
		Regions: opts.Regions,
		// The shared limiter bounds the calls; the collector's own bound
		// must not be the tighter one.
		Concurrency: max(opts.Concurrency, DefaultConcurrency),
		Logger:      log,
	})
	r.FinishedAt, r.Duration = time.Now().UTC(), time.Since(start)
	if err != nil {
		r.AccessError = &inventory.CallError{Call: "sts:GetCallerIdentity", Code: "CredentialsRejected", Message: awsclient.FirstLine(err.Error())}
		return r
	}
	if inv.Account.ID != a.ID {
		// A role that resolves to another account would put that
		// account's evidence under this one's name.
		r.AccessError = &inventory.CallError{Call: "sts:GetCallerIdentity", Code: "WrongAccount",
			Message: fmt.Sprintf("the assumed role's credentials belong to account %s", inv.Account.ID)}
		return r
	}
	inv.Account.Name = a.Name
	r.Inventory = inv
	return r
}

// patientRetryer is used for the caller's own calls (listing, AssumeRole):
// a throttled AssumeRole must not cost an account its scan.
func patientRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 8
		o.MaxBackoff = 20 * time.Second
	})
}

// sortResults orders results by account ID, the order reports list them in.
func sortResults(rs []AccountResult) {
	slices.SortFunc(rs, func(a, b AccountResult) int { return strings.Compare(a.Account.ID, b.Account.ID) })
}
