// Package filterpattern parses and evaluates CloudWatch Logs filter patterns,
// the language of metric filters, against a single log event.
//
// trailseal needs it to decide whether a metric filter on a trail's log group
// really catches the CloudTrail events a monitoring rule requires: comparing
// pattern strings with the CIS text would fail every equivalent rewrite
// (different order, quoting, spacing or wildcards). No Go library implements
// this grammar, so the parser is written here.
//
// Supported: the empty pattern (matches everything); term patterns matched on
// the raw event text (all plain terms must appear, "quoted phrases", ?term
// where at least one must appear, -term that must not appear); and JSON
// patterns in braces with $.a.b / $.a[0] selectors, = and != against quoted or
// bare strings with * wildcards or %regex%, numeric <, <=, >, >=, = and !=,
// IS TRUE, IS FALSE, IS NULL, NOT EXISTS, && (binding tighter than ||), ||
// and parentheses. Space-delimited patterns ([a, b, ...]) are rejected with
// an error.
package filterpattern
