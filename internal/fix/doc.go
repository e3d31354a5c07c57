// Package fix turns the findings of a scan into a remediation plan and
// applies it.
//
// The flow is one way: a fresh inventory and its findings go into Plan,
// which is pure and returns ordered Steps (each with the rules it fixes,
// the resource, the value before and after, the steps it depends on and
// whether it can be undone), manual instructions for what must not be
// changed automatically, and refusals that say why a change would break log
// delivery. Apply executes the steps through the AWS SDK, recording every
// change with its previous value in a Journal; Undo reads a journal back.
// EmitCLI and EmitTerraform render the same plan for people who prefer to
// run the change themselves.
//
// Safety is structural rather than a matter of care in each fixer: no step
// kind deletes a bucket, object, trail, key or log group, a step whose
// dependency failed is never attempted, and a step whose input changed since
// planning (a bucket policy edited in between) fails instead of overwriting.
package fix
