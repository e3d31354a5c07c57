// Package regions knows the AWS region codes trailseal accepts in --regions,
// so that a typo is a usage error rather than a scan that silently finds
// nothing.
package regions

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trailseal/trailseal/internal/suggest"
)

// known lists the public, GovCloud and China region codes. A region launched
// after this list was written is accepted by adding it here; the scan itself
// also checks the account's enabled regions.
var known = []string{
	"af-south-1",
	"ap-east-1", "ap-east-2",
	"ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ap-south-1", "ap-south-2",
	"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
	"ca-central-1", "ca-west-1",
	"cn-north-1", "cn-northwest-1",
	"eu-central-1", "eu-central-2",
	"eu-north-1",
	"eu-south-1", "eu-south-2",
	"eu-west-1", "eu-west-2", "eu-west-3",
	"il-central-1",
	"me-central-1", "me-south-1",
	"mx-central-1",
	"sa-east-1",
	"us-east-1", "us-east-2",
	"us-gov-east-1", "us-gov-west-1",
	"us-west-1", "us-west-2",
}

// Known returns a copy of the known region codes, sorted.
func Known() []string { return slices.Clone(known) }

// IsKnown reports whether code is a known region code.
func IsKnown(code string) bool {
	_, found := slices.BinarySearch(known, code)
	return found
}

// Parse splits a comma-separated region list, trims blanks, removes
// duplicates and rejects unknown codes with an error naming the first one.
func Parse(list string) ([]string, error) {
	var out []string
	for _, r := range strings.Split(list, ",") {
		r = strings.ToLower(strings.TrimSpace(r))
		if r == "" {
			continue
		}
		if !IsKnown(r) {
			return nil, fmt.Errorf("unknown region %q%s", r, suggestion(r))
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no region given")
	}
	return out, nil
}

// suggestion names the closest known code, for typos like "us-est-1":
// one within three edits.
func suggestion(r string) string {
	best := suggest.Nearest(r, known, 3)
	if best == "" {
		return " (see 'aws ec2 describe-regions' for valid codes)"
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}
