package rules

// All returns every rule in catalog order. Rules are listed explicitly, family
// by family; each family function lives in the file that implements it.
func All() []Rule {
	var all []Rule
	all = append(all, accountRules()...)
	all = append(all, trailRules()...)
	all = append(all, bucketRules()...)
	all = append(all, identityRules()...)
	all = append(all, monitoringRules()...)
	return all
}
