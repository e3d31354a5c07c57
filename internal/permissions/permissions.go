// Package permissions holds the IAM policies each trailseal command needs
// and the map from the SDK operations the code calls to the IAM actions
// that authorise them, so that tests can prove the published policy covers
// every call.
package permissions

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// scanPolicy is a copy of docs/policies/scan.json; a test keeps the two equal.
//
//go:embed scan.json
var scanPolicy []byte

// ScanPolicy returns the policy document for 'trailseal scan'.
func ScanPolicy() []byte { return scanPolicy }

// operationAction lists the operations whose IAM action is not
// "<service prefix>:<operation name>".
var operationAction = map[string]string{
	"s3:ListBuckets":                                    "s3:ListAllMyBuckets",
	"s3:GetObjectLockConfiguration":                     "s3:GetBucketObjectLockConfiguration",
	"s3:GetBucketEncryption":                            "s3:GetEncryptionConfiguration",
	"s3:GetPublicAccessBlock":                           "s3:GetBucketPublicAccessBlock",
	"s3:GetBucketLifecycleConfiguration":                "s3:GetLifecycleConfiguration",
	"s3control:GetPublicAccessBlock":                    "s3:GetAccountPublicAccessBlock",
	"s3:GetObject":                                      "s3:GetObject",
	"s3:HeadObject":                                     "s3:GetObject",
	"s3:ListObjectsV2":                                  "s3:ListBucket",
	"configservice:DescribeConfigurationRecorders":      "config:DescribeConfigurationRecorders",
	"configservice:DescribeConfigurationRecorderStatus": "config:DescribeConfigurationRecorderStatus",
	"cloudwatchlogs:DescribeLogGroups":                  "logs:DescribeLogGroups",
	"cloudwatchlogs:DescribeMetricFilters":              "logs:DescribeMetricFilters",
}

// servicePrefix maps the SDK service name used in call counts to the IAM
// service prefix where they differ.
var servicePrefix = map[string]string{
	"configservice":  "config",
	"cloudwatchlogs": "logs",
	"s3control":      "s3",
}

// Action returns the IAM action that authorises call ("service:Operation").
func Action(call string) (string, error) {
	if a, ok := operationAction[call]; ok {
		return a, nil
	}
	svc, op, ok := strings.Cut(call, ":")
	if !ok || svc == "" || op == "" {
		return "", fmt.Errorf("malformed call name %q (want service:Operation)", call)
	}
	if p, ok := servicePrefix[strings.ToLower(svc)]; ok {
		svc = p
	}
	return strings.ToLower(svc) + ":" + op, nil
}

// Actions returns the actions a policy document allows (Allow statements only).
func Actions(doc []byte) ([]string, error) {
	var p struct {
		Statement []struct {
			Effect string
			Action any
		}
	}
	if err := json.Unmarshal(doc, &p); err != nil {
		return nil, err
	}
	var out []string
	for _, st := range p.Statement {
		if st.Effect != "Allow" {
			continue
		}
		switch a := st.Action.(type) {
		case string:
			out = append(out, a)
		case []any:
			for _, v := range a {
				if s, ok := v.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// Missing returns the calls whose actions doc does not allow.
func Missing(doc []byte, calls []string) ([]string, error) {
	allowed, err := Actions(doc)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, c := range calls {
		a, err := Action(c)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(allowed, func(s string) bool { return strings.EqualFold(s, a) }) {
			missing = append(missing, c+" (needs "+a+")")
		}
	}
	return missing, nil
}
