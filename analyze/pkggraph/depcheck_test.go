package pkggraph

import (
	"go/build"
	"strings"
	"testing"
)

// TestPureImports keeps the package pure: the standard library's
// non-I/O packages only, nothing of imgdiff's own.
func TestPureImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	forbidden := []string{"os", "os/exec", "net", "net/http", "io/ioutil", "syscall", "github.com/"}
	for _, imp := range pkg.Imports {
		for _, f := range forbidden {
			if imp == f || strings.HasPrefix(imp, f+"/") || strings.HasSuffix(f, "/") && strings.HasPrefix(imp, f) {
				t.Errorf("pkggraph imports %s; it must stay pure", imp)
			}
		}
	}
}
