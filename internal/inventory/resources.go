package inventory

// Bucket is one S3 bucket that a trail writes to.
type Bucket struct {
	Name string `json:"name"`
	ARN  string `json:"arn"`
	// OwnedByScannedAccount is true when the bucket appears in the scanned
	// account's ListBuckets. Buckets of other accounts are recorded with every
	// Result set to Elsewhere.
	OwnedByScannedAccount bool `json:"ownedByScannedAccount"`
	// OwnerAccountID is the owning account when known (the scanned account,
	// or the trail owner for an organization trail seen from a member).
	OwnerAccountID string `json:"ownerAccountId,omitempty"`

	Region            Result[string]            `json:"region"`
	Versioning        Result[Versioning]        `json:"versioning"`
	ObjectLock        Result[ObjectLock]        `json:"objectLock"`
	Encryption        Result[Encryption]        `json:"encryption"`
	PublicAccessBlock Result[PublicAccessBlock] `json:"publicAccessBlock"`
	Policy            Result[BucketPolicy]      `json:"policy"`
	PolicyStatus      Result[PolicyStatus]      `json:"policyStatus"`
	ACL               Result[ACL]               `json:"acl"`
	Ownership         Result[Ownership]         `json:"ownershipControls"`
	Logging           Result[AccessLogging]     `json:"accessLogging"`
	Lifecycle         Result[Lifecycle]         `json:"lifecycle"`
}

// Versioning is GetBucketVersioning. Status is "" (never enabled),
// "Enabled" or "Suspended"; MFADelete is "", "Enabled" or "Disabled".
type Versioning struct {
	Status    string `json:"status"`
	MFADelete string `json:"mfaDelete"`
}

// ObjectLock is GetObjectLockConfiguration. Enabled is false when the bucket
// has no Object Lock configuration.
type ObjectLock struct {
	Enabled bool `json:"enabled"`
	// DefaultMode is "GOVERNANCE", "COMPLIANCE" or "" (no default retention).
	DefaultMode string `json:"defaultMode,omitempty"`
	Days        int    `json:"days,omitempty"`
	Years       int    `json:"years,omitempty"`
}

// RetentionDays is the default retention in days (years count 365 days).
func (o ObjectLock) RetentionDays() int { return o.Days + 365*o.Years }

// Encryption is GetBucketEncryption. Rules is empty when the bucket has no
// default encryption configuration.
type Encryption struct {
	Rules []EncryptionRule `json:"rules"`
}

// EncryptionRule is one server-side encryption rule.
type EncryptionRule struct {
	SSEAlgorithm     string `json:"sseAlgorithm"`
	KMSMasterKeyID   string `json:"kmsMasterKeyId,omitempty"`
	BucketKeyEnabled bool   `json:"bucketKeyEnabled,omitempty"`
}

// PublicAccessBlock is a Block Public Access configuration. Configured is
// false when none exists (all four settings then count as off).
type PublicAccessBlock struct {
	Configured            bool `json:"configured"`
	BlockPublicAcls       bool `json:"blockPublicAcls"`
	IgnorePublicAcls      bool `json:"ignorePublicAcls"`
	BlockPublicPolicy     bool `json:"blockPublicPolicy"`
	RestrictPublicBuckets bool `json:"restrictPublicBuckets"`
}

// AllOn reports whether all four settings are on.
func (p PublicAccessBlock) AllOn() bool {
	return p.BlockPublicAcls && p.IgnorePublicAcls && p.BlockPublicPolicy && p.RestrictPublicBuckets
}

// BucketPolicy is GetBucketPolicy. Exists is false on NoSuchBucketPolicy.
type BucketPolicy struct {
	Exists   bool   `json:"exists"`
	Document string `json:"document,omitempty"`
}

// PolicyStatus is GetBucketPolicyStatus. It is IsPublic=false when the
// bucket has no policy.
type PolicyStatus struct {
	IsPublic bool `json:"isPublic"`
}

// ACL is GetBucketAcl.
type ACL struct {
	OwnerID string  `json:"ownerId,omitempty"`
	Grants  []Grant `json:"grants"`
}

// Grant is one ACL grant. GranteeType is CanonicalUser, Group or
// AmazonCustomerByEmail; URI is set for groups.
type Grant struct {
	GranteeType string `json:"granteeType"`
	ID          string `json:"id,omitempty"`
	URI         string `json:"uri,omitempty"`
	Permission  string `json:"permission"`
}

// Ownership is GetBucketOwnershipControls. ObjectOwnership is "" when no
// ownership controls exist.
type Ownership struct {
	ObjectOwnership string `json:"objectOwnership"`
}

// AccessLogging is GetBucketLogging.
type AccessLogging struct {
	Enabled      bool   `json:"enabled"`
	TargetBucket string `json:"targetBucket,omitempty"`
	TargetPrefix string `json:"targetPrefix,omitempty"`
}

// Lifecycle is GetBucketLifecycleConfiguration. Configured is false on
// NoSuchLifecycleConfiguration.
type Lifecycle struct {
	Configured bool            `json:"configured"`
	Rules      []LifecycleRule `json:"rules,omitempty"`
}

// LifecycleRule is the part of a lifecycle rule that affects retention.
// Zero day counts mean "not set".
type LifecycleRule struct {
	ID     string `json:"id,omitempty"`
	Status string `json:"status"`
	// Prefix is the rule's key prefix filter ("" means the whole bucket).
	// S3 compares it literally: "*" is no wildcard.
	Prefix string `json:"prefix"`
	// Tags are the rule's tag filter as "key=value" (Filter.Tag or
	// Filter.And.Tags): the rule applies only to objects carrying all of
	// them.
	Tags []string `json:"tags,omitempty"`
	// ObjectSizeGreaterThan and ObjectSizeLessThan are the rule's object
	// size filter in bytes (0: not set).
	ObjectSizeGreaterThan int64 `json:"objectSizeGreaterThan,omitempty"`
	ObjectSizeLessThan    int64 `json:"objectSizeLessThan,omitempty"`

	ExpirationDays int `json:"expirationDays,omitempty"`
	// ExpirationDate is set when the rule expires objects on a fixed date
	// (YYYY-MM-DD) rather than after a number of days: from that date on,
	// S3 deletes every matching object, whatever its age.
	ExpirationDate           string       `json:"expirationDate,omitempty"`
	NoncurrentExpirationDays int          `json:"noncurrentExpirationDays,omitempty"`
	Transitions              []Transition `json:"transitions,omitempty"`
}

// Transition is a storage class transition.
type Transition struct {
	Days         int    `json:"days"`
	StorageClass string `json:"storageClass"`
	Noncurrent   bool   `json:"noncurrent,omitempty"`
}

// KMSKey is the customer managed key a trail encrypts with.
type KMSKey struct {
	// ARN is the key ARN when it could be resolved, otherwise the trail's KmsKeyId.
	ARN            string              `json:"arn"`
	Region         string              `json:"region"`
	OwnerAccountID string              `json:"ownerAccountId"`
	Metadata       Result[KeyMetadata] `json:"metadata"`
	Rotation       Result[bool]        `json:"rotationEnabled"`
	Policy         Result[string]      `json:"policy"`
}

// KeyMetadata is the subset of DescribeKey that rules read.
type KeyMetadata struct {
	KeyID      string `json:"keyId"`
	KeyState   string `json:"keyState"`
	KeyManager string `json:"keyManager"`
	KeySpec    string `json:"keySpec,omitempty"`
	Enabled    bool   `json:"enabled"`
}

// LogGroup is the CloudWatch Logs group a trail delivers to.
type LogGroup struct {
	ARN            string `json:"arn"`
	Name           string `json:"name"`
	Region         string `json:"region"`
	OwnerAccountID string `json:"ownerAccountId"`

	Info          Result[LogGroupInfo]   `json:"info"`
	MetricFilters Result[[]MetricFilter] `json:"metricFilters"`
	// Alarms holds the alarms on the metrics the filters publish.
	Alarms Result[[]Alarm] `json:"alarms"`
}

// LogGroupInfo is DescribeLogGroups for one group. Exists is false when the
// group named by the trail is gone.
type LogGroupInfo struct {
	Exists        bool   `json:"exists"`
	RetentionDays int    `json:"retentionDays,omitempty"`
	KMSKeyID      string `json:"kmsKeyId,omitempty"`
}

// MetricFilter is one metric filter of a log group.
type MetricFilter struct {
	Name    string         `json:"name"`
	Pattern string         `json:"pattern"`
	Metrics []MetricTarget `json:"metrics"`
}

// MetricTarget is a metric a filter publishes to.
type MetricTarget struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	// Dimensions names the dimensions the filter publishes the metric
	// with (their values come from each log event). CloudWatch keeps each
	// combination of values as its own metric.
	Dimensions []string `json:"dimensions,omitempty"`
}

// Alarm is a CloudWatch alarm on a filter metric.
type Alarm struct {
	Name           string   `json:"name"`
	ARN            string   `json:"arn,omitempty"`
	MetricName     string   `json:"metricName"`
	Namespace      string   `json:"namespace"`
	ActionsEnabled bool     `json:"actionsEnabled"`
	AlarmActions   []string `json:"alarmActions,omitempty"`
	// Dimensions names the dimensions of the metric the alarm watches.
	Dimensions []string `json:"dimensions,omitempty"`
}

// SNSTopic is a topic that an alarm notifies.
type SNSTopic struct {
	ARN           string                 `json:"arn"`
	Region        string                 `json:"region"`
	Subscriptions Result[[]Subscription] `json:"subscriptions"`
}

// Subscription is one SNS subscription. A pending confirmation has
// SubscriptionARN "PendingConfirmation".
type Subscription struct {
	SubscriptionARN string `json:"subscriptionArn"`
	Protocol        string `json:"protocol"`
	Endpoint        string `json:"endpoint,omitempty"`
}

// Confirmed reports whether the subscription delivers.
func (s Subscription) Confirmed() bool {
	return s.SubscriptionARN != "" && s.SubscriptionARN != "PendingConfirmation" && s.SubscriptionARN != "Deleted"
}

// IAMAuthorization is the part of GetAccountAuthorizationDetails that the
// identity rules read: principals with their policies, and the account's
// customer managed policies.
type IAMAuthorization struct {
	Principals []Principal `json:"principals"`
	// ManagedPolicies are the customer managed policies with their default
	// version document.
	ManagedPolicies []ManagedPolicy `json:"managedPolicies"`
}

// Principal is an IAM user, group or role.
type Principal struct {
	Type string `json:"type"` // user, group or role
	Name string `json:"name"`
	ARN  string `json:"arn"`
	// AttachedPolicyARNs lists the managed policies attached to it.
	AttachedPolicyARNs []string       `json:"attachedPolicyArns,omitempty"`
	InlinePolicies     []InlinePolicy `json:"inlinePolicies,omitempty"`
}

// InlinePolicy is an inline policy with its (URL-decoded) document.
type InlinePolicy struct {
	Name     string `json:"name"`
	Document string `json:"document"`
}

// ManagedPolicy is a customer managed policy with its default version.
type ManagedPolicy struct {
	ARN             string `json:"arn"`
	Name            string `json:"name"`
	AttachmentCount int    `json:"attachmentCount"`
	Document        string `json:"document"`
}

// ConfigRegion is the AWS Config recorder state of one region.
type ConfigRegion struct {
	Region    string                   `json:"region"`
	Recorders Result[[]ConfigRecorder] `json:"recorders"`
}

// ConfigRecorder is one configuration recorder with its status.
type ConfigRecorder struct {
	Name          string   `json:"name"`
	Recording     bool     `json:"recording"`
	AllSupported  bool     `json:"allSupported"`
	ResourceTypes []string `json:"resourceTypes,omitempty"`
	// Strategy is the recording strategy (ALL_SUPPORTED_RESOURCE_TYPES,
	// INCLUSION_BY_RESOURCE_TYPES, EXCLUSION_BY_RESOURCE_TYPES), when the
	// recorder has one.
	Strategy string `json:"strategy,omitempty"`
	// ExcludedResourceTypes: with EXCLUSION_BY_RESOURCE_TYPES the
	// recorder records every supported type but these.
	ExcludedResourceTypes []string `json:"excludedResourceTypes,omitempty"`
	// LastStatus is the status of the latest recording (SUCCESS,
	// FAILURE, PENDING); LastErrorCode says why it failed.
	LastStatus    string `json:"lastStatus,omitempty"`
	LastErrorCode string `json:"lastErrorCode,omitempty"`
}
