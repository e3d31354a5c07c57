package drift

import "github.com/trailseal/trailseal/internal/catalog"

// Drift rule IDs. They compare a run with the previous run of the same
// account and exist only in scans with a history store; catalog.Drift
// describes them.
const (
	RuleTrailRemoved            = "drift.trail_removed"
	RuleTrailDestinationChanged = "drift.trail_destination_changed"
	RuleLoggingInterrupted      = "drift.logging_interrupted"
	RuleRegression              = "drift.regression"
)

// Rules returns the catalog entries of the drift rules, which Compare
// evaluates.
func Rules() []catalog.Rule { return catalog.Drift() }
