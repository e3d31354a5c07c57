package permissions

import _ "embed"

// fixPolicy is a copy of docs/policies/fix.json; a test keeps the two equal.
//
//go:embed fix.json
var fixPolicy []byte

// FixPolicy returns the policy document for 'trailseal fix' (plan, --apply
// and --undo). It includes everything scan needs, since fix plans from a
// fresh scan.
func FixPolicy() []byte { return fixPolicy }

// fixOperationActions are the write operations of fix whose IAM action is
// not "<service prefix>:<operation name>". They are merged into
// operationAction by a variable initialiser so that Action knows them
// without this file editing the scan table.
var fixOperationActions = map[string]string{
	"s3:PutObjectLockConfiguration":      "s3:PutBucketObjectLockConfiguration",
	"s3:PutPublicAccessBlock":            "s3:PutBucketPublicAccessBlock",
	"s3:DeletePublicAccessBlock":         "s3:PutBucketPublicAccessBlock",
	"s3:PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
	"s3:DeleteBucketLifecycle":           "s3:PutLifecycleConfiguration",
	"logs:DescribeLogGroups":             "logs:DescribeLogGroups",
}

var _ = mergeFixActions()

func mergeFixActions() bool {
	for k, v := range fixOperationActions {
		if _, ok := operationAction[k]; !ok {
			operationAction[k] = v
		}
	}
	return true
}
