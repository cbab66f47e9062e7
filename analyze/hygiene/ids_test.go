package hygiene

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestEveryFindingIDIsInTheTable reads the Finding* constants from the
// source, independently of the table IDs derives from, and checks that
// each is listed once, and that Covers gives "secret" exactly the ids
// that start with "secret".
func TestEveryFindingIDIsInTheTable(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "findings.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var consts []string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || !strings.HasPrefix(vs.Names[0].Name, "Finding") || len(vs.Values) != 1 {
			return true
		}
		if lit, ok := vs.Values[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
			v, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}
			consts = append(consts, v)
		}
		return true
	})
	if len(consts) < 14 {
		t.Fatalf("found %d Finding constants in findings.go: %v", len(consts), consts)
	}
	ids := IDs()
	slices.Sort(consts)
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	if !slices.Equal(consts, sorted) {
		t.Errorf("IDs() = %v, the constants are %v", sorted, consts)
	}
	for _, id := range ids {
		if !Covers(id, id) {
			t.Errorf("fail-on %s does not cover itself", id)
		}
		if got, want := Covers("secret", id), strings.HasPrefix(id, "secret"); got != want {
			t.Errorf("Covers(secret, %s) = %v, want %v", id, got, want)
		}
		for _, other := range ids {
			if other != id && other != "secret" && Covers(other, id) {
				t.Errorf("fail-on %s covers %s", other, id)
			}
		}
	}
}
