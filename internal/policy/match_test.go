package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMatchAction(t *testing.T) {
	tests := []struct {
		pattern, action string
		want            bool
	}{
		{"*", "s3:PutObject", true},
		{"s3:*", "s3:PutObject", true},
		{"S3:putobject", "s3:PutObject", true},
		{"s3:Delete*", "s3:DeleteObjectVersion", true},
		{"s3:Delete*", "s3:PutObject", false},
		{"s3:Put*", "s3:PutBucketPolicy", true},
		{"s3:?etObject", "s3:GetObject", true},
		{"s3:GetObject", "s3:GetObjectAcl", false},
		{"cloudtrail:*", "s3:PutObject", false},
		{"s3:*", "s3:Put*", true},
		{"s3:Put*", "s3:*", false},
		{"*:*", "cloudtrail:*", true},
	}
	for _, tt := range tests {
		if got := MatchAction(tt.pattern, tt.action); got != tt.want {
			t.Errorf("MatchAction(%q, %q) = %v, want %v", tt.pattern, tt.action, got, tt.want)
		}
	}
}

func TestMatchResourceIsCaseSensitive(t *testing.T) {
	if !MatchResource("arn:aws:s3:::b/*", "arn:aws:s3:::b/AWSLogs/1") {
		t.Error("bucket wildcard should match an object")
	}
	if MatchResource("arn:aws:s3:::B/*", "arn:aws:s3:::b/x") {
		t.Error("resource match must be case-sensitive")
	}
}

func mustParse(t *testing.T, doc string) *Document {
	t.Helper()
	d, err := Parse(doc)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return d
}

func TestCoversActionAndResource(t *testing.T) {
	d := mustParse(t, `{"Statement":[
		{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"arn:aws:s3:::b/*"},
		{"Effect":"Allow","NotAction":"s3:Delete*","NotResource":"arn:aws:s3:::secret/*"}]}`)
	a, n := d.Statements[0], d.Statements[1]
	checks := []struct {
		name string
		got  bool
		want bool
	}{
		{"action list hit", a.CoversAction("s3:GetObject"), true},
		{"action list miss", a.CoversAction("s3:PutObject"), false},
		{"NotAction spares listed", n.CoversAction("s3:DeleteObject"), false},
		{"NotAction covers others", n.CoversAction("s3:PutBucketPolicy"), true},
		{"resource hit", a.CoversResource("arn:aws:s3:::b/k"), true},
		{"resource miss", a.CoversResource("arn:aws:s3:::c/k"), false},
		{"NotResource spares listed", n.CoversResource("arn:aws:s3:::secret/k"), false},
		{"NotResource covers others", n.CoversResource("arn:aws:s3:::b/k"), true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestPrincipalClassification(t *testing.T) {
	d := mustParse(t, `{"Statement":[
		{"Effect":"Allow","Principal":"*","Action":"*"},
		{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"*"},
		{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/r","111122223333","arn:aws-us-gov:iam::444455556666:root","AROAEXAMPLEID"]},"Action":"*"},
		{"Effect":"Allow","Principal":{"Service":"CloudTrail.amazonaws.com"},"Action":"*"},
		{"Effect":"Allow","Action":"*"}]}`)
	st := d.Statements
	if !st[0].Principal.IsAnyone() || !st[1].Principal.IsAnyone() {
		t.Error(`"*" and {"AWS":"*"} must both be anyone`)
	}
	if st[2].Principal.IsAnyone() || st[3].Principal.IsAnyone() || st[4].Principal.IsAnyone() {
		t.Error("accounts, services and a missing principal are not anyone")
	}
	accts, unresolved := st[2].Principal.Accounts()
	if diff := cmp.Diff([]string{"111122223333", "444455556666"}, accts); diff != "" {
		t.Errorf("accounts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"AROAEXAMPLEID"}, unresolved); diff != "" {
		t.Errorf("unresolved (-want +got):\n%s", diff)
	}
	if !st[3].Principal.HasService("cloudtrail.amazonaws.com") {
		t.Error("service match must be case-insensitive")
	}
	if st[2].Principal.HasService("cloudtrail.amazonaws.com") || st[4].Principal.HasService("cloudtrail.amazonaws.com") {
		t.Error("HasService matched a principal without services")
	}
}

func TestIsPublicGrant(t *testing.T) {
	tests := []struct {
		name string
		stmt string
		want bool
	}{
		{"star principal, no condition", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`, true},
		{"AWS star, no condition", `{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"s3:GetObject","Resource":"*"}`, true},
		{"NotPrincipal allow", `{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"*"}`, true},
		{"unrelated condition does not restrict", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:x-amz-acl":"private"}}}`, true},
		{"IfExists does not restrict", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-abc"}}}`, true},
		{"negated operator does not restrict", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}`, true},
		{"wildcard value does not restrict", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringLike":{"aws:SourceAccount":"*"}}}`, true},
		{"any IP does not restrict", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}}`, true},
		{"ForAllValues does not restrict", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}`, true},
		{"org ID restricts", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}`, false},
		{"key case is ignored", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"AWS:SOURCEACCOUNT":"111122223333"}}}`, false},
		{"source VPC endpoint restricts", `{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}}`, false},
		{"source IP range restricts", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}`, false},
		{"ArnLike source ARN restricts", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:cloudtrail:*:111122223333:trail/*"}}}`, false},
		{"ForAnyValue org paths restricts", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"o-abc/r-1/*"}}}`, false},
		{"deny is never a grant", `{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}`, false},
		{"account principal is not public", `{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustParse(t, `{"Statement":[`+tt.stmt+`]}`)
			if got := d.Statements[0].IsPublicGrant(); got != tt.want {
				t.Errorf("IsPublicGrant = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDeniesInsecureTransport(t *testing.T) {
	const bucket, objects = "arn:aws:s3:::logs", "arn:aws:s3:::logs/*"
	tests := []struct {
		name string
		stmt string
		want bool
	}{
		{"canonical deny", `{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::logs","arn:aws:s3:::logs/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`, true},
		{"BoolIfExists, AWS star, action star, boolean value", `{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:SecureTransport":false}}}`, true},
		{"NotAction sparing only IAM", `{"Effect":"Deny","Principal":"*","NotAction":"iam:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`, true},
		{"only GetObject denied", `{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`, false},
		{"only objects covered", `{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::logs/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`, false},
		{"value true denies TLS instead", `{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}`, false},
		{"deny to one account only", `{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`, false},
		{"allow, not deny", `{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`, false},
		{"extra condition narrows the deny", `{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"},"StringEquals":{"aws:SourceVpce":"vpce-1"}}}`, false},
		{"no condition at all", `{"Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket","Resource":"*"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustParse(t, `{"Statement":[`+tt.stmt+`]}`)
			if got := d.DeniesInsecureTransport(bucket, objects); got != tt.want {
				t.Errorf("DeniesInsecureTransport = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMayMatchService(t *testing.T) {
	tests := []struct {
		pattern, service string
		want             bool
	}{
		{"*", "s3", true},
		{"s*", "s3", true},
		{"S3:Get*", "s3", true},
		{"s3:GetObject", "s3", true},
		{"sqs:*", "s3", false},
		{"iam:*", "s3", false},
		{"codebuild:*", "cloudtrail", false},
		{"c*", "cloudtrail", true},
	}
	for _, tt := range tests {
		if got := MayMatchService(tt.pattern, tt.service); got != tt.want {
			t.Errorf("MayMatchService(%q, %q) = %v, want %v", tt.pattern, tt.service, got, tt.want)
		}
	}
}
