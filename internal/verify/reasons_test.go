package verify_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trailseal/trailseal/internal/verify"
)

// declaredReasons reads the package's sources for every constant of type
// Reason, so that a code added without a row in ReasonTable fails here.
func declaredReasons(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, s := range gd.Specs {
				vs := s.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Reason" {
					continue
				}
				for _, v := range vs.Values {
					if lit, ok := v.(*ast.BasicLit); ok {
						out = append(out, strings.Trim(lit.Value, `"`))
					}
				}
			}
		}
	}
	return out
}

// TestReasonTableComplete: every reason code the package declares has
// exactly one row, with a status, a title and a meaning.
func TestReasonTableComplete(t *testing.T) {
	declared := declaredReasons(t)
	if len(declared) < 20 {
		t.Fatalf("found %d Reason constants in the sources: the parser missed them, so this test proves nothing", len(declared))
	}
	rows := map[verify.Reason]int{}
	for _, ri := range verify.ReasonTable {
		rows[ri.Code]++
		if ri.Status == "" || ri.Title == "" || ri.Meaning == "" {
			t.Errorf("%s: status %q, title %q, meaning %q: none may be empty", ri.Code, ri.Status, ri.Title, ri.Meaning)
		}
	}
	for _, code := range declared {
		if rows[verify.Reason(code)] != 1 {
			t.Errorf("reason %s has %d rows in ReasonTable, want 1", code, rows[verify.Reason(code)])
		}
	}
	if len(verify.ReasonTable) != len(declared) {
		t.Errorf("ReasonTable has %d rows, the sources declare %d codes", len(verify.ReasonTable), len(declared))
	}
}

// TestReasonTableInDocs: docs/verify.md's reason table is ReasonTable,
// row for row, in the same order.
func TestReasonTableInDocs(t *testing.T) {
	doc, err := os.ReadFile("../../docs/verify.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([A-Z_]+)` \\| ([a-z]+) \\| (.+) \\|$")
	var got []string
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		got = append(got, m[1]+" | "+m[2]+" | "+m[3])
	}
	var want []string
	for _, ri := range verify.ReasonTable {
		want = append(want, string(ri.Code)+" | "+string(ri.Status)+" | "+ri.Meaning)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("docs/verify.md's reason table differs from verify.ReasonTable (-table +docs):\n%s", diff)
	}
}

// TestReasonStatusesAgree: in the golden report, every problem has the
// status the table gives its reason, so the table does not describe
// codes the verifier uses otherwise.
func TestReasonStatusesAgree(t *testing.T) {
	b, err := os.ReadFile("testdata/golden/report.json")
	if err != nil {
		t.Fatal(err)
	}
	// The golden file stands for volatile times with a word.
	b = []byte(strings.ReplaceAll(string(b), "DELETION-TIME", "2026-03-02T00:00:00Z"))
	var r verify.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	problems := r.Problems()
	if len(problems) == 0 {
		t.Fatal("the golden report has no problem: this test proves nothing")
	}
	for _, it := range problems {
		p := it.Primary()
		if st := p.Info().Status; st != it.Status {
			t.Errorf("%s %s: status %s, the table says %s", it.Kind, p, it.Status, st)
		}
	}
	for _, g := range r.Gaps {
		if st := g.Reason.Info().Status; st != verify.StatusGap {
			t.Errorf("gap reason %s: the table says %s", g.Reason, st)
		}
	}
}
