// Package drift compares two runs of a scan. Compare turns the previous and
// the current state of one account into drift findings (a trail removed,
// a trail's destination changed, logging interrupted, a check regressed);
// Between lists what changed from one stored run to another for
// 'trailseal diff'. Both are pure functions of their inputs: no store, no
// clock, no AWS.
package drift
