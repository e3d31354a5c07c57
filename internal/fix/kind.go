package fix

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
)

// Kind names what a step does. The value is the main API call it makes.
type Kind string

// Params are the typed parameters of one kind of step. Each kind's file
// (kind_*.go) defines its type; a plan or journal on disk holds them as the
// step's "params" object.
type Params interface {
	Kind() Kind
}

// kindOps is everything trailseal knows about one kind of step. A kind is
// one value in the kinds table, defined in a file of its own: adding a kind
// is that file plus one line in the table.
type kindOps struct {
	// fixes lists the rules whose FAIL a step of this kind fixes or helps
	// fix; Fixable is their union.
	fixes []string
	// params returns a new, empty parameter value of the kind, into which
	// a plan or journal is decoded.
	params func() Params
	// plan, when set, plans the kind's steps from the findings. Kinds whose
	// steps depend on others' (a bucket's versioning before its Object
	// Lock, a key before the trail that uses it) are planned together in
	// plan_*.go instead.
	plan func(p *planner)
	// apply makes the change. It records through r, before each write,
	// what it is about to replace, so that a run that stops at any point
	// leaves a record that a later run can complete by reading the
	// resource (resolve).
	apply func(ctx context.Context, r *stepRun) error
	// resolve settles a step whose outcome is unknown (a call abandoned
	// after a signal, a run that was killed) by reading the resources it
	// changes, and records what is true.
	resolve func(ctx context.Context, r *stepRun) error
	// undo reverts an applied step, after checking that what it changed is
	// still as fix left it (u.unchanged). nil when the kind is never
	// reversible as a whole.
	undo func(ctx context.Context, u *undoRun) (string, error)
	// undoChange reverts one completed call of a step that did not
	// complete. nil when no call of the kind is reversible on its own.
	undoChange func(ctx context.Context, u *undoRun, ch Change) (string, error)
	// emitCLI writes the step as AWS CLI commands.
	emitCLI func(e *cliEmitter, s Step)
	// emitTerraform writes the step as Terraform.
	emitTerraform func(e *tfEmitter, s Step)
}

// kinds is the table of step kinds.
var kinds = map[Kind]kindOps{
	KindTrailUpdate:     trailUpdateKind,
	KindTrailSelectors:  trailSelectorsKind,
	KindTrailStart:      trailStartKind,
	KindCreateKey:       createKeyKind,
	KindKeyRotation:     keyRotationKind,
	KindCreateLogGroup:  createLogGroupKind,
	KindCreateLogsRole:  createLogsRoleKind,
	KindMetricAlarm:     metricAlarmKind,
	KindBucketVersion:   bucketVersioningKind,
	KindBucketLock:      bucketLockKind,
	KindBucketBPA:       bucketBPAKind,
	KindBucketLifecycle: bucketLifecycleKind,
	KindBucketLogging:   bucketLoggingKind,
	KindBucketPolicy:    bucketPolicyKind,
	KindLogRetention:    logGroupRetentionKind,
	KindLogGroupKMS:     logGroupKMSKind,
}

// opsOf returns the operations of a step's kind.
func opsOf(k Kind) (kindOps, error) {
	ops, ok := kinds[k]
	if !ok {
		return kindOps{}, fmt.Errorf("unknown step kind %q (written by a newer trailseal?)", k)
	}
	return ops, nil
}

// sortedKinds lists the kinds in a stable order.
func sortedKinds() []Kind {
	out := make([]Kind, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Fixable lists the rules that have an automatic fix.
var Fixable = fixableRules()

func fixableRules() []string {
	var out []string
	for _, ops := range kinds {
		for _, r := range ops.fixes {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	sort.Strings(out)
	return out
}

// stepJSON is Step without its methods, so that UnmarshalJSON can decode
// the common fields with the standard decoder.
type stepJSON Step

// UnmarshalJSON decodes a step, its params into the type of its kind.
func (s *Step) UnmarshalJSON(b []byte) error {
	var raw struct {
		*stepJSON
		Params json.RawMessage `json:"params"`
	}
	raw.stepJSON = (*stepJSON)(s)
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	ops, err := opsOf(s.Kind)
	if err != nil {
		return err
	}
	p := ops.params()
	if len(raw.Params) > 0 && string(raw.Params) != "null" {
		if err := json.Unmarshal(raw.Params, p); err != nil {
			return fmt.Errorf("step %s: params: %w", s.ID, err)
		}
	}
	s.Params = p
	return nil
}

// decodeState reads a state recorded in the journal.
func decodeState[S any](raw json.RawMessage, what string) (S, error) {
	var v S
	if len(raw) == 0 || string(raw) == "null" {
		return v, fmt.Errorf("the journal has no %s", what)
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("the journal's %s cannot be read: %w", what, err)
	}
	return v, nil
}

func marshal(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// TrailRef names the trail a step changes. The ARN identifies it in every
// call but StartLogging and StopLogging, which take the name.
type TrailRef struct {
	TrailARN  string `json:"trailArn"`
	TrailName string `json:"trailName"`
}
