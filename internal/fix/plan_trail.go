package fix

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/selectors"
)

func (p *planner) planTrails() {
	for _, t := range p.ownTrails() {
		p.planTrail(t)
	}
	p.planDataEvents()
	// StartLogging goes last for each trail so that the trail starts with
	// its final configuration.
	for i := range p.plan.Steps {
		s := &p.plan.Steps[i]
		if s.Kind != KindTrailStart {
			continue
		}
		for _, o := range p.plan.Steps {
			if o.ID != s.ID && p.trailOf[o.ID] == p.trailOf[s.ID] && o.Kind != KindTrailStart {
				s.DependsOn = append(s.DependsOn, o.ID)
			}
		}
	}
}

// addForTrail adds a step planned for trail t.
func (p *planner) addForTrail(t *inventory.Trail, key string, s Step) *Step {
	p.trailOf[key] = t.ARN
	return p.add(key, s)
}

func trailRef(t *inventory.Trail) TrailRef { return TrailRef{TrailARN: t.ARN, TrailName: t.Name} }

func (p *planner) planTrail(t *inventory.Trail) {
	key := func(rule string) string { return rule + ":" + t.Name }
	if p.failsOn("trail.log_file_validation", t.ARN) {
		b := p.inv.Bucket(t.S3BucketName)
		var blocking []string
		if b != nil && b.Policy.Value != nil && b.Policy.Value.Exists {
			blocking = kmsOnlyDeny(b.Policy.Value.Document)
		}
		if len(blocking) > 0 {
			p.refuse("trail.log_file_validation", t.ARN, "the policy of bucket %s (%s) denies PutObject unless SSE-KMS is used, and CloudTrail writes digest files with SSE-S3: allow AES256 in that statement first, then re-run",
				t.S3BucketName, strings.Join(blocking, ", "))
		} else {
			s := Step{Rules: []string{"trail.log_file_validation"}, Kind: KindTrailUpdate, Region: t.HomeRegion, Resource: t.ARN,
				Summary: "turn on log file validation of trail " + t.Name, Before: "LogFileValidationEnabled false", After: "LogFileValidationEnabled true",
				Reversible: true, Params: &TrailUpdateParams{TrailRef: trailRef(t), LogFileValidation: boolPtr(true)}}
			p.addForTrail(t, key("trail.log_file_validation"), s)
		}
	}
	if p.failsOn("trail.multi_region", t.ARN) {
		s := Step{Rules: []string{"trail.multi_region"}, Kind: KindTrailUpdate, Region: t.HomeRegion, Resource: t.ARN,
			Summary: "make trail " + t.Name + " multi-region", Before: "IsMultiRegionTrail false", After: "IsMultiRegionTrail true",
			Reversible: true}
		params := &TrailUpdateParams{TrailRef: trailRef(t), MultiRegion: boolPtr(true)}
		s.Params = params
		if !t.IncludeGlobalServiceEvents {
			// CloudTrail rejects a multi-region trail without global events.
			params.GlobalEvents = boolPtr(true)
			s.After += ", IncludeGlobalServiceEvents true"
			s.Before += ", IncludeGlobalServiceEvents false"
			s.Rules = append(s.Rules, "trail.global_service_events")
		}
		p.addForTrail(t, key("trail.multi_region"), s)
	} else if p.failsOn("trail.global_service_events", t.ARN) {
		s := Step{Rules: []string{"trail.global_service_events"}, Kind: KindTrailUpdate, Region: t.HomeRegion, Resource: t.ARN,
			Summary: "record global service events on trail " + t.Name, Before: "IncludeGlobalServiceEvents false", After: "IncludeGlobalServiceEvents true",
			Reversible: true, Params: &TrailUpdateParams{TrailRef: trailRef(t), GlobalEvents: boolPtr(true)}}
		p.addForTrail(t, key("trail.global_service_events"), s)
	}
	if p.failsOn("trail.management_events", t.ARN) {
		p.planSelectors(t, true, false, false, []string{"trail.management_events"})
	}
	if p.failsOn("trail.kms_encryption", t.ARN) {
		p.planTrailKMS(t)
	}
	if p.failsOn("trail.kms_key_rotation", t.ARN) {
		k := p.inv.Key(t.KMSKeyID)
		switch {
		case k == nil || k.Metadata.Value == nil:
			p.refuse("trail.kms_key_rotation", t.ARN, "key %s of trail %s could not be read: fix the read permission and re-run", t.KMSKeyID, t.Name)
		case k.OwnerAccountID != "" && k.OwnerAccountID != p.inv.Account.ID:
			p.refuse("trail.kms_key_rotation", t.ARN, "key %s belongs to account %s: turn on rotation there", k.ARN, k.OwnerAccountID)
		default:
			s := Step{Rules: []string{"trail.kms_key_rotation"}, Kind: KindKeyRotation, Region: k.Region, Resource: k.ARN,
				Summary: "turn on automatic rotation of key " + k.ARN, Before: "rotation off", After: "rotation on (yearly)",
				Reversible: true, Params: &KeyRotationParams{KeyID: k.ARN}}
			p.addForTrail(t, "kms.rotation:"+k.ARN, s)
		}
	}
	if p.failsOn("trail.cloudwatch_logs", t.ARN) {
		p.planCloudWatch(t)
	}
	if p.failsOn("trail.logging", t.ARN) {
		s := Step{Rules: []string{"trail.logging"}, Kind: KindTrailStart, Region: t.HomeRegion, Resource: t.ARN,
			Summary: "start logging on trail " + t.Name, Before: "IsLogging false", After: "IsLogging true",
			Reversible: true, Params: &StartParams{TrailRef: trailRef(t)}}
		p.addForTrail(t, key("trail.logging"), s)
	}
}

func (p *planner) planTrailKMS(t *inventory.Trail) {
	const rule = "trail.kms_encryption"
	bucket := p.inv.Bucket(t.S3BucketName)
	region := bucketRegion(bucket)
	if region == "" {
		region = t.HomeRegion
	}
	params := &TrailUpdateParams{TrailRef: trailRef(t)}
	s := Step{Rules: []string{rule}, Kind: KindTrailUpdate, Region: t.HomeRegion, Resource: t.ARN,
		Before: "logs encrypted with SSE-S3 only", Reversible: true, Params: params}
	if arn := p.opts.KMSKeyARN; arn != "" {
		f := p.opts.Facts.Key
		switch {
		case f == nil || f.ARN != arn:
			p.refuse(rule, t.ARN, "--kms-key %s was not checked: this is a bug, please report it", arn)
			return
		case f.Problem != "":
			p.refuse(rule, t.ARN, "--kms-key %s: %s", arn, f.Problem)
			return
		case !f.Enabled || !f.Symmetric:
			p.refuse(rule, t.ARN, "--kms-key %s must be an enabled symmetric key", arn)
			return
		case f.Region != region:
			p.refuse(rule, t.ARN, "--kms-key %s is in %s but bucket %s is in %s: CloudTrail needs the key in the bucket's region", arn, f.Region, t.S3BucketName, region)
			return
		}
		if err := CheckKeyPolicy(f.Policy, t.ARN); err != nil {
			p.refuse(rule, t.ARN, "--kms-key %s: %v", arn, err)
			return
		}
		s.Summary = "encrypt trail " + t.Name + " logs with key " + arn
		s.After = "SSE-KMS with " + arn
		params.KMSKeyID = arn
		p.addForTrail(t, rule+":"+t.Name, s)
		return
	}
	kp := TrailKeyPolicy(p.partition(), p.inv.Account.ID, t.ARN)
	if err := CheckKeyPolicy(kp, t.ARN); err != nil {
		p.refuse(rule, t.ARN, "generated key policy is not usable by CloudTrail (%v): this is a bug, please report it", err)
		return
	}
	k := Step{Rules: []string{rule}, Kind: KindCreateKey, Region: region, Resource: "kms key for trail " + t.Name,
		Summary: fmt.Sprintf("create a KMS key in %s for trail %s, usable only by that trail, with yearly rotation", region, t.Name),
		Before:  "no key", After: "new symmetric key, CloudTrail-scoped key policy (aws:SourceArn and encryption context), rotation on",
		NotReversible: "trailseal never deletes a KMS key; schedule its deletion yourself if you no longer want it",
		Params: &CreateKeyParams{TrailRef: trailRef(t), KeyPolicy: kp,
			KeyDescription: "CloudTrail log encryption for trail " + t.Name + " (created by trailseal)"}}
	p.addForTrail(t, "kms.create_key:"+t.Name, k)
	s.Summary = "encrypt trail " + t.Name + " logs with the new key"
	s.After = "SSE-KMS with the key created by step kms.create_key:" + t.Name
	params.KMSKeyFrom = "kms.create_key:" + t.Name
	s.DependsOn = []string{"kms.create_key:" + t.Name}
	p.addForTrail(t, rule+":"+t.Name, s)
}

// LogGroupName is the log group fix creates for a trail.
func LogGroupName(trail string) string { return "trailseal/cloudtrail/" + trail }

// LogsRoleName is the role fix creates for CloudTrail to write to the group.
func LogsRoleName(trail string) string {
	n := "trailseal-cloudtrail-logs-" + trail
	if len(n) > 64 {
		n = n[:64]
	}
	return n
}

func (p *planner) planCloudWatch(t *inventory.Trail) {
	const rule = "trail.cloudwatch_logs"
	if t.CloudWatchLogsLogGroupARN != "" {
		p.plan.Manual = append(p.plan.Manual, Manual{Rule: rule, Resource: t.ARN, Steps: []string{
			fmt.Sprintf("trail %s already delivers to %s but delivery fails or is stale: check that role %s trusts cloudtrail.amazonaws.com and may call logs:CreateLogStream and logs:PutLogEvents on that group",
				t.Name, t.CloudWatchLogsLogGroupARN, orNone(t.CloudWatchLogsRoleARN, "(none)")),
		}})
		return
	}
	group := LogGroupName(t.Name)
	groupARN := fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s:*", p.partition(), t.HomeRegion, p.inv.Account.ID, group)
	g := Step{Rules: []string{rule}, Kind: KindCreateLogGroup, Region: t.HomeRegion, Resource: groupARN,
		Summary: fmt.Sprintf("create log group %s with %d days retention", group, p.opts.LogRetentionDays),
		Before:  "no log group", After: fmt.Sprintf("log group %s, retention %d days", group, p.opts.LogRetentionDays),
		NotReversible: "trailseal never deletes a log group; delete it yourself if you no longer want it",
		Params:        &LogGroupParams{TrailRef: trailRef(t), LogGroupName: group, RetentionDays: p.opts.LogRetentionDays, LogGroupARN: groupARN}}
	p.addForTrail(t, "logs.group:"+t.Name, g)

	role := LogsRoleName(t.Name)
	r := Step{Rules: []string{rule}, Kind: KindCreateLogsRole, Region: "global",
		Resource: fmt.Sprintf("arn:%s:iam::%s:role/%s", p.partition(), p.inv.Account.ID, role),
		Summary:  "create role " + role + " that lets CloudTrail write to " + group + " only",
		Before:   "no role", After: "role " + role + " trusted by cloudtrail.amazonaws.com (aws:SourceAccount), allowed logs:CreateLogStream and logs:PutLogEvents on " + group,
		Reversible: true, Params: &LogsRoleParams{TrailRef: trailRef(t), RoleName: role, Account: p.inv.Account.ID, LogGroupARN: groupARN}}
	p.addForTrail(t, "iam.role:"+t.Name, r)

	u := Step{Rules: []string{rule}, Kind: KindTrailUpdate, Region: t.HomeRegion, Resource: t.ARN,
		Summary: "deliver trail " + t.Name + " to CloudWatch Logs group " + group, Before: "no CloudWatch Logs delivery",
		After: "delivers to " + groupARN, DependsOn: []string{"logs.group:" + t.Name, "iam.role:" + t.Name},
		Reversible: true, Params: &TrailUpdateParams{TrailRef: trailRef(t), LogGroupFrom: "logs.group:" + t.Name, RoleFrom: "iam.role:" + t.Name}}
	p.addForTrail(t, rule+":"+t.Name, u)
}

// planSelectors merges the wanted coverage into one PutEventSelectors step
// per trail.
func (p *planner) planSelectors(t *inventory.Trail, mgmt, write, read bool, rules []string) {
	key := "trail.event_selectors:" + t.Name
	cur := inventory.EventSelectors{}
	for _, s := range p.plan.Steps {
		if s.ID == key {
			cur = *s.Params.(*SelectorsParams).Selectors
			mgmt = mgmt || slices.Contains(s.Rules, "trail.management_events")
		}
	}
	if t.Selectors.Value == nil {
		p.refuse(rules[0], t.ARN, "event selectors of trail %s could not be read (%s): fix the read permission and re-run", t.Name, t.Selectors.Problem())
		return
	}
	if len(cur.Basic) == 0 && len(cur.Advanced) == 0 {
		cur = *t.Selectors.Value
	}
	next, err := WantSelectors(cur, p.partition(), mgmt, write, read)
	if err != nil {
		p.refuse(rules[0], t.ARN, "trail %s: %v", t.Name, err)
		return
	}
	before := selectors.EvaluatePartition(*t.Selectors.Value, p.partition()).Summary()
	after := selectors.EvaluatePartition(next, p.partition()).Summary()
	s := Step{Rules: rules, Kind: KindTrailSelectors, Region: t.HomeRegion, Resource: t.ARN,
		Summary: "change the event selectors of trail " + t.Name, Before: before, After: after,
		Reversible: true, Params: &SelectorsParams{TrailRef: trailRef(t), Partition: p.partition(), Selectors: &next}}
	st := p.addForTrail(t, key, s)
	st.Params.(*SelectorsParams).Selectors = &next
	st.After = after
}

func (p *planner) planDataEvents() {
	write := len(p.failing("trail.s3_data_events_write")) > 0
	read := len(p.failing("trail.s3_data_events_read")) > 0 && p.opts.WithReadEvents
	if len(p.failing("trail.s3_data_events_read")) > 0 && !p.opts.WithReadEvents {
		p.refuse("trail.s3_data_events_read", p.failing("trail.s3_data_events_read")[0].Resource,
			"S3 read data events are billed per event and can be costly: pass --with-read-events to record them")
	}
	if !write && !read {
		return
	}
	var rules []string
	if write {
		rules = append(rules, "trail.s3_data_events_write")
	}
	if read {
		rules = append(rules, "trail.s3_data_events_read")
	}
	t := p.primaryTrail()
	if t == nil {
		for _, r := range rules {
			p.refuse(r, p.fails[r][0].Resource, "account %s owns no trail to record data events on: create a multi-region trail first", p.inv.Account.ID)
		}
		return
	}
	if !t.IsMultiRegion && !p.failsOn("trail.multi_region", t.ARN) {
		p.refuse(rules[0], t.ARN, "trail %s is not multi-region and trail.multi_region is not being fixed: include it in --rules", t.Name)
		return
	}
	p.planSelectors(t, false, write, read, rules)
}

// WantSelectors returns sel changed so that it records every management
// event (mgmt) and S3 object writes (write) or reads (read) in every bucket.
// Data selectors the trail has are kept; management selectors that leave
// events out are replaced by one that records all.
func WantSelectors(sel inventory.EventSelectors, partition string, mgmt, write, read bool) (inventory.EventSelectors, error) {
	out := inventory.EventSelectors{}
	if len(sel.Advanced) > 0 {
		for _, a := range sel.Advanced {
			if mgmt && advancedCategory(a) == "Management" {
				continue
			}
			out.Advanced = append(out.Advanced, a)
		}
		if mgmt {
			out.Advanced = append([]inventory.AdvancedEventSelector{{Name: "All management events",
				FieldSelectors: []inventory.FieldSelector{{Field: "eventCategory", Equals: []string{"Management"}}}}}, out.Advanced...)
		}
		if write || read {
			fs := []inventory.FieldSelector{
				{Field: "eventCategory", Equals: []string{"Data"}},
				{Field: "resources.type", Equals: []string{"AWS::S3::Object"}},
			}
			name := "S3 object reads and writes in all buckets"
			if !read {
				fs = append(fs, inventory.FieldSelector{Field: "readOnly", Equals: []string{"false"}})
				name = "S3 object writes in all buckets"
			}
			out.Advanced = append(out.Advanced, inventory.AdvancedEventSelector{Name: name, FieldSelectors: fs})
		}
	} else {
		basic := sel.Basic
		if len(basic) == 0 {
			// No custom selectors means all management events.
			basic = []inventory.EventSelector{{ReadWriteType: "All", IncludeManagementEvents: true}}
		}
		for _, b := range basic {
			if mgmt {
				b.IncludeManagementEvents = false
				b.ExcludeManagementEventSources = nil
			}
			if !b.IncludeManagementEvents && len(b.DataResources) == 0 {
				continue
			}
			out.Basic = append(out.Basic, b)
		}
		if mgmt {
			out.Basic = append([]inventory.EventSelector{{ReadWriteType: "All", IncludeManagementEvents: true}}, out.Basic...)
		}
		if write || read {
			rw := "WriteOnly"
			if read {
				rw = "All"
			}
			out.Basic = append(out.Basic, inventory.EventSelector{ReadWriteType: rw,
				DataResources: []inventory.DataResource{{Type: "AWS::S3::Object", Values: []string{"arn:" + partition + ":s3"}}}})
		}
		if len(out.Basic) > 5 {
			return sel, fmt.Errorf("the change would need %d basic event selectors and CloudTrail allows 5: merge them by hand or switch to advanced selectors", len(out.Basic))
		}
	}
	cov := selectors.EvaluatePartition(out, partition)
	switch {
	case mgmt && cov.Management.Kind() != selectors.ManagementAll:
		return sel, fmt.Errorf("could not reach full management event coverage (%s): change the selectors by hand", cov.Management.Describe())
	case write && cov.S3Write.Level != selectors.All:
		return sel, fmt.Errorf("could not reach S3 write coverage of all buckets (%s): change the selectors by hand", cov.S3Write.Describe())
	case read && cov.S3Read.Level != selectors.All:
		return sel, fmt.Errorf("could not reach S3 read coverage of all buckets (%s): change the selectors by hand", cov.S3Read.Describe())
	}
	return out, nil
}

func advancedCategory(a inventory.AdvancedEventSelector) string {
	for _, f := range a.FieldSelectors {
		if f.Field == "eventCategory" && len(f.Equals) == 1 {
			return f.Equals[0]
		}
	}
	return ""
}

// planAccountRules credits the account-level trail rules to the steps that
// will make them pass: a trail of the account logging (account.trail_logging)
// and one that is at once multi-region, logging and recording all
// management events (account.multi_region_trail).
func (p *planner) planAccountRules() {
	t := p.primaryTrail()
	if t == nil {
		return
	}
	step := func(id string) *Step {
		if i, ok := p.byKey[id+":"+t.Name]; ok {
			return &p.plan.Steps[i]
		}
		return nil
	}
	logging := t.Status.Value != nil && t.Status.Value.IsLogging
	start := step("trail.logging")
	if len(p.failing("account.trail_logging")) > 0 && start != nil {
		start.Rules = append(start.Rules, "account.trail_logging")
		p.covered["account.trail_logging"] = true
	}
	if len(p.failing("account.multi_region_trail")) == 0 {
		return
	}
	sel := step("trail.event_selectors")
	mgmtAll := t.Selectors.Value != nil && selectors.EvaluatePartition(*t.Selectors.Value, p.partition()).Management.Kind() == selectors.ManagementAll
	if sel != nil && slices.Contains(sel.Rules, "trail.management_events") {
		mgmtAll = true
	}
	multi := t.IsMultiRegion || step("trail.multi_region") != nil
	if !(logging || start != nil) || !multi || !mgmtAll {
		return
	}
	for _, id := range []string{"trail.logging", "trail.multi_region", "trail.event_selectors"} {
		if s := step(id); s != nil {
			s.Rules = append(s.Rules, "account.multi_region_trail")
			p.covered["account.multi_region_trail"] = true
			return
		}
	}
}
