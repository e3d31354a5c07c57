package fix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/trailseal/trailseal/internal/inventory"
)

// Applier runs a plan's steps in order.
type Applier struct {
	Clients *Clients
	Journal *Journal
	// Progress, when set, is told about each step as it finishes.
	Progress func(e Entry)
	// RetryDelay is how long to wait before retrying a trail update that
	// IAM has not yet propagated a new role for; 0 means 5 seconds.
	RetryDelay time.Duration
}

// Outcome summarises an apply run.
type Outcome struct {
	Applied, Failed, Skipped int
	// Partial counts the failed steps that changed something before they
	// failed; they are included in Failed.
	Partial int
}

// Apply runs every step whose dependencies succeeded, journals each one,
// and stops steps that depend on a failure. It returns an error only when
// the journal cannot be written; step failures are in the journal and the
// Outcome.
//
// A step is journaled as in progress before its first call, and each write
// call of a multi-call step is added to it as it succeeds, so that neither
// a failure halfway through a step nor a killed process leaves a change
// without a record.
func (a *Applier) Apply(ctx context.Context, plan *Plan) (Outcome, error) {
	var out Outcome
	status := map[string]string{}
	outputs := map[string]map[string]string{}
	if err := a.Journal.Save(); err != nil {
		return out, err
	}
	for _, s := range plan.Steps {
		e := Entry{Step: s}
		for _, d := range s.DependsOn {
			if status[d] != Applied {
				e.Status = Skipped
				e.Error = fmt.Sprintf("not attempted: step %s it depends on was not applied", d)
				break
			}
		}
		if e.Status == "" && ctx.Err() != nil {
			e.Status, e.Error = Skipped, "not attempted: interrupted"
		}
		at := -1 // index of the entry already in the journal
		if e.Status == "" {
			e.Status, e.At = InProgress, time.Now().UTC()
			a.Journal.Entries = append(a.Journal.Entries, e)
			at = len(a.Journal.Entries) - 1
			if err := a.Journal.Save(); err != nil {
				return out, err
			}
			prev, outs, err := a.apply(ctx, s, outputs)
			e = a.Journal.Entries[at]
			e.Previous, e.Outputs = prev, outs
			switch {
			case err != nil && len(e.Changes) > 0:
				e.Status, e.Error = Failed, partialError(e.Changes, err)
			case err != nil:
				e.Status, e.Error = Failed, err.Error()
			default:
				e.Status = Applied
				outputs[s.ID] = outs
			}
		}
		e.At = time.Now().UTC()
		status[s.ID] = e.Status
		switch e.Status {
		case Applied:
			out.Applied++
		case Failed:
			out.Failed++
			if e.Partial() {
				out.Partial++
			}
		default:
			out.Skipped++
		}
		if at >= 0 {
			a.Journal.Entries[at] = e
		} else {
			a.Journal.Entries = append(a.Journal.Entries, e)
		}
		if err := a.Journal.Save(); err != nil {
			return out, err
		}
		if a.Progress != nil {
			a.Progress(e)
		}
	}
	return out, nil
}

// record adds a completed write call to the step in progress (the last
// journal entry) and writes the journal at once. A failed write here is
// not fatal: the save at the end of the step writes the same record and
// its error stops the run.
func (a *Applier) record(c Change) {
	i := len(a.Journal.Entries) - 1
	a.Journal.Entries[i].Changes = append(a.Journal.Entries[i].Changes, c)
	_ = a.Journal.Save()
}

// callError names the write call of a multi-call step that failed, so that
// the report can say which part of the step did not happen.
type callError struct {
	call string
	err  error
}

func (e *callError) Error() string { return e.err.Error() }
func (e *callError) Unwrap() error { return e.err }

func failedCall(call string, err error) error {
	if err == nil {
		return nil
	}
	return &callError{call: call, err: err}
}

// partialError is the journal's and the report's account of a step that
// failed after changing something: what was changed and what failed.
func partialError(changes []Change, err error) string {
	done := make([]string, 0, len(changes))
	for _, c := range changes {
		done = append(done, c.Summary)
	}
	verb := "was"
	if len(done) > 1 {
		verb = "were"
	}
	failed := "the rest of the step"
	var ce *callError
	if errors.As(err, &ce) {
		failed = ce.call
	}
	return fmt.Sprintf("partially applied: %s %s changed, %s failed: %v", joinAnd(done), verb, failed, err)
}

func marshal(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// Previous-state shapes recorded in the journal.
type (
	prevTrail struct {
		LogFileValidation bool   `json:"logFileValidation"`
		MultiRegion       bool   `json:"multiRegion"`
		GlobalEvents      bool   `json:"globalEvents"`
		KMSKeyID          string `json:"kmsKeyId"`
		LogGroupARN       string `json:"logGroupArn"`
		RoleARN           string `json:"roleArn"`
	}
	prevExisted struct {
		Existed bool `json:"existed"`
	}
	prevAlarm struct {
		FilterExisted bool `json:"filterExisted"`
		AlarmExisted  bool `json:"alarmExisted"`
	}
	// prevFilter is the metric filter a PutMetricFilter replaced.
	prevFilter struct {
		LogGroup        string                           `json:"logGroup"`
		Existed         bool                             `json:"existed"`
		Pattern         string                           `json:"pattern,omitempty"`
		Transformations []logstypes.MetricTransformation `json:"transformations,omitempty"`
	}
	prevLogging struct {
		IsLogging bool `json:"isLogging"`
	}
	prevRotation struct {
		Enabled bool `json:"enabled"`
	}
	prevVersioning struct {
		Status string `json:"status"`
	}
	prevLock struct {
		Enabled bool   `json:"enabled"`
		Mode    string `json:"mode,omitempty"`
		Days    int32  `json:"days,omitempty"`
		Years   int32  `json:"years,omitempty"`
	}
	prevBPA struct {
		Configured bool                                    `json:"configured"`
		Config     *s3types.PublicAccessBlockConfiguration `json:"config,omitempty"`
	}
	prevLifecycle struct {
		Configured bool                    `json:"configured"`
		Rules      []s3types.LifecycleRule `json:"rules,omitempty"`
	}
	prevBucketLogging struct {
		Enabled bool   `json:"enabled"`
		Target  string `json:"target,omitempty"`
		Prefix  string `json:"prefix,omitempty"`
	}
	prevPolicy struct {
		Exists   bool   `json:"exists"`
		Document string `json:"document,omitempty"`
	}
)

func (a *Applier) apply(ctx context.Context, s Step, outputs map[string]map[string]string) (json.RawMessage, map[string]string, error) {
	p := s.Params
	from := func(step, key string) (string, error) {
		v := outputs[step][key]
		if v == "" {
			return "", fmt.Errorf("step %s produced no %s", step, key)
		}
		return v, nil
	}
	switch s.Kind {
	case KindTrailUpdate:
		return a.updateTrail(ctx, s, from)
	case KindTrailSelectors:
		ct := a.Clients.cloudtrail(s.Region)
		cur, err := ct.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String(p.TrailARN)})
		if err != nil {
			return nil, nil, err
		}
		prev := selectorsFromSDK(cur)
		if _, err := ct.PutEventSelectors(ctx, selectorsToSDK(p.TrailARN, *p.Selectors)); err != nil {
			return marshal(prev), nil, err
		}
		return marshal(prev), nil, nil
	case KindTrailStart:
		ct := a.Clients.cloudtrail(s.Region)
		st, err := ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(p.TrailARN)})
		if err != nil {
			return nil, nil, err
		}
		prev := marshal(prevLogging{IsLogging: aws.ToBool(st.IsLogging)})
		// The name, valid in the home region, rather than the ARN: some
		// emulators look trails up by name only for this call.
		_, err = ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(p.TrailName)})
		return prev, nil, err
	case KindCreateKey:
		return a.createKey(ctx, s)
	case KindKeyRotation:
		k := a.Clients.kms(s.Region)
		st, err := k.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: aws.String(p.KeyID)})
		if err != nil {
			return nil, nil, err
		}
		prev := marshal(prevRotation{Enabled: st.KeyRotationEnabled})
		_, err = k.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: aws.String(p.KeyID)})
		return prev, nil, err
	case KindCreateLogGroup:
		return a.createLogGroup(ctx, s)
	case KindCreateLogsRole:
		return a.createRole(ctx, s)
	case KindMetricAlarm:
		return a.metricAlarm(ctx, s, from)
	case KindBucketVersion:
		c := a.Clients.s3(s.Region)
		v, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(p.Bucket)})
		if err != nil {
			return nil, nil, err
		}
		prev := marshal(prevVersioning{Status: string(v.Status)})
		_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(p.Bucket),
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
		return prev, nil, err
	case KindBucketLock:
		c := a.Clients.s3(s.Region)
		prev := prevLock{}
		cur, err := c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String(p.Bucket)})
		switch {
		case err == nil && cur.ObjectLockConfiguration != nil:
			prev.Enabled = cur.ObjectLockConfiguration.ObjectLockEnabled == s3types.ObjectLockEnabledEnabled
			if r := cur.ObjectLockConfiguration.Rule; r != nil && r.DefaultRetention != nil {
				prev.Mode = string(r.DefaultRetention.Mode)
				prev.Days, prev.Years = aws.ToInt32(r.DefaultRetention.Days), aws.ToInt32(r.DefaultRetention.Years)
			}
		case err != nil && errorCode(err) != "ObjectLockConfigurationNotFoundError":
			return nil, nil, err
		}
		_, err = c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String(p.Bucket),
			ObjectLockConfiguration: &s3types.ObjectLockConfiguration{
				ObjectLockEnabled: s3types.ObjectLockEnabledEnabled,
				Rule: &s3types.ObjectLockRule{DefaultRetention: &s3types.DefaultRetention{
					Mode: s3types.ObjectLockRetentionMode(p.LockMode), Days: aws.Int32(int32(p.LockDays))}},
			}})
		return marshal(prev), nil, err
	case KindBucketBPA:
		c := a.Clients.s3(s.Region)
		prev := prevBPA{}
		cur, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(p.Bucket)})
		switch {
		case err == nil:
			prev.Configured, prev.Config = true, cur.PublicAccessBlockConfiguration
		case errorCode(err) != "NoSuchPublicAccessBlockConfiguration":
			return nil, nil, err
		}
		on := aws.Bool(true)
		_, err = c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String(p.Bucket),
			PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{BlockPublicAcls: on, IgnorePublicAcls: on, BlockPublicPolicy: on, RestrictPublicBuckets: on}})
		return marshal(prev), nil, err
	case KindBucketLifecycle:
		return a.lifecycle(ctx, s)
	case KindBucketLogging:
		c := a.Clients.s3(s.Region)
		cur, err := c.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: aws.String(p.Bucket)})
		if err != nil {
			return nil, nil, err
		}
		prev := prevBucketLogging{}
		if le := cur.LoggingEnabled; le != nil {
			prev = prevBucketLogging{Enabled: true, Target: aws.ToString(le.TargetBucket), Prefix: aws.ToString(le.TargetPrefix)}
		}
		_, err = c.PutBucketLogging(ctx, &s3.PutBucketLoggingInput{Bucket: aws.String(p.Bucket),
			BucketLoggingStatus: &s3types.BucketLoggingStatus{LoggingEnabled: &s3types.LoggingEnabled{
				TargetBucket: aws.String(p.LogTarget), TargetPrefix: aws.String(p.LogPrefix)}}})
		return marshal(prev), nil, err
	case KindBucketPolicy:
		c := a.Clients.s3(s.Region)
		prev := prevPolicy{}
		cur, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(p.Bucket)})
		switch {
		case err == nil:
			prev = prevPolicy{Exists: true, Document: aws.ToString(cur.Policy)}
		case errorCode(err) != "NoSuchBucketPolicy":
			return nil, nil, err
		}
		if !sameJSON(prev.Document, p.PolicyBase) {
			return marshal(prev), nil, fmt.Errorf("the policy of %s changed since the plan was made; nothing was written: run 'trailseal fix' again", p.Bucket)
		}
		_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(p.Bucket), Policy: aws.String(p.Policy)})
		return marshal(prev), nil, err
	}
	return nil, nil, fmt.Errorf("unknown step kind %q", s.Kind)
}

// sameJSON compares two documents by value, since S3 may reformat a
// policy it stores. Two empty strings are equal.
func sameJSON(a, b string) bool {
	if strings.TrimSpace(a) == "" || strings.TrimSpace(b) == "" {
		return strings.TrimSpace(a) == strings.TrimSpace(b)
	}
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a == b
	}
	return reflect.DeepEqual(x, y)
}

func (a *Applier) updateTrail(ctx context.Context, s Step, from func(step, key string) (string, error)) (json.RawMessage, map[string]string, error) {
	p := s.Params
	ct := a.Clients.cloudtrail(s.Region)
	d, err := ct.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{TrailNameList: []string{p.TrailARN}, IncludeShadowTrails: aws.Bool(false)})
	if err != nil {
		return nil, nil, err
	}
	if len(d.TrailList) != 1 {
		return nil, nil, fmt.Errorf("trail %s not found in %s", p.TrailARN, s.Region)
	}
	t := d.TrailList[0]
	prev := marshal(prevTrail{
		LogFileValidation: aws.ToBool(t.LogFileValidationEnabled), MultiRegion: aws.ToBool(t.IsMultiRegionTrail),
		GlobalEvents: aws.ToBool(t.IncludeGlobalServiceEvents), KMSKeyID: aws.ToString(t.KmsKeyId),
		LogGroupARN: aws.ToString(t.CloudWatchLogsLogGroupArn), RoleARN: aws.ToString(t.CloudWatchLogsRoleArn),
	})
	in := &cloudtrail.UpdateTrailInput{Name: aws.String(p.TrailARN),
		EnableLogFileValidation: p.LogFileValidation, IsMultiRegionTrail: p.MultiRegion, IncludeGlobalServiceEvents: p.GlobalEvents}
	if p.KMSKeyID != "" {
		in.KmsKeyId = aws.String(p.KMSKeyID)
	}
	if p.KMSKeyFrom != "" {
		k, err := from(p.KMSKeyFrom, "keyArn")
		if err != nil {
			return prev, nil, err
		}
		in.KmsKeyId = aws.String(k)
	}
	if p.LogGroupFrom != "" {
		g, err := from(p.LogGroupFrom, "logGroupArn")
		if err != nil {
			return prev, nil, err
		}
		r, err := from(p.RoleFrom, "roleArn")
		if err != nil {
			return prev, nil, err
		}
		in.CloudWatchLogsLogGroupArn, in.CloudWatchLogsRoleArn = aws.String(g), aws.String(r)
	}
	delay := a.RetryDelay
	if delay == 0 {
		delay = 5 * time.Second
	}
	for attempt := 1; ; attempt++ {
		_, err = ct.UpdateTrail(ctx, in)
		// A role created seconds ago may not be assumable yet.
		if err == nil || attempt == 6 || errorCode(err) != "InvalidCloudWatchLogsRoleArnException" {
			return prev, nil, err
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return prev, nil, ctx.Err()
		}
	}
}

// KeyAlias is the alias fix gives the key it creates for a trail, which
// also lets a re-run find a key an interrupted run already created.
func KeyAlias(trail string) string { return "alias/trailseal/cloudtrail/" + trail }

func (a *Applier) createKey(ctx context.Context, s Step) (json.RawMessage, map[string]string, error) {
	p := s.Params
	k := a.Clients.kms(s.Region)
	alias := KeyAlias(p.TrailName)
	var keyARN string
	existing, err := k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(alias)})
	switch {
	case err == nil && existing.KeyMetadata.KeyState == kmstypes.KeyStateEnabled:
		keyARN = aws.ToString(existing.KeyMetadata.Arn)
	case err == nil || errorCode(err) == "NotFoundException":
		out, err := k.CreateKey(ctx, &kms.CreateKeyInput{
			Description: aws.String(p.KeyDescription), Policy: aws.String(p.KeyPolicy),
			KeySpec: kmstypes.KeySpecSymmetricDefault, KeyUsage: kmstypes.KeyUsageTypeEncryptDecrypt,
			Tags: []kmstypes.Tag{{TagKey: aws.String("created-by"), TagValue: aws.String("trailseal")}},
		})
		if err != nil {
			return nil, nil, failedCall("kms:CreateKey", err)
		}
		keyARN = aws.ToString(out.KeyMetadata.Arn)
		a.record(Change{Call: "kms:CreateKey", Resource: keyARN, Summary: "created KMS key " + keyARN,
			Previous: marshal(prevExisted{}), NotReversible: notRevertedKey})
		if _, err := k.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: out.KeyMetadata.KeyId}); err != nil {
			return nil, map[string]string{"keyArn": keyARN}, failedCall("kms:CreateAlias", err)
		}
		a.record(Change{Call: "kms:CreateAlias", Resource: alias, Summary: "created alias " + alias + " for it",
			Previous:      marshal(prevExisted{}),
			NotReversible: "the alias stays with the key it names, so that a new run reuses that key instead of creating another"})
	default:
		return nil, nil, failedCall("kms:DescribeKey", err)
	}
	outs := map[string]string{"keyArn": keyARN}
	if _, err = k.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: aws.String(keyARN)}); err != nil {
		return nil, outs, failedCall("kms:EnableKeyRotation", err)
	}
	a.record(Change{Call: "kms:EnableKeyRotation", Resource: keyARN, Summary: "turned on rotation of key " + keyARN,
		NotReversible: "rotation stays on the key fix created, which is kept"})
	return nil, outs, nil
}

// Why created keys and log groups stay after --undo.
const (
	notRevertedKey      = "cannot be reverted automatically: trailseal never deletes a KMS key; schedule its deletion by hand if unwanted"
	notRevertedLogGroup = "cannot be reverted automatically: trailseal never deletes a log group; delete it by hand if unwanted"
)

func (a *Applier) createLogGroup(ctx context.Context, s Step) (json.RawMessage, map[string]string, error) {
	p := s.Params
	l := a.Clients.logs(s.Region)
	existed := false
	if _, err := l.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(p.LogGroupName)}); err != nil {
		// A group left by an earlier, interrupted run is reused.
		if errorCode(err) != "ResourceAlreadyExistsException" {
			return nil, nil, failedCall("logs:CreateLogGroup", err)
		}
		existed = true
	} else {
		a.record(Change{Call: "logs:CreateLogGroup", Resource: p.LogGroupARN, Summary: "created log group " + p.LogGroupName,
			Previous: marshal(prevExisted{}), NotReversible: notRevertedLogGroup})
	}
	prev := marshal(prevExisted{Existed: existed})
	outs := map[string]string{"logGroupArn": p.LogGroupARN}
	if _, err := l.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(p.LogGroupName), RetentionInDays: aws.Int32(int32(p.RetentionDays))}); err != nil {
		return prev, outs, failedCall("logs:PutRetentionPolicy", err)
	}
	ch := Change{Call: "logs:PutRetentionPolicy", Resource: p.LogGroupARN, Previous: prev,
		Summary:       fmt.Sprintf("set the retention of log group %s to %d days", p.LogGroupName, p.RetentionDays),
		NotReversible: "the retention belongs to the log group fix created, which is kept"}
	if existed {
		ch.NotReversible = "log group " + p.LogGroupName + " existed before this run (an earlier run made it); its retention is left as written"
	}
	a.record(ch)
	return prev, outs, nil
}

// LogsRolePolicyName is the inline policy of the CloudWatch Logs role.
const LogsRolePolicyName = "trailseal-cloudtrail-to-logs"

// LogsRoleTrust is the trust policy of the role CloudTrail assumes to write
// to CloudWatch Logs.
func LogsRoleTrust(account string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":%q}}}]}`, account)
}

// LogsRolePolicy lets the role write to one log group only.
func LogsRolePolicy(groupARN string) string {
	streams := strings.TrimSuffix(groupARN, ":*") + ":log-stream:*"
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":%q}]}`, streams)
}

func (a *Applier) createRole(ctx context.Context, s Step) (json.RawMessage, map[string]string, error) {
	p := s.Params
	c := a.Clients.iam()
	existed := false
	var arn string
	out, err := c.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String(p.RoleName), AssumeRolePolicyDocument: aws.String(LogsRoleTrust(p.Account)),
		Description: aws.String("Lets CloudTrail trail " + p.TrailName + " write to its CloudWatch Logs group (created by trailseal)"),
	})
	switch {
	case err == nil:
		arn = aws.ToString(out.Role.Arn)
		a.record(Change{Call: "iam:CreateRole", Resource: arn, Summary: "created role " + p.RoleName,
			Previous: marshal(prevExisted{}), Reversible: true})
	case errorCode(err) == "EntityAlreadyExists":
		existed = true
		got, gerr := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(p.RoleName)})
		if gerr != nil {
			return nil, nil, failedCall("iam:GetRole", gerr)
		}
		arn = aws.ToString(got.Role.Arn)
	default:
		return nil, nil, failedCall("iam:CreateRole", err)
	}
	prev := marshal(prevExisted{Existed: existed})
	outs := map[string]string{"roleArn": arn}
	if _, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(p.RoleName),
		PolicyName: aws.String(LogsRolePolicyName), PolicyDocument: aws.String(LogsRolePolicy(p.LogGroupARN))}); err != nil {
		return prev, outs, failedCall("iam:PutRolePolicy", err)
	}
	ch := Change{Call: "iam:PutRolePolicy", Resource: arn, Summary: "put inline policy " + LogsRolePolicyName + " on role " + p.RoleName,
		Previous: prev, Reversible: !existed}
	if existed {
		ch.NotReversible = "role " + p.RoleName + " existed before this run, so its inline policy is left as written"
	}
	a.record(ch)
	return prev, outs, nil
}

func (a *Applier) metricAlarm(ctx context.Context, s Step, from func(step, key string) (string, error)) (json.RawMessage, map[string]string, error) {
	p := s.Params
	groupARN := p.LogGroupARN
	if p.LogGroupFrom != "" {
		g, err := from(p.LogGroupFrom, "logGroupArn")
		if err != nil {
			return nil, nil, err
		}
		groupARN = g
	}
	group := logGroupNameFromARN(groupARN)
	l := a.Clients.logs(s.Region)
	prev := prevAlarm{}
	filter := prevFilter{LogGroup: group}
	mf, err := l.DescribeMetricFilters(ctx, &cloudwatchlogs.DescribeMetricFiltersInput{LogGroupName: aws.String(group), FilterNamePrefix: aws.String(p.FilterName)})
	if err != nil {
		return nil, nil, err
	}
	for _, f := range mf.MetricFilters {
		if aws.ToString(f.FilterName) == p.FilterName {
			prev.FilterExisted = true
			filter.Existed, filter.Pattern, filter.Transformations = true, aws.ToString(f.FilterPattern), f.MetricTransformations
		}
	}
	cw := a.Clients.cloudwatch(s.Region)
	al, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{p.AlarmName}})
	if err != nil {
		return nil, nil, err
	}
	prev.AlarmExisted = len(al.MetricAlarms) > 0
	if _, err := l.PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{
		LogGroupName: aws.String(group), FilterName: aws.String(p.FilterName), FilterPattern: aws.String(p.Pattern),
		MetricTransformations: []logstypes.MetricTransformation{{MetricName: aws.String(p.MetricName), MetricNamespace: aws.String(p.Namespace), MetricValue: aws.String("1")}},
	}); err != nil {
		return marshal(prev), nil, failedCall("logs:PutMetricFilter", err)
	}
	verb := "created"
	if filter.Existed {
		verb = "replaced"
	}
	a.record(Change{Call: "logs:PutMetricFilter", Resource: groupARN, Summary: verb + " metric filter " + p.FilterName + " on " + group,
		Previous: marshal(filter), Reversible: true})
	if _, err = cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String(p.AlarmName), AlarmDescription: aws.String("CIS CloudTrail monitoring alarm (created by trailseal)"),
		MetricName: aws.String(p.MetricName), Namespace: aws.String(p.Namespace),
		Statistic: cwtypes.StatisticSum, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, TreatMissingData: aws.String("notBreaching"),
		ActionsEnabled: aws.Bool(true), AlarmActions: []string{p.TopicARN},
	}); err != nil {
		return marshal(prev), nil, failedCall("cloudwatch:PutMetricAlarm", err)
	}
	ch := Change{Call: "cloudwatch:PutMetricAlarm", Resource: p.AlarmName, Summary: "created alarm " + p.AlarmName,
		Previous: marshal(prevExisted{Existed: prev.AlarmExisted}), Reversible: !prev.AlarmExisted}
	if prev.AlarmExisted {
		ch.Summary = "replaced alarm " + p.AlarmName
		ch.NotReversible = "alarm " + p.AlarmName + " existed before this run, so it is left as written"
	}
	a.record(ch)
	return marshal(prev), nil, nil
}

// LifecycleRules returns the rules fix writes: the current rules with every
// expiration that reaches the log prefixes raised to minDays, or, with no
// current rules, one rule per log prefix.
func LifecycleRules(cur []s3types.LifecycleRule, prefixes []string, minDays int) []s3types.LifecycleRule {
	if len(cur) == 0 {
		var out []s3types.LifecycleRule
		for i, prefix := range prefixes {
			id := "trailseal-trail-logs"
			if i > 0 {
				id = fmt.Sprintf("%s-%d", id, i+1)
			}
			r := s3types.LifecycleRule{
				ID: aws.String(id), Status: s3types.ExpirationStatusEnabled,
				Filter:                      &s3types.LifecycleRuleFilter{Prefix: aws.String(prefix)},
				Expiration:                  &s3types.LifecycleExpiration{Days: aws.Int32(int32(minDays))},
				NoncurrentVersionExpiration: &s3types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(int32(minDays))},
			}
			if td := transitionDays(minDays); td < minDays {
				r.Transitions = []s3types.Transition{{Days: aws.Int32(int32(td)), StorageClass: s3types.TransitionStorageClassGlacier}}
			}
			out = append(out, r)
		}
		return out
	}
	out := make([]s3types.LifecycleRule, len(cur))
	for i, r := range cur {
		if r.Status == s3types.ExpirationStatusEnabled && overlaps(rulePrefix(r), prefixes) {
			if r.Expiration != nil && aws.ToInt32(r.Expiration.Days) > 0 && int(aws.ToInt32(r.Expiration.Days)) < minDays {
				e := *r.Expiration
				e.Days = aws.Int32(int32(minDays))
				r.Expiration = &e
			}
			if r.Expiration != nil && r.Expiration.Date != nil {
				// A fixed-date expiration deletes every log from that day on:
				// replace it with the minimum retention in days.
				e := *r.Expiration
				e.Date = nil
				e.Days = aws.Int32(int32(minDays))
				r.Expiration = &e
			}
			if n := r.NoncurrentVersionExpiration; n != nil && aws.ToInt32(n.NoncurrentDays) > 0 && int(aws.ToInt32(n.NoncurrentDays)) < minDays {
				e := *n
				e.NoncurrentDays = aws.Int32(int32(minDays))
				r.NoncurrentVersionExpiration = &e
			}
		}
		out[i] = r
	}
	return out
}

func rulePrefix(r s3types.LifecycleRule) string {
	if r.Filter != nil {
		if r.Filter.Prefix != nil {
			return *r.Filter.Prefix
		}
		if r.Filter.And != nil && r.Filter.And.Prefix != nil {
			return *r.Filter.And.Prefix
		}
		return ""
	}
	return aws.ToString(r.Prefix)
}

func overlaps(rule string, prefixes []string) bool {
	if rule == "" {
		return true
	}
	for _, p := range prefixes {
		if strings.HasPrefix(p, rule) || strings.HasPrefix(rule, p) {
			return true
		}
	}
	return false
}

func (a *Applier) lifecycle(ctx context.Context, s Step) (json.RawMessage, map[string]string, error) {
	p := s.Params
	c := a.Clients.s3(s.Region)
	prev := prevLifecycle{}
	cur, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(p.Bucket)})
	switch {
	case err == nil:
		prev = prevLifecycle{Configured: true, Rules: cur.Rules}
	case errorCode(err) != "NoSuchLifecycleConfiguration":
		return nil, nil, err
	}
	rules := LifecycleRules(prev.Rules, p.Prefixes, p.MinDays)
	_, err = c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(p.Bucket),
		LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: rules}})
	return marshal(prev), nil, err
}

func selectorsFromSDK(o *cloudtrail.GetEventSelectorsOutput) inventory.EventSelectors {
	var out inventory.EventSelectors
	for _, s := range o.EventSelectors {
		es := inventory.EventSelector{ReadWriteType: string(s.ReadWriteType), IncludeManagementEvents: aws.ToBool(s.IncludeManagementEvents),
			ExcludeManagementEventSources: s.ExcludeManagementEventSources}
		for _, d := range s.DataResources {
			es.DataResources = append(es.DataResources, inventory.DataResource{Type: aws.ToString(d.Type), Values: d.Values})
		}
		out.Basic = append(out.Basic, es)
	}
	for _, a := range o.AdvancedEventSelectors {
		as := inventory.AdvancedEventSelector{Name: aws.ToString(a.Name)}
		for _, f := range a.FieldSelectors {
			as.FieldSelectors = append(as.FieldSelectors, inventory.FieldSelector{Field: aws.ToString(f.Field), Equals: f.Equals,
				StartsWith: f.StartsWith, EndsWith: f.EndsWith, NotEquals: f.NotEquals, NotStartsWith: f.NotStartsWith, NotEndsWith: f.NotEndsWith})
		}
		out.Advanced = append(out.Advanced, as)
	}
	return out
}

// selectorsToSDK builds the PutEventSelectors request. Empty selectors are
// the CloudTrail default (all management events), written out explicitly.
func selectorsToSDK(trail string, sel inventory.EventSelectors) *cloudtrail.PutEventSelectorsInput {
	in := &cloudtrail.PutEventSelectorsInput{TrailName: aws.String(trail)}
	if len(sel.Advanced) > 0 {
		for _, a := range sel.Advanced {
			as := cttypes.AdvancedEventSelector{}
			if a.Name != "" {
				as.Name = aws.String(a.Name)
			}
			for _, f := range a.FieldSelectors {
				as.FieldSelectors = append(as.FieldSelectors, cttypes.AdvancedFieldSelector{Field: aws.String(f.Field), Equals: f.Equals,
					StartsWith: f.StartsWith, EndsWith: f.EndsWith, NotEquals: f.NotEquals, NotStartsWith: f.NotStartsWith, NotEndsWith: f.NotEndsWith})
			}
			in.AdvancedEventSelectors = append(in.AdvancedEventSelectors, as)
		}
		return in
	}
	basic := sel.Basic
	if len(basic) == 0 {
		basic = []inventory.EventSelector{{ReadWriteType: "All", IncludeManagementEvents: true}}
	}
	for _, b := range basic {
		es := cttypes.EventSelector{ReadWriteType: cttypes.ReadWriteType(b.ReadWriteType), IncludeManagementEvents: aws.Bool(b.IncludeManagementEvents),
			ExcludeManagementEventSources: b.ExcludeManagementEventSources}
		for _, d := range b.DataResources {
			es.DataResources = append(es.DataResources, cttypes.DataResource{Type: aws.String(d.Type), Values: d.Values})
		}
		in.EventSelectors = append(in.EventSelectors, es)
	}
	return in
}

var errNotReversible = errors.New("not reversible")
