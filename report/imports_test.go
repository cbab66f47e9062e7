package report

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The report packages point one way: the root dispatches to the format
// packages, every format package reads report/view, and view imports no
// other report package. A format package never imports the root or
// another format (what two formats share belongs in view).
func TestReportImportDirection(t *testing.T) {
	const mod = "github.com/imgdiff/imgdiff/report"
	dirs, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, d := range dirs {
		if !d.IsDir() || d.Name() == "testdata" {
			continue
		}
		pkg := d.Name()
		files, _ := filepath.Glob(filepath.Join(pkg, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, im := range af.Imports {
				p, _ := strconv.Unquote(im.Path.Value)
				if p != mod && !strings.HasPrefix(p, mod+"/") {
					continue
				}
				switch {
				case pkg == "view":
					t.Errorf("%s imports %s: report/view imports no other report package", f, p)
				case p != mod+"/view":
					t.Errorf("%s imports %s: of the report packages, report/%s imports only report/view", f, p, pkg)
				}
			}
		}
	}
}
