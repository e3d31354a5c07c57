package report

import (
	"bytes"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/compliance"
	"github.com/trailseal/trailseal/internal/demo"
	"github.com/trailseal/trailseal/internal/findings"
	"github.com/trailseal/trailseal/internal/fix"
	"github.com/trailseal/trailseal/internal/rules"
)

// render of the parts, for comparison: filled values as {value}, the
// placeholders left as [token].
func showParts(parts []cmdPart) string {
	var b strings.Builder
	for _, p := range parts {
		switch {
		case p.Placeholder:
			b.WriteString("[" + p.Text + "]")
		case p.Fact != "":
			b.WriteString("{" + p.Text + "}")
		default:
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

func TestFillCommand(t *testing.T) {
	bucket := findings.Finding{Account: "111122223333", Region: "us-west-2", Resource: "arn:aws:s3:::acme-logs",
		Evidence: findings.Evidence{"trails": []any{"arn:aws:cloudtrail:us-west-2:111122223333:trail/main"}}}
	trail := findings.Finding{Account: "111122223333", Region: "eu-west-1", Resource: "arn:aws:cloudtrail:eu-west-1:111122223333:trail/audit"}
	twoTrails := findings.Finding{Account: "111122223333", Region: "global", Resource: "arn:aws:iam::111122223333:root",
		Evidence: findings.Evidence{"trails": []string{"arn:aws:cloudtrail:us-east-1:111122223333:trail/a", "arn:aws:cloudtrail:us-east-1:111122223333:trail/b"}}}
	logGroup := findings.Finding{Account: "111122223333", Region: "us-east-1", Resource: "arn:aws:logs:us-east-1:111122223333:log-group:/aws/cloudtrail/org:*"}
	unsafe := findings.Finding{Account: "111122223333", Region: "us-east-1", Resource: "arn:aws:cloudtrail:us-east-1:111122223333:trail/a b"}
	for _, c := range []struct {
		name string
		f    findings.Finding
		text string
		want string
	}{
		{"bucket and account", bucket,
			`aws s3api put-bucket-logging --bucket BUCKET --bucket-logging-status '{"LoggingEnabled":{"TargetBucket":"ACCESS_LOG_BUCKET","TargetPrefix":"BUCKET/"}}'`,
			`aws s3api put-bucket-logging --bucket {acme-logs} --bucket-logging-status '{"LoggingEnabled":{"TargetBucket":"[ACCESS_LOG_BUCKET]","TargetPrefix":"{acme-logs}/"}}'`},
		{"a bucket's one trail from its evidence", bucket,
			`"aws:SourceArn":"arn:aws:cloudtrail:REGION:ACCOUNT_ID:trail/TRAIL_NAME"`,
			`"aws:SourceArn":"arn:aws:cloudtrail:{us-west-2}:{111122223333}:trail/{main}"`},
		{"trail ARN and name", trail,
			`aws logs create-log-group --log-group-name cloudtrail/<trail>
aws cloudtrail update-trail --name <trail ARN> --cloud-watch-logs-role-arn <role ARN>`,
			`aws logs create-log-group --log-group-name cloudtrail/{audit}
aws cloudtrail update-trail --name {arn:aws:cloudtrail:eu-west-1:111122223333:trail/audit} --cloud-watch-logs-role-arn [<role ARN>]`},
		{"two trails: which one is the user's choice", twoTrails,
			`aws cloudtrail put-event-selectors --trail-name <trail ARN> --region <region>`,
			`aws cloudtrail put-event-selectors --trail-name [<trail ARN>] --region [<region>]`},
		{"log group", logGroup,
			`aws logs put-retention-policy --log-group-name <group> --retention-in-days 365`,
			`aws logs put-retention-policy --log-group-name {/aws/cloudtrail/org} --retention-in-days 365`},
		{"upper-case words and heredocs are text", bucket,
			"cat > lifecycle.json <<'JSON'\n{\"Mode\":\"COMPLIANCE\",\"StorageClass\":\"GLACIER\"}\nJSON\naws s3api put-bucket-lifecycle-configuration --bucket BUCKET",
			"cat > lifecycle.json <<'JSON'\n{\"Mode\":\"COMPLIANCE\",\"StorageClass\":\"GLACIER\"}\nJSON\naws s3api put-bucket-lifecycle-configuration --bucket {acme-logs}"},
		{"a name that would need quoting stays a placeholder", unsafe,
			`aws cloudtrail start-logging --name <trail ARN>`,
			`aws cloudtrail start-logging --name [<trail ARN>]`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, showParts(fillCommand(c.text, findingFacts(c.f)))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestRemediationPlaceholders checks every placeholder-looking token of the
// real catalog's CLI and Terraform remediation: an <angle-bracketed> one is
// always marked, and an upper-case word must be a placeholder the report
// knows or a word of the command itself (listed below). A new placeholder
// in the catalog fails here until the report can fill or mark it.
func TestRemediationPlaceholders(t *testing.T) {
	literal := map[string]bool{"AES256": true, "ARN": true, "AWS": true, "COMPLIANCE": true, "GOVERNANCE": true,
		"GLACIER": true, "ID": true, "JSON": true, "S3": true, "SERVICE_MANAGED": true}
	upper := regexp.MustCompile(`\b[A-Z][A-Z0-9_]*[A-Z0-9]\b`)
	for _, r := range reportedCatalog() {
		for _, text := range []string{r.Remediation.CLI, r.Remediation.Terraform} {
			for _, word := range upper.FindAllString(text, -1) {
				if _, ok := placeholders[word]; !ok && !literal[word] {
					t.Errorf("%s: %q is neither a known placeholder nor a listed literal word", r.ID, word)
				}
			}
		}
	}
}

// TestHTMLCardsDemo renders the demo account's report and checks, in the
// page source, what the Chromium test checks on screen: remediation open,
// evidence folded, names filled in, and the fix command exactly on the FAIL
// findings of rules that 'trailseal fix' can fix.
func TestHTMLCardsDemo(t *testing.T) {
	rep := demoReport(t)
	var buf bytes.Buffer
	if err := writeHTML(&buf, rep, reportedCatalog(), Options{Fixable: fix.Fixable}); err != nil {
		t.Fatal(err)
	}
	doc := buf.String()
	articles := strings.Split(doc, "<article ")[1:]
	actionable := 0
	for _, f := range rep.Findings {
		if f.Status == findings.Fail || f.Status == findings.Error || f.Status == findings.Manual {
			actionable++
		}
	}
	if len(articles) != actionable {
		t.Fatalf("%d cards, want %d", len(articles), actionable)
	}
	fixHints := 0
	for _, a := range articles {
		rule := regexp.MustCompile(`data-rule="([^"]+)"`).FindStringSubmatch(a)[1]
		status := regexp.MustCompile(`data-status="([^"]+)"`).FindStringSubmatch(a)[1]
		wantFix := status == "fail" && slices.Contains(fix.Fixable, rule)
		if got := strings.Contains(a, `<code class="fixcmd">trailseal fix --rules `+rule+`</code>`); got != wantFix {
			t.Errorf("%s %s: fix command shown = %v, want %v", status, rule, got, wantFix)
		}
		if wantFix {
			fixHints++
		}
		if strings.Contains(a, `<details class="evidence" open`) {
			t.Errorf("%s: evidence is open", rule)
		}
		if strings.Contains(a, `class="remedy"`) && !strings.Contains(a, `<details class="remedy" open>`) {
			t.Errorf("%s: remediation is folded", rule)
		}
	}
	if fixHints == 0 {
		t.Error("no fix command in the demo report")
	}
	// The legacy bucket's versioning fix names the bucket, not BUCKET.
	if !strings.Contains(doc, `put-bucket-versioning --bucket <span class="filled" title="bucket, from this finding">acme-legacy-cloudtrail</span>`) {
		t.Error("bucket name not filled into the versioning command")
	}
	if strings.Contains(doc, "--bucket BUCKET") {
		t.Error("a --bucket BUCKET placeholder is left where the finding names the bucket")
	}
}

// TestComplianceHTML renders a compliance view as a page: one row per
// control, and the score by control.
func TestComplianceHTML(t *testing.T) {
	fw, v, page := renderComplianceHTML(t, demoReport(t), "cis-5.0")
	doc := string(page)
	if got := strings.Count(doc, "<tr data-control="); got != len(fw.Controls) {
		t.Errorf("%d control rows, want %d", got, len(fw.Controls))
	}
	assessed := len(v.Controls) - v.Summary[findings.NA]
	want := `data-pass="` + strconv.Itoa(v.Summary[findings.Pass]) + `" data-assessed="` + strconv.Itoa(assessed) + `"`
	if !strings.Contains(doc, want) {
		t.Errorf("page lacks %s", want)
	}
	for _, bad := range []string{"<link", " src=", "url(", "@import"} {
		if strings.Contains(doc, bad) {
			t.Errorf("compliance page contains %q", bad)
		}
	}
}

// reportedCatalog is the catalog of a scan: account and organization rules.
func reportedCatalog() []catalog.Rule { return append(catalog.Account(), catalog.Organization()...) }

// demoReport is the built-in demo account, scanned by the real catalog.
func demoReport(t *testing.T) *findings.Report {
	t.Helper()
	inv, err := demo.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	return normalise(&findings.Report{Tool: "trailseal", Source: "demo", Accounts: []string{inv.Account.ID}, Regions: inv.Regions,
		Findings: rules.Evaluate(inv, rules.All(), rules.DefaultOptions())})
}

// renderComplianceHTML renders the view of rep through the framework id as
// a page.
func renderComplianceHTML(t *testing.T, rep *findings.Report, id string) (*compliance.Framework, *compliance.View, []byte) {
	t.Helper()
	fw, err := compliance.Load(id)
	if err != nil {
		t.Fatal(err)
	}
	v := compliance.Evaluate(fw, rep)
	var buf bytes.Buffer
	if err := WriteComplianceHTML(&buf, v, rep); err != nil {
		t.Fatal(err)
	}
	return fw, v, buf.Bytes()
}
