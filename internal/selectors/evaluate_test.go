package selectors

import (
	"slices"
	"strings"
	"testing"

	"github.com/trailseal/trailseal/internal/inventory"
)

func eq(field string, v ...string) inventory.FieldSelector {
	return inventory.FieldSelector{Field: field, Equals: v}
}

func neq(field string, v ...string) inventory.FieldSelector {
	return inventory.FieldSelector{Field: field, NotEquals: v}
}

func sw(field string, v ...string) inventory.FieldSelector {
	return inventory.FieldSelector{Field: field, StartsWith: v}
}

func adv(name string, fs ...inventory.FieldSelector) inventory.AdvancedEventSelector {
	return inventory.AdvancedEventSelector{Name: name, FieldSelectors: fs}
}

func advanced(s ...inventory.AdvancedEventSelector) inventory.EventSelectors {
	return inventory.EventSelectors{Advanced: s}
}

func basic(s ...inventory.EventSelector) inventory.EventSelectors {
	return inventory.EventSelectors{Basic: s}
}

var (
	mgmt   = eq("eventCategory", "Management")
	data   = eq("eventCategory", "Data")
	s3obj  = eq("resources.type", "AWS::S3::Object")
	reads  = eq("readOnly", "true")
	writes = eq("readOnly", "false")
)

func TestEvaluateManagement(t *testing.T) {
	tests := []struct {
		name       string
		sel        inventory.EventSelectors
		kind       ManagementKind
		read, writ Level
		excluded   []string
		mention    string // must appear in Describe()
	}{
		{name: "never customised", sel: inventory.EventSelectors{}, kind: ManagementAll, read: All, writ: All},
		{name: "basic all", sel: basic(inventory.EventSelector{ReadWriteType: "All", IncludeManagementEvents: true}), kind: ManagementAll, read: All, writ: All},
		{name: "basic default read write type", sel: basic(inventory.EventSelector{IncludeManagementEvents: true}), kind: ManagementAll, read: All, writ: All},
		{name: "basic write only", sel: basic(inventory.EventSelector{ReadWriteType: "WriteOnly", IncludeManagementEvents: true}), kind: ManagementWritesOnly, read: None, writ: All, mention: "readOnly Equals false"},
		{name: "basic read only", sel: basic(inventory.EventSelector{ReadWriteType: "ReadOnly", IncludeManagementEvents: true}), kind: ManagementReadsOnly, read: All, writ: None},
		{name: "basic management off", sel: basic(inventory.EventSelector{ReadWriteType: "All", IncludeManagementEvents: false, DataResources: []inventory.DataResource{{Type: "AWS::S3::Object", Values: []string{"arn:aws:s3"}}}}), kind: ManagementNone, read: None, writ: None},
		{name: "basic excluded source", sel: basic(inventory.EventSelector{ReadWriteType: "All", IncludeManagementEvents: true, ExcludeManagementEventSources: []string{"kms.amazonaws.com"}}), kind: ManagementPartial, read: Partial, writ: Partial, excluded: []string{"kms.amazonaws.com"}, mention: "eventSource NotEquals kms.amazonaws.com"},
		{name: "basic write only plus read only", sel: basic(
			inventory.EventSelector{ReadWriteType: "WriteOnly", IncludeManagementEvents: true},
			inventory.EventSelector{ReadWriteType: "ReadOnly", IncludeManagementEvents: true}), kind: ManagementAll, read: All, writ: All},
		{name: "basic excluded in one selector but not the other", sel: basic(
			inventory.EventSelector{ReadWriteType: "All", IncludeManagementEvents: true, ExcludeManagementEventSources: []string{"kms.amazonaws.com"}},
			inventory.EventSelector{ReadWriteType: "All", IncludeManagementEvents: true}), kind: ManagementAll, read: All, writ: All},
		{name: "basic unknown read write type", sel: basic(inventory.EventSelector{ReadWriteType: "Sometimes", IncludeManagementEvents: true}), kind: ManagementNone, read: None, writ: None},
		{name: "advanced management only", sel: advanced(adv("m", mgmt)), kind: ManagementAll, read: All, writ: All},
		{name: "advanced writes only", sel: advanced(adv("W", mgmt, writes)), kind: ManagementWritesOnly, read: None, writ: All, mention: `selector "W": readOnly Equals false`},
		{name: "advanced reads and writes in two selectors", sel: advanced(adv("r", mgmt, reads), adv("w", mgmt, writes)), kind: ManagementAll, read: All, writ: All},
		{name: "advanced readOnly NotEquals true is writes", sel: advanced(adv("w", mgmt, neq("readOnly", "true"))), kind: ManagementWritesOnly, read: None, writ: All},
		{name: "advanced excludes kms", sel: advanced(adv("m", mgmt, neq("eventSource", "kms.amazonaws.com"))), kind: ManagementPartial, read: Partial, writ: Partial, excluded: []string{"kms.amazonaws.com"}, mention: "kms.amazonaws.com"},
		{name: "advanced excludes kms and rdsdata", sel: advanced(adv("m", mgmt, neq("eventSource", "kms.amazonaws.com", "rdsdata.amazonaws.com"))), kind: ManagementPartial, read: Partial, writ: Partial, excluded: []string{"kms.amazonaws.com", "rdsdata.amazonaws.com"}},
		{name: "advanced excluded source added back", sel: advanced(
			adv("m", mgmt, neq("eventSource", "kms.amazonaws.com")),
			adv("kms", mgmt, eq("eventSource", "kms.amazonaws.com"))), kind: ManagementAll, read: All, writ: All},
		{name: "advanced two NotEquals covering each other", sel: advanced(
			adv("a", mgmt, neq("eventSource", "kms.amazonaws.com")),
			adv("b", mgmt, neq("eventSource", "rdsdata.amazonaws.com"))), kind: ManagementAll, read: All, writ: All},
		{name: "advanced NotStartsWith covered by StartsWith", sel: advanced(
			adv("a", mgmt, inventory.FieldSelector{Field: "eventName", NotStartsWith: []string{"Get"}}),
			adv("b", mgmt, sw("eventName", "G"))), kind: ManagementAll, read: All, writ: All},
		{name: "advanced NotStartsWith not covered by narrower StartsWith", sel: advanced(
			adv("a", mgmt, inventory.FieldSelector{Field: "eventName", NotStartsWith: []string{"Get"}}),
			adv("b", mgmt, sw("eventName", "GetObject"))), kind: ManagementPartial, read: Partial, writ: Partial},
		{name: "advanced eventSource Equals one service", sel: advanced(adv("m", mgmt, eq("eventSource", "iam.amazonaws.com"))), kind: ManagementPartial, read: Partial, writ: Partial},
		{name: "advanced restrictions on two different fields are not combined", sel: advanced(
			adv("a", mgmt, neq("eventSource", "kms.amazonaws.com")),
			adv("b", mgmt, eq("eventSource", "kms.amazonaws.com"), neq("eventName", "Decrypt"))), kind: ManagementPartial, read: Partial, writ: Partial, excluded: []string{"kms.amazonaws.com"}},
		{name: "advanced unknown field restricts", sel: advanced(adv("m", mgmt, eq("madeUpField", "x"))), kind: ManagementPartial, read: Partial, writ: Partial, mention: "madeUpField"},
		{name: "advanced errorCode restricts", sel: advanced(adv("m", mgmt, neq("errorCode", "AccessDenied"))), kind: ManagementPartial, read: Partial, writ: Partial},
		{name: "advanced empty field selector restricts", sel: advanced(adv("m", mgmt, inventory.FieldSelector{Field: "eventSource"})), kind: ManagementPartial, read: Partial, writ: Partial},
		{name: "advanced eventType one of several", sel: advanced(adv("m", mgmt, eq("eventType", "AwsApiCall"))), kind: ManagementPartial, read: Partial, writ: Partial, mention: "AwsConsoleSignIn"},
		{name: "advanced eventType all values", sel: advanced(adv("m", mgmt, eq("eventType", managementEventTypes...))), kind: ManagementAll, read: All, writ: All},
		// CloudTrail requires eventCategory in every advanced selector: one
		// without it was not read faithfully and proves no coverage.
		{name: "advanced no category field proves nothing", sel: advanced(adv("any", reads), adv("any2", writes)), kind: ManagementPartial, read: Partial, writ: Partial, mention: "no eventCategory field selector"},
		{name: "advanced selector without field selectors", sel: advanced(adv("empty")), kind: ManagementPartial, read: Partial, writ: Partial, mention: "no eventCategory"},
		{name: "advanced empty field selector on a finite field", sel: advanced(adv("m", mgmt, inventory.FieldSelector{Field: "readOnly"})), kind: ManagementPartial, read: Partial, writ: Partial, mention: "empty field selector on readOnly"},
		{name: "advanced empty eventCategory field selector", sel: advanced(adv("m", inventory.FieldSelector{Field: "eventCategory"})), kind: ManagementPartial, read: Partial, writ: Partial, mention: "empty field selector on eventCategory"},
		{name: "basic read write type in odd case", sel: basic(inventory.EventSelector{ReadWriteType: "all", IncludeManagementEvents: true}), kind: ManagementAll, read: All, writ: All},
		{name: "basic write only in odd case", sel: basic(inventory.EventSelector{ReadWriteType: "writeonly", IncludeManagementEvents: true}), kind: ManagementWritesOnly, read: None, writ: All},
		{name: "advanced data only", sel: advanced(adv("d", data, s3obj)), kind: ManagementNone, read: None, writ: None},
		{name: "advanced partial reads, all writes", sel: advanced(adv("w", mgmt, writes), adv("r", mgmt, reads, eq("eventSource", "s3.amazonaws.com"))), kind: ManagementPartial, read: Partial, writ: All},
		{name: "name never matters", sel: advanced(adv("Log all management events", mgmt, writes)), kind: ManagementWritesOnly, read: None, writ: All},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Evaluate(tt.sel)
			m := c.Management
			if m.Read.Level != tt.read || m.Write.Level != tt.writ || m.Kind() != tt.kind {
				t.Fatalf("got read=%s write=%s kind=%s, want %s %s %s; summary: %s", m.Read.Level, m.Write.Level, m.Kind(), tt.read, tt.writ, tt.kind, c.Summary())
			}
			if !slices.Equal(m.ExcludedSources, tt.excluded) {
				t.Errorf("excluded sources %v, want %v", m.ExcludedSources, tt.excluded)
			}
			if !strings.Contains(m.Describe(), tt.mention) {
				t.Errorf("Describe() = %q, want it to mention %q", m.Describe(), tt.mention)
			}
			if (m.Kind() != ManagementAll) && !strings.Contains(c.Summary(), string(m.Kind())) {
				t.Errorf("Summary() = %q does not state the kind %s", c.Summary(), m.Kind())
			}
		})
	}
}

func TestEvaluateS3(t *testing.T) {
	s3 := func(values ...string) []inventory.DataResource {
		return []inventory.DataResource{{Type: "AWS::S3::Object", Values: values}}
	}
	tests := []struct {
		name          string
		sel           inventory.EventSelectors
		write, read   Level
		scopes        []string // write scopes when partial
		reasonMention string   // must appear in the write reasons
	}{
		{name: "never customised", sel: inventory.EventSelectors{}, write: None, read: None},
		{name: "basic all buckets arn:aws:s3", sel: basic(inventory.EventSelector{ReadWriteType: "All", IncludeManagementEvents: true, DataResources: s3("arn:aws:s3")}), write: All, read: All},
		{name: "basic all buckets arn:aws:s3:::", sel: basic(inventory.EventSelector{ReadWriteType: "All", DataResources: s3("arn:aws:s3:::")}), write: All, read: All},
		{name: "basic all buckets other partition", sel: basic(inventory.EventSelector{ReadWriteType: "All", DataResources: s3("arn:aws-cn:s3:::")}), write: All, read: All},
		{name: "basic write only", sel: basic(inventory.EventSelector{ReadWriteType: "WriteOnly", DataResources: s3("arn:aws:s3")}), write: All, read: None},
		{name: "basic read only", sel: basic(inventory.EventSelector{ReadWriteType: "ReadOnly", DataResources: s3("arn:aws:s3")}), write: None, read: All, reasonMention: "readOnly Equals true"},
		{name: "basic one bucket", sel: basic(inventory.EventSelector{ReadWriteType: "All", DataResources: s3("arn:aws:s3:::logs-bucket/")}), write: Partial, read: Partial, scopes: []string{"logs-bucket/"}},
		{name: "basic bucket and prefix", sel: basic(inventory.EventSelector{ReadWriteType: "All", DataResources: s3("arn:aws:s3:::b1/", "arn:aws:s3:::b2/app/")}), write: Partial, read: Partial, scopes: []string{"b1/", "b2/app/"}},
		{name: "basic lambda only", sel: basic(inventory.EventSelector{ReadWriteType: "All", DataResources: []inventory.DataResource{{Type: "AWS::Lambda::Function", Values: []string{"arn:aws:lambda"}}}}), write: None, read: None, reasonMention: "AWS::Lambda::Function"},
		{name: "advanced all buckets", sel: advanced(adv("s3", data, s3obj)), write: All, read: All},
		{name: "advanced all buckets with ARN prefix", sel: advanced(adv("s3", data, s3obj, sw("resources.ARN", "arn:aws:s3:::"))), write: All, read: All},
		{name: "advanced writes only", sel: advanced(adv("s3", data, s3obj, writes)), write: All, read: None},
		{name: "advanced reads only", sel: advanced(adv("s3", data, s3obj, reads)), write: None, read: All},
		{name: "advanced named all but one bucket", sel: advanced(adv("Log all S3 events", data, s3obj, sw("resources.ARN", "arn:aws:s3:::only-this/"))), write: Partial, read: Partial, scopes: []string{"only-this/"}},
		{name: "advanced NotStartsWith one bucket", sel: advanced(adv("s3", data, s3obj, inventory.FieldSelector{Field: "resources.ARN", NotStartsWith: []string{"arn:aws:s3:::noisy/"}})), write: Partial, read: Partial, scopes: []string{"all buckets except noisy/"}},
		{name: "advanced NotStartsWith bucket added back", sel: advanced(
			adv("s3", data, s3obj, inventory.FieldSelector{Field: "resources.ARN", NotStartsWith: []string{"arn:aws:s3:::noisy/"}}),
			adv("noisy", data, s3obj, sw("resources.ARN", "arn:aws:s3:::noisy/"))), write: All, read: All},
		{name: "advanced NotStartsWith other partition excludes nothing", sel: advanced(adv("s3", data, s3obj, inventory.FieldSelector{Field: "resources.ARN", NotStartsWith: []string{"arn:aws:lambda"}})), write: All, read: All},
		{name: "advanced eventName only PutObject", sel: advanced(adv("s3", data, s3obj, eq("eventName", "PutObject"))), write: Partial, read: None, scopes: []string{"all buckets"}, reasonMention: "DeleteObject"},
		{name: "advanced eventName every write API", sel: advanced(adv("s3", data, s3obj, eq("eventName", S3WriteAPIs...))), write: All, read: None},
		{name: "advanced NotEquals DeleteObject", sel: advanced(adv("s3", data, s3obj, neq("eventName", "DeleteObject"))), write: Partial, read: All, reasonMention: "leaves out DeleteObject"},
		{name: "advanced NotEquals a read API", sel: advanced(adv("s3", data, s3obj, neq("eventName", "GetObject"))), write: All, read: Partial},
		{name: "advanced eventName split over two selectors", sel: advanced(
			adv("a", data, s3obj, eq("eventName", S3WriteAPIs[:5]...)),
			adv("b", data, s3obj, eq("eventName", S3WriteAPIs[5:]...))), write: All, read: None},
		{name: "advanced readOnly split over two selectors", sel: advanced(adv("r", data, s3obj, reads), adv("w", data, s3obj, writes)), write: All, read: All},
		{name: "advanced other resource type", sel: advanced(adv("ddb", data, eq("resources.type", "AWS::DynamoDB::Table"))), write: None, read: None, reasonMention: "AWS::DynamoDB::Table"},
		{name: "advanced userIdentity restriction", sel: advanced(adv("s3", data, s3obj, inventory.FieldSelector{Field: "userIdentity.arn", NotStartsWith: []string{"arn:aws:sts::111122223333:assumed-role/noisy"}})), write: Partial, read: Partial, scopes: []string{"all buckets"}},
		{name: "advanced management only", sel: advanced(adv("m", mgmt)), write: None, read: None},
		{name: "advanced selector without field selectors", sel: advanced(adv("empty")), write: Partial, read: Partial, reasonMention: "no eventCategory"},
		{name: "advanced empty resources.type field selector", sel: advanced(adv("s3", data, inventory.FieldSelector{Field: "resources.type"})), write: Partial, read: Partial, reasonMention: "empty field selector on resources.type"},
		{name: "advanced wrong partition prefix", sel: advanced(adv("s3", data, s3obj, sw("resources.ARN", "arn:aws-cn:s3:::"))), write: All, read: All},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Evaluate(tt.sel)
			if c.S3Write.Level != tt.write || c.S3Read.Level != tt.read {
				t.Fatalf("got write=%s read=%s, want %s %s; summary: %s", c.S3Write.Level, c.S3Read.Level, tt.write, tt.read, c.Summary())
			}
			if tt.scopes != nil && !slices.Equal(c.S3Write.Scopes, tt.scopes) {
				t.Errorf("write scopes %q, want %q", c.S3Write.Scopes, tt.scopes)
			}
			if !strings.Contains(strings.Join(c.S3Write.Reasons, "; "), tt.reasonMention) {
				t.Errorf("write reasons %q, want a mention of %q", c.S3Write.Reasons, tt.reasonMention)
			}
		})
	}
}

func TestEvaluatePartitionIsStrict(t *testing.T) {
	sel := advanced(adv("s3", data, s3obj, sw("resources.ARN", "arn:aws-cn:s3:::")))
	if got := EvaluatePartition(sel, "aws").S3Write.Level; got != None {
		t.Errorf("an aws-cn ARN prefix on an aws trail: write level %s, want none", got)
	}
	if got := EvaluatePartition(sel, "aws-cn").S3Write.Level; got != All {
		t.Errorf("an aws-cn ARN prefix on an aws-cn trail: write level %s, want all", got)
	}
}

func TestSummary(t *testing.T) {
	c := Evaluate(advanced(adv("W", mgmt, writes), adv("s3", data, s3obj, sw("resources.ARN", "arn:aws:s3:::b1/"))))
	want := `management events: writes only (selector "W": readOnly Equals false); S3 object writes: some buckets: b1/`
	if !strings.HasPrefix(c.Summary(), want) {
		t.Errorf("Summary() = %q, want prefix %q", c.Summary(), want)
	}
	c = Evaluate(advanced(adv("m", mgmt, writes), adv("r", mgmt, reads, eq("eventSource", "iam.amazonaws.com")),
		adv("s3", data, s3obj, eq("eventName", "PutObject"))))
	for _, part := range []string{
		`management events: partial (reads partial: selector "r": eventSource Equals iam.amazonaws.com)`,
		`S3 object writes: partial: all buckets (selector "s3": eventName Equals PutObject leaves out AbortMultipartUpload`,
		`S3 object reads: none (selector "s3": eventName Equals PutObject)`,
	} {
		if !strings.Contains(c.Summary(), part) {
			t.Errorf("Summary() = %q, want it to contain %q", c.Summary(), part)
		}
	}
	if got := Evaluate(inventory.EventSelectors{}).Summary(); !strings.HasPrefix(got, "management events: all (read and write); S3 object writes: none") {
		t.Errorf("Summary() of default selectors = %q", got)
	}
}
