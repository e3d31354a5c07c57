// Package policy reads IAM and S3 resource policy documents and answers the
// questions trailseal's rules ask of them: which actions a statement covers,
// who it grants them to, whether a condition narrows a public grant, and
// whether plain-HTTP access is denied.
//
// It is deliberately not a full policy evaluator. The helpers decide what a
// statement says, not whether a given request would be allowed; callers
// combine them into rule-specific judgements and stay on the cautious side
// where the grammar leaves room for doubt.
package policy
