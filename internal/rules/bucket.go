package rules

// bucketRules is filled in by the bucket rule family.
func bucketRules() []Rule { return nil }
