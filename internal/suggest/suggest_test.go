package suggest

import "testing"

func TestClosest(t *testing.T) {
	ids := []string{"bucket.object_lock", "bucket.object_lock_retention", "trail.log_file_validation", "trail.multi_region", "bucket.versioning"}
	for _, tc := range []struct{ in, want string }{
		{"bucket.object_lok", "bucket.object_lock"},
		{"Bucket.Object_Lock", "bucket.object_lock"},
		{"object_lock", "bucket.object_lock"},
		{"log_file_validation", "trail.log_file_validation"},
		{"trail.log_validation", "trail.log_file_validation"},
		{"bucket.versoning", "bucket.versioning"},
		{"kms.rotation", ""},
		{"x", ""},
		{"", ""},
	} {
		if got := Closest(tc.in, ids); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := DidYouMean("min-retension-days", []string{"min-retention-days", "regions"}); got != " (did you mean min-retention-days?)" {
		t.Errorf("DidYouMean: %q", got)
	}
}

func TestNearest(t *testing.T) {
	codes := []string{"eu-west-1", "us-east-1", "us-east-2"}
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"us-eas", 3, "us-east-1"}, // three edits; of two equally near, the first
		{"us-eas", 2, ""},
		{"US-EAST-2", 0, "us-east-2"},
		{"mars", 3, ""},
	} {
		if got := Nearest(tc.in, codes, tc.max); got != tc.want {
			t.Errorf("Nearest(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}
