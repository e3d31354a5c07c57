package filterpattern

import (
	"strings"
	"testing"
)

const cisTrailChanges = `{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }`

const cisBucketPolicy = `{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }`

func event(source, name string) string {
	return `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","sessionContext":{"attributes":{"mfaAuthenticated":"false"}}},` +
		`"eventTime":"2024-05-01T10:00:00Z","eventSource":"` + source + `","eventName":"` + name + `","awsRegion":"eu-west-1",` +
		`"sourceIPAddress":"203.0.113.7","readOnly":false,"managementEvent":true,"recipientAccountId":"111122223333",` +
		`"requestParameters":null,"resources":[{"ARN":"arn:aws:s3:::logs","type":"AWS::S3::Bucket"}],"latency":250,"errorCode":"AccessDenied"}`
}

func TestMatchCISPatterns(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		event   string
		want    bool
	}{
		{"trail changes: CreateTrail", cisTrailChanges, event("cloudtrail.amazonaws.com", "CreateTrail"), true},
		{"trail changes: StopLogging", cisTrailChanges, event("cloudtrail.amazonaws.com", "StopLogging"), true},
		{"trail changes: read call", cisTrailChanges, event("cloudtrail.amazonaws.com", "DescribeTrails"), false},
		{"trail changes: name is case sensitive", cisTrailChanges, event("cloudtrail.amazonaws.com", "createtrail"), false},
		{"bucket policy: PutBucketPolicy", cisBucketPolicy, event("s3.amazonaws.com", "PutBucketPolicy"), true},
		{"bucket policy: DeleteBucketReplication", cisBucketPolicy, event("s3.amazonaws.com", "DeleteBucketReplication"), true},
		{"bucket policy: other source", cisBucketPolicy, event("ec2.amazonaws.com", "PutBucketPolicy"), false},
		{"bucket policy: object call", cisBucketPolicy, event("s3.amazonaws.com", "PutObject"), false},
		{"not JSON event", cisTrailChanges, `CreateTrail happened`, false},
		{"JSON array event", cisTrailChanges, `[{"eventName":"CreateTrail"}]`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.pattern)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := p.Match(tt.event); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMatchJSON(t *testing.T) {
	ev := event("cloudtrail.amazonaws.com", "UpdateTrail")
	tests := []struct {
		pattern string
		want    bool
	}{
		// Whitespace and quoting.
		{`{$.eventName=UpdateTrail}`, true},
		{`{$.eventName="UpdateTrail"}`, true},
		{"{\n\t$.eventName   =\t\"UpdateTrail\"\n}", true},
		{`  { ( $.eventName = "UpdateTrail" ) }  `, true},
		{`{($.eventName=CreateTrail)||($.eventName=UpdateTrail)}`, true},
		{`{$.eventName="Update Trail"}`, false},
		{`{ $.eventName = "Update\"Trail" }`, false},
		// Wildcards.
		{`{ $.eventName = Update* }`, true},
		{`{ $.eventName = "*Trail" }`, true},
		{`{ $.eventName = *ate*ai* }`, true},
		{`{ $.eventName = *Bucket* }`, false},
		{`{ $.sourceIPAddress != 203.0.* }`, false},
		{`{ $.sourceIPAddress != 198.51.* }`, true},
		{`{ $.eventName = "*" }`, true},
		{`{ $.userIdentity = "*" }`, true},
		{`{ $.missing = "*" }`, false},
		{`{ $.requestParameters = "*" }`, false},
		// Nested selectors and arrays.
		{`{ $.userIdentity.type = IAMUser }`, true},
		{`{ $.userIdentity.sessionContext.attributes.mfaAuthenticated = "false" }`, true},
		{`{ $.resources[0].type = "AWS::S3::Bucket" }`, true},
		{`{ $.resources[1].type = "AWS::S3::Bucket" }`, false},
		{`{ $.resources[0].type NOT EXISTS }`, false},
		{`{ $.resources[3] NOT EXISTS }`, true},
		// Numbers.
		{`{ $.latency = 250 }`, true},
		{`{ $.latency = 250.0 }`, true},
		{`{ $.latency != 250 }`, false},
		{`{ $.latency > 249 }`, true},
		{`{ $.latency >= 250 }`, true},
		{`{ $.latency < 250 }`, false},
		{`{ $.latency <= 250 }`, true},
		{`{ $.latency > 1e3 }`, false},
		{`{ $.latency < -1 }`, false},
		{`{ $.recipientAccountId = 111122223333 }`, true},
		{`{ $.recipientAccountId > 1 }`, false}, // a string is never compared as a number
		// Booleans, null, existence.
		{`{ $.readOnly IS FALSE }`, true},
		{`{ $.readOnly IS TRUE }`, false},
		{`{ $.managementEvent is true }`, true},
		{`{ $.readOnly = false }`, true},
		{`{ $.eventName IS TRUE }`, false},
		{`{ $.requestParameters IS NULL }`, true},
		{`{ $.eventName IS NULL }`, false},
		{`{ $.missing IS NULL }`, false},
		{`{ $.missing NOT EXISTS }`, true},
		{`{ $.eventName NOT EXISTS }`, false},
		{`{ $.requestParameters NOT EXISTS }`, false},
		// A missing field never satisfies a comparison, not even !=.
		{`{ $.missing != "x" }`, false},
		{`{ $.requestParameters != "x" }`, false},
		// Precedence: && binds tighter than ||.
		{`{ $.eventName = CreateTrail && $.readOnly IS TRUE || $.eventName = UpdateTrail }`, true},
		{`{ $.eventName = UpdateTrail && ($.readOnly IS TRUE || $.eventName = CreateTrail) }`, false},
		{`{ $.eventName = UpdateTrail && $.errorCode = "*Denied" && $.awsRegion = eu-west-1 }`, true},
		// Regular expressions.
		{`{ $.eventName = %^(Create|Update)Trail$% }`, true},
		{`{ $.eventName != %Bucket% }`, true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			p, err := Parse(tt.pattern)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !p.IsJSON() {
				t.Fatalf("IsJSON = false for a JSON pattern")
			}
			if got := p.Match(ev); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMatchTerms(t *testing.T) {
	const line = `2024-05-01 ERROR [main] connection refused: host db-1`
	tests := []struct {
		pattern string
		event   string
		want    bool
	}{
		{``, line, true},
		{`   `, line, true},
		{``, ``, true},
		{`ERROR`, line, true},
		{`error`, line, false},
		{`ERROR main`, line, true},
		{`ERROR WARN`, line, false},
		{`"connection refused"`, line, true},
		{`"refused connection"`, line, false},
		{`?WARN ?ERROR`, line, true},
		{`?WARN ?FATAL`, line, false},
		{`ERROR -db-1`, line, false},
		{`ERROR -db-2`, line, true},
		{`ERROR -"connection refused"`, line, false},
		{`CreateTrail`, `{"eventName":"CreateTrail"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			p, err := Parse(tt.pattern)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if p.IsJSON() {
				t.Fatalf("IsJSON = true for a term pattern")
			}
			if got := p.Match(tt.event); got != tt.want {
				t.Errorf("Match(%q) = %v, want %v", tt.event, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		pattern string
		wantErr string
	}{
		{`{ $.eventName = CreateTrail`, "expected '}'"},
		{`{ }`, "empty JSON pattern"},
		{`{ $.eventName }`, "expected an operator"},
		{`{ $.eventName = }`, "expected a value"},
		{`{ ($.eventName = A) || }`, "expected a $. selector"},
		{`{ ($.eventName = A }`, "expected ')'"},
		{`{ $.eventName = A } trailing`, "after the closing"},
		{`{ eventName = A }`, "expected a $. selector"},
		{`{ $.latency > abc }`, "needs a number"},
		{`{ $.a IS MAYBE }`, "expected TRUE, FALSE or NULL"},
		{`{ $.a NOT THERE }`, "expected EXISTS"},
		{`{ $.a = "unterminated }`, "unterminated string"},
		{`{ $.a = %unterminated }`, "unterminated regular expression"},
		{`{ $.a = %(% }`, "regular expression"},
		{`{ $.a > %x% }`, "needs a number"},
		{`{ $. = x }`, "empty field name"},
		{`{ $.a[x] = x }`, "array index"},
		{`{ $.a[0 = x }`, "unclosed"},
		{`{ $ = x }`, "names no field"},
		{`{ $.a = b && && $.c = d }`, "expected a $. selector"},
		{`[ip, user, status]`, "space-delimited"},
		{`ERROR ?`, "not followed by a term"},
		{`"unterminated`, "unterminated string"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			_, err := Parse(tt.pattern)
			if err == nil {
				t.Fatalf("Parse succeeded, want an error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans several lines: %q", err)
			}
		})
	}
}

func TestWildcardMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"abc", "abc", true},
		{"abc", "abcd", false},
		{"*", "", true},
		{"a*", "a", true},
		{"*c", "abc", true},
		{"a*c", "ac", true},
		{"a*c", "abcbc", true},
		{"a*b*c", "acb", false},
		{"ab*ba", "aba", false},
		{"**", "x", true},
	}
	for _, tt := range tests {
		if got := wildcardMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("wildcardMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestStringKeepsSource(t *testing.T) {
	p := MustParse(cisTrailChanges)
	if p.String() != cisTrailChanges {
		t.Errorf("String() = %q, want the pattern as written", p.String())
	}
}
