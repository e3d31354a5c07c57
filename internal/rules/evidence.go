package rules

import (
	"fmt"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
)

// missing turns unreadable evidence into the finding the spec requires:
// MANUAL when it lives in another account, ERROR otherwise (a failed call,
// or evidence that was never collected). ok is false when the evidence is
// known and the caller should evaluate it.
func missing[T any](ev inventory.Result[T], what, region, resource string) (Result, bool) {
	if ev.Value != nil {
		return Result{}, false
	}
	if ev.Elsewhere != nil {
		msg := fmt.Sprintf("cannot check %s: %s", what, ev.Problem())
		if ev.Elsewhere.OwnerAccountID != "" {
			msg = fmt.Sprintf("%s is held by account %s (%s): check it there", what, ev.Elsewhere.OwnerAccountID, ev.Elsewhere.Reason)
		}
		return Result{
			Status:   findings.Manual,
			Region:   region,
			Resource: resource,
			Message:  msg,
			Evidence: findings.Evidence{"ownerAccountId": ev.Elsewhere.OwnerAccountID},
		}, true
	}
	ev2 := findings.Evidence{}
	if ev.Error != nil {
		ev2["call"] = ev.Error.Call
		ev2["errorCode"] = ev.Error.Code
	}
	return Result{
		Status:   findings.Error,
		Region:   region,
		Resource: resource,
		Message:  fmt.Sprintf("cannot read %s: %s", what, ev.Problem()),
		Evidence: ev2,
	}, true
}

func pass(region, resource, msg string, ev findings.Evidence) Result {
	return Result{Status: findings.Pass, Region: region, Resource: resource, Message: msg, Evidence: ev}
}

func fail(region, resource, msg string, ev findings.Evidence) Result {
	return Result{Status: findings.Fail, Region: region, Resource: resource, Message: msg, Evidence: ev}
}

func notApplicable(region, resource, msg string) Result {
	return Result{Status: findings.NA, Region: region, Resource: resource, Message: msg}
}
