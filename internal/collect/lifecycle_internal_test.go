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
		wantDate string
	}{
		{"date in the past", &s3types.LifecycleExpiration{Date: aws.Time(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))}, 0, "2020-01-01"},
		{"date in the future", &s3types.LifecycleExpiration{Date: aws.Time(time.Date(2031, 6, 30, 0, 0, 0, 0, time.UTC))}, 0, "2031-06-30"},
		{"days", &s3types.LifecycleExpiration{Days: aws.Int32(400)}, 400, ""},
		{"delete markers only", &s3types.LifecycleExpiration{ExpiredObjectDeleteMarker: aws.Bool(true)}, 0, ""},
		{"no expiration", nil, 0, ""},
	}
	for _, tt := range tests {
		got := lifecycleRule(s3types.LifecycleRule{Status: s3types.ExpirationStatusEnabled, Expiration: tt.exp})
		if got.ExpirationDays != tt.wantDays || got.ExpirationDate != tt.wantDate {
			t.Errorf("%s: ExpirationDays = %d, ExpirationDate = %q; want %d, %q", tt.name, got.ExpirationDays, got.ExpirationDate, tt.wantDays, tt.wantDate)
		}
	}
}
