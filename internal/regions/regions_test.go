package regions

import (
	"slices"
	"strings"
	"testing"
)

func TestKnownIsSorted(t *testing.T) {
	if !slices.IsSorted(known) {
		t.Fatal("known must stay sorted: IsKnown uses binary search")
	}
}

func TestParse(t *testing.T) {
	got, err := Parse(" us-east-1, EU-WEST-1,us-east-1,")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"us-east-1", "eu-west-1"}; !slices.Equal(got, want) {
		t.Fatalf("Parse = %v, want %v", got, want)
	}
}

func TestParseRejects(t *testing.T) {
	for in, want := range map[string]string{
		"us-est-1":       `unknown region "us-est-1" (did you mean "us-east-1"?)`,
		"us-eas":         `unknown region "us-eas" (did you mean "us-east-1"?)`, // three edits still suggest
		"us-east-1,mars": `unknown region "mars" (see 'aws ec2 describe-regions' for valid codes)`,
		"":               "no region given",
		" , ":            "no region given",
	} {
		_, err := Parse(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) error = %v, want it to contain %q", in, err, want)
		}
	}
}
