// Package collect reads a live AWS account into an inventory.Inventory.
//
// The collector is deliberately forgiving: apart from the identity check
// (sts:GetCallerIdentity), no failing API call stops a scan. Each failure is
// recorded on the piece of evidence that needed it, so rules can report
// ERROR (or MANUAL for resources in another account) instead of guessing.
//
// Calls that do not depend on each other run concurrently, bounded by
// Options.Concurrency, and every resource is read at most once: a
// multi-region trail shows up in every region but is read once in its home
// region, and a bucket shared by several trails is read once.
package collect
