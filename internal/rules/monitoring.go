package rules

// monitoringRules is filled in by the monitoring rule family.
func monitoringRules() []Rule { return nil }
