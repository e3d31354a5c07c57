package fix

import (
	"context"
	"fmt"
)

// setting describes a kind that changes one setting of one resource with
// one write call: it reads the setting, works out the value fix wants,
// records both in the journal, then writes. S is the setting's state: a
// trailseal type with JSON tags, which is what the journal holds.
//
// From these few functions the setting builds the kind's apply, resolve
// and undo, so every such kind gets the same guarantees: nothing is
// written before the journal says what it replaces, an interrupted write is
// settled by reading the setting back, and undo writes the old value only
// while the setting is as fix left it.
type setting[S any] struct {
	// read returns the resource's current state.
	read func(ctx context.Context, c *Clients, s Step) (S, error)
	// target is the state fix sets, given the state before. from gives
	// the identifiers earlier steps created.
	target func(s Step, prev S, from outputFunc) (S, error)
	// check, when set, refuses the write after prev was read.
	check func(s Step, prev S) error
	// write makes the state v: the target on apply, the state before on
	// undo.
	write func(ctx context.Context, c *Clients, s Step, v S, undo bool) error
	// same reports whether two states agree on what the step changes.
	same func(s Step, a, b S) bool
	// show describes what the step changes of a state, for people.
	show func(s Step, v S) string
	// keep, when set, reports that undo has nothing to write, and why (the
	// setting already had the value fix wanted).
	keep func(s Step, prev S) (string, bool)
	// reverted says what undo did.
	reverted func(s Step, prev S) string
	// manual is the command that puts prev back by hand.
	manual func(s Step, prev S) string
}

// outputFunc returns an identifier an earlier step created ("keyArn" of
// step "kms.create_key:main").
type outputFunc func(step, key string) (string, error)

// ops fills in the apply, resolve and undo of k.
func (k setting[S]) ops(o kindOps) kindOps {
	o.apply, o.resolve, o.undo = k.apply, k.resolve, k.undo
	return o
}

func (k setting[S]) apply(ctx context.Context, r *stepRun) error {
	prev, err := k.read(ctx, r.clients, r.step)
	if err != nil {
		return err
	}
	want, err := k.target(r.step, prev, r.from)
	if err != nil {
		return err
	}
	if err := r.intend(prev, want); err != nil {
		return err
	}
	if k.check != nil {
		if err := k.check(r.step, prev); err != nil {
			return err
		}
	}
	return k.write(ctx, r.clients, r.step, want, false)
}

func (k setting[S]) resolve(ctx context.Context, r *stepRun) error {
	e := r.entry()
	if r.journal.Run == "" {
		// Version 1 journals recorded the state before only after the
		// write: without it nothing can be told or undone.
		r.settle(Failed, "the run stopped during this step, and a journal of version 1 records no value from before it: check "+r.step.Resource+" by hand")
		return nil
	}
	if len(e.Previous) == 0 || len(e.Left) == 0 {
		// The state was recorded before the write; without it, nothing was
		// written.
		r.settle(Failed, "interrupted before the change was made")
		return nil
	}
	prev, err := decodeState[S](e.Previous, "previous value")
	if err != nil {
		return err
	}
	left, err := decodeState[S](e.Left, "value fix writes")
	if err != nil {
		return err
	}
	cur, err := k.read(ctx, r.clients, r.step)
	if err != nil {
		return err
	}
	switch {
	case k.same(r.step, cur, left):
		r.settle(Applied, "")
		r.entry().Note = "the answer to the write was lost to an interruption; read back afterwards, the change is in place"
	case k.same(r.step, cur, prev):
		r.settle(Failed, "interrupted: read back afterwards, the change was not made")
	default:
		r.settle(Failed, fmt.Sprintf("interrupted: read back afterwards, it is %s, neither the value before (%s) nor the one fix writes (%s): check it by hand",
			k.show(r.step, cur), k.show(r.step, prev), k.show(r.step, left)))
	}
	return nil
}

func (k setting[S]) undo(ctx context.Context, u *undoRun) (string, error) {
	s := u.entry.Step
	prev, err := decodeState[S](u.entry.Previous, "previous value for step "+s.ID)
	if err != nil {
		return "", err
	}
	if k.keep != nil {
		if note, ok := k.keep(s, prev); ok {
			return note, nil
		}
	}
	left, err := k.left(u, prev)
	if err != nil {
		return "", err
	}
	cur, err := k.read(ctx, u.clients, s)
	if err != nil {
		return "", err
	}
	if !k.same(s, cur, left) {
		if err := u.changed(k.show(s, cur), k.show(s, left), k.manual(s, prev)); err != nil {
			return "", err
		}
	}
	if err := k.write(ctx, u.clients, s, prev, true); err != nil {
		return "", err
	}
	return k.reverted(s, prev), nil
}

// left is the state the journal says fix left. Journals of version 1 did
// not record it; for them it is worked out again from the state before, as
// apply did.
func (k setting[S]) left(u *undoRun, prev S) (S, error) {
	if len(u.entry.Left) > 0 {
		return decodeState[S](u.entry.Left, "value fix wrote")
	}
	return k.target(u.entry.Step, prev, u.from)
}

// The helpers below serve the bucket settings S3 deletes rather than
// empties (a bucket policy, a lifecycle configuration, a Block Public
// Access configuration): the Get call answers an error code when there is
// none, and undo puts "none" back with the Delete call.

// readOptional finishes reading such a setting: the state present returns
// after a Get that succeeded, the zero state (none) when S3 answered
// absentCode, or the error.
func readOptional[S any](err error, absentCode string, present func() S) (S, error) {
	var none S
	switch {
	case err == nil:
		return present(), nil
	case errorCode(err) == absentCode:
		return none, nil
	}
	return none, err
}

// revertedOptional says what undo did: removed the setting (named by
// noun) when there was none before, or restored the previous one.
func revertedOptional(existed bool, noun, previous string) string {
	if !existed {
		return "removed " + noun + " (there was none)"
	}
	return "restored " + previous
}

// manualOptional is the command that puts the setting back by hand: the
// s3api deleteOp when there was none, else putOp with putArgs.
func manualOptional(existed bool, bucket, region, deleteOp, putOp, putArgs string) string {
	if !existed {
		return "aws s3api " + deleteOp + " --bucket " + shq(bucket) + " --region " + region
	}
	return "aws s3api " + putOp + " --bucket " + shq(bucket) + " --region " + region + " " + putArgs
}
