package policy

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseShapes(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []Statement
	}{
		{
			name: "single statement object with string fields",
			doc:  `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`,
			want: []Statement{{Effect: "Allow", Principal: &Principal{Anyone: true}, Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::b/*"}}},
		},
		{
			name: "array with lists, NotAction and NotResource",
			doc: `{"Statement":[
				{"Sid":"a","Effect":"Deny","Principal":{"AWS":["arn:aws:iam::111122223333:root","444455556666"]},"NotAction":["iam:*"],"NotResource":"arn:aws:s3:::x"},
				{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com","CanonicalUser":"abc","Federated":["cognito-identity.amazonaws.com"]},"Action":["s3:PutObject","s3:GetBucketAcl"],"Resource":["r1","r2"]}
			]}`,
			want: []Statement{
				{Sid: "a", Effect: "Deny", Principal: &Principal{AWS: []string{"arn:aws:iam::111122223333:root", "444455556666"}}, NotActions: []string{"iam:*"}, NotResources: []string{"arn:aws:s3:::x"}},
				{Effect: "Allow", Principal: &Principal{Service: []string{"cloudtrail.amazonaws.com"}, CanonicalUser: []string{"abc"}, Federated: []string{"cognito-identity.amazonaws.com"}}, Actions: []string{"s3:PutObject", "s3:GetBucketAcl"}, Resources: []string{"r1", "r2"}},
			},
		},
		{
			name: "conditions: qualifiers, IfExists, bool and number values, key case",
			doc: `{"Statement":[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"*","Condition":{
				"Bool":{"aws:SecureTransport":false},
				"ForAnyValue:StringLikeIfExists":{"AWS:PrincipalOrgPaths":["o-1/*","o-2/*"]},
				"NumericLessThan":{"s3:TlsVersion":1.2}}}]}`,
			want: []Statement{{Effect: "Deny", Principal: &Principal{AWS: []string{"*"}}, Actions: []string{"s3:*"}, Resources: []string{"*"},
				Conditions: []Condition{
					{Operator: "Bool", Base: "Bool", Key: "aws:securetransport", Values: []string{"false"}},
					{Operator: "ForAnyValue:StringLikeIfExists", Base: "StringLike", Set: "ForAnyValue", IfExists: true, Key: "aws:principalorgpaths", Values: []string{"o-1/*", "o-2/*"}},
					{Operator: "NumericLessThan", Base: "NumericLessThan", Key: "s3:tlsversion", Values: []string{"1.2"}},
				}}},
		},
		{
			name: "URL-encoded identity policy without principal",
			doc:  `%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22cloudtrail%3A%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D`,
			want: []Statement{{Effect: "Allow", Actions: []string{"cloudtrail:*"}, Resources: []string{"*"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(tt.doc)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, d.Statements); diff != "" {
				t.Errorf("statements (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name, doc, wantErr string
	}{
		{"not JSON", `{"Statement": [`, "not valid JSON"},
		{"empty", "  ", "empty"},
		{"no statement", `{"Version":"2012-10-17"}`, "no Statement"},
		{"bad effect", `{"Statement":{"Effect":"Maybe","Action":"*"}}`, "Effect"},
		{"no action", `{"Statement":{"Effect":"Allow","Resource":"*"}}`, "neither Action nor NotAction"},
		{"action is a number", `{"Statement":{"Effect":"Allow","Action":5}}`, "Action"},
		{"string principal other than star", `{"Statement":{"Effect":"Allow","Principal":"me","Action":"*"}}`, "Principal"},
		{"unknown principal type", `{"Statement":{"Effect":"Allow","Principal":{"Robot":"x"},"Action":"*"}}`, "unknown principal type"},
		{"condition value object", `{"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringEquals":{"k":{"a":1}}}}}`, "Condition StringEquals k"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.doc)
			if err == nil {
				t.Fatalf("Parse accepted %s", tt.doc)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not mention %q", err, tt.wantErr)
			}
		})
	}
}
