package suppress

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/findings"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, resource string
		want              bool
	}{
		{"arn:aws:s3:::org-trail-logs", "arn:aws:s3:::org-trail-logs", true},
		{"arn:aws:s3:::org-trail-logs", "arn:aws:s3:::org-trail-logs2", false},
		{"arn:aws:s3:::org-trail-*", "arn:aws:s3:::org-trail-logs", true},
		{"arn:aws:s3:::org-trail-*", "arn:aws:s3:::other-trail-logs", false},
		{"arn:aws:cloudtrail:*:111122223333:trail/*", "arn:aws:cloudtrail:eu-west-1:111122223333:trail/main", true},
		{"arn:aws:cloudtrail:*:111122223333:trail/*", "arn:aws:cloudtrail:eu-west-1:444455556666:trail/main", false},
		{"*", "anything:at/all", true},
		{"arn:aws:s3:::log?", "arn:aws:s3:::logs", true},
		{"arn:aws:s3:::log?", "arn:aws:s3:::log", false},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"", "", true},
		{"", "x", false},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.resource); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.resource, got, tt.want)
		}
	}
}

func TestLoadExample(t *testing.T) {
	f, err := Load("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Entries) != 2 {
		t.Fatalf("got %d entries, want 2", len(f.Entries))
	}
	e := f.Entries[0]
	if e.Rule != "bucket.mfa_delete" || e.Resource != "arn:aws:s3:::org-trail-*" || e.Account != "111122223333" ||
		e.Region != "us-east-1" || e.ExpiresString() != "2027-06-30" || e.Line != 3 ||
		!strings.Contains(e.Reason, "RISK-142") {
		t.Errorf("first entry parsed wrong: %+v", e)
	}
	if f.Entries[1].Line != 9 {
		t.Errorf("second entry line = %d, want 9", f.Entries[1].Line)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Fatalf("want an error naming the file, got %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, doc string
		// want is a fragment of the one-line error, which always starts
		// with "s.yaml:<line>:".
		wantLine string
		want     string
	}{
		{"missing reason", "suppressions:\n  - rule: trail.insights\n    resource: x\n    expires: 2030-01-01\n", "s.yaml:2:", "missing reason"},
		{"missing expires", "suppressions:\n  - rule: trail.insights\n    resource: x\n    reason: ok\n", "s.yaml:2:", "missing expires"},
		{"missing reason and expires on second entry", "suppressions:\n  - rule: a\n    resource: x\n    reason: ok\n    expires: 2030-01-01\n  - rule: b\n    resource: y\n", "s.yaml:6:", "missing reason, expires"},
		{"bad date", "suppressions:\n  - rule: a\n    resource: x\n    reason: ok\n    expires: next year\n", "s.yaml:5:", "not a date"},
		{"unknown key", "suppressions:\n  - rule: a\n    resource: x\n    reason: ok\n    expire: 2030-01-01\n", "s.yaml:5:", "unknown key \"expire\""},
		{"unknown top-level key", "supressions:\n  - rule: a\n", "s.yaml:1:", "unknown top-level key"},
		{"not a list", "suppressions: yes\n", "s.yaml:1:", "must be a list"},
		{"list value", "suppressions:\n  - rule: [a, b]\n    resource: x\n    reason: ok\n    expires: 2030-01-01\n", "s.yaml:2:", "single value"},
		{"malformed yaml", "suppressions:\n  - rule: a\n   resource: [x\n", "s.yaml:", "invalid YAML"},
		{"empty", "", "s.yaml:1:", "empty"},
		{"entry not a mapping", "suppressions:\n  - just-a-string\n", "s.yaml:2:", "must be a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("s.yaml", []byte(tt.doc))
			if err == nil {
				t.Fatal("want an error, got none")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			if !strings.HasPrefix(msg, tt.wantLine) || !strings.Contains(msg, tt.want) {
				t.Errorf("error = %q, want prefix %q and %q", msg, tt.wantLine, tt.want)
			}
		})
	}
}

func TestParseEmptyList(t *testing.T) {
	f, err := Parse("s.yaml", []byte("suppressions:\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Entries) != 0 {
		t.Fatalf("want no entries, got %d", len(f.Entries))
	}
}

func finding(rule, status, account, region, resource string) findings.Finding {
	return findings.Finding{
		ID: findings.StableID(rule, account, region, resource), RuleID: rule, Status: findings.Status(status),
		Severity: findings.Medium, Account: account, Region: region, Resource: resource,
	}
}

func TestApply(t *testing.T) {
	f, err := Load("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep := &findings.Report{Findings: []findings.Finding{
		// 0: covered by entry 1.
		finding("bucket.mfa_delete", "FAIL", "111122223333", "us-east-1", "arn:aws:s3:::org-trail-logs"),
		// 1: same rule and bucket, other account: not covered.
		finding("bucket.mfa_delete", "FAIL", "444455556666", "us-east-1", "arn:aws:s3:::org-trail-logs"),
		// 2: other region: not covered.
		finding("bucket.mfa_delete", "FAIL", "111122223333", "eu-west-1", "arn:aws:s3:::org-trail-logs"),
		// 3: bucket outside the glob.
		finding("bucket.mfa_delete", "FAIL", "111122223333", "us-east-1", "arn:aws:s3:::audit-logs"),
		// 4: other rule, same bucket.
		finding("bucket.versioning", "FAIL", "111122223333", "us-east-1", "arn:aws:s3:::org-trail-logs"),
		// 5: PASS is never marked.
		finding("bucket.mfa_delete", "PASS", "111122223333", "us-east-1", "arn:aws:s3:::org-trail-b"),
		// 6: MANUAL is suppressible.
		finding("bucket.mfa_delete", "MANUAL", "111122223333", "us-east-1", "arn:aws:s3:::org-trail-c"),
		// 7: covered only by the expired entry 2.
		finding("trail.insights", "FAIL", "111122223333", "eu-west-1", "arn:aws:cloudtrail:eu-west-1:111122223333:trail/main"),
	}}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	expired := f.Apply(rep, now)
	wantSuppressed := map[int]bool{0: true, 6: true}
	for i, fd := range rep.Findings {
		if got := fd.Suppressed != nil; got != wantSuppressed[i] {
			t.Errorf("finding %d (%s %s %s %s): suppressed = %v, want %v", i, fd.RuleID, fd.Account, fd.Region, fd.Resource, got, wantSuppressed[i])
		}
	}
	if s := rep.Findings[0].Suppressed; s == nil || !strings.Contains(s.Reason, "RISK-142") || s.Expires != "2027-06-30" {
		t.Errorf("suppression record = %+v", s)
	}
	if len(expired) != 1 || expired[0].Rule != "trail.insights" || expired[0].Line != 9 {
		t.Errorf("expired = %+v, want the trail.insights entry", expired)
	}
	if got := len(rep.Failing(findings.Info)); got != 5 {
		t.Errorf("Failing after Apply = %d, want 5 (suppressed FAILs no longer count)", got)
	}
}

func TestExpiryBoundary(t *testing.T) {
	e := Entry{Expires: time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)}
	tests := []struct {
		now  time.Time
		want bool
	}{
		{time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC), false},
		{time.Date(2027, 6, 30, 23, 59, 59, 0, time.UTC), false},
		{time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(2027, 6, 29, 12, 0, 0, 0, time.UTC), false},
	}
	for _, tt := range tests {
		if got := e.Expired(tt.now); got != tt.want {
			t.Errorf("Expired(%s) = %v, want %v", tt.now, got, tt.want)
		}
	}
}

func TestResolve(t *testing.T) {
	entries := []catalog.Rule{{ID: "bucket.mfa_delete", Aliases: []string{"s3.mfa_delete"}}}
	f, err := Parse("s.yaml", []byte("suppressions:\n  - rule: s3.mfa_delete\n    resource: x\n    reason: r\n    expires: 2030-01-01\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Resolve(entries); err != nil {
		t.Fatal(err)
	}
	if f.Entries[0].Rule != "bucket.mfa_delete" {
		t.Errorf("alias not resolved: %q", f.Entries[0].Rule)
	}
	f.Entries[0].Rule = "bucket.mfa_delet"
	err = f.Resolve(entries)
	if err == nil || !strings.HasPrefix(err.Error(), "s.yaml:2:") || !strings.Contains(err.Error(), "bucket.mfa_delet") {
		t.Errorf("want unknown-rule error at s.yaml:2, got %v", err)
	}
}

func TestLoadFromDisk(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(p, []byte("suppressions:\n  - rule: a\n    resource: b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p)
	if err == nil || !strings.HasPrefix(err.Error(), p+":2:") {
		t.Fatalf("want error at %s:2, got %v", p, err)
	}
}
