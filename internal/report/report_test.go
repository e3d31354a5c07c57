package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/trailseal/trailseal/internal/catalog"
	"github.com/trailseal/trailseal/internal/findings"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

const (
	acctA = "111122223333"
	acctB = "444455556666"
)

func testCatalog() []catalog.Rule {
	return []catalog.Rule{
		{
			ID: "trail.log_file_validation", Severity: findings.High, Title: "Log file validation is enabled", Scope: "trail",
			Rationale:   "Without digest files nobody can prove that a log file was not changed.",
			Remediation: catalog.Remediation{Console: "CloudTrail > Trails > Edit > enable log file validation.", CLI: "aws cloudtrail update-trail --name NAME --enable-log-file-validation", Terraform: "enable_log_file_validation = true"},
			References:  []string{"https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html"},
			Frameworks:  []catalog.Framework{{Framework: "cis-1.4", Control: "3.2"}, {Framework: "fsbp", Control: "CloudTrail.4"}},
		},
		{
			ID: "bucket.mfa_delete", Severity: findings.Medium, Title: "MFA Delete is enabled on the trail bucket", Scope: "bucket",
			Rationale:   "MFA Delete stops a stolen key from deleting log versions.",
			Remediation: catalog.Remediation{CLI: "aws s3api put-bucket-versioning --bucket B --versioning-configuration Status=Enabled,MFADelete=Enabled --mfa 'SERIAL CODE'"},
			Frameworks:  []catalog.Framework{{Framework: "cis-5.0", Control: "2.1.2"}},
		},
		{
			ID: "bucket.public_access", Severity: findings.Critical, Title: "The trail bucket is not public", Scope: "bucket",
			Rationale:  "A public log bucket leaks every API call of the account.",
			Frameworks: []catalog.Framework{{Framework: "fsbp", Control: "CloudTrail.6"}},
		},
		{ID: "trail.insights", Severity: findings.Low, Title: "Insights are enabled", Scope: "trail"},
	}
}

func mk(rule string, sev findings.Severity, st findings.Status, acct, region, res, msg string, ev findings.Evidence) findings.Finding {
	return findings.Finding{ID: findings.StableID(rule, acct, region, res), RuleID: rule, Status: st, Severity: sev,
		Account: acct, Region: region, Resource: res, Message: msg, Evidence: ev}
}

// testReport covers every status, two accounts, a suppressed finding,
// evidence, and text that must be escaped in HTML, XML and CSV.
func testReport() *findings.Report {
	suppressed := mk("bucket.mfa_delete", findings.Medium, findings.Fail, acctA, "us-east-1", "arn:aws:s3:::org-trail-logs",
		"MFA Delete is Disabled", findings.Evidence{"mfaDelete": "Disabled", "lifecycleRules": 2})
	suppressed.Suppressed = &findings.Suppression{Reason: "Object Lock COMPLIANCE instead (RISK-142)", Expires: "2027-06-30"}
	rep := &findings.Report{
		Tool: "trailseal", Version: "v9.9.9-volatile", GeneratedAt: time.Now(), Source: "snapshot:test.json",
		Accounts: []string{acctA, acctB}, Regions: []string{"us-east-1", "eu-west-1"},
		Findings: []findings.Finding{
			mk("bucket.public_access", findings.Critical, findings.Fail, acctB, "eu-west-1", "arn:aws:s3:::public-logs",
				`bucket policy allows "*" to s3:GetObject <script>alert("x")</script>, & more`,
				findings.Evidence{"policyPrincipal": "*", "blockPublicAccess": map[string]bool{"BlockPublicPolicy": false}}),
			mk("trail.log_file_validation", findings.High, findings.Fail, acctA, "us-east-1", "arn:aws:cloudtrail:us-east-1:111122223333:trail/main",
				"LogFileValidationEnabled is false", findings.Evidence{"logFileValidationEnabled": false}),
			mk("trail.log_file_validation", findings.High, findings.Pass, acctB, "eu-west-1", "arn:aws:cloudtrail:eu-west-1:444455556666:trail/org",
				"LogFileValidationEnabled is true", nil),
			mk("bucket.mfa_delete", findings.Medium, findings.Error, acctB, "eu-west-1", "arn:aws:s3:::public-logs",
				"cannot read versioning: GetBucketVersioning AccessDenied", findings.Evidence{"call": "GetBucketVersioning", "errorCode": "AccessDenied"}),
			mk("bucket.mfa_delete", findings.Medium, findings.Manual, acctB, "eu-west-1", "arn:aws:s3:::archive-logs",
				"bucket is held by account 999988887777: check it there", findings.Evidence{"ownerAccountId": "999988887777"}),
			suppressed,
			mk("trail.insights", findings.Low, findings.NA, acctA, "us-east-1", "", "no logging trail", nil),
		},
	}
	return rep
}

// normalise replaces the fields that change on every run.
func normalise(rep *findings.Report) *findings.Report {
	rep.GeneratedAt = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rep.Version = "v0.0.0-test"
	return rep
}

func render(t *testing.T, format string, rep *findings.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, format, rep, testCatalog(), Options{}); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return buf.Bytes()
}

var goldenExt = map[string]string{"json": "json", "table": "txt", "sarif": "sarif.json", "asff": "asff.json", "ocsf": "ocsf.json", "junit": "junit.xml", "csv": "csv", "html": "html"}

func TestGolden(t *testing.T) {
	for format, ext := range goldenExt {
		t.Run(format, func(t *testing.T) {
			got := render(t, format, normalise(testReport()))
			checkGolden(t, filepath.Join("testdata", "golden", "report."+ext), got)
		})
	}
}

func TestEveryFormatRegistered(t *testing.T) {
	for _, f := range []string{"table", "json", "sarif", "asff", "ocsf", "junit", "csv", "html"} {
		if _, err := Lookup(f); err != nil {
			t.Errorf("format %s: %v", f, err)
		}
	}
	if _, err := Lookup("pdf"); err == nil || !strings.Contains(err.Error(), "sarif") {
		t.Errorf("unknown format error should list the formats: %v", err)
	}
}

func TestStableIDsAcrossRuns(t *testing.T) {
	a := render(t, "sarif", normalise(testReport()))
	rep := testReport() // different GeneratedAt and Version
	b := render(t, "sarif", rep)
	ids := func(doc []byte) []string {
		var log struct {
			Runs []struct {
				Results []struct {
					PartialFingerprints map[string]string `json:"partialFingerprints"`
				} `json:"results"`
			} `json:"runs"`
		}
		if err := json.Unmarshal(doc, &log); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range log.Runs[0].Results {
			out = append(out, r.PartialFingerprints[sarifFingerprint])
		}
		return out
	}
	if diff := cmp.Diff(ids(a), ids(b)); diff != "" || len(ids(a)) == 0 {
		t.Errorf("finding IDs changed between runs: %s", diff)
	}
}

func compileSchema(t *testing.T, file string) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "schemas", file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(file, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(file)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, doc []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(inst)
}

func TestSARIFValidAgainstSchema(t *testing.T) {
	s := compileSchema(t, "sarif-schema-2.1.0.json")
	doc := render(t, "sarif", normalise(testReport()))
	if err := validate(t, s, doc); err != nil {
		t.Fatalf("SARIF output is not valid SARIF 2.1.0: %v", err)
	}
	// The validator must reject a broken document, or the check above
	// proves nothing.
	broken := bytes.Replace(doc, []byte(`"kind": "fail"`), []byte(`"kind": "failed"`), 1)
	if err := validate(t, s, broken); err == nil {
		t.Fatal("schema accepted an invalid result kind")
	}

	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID         string         `json:"id"`
						Properties map[string]any `json:"properties"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID       string `json:"ruleId"`
				RuleIndex    int    `json:"ruleIndex"`
				Kind, Level  string
				Suppressions []struct {
					Kind          string `json:"kind"`
					Justification string `json:"justification"`
				} `json:"suppressions"`
				Properties map[string]any `json:"properties"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(doc, &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if len(run.Results) != 5 {
		t.Fatalf("want 5 results (3 FAIL incl. suppressed, 1 ERROR, 1 MANUAL), got %d", len(run.Results))
	}
	suppressed := 0
	for _, r := range run.Results {
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("ruleIndex %d does not point at %s", r.RuleIndex, r.RuleID)
		}
		if st := r.Properties["status"]; st == "PASS" || st == "N/A" {
			t.Errorf("%s result exported", st)
		}
		// SARIF 2.1.0 §3.27.10: a result whose kind is not "fail" has level
		// "none" (the schema cannot say it; the prose does).
		want := map[any][2]string{"ERROR": {"open", "none"}, "MANUAL": {"review", "none"}}[r.Properties["status"]]
		if r.Properties["status"] == "FAIL" {
			want = [2]string{"fail", r.Level}
			if r.Level == "none" || r.Level == "" {
				t.Errorf("%s FAIL without a level", r.RuleID)
			}
		}
		if got := [2]string{r.Kind, r.Level}; got != want {
			t.Errorf("%s (%v): kind/level %v, want %v", r.RuleID, r.Properties["status"], got, want)
		}
		if len(r.Suppressions) > 0 {
			suppressed++
			if r.Suppressions[0].Kind != "external" || !strings.Contains(r.Suppressions[0].Justification, "RISK-142") {
				t.Errorf("suppression = %+v", r.Suppressions[0])
			}
		}
	}
	if suppressed != 1 {
		t.Errorf("want 1 suppressed result, got %d", suppressed)
	}
	if got := run.Tool.Driver.Rules[2].Properties["security-severity"]; got != "9.5" {
		t.Errorf("critical rule security-severity = %v", got)
	}
}

func TestOCSFValidAgainstSchema(t *testing.T) {
	s := compileSchema(t, "ocsf-1.3.0-compliance-finding.json")
	doc := render(t, "ocsf", normalise(testReport()))
	if err := validate(t, s, doc); err != nil {
		t.Fatalf("OCSF output does not match the class 2003 schema: %v", err)
	}
	var events []map[string]any
	if err := json.Unmarshal(doc, &events); err != nil {
		t.Fatal(err)
	}
	if len(events) != len(testReport().Findings) {
		t.Fatalf("want one event per finding, got %d", len(events))
	}
	// Negative control: drop a required attribute.
	var mutated []map[string]any
	_ = json.Unmarshal(doc, &mutated)
	delete(mutated[0], "finding_info")
	broken, _ := json.Marshal(mutated)
	if err := validate(t, s, broken); err == nil {
		t.Fatal("schema accepted an event without finding_info")
	}
	byID := map[string]map[string]any{}
	for _, e := range events {
		byID[e["finding_info"].(map[string]any)["uid"].(string)] = e
	}
	for _, f := range testReport().Findings {
		e := byID[f.ID]
		if e == nil {
			t.Fatalf("no event for %s", f.ID)
		}
		comp := e["compliance"].(map[string]any)
		wantComp := map[findings.Status]float64{findings.Fail: 3, findings.Pass: 1, findings.Error: 2, findings.Manual: 2, findings.NA: 99}[f.Status]
		if comp["status_id"] != wantComp {
			t.Errorf("%s %s: compliance.status_id = %v, want %v", f.RuleID, f.Status, comp["status_id"], wantComp)
		}
		wantStatus := 1.0
		if f.Suppressed != nil {
			wantStatus = 3
		}
		if e["status_id"] != wantStatus {
			t.Errorf("%s: status_id = %v, want %v", f.ID, e["status_id"], wantStatus)
		}
	}
}

func TestJUnit(t *testing.T) {
	doc := render(t, "junit", normalise(testReport()))
	var suites junitSuites
	if err := xml.Unmarshal(doc, &suites); err != nil {
		t.Fatalf("not XML: %v", err)
	}
	if suites.Tests != 7 || suites.Failures != 2 || suites.Errors != 1 || suites.Skipped != 3 {
		t.Errorf("totals tests=%d failures=%d errors=%d skipped=%d, want 7/2/1/3", suites.Tests, suites.Failures, suites.Errors, suites.Skipped)
	}
	names := map[string]bool{}
	for _, s := range suites.Suites {
		if names[s.Name] {
			t.Errorf("rule %s has two suites", s.Name)
		}
		names[s.Name] = true
		for _, c := range s.Cases {
			if c.Classname != s.Name {
				t.Errorf("case %q in suite %s has classname %s", c.Name, s.Name, c.Classname)
			}
		}
	}
	if len(names) != 4 {
		t.Errorf("want one suite per rule (4), got %d", len(names))
	}
	if !strings.Contains(string(doc), "suppressed FAIL until 2027-06-30") {
		t.Error("suppressed finding should be skipped with its reason")
	}
}

func TestCSV(t *testing.T) {
	doc := render(t, "csv", normalise(testReport()))
	rows, err := csv.NewReader(bytes.NewReader(doc)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rep := testReport()
	if len(rows) != len(rep.Findings)+1 {
		t.Fatalf("want header + %d rows, got %d", len(rep.Findings), len(rows))
	}
	if diff := cmp.Diff(csvHeader, rows[0]); diff != "" {
		t.Errorf("header: %s", diff)
	}
	for i, f := range rep.Findings {
		row := rows[i+1]
		if row[0] != f.ID || row[1] != f.RuleID || row[2] != string(f.Status) || row[7] != f.Resource || row[8] != f.Message {
			t.Errorf("row %d does not round-trip: %q", i+1, row)
		}
		if (row[9] == "true") != (f.Suppressed != nil) {
			t.Errorf("row %d suppressed column = %s", i+1, row[9])
		}
	}
	if !bytes.Contains(doc, []byte("\r\n")) {
		t.Error("RFC 4180 rows end in CRLF")
	}
}

func TestHTMLSelfContainedAndEscaped(t *testing.T) {
	doc := string(render(t, "html", normalise(testReport())))
	for _, bad := range []string{"<link", " src=", "@import", "url(", "<script src", `<script>alert("x")</script>`, "fonts.googleapis"} {
		if strings.Contains(doc, bad) {
			t.Errorf("HTML contains %q: it must be self-contained and escape report text", bad)
		}
	}
	if !strings.Contains(doc, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Error("finding message not HTML-escaped")
	}
	if got := strings.Count(doc, `<article class="card `); got != 5 {
		t.Errorf("want 5 cards (FAIL, ERROR, MANUAL), got %d", got)
	}
}
