// Package orgscan scans every account of an AWS Organization with the
// single-account collector and evaluates the organization as a whole.
//
// From the management account (or a delegated administrator) it lists the
// ACTIVE accounts, assumes a named role in each, collects each account's
// inventory, and records every finished account in a resume state file so
// that an interrupted scan picks up where it stopped. All accounts share one
// bound on API calls in flight and per-service pacing that slows down when
// AWS throttles, so a large organization is scanned as fast as the API
// allows without turning throttles into ERROR findings.
//
// Evaluation merges, into each member's inventory, the bucket and key
// evidence that another scanned account (typically the log archive account)
// read about its own resources: a member whose trail writes to the log
// archive bucket is then judged on that bucket's real configuration instead
// of getting MANUAL findings. Organization-level rules (org.*) are evaluated
// once over all inventories.
package orgscan
