package analyze

import (
	"go/build"
	"strings"
	"testing"
)

// TestPureImports keeps analyze pure: no I/O packages, no sources, no
// renderers, no CLI. It may read the shared data model (layers/index).
func TestPureImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	forbidden := []string{
		"os", "os/exec", "net", "net/http", "io/ioutil", "syscall",
		"github.com/imgdiff/imgdiff/layers", "github.com/imgdiff/imgdiff/report",
		"github.com/imgdiff/imgdiff/cmd", "github.com/spf13/",
		"github.com/google/go-containerregistry/pkg/v1/remote",
		"github.com/google/go-containerregistry/pkg/v1/daemon",
	}
	for _, imp := range pkg.Imports {
		if imp == "github.com/imgdiff/imgdiff/layers/index" {
			continue
		}
		for _, f := range forbidden {
			if imp == f || (strings.HasSuffix(f, "/") && strings.HasPrefix(imp, f)) ||
				(strings.HasPrefix(imp, f+"/") && f != "os") {
				t.Errorf("analyze imports %s; it must stay free of I/O, sources, renderers and the CLI", imp)
			}
		}
	}
}
