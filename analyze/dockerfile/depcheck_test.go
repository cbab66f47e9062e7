package dockerfile

import (
	"go/build"
	"strings"
	"testing"
)

// TestPureImports keeps the package pure like analyze: no I/O, no sources,
// no renderers, no CLI.
func TestPureImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	forbidden := []string{"os", "os/exec", "net", "net/http", "io/ioutil", "syscall",
		"github.com/imgdiff/imgdiff/layers", "github.com/imgdiff/imgdiff/report", "github.com/imgdiff/imgdiff/cmd",
		"github.com/spf13/", "github.com/google/go-containerregistry/pkg/v1/remote", "github.com/google/go-containerregistry/pkg/v1/daemon"}
	for _, imp := range pkg.Imports {
		for _, f := range forbidden {
			if imp == f || (strings.HasSuffix(f, "/") && strings.HasPrefix(imp, f)) || (f != "os" && strings.HasPrefix(imp, f+"/")) {
				t.Errorf("imports %s; the package must stay free of I/O, sources, renderers and the CLI", imp)
			}
		}
	}
}
