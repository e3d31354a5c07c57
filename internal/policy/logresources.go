package policy

import "strings"

// WideLogResources returns the resources, among those a statement grants
// on bucketARN ("arn:aws:s3:::name"), that reach further than one account's
// (or organization's) CloudTrail folder: "<bucket>/<prefix>/AWSLogs/<id>/..."
// with the prefix and the ID written literally. A resource naming another
// bucket cannot widen access to this one, but a wildcard one can.
//
// The bucket.policy_source_arn rule and the fixer that hardens the same
// policy both use it, so that a fixed policy passes the rule.
func WideLogResources(resources []string, bucketARN string) []string {
	var wide []string
	base := bucketARN + "/"
	for _, r := range resources {
		if !strings.HasPrefix(r, base) {
			// A wildcard resource reaches this bucket when its literal
			// start is a prefix of the bucket's ARN ("*", "arn:aws:s3:::*",
			// "arn:aws:s3:::lo*"); a literal one naming another bucket
			// does not.
			if i := strings.IndexAny(r, "*?"); i >= 0 && strings.HasPrefix(base, r[:i]) {
				wide = append(wide, r)
			}
			continue
		}
		key := strings.TrimPrefix(r, base)
		i := strings.Index(key, "AWSLogs/")
		if i < 0 || strings.ContainsAny(key[:i], "*?") {
			wide = append(wide, r)
			continue
		}
		id, _, _ := strings.Cut(key[i+len("AWSLogs/"):], "/")
		if id == "" || strings.ContainsAny(id, "*?") {
			wide = append(wide, r)
		}
	}
	return wide
}
