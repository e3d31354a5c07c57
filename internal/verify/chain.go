package verify

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// linkOK checks the previousDigest* fields of ds against the digest p they
// name. A link is only judged when p itself verified: an invalid p is
// already reported and would otherwise be reported twice.
func linkCheck(ds, p *digestState) {
	if p.d == nil || p.status != StatusValid || ds.d == nil {
		return
	}
	if p.checkpoint {
		linkToCheckpoint(ds, p)
		return
	}
	if ds.d.PreviousDigestHashValue == nil || !strings.EqualFold(*ds.d.PreviousDigestHashValue, p.sha) {
		got := "<none>"
		if ds.d.PreviousDigestHashValue != nil {
			got = *ds.d.PreviousDigestHashValue
		}
		ds.fail(StatusInvalid, DigestPrevHash, "previousDigestHashValue %s, but s3://%s/%s hashes to %s", got, p.bucket, p.key, p.sha)
	}
	if p.md.hasSig && !p.md.sig.Equal(ds.prevSig) {
		ds.fail(StatusInvalid, DigestPrevSignature, "previousDigestSignature differs from the signature of s3://%s/%s", p.bucket, p.key)
	}
}

func (v *verifier) checkBackfillLinks(digests []*digestState, index map[objRef]*digestState) {
	for _, ds := range digests {
		if ds.name.Backfill && ds.d != nil && ds.d.HasPrevious() {
			if p, ok := index[prevRef(ds.d)]; ok {
				linkCheck(ds, p)
			}
		}
	}
}

// checkChain walks one region's hourly digests oldest first. It returns
// items for digests that should exist and do not, the gaps, and the periods
// whose log files those findings already account for.
func (v *verifier) checkChain(region string, chain []*digestState, index map[objRef]*digestState) ([]Item, []span) {
	o := v.o
	var missing []Item
	var spans []span
	sort.SliceStable(chain, func(i, j int) bool { return endOf(chain[i]).Before(endOf(chain[j])) })
	if o.handoff != nil && len(chain) == 0 {
		return v.earlierTail(region, chain)
	}
	if len(chain) == 0 {
		return v.noDigest(region), nil
	}
	for i, ds := range chain {
		if ds.d == nil {
			// Unreadable: its link and its logs are unknown. It is reported
			// itself; its hour's logs are not reported again as unnamed.
			spans = append(spans, span{region, ds.name.End.Add(-time.Hour), ds.name.End})
			continue
		}
		var older *digestState
		if i > 0 {
			older = chain[i-1]
		}
		if !ds.d.HasPrevious() {
			// A chain start, which CloudTrail signs: validation or logging
			// was off before it. Between two chains that is a gap; before
			// the first, a gap only if log files were written there.
			if older != nil {
				v.gaps = append(v.gaps, &gapSpan{Gap: Gap{Region: region, From: endOf(older), To: ds.d.Start, Reason: ValidationGap, Where: GapRestart}, always: true})
			} else if ds.d.Start.After(o.Start) && o.handoff == nil {
				v.gaps = append(v.gaps, &gapSpan{Gap: Gap{Region: region, From: o.Start, To: ds.d.Start, Reason: ValidationGap, Where: GapBeforeChain}})
			}
			continue
		}
		m, sp := v.checkLink(region, ds, older, index)
		missing, spans = append(missing, m...), append(spans, sp...)
	}
	if o.handoff != nil {
		m, s := v.earlierTail(region, chain)
		return append(missing, m...), append(spans, s...)
	}
	m, sp := v.checkChainEnd(region, endOf(chain[len(chain)-1]))
	return append(missing, m...), append(spans, sp...)
}

// checkLink checks ds's link to the previous digest; when that digest is
// gone, it reports it and every hourly digest between it and the next
// older one that survives.
func (v *verifier) checkLink(region string, ds, older *digestState, index map[objRef]*digestState) ([]Item, []span) {
	o := v.o
	var missing []Item
	if older != nil && older.checkpoint && !v.checkpointLink(ds, older) {
		return nil, nil
	}
	if p, ok := index[prevRef(ds.d)]; ok {
		if p.status != StatusMissing {
			linkCheck(ds, p)
			return nil, nil
		}
		if p.into != nil {
			// The run of the earlier location reports it and the hours
			// before it.
			return nil, nil
		}
	} else {
		it := Item{Kind: "digest", Region: region, Bucket: *ds.d.PreviousDigestS3Bucket, Key: *ds.d.PreviousDigestS3Object,
			Status: StatusMissing, Reasons: []Reason{DigestMissing}, Detail: "named as previousDigestS3Object by the next digest but not found"}
		if n, ok := o.Layout.ParseDigestKey(it.Key); ok {
			it.End = n.End
		}
		v.linkHash[objRef{it.Bucket, it.Key}] = ds.d.PreviousDigestHashValue
		missing = append(missing, it)
	}
	lower := o.Start
	if older != nil {
		lower = endOf(older)
	}
	upper := ds.d.Start
	if it, ok := v.slotRange(region, DigestSlotMissing, lower, upper, fmt.Sprintf("the chain skips from %s back to %s", upper.Format(displayTime), lower.Format(displayTime))); ok {
		missing = append(missing, it)
	}
	return missing, []span{{region, lower, upper}}
}

// slotRange reports the hourly digests that should end after lower and up
// to upper, one item for the whole run of them.
func (v *verifier) slotRange(region string, reason Reason, lower, upper time.Time, why string) (Item, bool) {
	var first, last time.Time
	n := 0
	for t := upper.Add(-time.Hour); t.Sub(lower) > 30*time.Minute; t = t.Add(-time.Hour) {
		if n == 0 {
			last = t
		}
		first = t
		n++
	}
	return v.slotItem(region, reason, first, last, n, why), n > 0
}

// slotItem is one report item for n consecutive missing hourly digests,
// the first ending about first, the last about last.
func (v *verifier) slotItem(region string, reason Reason, first, last time.Time, n int, why string) Item {
	it := Item{Kind: "digest", Region: region, Bucket: v.o.Bucket, Status: StatusMissing, Reasons: []Reason{reason},
		Start: first.Add(-time.Hour), End: last, Count: n}
	if n == 1 {
		it.Key = v.o.Layout.DigestDayPrefix(region, first) + "*_" + first.Format("20060102T15") + "*"
		it.Detail = fmt.Sprintf("the hourly digest ending about %s is gone: %s", first.Format(displayTime), why)
	} else {
		it.Detail = fmt.Sprintf("%d hourly digests ending about %s to %s are gone: %s", n, first.Format(displayTime), last.Format(displayTime), why)
	}
	return it
}

// checkChainEnd checks the end of a chain: digests are hourly, so the
// newest one should end within about an hour of --end-time, or of the
// latest delivery CloudTrail reports. When CloudTrail's latest delivery
// is the newest digest, validation was turned off: log files after it are
// a gap, not a deletion.
func (v *verifier) checkChainEnd(region string, newest time.Time) ([]Item, []span) {
	o := v.o
	expect := o.End
	if now := o.Now.Add(-time.Hour); now.Before(expect) {
		expect = now // the current hour's digest is not delivered yet
	}
	reason := DigestChainEndsEarly
	if !o.LatestDigestDelivery.IsZero() {
		// Nothing after the latest delivery is expected; anything missing
		// before it was delivered and then removed.
		if o.LatestDigestDelivery.Before(expect) {
			expect = o.LatestDigestDelivery
			v.gaps = append(v.gaps, &gapSpan{Gap: Gap{Region: region, From: newest, To: o.End, Reason: ValidationGap, Where: GapAfterChain}})
		}
		reason = DigestTailMissing
	}
	if expect.Sub(newest) <= 70*time.Minute {
		return nil, nil
	}
	detail := fmt.Sprintf("the newest digest ends %s; digests are hourly and should continue to about %s", newest.Format(displayTime), expect.Format(displayTime))
	if reason == DigestTailMissing {
		detail += fmt.Sprintf(" (CloudTrail reports its latest digest delivery at %s): newer digests were deleted", o.LatestDigestDelivery.Format(displayTime))
	} else {
		detail += ": newer digests were deleted, or logging or validation stopped"
	}
	var first, last time.Time
	n := 0
	for t := newest.Add(time.Hour); expect.Sub(t) > -10*time.Minute; t = t.Add(time.Hour) {
		if n == 0 {
			first = t
		}
		last = t
		n++
	}
	it := v.slotItem(region, reason, first, last, n, "")
	it.Detail = detail
	return []Item{it}, []span{{region, newest, expect.Add(time.Hour)}}
}

// noDigest reports a region without any digest in the period, when it
// must have some.
func (v *verifier) noDigest(region string) []Item {
	o := v.o
	er, ok := v.expect.find(region)
	if !ok {
		return nil
	}
	period := fmt.Sprintf("between %s and %s", o.Start.Format(displayTime), o.End.Format(displayTime))
	if er.OptIn {
		return []Item{{Kind: "region", Region: region, Status: StatusManual, Reasons: []Reason{RegionOptInUnknown},
			Detail: fmt.Sprintf("no digest of trail %s for this region %s; the region was opted into at a time the region APIs do not give: if it was enabled before %s, its digests are missing (look for the account:EnableRegion event)",
				o.Layout.TrailName, period, o.End.Format(displayTime))}}
	}
	return []Item{{Kind: "digest", Region: region, Bucket: o.Bucket, Status: StatusMissing, Reasons: []Reason{DigestNone},
		Start: o.Start, End: o.End,
		Detail: fmt.Sprintf("no digest of trail %s for this region %s, which must have them (%s)", o.Layout.TrailName, period, er.Why)}}
}

// earlierTail checks the end of an earlier location's chain: it must reach
// the digest the later location links to. The chain end there is known, so
// anything missing is a deletion, never a stop of logging.
func (v *verifier) earlierTail(region string, chain []*digestState) ([]Item, []span) {
	o, h := v.o, v.o.handoff
	lower := o.Start
	for _, ds := range chain {
		if ds.key == h.key {
			return nil, nil
		}
		lower = endOf(ds)
	}
	missing := []Item{{Kind: "digest", Region: region, Bucket: o.Bucket, Key: h.key, End: h.end, Status: StatusMissing, Reasons: []Reason{DigestMissing},
		Detail: "named as previousDigestS3Object by " + h.linkedFrom + " but not found"}}
	v.linkHash[objRef{o.Bucket, h.key}] = h.linkHash
	if it, ok := v.slotRange(region, DigestSlotMissing, lower, h.end, fmt.Sprintf("the chain skips from %s back to %s", h.end.Format(displayTime), lower.Format(displayTime))); ok {
		missing = append(missing, it)
	}
	return missing, []span{{region, lower, h.end}}
}

// gapSpan is a period no digest covers. A gap between two chains is always
// reported; one before the first chain or after the last only when log
// files were written in it (otherwise the trail, or its validation, had
// not started, or has ended).
type gapSpan struct {
	Gap
	always bool
}

func endOf(ds *digestState) time.Time {
	if ds.parsed {
		return ds.end
	}
	return ds.name.End
}

type span struct {
	region   string
	from, to time.Time
}

func inSpans(spans []span, region string, t time.Time) bool {
	for _, s := range spans {
		if s.region == region && !t.Before(s.from.Add(-time.Minute)) && !t.After(s.to) {
			return true
		}
	}
	return false
}

// latestEnd is the end of the newest readable digest of chain, or since
// when it is later.
func latestEnd(chain []*digestState, since time.Time) time.Time {
	t := since
	for _, ds := range chain {
		if ds.parsed && ds.end.After(t) {
			t = ds.end
		}
	}
	return t
}
