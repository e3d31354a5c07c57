package verify

import "strings"

// ReasonInfo is what a reason code means. The text report, the SARIF rules
// and docs/verify.md's reason table all come from ReasonTable (a test keeps
// the document in step), so the three never disagree.
type ReasonInfo struct {
	Code Reason
	// Status is the status an item with this reason has: invalid and
	// missing prove a problem, error and unverifiable mean it could not be
	// checked, manual that a person must decide, gap that no digest covers
	// it.
	Status Status
	// Title is a few words for a heading or a SARIF rule's short
	// description.
	Title string
	// Meaning is the row of docs/verify.md's table, in Markdown (names of
	// fields and metadata in backticks).
	Meaning string
}

// ReasonTable lists every reason code in the order docs/verify.md gives
// them: digests missing, then regions, digests invalid, digests that could
// not be checked, log files, gaps.
var ReasonTable = []ReasonInfo{
	{DigestMissing, StatusMissing, "Digest deleted from the chain",
		"the next digest names it (`previousDigestS3Object`) but it is not there"},
	{DigestSlotMissing, StatusMissing, "Consecutive digests deleted",
		"several consecutive digests were deleted: one result for the run of hourly digests between the deleted one named by its successor and the next surviving one (`start`, `end`, `count`)"},
	{DigestTailMissing, StatusMissing, "Newest digests deleted",
		"the newest digest ends more than about an hour before CloudTrail's `LatestDigestDeliveryTime` (GetTrailStatus) or `--end-time`: newer digests were delivered and are gone (one result for the run of hours)"},
	{DigestChainEndsEarly, StatusMissing, "Digest chain ends early",
		"same, when the trail status cannot be asked (offline, no permission): deleted digests, or logging/validation stopped"},
	{DigestNone, StatusMissing, "No digest in a region that must have them",
		"a region that must have digests (home region, enabled region of a multi-region trail, named with `--regions`) has none in the period"},
	{RegionOptInUnknown, StatusManual, "Opted-in region without digests",
		"an opted-in region without digests: enabled before the period (digests deleted) or after it?"},
	{RegionsUnknown, StatusManual, "Regions that must have digests unknown",
		"the regions that must have digests could not be learnt; name them with `--regions`"},
	{DigestBadFormat, StatusInvalid, "Digest malformed",
		"not gzip, not JSON, a required field missing or malformed, a log hash that is not SHA-256"},
	{DigestTrailingData, StatusInvalid, "Data appended to a digest",
		"bytes after the gzip member (gunzip and the AWS CLI ignore them)"},
	{DigestMoved, StatusInvalid, "Digest moved",
		"`digestS3Bucket`/`digestS3Object` differ from where the digest was read"},
	{DigestSignatureMissing, StatusInvalid, "Digest signature missing",
		"no `signature` metadata"},
	{DigestSignatureInvalid, StatusInvalid, "Digest signature invalid",
		"the RSA signature does not match: the digest or its signature changed"},
	{DigestAlgorithm, StatusInvalid, "Unsupported signature algorithm",
		"signature algorithm other than `SHA256withRSA`"},
	{DigestKeyNotFound, StatusInvalid, "Signing key unknown",
		"no public key of the digest's region has its fingerprint"},
	{DigestKeyNotValid, StatusUnverifiable, "Signing key not valid at signing time",
		"the key's validity period does not include the signing time: could not verify"},
	{DigestPrevHash, StatusInvalid, "Previous digest replaced",
		"`previousDigestHashValue` is not the SHA-256 of the previous digest (which itself verifies: it was replaced)"},
	{DigestPrevSignature, StatusInvalid, "Previous digest signature mismatch",
		"`previousDigestSignature` is not the previous digest's signature"},
	{DigestBackfillMetadata, StatusInvalid, "Backfill digest metadata missing",
		"a backfill digest without a valid `backfill-generation-timestamp`"},
	{DigestNoSignatureOffline, StatusUnverifiable, "Digest signature unavailable offline",
		"offline copy without metadata files, and no later digest holds its signature"},
	{DigestReadError, StatusError, "Digest unreadable",
		"the digest could not be read (permissions, network after retries)"},
	{DigestKeysUnavailable, StatusError, "Public keys unreadable",
		"the public keys could not be read"},
	{DigestCheckpoint, StatusInvalid, "Verified digest changed since the last run",
		"with `--state`: the digest the state recorded as the last one verified was deleted or replaced since, or the first new digest does not link to it by key, hash and signature"},
	{LogModified, StatusInvalid, "Log file modified",
		"the log file's SHA-256 differs from its digest's"},
	{LogMissing, StatusMissing, "Log file deleted",
		"named by a digest, not found"},
	{LogTrailingData, StatusInvalid, "Data appended to a log file",
		"bytes after the gzip member, such as a second gzip member with forged records"},
	{LogBadFormat, StatusInvalid, "Log file malformed",
		"not gzip"},
	{LogUnreferenced, StatusInvalid, "Log file named by no digest",
		"a log file in the trail's log folders, inside the verified period, that no digest names"},
	{LogReadError, StatusError, "Log file unreadable",
		"the log file could not be read"},
	{LogNotCovered, StatusGap, "Log file written in a gap",
		"a log file written in a gap: no digest protects it"},
	{ValidationGap, StatusGap, "Period no digest covers",
		"a period no digest covers (the `gaps` list): validation or logging was off between the two times given"},
}

// Reasons lists every reason code, in ReasonTable's order.
var Reasons = func() []Reason {
	out := make([]Reason, len(ReasonTable))
	for i, ri := range ReasonTable {
		out[i] = ri.Code
	}
	return out
}()

// Info returns what the reason means. A code missing from the table (which
// a test forbids) gets its own name as title and meaning.
func (r Reason) Info() ReasonInfo {
	for _, ri := range ReasonTable {
		if ri.Code == r {
			return ri
		}
	}
	return ReasonInfo{Code: r, Title: string(r), Meaning: string(r)}
}

// PlainMeaning is the meaning without Markdown, for text and HTML.
func (ri ReasonInfo) PlainMeaning() string {
	return strings.ReplaceAll(ri.Meaning, "`", "")
}

// Primary is the reason that gives an item its status: the first whose
// status is the item's, else the first. An item has one reason in nearly
// every case; a digest that fails several checks lists each.
func (it Item) Primary() Reason {
	for _, r := range it.Reasons {
		if r.Info().Status == it.Status {
			return r
		}
	}
	if len(it.Reasons) > 0 {
		return it.Reasons[0]
	}
	return ""
}
