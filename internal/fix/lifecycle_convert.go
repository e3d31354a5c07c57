package fix

import (
	"encoding/json"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Conversions between the SDK's lifecycle rules and the journal's own
// (kind_bucket_lifecycle.go). Every field goes both ways, so that undo
// writes back exactly the rules it read.

func rulesFromSDK(in []s3types.LifecycleRule) []lifecycleRule {
	var out []lifecycleRule
	for _, r := range in {
		x := lifecycleRule{ID: aws.ToString(r.ID), Status: string(r.Status), Prefix: r.Prefix, Filter: filterFromSDK(r.Filter)}
		if e := r.Expiration; e != nil {
			x.Expiration = &lifecycleExpiration{Date: e.Date, Days: aws.ToInt32(e.Days), ExpiredObjectDeleteMarker: aws.ToBool(e.ExpiredObjectDeleteMarker)}
		}
		for _, t := range r.Transitions {
			x.Transitions = append(x.Transitions, lifecycleTransition{Date: t.Date, Days: aws.ToInt32(t.Days), StorageClass: string(t.StorageClass)})
		}
		if n := r.NoncurrentVersionExpiration; n != nil {
			x.NoncurrentVersionExpiration = &noncurrentVersionExpiration{NoncurrentDays: aws.ToInt32(n.NoncurrentDays), NewerNoncurrentVersions: aws.ToInt32(n.NewerNoncurrentVersions)}
		}
		for _, t := range r.NoncurrentVersionTransitions {
			x.NoncurrentVersionTransitions = append(x.NoncurrentVersionTransitions, noncurrentVersionTransition{
				NoncurrentDays: aws.ToInt32(t.NoncurrentDays), NewerNoncurrentVersions: aws.ToInt32(t.NewerNoncurrentVersions), StorageClass: string(t.StorageClass)})
		}
		if a := r.AbortIncompleteMultipartUpload; a != nil {
			x.AbortIncompleteMultipartUpload = &abortIncompleteMultipartUpload{DaysAfterInitiation: aws.ToInt32(a.DaysAfterInitiation)}
		}
		out = append(out, x)
	}
	return out
}

func filterFromSDK(f *s3types.LifecycleRuleFilter) *lifecycleFilter {
	if f == nil {
		return nil
	}
	x := &lifecycleFilter{Prefix: f.Prefix, ObjectSizeGreaterThan: f.ObjectSizeGreaterThan, ObjectSizeLessThan: f.ObjectSizeLessThan}
	if f.Tag != nil {
		x.Tag = &lifecycleTag{Key: aws.ToString(f.Tag.Key), Value: aws.ToString(f.Tag.Value)}
	}
	if a := f.And; a != nil {
		x.And = &lifecycleAnd{Prefix: a.Prefix, ObjectSizeGreaterThan: a.ObjectSizeGreaterThan, ObjectSizeLessThan: a.ObjectSizeLessThan}
		for _, t := range a.Tags {
			x.And.Tags = append(x.And.Tags, lifecycleTag{Key: aws.ToString(t.Key), Value: aws.ToString(t.Value)})
		}
	}
	return x
}

func rulesToSDK(in []lifecycleRule) []s3types.LifecycleRule {
	var out []s3types.LifecycleRule
	for _, r := range in {
		x := s3types.LifecycleRule{Status: s3types.ExpirationStatus(r.Status), Prefix: r.Prefix, Filter: filterToSDK(r.Filter)}
		if r.ID != "" {
			x.ID = aws.String(r.ID)
		}
		if e := r.Expiration; e != nil {
			x.Expiration = &s3types.LifecycleExpiration{Date: e.Date, Days: nonZero(e.Days)}
			if e.ExpiredObjectDeleteMarker {
				x.Expiration.ExpiredObjectDeleteMarker = aws.Bool(true)
			}
		}
		for _, t := range r.Transitions {
			x.Transitions = append(x.Transitions, s3types.Transition{Date: t.Date, Days: nonZero(t.Days), StorageClass: s3types.TransitionStorageClass(t.StorageClass)})
		}
		if n := r.NoncurrentVersionExpiration; n != nil {
			x.NoncurrentVersionExpiration = &s3types.NoncurrentVersionExpiration{NoncurrentDays: nonZero(n.NoncurrentDays), NewerNoncurrentVersions: nonZero(n.NewerNoncurrentVersions)}
		}
		for _, t := range r.NoncurrentVersionTransitions {
			x.NoncurrentVersionTransitions = append(x.NoncurrentVersionTransitions, s3types.NoncurrentVersionTransition{
				NoncurrentDays: nonZero(t.NoncurrentDays), NewerNoncurrentVersions: nonZero(t.NewerNoncurrentVersions), StorageClass: s3types.TransitionStorageClass(t.StorageClass)})
		}
		if a := r.AbortIncompleteMultipartUpload; a != nil {
			x.AbortIncompleteMultipartUpload = &s3types.AbortIncompleteMultipartUpload{DaysAfterInitiation: nonZero(a.DaysAfterInitiation)}
		}
		out = append(out, x)
	}
	return out
}

func filterToSDK(f *lifecycleFilter) *s3types.LifecycleRuleFilter {
	if f == nil {
		return nil
	}
	x := &s3types.LifecycleRuleFilter{Prefix: f.Prefix, ObjectSizeGreaterThan: f.ObjectSizeGreaterThan, ObjectSizeLessThan: f.ObjectSizeLessThan}
	if f.Tag != nil {
		x.Tag = &s3types.Tag{Key: aws.String(f.Tag.Key), Value: aws.String(f.Tag.Value)}
	}
	if a := f.And; a != nil {
		x.And = &s3types.LifecycleRuleAndOperator{Prefix: a.Prefix, ObjectSizeGreaterThan: a.ObjectSizeGreaterThan, ObjectSizeLessThan: a.ObjectSizeLessThan}
		for _, t := range a.Tags {
			x.And.Tags = append(x.And.Tags, s3types.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
		}
	}
	return x
}

// nonZero is nil for 0: the API treats an absent number and 0 alike or
// rejects 0, and the journal does not tell them apart.
func nonZero(v int32) *int32 {
	if v == 0 {
		return nil
	}
	return aws.Int32(v)
}

// apiLifecycleJSON renders rules as the CLI's --lifecycle-configuration
// reads them: the API's names, no empty fields (the CLI rejects nulls).
func apiLifecycleJSON(rules []lifecycleRule) string {
	var doc any
	if err := json.Unmarshal(marshal(map[string]any{"rules": rules}), &doc); err != nil {
		return ""
	}
	return compactJSON(apiNames(doc))
}

// apiNames turns the journal's lower camel case names into the API's.
func apiNames(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			name := strings.ToUpper(k[:1]) + k[1:]
			if k == "id" {
				name = "ID"
			}
			out[name] = apiNames(e)
		}
		return out
	case []any:
		for i := range x {
			x[i] = apiNames(x[i])
		}
	}
	return v
}
