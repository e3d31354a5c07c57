// Package inventory is the normalised, provider-neutral picture of an AWS
// account's audit trail that every rule evaluates.
//
// It holds plain Go structs only (no SDK types) so that an inventory can be
// written to disk as a snapshot and evaluated later, or produced by something
// other than the live AWS collector. Every piece of evidence that comes from an
// API call is wrapped in a Result, which records either the value or the call
// that failed: rules must never mistake missing evidence for good evidence.
package inventory

import (
	"time"
)

// SchemaVersion is the version of the snapshot format written by this build.
// Bump it whenever a field changes meaning or is removed.
const SchemaVersion = 1

// Inventory is everything collected about one account.
type Inventory struct {
	SchemaVersion int       `json:"schemaVersion"`
	Generator     string    `json:"generator,omitempty"`
	CollectedAt   time.Time `json:"collectedAt"`
	Partition     string    `json:"partition"`
	Account       Account   `json:"account"`

	// Regions lists the regions that were scanned.
	Regions []string `json:"regions"`
	// RegionErrors lists regions whose DescribeTrails call failed, so trails
	// homed there may be missing from Trails.
	RegionErrors []RegionError `json:"regionErrors,omitempty"`

	Organization Result[Organization] `json:"organization"`

	Trails    []Trail    `json:"trails"`
	Buckets   []Bucket   `json:"buckets"`
	Keys      []KMSKey   `json:"kmsKeys"`
	LogGroups []LogGroup `json:"logGroups"`
	Topics    []SNSTopic `json:"snsTopics"`

	// AccountPublicAccessBlock is the S3 Control account-level Block Public
	// Access configuration of the scanned account.
	AccountPublicAccessBlock Result[PublicAccessBlock] `json:"accountPublicAccessBlock"`

	IAM Result[IAMAuthorization] `json:"iam"`

	// ConfigRecorders holds the AWS Config recorder state per region that
	// holds a trail bucket.
	ConfigRecorders []ConfigRegion `json:"configRecorders"`

	// Calls counts the API calls made to collect this inventory, keyed by
	// "service:Operation". It is informational.
	Calls map[string]int `json:"calls,omitempty"`
}

// Account identifies the scanned account.
type Account struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// CallerARN is the identity that collected the inventory.
	CallerARN string `json:"callerArn,omitempty"`
}

// RegionError records a region that could not be listed.
type RegionError struct {
	Region string    `json:"region"`
	Error  CallError `json:"error"`
}

// Organization describes the account's AWS Organizations membership.
type Organization struct {
	// Member is false when the account is not part of an organization
	// (AWSOrganizationsNotInUseException).
	Member              bool   `json:"member"`
	ID                  string `json:"id,omitempty"`
	ARN                 string `json:"arn,omitempty"`
	ManagementAccountID string `json:"managementAccountId,omitempty"`
}

// Trail is one CloudTrail trail, de-duplicated by ARN and read in its home region.
type Trail struct {
	ARN        string `json:"arn"`
	Name       string `json:"name"`
	HomeRegion string `json:"homeRegion"`
	// OwnerAccountID is the account that owns the trail (from its ARN). For an
	// organization trail seen from a member account it is the management account.
	OwnerAccountID string `json:"ownerAccountId"`

	S3BucketName string `json:"s3BucketName"`
	S3KeyPrefix  string `json:"s3KeyPrefix,omitempty"`
	SNSTopicARN  string `json:"snsTopicArn,omitempty"`

	IsMultiRegion              bool `json:"isMultiRegionTrail"`
	IncludeGlobalServiceEvents bool `json:"includeGlobalServiceEvents"`
	IsOrganizationTrail        bool `json:"isOrganizationTrail"`
	LogFileValidationEnabled   bool `json:"logFileValidationEnabled"`

	KMSKeyID                  string `json:"kmsKeyId,omitempty"`
	CloudWatchLogsLogGroupARN string `json:"cloudWatchLogsLogGroupArn,omitempty"`
	CloudWatchLogsRoleARN     string `json:"cloudWatchLogsRoleArn,omitempty"`

	HasCustomEventSelectors bool `json:"hasCustomEventSelectors"`
	HasInsightSelectors     bool `json:"hasInsightSelectors"`

	Status    Result[TrailStatus]    `json:"status"`
	Selectors Result[EventSelectors] `json:"eventSelectors"`
	// Insights lists the enabled insight types (ApiCallRateInsight,
	// ApiErrorRateInsight). An empty list means none.
	Insights Result[[]string] `json:"insightTypes"`
}

// TrailStatus is the subset of GetTrailStatus that rules read.
type TrailStatus struct {
	IsLogging                         bool       `json:"isLogging"`
	StartLoggingTime                  *time.Time `json:"startLoggingTime,omitempty"`
	StopLoggingTime                   *time.Time `json:"stopLoggingTime,omitempty"`
	LatestDeliveryTime                *time.Time `json:"latestDeliveryTime,omitempty"`
	LatestDeliveryError               string     `json:"latestDeliveryError,omitempty"`
	LatestDigestDeliveryTime          *time.Time `json:"latestDigestDeliveryTime,omitempty"`
	LatestDigestDeliveryError         string     `json:"latestDigestDeliveryError,omitempty"`
	LatestNotificationError           string     `json:"latestNotificationError,omitempty"`
	LatestCloudWatchLogsDeliveryTime  *time.Time `json:"latestCloudWatchLogsDeliveryTime,omitempty"`
	LatestCloudWatchLogsDeliveryError string     `json:"latestCloudWatchLogsDeliveryError,omitempty"`
}

// EventSelectors holds a trail's selectors. At most one of Basic and Advanced
// is non-empty; both empty means the trail has never had custom selectors
// (all management events, no data events).
type EventSelectors struct {
	Basic    []EventSelector         `json:"basic,omitempty"`
	Advanced []AdvancedEventSelector `json:"advanced,omitempty"`
}

// EventSelector is a basic (classic) event selector.
type EventSelector struct {
	ReadWriteType                 string         `json:"readWriteType"`
	IncludeManagementEvents       bool           `json:"includeManagementEvents"`
	DataResources                 []DataResource `json:"dataResources,omitempty"`
	ExcludeManagementEventSources []string       `json:"excludeManagementEventSources,omitempty"`
}

// DataResource is one DataResources entry of a basic selector.
type DataResource struct {
	Type   string   `json:"type"`
	Values []string `json:"values"`
}

// AdvancedEventSelector is one advanced event selector.
type AdvancedEventSelector struct {
	Name           string          `json:"name,omitempty"`
	FieldSelectors []FieldSelector `json:"fieldSelectors"`
}

// FieldSelector is one condition of an advanced event selector.
type FieldSelector struct {
	Field         string   `json:"field"`
	Equals        []string `json:"equals,omitempty"`
	StartsWith    []string `json:"startsWith,omitempty"`
	EndsWith      []string `json:"endsWith,omitempty"`
	NotEquals     []string `json:"notEquals,omitempty"`
	NotStartsWith []string `json:"notStartsWith,omitempty"`
	NotEndsWith   []string `json:"notEndsWith,omitempty"`
}
