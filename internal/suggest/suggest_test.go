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
