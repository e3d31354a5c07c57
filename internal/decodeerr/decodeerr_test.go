package decodeerr

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

type account struct {
	ID string `json:"id"`
}

type doc struct {
	Account  account         `json:"account"`
	At       time.Time       `json:"collectedAt"`
	Regions  []string        `json:"regions"`
	Days     *int            `json:"days"`
	Calls    map[string]int  `json:"calls"`
	Trails   []trail         `json:"trails"`
	Raw      json.RawMessage `json:"raw"`
	Anything any             `json:"anything"`
	Embedded
}

type trail struct {
	Name    string     `json:"name"`
	Logging *bool      `json:"logging"`
	Until   *time.Time `json:"until"`
	DER     []byte     `json:"der"`
}

type Embedded struct {
	Note string `json:"note"`
}

func TestFindJSON(t *testing.T) {
	root := reflect.TypeFor[doc]()
	for _, tc := range []struct{ in, want string }{
		{`{"account":{"id":7}}`, `account.id must be text, not the number 7`},
		{`{"collectedAt":5}`, `collectedAt must be a time such as 2026-01-02T15:04:05Z, not the number 5`},
		{`{"collectedAt":"yesterday"}`, `collectedAt must be a time such as 2026-01-02T15:04:05Z, not text "yesterday"`},
		{`{"regions":"us-east-1"}`, `regions must be a list, not text "us-east-1"`},
		{`{"regions":["us-east-1", 1]}`, `regions[1] must be text, not the number 1`},
		{`{"days":1.5}`, `days must be a whole number, not the number 1.5`},
		{`{"days":1e400}`, `days must be a whole number, not the number 1e400`},
		{`{"days":"3"}`, `days must be a whole number, not text "3"`},
		{`{"calls":{"s3:GetBucketAcl":"x"}}`, `calls.s3:GetBucketAcl must be a whole number, not text "x"`},
		{`{"account":[]}`, `account must be an object, not a list`},
		{`{"trails":[{"name":"a"},{"name":"b","logging":"yes"}]}`, `trails[1].logging must be true or false, not text "yes"`},
		{`{"trails":[{"until":"2026-13-01"}]}`, `trails[0].until must be a time`},
		{`{"trails":[{"der":"%%%"}]}`, `trails[0].der must be base64 text, not text "%%%"`},
		{`{"note":5}`, `note must be text, not the number 5`},
		{`[1]`, `the document must be an object, not a list`},
	} {
		m, err := FindJSON(strings.NewReader(tc.in), root)
		if err != nil || m == nil || !strings.HasPrefix(m.Error(), tc.want) {
			t.Errorf("%s: got %v, %v; want %q", tc.in, m, err, tc.want)
			continue
		}
		for _, goName := range []string{"string", "int", "[]", "time.Time", "struct", "Go "} {
			if strings.Contains(m.Want, goName) {
				t.Errorf("%s: %q names a Go type", tc.in, m.Error())
			}
		}
	}
	fits := `{"account":{"id":"1"},"collectedAt":"2026-01-02T03:04:05Z","regions":["a"],"days":null,
		"calls":{"x":1},"trails":[{"name":"t","logging":true,"until":null,"der":"AAE="}],
		"raw":{"any":[1,"x"]},"anything":[{}],"unknown":{"deep":[1,2]},"ACCOUNT":{"ID":"2"},"note":"n"}`
	if m, err := FindJSON(strings.NewReader(fits), root); m != nil || err != nil {
		t.Errorf("a fitting document: %v, %v", m, err)
	}
}

func TestFromJSONTypeError(t *testing.T) {
	var d doc
	err := json.Unmarshal([]byte(`{"account":{"id":7}}`), &d)
	te, ok := err.(*json.UnmarshalTypeError)
	if !ok {
		t.Fatalf("%T", err)
	}
	if got := FromJSONTypeError(te).Error(); got != "account.id must be text, not a number" {
		t.Errorf("got %q", got)
	}
}

func TestQuote(t *testing.T) {
	if got := Quote(strings.Repeat("x", 100)); got != `"`+strings.Repeat("x", 40)+`..."` {
		t.Errorf("got %s", got)
	}
}

func TestUnmarshal(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"account": {"id": "1"}, "regions": ["a"]}`, ""},
		{"{\"trails\": [{\"name\": \"a\"},\n {\"name\": \"b\", \"logging\": \"yes\"}]}", `line 2: trails[1].logging must be true or false, not text "yes"`},
		{"{\n\"collectedAt\": 5}", "line 2: collectedAt must be a time such as 2026-01-02T15:04:05Z, not the number 5"},
		{`{"regions": [`, "unexpected end of JSON input"},
	} {
		var d doc
		err := Unmarshal([]byte(tc.in), &d)
		if got := fmt.Sprint(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
			t.Errorf("Unmarshal(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
}
