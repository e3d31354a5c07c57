package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/selectors"
)

// Age limits for deliveries. CloudTrail delivers digest files hourly and
// log files within minutes, so anything older means delivery has stopped.
const (
	trailDigestMaxAge   = 2 * time.Hour
	trailDeliveryMaxAge = 24 * time.Hour
)

// trailEach applies check to every trail that records the account. With no
// trail at all there is nothing to judge: the account rules report that.
func trailEach(inv *inventory.Inventory, check func(t inventory.Trail, trails []inventory.Trail) Result) []Result {
	trails := acctTrails(inv)
	if len(trails) == 0 {
		return trailNone(inv, "no CloudTrail trail exists (see account.trail_logging)")
	}
	out := make([]Result, 0, len(trails)+1)
	for _, t := range trails {
		out = append(out, check(t, trails))
	}
	return trailListGap(inv, out)
}

// trailNone is the finding of a rule that judges trails, or what they
// deliver to, when there is none: N/A with msg, but only when the trail
// list was read in every region. Otherwise "no trail" is no fact: ERROR.
func trailNone(inv *inventory.Inventory, msg string) []Result {
	if r, ok := acctUndecided(inv, nil, acctRootARN(inv), "no trail found"); ok {
		return []Result{r}
	}
	return []Result{notApplicable("global", acctRootARN(inv), msg)}
}

// trailListGap adds to a rule's findings an ERROR for the regions whose
// trails could not be listed: a single-region trail homed there was judged
// by no rule. (Multi-region and organization trails show up in every
// region's list, so they are judged.)
func trailListGap(inv *inventory.Inventory, out []Result) []Result {
	if len(inv.RegionErrors) == 0 {
		return out
	}
	var regions, calls []string
	for _, re := range inv.RegionErrors {
		regions = append(regions, acctUnlistedRegion(re))
		calls = append(calls, re.Error.Call+": "+re.Error.Code)
	}
	return append(out, Result{
		Status:   findings.Error,
		Region:   "global",
		Resource: acctRootARN(inv),
		Message: "trails could not be listed in " + strings.Join(regions, ", ") +
			": a single-region trail homed there was not checked; grant cloudtrail:DescribeTrails there and rescan",
		Evidence: findings.Evidence{"unreadable": calls},
	})
}

func trailTime(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

func trailAge(now time.Time, t *time.Time) string {
	return now.Sub(*t).Round(time.Minute).String()
}

// trailNoScanTime is the finding for a freshness test that cannot be made:
// without the scan time every delivery would look recent.
func trailNoScanTime(t inventory.Trail, what string) Result {
	return Result{
		Status:   findings.Error,
		Region:   t.HomeRegion,
		Resource: t.ARN,
		Message:  "cannot tell how recent the newest " + what + " is: the inventory has no scan time (collectedAt); rescan to produce a complete snapshot",
		Evidence: findings.Evidence{"collectedAt": ""},
	}
}

func trailStoppedAt(st *inventory.TrailStatus) string {
	if st.StopLoggingTime == nil {
		return "logging stopped, no StopLoggingTime reported"
	}
	return "logging stopped at " + trailTime(st.StopLoggingTime)
}

func checkTrailLogging(inv *inventory.Inventory, _ Options) []Result {
	return trailEach(inv, func(t inventory.Trail, _ []inventory.Trail) Result {
		if r, stop := missing(t.Status, "trail status (GetTrailStatus)", t.HomeRegion, t.ARN); stop {
			return r
		}
		st := t.Status.Value
		ev := findings.Evidence{"isLogging": st.IsLogging, "startLoggingTime": trailTime(st.StartLoggingTime), "stopLoggingTime": trailTime(st.StopLoggingTime)}
		if !st.IsLogging {
			return fail(t.HomeRegion, t.ARN, trailStoppedAt(st), ev)
		}
		return pass(t.HomeRegion, t.ARN, "logging since "+trailTime(st.StartLoggingTime), ev)
	})
}

func checkTrailMultiRegion(inv *inventory.Inventory, _ Options) []Result {
	return trailEach(inv, func(t inventory.Trail, _ []inventory.Trail) Result {
		ev := findings.Evidence{"isMultiRegionTrail": t.IsMultiRegion}
		if !t.IsMultiRegion {
			return fail(t.HomeRegion, t.ARN, "single-region trail: records "+t.HomeRegion+" only", ev)
		}
		return pass(t.HomeRegion, t.ARN, "multi-region trail", ev)
	})
}

func checkTrailGlobalServiceEvents(inv *inventory.Inventory, _ Options) []Result {
	return trailEach(inv, func(t inventory.Trail, all []inventory.Trail) Result {
		if !t.IsMultiRegion && len(all) > 1 {
			return notApplicable(t.HomeRegion, t.ARN, "single-region trail alongside other trails: global service events belong on a multi-region trail")
		}
		ev := findings.Evidence{"includeGlobalServiceEvents": t.IncludeGlobalServiceEvents, "isMultiRegionTrail": t.IsMultiRegion, "trailCount": len(all)}
		if !t.IncludeGlobalServiceEvents {
			return fail(t.HomeRegion, t.ARN, "IncludeGlobalServiceEvents is false: IAM, STS and CloudFront events are not recorded", ev)
		}
		return pass(t.HomeRegion, t.ARN, "IncludeGlobalServiceEvents is true", ev)
	})
}

func checkTrailManagementEvents(inv *inventory.Inventory, _ Options) []Result {
	return trailEach(inv, func(t inventory.Trail, _ []inventory.Trail) Result {
		if r, stop := missing(t.Selectors, "event selectors (GetEventSelectors)", t.HomeRegion, t.ARN); stop {
			return r
		}
		m := selectors.EvaluatePartition(*t.Selectors.Value, acctPartition(inv)).Management
		ev := findings.Evidence{"read": m.Read.Level, "write": m.Write.Level, "excludedSources": m.ExcludedSources}
		msg := "management events: " + m.Describe()
		if m.Kind() != selectors.ManagementAll {
			return fail(t.HomeRegion, t.ARN, msg, ev)
		}
		return pass(t.HomeRegion, t.ARN, msg, ev)
	})
}

func checkTrailLogFileValidation(inv *inventory.Inventory, _ Options) []Result {
	return trailEach(inv, func(t inventory.Trail, _ []inventory.Trail) Result {
		ev := findings.Evidence{"logFileValidationEnabled": t.LogFileValidationEnabled}
		if !t.LogFileValidationEnabled {
			return fail(t.HomeRegion, t.ARN, "log file validation is disabled", ev)
		}
		return pass(t.HomeRegion, t.ARN, "log file validation is enabled", ev)
	})
}

func checkTrailDigestDelivery(inv *inventory.Inventory, _ Options) []Result {
	return trailEach(inv, func(t inventory.Trail, _ []inventory.Trail) Result {
		if !t.LogFileValidationEnabled {
			return notApplicable(t.HomeRegion, t.ARN, "log file validation is disabled, so no digests are expected (see trail.log_file_validation)")
		}
		if r, stop := missing(t.Status, "trail status (GetTrailStatus)", t.HomeRegion, t.ARN); stop {
			return r
		}
		st := t.Status.Value
		ev := findings.Evidence{"isLogging": st.IsLogging, "latestDigestDeliveryTime": trailTime(st.LatestDigestDeliveryTime),
			"latestDigestDeliveryError": st.LatestDigestDeliveryError, "collectedAt": trailTime(&inv.CollectedAt)}
		switch {
		case st.LatestDigestDeliveryError != "":
			return fail(t.HomeRegion, t.ARN, "digest delivery error: "+st.LatestDigestDeliveryError, ev)
		case st.LatestDigestDeliveryTime == nil:
			return fail(t.HomeRegion, t.ARN, "no digest file was ever delivered", ev)
		case st.IsLogging && inv.CollectedAt.IsZero():
			return trailNoScanTime(t, "digest delivery")
		case st.IsLogging && inv.CollectedAt.Sub(*st.LatestDigestDeliveryTime) > trailDigestMaxAge:
			return fail(t.HomeRegion, t.ARN, fmt.Sprintf("newest digest delivered at %s, %s before the scan (digests are hourly)",
				trailTime(st.LatestDigestDeliveryTime), trailAge(inv.CollectedAt, st.LatestDigestDeliveryTime)), ev)
		}
		return pass(t.HomeRegion, t.ARN, "newest digest delivered at "+trailTime(st.LatestDigestDeliveryTime), ev)
	})
}

func checkTrailDeliveryHealth(inv *inventory.Inventory, _ Options) []Result {
	return trailEach(inv, func(t inventory.Trail, _ []inventory.Trail) Result {
		if r, stop := missing(t.Status, "trail status (GetTrailStatus)", t.HomeRegion, t.ARN); stop {
			return r
		}
		st := t.Status.Value
		ev := findings.Evidence{"isLogging": st.IsLogging, "latestDeliveryTime": trailTime(st.LatestDeliveryTime),
			"latestDeliveryError": st.LatestDeliveryError, "latestNotificationError": st.LatestNotificationError,
			"collectedAt": trailTime(&inv.CollectedAt)}
		var bad []string
		if st.LatestDeliveryError != "" {
			bad = append(bad, "log delivery error: "+st.LatestDeliveryError)
		}
		if st.LatestNotificationError != "" {
			bad = append(bad, "SNS notification error: "+st.LatestNotificationError)
		}
		noScanTime := false
		if st.IsLogging {
			if st.LatestDeliveryTime == nil {
				bad = append(bad, "no log file was ever delivered")
			} else if inv.CollectedAt.IsZero() {
				noScanTime = true
			} else if inv.CollectedAt.Sub(*st.LatestDeliveryTime) > trailDeliveryMaxAge {
				bad = append(bad, fmt.Sprintf("newest log file delivered at %s, %s before the scan",
					trailTime(st.LatestDeliveryTime), trailAge(inv.CollectedAt, st.LatestDeliveryTime)))
			}
		}
		if len(bad) > 0 {
			return fail(t.HomeRegion, t.ARN, strings.Join(bad, "; "), ev)
		}
		if noScanTime {
			return trailNoScanTime(t, "log file delivery")
		}
		return pass(t.HomeRegion, t.ARN, "newest log file delivered at "+trailTime(st.LatestDeliveryTime)+", no delivery errors", ev)
	})
}

func checkTrailCloudWatchLogs(inv *inventory.Inventory, _ Options) []Result {
	return trailEach(inv, func(t inventory.Trail, _ []inventory.Trail) Result {
		if t.CloudWatchLogsLogGroupARN == "" {
			return fail(t.HomeRegion, t.ARN, "no CloudWatch Logs log group configured", findings.Evidence{"cloudWatchLogsLogGroupArn": ""})
		}
		if r, stop := missing(t.Status, "trail status (GetTrailStatus)", t.HomeRegion, t.ARN); stop {
			return r
		}
		st := t.Status.Value
		ev := findings.Evidence{"cloudWatchLogsLogGroupArn": t.CloudWatchLogsLogGroupARN, "isLogging": st.IsLogging,
			"latestCloudWatchLogsDeliveryTime":  trailTime(st.LatestCloudWatchLogsDeliveryTime),
			"latestCloudWatchLogsDeliveryError": st.LatestCloudWatchLogsDeliveryError, "collectedAt": trailTime(&inv.CollectedAt)}
		switch {
		case st.LatestCloudWatchLogsDeliveryError != "":
			return fail(t.HomeRegion, t.ARN, "CloudWatch Logs delivery error: "+st.LatestCloudWatchLogsDeliveryError, ev)
		// Unlike the S3 delivery rules, the spec applies the age test to
		// stopped trails too: a stopped trail feeds no alarm.
		case st.LatestCloudWatchLogsDeliveryTime == nil:
			return fail(t.HomeRegion, t.ARN, "nothing was ever delivered to "+t.CloudWatchLogsLogGroupARN, ev)
		case inv.CollectedAt.IsZero():
			return trailNoScanTime(t, "CloudWatch Logs delivery")
		case inv.CollectedAt.Sub(*st.LatestCloudWatchLogsDeliveryTime) > trailDeliveryMaxAge:
			return fail(t.HomeRegion, t.ARN, fmt.Sprintf("newest CloudWatch Logs delivery at %s, %s before the scan",
				trailTime(st.LatestCloudWatchLogsDeliveryTime), trailAge(inv.CollectedAt, st.LatestCloudWatchLogsDeliveryTime)), ev)
		}
		return pass(t.HomeRegion, t.ARN, fmt.Sprintf("delivers to %s, newest delivery at %s",
			t.CloudWatchLogsLogGroupARN, trailTime(st.LatestCloudWatchLogsDeliveryTime)), ev)
	})
}

func checkTrailKMSEncryption(inv *inventory.Inventory, _ Options) []Result {
	return trailEach(inv, func(t inventory.Trail, _ []inventory.Trail) Result {
		ev := findings.Evidence{"kmsKeyId": t.KMSKeyID}
		if t.KMSKeyID == "" {
			return fail(t.HomeRegion, t.ARN, "no KMS key: log files are encrypted with SSE-S3 only", ev)
		}
		return pass(t.HomeRegion, t.ARN, "log files encrypted with "+t.KMSKeyID, ev)
	})
}

// trailKey finds the trail's key; ok is false with the finding to report
// when the trail has no key or the key's metadata cannot be read.
func trailKey(inv *inventory.Inventory, t inventory.Trail) (*inventory.KMSKey, Result, bool) {
	if t.KMSKeyID == "" {
		return nil, notApplicable(t.HomeRegion, t.ARN, "trail does not use a KMS key (see trail.kms_encryption)"), false
	}
	key := inv.Key(t.KMSKeyID)
	if key == nil {
		r, _ := missing(inventory.Result[inventory.KeyMetadata]{}, "KMS key "+t.KMSKeyID, t.HomeRegion, t.ARN)
		r.Evidence["kmsKeyId"] = t.KMSKeyID
		return nil, r, false
	}
	if r, stop := missing(key.Metadata, "KMS key "+t.KMSKeyID+" (kms:DescribeKey)", t.HomeRegion, t.ARN); stop {
		return nil, r, false
	}
	return key, Result{}, true
}

func checkTrailKMSKeyRotation(inv *inventory.Inventory, _ Options) []Result {
	return trailEach(inv, func(t inventory.Trail, _ []inventory.Trail) Result {
		key, r, ok := trailKey(inv, t)
		if !ok {
			return r
		}
		md := key.Metadata.Value
		if md.KeyManager == "AWS" {
			return pass(t.HomeRegion, t.ARN, "AWS managed key "+key.ARN+": rotated automatically", findings.Evidence{"keyArn": key.ARN, "keyManager": md.KeyManager})
		}
		if r, stop := missing(key.Rotation, "rotation status of KMS key "+key.ARN+" (kms:GetKeyRotationStatus)", t.HomeRegion, t.ARN); stop {
			return r
		}
		ev := findings.Evidence{"keyArn": key.ARN, "keyManager": md.KeyManager, "rotationEnabled": *key.Rotation.Value}
		if !*key.Rotation.Value {
			return fail(t.HomeRegion, t.ARN, "automatic rotation is off for customer managed key "+key.ARN, ev)
		}
		return pass(t.HomeRegion, t.ARN, "automatic rotation is on for customer managed key "+key.ARN, ev)
	})
}

func checkTrailKMSKeyUsable(inv *inventory.Inventory, _ Options) []Result {
	return trailEach(inv, func(t inventory.Trail, _ []inventory.Trail) Result {
		key, r, ok := trailKey(inv, t)
		if !ok {
			return r
		}
		md := key.Metadata.Value
		keyRegion := key.Region
		if keyRegion == "" {
			keyRegion = trailARNRegion(key.ARN)
		}
		ev := findings.Evidence{"keyArn": key.ARN, "keyState": md.KeyState, "enabled": md.Enabled, "keyRegion": keyRegion}
		if !md.Enabled || md.KeyState != "Enabled" {
			return fail(t.HomeRegion, t.ARN, fmt.Sprintf("key %s is in state %s: CloudTrail cannot encrypt log files with it", key.ARN, md.KeyState), ev)
		}
		b := inv.Bucket(t.S3BucketName)
		region := inventory.Result[string]{}
		if b != nil {
			region = b.Region
		}
		if r, stop := missing(region, "region of bucket "+t.S3BucketName+" (s3:GetBucketLocation)", t.HomeRegion, t.ARN); stop {
			return r
		}
		ev["bucketRegion"] = *region.Value
		if keyRegion == "" {
			r, _ := missing(inventory.Result[string]{}, "region of KMS key "+key.ARN, t.HomeRegion, t.ARN)
			return r
		}
		if keyRegion != *region.Value {
			return fail(t.HomeRegion, t.ARN, fmt.Sprintf("key %s is in %s but bucket %s is in %s", key.ARN, keyRegion, t.S3BucketName, *region.Value), ev)
		}
		return pass(t.HomeRegion, t.ARN, fmt.Sprintf("key %s is enabled and in the bucket's region %s", key.ARN, keyRegion), ev)
	})
}

// trailARNRegion returns the region field of an ARN, or "".
func trailARNRegion(s string) string {
	a, _ := arn.Parse(s)
	return a.Region
}

func checkTrailS3DataEvents(inv *inventory.Inventory, write bool) []Result {
	res := acctRootARN(inv)
	trails := acctTrails(inv)
	dir := map[bool]string{true: "writes", false: "reads"}[write]
	if len(trails) == 0 {
		// The rule is about the account: with no trail, nothing records
		// S3 object events, which is a failure, not an absence of subject.
		// It is a fact only when every region's trails were listed.
		if r, ok := acctUndecided(inv, nil, res, "no trail found"); ok {
			return []Result{r}
		}
		return []Result{fail("global", res, fmt.Sprintf("no CloudTrail trail records account %s, so no S3 object %s are logged", inv.Account.ID, dir),
			findings.Evidence{"trails": map[string]any{}})}
	}
	perTrail := map[string]any{}
	var lines []string
	var gaps []acctGap
	var passing string
	for _, t := range trails {
		if !t.Selectors.Known() {
			gaps = append(gaps, acctGapOf(t, "event selectors (GetEventSelectors)", t.Selectors))
			perTrail[t.ARN] = "unknown: " + t.Selectors.Problem()
			lines = append(lines, t.Name+": unknown")
			continue
		}
		cov := selectors.EvaluatePartition(*t.Selectors.Value, acctPartition(inv))
		s3 := cov.S3Read
		if write {
			s3 = cov.S3Write
		}
		perTrail[t.ARN] = s3.Describe()
		lines = append(lines, t.Name+": "+s3.Describe())
		if s3.Level != selectors.All {
			continue
		}
		// The trail covers every bucket: it counts if it is also multi-region and logging.
		if !t.IsMultiRegion {
			lines[len(lines)-1] += " (single-region)"
			continue
		}
		if !t.Status.Known() {
			gaps = append(gaps, acctGapOf(t, "trail status (GetTrailStatus)", t.Status))
			continue
		}
		if !t.Status.Value.IsLogging {
			lines[len(lines)-1] += " (not logging)"
			continue
		}
		if passing == "" {
			passing = acctTrailLabel(inv, t)
		}
	}
	ev := findings.Evidence{"trails": perTrail}
	if passing != "" {
		return []Result{pass("global", res, fmt.Sprintf("%s records S3 object %s for all buckets; per trail: %s", passing, dir, strings.Join(lines, "; ")), ev)}
	}
	if r, ok := acctUndecided(inv, gaps, res, fmt.Sprintf("no trail read so far records S3 object %s for all buckets (%s)", dir, strings.Join(lines, "; "))); ok {
		return []Result{r}
	}
	return []Result{fail("global", res, fmt.Sprintf("no logging multi-region trail records S3 object %s for all buckets; per trail: %s", dir, strings.Join(lines, "; ")), ev)}
}

func checkTrailInsights(inv *inventory.Inventory, _ Options) []Result {
	return trailEach(inv, func(t inventory.Trail, _ []inventory.Trail) Result {
		if r, stop := missing(t.Status, "trail status (GetTrailStatus)", t.HomeRegion, t.ARN); stop {
			return r
		}
		if !t.Status.Value.IsLogging {
			return notApplicable(t.HomeRegion, t.ARN, "trail is not logging (see trail.logging)")
		}
		if r, stop := missing(t.Insights, "insight selectors (GetInsightSelectors)", t.HomeRegion, t.ARN); stop {
			return r
		}
		types := *t.Insights.Value
		ev := findings.Evidence{"insightTypes": types}
		has := func(want string) bool {
			for _, v := range types {
				if v == want {
					return true
				}
			}
			return false
		}
		switch {
		case len(types) == 0:
			return fail(t.HomeRegion, t.ARN, "no Insights selectors: Insights is off", ev)
		case has("ApiCallRateInsight") && has("ApiErrorRateInsight"):
			return pass(t.HomeRegion, t.ARN, "Insights on: ApiCallRateInsight and ApiErrorRateInsight", ev)
		}
		return pass(t.HomeRegion, t.ARN, fmt.Sprintf("Insights on for %s only; consider enabling both ApiCallRateInsight and ApiErrorRateInsight", strings.Join(types, ", ")), ev)
	})
}
