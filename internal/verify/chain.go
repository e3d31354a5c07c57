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
func (v *verifier) checkChain(region string, chain []*digestState, index map[objRef]*digestState) ([]Item, []Gap, []span) {
	o := v.o
	var missing []Item
	var gaps []Gap
	var spans []span
	sort.SliceStable(chain, func(i, j int) bool { return endOf(chain[i]).Before(endOf(chain[j])) })
	if o.handoff != nil && len(chain) == 0 {
		missing, spans = v.earlierTail(region, chain)
		return missing, nil, spans
	}
	if len(chain) == 0 {
		return v.noDigest(region), nil, nil
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
			if older != nil {
				from := endOf(older)
				gaps = append(gaps, Gap{Region: region, From: from, To: ds.d.Start, Reason: ValidationGap})
				spans = append(spans, span{region, from, ds.d.Start})
			}
			continue
		}
		if p, ok := index[prevRef(ds.d)]; ok {
			if p.status != StatusMissing {
				linkCheck(ds, p)
				continue
			}
			if p.into != nil {
				// The run of the earlier location reports it and the hours
				// before it.
				continue
			}
		} else {
			it := Item{Kind: "digest", Region: region, Bucket: *ds.d.PreviousDigestS3Bucket, Key: *ds.d.PreviousDigestS3Object,
				Status: StatusMissing, Reasons: []Reason{DigestMissing}, Detail: "named as previousDigestS3Object by the next digest but not found"}
			if n, ok := o.Layout.ParseDigestKey(it.Key); ok {
				it.End = n.End
			}
			missing = append(missing, it)
		}
		// The named previous digest is gone. Every hourly digest between
		// it and the next older one that survives is gone too.
		lower := o.Start
		if older != nil {
			lower = endOf(older)
		}
		upper := ds.d.Start
		spans = append(spans, span{region, lower, upper})
		for t := upper.Add(-time.Hour); t.Sub(lower) > 30*time.Minute; t = t.Add(-time.Hour) {
			missing = append(missing, Item{Kind: "digest", Region: region, Bucket: o.Bucket, Status: StatusMissing, Reasons: []Reason{DigestSlotMissing},
				Key: o.Layout.DigestDayPrefix(region, t) + "*_" + t.Format("20060102T15") + "*",
				End: t, Detail: fmt.Sprintf("the hourly digest ending about %s is gone: the chain skips from %s back to %s", t.Format(displayTime), upper.Format(displayTime), lower.Format(displayTime))})
		}
	}
	if o.handoff != nil {
		m, s := v.earlierTail(region, chain)
		return append(missing, m...), gaps, append(spans, s...)
	}
	// The end of the chain: digests are hourly, so the newest one should
	// end within about an hour of --end-time, or of the latest delivery
	// CloudTrail reports.
	newest := endOf(chain[len(chain)-1])
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
		}
		reason = DigestTailMissing
	}
	if expect.Sub(newest) > 70*time.Minute {
		detail := fmt.Sprintf("the newest digest ends %s; digests are hourly and should continue to about %s", newest.Format(displayTime), expect.Format(displayTime))
		if reason == DigestTailMissing {
			detail += fmt.Sprintf(" (CloudTrail reports its latest digest delivery at %s): newer digests were deleted", o.LatestDigestDelivery.Format(displayTime))
		} else {
			detail += ": newer digests were deleted, or logging or validation stopped"
		}
		for t := newest.Add(time.Hour); expect.Sub(t) > -10*time.Minute; t = t.Add(time.Hour) {
			missing = append(missing, Item{Kind: "digest", Region: region, Bucket: o.Bucket, Status: StatusMissing, Reasons: []Reason{reason},
				Key: o.Layout.DigestDayPrefix(region, t) + "*_" + t.Format("20060102T15") + "*", End: t, Detail: detail})
		}
		spans = append(spans, span{region, newest, expect.Add(time.Hour)})
	}
	return missing, gaps, spans
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
	for t := h.end.Add(-time.Hour); t.Sub(lower) > 30*time.Minute; t = t.Add(-time.Hour) {
		missing = append(missing, Item{Kind: "digest", Region: region, Bucket: o.Bucket, Status: StatusMissing, Reasons: []Reason{DigestSlotMissing},
			Key: o.Layout.DigestDayPrefix(region, t) + "*_" + t.Format("20060102T15") + "*",
			End: t, Detail: fmt.Sprintf("the hourly digest ending about %s is gone: the chain skips from %s back to %s", t.Format(displayTime), h.end.Format(displayTime), lower.Format(displayTime))})
	}
	return missing, []span{{region, lower, h.end}}
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
