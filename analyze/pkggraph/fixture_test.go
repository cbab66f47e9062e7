package pkggraph_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/imgdiff/imgdiff/analyze/dpkg"
	"github.com/imgdiff/imgdiff/analyze/pkggraph"
)

// fixture reads one of testdata's dpkg databases (see testdata/gen.sh).
func fixture(t *testing.T, name string) *pkggraph.Graph {
	t.Helper()
	st, err := os.ReadFile(filepath.Join("testdata", name, "status"))
	if err != nil {
		t.Fatal(err)
	}
	es, err := os.ReadFile(filepath.Join("testdata", name, "extended_states"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := dpkg.ReadGraph(map[string][]byte{dpkg.Status: st, dpkg.AptExtendedStates: es})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func readList(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

func TestReadDpkgFixture(t *testing.T) {
	g := fixture(t, "rust")
	// 91 base packages + 143 apt installed, 2 of them (dpkg, liblzma5)
	// upgrades of base packages: grep -c '^Package:' testdata/rust/status.
	if len(g.Packages) != 234 {
		t.Errorf("%d packages, want 234", len(g.Packages))
	}
	if !g.AutoKnown {
		t.Error("AutoKnown = false with extended_states")
	}
	var requested []string
	for i := range g.Packages {
		if g.Requested(i) && g.Packages[i].Priority != "required" && !g.Packages[i].Essential {
			requested = append(requested, g.Packages[i].Name)
		}
	}
	if !contains(requested, "rustc") || !contains(requested, "cargo") || contains(requested, "libllvm14") {
		t.Errorf("requested = %v; want rustc and cargo, not libllvm14", requested)
	}
	i := g.Index("rustc")
	if i < 0 {
		t.Fatal("no rustc")
	}
	p := g.Packages[i]
	if p.Version != "1.63.0+dfsg1-2" || p.Section != "rust" || p.InstalledSize != 7753*1024 || p.Auto {
		t.Errorf("rustc = %+v", p)
	}
	// rustc's Depends: libc6, libgcc-s1, libstd-rust-dev, gcc, libc-dev
	// (virtual: libc6-dev provides it), binutils; Recommends: cargo
	// (twice, one edge), llvm-14.
	var out []string
	for _, e := range g.Out[i] {
		out = append(out, e.Kind.String()+" "+g.Packages[e.To].Name)
	}
	sort.Strings(out)
	wantOut := []string{"Depends binutils", "Depends gcc", "Depends libc6", "Depends libc6-dev", "Depends libgcc-s1",
		"Depends libstd-rust-dev", "Recommends cargo", "Recommends llvm-14"}
	if diff := cmp.Diff(wantOut, out); diff != "" {
		t.Errorf("rustc's edges (-want +got):\n%s", diff)
	}
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}
