package rules

// accountRules is filled in by the account rule family.
func accountRules() []Rule { return nil }
