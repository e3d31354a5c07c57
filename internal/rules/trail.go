package rules

// trailRules is filled in by the trail rule family.
func trailRules() []Rule { return nil }
