package fix

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
)

// KindTrailStart starts logging on a trail.
const KindTrailStart Kind = "cloudtrail:StartLogging"

// StartParams are the parameters of a KindTrailStart step.
type StartParams struct {
	TrailRef
}

// Kind implements Params.
func (*StartParams) Kind() Kind { return KindTrailStart }

// loggingStatus is whether a trail is logging.
type loggingStatus struct {
	IsLogging bool `json:"isLogging"`
}

var trailStartKind = setting[loggingStatus]{
	read: func(ctx context.Context, c *Clients, s Step) (loggingStatus, error) {
		st, err := c.cloudtrail(s.Region).GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(s.Params.(*StartParams).TrailARN)})
		if err != nil {
			return loggingStatus{}, err
		}
		return loggingStatus{IsLogging: aws.ToBool(st.IsLogging)}, nil
	},
	target: func(Step, loggingStatus, outputFunc) (loggingStatus, error) {
		return loggingStatus{IsLogging: true}, nil
	},
	// The name, valid in the home region, rather than the ARN: some
	// emulators look trails up by name only for these calls.
	write: func(ctx context.Context, c *Clients, s Step, v loggingStatus, _ bool) error {
		name := aws.String(s.Params.(*StartParams).TrailName)
		if v.IsLogging {
			_, err := c.cloudtrail(s.Region).StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: name})
			return err
		}
		_, err := c.cloudtrail(s.Region).StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: name})
		return err
	},
	same: func(_ Step, a, b loggingStatus) bool { return a == b },
	show: func(_ Step, v loggingStatus) string {
		if v.IsLogging {
			return "logging"
		}
		return "not logging"
	},
	keep: func(_ Step, prev loggingStatus) (string, bool) {
		return "trail was already logging; left logging", prev.IsLogging
	},
	reverted: func(Step, loggingStatus) string { return "stopped logging again" },
	manual: func(s Step, _ loggingStatus) string {
		return "aws cloudtrail stop-logging --region " + s.Region + " --name " + shq(s.Params.(*StartParams).TrailName)
	},
}.ops(kindOps{
	fixes:  []string{"trail.logging"},
	params: func() Params { return &StartParams{} },
	emitCLI: func(e *cliEmitter, s Step) {
		e.line("aws cloudtrail start-logging --region %s --name %s", s.Region, sq(s.Params.(*StartParams).TrailName))
	},
	emitTerraform: func(e *tfEmitter, s Step) {
		e.onTrail(s.Params.(*StartParams).TrailARN, s, func(t *tfTrail) { t.logging = true })
	},
})
