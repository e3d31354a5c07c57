package selectors

import (
	"strings"
	"testing"

	"github.com/trailseal/trailseal/internal/inventory"
)

// TestManagementWrites asks about the calls an alarm on trail changes
// watches. Basic selectors are read as CloudTrail documents them
// (ReadWriteType ReadOnly records no write API call; IncludeManagementEvents
// false records no management event): see
// https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_EventSelector.html
func TestManagementWrites(t *testing.T) {
	const source = "cloudtrail.amazonaws.com"
	names := []string{"CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"}
	tests := []struct {
		name    string
		sel     inventory.EventSelectors
		want    Level
		mention string
	}{
		{name: "never customised", sel: inventory.EventSelectors{}, want: All},
		{name: "basic all", sel: basic(inventory.EventSelector{ReadWriteType: "All", IncludeManagementEvents: true}), want: All},
		{name: "basic write only", sel: basic(inventory.EventSelector{ReadWriteType: "WriteOnly", IncludeManagementEvents: true}), want: All},
		{name: "basic read only (Stratus event-selector technique)", sel: basic(inventory.EventSelector{ReadWriteType: "ReadOnly", IncludeManagementEvents: true}),
			want: None, mention: "basic selector 1: readOnly Equals true"},
		{name: "basic management events off (Stratus event-selector technique)", sel: basic(inventory.EventSelector{ReadWriteType: "All", IncludeManagementEvents: false,
			DataResources: []inventory.DataResource{{Type: "AWS::S3::Object", Values: []string{"arn:aws:s3"}}}}), want: None},
		{name: "KMS excluded does not matter for CloudTrail calls", sel: basic(inventory.EventSelector{ReadWriteType: "All", IncludeManagementEvents: true,
			ExcludeManagementEventSources: []string{"kms.amazonaws.com"}}), want: All},
		{name: "the source itself excluded", sel: advanced(adv("m", mgmt, neq("eventSource", source))), want: None, mention: "eventSource NotEquals " + source},
		{name: "one call left out", sel: advanced(adv("m", mgmt, neq("eventName", "StopLogging"))), want: Partial, mention: "eventName NotEquals StopLogging"},
		{name: "advanced writes only", sel: advanced(adv("w", mgmt, writes)), want: All},
		{name: "advanced reads only", sel: advanced(adv("r", mgmt, reads)), want: None, mention: `selector "r": readOnly Equals true`},
		{name: "advanced console actions only", sel: advanced(adv("c", mgmt, eq("eventType", "AwsConsoleAction"))), want: None},
		{name: "advanced data events only", sel: advanced(adv("d", data, s3obj)), want: None},
		{name: "unknown field", sel: advanced(adv("u", mgmt, eq("userIdentity.arn", "x"))), want: Partial},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ManagementWrites(tt.sel, source, names)
			if got.Level != tt.want {
				t.Fatalf("level %s, want %s (reasons %v)", got.Level, tt.want, got.Reasons)
			}
			if tt.mention != "" && !strings.Contains(strings.Join(got.Reasons, "; "), tt.mention) {
				t.Errorf("reasons %v do not mention %q", got.Reasons, tt.mention)
			}
		})
	}
}
