package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/trailseal/trailseal/internal/verify"
)

// sarifVerifyFingerprint names the partial fingerprint of a verify result:
// the same problem (reason, account, region, object or period) keeps it
// across runs, so code scanning tracks it as one alert.
const sarifVerifyFingerprint = "trailsealVerifyId/v1"

// verifySARIFLevel: a proof of tampering or deletion (exit 1) is an error;
// a gap (exit 3) and what could not be verified (exit 4) are warnings.
// Every result is of kind "fail" (SARIF's default): each one keeps the run
// from passing, and SARIF allows a level other than "none" only on a fail.
func verifySARIFLevel(s verify.Status) string {
	if s == verify.StatusInvalid || s == verify.StatusMissing {
		return "error"
	}
	return "warning"
}

// verifySecuritySeverity is the score GitHub code scanning ranks alerts by:
// a deleted or modified audit log is critical, a gap medium, what could not
// be checked medium-low.
func verifySecuritySeverity(s verify.Status) string {
	switch s {
	case verify.StatusInvalid, verify.StatusMissing:
		return "9.0"
	case verify.StatusGap:
		return "5.5"
	}
	return "4.0"
}

// writeVerifySARIF writes a SARIF 2.1.0 log: a rule per reason code (the
// descriptions of verify.ReasonTable, as docs/verify.md gives them), one
// result per problem and per gap, each located by its object's s3:// URI
// (or file URI in an offline copy) and by its account and region.
func writeVerifySARIF(w io.Writer, d *verifyDoc, o VerifyOptions) error {
	l, err := newSARIFLog(d.Version)
	if err != nil {
		return err
	}
	for _, ri := range verify.ReasonTable {
		l.addRule(verifyRule(ri))
	}
	for _, it := range d.Problems {
		l.addResult(d.sarifItem(l, it))
	}
	for _, g := range d.Gaps {
		l.addResult(d.sarifGap(l, g))
	}
	if o.Hunt != nil {
		addHuntSARIF(l, o.Hunt)
	}
	pb := sarif.NewPropertyBag()
	pb.Add("outcome", string(d.Outcome))
	pb.Add("verdict", d.Outcome.Verdict())
	pb.Add("result", d.ResultLine)
	pb.Add("trail", d.Trail)
	pb.Add("location", d.Where)
	pb.Add("start", d.Start.UTC().Format(time.RFC3339))
	pb.Add("end", d.End.UTC().Format(time.RFC3339))
	if d.Organization != "" {
		pb.Add("organization", d.Organization)
	}
	l.run.AttachPropertyBag(pb)
	return l.write(w)
}

func verifyRule(ri verify.ReasonInfo) *sarif.ReportingDescriptor {
	d := sarifRule(string(ri.Code), ruleName(ri.Code), ri.Title, ri.PlainMeaning(),
		ri.Title+": "+sentence(ri.PlainMeaning())+" See docs/verify.md.", verifySARIFLevel(ri.Status))
	d.FullDescription.WithMarkdown(ri.Meaning)
	d.Help.WithMarkdown(fmt.Sprintf("**%s** (status `%s`): %s\n\nSee docs/verify.md, \"What verify checks\".", ri.Title, ri.Status, sentence(ri.Meaning)))
	pb := ruleProperties([]string{"security", "cloudtrail", "integrity", string(ri.Status)}, verifySecuritySeverity(ri.Status))
	pb.Add("precision", "very-high")
	pb.Add("status", string(ri.Status))
	d.AttachPropertyBag(pb)
	return d
}

// ruleName is a reason code in the PascalCase SARIF names use:
// LOG_MODIFIED is LogModified.
func ruleName(r verify.Reason) string {
	var b strings.Builder
	for _, w := range strings.Split(string(r), "_") {
		if w == "" {
			continue
		}
		b.WriteString(w[:1])
		b.WriteString(strings.ToLower(w[1:]))
	}
	return b.String()
}

func (d *verifyDoc) sarifItem(l *sarifLog, it verify.Item) *sarif.Result {
	primary := it.Primary()
	ri := primary.Info()
	msg := ri.Title
	if it.Detail != "" {
		msg += ": " + it.Detail
	}
	if restore := restoreCommands(it); len(restore) > 0 {
		msg += ". Recoverable: " + strings.Join(restore, "; ")
	}
	res := l.result(string(primary), msg).WithKind("fail").WithLevel(verifySARIFLevel(it.Status))
	uri := d.objectURI(it.Bucket, it.Key)
	res.AddLocation(regionLocation(uri, it.Account, it.Region))
	res.WithPartialFingerPrints(map[string]any{sarifVerifyFingerprint: verifyFingerprint(string(primary), it.Account, it.Region, uri,
		timeKey(it.Start), timeKey(it.End))})
	pb := sarif.NewPropertyBag()
	pb.Add("status", string(it.Status))
	pb.Add("kind", it.Kind)
	pb.Add("reasons", reasonStrings(it.Reasons))
	addNonEmpty(pb, "account", it.Account)
	pb.Add("region", it.Region)
	addNonEmpty(pb, "start", timeKey(it.Start))
	addNonEmpty(pb, "end", timeKey(it.End))
	if it.Count > 0 {
		pb.Add("count", it.Count)
	}
	addNonEmpty(pb, "versionId", it.VersionID)
	addNonEmpty(pb, "etag", it.ETag)
	addNonEmpty(pb, "keyFingerprint", it.KeyFingerprint)
	addNonEmpty(pb, "keyRegion", it.KeyRegion)
	if it.Recovery != nil {
		pb.Add("recovery", it.Recovery)
	}
	res.AttachPropertyBag(pb)
	return res
}

func (d *verifyDoc) sarifGap(l *sarifLog, g verify.Gap) *sarif.Result {
	msg := fmt.Sprintf("%s: no digest covers %s to %s (%s): validation or logging was off; %d log files written then are not covered",
		g.Reason.Info().Title, g.From.UTC().Format(verifyTime), g.To.UTC().Format(verifyTime), g.Where, g.Logs)
	if ev := gapEventLines(g); len(ev) > 0 {
		msg += ". " + strings.Join(ev, "; ")
	}
	res := l.result(string(g.Reason), msg).WithKind("fail").WithLevel(verifySARIFLevel(verify.StatusGap))
	uri := d.objectURI("", "")
	res.AddLocation(regionLocation(uri, g.Account, g.Region))
	res.WithPartialFingerPrints(map[string]any{sarifVerifyFingerprint: verifyFingerprint(string(g.Reason), g.Account, g.Region, uri,
		timeKey(g.From), timeKey(g.To))})
	pb := sarif.NewPropertyBag()
	pb.Add("status", string(verify.StatusGap))
	addNonEmpty(pb, "account", g.Account)
	pb.Add("region", g.Region)
	pb.Add("from", timeKey(g.From))
	pb.Add("to", timeKey(g.To))
	pb.Add("where", g.Where)
	pb.Add("logsNotCovered", g.Logs)
	if g.OpenedBy != nil {
		pb.Add("openedBy", g.OpenedBy)
	}
	if g.ClosedBy != nil {
		pb.Add("closedBy", g.ClosedBy)
	}
	addNonEmpty(pb, "unexplained", g.Unexplained)
	res.AttachPropertyBag(pb)
	return res
}

// regionLocation locates a result by its object (physical) and by its
// account and region (logical), for viewers that group by either.
func regionLocation(uri, account, region string) *sarif.Location {
	name := region
	if account != "" {
		name = account + "/" + region
	}
	return sarifLocationAt(uri, region, name, "region")
}

// objectURI is an object's s3:// URI, or the file URI of its path in an
// offline copy; without a key, the URI of the trail's bucket and prefix.
func (d *verifyDoc) objectURI(bucket, key string) string {
	if bucket == "" {
		bucket = d.bucket
	}
	if d.Offline {
		p := d.location(bucket, d.prefix)
		if key != "" {
			p = d.name(bucket, key)
		}
		if filepath.IsAbs(p) {
			return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String()
		}
		return (&url.URL{Path: filepath.ToSlash(p)}).String()
	}
	path := "/" + key
	if key == "" {
		path = "/" + d.prefix
	}
	return (&url.URL{Scheme: "s3", Host: bucket, Path: path}).String()
}

func verifyFingerprint(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:16])
}

func timeKey(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func addNonEmpty(pb *sarif.PropertyBag, k, v string) {
	if v != "" {
		pb.Add(k, v)
	}
}

func reasonStrings(rs []verify.Reason) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

// restoreCommands are the commands that restore a missing object from a
// valid (or unchecked) surviving version.
func restoreCommands(it verify.Item) []string {
	if it.Recovery == nil {
		return nil
	}
	var out []string
	for _, o := range it.Recovery.Objects {
		if o.Restore != "" && o.Verdict != verify.VersionModified {
			out = append(out, o.Restore)
		}
	}
	return out
}
