package suggest

import (
	"go/build"
	"strings"
	"testing"
)

// TestPureImports keeps the package pure: no I/O package, nothing of
// imgdiff's own but the analyze packages it reads and layers/index, and
// of BuildKit only the parsed instruction types.
func TestPureImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{
		"github.com/imgdiff/imgdiff/analyze/dockerfile":             true,
		"github.com/imgdiff/imgdiff/analyze/model":                  true,
		"github.com/imgdiff/imgdiff/analyze/pkggraph":               true,
		"github.com/imgdiff/imgdiff/layers/index":                   true,
		"github.com/moby/buildkit/frontend/dockerfile/instructions": true,
	}
	forbidden := []string{"os", "os/exec", "net", "net/http", "io/ioutil", "syscall", "debug/elf"}
	for _, imp := range pkg.Imports {
		if strings.Contains(imp, ".") && !allowed[imp] {
			t.Errorf("suggest imports %s", imp)
		}
		for _, f := range forbidden {
			if imp == f || strings.HasPrefix(imp, f+"/") {
				t.Errorf("suggest imports %s; it must stay pure", imp)
			}
		}
	}
}
