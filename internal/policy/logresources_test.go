package policy

import (
	"slices"
	"testing"
)

func TestWideLogResources(t *testing.T) {
	const b = "arn:aws:s3:::logs"
	for _, tc := range []struct {
		in   string
		wide bool
	}{
		{b + "/AWSLogs/111122223333/*", false},
		{b + "/trail/AWSLogs/o-abc123/*", false},
		{b + "/*", true},
		{b + "/AWSLogs/*", true},
		{b + "/AWSLogs/1111*/x", true},
		{b + "/tr*/AWSLogs/111122223333/*", true},
		{b + "/other/*", true},
		{"arn:aws:s3:::other-bucket/*", false},
		{"arn:aws:s3:::*", true},
		{"*", true},
	} {
		got := WideLogResources([]string{tc.in}, b)
		if (len(got) > 0) != tc.wide || (tc.wide && !slices.Equal(got, []string{tc.in})) {
			t.Errorf("WideLogResources(%q) = %v, want wide=%v", tc.in, got, tc.wide)
		}
	}
}
