package fix

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
)

// Step is one change to one resource.
type Step struct {
	ID string `json:"id"`
	// Rules are the rule IDs whose FAIL this step fixes (or helps fix).
	Rules    []string `json:"rules"`
	Kind     Kind     `json:"kind"`
	Region   string   `json:"region"`
	Resource string   `json:"resource"`
	Summary  string   `json:"summary"`
	Before   string   `json:"before"`
	After    string   `json:"after"`
	// DependsOn lists step IDs that must succeed first.
	DependsOn []string `json:"dependsOn,omitempty"`
	// Reversible is false when --undo cannot take the change back;
	// NotReversible then says why.
	Reversible    bool   `json:"reversible"`
	NotReversible string `json:"notReversible,omitempty"`
	Warning       string `json:"warning,omitempty"`
	// Params are the typed parameters of the step's kind.
	Params Params `json:"params"`
}

// Manual is a rule with no safe automatic fix, with what to do by hand.
type Manual struct {
	Rule     string   `json:"rule"`
	Resource string   `json:"resource"`
	Steps    []string `json:"steps"`
}

// Refusal is a fix that was not planned because it would break delivery or
// lacks an input.
type Refusal struct {
	Rule     string `json:"rule"`
	Resource string `json:"resource"`
	Reason   string `json:"reason"`
}

// Unjudged is a rule fix acts on whose evidence could not be read (an
// ERROR finding): whether it needs a change is unknown, so the plan may
// lack one. Reason is the finding's message.
type Unjudged struct {
	Rule     string `json:"rule"`
	Resource string `json:"resource"`
	Reason   string `json:"reason"`
}

// Plan is the ordered list of changes for one account.
type Plan struct {
	Account  string     `json:"account"`
	Steps    []Step     `json:"steps"`
	Manual   []Manual   `json:"manual,omitempty"`
	Refused  []Refusal  `json:"refused,omitempty"`
	Unjudged []Unjudged `json:"unjudged,omitempty"`
}

// Options are the user's choices that shape the plan.
type Options struct {
	// Rules limits planning to these rule IDs; empty means every fixable rule.
	Rules            []string
	WithReadEvents   bool
	KMSKeyARN        string
	RetentionDays    int
	LockMode         string // GOVERNANCE or COMPLIANCE
	MinRetentionDays int
	LogRetentionDays int
	AccessLogBucket  string
	AlarmTopicARN    string
	// Facts holds what the CLI looked up about the inputs above.
	Facts Facts
}

// Facts are properties of user-named resources that planning checks; the
// caller reads them (see Probe) so that Plan itself stays pure.
type Facts struct {
	AccessLog *BucketFacts `json:"accessLog,omitempty"`
	Key       *KeyFacts    `json:"key,omitempty"`
	Topic     *TopicFacts  `json:"topic,omitempty"`
}

// BucketFacts describes the --access-log-bucket.
type BucketFacts struct {
	Name       string `json:"name"`
	Exists     bool   `json:"exists"`
	Owned      bool   `json:"owned"`
	Region     string `json:"region"`
	ObjectLock bool   `json:"objectLock"`
	// LogDelivery is true when the bucket's ACL or policy lets S3 deliver
	// server access logs into it.
	LogDelivery bool   `json:"logDelivery"`
	Problem     string `json:"problem,omitempty"`
}

// KeyFacts describes the --kms-key.
type KeyFacts struct {
	ARN       string `json:"arn"`
	Region    string `json:"region"`
	Enabled   bool   `json:"enabled"`
	Symmetric bool   `json:"symmetric"`
	Policy    string `json:"policy"`
	Problem   string `json:"problem,omitempty"`
}

// TopicFacts describes the --alarm-topic.
type TopicFacts struct {
	ARN       string `json:"arn"`
	Exists    bool   `json:"exists"`
	Confirmed int    `json:"confirmed"`
	Problem   string `json:"problem,omitempty"`
}

// DefaultOptions are the documented defaults of 'trailseal fix'.
func DefaultOptions() Options {
	return Options{RetentionDays: 365, LockMode: "GOVERNANCE", MinRetentionDays: 365, LogRetentionDays: 365}
}

// ManualOnly lists the rules for which fix prints instructions only.
var ManualOnly = []string{"bucket.mfa_delete", "bucket.dedicated_account", "account.organization_trail", "iam.cloudtrail_full_access"}

// planner accumulates steps while Plan walks the findings.
type planner struct {
	inv   *inventory.Inventory
	opts  Options
	plan  *Plan
	fails map[string][]findings.Finding // rule ID -> FAIL findings
	// byKey maps a step key to its index in plan.Steps. An index, not a
	// pointer: appending later steps may move the slice.
	byKey map[string]int
	// covered holds account-level rules that trail steps fix as a side
	// effect, so they are not listed as manual.
	covered map[string]bool
	// trailOf maps the key of a step planned for a trail to the trail's
	// ARN, so that starting the trail's logging can wait for them.
	trailOf map[string]string
}

// NewPlan computes the changes that fix the FAIL findings. It never calls AWS.
func NewPlan(inv *inventory.Inventory, fs []findings.Finding, opts Options) *Plan {
	p := &planner{inv: inv, opts: opts, plan: &Plan{Account: inv.Account.ID}, fails: map[string][]findings.Finding{}, byKey: map[string]int{}, covered: map[string]bool{}, trailOf: map[string]string{}}
	for _, f := range fs {
		if (f.Status != findings.Fail && f.Status != findings.Error) || f.Suppressed != nil {
			continue
		}
		if len(opts.Rules) > 0 && !slices.Contains(opts.Rules, f.RuleID) {
			continue
		}
		if f.Status == findings.Error {
			// A FAIL may hide behind it: say so rather than plan nothing.
			if isFixable(f.RuleID) || slices.Contains(ManualOnly, f.RuleID) {
				p.plan.Unjudged = append(p.plan.Unjudged, Unjudged{Rule: f.RuleID, Resource: f.Resource, Reason: f.Message})
			}
			continue
		}
		p.fails[f.RuleID] = append(p.fails[f.RuleID], f)
	}
	p.planBuckets()
	p.planTrails()
	p.planMonitoring()
	for _, k := range sortedKinds() {
		if plan := kinds[k].plan; plan != nil {
			plan(p)
		}
	}
	p.planAccountRules()
	p.planManual()
	p.order()
	return p.plan
}

func (p *planner) failing(rule string) []findings.Finding { return p.fails[rule] }

func (p *planner) failsOn(rule, resource string) bool {
	for _, f := range p.fails[rule] {
		if f.Resource == resource {
			return true
		}
	}
	return false
}

func (p *planner) refuse(rule, resource, format string, args ...any) {
	p.plan.Refused = append(p.plan.Refused, Refusal{Rule: rule, Resource: resource, Reason: fmt.Sprintf(format, args...)})
}

// add records a step under a key that later steps use to depend on it. A
// second step with the same key merges its rules into the first.
func (p *planner) add(key string, s Step) *Step {
	if i, ok := p.byKey[key]; ok {
		old := &p.plan.Steps[i]
		for _, r := range s.Rules {
			if !slices.Contains(old.Rules, r) {
				old.Rules = append(old.Rules, r)
			}
		}
		return old
	}
	s.ID = key
	p.plan.Steps = append(p.plan.Steps, s)
	p.byKey[key] = len(p.plan.Steps) - 1
	return &p.plan.Steps[len(p.plan.Steps)-1]
}

func (p *planner) partition() string {
	if p.inv.Partition != "" {
		return p.inv.Partition
	}
	return "aws"
}

// order sorts steps so that every dependency comes first, keeping the
// planned order otherwise, and renumbers nothing: IDs are stable keys.
func (p *planner) order() {
	steps := p.plan.Steps
	ids := map[string]bool{}
	for _, s := range steps {
		ids[s.ID] = true
	}
	// Drop dependencies on steps that were not planned (already in place).
	for i := range steps {
		var deps []string
		for _, d := range steps[i].DependsOn {
			if ids[d] {
				deps = append(deps, d)
			}
		}
		steps[i].DependsOn = deps
		sort.Strings(steps[i].Rules)
	}
	var out []Step
	done := map[string]bool{}
	for len(out) < len(steps) {
		progressed := false
		for _, s := range steps {
			if done[s.ID] {
				continue
			}
			ready := true
			for _, d := range s.DependsOn {
				if !done[d] {
					ready = false
				}
			}
			if ready {
				out = append(out, s)
				done[s.ID] = true
				progressed = true
			}
		}
		if !progressed {
			// A cycle is a planner bug; keep the rest in planned order
			// rather than lose steps.
			for _, s := range steps {
				if !done[s.ID] {
					out = append(out, s)
					done[s.ID] = true
				}
			}
		}
	}
	p.plan.Steps = out
	p.byKey = nil
}

// Empty reports whether the plan changes nothing.
func (pl *Plan) Empty() bool { return len(pl.Steps) == 0 }

func boolPtr(b bool) *bool { return &b }

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// ownTrails are the trails this account owns and can change, each once.
func (p *planner) ownTrails() []*inventory.Trail {
	var out []*inventory.Trail
	for i := range p.inv.Trails {
		t := &p.inv.Trails[i]
		if t.OwnerAccountID == "" || t.OwnerAccountID == p.inv.Account.ID {
			out = append(out, t)
		}
	}
	return out
}

// primaryTrail is the trail account-level fixes (data events, alarms) go
// to: a multi-region trail if there is one (or one being made so), logging
// preferred.
func (p *planner) primaryTrail() *inventory.Trail {
	var best *inventory.Trail
	score := -1
	for _, t := range p.ownTrails() {
		s := 0
		if t.IsMultiRegion || p.failsOn("trail.multi_region", t.ARN) {
			s += 2
		}
		if t.Status.Value != nil && t.Status.Value.IsLogging {
			s++
		}
		if s > score {
			best, score = t, s
		}
	}
	return best
}

func trailsOfBucket(inv *inventory.Inventory, bucket string) []inventory.Trail {
	var out []inventory.Trail
	for _, t := range inv.Trails {
		if t.S3BucketName == bucket {
			out = append(out, t)
		}
	}
	return out
}

func bucketRegion(b *inventory.Bucket) string {
	if b != nil && b.Region.Value != nil {
		return *b.Region.Value
	}
	return ""
}

func logPrefixes(trails []inventory.Trail) []string {
	var out []string
	for _, t := range trails {
		p := strings.Trim(t.S3KeyPrefix, "/")
		if p != "" {
			p += "/"
		}
		p += "AWSLogs/"
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}
