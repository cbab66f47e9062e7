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
// → report → cmd, joined by cmd/pipeline; see docs/architecture.md) on the
// module's own import graph.
func TestImportDirection(t *testing.T) {
	pkgs := modulePackages(t)
	for _, s := range append(sources, shared[:2]...) {
		if pkgs[s] == nil {
			t.Fatalf("package %s not found: update the lists of sources", s)
		}
	}
	for _, p := range append([]string{module + "/analyze", module + "/cmd/pipeline", module + "/report"}, stdlibOnly...) {
		if pkgs[p] == nil {
			t.Fatalf("package %s not found: update the import test's lists", p)
		}
	}
	checked, errs := importViolations(pkgs)
	for _, e := range errs {
		t.Error(e)
	}
	for _, k := range []string{"analyze", "layers", "report", "cmd"} {
		if checked[k] == 0 {
			t.Errorf("no import of %s checked", k)
		}
	}
}

// TestImportDirectionCatchesUpwardArrows feeds importViolations arrows
// that point up, one at a time, and expects each to be named.
func TestImportDirectionCatchesUpwardArrows(t *testing.T) {
	m := func(s string) string { return module + "/" + s }
	for _, arrow := range [][2]string{
		{m("layers"), m("analyze")},
		{m("layers/registry"), m("analyze/model")},
		{m("layers/index"), m("report")},
		{m("layers"), m("cmd/pipeline")},
		{m("analyze"), m("layers")},
		{m("analyze/dpkg"), m("layers/registry")},
		{m("analyze/model"), m("report")},
		{m("analyze/suggest"), m("cmd/cmdutil")},
		{m("analyze/pkgdb"), "os"},
		{m("analyze/rpm"), "net/http"},
		{m("analyze/pkggraph"), "github.com/spf13/cobra"},
		{m("analyze/dpkg"), "gopkg.in/yaml.v3"},
		{m("analyze/pkggraph"), "github.com/knqyf263/go-rpmdb"},
		{m("report"), m("layers")},
		{m("report/html"), m("layers/registry")},
		{m("report"), m("cmd/pipeline")},
		{m("report/ncdu"), m("cmd")},
		{m("cmd/pipeline"), m("report")},
		{m("cmd/pipeline"), m("cmd/cmdutil")},
		{m("layers/registry"), m("layers/ocilayout")},
		{m("layers/source"), m("layers")},
	} {
		pkgs := map[string][]string{
			m("analyze"):       {m("analyze/model"), m("layers/index")},
			m("report"):        {m("analyze"), m("layers/index")},
			m("layers"):        {m("layers/index")},
			m("cmd/pipeline"):  {m("layers"), m("analyze")},
			m("cmd/cmdutil"):   {m("cmd/pipeline"), m("report")},
			m("analyze/dpkg"):  {m("analyze/pkggraph"), "strings"},
			m("analyze/model"): {m("layers/index")},
		}
		pkgs[arrow[0]] = append(pkgs[arrow[0]], arrow[1])
		if _, errs := importViolations(pkgs); len(errs) != 1 || !strings.Contains(errs[0], arrow[0]+" imports "+arrow[1]+";") {
			t.Errorf("%s → %s: got %q, want that one arrow named", arrow[0], arrow[1], errs)
		}
	}
}

var (
	// stdlibOnly read package databases and configs with the standard
	// library, analyze's own packages and layers/index alone: no
	// third-party parser.
	stdlibOnly = []string{module + "/analyze/pkggraph", module + "/analyze/dpkg", module + "/analyze/apk", module + "/analyze/rpm", module + "/analyze/python"}
	sources    = []string{module + "/layers/dockerarchive", module + "/layers/ocilayout", module + "/layers/registry", module + "/layers/engine", module + "/layers/snapshot"}
	shared     = []string{module + "/layers/source", module + "/layers/internal/store", module + "/layers/index", module + "/layers/internal/codec"}
	// pureForbidden are what analyze never imports: I/O, the sources, the
	// renderers and the CLI.
	pureForbidden = []string{
		"os", "os/exec", "net", "net/http", "io/ioutil", "syscall",
		module + "/layers", module + "/report", module + "/cmd", "github.com/spf13",
		"github.com/google/go-containerregistry/pkg/v1/remote",
		"github.com/google/go-containerregistry/pkg/v1/daemon",
	}
)

// importViolations checks every import of pkgs (import path → non-test
// imports) and returns how many imports it checked per layer and the
// arrows that break the direction:
//
//   - analyze and its sub-packages are pure: no I/O packages, no sources,
//     no renderers, no CLI; of layers they read the shared data model
//     (layers/index) only. The package-database packages in stdlibOnly
//     use the standard library, analyze's packages and layers/index
//     alone.
//   - the packages under layers/ never import analyze, report or cmd.
//   - a source (dockerarchive, ocilayout, registry, engine, snapshot)
//     imports, of the module, only what sources share (layers/source, the
//     stores in layers/internal/store, layers/index, the index codec in
//     layers/internal/codec) and its own sub-packages: never another
//     source, never the dispatcher in package layers. layers/source and
//     layers/internal/store import no source either.
//   - report never imports layers (layers/index, the data model the
//     analysis embeds, is fine) or cmd.
//   - cmd/pipeline, the application layer joining layers and analyze,
//     imports neither report nor the commands: it returns values, the
//     commands render them.
func importViolations(pkgs map[string][]string) (map[string]int, []string) {
	checked := map[string]int{}
	var errs []string
	bad := func(p, imp, why string) { errs = append(errs, p+" imports "+imp+"; "+why) }
	isStdlibOnly := func(p string) bool {
		for _, s := range stdlibOnly {
			if p == s {
				return true
			}
		}
		return false
	}
	for p, imports := range pkgs {
		for _, imp := range imports {
			switch {
			case under(p, module+"/analyze"):
				checked["analyze"]++
				if isStdlibOnly(p) && !under(imp, module+"/analyze") && imp != module+"/layers/index" && strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
					bad(p, imp, "it reads package databases and configs with the standard library and analyze's vocabulary alone")
					continue
				}
				if imp == module+"/layers/index" {
					continue
				}
				for _, f := range pureForbidden {
					// "os" alone: os/signal and the like are as bad, but
					// "os" is no prefix of "oslo".
					if under(imp, f) {
						bad(p, imp, "analyze must stay free of I/O, sources, renderers and the CLI")
						break
					}
				}
			case under(p, module+"/layers"):
				checked["layers"]++
				if e := sourceOnly(p, imp); e != "" {
					bad(p, imp, e)
					continue
				}
				for _, f := range []string{module + "/analyze", module + "/report", module + "/cmd"} {
					if under(imp, f) {
						bad(p, imp, "layers reads images and never imports analysis, renderers or the CLI (cmd/pipeline joins them)")
					}
				}
			case under(p, module+"/report"):
				checked["report"]++
				if (under(imp, module+"/layers") && imp != module+"/layers/index") || under(imp, module+"/cmd") {
					bad(p, imp, "report renders analysis values, it never reads images or runs the CLI")
				}
			case p == module+"/cmd/pipeline":
				checked["cmd"]++
				if under(imp, module+"/report") || (under(imp, module+"/cmd") && imp != p) {
					bad(p, imp, "the pipeline returns values, the commands render them")
				}
			}
		}
	}
	return checked, errs
}

// sourceOnly checks one import of package p under layers: a source, or
// what the sources share, imports of the module only what sources share
// and p's own sub-packages (a source's test helpers). It returns why the
// import is wrong, or "".
func sourceOnly(p, imp string) string {
	isSource := false
	for _, s := range append(sources, shared[:2]...) {
		isSource = isSource || under(p, s)
	}
	if !isSource || !under(imp, module) || under(imp, p) {
		return ""
	}
	for _, s := range shared {
		if under(imp, s) {
			return ""
		}
	}
	return "a source imports, of the module, only layers/source, layers/internal/store, layers/index and layers/internal/codec (package layers joins the sources)"
}
