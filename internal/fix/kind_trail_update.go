package fix

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
)

// KindTrailUpdate changes settings of a trail with UpdateTrail: log file
// validation, multi-region and global events, KMS encryption, CloudWatch
// Logs delivery.
const KindTrailUpdate Kind = "cloudtrail:UpdateTrail"

// TrailUpdateParams are the parameters of a KindTrailUpdate step. A nil
// pointer or empty string leaves the setting alone.
type TrailUpdateParams struct {
	TrailRef
	LogFileValidation *bool  `json:"logFileValidation,omitempty"`
	MultiRegion       *bool  `json:"multiRegion,omitempty"`
	GlobalEvents      *bool  `json:"globalEvents,omitempty"`
	KMSKeyID          string `json:"kmsKeyId,omitempty"`
	// KMSKeyFrom names the CreateKey step whose key to use.
	KMSKeyFrom string `json:"kmsKeyFrom,omitempty"`
	// LogGroupFrom and RoleFrom name the steps that create the log group
	// and role of CloudWatch Logs delivery.
	LogGroupFrom string `json:"logGroupFrom,omitempty"`
	RoleFrom     string `json:"roleFrom,omitempty"`
}

// Kind implements Params.
func (*TrailUpdateParams) Kind() Kind { return KindTrailUpdate }

// trailState is what UpdateTrail steps change.
type trailState struct {
	LogFileValidation bool   `json:"logFileValidation"`
	MultiRegion       bool   `json:"multiRegion"`
	GlobalEvents      bool   `json:"globalEvents"`
	KMSKeyID          string `json:"kmsKeyId"`
	LogGroupARN       string `json:"logGroupArn"`
	RoleARN           string `json:"roleArn"`
}

// trailFields lists the settings a step changes, as "name value" pairs of
// a state.
func trailFields(p *TrailUpdateParams, v trailState) []string {
	var out []string
	if p.LogFileValidation != nil {
		out = append(out, fmt.Sprintf("LogFileValidationEnabled %t", v.LogFileValidation))
	}
	if p.MultiRegion != nil {
		out = append(out, fmt.Sprintf("IsMultiRegionTrail %t", v.MultiRegion))
	}
	if p.GlobalEvents != nil || p.MultiRegion != nil {
		out = append(out, fmt.Sprintf("IncludeGlobalServiceEvents %t", v.GlobalEvents))
	}
	if p.KMSKeyID != "" || p.KMSKeyFrom != "" {
		out = append(out, "KmsKeyId "+orNone(v.KMSKeyID, "(none, SSE-S3)"))
	}
	if p.LogGroupFrom != "" {
		out = append(out, "CloudWatch Logs delivery "+orNone(v.LogGroupARN, "(none)")+" with role "+orNone(v.RoleARN, "(none)"))
	}
	return out
}

var trailUpdateKind = setting[trailState]{
	read: readTrail,
	target: func(s Step, prev trailState, from outputFunc) (trailState, error) {
		p := s.Params.(*TrailUpdateParams)
		v := prev
		set := func(dst *bool, src *bool) {
			if src != nil {
				*dst = *src
			}
		}
		set(&v.LogFileValidation, p.LogFileValidation)
		set(&v.MultiRegion, p.MultiRegion)
		set(&v.GlobalEvents, p.GlobalEvents)
		if p.KMSKeyID != "" {
			v.KMSKeyID = p.KMSKeyID
		}
		var err error
		if p.KMSKeyFrom != "" {
			if v.KMSKeyID, err = from(p.KMSKeyFrom, "keyArn"); err != nil {
				return v, err
			}
		}
		if p.LogGroupFrom != "" {
			if v.LogGroupARN, err = from(p.LogGroupFrom, "logGroupArn"); err != nil {
				return v, err
			}
			if v.RoleARN, err = from(p.RoleFrom, "roleArn"); err != nil {
				return v, err
			}
		}
		return v, nil
	},
	write: writeTrail,
	same: func(s Step, a, b trailState) bool {
		p := s.Params.(*TrailUpdateParams)
		return strings.Join(trailFields(p, a), ";") == strings.Join(trailFields(p, b), ";")
	},
	show: func(s Step, v trailState) string {
		return strings.Join(trailFields(s.Params.(*TrailUpdateParams), v), ", ")
	},
	reverted: func(s Step, prev trailState) string {
		return "restored " + strings.Join(trailFields(s.Params.(*TrailUpdateParams), prev), ", ")
	},
	manual: func(s Step, prev trailState) string {
		return strings.Join(trailUpdateArgs(s.Params.(*TrailUpdateParams), prev, s.Region), " ")
	},
}.ops(kindOps{
	fixes:         []string{"trail.log_file_validation", "trail.multi_region", "trail.global_service_events", "trail.kms_encryption", "trail.cloudwatch_logs"},
	params:        func() Params { return &TrailUpdateParams{} },
	emitCLI:       emitTrailUpdateCLI,
	emitTerraform: emitTrailUpdateTerraform,
})

func readTrail(ctx context.Context, c *Clients, s Step) (trailState, error) {
	p := s.Params.(*TrailUpdateParams)
	d, err := c.cloudtrail(s.Region).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{TrailNameList: []string{p.TrailARN}, IncludeShadowTrails: aws.Bool(false)})
	if err != nil {
		return trailState{}, err
	}
	if len(d.TrailList) != 1 {
		return trailState{}, fmt.Errorf("trail %s not found in %s", p.TrailARN, s.Region)
	}
	t := d.TrailList[0]
	return trailState{
		LogFileValidation: aws.ToBool(t.LogFileValidationEnabled), MultiRegion: aws.ToBool(t.IsMultiRegionTrail),
		GlobalEvents: aws.ToBool(t.IncludeGlobalServiceEvents), KMSKeyID: aws.ToString(t.KmsKeyId),
		LogGroupARN: aws.ToString(t.CloudWatchLogsLogGroupArn), RoleARN: aws.ToString(t.CloudWatchLogsRoleArn),
	}, nil
}

// writeTrail sends the settings the step changes. A role created seconds
// before may not be assumable yet, so that error is retried for a while.
func writeTrail(ctx context.Context, c *Clients, s Step, v trailState, undo bool) error {
	p := s.Params.(*TrailUpdateParams)
	in := &cloudtrail.UpdateTrailInput{Name: aws.String(p.TrailARN)}
	if p.LogFileValidation != nil {
		in.EnableLogFileValidation = aws.Bool(v.LogFileValidation)
	}
	if p.MultiRegion != nil {
		in.IsMultiRegionTrail = aws.Bool(v.MultiRegion)
		if undo || p.GlobalEvents != nil {
			in.IncludeGlobalServiceEvents = aws.Bool(v.GlobalEvents)
		}
	} else if p.GlobalEvents != nil {
		in.IncludeGlobalServiceEvents = aws.Bool(v.GlobalEvents)
	}
	if p.KMSKeyID != "" || p.KMSKeyFrom != "" {
		// An empty KmsKeyId returns the trail to SSE-S3.
		in.KmsKeyId = aws.String(v.KMSKeyID)
	}
	if p.LogGroupFrom != "" {
		in.CloudWatchLogsLogGroupArn, in.CloudWatchLogsRoleArn = aws.String(v.LogGroupARN), aws.String(v.RoleARN)
	}
	ct := c.cloudtrail(s.Region)
	for attempt := 1; ; attempt++ {
		_, err := ct.UpdateTrail(ctx, in)
		if err == nil || attempt == 6 || errorCode(err) != "InvalidCloudWatchLogsRoleArnException" {
			return err
		}
		select {
		case <-time.After(roleRetryDelay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// roleRetryDelay is the wait before retrying an update that IAM has not
// yet propagated a new role for.
const roleRetryDelay = 5 * time.Second

// trailUpdateArgs is the AWS CLI command that gives the trail the settings
// of v that the step changes.
func trailUpdateArgs(p *TrailUpdateParams, v trailState, region string) []string {
	args := []string{"aws cloudtrail update-trail --region", region, "--name", shq(p.TrailARN)}
	flag := func(set bool, on bool, name string) {
		if !set {
			return
		}
		if on {
			args = append(args, "--"+name)
		} else {
			args = append(args, "--no-"+name)
		}
	}
	flag(p.LogFileValidation != nil, v.LogFileValidation, "enable-log-file-validation")
	flag(p.MultiRegion != nil, v.MultiRegion, "is-multi-region-trail")
	flag(p.GlobalEvents != nil || p.MultiRegion != nil, v.GlobalEvents, "include-global-service-events")
	if p.KMSKeyID != "" || p.KMSKeyFrom != "" {
		args = append(args, "--kms-key-id", sq(v.KMSKeyID))
	}
	if p.LogGroupFrom != "" {
		args = append(args, "--cloud-watch-logs-log-group-arn", sq(v.LogGroupARN), "--cloud-watch-logs-role-arn", sq(v.RoleARN))
	}
	return args
}

func emitTrailUpdateCLI(e *cliEmitter, s Step) {
	p := s.Params.(*TrailUpdateParams)
	args := []string{"aws cloudtrail update-trail", "--region " + s.Region, "--name", sq(p.TrailARN)}
	if p.LogFileValidation != nil {
		args = append(args, "--enable-log-file-validation")
	}
	if p.MultiRegion != nil {
		args = append(args, "--is-multi-region-trail")
	}
	if p.GlobalEvents != nil {
		args = append(args, "--include-global-service-events")
	}
	if p.KMSKeyID != "" {
		args = append(args, "--kms-key-id", sq(p.KMSKeyID))
	}
	if p.KMSKeyFrom != "" {
		args = append(args, "--kms-key-id", e.ref(p.KMSKeyFrom, "keyArn"))
	}
	if p.LogGroupFrom != "" {
		args = append(args, "--cloud-watch-logs-log-group-arn", e.ref(p.LogGroupFrom, "logGroupArn"),
			"--cloud-watch-logs-role-arn", e.ref(p.RoleFrom, "roleArn"))
	}
	e.line("%s > /dev/null", strings.Join(args, " "))
}

// emitTrailUpdateTerraform folds the step into its trail's final settings
// (Terraform manages a trail as a whole; see tfEmitter.trail).
func emitTrailUpdateTerraform(e *tfEmitter, s Step) {
	p := s.Params.(*TrailUpdateParams)
	e.onTrail(p.TrailARN, s, func(t *tfTrail) {
		if p.LogFileValidation != nil {
			t.LogFileValidationEnabled = *p.LogFileValidation
		}
		if p.MultiRegion != nil {
			t.IsMultiRegion = *p.MultiRegion
		}
		if p.GlobalEvents != nil {
			t.IncludeGlobalServiceEvents = *p.GlobalEvents
		}
		if p.KMSKeyID != "" {
			t.kms = hq(p.KMSKeyID)
		}
		if p.KMSKeyFrom != "" {
			t.kms = e.names[p.KMSKeyFrom] + ".arn"
		}
		if p.LogGroupFrom != "" {
			t.group = `"${` + e.names[p.LogGroupFrom] + `.arn}:*"`
			t.role = e.names[p.RoleFrom] + ".arn"
		}
	})
}
