// Package selectors decides what a CloudTrail trail records from its event
// selectors: which management events (reads, writes, from which sources) and
// which S3 object-level data events (for which buckets and prefixes).
//
// Every rule that asks "does this trail record X?" goes through Evaluate, so
// that basic and advanced selectors are interpreted in exactly one place.
//
// The evaluator reasons over the space of possible events rather than over a
// handful of sample events. For one question (say "management reads") it
// fixes the fields that question pins down (eventCategory=Management,
// readOnly=true) and asks whether the union of the selectors covers every
// value of every other field. It claims "all" only when it can prove that:
// a selector restricts nothing else, or selectors that each restrict one and
// the same field together cover that field's whole domain (readOnly true in
// one selector and false in another; eventSource NotEquals kms in one and
// Equals kms in another). Anything it cannot prove, including unknown fields
// and empty field selectors, is reported as partial with the reason, never as
// full coverage.
package selectors
