package fix

import (
	"encoding/json"
	"fmt"
	"time"
)

// Journals of version 1 were written until the step kinds became typed.
// Their layout is the same as version 2's but for three things:
//
//   - "version": 1 instead of "schemaVersion", and no run;
//   - each step's params are one object with the fields of every kind;
//     each kind's params type uses the same names, so a step decodes into
//     its kind's type unchanged;
//   - three previous values were SDK types marshalled with Go's field
//     names: the Block Public Access configuration (upgraded below), and a
//     bucket's lifecycle rules and a metric filter's transformations, whose
//     journal types (lifecycleRule, metricTransformation) have the same
//     names in lower camel case, which encoding/json matches regardless of
//     case.
//
// Nothing else was recorded then that version 2 records: the state fix
// left (Left) is worked out again from the state before when an entry is
// undone. testdata/journal-v1-*.json are journals written by version 1;
// the golden tests undo them.

// v1Journal is the top level of a version 1 journal.
type v1Journal struct {
	Account   string    `json:"account"`
	StartedAt time.Time `json:"startedAt"`
	Entries   []Entry   `json:"entries"`
}

// v1BPA is the previous value of a Block Public Access step in version 1.
type v1BPA struct {
	Configured bool `json:"configured"`
	Config     *struct {
		BlockPublicAcls       *bool `json:"BlockPublicAcls"`
		IgnorePublicAcls      *bool `json:"IgnorePublicAcls"`
		BlockPublicPolicy     *bool `json:"BlockPublicPolicy"`
		RestrictPublicBuckets *bool `json:"RestrictPublicBuckets"`
	} `json:"config"`
}

func upgradeV1(data []byte) (*Journal, error) {
	var old v1Journal
	if err := json.Unmarshal(data, &old); err != nil {
		return nil, err
	}
	j := &Journal{SchemaVersion: SchemaVersion, Tool: "trailseal", Account: old.Account, StartedAt: old.StartedAt, Entries: old.Entries}
	for i := range j.Entries {
		e := &j.Entries[i]
		if e.Step.Kind != KindBucketBPA || len(e.Previous) == 0 {
			continue
		}
		var v1 v1BPA
		if err := json.Unmarshal(e.Previous, &v1); err != nil {
			return nil, fmt.Errorf("step %s: previous Block Public Access: %w", e.Step.ID, err)
		}
		v := bpaState{Configured: v1.Configured}
		if c := v1.Config; c != nil {
			v.BlockPublicAcls, v.IgnorePublicAcls = c.BlockPublicAcls != nil && *c.BlockPublicAcls, c.IgnorePublicAcls != nil && *c.IgnorePublicAcls
			v.BlockPublicPolicy, v.RestrictPublicBuckets = c.BlockPublicPolicy != nil && *c.BlockPublicPolicy, c.RestrictPublicBuckets != nil && *c.RestrictPublicBuckets
		}
		e.Previous = marshal(v)
	}
	return j, nil
}
