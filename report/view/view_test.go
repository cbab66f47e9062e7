package view

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// One size formatter: outside report/view, no command or report formats
// a size itself, with go-humanize's SI functions or a hand-written
// "%d MB". (humanize.IBytes, binary units for the cache limit's grammar,
// is not a report size.)
func TestOneSizeFormatter(t *testing.T) {
	handMade := regexp.MustCompile(`%[-+0-9.]*[dfg] ?[kMG]B\b`)
	fset := token.NewFileSet()
	for _, root := range []string{"../../report", "../../cmd"} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if d.Name() == "testdata" || filepath.ToSlash(p) == "../../report/view" {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, p, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.SelectorExpr:
					if id, ok := x.X.(*ast.Ident); ok && id.Name == "humanize" && (x.Sel.Name == "Bytes" || x.Sel.Name == "Comma" || x.Sel.Name == "SI") {
						t.Errorf("%s: humanize.%s: sizes and counts are view.Human and view.Number", fset.Position(x.Pos()), x.Sel.Name)
					}
				case *ast.BasicLit:
					if s, err := strconv.Unquote(x.Value); err == nil && x.Kind == token.STRING && handMade.MatchString(s) {
						t.Errorf("%s: %q formats a size by hand: use view.Human", fset.Position(x.Pos()), s)
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
