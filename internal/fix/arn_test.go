package fix

import "testing"

// The planner reads regions and log group names from ARNs with aws/arn; an
// ARN in another partition or a malformed one gives "", never a wrong part.
func TestARNParts(t *testing.T) {
	for _, tc := range []struct{ in, region, group string }{
		{"arn:aws:logs:eu-west-1:111122223333:log-group:aws-cloudtrail-logs:*", "eu-west-1", "aws-cloudtrail-logs"},
		{"arn:aws-us-gov:logs:us-gov-west-1:111122223333:log-group:/org/trail", "us-gov-west-1", "/org/trail"},
		{"arn:aws:sns:us-east-1:111122223333:alerts", "us-east-1", ""},
		{"not-an-arn", "", ""},
		{"arn:aws:logs:eu-west-1", "", ""},
	} {
		if got := arnRegion(tc.in); got != tc.region {
			t.Errorf("arnRegion(%q) = %q, want %q", tc.in, got, tc.region)
		}
		if got := logGroupNameFromARN(tc.in); got != tc.group {
			t.Errorf("logGroupNameFromARN(%q) = %q, want %q", tc.in, got, tc.group)
		}
	}
}
