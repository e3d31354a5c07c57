package selectors

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trailseal/trailseal/internal/inventory"
)

// Level is how much of an event space a trail records.
type Level string

// Levels.
const (
	// None: no selector records any event of the space.
	None Level = "none"
	// Partial: some events of the space are recorded, or the evaluator could
	// not prove that all are. Reasons say which restriction is in the way.
	Partial Level = "partial"
	// All: every event of the space is recorded, provably.
	All Level = "all"
)

// Direction is the coverage of one half (reads or writes) of an event space.
type Direction struct {
	Level Level `json:"level"`
	// Reasons explain a partial or none level, naming the selector and the
	// field condition responsible.
	Reasons []string `json:"reasons,omitempty"`
}

// ManagementKind summarises management coverage of both directions.
type ManagementKind string

// Management kinds.
const (
	ManagementAll        ManagementKind = "all"
	ManagementWritesOnly ManagementKind = "writes only"
	ManagementReadsOnly  ManagementKind = "reads only"
	ManagementPartial    ManagementKind = "partial"
	ManagementNone       ManagementKind = "none"
)

// Management is the coverage of management events.
type Management struct {
	Read  Direction `json:"read"`
	Write Direction `json:"write"`
	// ExcludedSources lists the event sources that selectors leave out
	// (ExcludeManagementEventSources, or eventSource NotEquals), when that
	// leaves coverage short of all.
	ExcludedSources []string `json:"excludedSources,omitempty"`
}

// Kind derives all / writes only / reads only / partial / none.
func (m Management) Kind() ManagementKind {
	switch {
	case m.Read.Level == All && m.Write.Level == All:
		return ManagementAll
	case m.Read.Level == None && m.Write.Level == None:
		return ManagementNone
	case m.Write.Level == All && m.Read.Level == None:
		return ManagementWritesOnly
	case m.Read.Level == All && m.Write.Level == None:
		return ManagementReadsOnly
	}
	return ManagementPartial
}

// Describe states the management coverage with its reasons in one phrase,
// for example "writes only (selector "W": readOnly Equals false)".
func (m Management) Describe() string {
	k := m.Kind()
	var why []string
	switch k {
	case ManagementAll:
		return "all (read and write)"
	case ManagementWritesOnly:
		why = m.Read.Reasons
	case ManagementReadsOnly:
		why = m.Write.Reasons
	default:
		if m.Read.Level != All {
			why = append(why, prefixAll("reads "+string(m.Read.Level)+": ", m.Read.Reasons)...)
		}
		if m.Write.Level != All {
			why = append(why, prefixAll("writes "+string(m.Write.Level)+": ", m.Write.Reasons)...)
		}
	}
	if len(why) == 0 {
		return string(k)
	}
	return fmt.Sprintf("%s (%s)", k, strings.Join(dedupe(why), "; "))
}

// S3Objects is the coverage of S3 object-level data events in one direction.
type S3Objects struct {
	// Level is All for every current and future bucket, Partial for the
	// Scopes listed, None when no S3 object events are recorded.
	Level Level `json:"level"`
	// Scopes names what a partial level covers: "bucket/", "bucket/prefix",
	// "all buckets except b1/", "all buckets" (when another field restricts).
	Scopes []string `json:"scopes,omitempty"`
	// Reasons explain a partial or none level.
	Reasons []string `json:"reasons,omitempty"`
}

// Describe states the S3 coverage in one phrase.
func (s S3Objects) Describe() string {
	switch s.Level {
	case All:
		return "all buckets"
	case None:
		if len(s.Reasons) > 0 {
			return fmt.Sprintf("none (%s)", strings.Join(s.Reasons, "; "))
		}
		return "none"
	}
	// "some buckets" when every scope names buckets; a scope such as "all
	// buckets" (cut short by another field) is only partial coverage.
	head := "some buckets: "
	for _, sc := range s.Scopes {
		if strings.HasPrefix(sc, "all buckets") || strings.HasPrefix(sc, "objects ending") {
			head = "partial: "
		}
	}
	out := head + strings.Join(s.Scopes, ", ")
	if len(s.Reasons) > 0 {
		out += " (" + strings.Join(s.Reasons, "; ") + ")"
	}
	return out
}

// Coverage is what a trail records, as decided from its event selectors.
type Coverage struct {
	// Customised is false when the trail never had custom selectors (it then
	// records all management events and no data events).
	Customised bool `json:"customised"`
	// Advanced is true when the trail uses advanced event selectors.
	Advanced   bool       `json:"advanced"`
	Management Management `json:"management"`
	S3Read     S3Objects  `json:"s3Read"`
	S3Write    S3Objects  `json:"s3Write"`
	// OtherDataTypes lists the non-S3-object resource types that selectors
	// name for data events (AWS::Lambda::Function, ...).
	OtherDataTypes []string `json:"otherDataTypes,omitempty"`
}

// Summary states the coverage in one line.
func (c Coverage) Summary() string {
	return fmt.Sprintf("management events: %s; S3 object writes: %s; S3 object reads: %s",
		c.Management.Describe(), c.S3Write.Describe(), c.S3Read.Describe())
}

// S3WriteAPIs are the S3 object-level APIs that change objects. An eventName
// restriction covers S3 writes only if it lets every one of them through.
var S3WriteAPIs = []string{
	"AbortMultipartUpload", "CompleteMultipartUpload", "CopyObject",
	"CreateMultipartUpload", "DeleteObject", "DeleteObjectTagging",
	"DeleteObjects", "PutObject", "PutObjectAcl", "PutObjectLegalHold",
	"PutObjectRetention", "PutObjectTagging", "RestoreObject", "UploadPart",
	"UploadPartCopy",
}

// S3ReadAPIs are the S3 object-level APIs that read objects.
var S3ReadAPIs = []string{
	"GetObject", "GetObjectAcl", "GetObjectAttributes", "GetObjectLegalHold",
	"GetObjectRetention", "GetObjectTagging", "GetObjectTorrent", "HeadObject",
	"ListParts", "SelectObjectContent",
}

// managementEventTypes are the eventType values management events carry.
var managementEventTypes = []string{"AwsApiCall", "AwsConsoleAction", "AwsConsoleSignIn", "AwsServiceEvent"}

const s3ObjectType = "AWS::S3::Object"

// basicLabel names the advanced selectors rewritten from basic ones.
const basicLabel = "basic selector "

// Evaluate decides a trail's coverage from its selectors. The partition of
// S3 ARNs is taken from the selectors themselves (a trail only sees events of
// its own partition); use EvaluatePartition when the trail's partition is
// known.
func Evaluate(sel inventory.EventSelectors) Coverage {
	return EvaluatePartition(sel, inferPartition(sel))
}

// EvaluatePartition decides coverage for a trail in the given partition
// ("aws", "aws-cn", "aws-us-gov", ...): only S3 ARNs of that partition count.
func EvaluatePartition(sel inventory.EventSelectors, partition string) Coverage {
	if partition == "" {
		partition = "aws"
	}
	if len(sel.Basic) == 0 && len(sel.Advanced) == 0 {
		return Coverage{
			Management: Management{Read: Direction{Level: All}, Write: Direction{Level: All}},
			S3Read:     S3Objects{Level: None, Reasons: []string{"no custom event selectors: data events are off"}},
			S3Write:    S3Objects{Level: None, Reasons: []string{"no custom event selectors: data events are off"}},
		}
	}
	cov := Coverage{Customised: true, Advanced: len(sel.Advanced) > 0}
	sels := sel.Advanced
	if len(sels) == 0 {
		sels = fromBasic(sel.Basic)
	}
	norm := make([]selector, len(sels))
	for i, s := range sels {
		norm[i] = newSelector(i, s)
	}

	cov.Management.Read = decide(norm, managementSpace("true"))
	cov.Management.Write = decide(norm, managementSpace("false"))
	if cov.Management.Read.Level != All || cov.Management.Write.Level != All {
		cov.Management.ExcludedSources = excludedSources(norm)
	}

	arnPrefix := "arn:" + partition + ":s3:::"
	cov.S3Read = s3Coverage(norm, s3Space("true", S3ReadAPIs, arnPrefix), arnPrefix)
	cov.S3Write = s3Coverage(norm, s3Space("false", S3WriteAPIs, arnPrefix), arnPrefix)
	cov.OtherDataTypes = otherDataTypes(norm)
	if len(cov.OtherDataTypes) > 0 {
		note := "selectors on other resource types: " + strings.Join(cov.OtherDataTypes, ", ")
		for _, s := range []*S3Objects{&cov.S3Read, &cov.S3Write} {
			if s.Level == None {
				s.Reasons = append(s.Reasons, note)
			}
		}
	}
	return cov
}

// space is one question put to the selectors: the set of events that carry
// the finite field values given (each field's whole domain) and any value of
// the open fields (strings starting with the given prefix). Fields in
// neither map cannot be reasoned about: any condition on them restricts.
type space struct {
	name   string
	finite map[string][]string
	open   map[string]string
}

func managementSpace(readOnly string) space {
	return space{
		name: "management",
		finite: map[string][]string{
			"eventCategory": {"Management"},
			"readOnly":      {readOnly},
			"eventType":     managementEventTypes,
		},
		open: map[string]string{"eventSource": "", "eventName": ""},
	}
}

func s3Space(readOnly string, apis []string, arnPrefix string) space {
	return space{
		name: "S3 object",
		finite: map[string][]string{
			"eventCategory":  {"Data"},
			"resources.type": {s3ObjectType},
			"readOnly":       {readOnly},
			"eventSource":    {"s3.amazonaws.com"},
			"eventType":      {"AwsApiCall"},
			"eventName":      apis,
		},
		open: map[string]string{"resources.ARN": arnPrefix},
	}
}

// selector is an advanced selector with its field selectors grouped by field
// (several field selectors on one field must all hold).
type selector struct {
	label  string
	fields map[string][]inventory.FieldSelector
	order  []string
}

func newSelector(i int, s inventory.AdvancedEventSelector) selector {
	label := fmt.Sprintf("selector %d", i+1)
	switch {
	case strings.HasPrefix(s.Name, basicLabel):
		label = s.Name // written by fromBasic, not by the user
	case s.Name != "":
		label = fmt.Sprintf("selector %q", s.Name)
	}
	out := selector{label: label, fields: map[string][]inventory.FieldSelector{}}
	for _, fs := range s.FieldSelectors {
		if _, seen := out.fields[fs.Field]; !seen {
			out.order = append(out.order, fs.Field)
		}
		out.fields[fs.Field] = append(out.fields[fs.Field], fs)
	}
	return out
}

// restriction is a field of a selector that narrows the space.
type restriction struct {
	field string
	desc  string
	// accepted is, for a finite field, the part of its domain let through.
	accepted []string
	// analysable is false for conditions the union check cannot use
	// (unknown fields, empty field selectors).
	analysable bool
}

// verdict is how one selector relates to one space.
type verdict struct {
	excluded    bool
	excludedBy  string // field condition that shut the space out
	excludedFld string
	restricts   []restriction
}

func judge(s selector, sp space) verdict {
	var v verdict
	// CloudTrail rejects a selector without an eventCategory condition, so
	// one that lacks it was not read faithfully: it proves nothing.
	if _, ok := s.fields["eventCategory"]; !ok {
		v.restricts = append(v.restricts, restriction{field: "eventCategory", desc: "no eventCategory field selector"})
	}
	for _, field := range s.order {
		conds := s.fields[field]
		desc := describeConds(conds)
		if dom, ok := sp.finite[field]; ok {
			if hasEmptySelector(conds) {
				v.restricts = append(v.restricts, restriction{field: field, desc: "empty field selector on " + field})
				continue
			}
			var acc []string
			for _, val := range dom {
				if matchesAll(conds, val) {
					acc = append(acc, val)
				}
			}
			switch {
			case len(acc) == 0:
				return verdict{excluded: true, excludedBy: desc, excludedFld: field}
			case len(acc) < len(dom):
				left := without(dom, acc)
				v.restricts = append(v.restricts, restriction{field: field, accepted: acc, analysable: true,
					desc: fmt.Sprintf("%s leaves out %s", desc, strings.Join(left, ", "))})
			}
			continue
		}
		if prefix, ok := sp.open[field]; ok {
			if hasEmptySelector(conds) {
				v.restricts = append(v.restricts, restriction{field: field, desc: "empty field selector on " + field})
				continue
			}
			univ := true
			for _, fs := range conds {
				if rejectsAll(fs, prefix) {
					return verdict{excluded: true, excludedBy: desc, excludedFld: field}
				}
				if !acceptsAll(fs, prefix) {
					univ = false
				}
			}
			if !univ {
				v.restricts = append(v.restricts, restriction{field: field, desc: desc, analysable: true})
			}
			continue
		}
		// A field this space cannot reason about (errorCode, userIdentity.arn,
		// an unknown field, ...) may drop any event: count it as restricting.
		v.restricts = append(v.restricts, restriction{field: field, desc: desc})
	}
	return v
}

// decide answers one space for a set of selectors.
func decide(sels []selector, sp space) Direction {
	var admitted []selector
	var verdicts []verdict
	var noneWhy []string
	for _, s := range sels {
		v := judge(s, sp)
		if v.excluded {
			// Only report selectors that were about this kind of event at all.
			if v.excludedFld != "eventCategory" && v.excludedFld != "resources.type" {
				noneWhy = append(noneWhy, fmt.Sprintf("%s: %s", s.label, v.excludedBy))
			}
			continue
		}
		if len(v.restricts) == 0 {
			return Direction{Level: All}
		}
		admitted = append(admitted, s)
		verdicts = append(verdicts, v)
	}
	if len(admitted) == 0 {
		return Direction{Level: None, Reasons: noneWhy}
	}
	if unionCoversOneField(admitted, verdicts, sp) {
		return Direction{Level: All}
	}
	var why []string
	for i, v := range verdicts {
		for _, r := range v.restricts {
			why = append(why, fmt.Sprintf("%s: %s", admitted[i].label, r.desc))
		}
	}
	return Direction{Level: Partial, Reasons: why}
}

// unionCoversOneField proves coverage when selectors that each restrict one
// and the same field together let every value of that field through.
func unionCoversOneField(sels []selector, vs []verdict, sp space) bool {
	byField := map[string][]int{}
	for i, v := range vs {
		field := v.restricts[0].field
		ok := v.restricts[0].analysable
		for _, r := range v.restricts[1:] {
			if r.field != field || !r.analysable {
				ok = false
			}
		}
		if ok {
			byField[field] = append(byField[field], i)
		}
	}
	for field, idx := range byField {
		if dom, ok := sp.finite[field]; ok {
			got := map[string]bool{}
			for _, i := range idx {
				for _, val := range dom {
					if matchesAll(sels[i].fields[field], val) {
						got[val] = true
					}
				}
			}
			if len(got) == len(dom) {
				return true
			}
			continue
		}
		conds := make([][]inventory.FieldSelector, len(idx))
		for j, i := range idx {
			conds[j] = sels[i].fields[field]
		}
		if openUnionCovers(conds, sp.open[field]) {
			return true
		}
	}
	return false
}

func s3Coverage(sels []selector, sp space, arnPrefix string) S3Objects {
	d := decide(sels, sp)
	out := S3Objects{Level: d.Level, Reasons: d.Reasons}
	if d.Level != Partial {
		if d.Level == None && len(out.Reasons) == 0 {
			out.Reasons = []string{"no selector records S3 object events"}
		}
		return out
	}
	for _, s := range sels {
		v := judge(s, sp)
		if v.excluded {
			continue
		}
		conds, restricted := s.fields["resources.ARN"]
		if !restricted {
			out.Scopes = append(out.Scopes, "all buckets")
			continue
		}
		for _, fs := range conds {
			out.Scopes = append(out.Scopes, scopesOf(fs, arnPrefix)...)
		}
	}
	out.Scopes = dedupe(out.Scopes)
	return out
}

// scopesOf names the buckets and prefixes one resources.ARN condition admits.
func scopesOf(fs inventory.FieldSelector, arnPrefix string) []string {
	var out []string
	for _, q := range fs.StartsWith {
		if strings.HasPrefix(q, arnPrefix) {
			out = append(out, strings.TrimPrefix(q, arnPrefix))
		} else if strings.HasPrefix(arnPrefix, q) {
			out = append(out, "all buckets")
		}
	}
	for _, v := range fs.Equals {
		if strings.HasPrefix(v, arnPrefix) {
			out = append(out, strings.TrimPrefix(v, arnPrefix)+" (one object)")
		}
	}
	for _, t := range fs.EndsWith {
		out = append(out, fmt.Sprintf("objects ending in %q", t))
	}
	if len(fs.Equals)+len(fs.StartsWith)+len(fs.EndsWith) == 0 {
		var ex []string
		for _, v := range fs.NotStartsWith {
			ex = append(ex, strings.TrimPrefix(v, arnPrefix))
		}
		for _, v := range fs.NotEquals {
			ex = append(ex, strings.TrimPrefix(v, arnPrefix))
		}
		for _, v := range fs.NotEndsWith {
			ex = append(ex, "*"+v)
		}
		out = append(out, "all buckets except "+strings.Join(ex, ", "))
	}
	return out
}

func excludedSources(sels []selector) []string {
	var out []string
	for _, s := range sels {
		for _, fs := range s.fields["eventSource"] {
			out = append(out, fs.NotEquals...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func otherDataTypes(sels []selector) []string {
	var out []string
	for _, s := range sels {
		for _, fs := range s.fields["resources.type"] {
			for _, t := range fs.Equals {
				if t != s3ObjectType {
					out = append(out, t)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// fromBasic rewrites basic selectors as the advanced selectors they are
// equivalent to, so that one evaluator serves both.
func fromBasic(basic []inventory.EventSelector) []inventory.AdvancedEventSelector {
	var out []inventory.AdvancedEventSelector
	for i, b := range basic {
		name := fmt.Sprintf("%s%d", basicLabel, i+1)
		var rw []inventory.FieldSelector
		switch strings.ToLower(b.ReadWriteType) {
		case "", "all":
		case "readonly":
			rw = []inventory.FieldSelector{{Field: "readOnly", Equals: []string{"true"}}}
		case "writeonly":
			rw = []inventory.FieldSelector{{Field: "readOnly", Equals: []string{"false"}}}
		default:
			// An unknown ReadWriteType can be proven to record nothing.
			rw = []inventory.FieldSelector{{Field: "readOnly", Equals: []string{"ReadWriteType " + b.ReadWriteType}}}
		}
		if b.IncludeManagementEvents {
			fs := []inventory.FieldSelector{{Field: "eventCategory", Equals: []string{"Management"}}}
			fs = append(fs, rw...)
			if len(b.ExcludeManagementEventSources) > 0 {
				fs = append(fs, inventory.FieldSelector{Field: "eventSource", NotEquals: b.ExcludeManagementEventSources})
			}
			out = append(out, inventory.AdvancedEventSelector{Name: name, FieldSelectors: fs})
		}
		for _, dr := range b.DataResources {
			if len(dr.Values) == 0 {
				continue // CloudTrail rejects it; it records nothing
			}
			fs := []inventory.FieldSelector{
				{Field: "eventCategory", Equals: []string{"Data"}},
				{Field: "resources.type", Equals: []string{dr.Type}},
			}
			fs = append(fs, rw...)
			fs = append(fs, inventory.FieldSelector{Field: "resources.ARN", StartsWith: dr.Values})
			out = append(out, inventory.AdvancedEventSelector{Name: name, FieldSelectors: fs})
		}
	}
	return out
}

func inferPartition(sel inventory.EventSelectors) string {
	try := func(v string) string {
		rest, ok := strings.CutPrefix(v, "arn:")
		if !ok {
			return ""
		}
		p, svc, ok := strings.Cut(rest, ":")
		if !ok || !strings.HasPrefix(svc, "s3") || p == "" {
			return ""
		}
		return p
	}
	for _, b := range sel.Basic {
		for _, dr := range b.DataResources {
			for _, v := range dr.Values {
				if p := try(v); p != "" {
					return p
				}
			}
		}
	}
	for _, a := range sel.Advanced {
		for _, fs := range a.FieldSelectors {
			if fs.Field != "resources.ARN" {
				continue
			}
			for _, l := range [][]string{fs.StartsWith, fs.Equals, fs.NotStartsWith, fs.NotEquals} {
				for _, v := range l {
					if p := try(v); p != "" {
						return p
					}
				}
			}
		}
	}
	return "aws"
}

func describeConds(conds []inventory.FieldSelector) string {
	var parts []string
	for _, fs := range conds {
		add := func(op string, vals []string) {
			if len(vals) > 0 {
				parts = append(parts, fmt.Sprintf("%s %s %s", fs.Field, op, strings.Join(vals, ", ")))
			}
		}
		add("Equals", fs.Equals)
		add("StartsWith", fs.StartsWith)
		add("EndsWith", fs.EndsWith)
		add("NotEquals", fs.NotEquals)
		add("NotStartsWith", fs.NotStartsWith)
		add("NotEndsWith", fs.NotEndsWith)
		if isEmpty(fs) {
			parts = append(parts, fs.Field+" (no condition)")
		}
	}
	return strings.Join(parts, " and ")
}

func without(all, some []string) []string {
	var out []string
	for _, v := range all {
		if !slices.Contains(some, v) {
			out = append(out, v)
		}
	}
	return out
}

func dedupe(in []string) []string {
	var out []string
	for _, v := range in {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func prefixAll(p string, in []string) []string {
	out := make([]string, len(in))
	for i, v := range in {
		out[i] = p + v
	}
	return out
}
