package fix

// Every resource fix creates carries these tags. created-by says who made
// it; trailseal:run and trailseal:step name the journal's run and the step,
// so that a later run can find what a killed run created before the
// journal learnt its identifier (a new key's ARN).
const (
	tagCreatedBy = "created-by"
	tagRun       = "trailseal:run"
	tagStep      = "trailseal:step"
)

// creationTags are the tags of a resource the step creates.
func (r *stepRun) creationTags() map[string]string {
	return map[string]string{tagCreatedBy: "trailseal", tagRun: r.journal.Run, tagStep: r.step.ID}
}

// createdHere reports whether tags mark a resource created by this step of
// this run. A journal of version 1 has no run, and its resources have no
// such tags.
func (r *stepRun) createdHere(tags map[string]string) bool {
	return r.journal.Run != "" && tags[tagRun] == r.journal.Run && tags[tagStep] == r.step.ID
}
