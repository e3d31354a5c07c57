package fix

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// KindKeyRotation turns on automatic rotation of a trail's existing key.
const KindKeyRotation Kind = "kms:EnableKeyRotation"

// KeyRotationParams are the parameters of a KindKeyRotation step.
type KeyRotationParams struct {
	KeyID string `json:"keyId"`
}

// Kind implements Params.
func (*KeyRotationParams) Kind() Kind { return KindKeyRotation }

type rotationState struct {
	Enabled bool `json:"enabled"`
}

var keyRotationKind = setting[rotationState]{
	read: func(ctx context.Context, c *Clients, s Step) (rotationState, error) {
		st, err := c.kms(s.Region).GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: aws.String(s.Params.(*KeyRotationParams).KeyID)})
		if err != nil {
			return rotationState{}, err
		}
		return rotationState{Enabled: st.KeyRotationEnabled}, nil
	},
	target: func(Step, rotationState, outputFunc) (rotationState, error) { return rotationState{Enabled: true}, nil },
	write: func(ctx context.Context, c *Clients, s Step, v rotationState, _ bool) error {
		id := aws.String(s.Params.(*KeyRotationParams).KeyID)
		if v.Enabled {
			_, err := c.kms(s.Region).EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: id})
			return err
		}
		_, err := c.kms(s.Region).DisableKeyRotation(ctx, &kms.DisableKeyRotationInput{KeyId: id})
		return err
	},
	same: func(_ Step, a, b rotationState) bool { return a == b },
	show: func(_ Step, v rotationState) string { return "rotation " + onOff(v.Enabled) },
	keep: func(_ Step, prev rotationState) (string, bool) {
		return "rotation was already on; left on", prev.Enabled
	},
	reverted: func(Step, rotationState) string { return "turned rotation off again" },
	manual: func(s Step, _ rotationState) string {
		return "aws kms disable-key-rotation --region " + s.Region + " --key-id " + shq(s.Params.(*KeyRotationParams).KeyID)
	},
}.ops(kindOps{
	fixes:  []string{"trail.kms_key_rotation"},
	params: func() Params { return &KeyRotationParams{} },
	emitCLI: func(e *cliEmitter, s Step) {
		e.line("aws kms enable-key-rotation --region %s --key-id %s", s.Region, sq(s.Params.(*KeyRotationParams).KeyID))
	},
	emitTerraform: func(e *tfEmitter, s Step) {
		id := s.Params.(*KeyRotationParams).KeyID
		e.line("# Key %s is not managed here: set enable_key_rotation = true on its aws_kms_key", id)
		e.line("# resource, or run: aws kms enable-key-rotation --region %s --key-id %s", s.Region, id)
	},
})
