package pipeline

import (
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/imgdiff/imgdiff"

// modulePackages returns the import path and non-test imports of every
// package of the module (as go build ./... sees it: testdata, hidden and
// underscore directories left out).
func modulePackages(t *testing.T) map[string][]string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	out := map[string][]string{}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		name := d.Name()
		if p != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			return filepath.SkipDir
		}
		pkg, err := build.ImportDir(p, 0)
		if err != nil {
			if _, ok := err.(*build.NoGoError); ok {
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out[module+"/"+filepath.ToSlash(rel)] = pkg.Imports
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// under reports whether import path p is pkg or inside it.
func under(p, pkg string) bool { return p == pkg || strings.HasPrefix(p, pkg+"/") }

// TestImportDirection pins the direction data flows in (layers → analyze
// → report → cmd, joined in this package alone; see docs/architecture.md):
//
//   - analyze and its sub-packages are pure: no I/O packages, no sources,
//     no renderers, no CLI; of layers they read the shared data model
//     (layers/index) only.
//   - the packages under layers/ never import analyze, report or cmd;
//     layers/pipeline is the one exception, and may import analyze.
//   - a source (dockerarchive, ocilayout, registry, engine, snapshot)
//     imports, of the module, only what sources share (layers/source, the
//     stores in layers/internal/store, layers/index, the index codec in
//     layers/internal/codec) and its own sub-packages:
//     never another source, never the dispatcher in package layers.
//     layers/source and layers/internal/store import no source either.
//   - report never imports layers' sources (layers/index, the data
//     model, is fine), and never cmd.
//   - analyze/pkggraph, analyze/explain and analyze/dpkg use the standard
//     library alone, and each other (they take bytes and the config's
//     values, nothing of the model).
func TestImportDirection(t *testing.T) {
	stdlibOnly := map[string]bool{module + "/analyze/pkggraph": true, module + "/analyze/explain": true, module + "/analyze/dpkg": true}
	sources := []string{module + "/layers/dockerarchive", module + "/layers/ocilayout", module + "/layers/registry", module + "/layers/engine", module + "/layers/snapshot"}
	shared := []string{module + "/layers/source", module + "/layers/internal/store", module + "/layers/index", module + "/layers/internal/codec"}
	pkgs := modulePackages(t)
	for _, s := range append(sources, shared[:2]...) {
		if pkgs[s] == nil {
			t.Fatalf("package %s not found: update the lists of sources", s)
		}
	}
	if len(pkgs) < 10 || pkgs[module+"/analyze"] == nil || pkgs[module+"/layers/pipeline"] == nil {
		t.Fatalf("found %d packages, not the module's", len(pkgs))
	}
	pureForbidden := []string{
		"os", "os/exec", "net", "net/http", "io/ioutil", "syscall",
		module + "/layers", module + "/report", module + "/cmd", "github.com/spf13",
		"github.com/google/go-containerregistry/pkg/v1/remote",
		"github.com/google/go-containerregistry/pkg/v1/daemon",
	}
	checked := map[string]int{}
	for p, imports := range pkgs {
		for _, imp := range imports {
			switch {
			case under(p, module+"/analyze"):
				checked["analyze"]++
				if stdlibOnly[p] && !stdlibOnly[imp] && strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
					t.Errorf("%s imports %s; it reads package databases and configs with the standard library alone", p, imp)
				}
				if imp == module+"/layers/index" {
					continue
				}
				for _, f := range pureForbidden {
					// "os" alone: os/signal and the like are as bad, but
					// "os" is no prefix of "oslo".
					if under(imp, f) {
						t.Errorf("%s imports %s; analyze must stay free of I/O, sources, renderers and the CLI", p, imp)
					}
				}
			case p == module+"/layers/pipeline":
				if under(imp, module+"/report") || under(imp, module+"/cmd") {
					t.Errorf("%s imports %s; the pipeline returns values, the commands render them", p, imp)
				}
			case under(p, module+"/layers"):
				checked["layers"]++
				sourceOnly(t, p, imp, sources, shared)
				for _, f := range []string{module + "/analyze", module + "/report", module + "/cmd"} {
					if under(imp, f) {
						t.Errorf("%s imports %s; sources never import analysis, renderers or the CLI (layers/pipeline joins them)", p, imp)
					}
				}
			case under(p, module+"/report"):
				checked["report"]++
				if (under(imp, module+"/layers") && imp != module+"/layers/index") || under(imp, module+"/cmd") {
					t.Errorf("%s imports %s; report renders analysis values, it never reads images or runs the CLI", p, imp)
				}
			}
		}
	}
	for _, k := range []string{"analyze", "layers", "report"} {
		if checked[k] == 0 {
			t.Errorf("no import of %s checked", k)
		}
	}
}

// sourceOnly checks one import of package p under layers: a source, or
// what the sources share, imports of the module only what sources share
// and p's own sub-packages (a source's test helpers).
func sourceOnly(t *testing.T, p, imp string, sources, shared []string) {
	t.Helper()
	isSource := false
	for _, s := range append(sources, shared[:2]...) {
		isSource = isSource || under(p, s)
	}
	if !isSource || !under(imp, module) || under(imp, p) {
		return
	}
	for _, s := range shared {
		if under(imp, s) {
			return
		}
	}
	t.Errorf("%s imports %s; a source imports, of the module, only layers/source, layers/internal/store, layers/index and layers/internal/codec (package layers joins the sources)", p, imp)
}
