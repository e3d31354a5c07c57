package selectors

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/trailseal/trailseal/internal/inventory"
)

// The property test checks the evaluator against a brute-force reference:
// random selector sets are run over a finite universe of sample events, and
// whenever the evaluator claims "all" (or "none") for a space, every sample
// event of that space must be recorded (or none may be). The reference
// matcher below is written independently of the evaluator.

type sampleEvent map[string]string

func refFieldMatch(fs inventory.FieldSelector, v string) bool {
	pos := false
	for _, e := range fs.Equals {
		if v == e {
			pos = true
		}
	}
	for _, p := range fs.StartsWith {
		if len(v) >= len(p) && v[:len(p)] == p {
			pos = true
		}
	}
	for _, s := range fs.EndsWith {
		if len(v) >= len(s) && v[len(v)-len(s):] == s {
			pos = true
		}
	}
	if len(fs.Equals)+len(fs.StartsWith)+len(fs.EndsWith) > 0 && !pos {
		return false
	}
	for _, e := range fs.NotEquals {
		if v == e {
			return false
		}
	}
	for _, p := range fs.NotStartsWith {
		if len(v) >= len(p) && v[:len(p)] == p {
			return false
		}
	}
	for _, s := range fs.NotEndsWith {
		if len(v) >= len(s) && v[len(v)-len(s):] == s {
			return false
		}
	}
	return true
}

func refRecorded(sel inventory.EventSelectors, ev sampleEvent) bool {
	if len(sel.Basic) == 0 && len(sel.Advanced) == 0 {
		return ev["eventCategory"] == "Management"
	}
	for _, a := range sel.Advanced {
		all := true
		for _, fs := range a.FieldSelectors {
			if !refFieldMatch(fs, ev[fs.Field]) {
				all = false
			}
		}
		if all {
			return true
		}
	}
	for _, b := range sel.Basic {
		rwOK := b.ReadWriteType == "" || b.ReadWriteType == "All" ||
			(b.ReadWriteType == "ReadOnly" && ev["readOnly"] == "true") ||
			(b.ReadWriteType == "WriteOnly" && ev["readOnly"] == "false")
		if !rwOK {
			continue
		}
		if ev["eventCategory"] == "Management" && b.IncludeManagementEvents {
			excluded := false
			for _, s := range b.ExcludeManagementEventSources {
				excluded = excluded || s == ev["eventSource"]
			}
			if !excluded {
				return true
			}
		}
		if ev["eventCategory"] == "Data" {
			for _, dr := range b.DataResources {
				if dr.Type != ev["resources.type"] {
					continue
				}
				for _, v := range dr.Values {
					if strings.HasPrefix(ev["resources.ARN"], v) {
						return true
					}
				}
			}
		}
	}
	return false
}

var (
	sampleSources   = []string{"s3.amazonaws.com", "kms.amazonaws.com", "rdsdata.amazonaws.com", "iam.amazonaws.com", "ec2.amazonaws.com", "x", ""}
	sampleMgmtNames = []string{"GetObject", "PutObject", "Decrypt", "CreateTrail", "Get", ""}
	sampleErrors    = []string{"", "AccessDenied"}
	sampleIdentity  = []string{"arn:aws:iam::111122223333:user/alice", ""}
	sampleObjects   = []string{"arn:aws:s3:::b1/x", "arn:aws:s3:::b1/logs/a", "arn:aws:s3:::b10/y", "arn:aws:s3:::b2/logs/z.gz", "arn:aws:s3:::noisy/k", "arn:aws:s3:::b1"}
)

func managementSamples(readOnly string) []sampleEvent {
	var out []sampleEvent
	for _, src := range sampleSources {
		for _, name := range sampleMgmtNames {
			for _, et := range managementEventTypes {
				for _, ec := range sampleErrors {
					for _, id := range sampleIdentity {
						out = append(out, sampleEvent{"eventCategory": "Management", "readOnly": readOnly,
							"eventSource": src, "eventName": name, "eventType": et, "errorCode": ec, "userIdentity.arn": id})
					}
				}
			}
		}
	}
	return out
}

func s3Samples(readOnly string, apis []string) []sampleEvent {
	var out []sampleEvent
	for _, name := range apis {
		for _, obj := range sampleObjects {
			for _, ec := range sampleErrors {
				for _, id := range sampleIdentity {
					out = append(out, sampleEvent{"eventCategory": "Data", "resources.type": "AWS::S3::Object", "readOnly": readOnly,
						"eventSource": "s3.amazonaws.com", "eventType": "AwsApiCall", "eventName": name,
						"resources.ARN": obj, "errorCode": ec, "userIdentity.arn": id})
				}
			}
		}
	}
	return out
}

var fieldVocab = map[string][]string{
	"eventCategory":    {"Management", "Data", "NetworkActivity"},
	"readOnly":         {"true", "false"},
	"eventSource":      sampleSources,
	"eventName":        append(append([]string{"Decrypt", "CreateTrail"}, S3WriteAPIs...), S3ReadAPIs...),
	"resources.type":   {"AWS::S3::Object", "AWS::Lambda::Function"},
	"resources.ARN":    {"arn:aws:s3:::", "arn:aws:s3", "arn:aws:s3:::b1/", "arn:aws:s3:::b1", "arn:aws:s3:::b1/logs/", "arn:aws:s3:::noisy/", "arn:aws-cn:s3:::", "arn:", ".gz", "/x"},
	"eventType":        managementEventTypes,
	"errorCode":        sampleErrors,
	"userIdentity.arn": sampleIdentity,
	"madeUpField":      {"x"},
}

func randomValues(r *rand.Rand, field string) []string {
	vocab := fieldVocab[field]
	n := 1 + r.IntN(3)
	out := make([]string, 0, n)
	for range n {
		v := vocab[r.IntN(len(vocab))]
		// Cut some values short so prefixes and suffixes get exercised.
		if r.IntN(4) == 0 && len(v) > 0 {
			if r.IntN(2) == 0 {
				v = v[:r.IntN(len(v)+1)]
			} else {
				v = v[r.IntN(len(v)+1):]
			}
		}
		out = append(out, v)
	}
	return out
}

func randomFieldSelector(r *rand.Rand, field string) inventory.FieldSelector {
	fs := inventory.FieldSelector{Field: field}
	ops := 1 + r.IntN(2)
	for range ops {
		vals := randomValues(r, field)
		switch r.IntN(6) {
		case 0:
			fs.Equals = vals
		case 1:
			fs.StartsWith = vals
		case 2:
			fs.EndsWith = vals
		case 3:
			fs.NotEquals = vals
		case 4:
			fs.NotStartsWith = vals
		case 5:
			fs.NotEndsWith = vals
		}
	}
	if r.IntN(40) == 0 {
		return inventory.FieldSelector{Field: field} // no operator at all
	}
	return fs
}

func randomAdvanced(r *rand.Rand) inventory.EventSelectors {
	fields := []string{"readOnly", "eventSource", "eventName", "resources.type", "resources.ARN", "eventType", "errorCode", "userIdentity.arn", "madeUpField"}
	var sel inventory.EventSelectors
	for i := range 1 + r.IntN(3) {
		a := inventory.AdvancedEventSelector{Name: fmt.Sprintf("s%d", i)}
		if r.IntN(5) > 0 {
			if r.IntN(4) == 0 {
				a.FieldSelectors = append(a.FieldSelectors, randomFieldSelector(r, "eventCategory"))
			} else {
				a.FieldSelectors = append(a.FieldSelectors, inventory.FieldSelector{Field: "eventCategory", Equals: []string{[]string{"Management", "Data"}[r.IntN(2)]}})
			}
		}
		if r.IntN(2) == 0 {
			a.FieldSelectors = append(a.FieldSelectors, inventory.FieldSelector{Field: "resources.type", Equals: []string{"AWS::S3::Object"}})
		}
		for range r.IntN(3) {
			a.FieldSelectors = append(a.FieldSelectors, randomFieldSelector(r, fields[r.IntN(len(fields))]))
		}
		sel.Advanced = append(sel.Advanced, a)
	}
	return sel
}

func randomBasic(r *rand.Rand) inventory.EventSelectors {
	var sel inventory.EventSelectors
	for range 1 + r.IntN(3) {
		b := inventory.EventSelector{
			ReadWriteType:           []string{"All", "ReadOnly", "WriteOnly", ""}[r.IntN(4)],
			IncludeManagementEvents: r.IntN(3) > 0,
		}
		if r.IntN(3) == 0 {
			b.ExcludeManagementEventSources = randomValues(r, "eventSource")
		}
		if r.IntN(2) == 0 {
			typ := []string{"AWS::S3::Object", "AWS::S3::Object", "AWS::Lambda::Function"}[r.IntN(3)]
			b.DataResources = []inventory.DataResource{{Type: typ, Values: randomValues(r, "resources.ARN")}}
		}
		sel.Basic = append(sel.Basic, b)
	}
	return sel
}

func TestEvaluateAgainstBruteForce(t *testing.T) {
	spaces := []struct {
		name    string
		samples []sampleEvent
		level   func(Coverage) Level
	}{
		{"management reads", managementSamples("true"), func(c Coverage) Level { return c.Management.Read.Level }},
		{"management writes", managementSamples("false"), func(c Coverage) Level { return c.Management.Write.Level }},
		{"S3 object reads", s3Samples("true", S3ReadAPIs), func(c Coverage) Level { return c.S3Read.Level }},
		{"S3 object writes", s3Samples("false", S3WriteAPIs), func(c Coverage) Level { return c.S3Write.Level }},
	}
	r := rand.New(rand.NewPCG(20260301, 7))
	seen := map[string]map[Level]int{}
	for _, sp := range spaces {
		seen[sp.name] = map[Level]int{}
	}
	const runs = 6000
	for i := range runs {
		sel := randomAdvanced(r)
		if i%3 == 0 {
			sel = randomBasic(r)
		}
		cov := EvaluatePartition(sel, "aws")
		for _, sp := range spaces {
			lvl := sp.level(cov)
			seen[sp.name][lvl]++
			covered := 0
			var missed sampleEvent
			for _, ev := range sp.samples {
				if refRecorded(sel, ev) {
					covered++
				} else if missed == nil {
					missed = ev
				}
			}
			switch {
			case lvl == All && covered != len(sp.samples):
				t.Fatalf("%s: evaluator claims all, but %v is not recorded by %+v", sp.name, missed, sel)
			case lvl == None && covered != 0:
				t.Fatalf("%s: evaluator claims none, but %d sample events are recorded by %+v", sp.name, covered, sel)
			}
		}
	}
	// Guard against a vacuous run: each space must have seen every level.
	for name, levels := range seen {
		for _, l := range []Level{All, Partial, None} {
			if levels[l] < 20 {
				t.Errorf("%s: only %d random selector sets evaluated to %s; the generator no longer exercises it", name, levels[l], l)
			}
		}
	}
	t.Logf("levels seen: %v", seen)
}
