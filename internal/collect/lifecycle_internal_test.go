package collect

import (
	"slices"
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

// TestLifecycleRuleFilter reads every place a rule's scope can be written
// (LifecycleRuleFilter: Prefix, Tag, ObjectSize*, And; or the legacy
// top-level Prefix). A tag filter read as "no filter" would make a rule on
// tagged objects look as if it expired every trail log, and the reverse
// would hide one.
func TestLifecycleRuleFilter(t *testing.T) {
	tag := func(k, v string) s3types.Tag { return s3types.Tag{Key: aws.String(k), Value: aws.String(v)} }
	tests := []struct {
		name   string
		rule   s3types.LifecycleRule
		prefix string
		tags   []string
		gt, lt int64
	}{
		{"filter prefix (Stratus: a literal star)", s3types.LifecycleRule{Filter: &s3types.LifecycleRuleFilter{Prefix: aws.String("*")}}, "*", nil, 0, 0},
		{"legacy prefix", s3types.LifecycleRule{Prefix: aws.String("AWSLogs/")}, "AWSLogs/", nil, 0, 0},
		{"empty filter, whole bucket", s3types.LifecycleRule{Filter: &s3types.LifecycleRuleFilter{}}, "", nil, 0, 0},
		{"tag only", s3types.LifecycleRule{Filter: &s3types.LifecycleRuleFilter{Tag: &s3types.Tag{Key: aws.String("tier"), Value: aws.String("scratch")}}}, "", []string{"tier=scratch"}, 0, 0},
		{"size only", s3types.LifecycleRule{Filter: &s3types.LifecycleRuleFilter{ObjectSizeGreaterThan: aws.Int64(1 << 20)}}, "", nil, 1 << 20, 0},
		{"and: prefix, tags and sizes", s3types.LifecycleRule{Filter: &s3types.LifecycleRuleFilter{And: &s3types.LifecycleRuleAndOperator{
			Prefix: aws.String("AWSLogs/"), Tags: []s3types.Tag{tag("a", "1"), tag("b", "2")},
			ObjectSizeGreaterThan: aws.Int64(10), ObjectSizeLessThan: aws.Int64(1000),
		}}}, "AWSLogs/", []string{"a=1", "b=2"}, 10, 1000},
	}
	for _, tt := range tests {
		got := lifecycleRule(tt.rule)
		if got.Prefix != tt.prefix || !slices.Equal(got.Tags, tt.tags) || got.ObjectSizeGreaterThan != tt.gt || got.ObjectSizeLessThan != tt.lt {
			t.Errorf("%s: got prefix %q tags %v sizes >%d <%d; want %q %v >%d <%d", tt.name, got.Prefix, got.Tags,
				got.ObjectSizeGreaterThan, got.ObjectSizeLessThan, tt.prefix, tt.tags, tt.gt, tt.lt)
		}
	}
}
