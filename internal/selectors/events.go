package selectors

import (
	"github.com/trailseal/trailseal/internal/inventory"
)

// ManagementWrites decides whether a trail records the given write
// management API calls: events of eventCategory Management, readOnly false,
// eventType AwsApiCall, from eventSource source, with one of names as
// eventName. It is the question an alarm on those calls depends on: an
// alarm on StopLogging can only fire when the trail that feeds its log
// group records StopLogging.
//
// The answer is narrower than Coverage.Management.Write on purpose: a trail
// that excludes KMS events still records every CloudTrail write, so an
// alarm on trail changes still works there. Reasons name the selector and
// the field condition that leaves calls out.
func ManagementWrites(sel inventory.EventSelectors, source string, names []string) Direction {
	if len(sel.Basic) == 0 && len(sel.Advanced) == 0 {
		// A trail that never had custom selectors records all management
		// events.
		return Direction{Level: All}
	}
	sels := sel.Advanced
	if len(sels) == 0 {
		sels = fromBasic(sel.Basic)
	}
	norm := make([]selector, len(sels))
	for i, s := range sels {
		norm[i] = newSelector(i, s)
	}
	return decide(norm, space{
		name: "management writes",
		finite: map[string][]string{
			"eventCategory": {"Management"},
			"readOnly":      {"false"},
			"eventType":     {"AwsApiCall"},
			"eventSource":   {source},
			"eventName":     names,
		},
	})
}
