package fix

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/trailseal/trailseal/internal/inventory"
)

// Undo outcomes.
const (
	Reverted    = "reverted"
	NotReverted = "not reverted"
	UndoFailed  = "undo failed"
)

// UndoResult is what happened to one journal entry, or, for a step that
// failed halfway, to one of the changes it made.
type UndoResult struct {
	Step Step `json:"step"`
	// Change is set for a step that was only partially applied: the
	// summary of the completed call this result is about.
	Change string `json:"change,omitempty"`
	Status string `json:"status"`
	Detail string `json:"detail"`
}

// Undo reverts the applied entries of a journal, and the completed changes
// of entries that failed or were interrupted halfway, newest first. It
// keeps going after a failure so that as much as possible is put back, and
// says for each entry (or change) what happened.
func Undo(ctx context.Context, c *Clients, j *Journal) []UndoResult {
	var out []UndoResult
	for i := len(j.Entries) - 1; i >= 0; i-- {
		e := j.Entries[i]
		if e.Partial() {
			out = append(out, undoChanges(ctx, c, e)...)
			continue
		}
		if e.Status != Applied {
			continue
		}
		r := UndoResult{Step: e.Step}
		if !e.Step.Reversible {
			r.Status, r.Detail = NotReverted, e.Step.NotReversible
			out = append(out, r)
			continue
		}
		detail, err := undoEntry(ctx, c, e)
		if err != nil {
			r.Status, r.Detail = UndoFailed, err.Error()
		} else {
			r.Status, r.Detail = Reverted, detail
		}
		out = append(out, r)
	}
	return out
}

// undoChanges reverts, newest first, what a step that did not complete had
// already changed. A step's own Reversible flag says nothing here: a key
// step is irreversible as a whole, yet the calls that did run are judged
// one by one.
func undoChanges(ctx context.Context, c *Clients, e Entry) []UndoResult {
	var out []UndoResult
	for i := len(e.Changes) - 1; i >= 0; i-- {
		ch := e.Changes[i]
		r := UndoResult{Step: e.Step, Change: ch.Summary}
		if !ch.Reversible {
			r.Status, r.Detail = NotReverted, ch.Summary+": "+ch.NotReversible
			out = append(out, r)
			continue
		}
		detail, err := undoChange(ctx, c, e.Step, ch)
		if err != nil {
			r.Status, r.Detail = UndoFailed, ch.Summary+": "+err.Error()
		} else {
			r.Status, r.Detail = Reverted, detail
		}
		out = append(out, r)
	}
	return out
}

// undoChange takes back one completed call. Only calls recorded as
// reversible get here; each removes only what fix itself created, or puts
// back the recorded previous value.
func undoChange(ctx context.Context, c *Clients, s Step, ch Change) (string, error) {
	p := s.Params
	switch ch.Call {
	case "iam:CreateRole":
		_, err := c.iam().DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(p.RoleName)})
		if errorCode(err) == "NoSuchEntity" {
			return "role " + p.RoleName + " is already gone", nil
		}
		return "deleted role " + p.RoleName + " that fix had created", err
	case "iam:PutRolePolicy":
		_, err := c.iam().DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(p.RoleName), PolicyName: aws.String(LogsRolePolicyName)})
		if errorCode(err) == "NoSuchEntity" {
			err = nil
		}
		return "removed inline policy " + LogsRolePolicyName + " from role " + p.RoleName, err
	case "logs:PutMetricFilter":
		var prev prevFilter
		if err := json.Unmarshal(ch.Previous, &prev); err != nil || prev.LogGroup == "" {
			return "", fmt.Errorf("the journal has no previous value for metric filter %s: check it by hand", p.FilterName)
		}
		return restoreFilter(ctx, c, s.Region, p.FilterName, prev)
	case "cloudwatch:PutMetricAlarm":
		_, err := c.cloudwatch(s.Region).DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{p.AlarmName}})
		return "removed alarm " + p.AlarmName + " that fix had created", err
	}
	return "", fmt.Errorf("call %s: %w", ch.Call, errNotReversible)
}

// restoreFilter deletes a metric filter fix created, or writes back the
// definition it replaced.
func restoreFilter(ctx context.Context, c *Clients, region, name string, prev prevFilter) (string, error) {
	l := c.logs(region)
	if !prev.Existed {
		_, err := l.DeleteMetricFilter(ctx, &cloudwatchlogs.DeleteMetricFilterInput{LogGroupName: aws.String(prev.LogGroup), FilterName: aws.String(name)})
		if errorCode(err) == "ResourceNotFoundException" {
			err = nil
		}
		return "removed metric filter " + name + " that fix had created", err
	}
	_, err := l.PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{LogGroupName: aws.String(prev.LogGroup), FilterName: aws.String(name),
		FilterPattern: aws.String(prev.Pattern), MetricTransformations: prev.Transformations})
	return "restored the previous definition of metric filter " + name, err
}

func undoEntry(ctx context.Context, c *Clients, e Entry) (string, error) {
	s, p := e.Step, e.Step.Params
	load := func(v any) error {
		if len(e.Previous) == 0 {
			return fmt.Errorf("the journal has no previous value for step %s", s.ID)
		}
		return json.Unmarshal(e.Previous, v)
	}
	switch s.Kind {
	case KindTrailUpdate:
		var prev prevTrail
		if err := load(&prev); err != nil {
			return "", err
		}
		in := &cloudtrail.UpdateTrailInput{Name: aws.String(p.TrailARN)}
		var what string
		switch {
		case p.LogFileValidation != nil:
			in.EnableLogFileValidation, what = aws.Bool(prev.LogFileValidation), fmt.Sprintf("LogFileValidationEnabled %t", prev.LogFileValidation)
		case p.MultiRegion != nil:
			in.IsMultiRegionTrail, in.IncludeGlobalServiceEvents = aws.Bool(prev.MultiRegion), aws.Bool(prev.GlobalEvents)
			what = fmt.Sprintf("IsMultiRegionTrail %t, IncludeGlobalServiceEvents %t", prev.MultiRegion, prev.GlobalEvents)
		case p.GlobalEvents != nil:
			in.IncludeGlobalServiceEvents, what = aws.Bool(prev.GlobalEvents), fmt.Sprintf("IncludeGlobalServiceEvents %t", prev.GlobalEvents)
		case p.KMSKeyID != "" || p.KMSKeyFrom != "":
			// An empty KmsKeyId returns the trail to SSE-S3.
			in.KmsKeyId, what = aws.String(prev.KMSKeyID), "KmsKeyId "+orNone(prev.KMSKeyID, "(none, SSE-S3)")
		case p.LogGroupFrom != "":
			in.CloudWatchLogsLogGroupArn, in.CloudWatchLogsRoleArn = aws.String(prev.LogGroupARN), aws.String(prev.RoleARN)
			what = "CloudWatch Logs delivery " + orNone(prev.LogGroupARN, "(none)")
		}
		_, err := c.cloudtrail(s.Region).UpdateTrail(ctx, in)
		return "restored " + what, err
	case KindTrailSelectors:
		var prev inventory.EventSelectors
		if err := load(&prev); err != nil {
			return "", err
		}
		_, err := c.cloudtrail(s.Region).PutEventSelectors(ctx, selectorsToSDK(p.TrailARN, prev))
		return "restored the previous event selectors", err
	case KindTrailStart:
		var prev prevLogging
		if err := load(&prev); err != nil {
			return "", err
		}
		if prev.IsLogging {
			return "trail was already logging; left logging", nil
		}
		_, err := c.cloudtrail(s.Region).StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String(p.TrailName)})
		return "stopped logging again", err
	case KindKeyRotation:
		var prev prevRotation
		if err := load(&prev); err != nil {
			return "", err
		}
		if prev.Enabled {
			return "rotation was already on; left on", nil
		}
		_, err := c.kms(s.Region).DisableKeyRotation(ctx, &kms.DisableKeyRotationInput{KeyId: aws.String(p.KeyID)})
		return "turned rotation off again", err
	case KindCreateLogsRole:
		var prev prevExisted
		if err := load(&prev); err != nil {
			return "", err
		}
		if prev.Existed {
			return "role " + p.RoleName + " existed before; left in place", nil
		}
		ic := c.iam()
		if _, err := ic.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(p.RoleName), PolicyName: aws.String(LogsRolePolicyName)}); err != nil && errorCode(err) != "NoSuchEntity" {
			return "", err
		}
		_, err := ic.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(p.RoleName)})
		return "deleted role " + p.RoleName + " that fix had created", err
	case KindMetricAlarm:
		var prev prevAlarm
		if err := load(&prev); err != nil {
			return "", err
		}
		groupARN := p.LogGroupARN
		if groupARN == "" {
			groupARN = fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s:*", p.Partition, s.Region, p.Account, LogGroupName(p.TrailName))
		}
		var done []string
		if !prev.AlarmExisted {
			if _, err := c.cloudwatch(s.Region).DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{p.AlarmName}}); err != nil {
				return "", err
			}
			done = append(done, "removed alarm "+p.AlarmName)
		}
		if !prev.FilterExisted {
			if _, err := c.logs(s.Region).DeleteMetricFilter(ctx, &cloudwatchlogs.DeleteMetricFilterInput{
				LogGroupName: aws.String(logGroupNameFromARN(groupARN)), FilterName: aws.String(p.FilterName)}); err != nil && errorCode(err) != "ResourceNotFoundException" {
				return "", err
			}
			done = append(done, "removed metric filter "+p.FilterName)
		} else if pf, ok := replacedFilter(e); ok {
			// Journals since partial-change recording carry the filter
			// definition that was replaced; older ones do not.
			d, err := restoreFilter(ctx, c, s.Region, p.FilterName, pf)
			if err != nil {
				return "", err
			}
			done = append(done, d)
		}
		return orNone(joinAnd(done), "filter and alarm existed before; left in place"), nil
	case KindBucketVersion:
		var prev prevVersioning
		if err := load(&prev); err != nil {
			return "", err
		}
		if prev.Status == string(s3types.BucketVersioningStatusEnabled) {
			return "versioning was already on; left on", nil
		}
		// A bucket that has had versioning can only be suspended, not
		// returned to never-versioned.
		_, err := c.s3(s.Region).PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(p.Bucket),
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusSuspended}})
		return "versioning Suspended (S3 cannot return a bucket to never-versioned)", err
	case KindBucketLock:
		var prev prevLock
		if err := load(&prev); err != nil {
			return "", err
		}
		cfg := &s3types.ObjectLockConfiguration{ObjectLockEnabled: s3types.ObjectLockEnabledEnabled}
		if prev.Mode != "" {
			dr := &s3types.DefaultRetention{Mode: s3types.ObjectLockRetentionMode(prev.Mode)}
			if prev.Days > 0 {
				dr.Days = aws.Int32(prev.Days)
			}
			if prev.Years > 0 {
				dr.Years = aws.Int32(prev.Years)
			}
			cfg.Rule = &s3types.ObjectLockRule{DefaultRetention: dr}
		}
		_, err := c.s3(s.Region).PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String(p.Bucket), ObjectLockConfiguration: cfg})
		return "restored the previous default retention (Object Lock itself stays on)", err
	case KindBucketBPA:
		var prev prevBPA
		if err := load(&prev); err != nil {
			return "", err
		}
		if !prev.Configured {
			_, err := c.s3(s.Region).DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: aws.String(p.Bucket)})
			return "removed the Block Public Access configuration (there was none)", err
		}
		_, err := c.s3(s.Region).PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String(p.Bucket), PublicAccessBlockConfiguration: prev.Config})
		return "restored the previous Block Public Access settings", err
	case KindBucketLifecycle:
		var prev prevLifecycle
		if err := load(&prev); err != nil {
			return "", err
		}
		if !prev.Configured {
			_, err := c.s3(s.Region).DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: aws.String(p.Bucket)})
			return "removed the lifecycle configuration (there was none)", err
		}
		_, err := c.s3(s.Region).PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(p.Bucket),
			LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: prev.Rules}})
		return "restored the previous lifecycle rules", err
	case KindBucketLogging:
		var prev prevBucketLogging
		if err := load(&prev); err != nil {
			return "", err
		}
		st := &s3types.BucketLoggingStatus{}
		if prev.Enabled {
			st.LoggingEnabled = &s3types.LoggingEnabled{TargetBucket: aws.String(prev.Target), TargetPrefix: aws.String(prev.Prefix)}
		}
		_, err := c.s3(s.Region).PutBucketLogging(ctx, &s3.PutBucketLoggingInput{Bucket: aws.String(p.Bucket), BucketLoggingStatus: st})
		return "restored the previous server access logging", err
	case KindBucketPolicy:
		var prev prevPolicy
		if err := load(&prev); err != nil {
			return "", err
		}
		if !prev.Exists {
			_, err := c.s3(s.Region).DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(p.Bucket)})
			return "removed the bucket policy (there was none)", err
		}
		_, err := c.s3(s.Region).PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(p.Bucket), Policy: aws.String(prev.Document)})
		return "restored the previous bucket policy", err
	}
	return "", fmt.Errorf("step kind %s: %w", s.Kind, errNotReversible)
}

// replacedFilter is the recorded definition of a metric filter that an
// entry's PutMetricFilter overwrote.
func replacedFilter(e Entry) (prevFilter, bool) {
	for _, ch := range e.Changes {
		var pf prevFilter
		if ch.Call == "logs:PutMetricFilter" && json.Unmarshal(ch.Previous, &pf) == nil && pf.Existed && pf.LogGroup != "" {
			return pf, true
		}
	}
	return prevFilter{}, false
}

func joinAnd(l []string) string {
	out := ""
	for i, s := range l {
		if i > 0 {
			out += " and "
		}
		out += s
	}
	return out
}
