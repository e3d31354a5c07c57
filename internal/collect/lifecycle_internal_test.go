package collect

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestLifecycleRuleExpirationDate checks that a rule expiring objects on a
// fixed date is not mistaken for a rule that never expires them: once the
// date has passed, S3 deletes every matching object within a day of its
// creation.
func TestLifecycleRuleExpirationDate(t *testing.T) {
	tests := []struct {
		name     string
		exp      *s3types.LifecycleExpiration
		wantDays int
	}{
		{"date in the past", &s3types.LifecycleExpiration{Date: aws.Time(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))}, 1},
		{"date in the future", &s3types.LifecycleExpiration{Date: aws.Time(time.Now().AddDate(5, 0, 0))}, 1},
		{"days", &s3types.LifecycleExpiration{Days: aws.Int32(400)}, 400},
		{"delete markers only", &s3types.LifecycleExpiration{ExpiredObjectDeleteMarker: aws.Bool(true)}, 0},
		{"no expiration", nil, 0},
	}
	for _, tt := range tests {
		got := lifecycleRule(s3types.LifecycleRule{Status: s3types.ExpirationStatusEnabled, Expiration: tt.exp})
		if got.ExpirationDays != tt.wantDays {
			t.Errorf("%s: ExpirationDays = %d, want %d", tt.name, got.ExpirationDays, tt.wantDays)
		}
	}
}
