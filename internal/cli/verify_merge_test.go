package cli

import "testing"

// TestVerifyMergeWrongType: a shard report whose JSON holds a value of the
// wrong type is refused in one line that names the field as the report
// does and the type expected in words, never a Go type.
func TestVerifyMergeWrongType(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{"schemaVersion":1,"kind":"archive","trail":5}`,
			`line 1: trail must be text, not the number 5`},
		{"{\"schemaVersion\": 1,\n \"chains\": [{\"account\": \"111122223333\"}, {\"account\": true}]}",
			`line 2: chains[1].account must be text, not true`},
		{`{"schemaVersion":1,"start":1767225600}`,
			`line 1: start must be a time such as 2026-01-02T15:04:05Z, not the number 1767225600`},
		{`{"schemaVersion":"1"}`,
			`line 1: schemaVersion must be a whole number, not text "1"`},
		{`{"schemaVersion":1,"hunt":{"detections":{}}}`,
			`line 1: hunt.detections must be a list, not an object`},
	} {
		p := writeFile(t, "shard-0.json", tc.body)
		assertUserError(t, ExitUsage, "verify merge: "+p+": "+tc.want, "verify", "merge", p)
	}
	p := writeFile(t, "shard-0.json", `{"schemaVersion":1,`)
	assertUserError(t, ExitUsage, "verify merge: "+p+" is not a JSON report: unexpected end of JSON input", "verify", "merge", p)
}
