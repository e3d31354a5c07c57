package drift

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/inventory"
	"github.com/trailseal/trailseal/internal/rules"
)

// Side is one account in one run: what was collected and what the rules
// found.
type Side struct {
	// RunID is the stored run's ID; 0 for the run in progress.
	RunID int64
	// Time is when the run started.
	Time      time.Time
	Inventory *inventory.Inventory
	// Findings are the account's findings in that run. Drift findings
	// among them are ignored.
	Findings []findings.Finding
}

// label names a run in messages: "run 41 (2026-11-01T09:00:00Z)", or "this
// run (...)" for the one in progress.
func (s Side) label() string {
	if s.RunID == 0 {
		return "this run (" + stamp(s.Time) + ")"
	}
	return fmt.Sprintf("run %d (%s)", s.RunID, stamp(s.Time))
}

// collected is when the side's evidence was read: the inventory's
// collection time, or the run's start when the inventory has none.
func (s Side) collected() time.Time {
	if s.Inventory != nil && !s.Inventory.CollectedAt.IsZero() {
		return s.Inventory.CollectedAt
	}
	return s.Time
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// IsDrift reports whether a rule ID is one of the drift rules.
func IsDrift(ruleID string) bool { return strings.HasPrefix(ruleID, "drift.") }

// Compare returns the drift findings of one account: one or more per
// drift rule. With no previous run (prev nil) each rule is N/A. cur must
// hold an inventory; prev, when given, too.
func Compare(prev *Side, cur Side) []findings.Finding {
	c := comparison{cur: cur, account: cur.Inventory.Account.ID}
	var out []findings.Finding
	if prev == nil || prev.Inventory == nil {
		for _, r := range Rules() {
			out = append(out, c.finding(r.ID, findings.NA, "global", c.accountResource(),
				"no earlier run of account "+c.account+" in the store to compare with", nil))
		}
		return out
	}
	c.prev = *prev
	c.index()
	out = append(out, c.trailsRemoved()...)
	out = append(out, c.destinationsChanged()...)
	out = append(out, c.loggingInterrupted()...)
	out = append(out, c.regressions()...)
	rules.SortFindings(out)
	return out
}

type comparison struct {
	prev, cur Side
	account   string
	// common are the trails in both runs, in the previous run's order.
	common []trailPair
	// curTrails are this run's trails by ARN.
	curTrails map[string]*inventory.Trail
}

type trailPair struct{ before, after *inventory.Trail }

func (c *comparison) index() {
	c.curTrails = map[string]*inventory.Trail{}
	for i := range c.cur.Inventory.Trails {
		t := &c.cur.Inventory.Trails[i]
		c.curTrails[t.ARN] = t
	}
	for i := range c.prev.Inventory.Trails {
		t := &c.prev.Inventory.Trails[i]
		if after, ok := c.curTrails[t.ARN]; ok {
			c.common = append(c.common, trailPair{t, after})
		}
	}
}

func (c *comparison) accountResource() string {
	partition := c.cur.Inventory.Partition
	if partition == "" {
		partition = "aws"
	}
	return fmt.Sprintf("arn:%s:iam::%s:root", partition, c.account)
}

func (c *comparison) finding(rule string, status findings.Status, region, resource, msg string, ev findings.Evidence) findings.Finding {
	sev := findings.Medium
	if r, ok := catalog.Lookup(Rules(), rule); ok {
		sev = r.Severity
	}
	f := findings.Finding{
		RuleID: rule, Status: status, Severity: sev, Account: c.account,
		Region: region, Resource: resource, Message: msg, Evidence: ev,
	}
	f.ID = findings.StableID(f.RuleID, f.Account, f.Region, f.Resource)
	return f
}

// runEvidence names both runs in a finding's evidence.
func (c *comparison) runEvidence(ev findings.Evidence) findings.Evidence {
	if ev == nil {
		ev = findings.Evidence{}
	}
	ev["previousRun"] = c.prev.RunID
	ev["previousRunTime"] = stamp(c.prev.Time)
	ev["currentRunTime"] = stamp(c.cur.Time)
	return ev
}

// trailsRemoved reports each trail of the previous run that this run, which
// listed its home region without error, no longer finds.
func (c *comparison) trailsRemoved() []findings.Finding {
	var out []findings.Finding
	scanned := c.cur.Inventory.Regions
	failed := map[string]inventory.CallError{}
	for _, re := range c.cur.Inventory.RegionErrors {
		failed[re.Region] = re.Error
	}
	compared, skipped := 0, 0
	for _, t := range c.prev.Inventory.Trails {
		if _, ok := c.curTrails[t.ARN]; ok {
			compared++
			continue
		}
		ev := c.runEvidence(findings.Evidence{"trail": t.ARN, "homeRegion": t.HomeRegion, "s3BucketName": t.S3BucketName})
		switch callErr, listFailed := failed[t.HomeRegion]; {
		case !slices.Contains(scanned, t.HomeRegion):
			skipped++
		case listFailed:
			out = append(out, c.finding(RuleTrailRemoved, findings.Error, t.HomeRegion, t.ARN,
				fmt.Sprintf("cannot tell whether trail %s, present in %s, still exists: %s", t.Name, c.prev.label(), callErr.Error()), ev))
		default:
			what := "trail"
			if t.IsOrganizationTrail {
				what = "organization trail"
			}
			out = append(out, c.finding(RuleTrailRemoved, findings.Fail, t.HomeRegion, t.ARN,
				fmt.Sprintf("%s %s (bucket %s), present in %s, is gone in %s", what, t.Name, t.S3BucketName, c.prev.label(), c.cur.label()), ev))
		}
	}
	if len(out) > 0 {
		return out
	}
	if len(c.prev.Inventory.Trails) == 0 {
		return []findings.Finding{c.finding(RuleTrailRemoved, findings.NA, "global", c.accountResource(),
			"the account had no trail in "+c.prev.label(), nil)}
	}
	msg := fmt.Sprintf("all %d trails of %s are still present", compared, c.prev.label())
	if skipped > 0 {
		msg += fmt.Sprintf(" (%d not compared: their home region was not scanned this time)", skipped)
	}
	return []findings.Finding{c.finding(RuleTrailRemoved, findings.Pass, "global", c.accountResource(), msg,
		c.runEvidence(findings.Evidence{"trailsCompared": compared, "trailsNotCompared": skipped}))}
}

// destinationFields are the settings that say where a trail delivers, as
// DescribeTrails returns them.
var destinationFields = []struct {
	name, label string
	get         func(*inventory.Trail) string
}{
	{"s3BucketName", "bucket", func(t *inventory.Trail) string { return t.S3BucketName }},
	{"s3KeyPrefix", "prefix", func(t *inventory.Trail) string { return t.S3KeyPrefix }},
	{"kmsKeyId", "KMS key", func(t *inventory.Trail) string { return t.KMSKeyID }},
	{"cloudWatchLogsLogGroupArn", "log group", func(t *inventory.Trail) string { return t.CloudWatchLogsLogGroupARN }},
	{"cloudWatchLogsRoleArn", "CloudWatch Logs role", func(t *inventory.Trail) string { return t.CloudWatchLogsRoleARN }},
}

// Change is one changed setting, before and after.
type Change struct {
	Field  string `json:"field"`
	Before string `json:"before"`
	After  string `json:"after"`
}

func (c *comparison) destinationsChanged() []findings.Finding {
	if len(c.common) == 0 {
		return []findings.Finding{c.finding(RuleTrailDestinationChanged, findings.NA, "global", c.accountResource(),
			"no trail is present in both "+c.prev.label()+" and this run", nil)}
	}
	var out []findings.Finding
	for _, p := range c.common {
		var changes []Change
		var parts []string
		for _, f := range destinationFields {
			before, after := f.get(p.before), f.get(p.after)
			if before == after {
				continue
			}
			changes = append(changes, Change{Field: f.name, Before: before, After: after})
			parts = append(parts, fmt.Sprintf("%s %s -> %s", f.label, orNone(before), orNone(after)))
		}
		if len(changes) == 0 {
			continue
		}
		out = append(out, c.finding(RuleTrailDestinationChanged, findings.Fail, p.after.HomeRegion, p.after.ARN,
			fmt.Sprintf("trail %s changed since %s: %s", p.after.Name, c.prev.label(), strings.Join(parts, "; ")),
			c.runEvidence(findings.Evidence{"changes": changes})))
	}
	if len(out) > 0 {
		return out
	}
	return []findings.Finding{c.finding(RuleTrailDestinationChanged, findings.Pass, "global", c.accountResource(),
		fmt.Sprintf("bucket, prefix, KMS key, log group and role of %d trails unchanged since %s", len(c.common), c.prev.label()),
		c.runEvidence(findings.Evidence{"trailsCompared": len(c.common)}))}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// loggingInterrupted reports trails that were logging at both runs but
// whose most recent stop or start is newer than the one the previous run
// read. Comparing GetTrailStatus with itself, not with the clock, keeps
// the test exact whatever the resolution of the times (the emulator's are
// whole seconds) and however late the previous run read them.
func (c *comparison) loggingInterrupted() []findings.Finding {
	if len(c.common) == 0 {
		return []findings.Finding{c.finding(RuleLoggingInterrupted, findings.NA, "global", c.accountResource(),
			"no trail is present in both "+c.prev.label()+" and this run", nil)}
	}
	var out []findings.Finding
	compared := 0
	for _, p := range c.common {
		before, after := p.before.Status, p.after.Status
		if !before.Known() || !after.Known() {
			side, r := "this run", after
			if !before.Known() {
				side, r = c.prev.label(), before
			}
			out = append(out, c.finding(RuleLoggingInterrupted, findings.Error, p.after.HomeRegion, p.after.ARN,
				fmt.Sprintf("cannot compare the logging of trail %s: its status in %s is unknown: %s", p.after.Name, side, r.Problem()),
				c.runEvidence(nil)))
			continue
		}
		if !before.Value.IsLogging || !after.Value.IsLogging {
			// Stopped at either run: trail.logging and drift.regression
			// report it; a start after a stop is a repair.
			continue
		}
		compared++
		if f, ok := c.interruption(p, *before.Value, *after.Value); ok {
			out = append(out, f)
		}
	}
	if len(out) > 0 {
		return out
	}
	if compared == 0 {
		return []findings.Finding{c.finding(RuleLoggingInterrupted, findings.NA, "global", c.accountResource(),
			"no trail was logging at both runs", nil)}
	}
	return []findings.Finding{c.finding(RuleLoggingInterrupted, findings.Pass, "global", c.accountResource(),
		fmt.Sprintf("%d trails logging at both runs did not stop since %s", compared, c.prev.label()),
		c.runEvidence(findings.Evidence{"trailsCompared": compared}))}
}

// interruption compares the stop and start times of a trail logging at
// both runs.
func (c *comparison) interruption(p trailPair, before, after inventory.TrailStatus) (findings.Finding, bool) {
	// newer reports whether a time is later than the one the previous run
	// read. A stop time where there was none is a stop since; a start time
	// where there was none (a status that omitted it) is judged against
	// the previous collection.
	newer := func(now, then *time.Time, noneBefore bool) bool {
		switch {
		case now == nil:
			return false
		case then == nil:
			return noneBefore || now.After(c.prev.collected())
		}
		return now.After(*then)
	}
	stop, start := after.StopLoggingTime, after.StartLoggingTime
	stopped := newer(stop, before.StopLoggingTime, true)
	restarted := newer(start, before.StartLoggingTime, false)
	if !stopped && !restarted {
		return findings.Finding{}, false
	}
	msg := fmt.Sprintf("trail %s was logging at %s and is logging now, but ", p.after.Name, c.prev.label())
	switch {
	case stopped && restarted:
		msg += fmt.Sprintf("logging stopped at %s and started again at %s: nothing was recorded in between", stamp(*stop), stamp(*start))
	case stopped:
		msg += fmt.Sprintf("logging stopped at %s, after that run", stamp(*stop))
	default:
		msg += fmt.Sprintf("logging started again at %s, after that run, so it had been stopped", stamp(*start))
	}
	return c.finding(RuleLoggingInterrupted, findings.Fail, p.after.HomeRegion, p.after.ARN, msg,
		c.runEvidence(findings.Evidence{
			"stopLoggingTime": timeOrNever(stop), "startLoggingTime": timeOrNever(start),
			"previousStopLoggingTime": timeOrNever(before.StopLoggingTime), "previousStartLoggingTime": timeOrNever(before.StartLoggingTime),
		})), true
}

func timeOrNever(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return stamp(*t)
}

// regressions reports each finding that was PASS in the previous run and is
// FAIL now, matched by finding ID. Only the previous run's PASS findings
// matter (a store may hand over just those).
func (c *comparison) regressions() []findings.Finding {
	passed := map[string]findings.Finding{}
	for _, f := range c.prev.Findings {
		if f.Status == findings.Pass && !IsDrift(f.RuleID) {
			passed[f.ID] = f
		}
	}
	var out []findings.Finding
	compared := 0
	for _, f := range c.cur.Findings {
		b, ok := passed[f.ID]
		if !ok || IsDrift(f.RuleID) {
			continue
		}
		compared++
		if f.Status != findings.Fail {
			continue
		}
		r := c.finding(RuleRegression, findings.Fail, f.Region, f.Resource,
			fmt.Sprintf("%s passed in %s and fails in %s: %s", f.RuleID, c.prev.label(), c.cur.label(), f.Message),
			c.runEvidence(findings.Evidence{"rule": f.RuleID, "ruleSeverity": string(f.Severity), "previousMessage": b.Message}))
		// One resource can regress on several rules: each gets its own ID.
		r.ID = findings.StableID(RuleRegression+"/"+f.RuleID, f.Account, f.Region, f.Resource)
		r.Account = f.Account
		out = append(out, r)
	}
	if len(out) > 0 {
		// Several rules may regress on one resource: order them by rule.
		slices.SortStableFunc(out, func(a, b findings.Finding) int {
			return strings.Compare(a.Evidence["rule"].(string), b.Evidence["rule"].(string))
		})
		return out
	}
	if compared == 0 {
		return []findings.Finding{c.finding(RuleRegression, findings.NA, "global", c.accountResource(),
			"no check that passed in "+c.prev.label()+" was made again", nil)}
	}
	return []findings.Finding{c.finding(RuleRegression, findings.Pass, "global", c.accountResource(),
		fmt.Sprintf("none of the %d checks that passed in %s fails now", compared, c.prev.label()),
		c.runEvidence(findings.Evidence{"checksCompared": compared}))}
}

// Unavailable is Compare's answer when the previous run exists but cannot
// be read (a store that fails, a snapshot this build cannot decode): ERROR
// for every drift rule, never a PASS.
func Unavailable(cur Side, problem string) []findings.Finding {
	c := comparison{cur: cur, account: cur.Inventory.Account.ID}
	var out []findings.Finding
	for _, r := range Rules() {
		out = append(out, c.finding(r.ID, findings.Error, "global", c.accountResource(),
			"cannot compare with the previous run of account "+c.account+": "+problem, nil))
	}
	return out
}
