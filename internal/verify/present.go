package verify

// What the report writers outside this package (HTML, JUnit, SARIF in
// internal/report) need to say what the text report says, in the same
// words: the verdict, the result line, and object names.

// Verdict is the outcome as a heading says it: VALID, INVALID, GAPS or
// COULD NOT VERIFY.
func (o Outcome) Verdict() string {
	switch o {
	case OutcomeValid:
		return "VALID"
	case OutcomeInvalid:
		return "INVALID"
	case OutcomeGaps:
		return "GAPS"
	}
	return "COULD NOT VERIFY"
}

// ResultLine is the text report's verdict in words.
func (r *Report) ResultLine() string { return r.resultLine() }

// ResultLine is the text report's verdict in words.
func (r *ArchiveReport) ResultLine() string { return r.view().resultLine() }

// ObjectName names one object as the text report does: its s3:// URL, or
// its path in an offline copy.
func (r *Report) ObjectName(bucket, key string) string { return r.where(bucket, key) }

// LocationName names a bucket and prefix as the text report does.
func (r *Report) LocationName(bucket, prefix string) string { return r.location(bucket, prefix) }

// ObjectName names one object as the text report does.
func (r *ArchiveReport) ObjectName(bucket, key string) string { return r.view().where(bucket, key) }

// LocationName names a bucket and prefix as the text report does.
func (r *ArchiveReport) LocationName(bucket, prefix string) string {
	return r.view().location(bucket, prefix)
}

// RecoveryLines says in words what the bucket keeps of a missing object.
func (r *ArchiveReport) RecoveryLines(it Item) []string { return r.view().RecoveryLines(it) }

// Counts returns the summary's counts.
func (s RegionSummary) Counts() Counts {
	var c Counts
	c.addRegion(s)
	return c
}

// Outcome is the verdict the counts give, ranked as a report's is:
// anything tampered is invalid, anything unreadable unverifiable, a gap or
// a log file no digest covers gaps.
func (c Counts) Outcome() Outcome {
	switch {
	case c.Tampered() > 0:
		return OutcomeInvalid
	case c.Unreadable() > 0:
		return OutcomeUnverifiable
	case c.Gaps > 0 || c.LogsNotCovered > 0:
		return OutcomeGaps
	}
	return OutcomeValid
}
