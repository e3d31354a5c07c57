package hunt

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/trailseal/trailseal/internal/hunt/record"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/selectors"
)

// checks maps each detection ID to its logic. A test keeps it in step with
// the catalog.
var checks = map[string]check{
	"hunt.trail_logging_stopped":               checkStopLogging,
	"hunt.trail_deleted":                       checkDeleteTrail,
	"hunt.trail_weakened":                      checkUpdateTrail,
	"hunt.trail_selectors_reduced":             checkEventSelectors,
	"hunt.trail_insights_reduced":              checkInsightSelectors,
	"hunt.lake_store_deleted":                  checkLakeDeleted,
	"hunt.lake_ingestion_stopped":              checkLakeStopped,
	"hunt.lake_store_weakened":                 checkLakeUpdated,
	"hunt.bucket_lifecycle_expires_logs":       checkLifecycle,
	"hunt.bucket_policy_weakened":              checkBucketPolicy,
	"hunt.bucket_acl_public":                   checkBucketACL,
	"hunt.bucket_public_access_block_removed":  checkBucketPAB,
	"hunt.account_public_access_block_removed": checkAccountPAB,
	"hunt.bucket_versioning_weakened":          checkVersioning,
	"hunt.bucket_access_logging_disabled":      checkBucketLogging,
	"hunt.bucket_object_lock_weakened":         checkObjectLock,
	"hunt.bucket_log_objects_deleted":          checkDeleteObjects,
	"hunt.bucket_deleted":                      checkDeleteBucket,
	"hunt.bucket_encryption_weakened":          checkBucketEncryption,
	"hunt.bucket_replication_removed":          checkReplication,
	"hunt.key_disabled":                        checkKeyDisabled,
	"hunt.key_deletion_scheduled":              checkKeyDeletion,
	"hunt.key_policy_drops_cloudtrail":         checkKeyPolicy,
	"hunt.key_rotation_disabled":               checkKeyRotation,
	"hunt.log_group_deleted":                   checkLogGroupDeleted,
	"hunt.log_stream_deleted":                  checkLogStreamDeleted,
	"hunt.log_retention_shortened":             checkLogRetention,
	"hunt.metric_filter_deleted":               checkMetricFilterDeleted,
	"hunt.alarm_deleted":                       checkAlarmsDeleted,
	"hunt.alarm_actions_disabled":              checkAlarmActions,
	"hunt.alarm_topic_deleted":                 checkTopicDeleted,
	"hunt.alarm_topic_unsubscribed":            checkUnsubscribe,
	"hunt.alarm_topic_policy_changed":          checkTopicAttributes,
	"hunt.config_recorder_stopped":             checkAlways("configuration recorder %s stopped", "configurationRecorderName"),
	"hunt.config_recorder_deleted":             checkAlways("configuration recorder %s deleted", "configurationRecorderName"),
	"hunt.config_delivery_channel_deleted":     checkAlways("delivery channel %s deleted", "deliveryChannelName"),
	"hunt.guardduty_detector_deleted":          checkAlways("detector %s deleted", "detectorId"),
	"hunt.guardduty_detector_disabled":         checkDetectorDisabled,
	"hunt.organization_left":                   checkLeaveOrganization,
}

// trailNote describes a trail for messages: what the inventory knows.
func trailNote(t inventory.Trail, known bool) string {
	if !known {
		return ""
	}
	var parts []string
	if t.IsMultiRegion {
		parts = append(parts, "multi-region")
	}
	if t.IsOrganizationTrail {
		parts = append(parts, "organization trail")
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func checkStopLogging(e *event) (*hit, string) {
	name, t, known := e.trailRef()
	return &hit{
		resource: trailResource(name, t, known),
		message:  "logging stopped for trail " + name + trailNote(t, known),
		evidence: map[string]any{"trail": name},
	}, ""
}

func checkDeleteTrail(e *event) (*hit, string) {
	name, t, known := e.trailRef()
	msg := "trail " + name + " deleted" + trailNote(t, known)
	if known {
		msg += fmt.Sprintf("; it wrote to s3://%s/%s", t.S3BucketName, t.S3KeyPrefix)
	}
	return &hit{resource: trailResource(name, t, known), message: msg, evidence: map[string]any{"trail": name}}, ""
}

// trailSwitch is a boolean trail setting UpdateTrail can turn off.
type trailSwitch struct {
	param, label string
	was          func(inventory.Trail) bool
}

var trailSwitches = []trailSwitch{
	{"enableLogFileValidation", "log file validation", func(t inventory.Trail) bool { return t.LogFileValidationEnabled }},
	{"isMultiRegionTrail", "multi-region", func(t inventory.Trail) bool { return t.IsMultiRegion }},
	{"includeGlobalServiceEvents", "global service events", func(t inventory.Trail) bool { return t.IncludeGlobalServiceEvents }},
	{"isOrganizationTrail", "organization trail", func(t inventory.Trail) bool { return t.IsOrganizationTrail }},
}

// checkUpdateTrail reports settings an UpdateTrail turned off or moved. A
// setting turned off counts unless an inventory taken before the call shows
// it was off already; a changed bucket, prefix, key or log group needs the
// inventory to compare with.
func checkUpdateTrail(e *event) (*hit, string) {
	name, t, known := e.trailRef()
	predates := known && e.inventoryPredates()
	var weak []string
	ev := map[string]any{"trail": name}
	for _, s := range trailSwitches {
		v, ok := e.p.Bool(s.param)
		if !ok || v {
			continue
		}
		if predates && !s.was(t) {
			continue // off before the call already
		}
		ev[s.param] = false
		weak = append(weak, s.label+" turned off"+stillNote(known && !predates, s.was(t)))
	}
	for _, s := range []struct{ param, label, had string }{
		{"kmsKeyId", "KMS encryption", t.KMSKeyID},
		{"cloudWatchLogsLogGroupArn", "CloudWatch Logs delivery", t.CloudWatchLogsLogGroupARN},
	} {
		if !e.p.Has(s.param) {
			continue
		}
		v := e.p.String(s.param)
		switch {
		case v == "":
			if known && s.had == "" {
				// The inventory shows none: nothing says there was one
				// (the console sends "" for an unset key or log group).
				continue
			}
			ev[s.param] = ""
			weak = append(weak, s.label+" removed")
		case known && s.had != "" && !sameKey(v, s.had):
			ev[s.param] = v
			weak = append(weak, fmt.Sprintf("%s changed from %s to %s", s.label, s.had, v)+laterNote(predates))
		}
	}
	note := ""
	for _, s := range []struct{ param, label, had string }{
		{"s3BucketName", "S3 bucket", t.S3BucketName},
		{"s3KeyPrefix", "S3 key prefix", t.S3KeyPrefix},
	} {
		if !e.p.Has(s.param) {
			continue
		}
		v := e.p.String(s.param)
		if !known {
			note = fmt.Sprintf("UpdateTrail %s set %s to %q: whether that changed it needs the trail in the context", e.r.EventID, s.param, v)
			continue
		}
		if v != s.had {
			ev[s.param] = v
			weak = append(weak, fmt.Sprintf("%s changed from %q to %q", s.label, s.had, v)+laterNote(predates))
		}
	}
	if len(weak) == 0 {
		return nil, note
	}
	return &hit{resource: trailResource(name, t, known), match: matchIf(known),
		message: "trail " + name + ": " + strings.Join(weak, "; "), evidence: ev}, note
}

// stillNote adds what a later inventory shows about a setting turned off.
func stillNote(laterInventory, onNow bool) string {
	if !laterInventory {
		return ""
	}
	if onNow {
		return " (on again in the inventory, collected later)"
	}
	return " (still off in the inventory, collected later)"
}

// laterNote says that the inventory compared with was collected after the
// call, so it may already include later changes.
func laterNote(predates bool) string {
	if predates {
		return ""
	}
	return " (as the inventory, collected later, shows it)"
}

func matchIf(known bool) string {
	if known {
		return "inventory"
	}
	return ""
}

// sameKey compares two KMS key references (ARN, ID).
func sameKey(a, b string) bool {
	return a == b || strings.HasSuffix(a, "/"+b) || strings.HasSuffix(b, "/"+a)
}

// selectorsFrom reads event selectors as PutEventSelectors records them:
// eventSelectors (basic) or advancedEventSelectors.
func selectorsFrom(params record.Object) (inventory.EventSelectors, bool) {
	p := map[string]any{}
	for _, k := range []string{"eventSelectors", "advancedEventSelectors"} {
		if params.Has(k) {
			p[k] = params.Structured(k)
		}
	}
	var in struct {
		EventSelectors []struct {
			ReadWriteType                 string
			IncludeManagementEvents       *bool
			DataResources                 []inventory.DataResource
			ExcludeManagementEventSources []string
		}
		AdvancedEventSelectors []inventory.AdvancedEventSelector
	}
	b, err := json.Marshal(p)
	if err != nil || json.Unmarshal(b, &in) != nil {
		return inventory.EventSelectors{}, false
	}
	var sel inventory.EventSelectors
	for _, s := range in.EventSelectors {
		inc := true // the API's default
		if s.IncludeManagementEvents != nil {
			inc = *s.IncludeManagementEvents
		}
		rw := s.ReadWriteType
		if rw == "" {
			rw = "All"
		}
		sel.Basic = append(sel.Basic, inventory.EventSelector{ReadWriteType: rw, IncludeManagementEvents: inc,
			DataResources: s.DataResources, ExcludeManagementEventSources: s.ExcludeManagementEventSources})
	}
	sel.Advanced = in.AdvancedEventSelectors
	if len(sel.Basic) == 0 && len(sel.Advanced) == 0 {
		// An empty list is valid: the trail then records nothing.
		_, basic := p["eventSelectors"]
		_, adv := p["advancedEventSelectors"]
		if !basic && !adv {
			return sel, false
		}
		sel.Basic = []inventory.EventSelector{{ReadWriteType: "All", IncludeManagementEvents: false}}
	}
	return sel, true
}

func partitionOf(s string) string {
	if a, err := arn.Parse(s); err == nil {
		return a.Partition
	}
	return "aws"
}

var levelRank = map[selectors.Level]int{selectors.None: 0, selectors.Partial: 1, selectors.All: 2}

// checkEventSelectors decides coverage with the selector evaluator the scan
// rules use: new selectors that record less than every management event
// weaken the trail whatever came before; with the trail in the context, so
// does recording fewer S3 object events than the inventory shows.
func checkEventSelectors(e *event) (*hit, string) {
	name, t, known := e.trailRef()
	sel, ok := selectorsFrom(e.p)
	if !ok {
		return nil, unreadable("PutEventSelectors %s on trail %s: the selectors could not be read; judge them by hand", e.r.EventID, name)
	}
	part := partitionOf(t.ARN)
	if !known {
		part = partitionOf(e.r.ResponseElements.String("trailARN"))
	}
	now := selectors.EvaluatePartition(sel, part)
	var weak []string
	if now.Management.Kind() != selectors.ManagementAll {
		weak = append(weak, "management events: "+now.Management.Describe())
	}
	if known {
		if old, ok := val(t.Selectors); ok {
			was := selectors.EvaluatePartition(old, part)
			for _, d := range []struct {
				label    string
				old, new selectors.S3Objects
			}{{"S3 object writes", was.S3Write, now.S3Write}, {"S3 object reads", was.S3Read, now.S3Read}} {
				if levelRank[d.new.Level] < levelRank[d.old.Level] {
					weak = append(weak, fmt.Sprintf("%s: %s (the inventory shows %s)", d.label, d.new.Describe(), d.old.Describe()))
				}
			}
		}
	}
	if len(weak) == 0 {
		return nil, ""
	}
	return &hit{resource: trailResource(name, t, known), match: matchIf(known),
		message:  "trail " + name + " now records less: " + strings.Join(weak, "; "),
		evidence: map[string]any{"trail": name, "coverage": now.Summary()}}, ""
}

func checkInsightSelectors(e *event) (*hit, string) {
	name, t, known := e.trailRef()
	if !e.p.Has("insightSelectors") {
		return nil, ""
	}
	var now []string
	for _, s := range record.List(e.p.Structured("insightSelectors")) {
		if m, ok := s.(map[string]any); ok {
			now = append(now, objString(m, "insightType"))
		}
	}
	var lost []string
	had, read := []string(nil), false
	if known {
		had, read = val(t.Insights)
	}
	switch {
	case read:
		for _, h := range had {
			if !slices.Contains(now, h) {
				lost = append(lost, h)
			}
		}
		if len(lost) == 0 {
			return nil, ""
		}
	case len(now) == 0:
		lost = []string{"every Insights type"}
	default:
		return nil, ""
	}
	return &hit{resource: trailResource(name, t, known), match: matchIf(read),
		message:  "trail " + name + ": Insights turned off for " + strings.Join(lost, ", "),
		evidence: map[string]any{"trail": name, "insightTypes": now}}, ""
}

func lakeStore(e *event) string {
	for _, k := range []string{"eventDataStore", "name"} {
		if v := e.p.String(k); v != "" {
			return v
		}
	}
	return e.r.ResponseElements.String("eventDataStoreArn")
}

func checkLakeDeleted(e *event) (*hit, string) {
	s := lakeStore(e)
	return &hit{resource: s, message: "event data store " + s + " deleted (ingestion stopped, events deleted after the waiting period)",
		evidence: map[string]any{"eventDataStore": s}}, ""
}

func checkLakeStopped(e *event) (*hit, string) {
	s := lakeStore(e)
	return &hit{resource: s, message: "ingestion stopped for event data store " + s, evidence: map[string]any{"eventDataStore": s}}, ""
}

func checkLakeUpdated(e *event) (*hit, string) {
	s := lakeStore(e)
	var weak []string
	ev := map[string]any{"eventDataStore": s}
	for _, sw := range []struct{ param, label string }{
		{"terminationProtectionEnabled", "termination protection"},
		{"multiRegionEnabled", "multi-region collection"},
		{"organizationEnabled", "organization collection"},
	} {
		if v, ok := e.p.Bool(sw.param); ok && !v {
			ev[sw.param] = false
			weak = append(weak, sw.label+" turned off")
		}
	}
	if days, ok := e.p.Int("retentionPeriod"); ok && days < e.c.MinRetentionDays {
		ev["retentionPeriod"] = days
		weak = append(weak, fmt.Sprintf("retention set to %d days (minimum %d)", days, e.c.MinRetentionDays))
	}
	if sel, ok := selectorsFrom(record.Object{"advancedEventSelectors": e.p.Structured("advancedEventSelectors")}); ok && len(sel.Advanced) > 0 && mentionsManagement(sel) {
		cov := selectors.Evaluate(sel)
		if cov.Management.Kind() != selectors.ManagementAll {
			weak = append(weak, "management events: "+cov.Management.Describe())
		}
	}
	if len(weak) == 0 {
		return nil, ""
	}
	return &hit{resource: s, message: "event data store " + s + ": " + strings.Join(weak, "; "), evidence: ev}, ""
}

// mentionsManagement reports whether advanced selectors are about CloudTrail
// management events at all (a store of Config items or of other events has
// selectors on eventCategory with other values).
func mentionsManagement(sel inventory.EventSelectors) bool {
	for _, s := range sel.Advanced {
		for _, f := range s.FieldSelectors {
			if f.Field == "eventCategory" && slices.Contains(f.Equals, "Management") {
				return true
			}
		}
	}
	return false
}

func checkAlways(format, param string) check {
	return func(e *event) (*hit, string) {
		v := e.p.String(param)
		if v == "" {
			v = "(unnamed)"
		}
		res := v
		if e.r.AWSRegion != "" {
			res = e.r.AWSRegion + "/" + v
		}
		return &hit{resource: res, message: fmt.Sprintf(format, v) + " in " + e.r.AWSRegion, evidence: map[string]any{param: v}}, ""
	}
}

func checkDetectorDisabled(e *event) (*hit, string) {
	v, ok := e.p.Bool("enable")
	if !ok || v {
		return nil, ""
	}
	d := e.p.String("detectorId")
	return &hit{resource: e.r.AWSRegion + "/" + d, message: "GuardDuty detector " + d + " disabled in " + e.r.AWSRegion,
		evidence: map[string]any{"detectorId": d, "enable": false}}, ""
}

func checkLeaveOrganization(e *event) (*hit, string) {
	acct := e.r.RecipientAccountID
	if acct == "" {
		acct = e.r.UserIdentity.AccountID
	}
	return &hit{resource: "account/" + acct, message: "account " + acct + " left its organization"}, ""
}

func objString(m map[string]any, key string) string {
	for k, v := range m {
		if strings.EqualFold(k, key) {
			if s, ok := v.(string); ok {
				return s
			}
		}
	}
	return ""
}
