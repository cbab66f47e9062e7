package pkggraph_test

import (
	"path/filepath"
	"sort"
	"testing"

	. "github.com/imgdiff/imgdiff/analyze/pkggraph"

	"github.com/google/go-cmp/cmp"

	"github.com/imgdiff/imgdiff/analyze/dpkg"
)

// seedSet is the seed set of a fixture: testdata/<name>/seeds.txt, the
// packages the default rules call build tools (testdata/seeds.py).
func seedSet(t *testing.T, name string, extra ...string) func(*Package) bool {
	set := map[string]bool{}
	for _, n := range append(readList(t, filepath.Join("testdata", name, "seeds.txt")), extra...) {
		set[n] = true
	}
	return func(p *Package) bool { return set[p.Name] }
}

func derivedNames(ds []Derived) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Name)
	}
	sort.Strings(out)
	return out
}

// TestBuildToolOnlyMatchesApt checks the closure against apt's own answer:
// what `apt-get remove --auto-remove` of the build tools removes besides
// them (testdata/gen.sh), on what `apt-get install rustc cargo` and
// `apt-get install golang-go git ca-certificates` install on bookworm.
func TestBuildToolOnlyMatchesApt(t *testing.T) {
	for _, name := range []string{"rust", "go"} {
		g := fixture(t, name)
		got := derivedNames(g.BuildToolOnly(seedSet(t, name)))
		want := readList(t, filepath.Join("testdata", name, "autoremove.txt"))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: BuildToolOnly (-apt +got):\n%s", name, diff)
		}
	}
}

func TestBuildToolOnlyEvidence(t *testing.T) {
	g := fixture(t, "rust")
	byName := map[string]Derived{}
	for _, d := range g.BuildToolOnly(seedSet(t, "rust")) {
		byName[d.Name] = d
	}
	// libllvm14 is needed by libstd-rust-1.63, libclang-cpp14 and llvm-14
	// (all build tools, or needed only by them); of the tools asked for by
	// name, both cargo and rustc lead to it, and cargo depends on rustc.
	d, ok := byName["libllvm14"]
	if !ok {
		t.Fatal("libllvm14 not derived")
	}
	if want := "dpkg: libllvm14, needed only by rustc (build-tool) via libclang-cpp14"; d.Evidence != want {
		t.Errorf("evidence %q, want %q", d.Evidence, want)
	}
	// Shared libraries a runtime package also needs: never.
	for _, n := range []string{"libc6", "libgcc-s1", "libstdc++6", "zlib1g", "libzstd1", "libgmp10"} {
		if _, ok := byName[n]; ok {
			t.Errorf("%s derived: %s", n, byName[n].Evidence)
		}
	}

	// The go fixture, once the tools check says git is not used: git's
	// perl and everything only it needs go with it.
	g = fixture(t, "go")
	byName = map[string]Derived{}
	for _, d := range g.BuildToolOnly(seedSet(t, "go", "git")) {
		byName[d.Name] = d
	}
	for name, want := range map[string]string{
		// liberror-perl depends on perl:any, perl-modules-5.36 recommends it.
		"perl":        "dpkg: perl, needed only by git (build-tool) via liberror-perl and perl-modules-5.36",
		"libperl5.36": "dpkg: libperl5.36, needed only by git (build-tool) via perl",
		"git-man":     "dpkg: git-man, needed only by git (build-tool)",
	} {
		if got := byName[name].Evidence; got != want {
			t.Errorf("%s: evidence %q, want %q", name, got, want)
		}
	}
	// perl-base is Essential; ca-certificates was asked for by name.
	for _, n := range []string{"perl-base", "ca-certificates", "libc6"} {
		if _, ok := byName[n]; ok {
			t.Errorf("%s derived", n)
		}
	}
}

// TestBuildToolOnlySnippets covers what the fixtures do not: a cycle of
// libraries only a build tool reaches, an orphan cycle nothing reaches,
// and the graph without extended_states.
func TestBuildToolOnlySnippets(t *testing.T) {
	status := `Package: tool
Status: install ok installed
Section: devel
Depends: liba

Package: liba
Status: install ok installed
Depends: libb

Package: libb
Status: install ok installed
Depends: liba, libshared

Package: app
Status: install ok installed
Depends: libshared

Package: libshared
Status: install ok installed

Package: orphan1
Status: install ok installed
Depends: orphan2

Package: orphan2
Status: deinstall ok config-files

Package: orphan3
Status: install ok installed
Depends: orphan4

Package: orphan4
Status: install ok installed
Depends: orphan3
`
	states := `Package: liba
Architecture: amd64
Auto-Installed: 1

Package: libb
Architecture: amd64
Auto-Installed: 1

Package: libshared
Architecture: amd64
Auto-Installed: 1

Package: orphan3
Architecture: amd64
Auto-Installed: 1

Package: orphan4
Architecture: amd64
Auto-Installed: 1
`
	isTool := func(p *Package) bool { return p.Section == "devel" }
	g, err := dpkg.ReadGraph(map[string][]byte{dpkg.Status: []byte(status), dpkg.AptExtendedStates: []byte(states)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := derivedNames(g.BuildToolOnly(isTool)), []string{"liba", "libb"}; !cmp.Equal(got, want) {
		t.Errorf("with extended_states: %v, want %v", got, want)
	}
	// Without extended_states nothing is known to be auto-installed:
	// the same graph answer, since the test is on reverse dependencies.
	g, err = dpkg.ReadGraph(map[string][]byte{dpkg.Status: []byte(status)})
	if err != nil {
		t.Fatal(err)
	}
	if g.AutoKnown {
		t.Error("AutoKnown without extended_states")
	}
	if got, want := derivedNames(g.BuildToolOnly(isTool)), []string{"liba", "libb"}; !cmp.Equal(got, want) {
		t.Errorf("without extended_states: %v, want %v", got, want)
	}
}

// TestRecommendedMatchesApt checks the recommendations against apt's own
// resolution: what `apt-get install` installs and the same request with
// --no-install-recommends does not (testdata/gen.sh).
func TestRecommendedMatchesApt(t *testing.T) {
	for _, name := range []string{"rust", "go", "node"} {
		g := fixture(t, name)
		norec := map[string]bool{}
		for _, n := range readList(t, filepath.Join("testdata", name, "no-install-recommends.txt")) {
			norec[n] = true
		}
		var want []string
		for i, p := range g.Packages {
			if g.Packages[i].Auto && !norec[p.Name] {
				want = append(want, p.Name)
			}
		}
		var got []string
		for _, r := range g.Recommended() {
			got = append(got, r.Name)
		}
		sort.Strings(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: Recommended (-apt +got):\n%s", name, diff)
		}
	}
}

func TestRecommendedEvidence(t *testing.T) {
	g := fixture(t, "node")
	got := map[string]string{}
	for _, r := range g.Recommended() {
		got[r.Name] = r.Evidence
	}
	// Checked by hand against testdata/node/status: npm Depends node-gyp,
	// which Recommends build-essential, which Depends libc6-dev, which
	// Depends libc-dev-bin, which Recommends libc-devtools, which Depends
	// libgd3, which Depends libheif1, which Depends libx265-199.
	for name, want := range map[string]string{
		"libx265-199":     "dpkg: libx265-199, recommended via npm → node-gyp ⇢ build-essential → libc6-dev → libc-dev-bin ⇢ libc-devtools → libgd3 → libheif1",
		"git":             "dpkg: git, recommended by npm",
		"build-essential": "dpkg: build-essential, recommended by node-gyp (via npm → node-gyp)",
	} {
		if got[name] != want {
			t.Errorf("%s: %q, want %q", name, got[name], want)
		}
	}
	for _, n := range []string{"node-gyp", "libnode108", "nodejs", "libc6"} {
		if e, ok := got[n]; ok {
			t.Errorf("%s is a hard dependency or requested, got %q", n, e)
		}
	}
	// Without extended_states every package counts as requested.
	st := `Package: a
Status: install ok installed
Recommends: b

Package: b
Status: install ok installed
`
	g, err := dpkg.ReadGraph(map[string][]byte{dpkg.Status: []byte(st)})
	if err != nil {
		t.Fatal(err)
	}
	if r := g.Recommended(); len(r) != 0 {
		t.Errorf("without extended_states: %v", r)
	}
}

func TestPullersAndGroups(t *testing.T) {
	g := fixture(t, "node")
	p := g.Pullers()
	for name, want := range map[string][]string{
		// nodejs was asked for by name and npm depends on it: what
		// nodejs needs is nodejs's.
		"libnode108":  {"nodejs"},
		"node-gyp":    {"npm"},
		"libx265-199": {"npm"},
		"npm":         {"npm"},
		"libc6":       {"libc6"}, // a base package, asked for by the base image
	} {
		if got := p[g.Index(name)]; !cmp.Equal(got, want) {
			t.Errorf("pullers of %s = %v, want %v", name, got, want)
		}
	}

	// Hand-made: app and tool are requested; tool depends on app.
	st := `Package: app
Status: install ok installed
Depends: libapp, libboth

Package: tool
Status: install ok installed
Depends: app, libtool, libboth2

Package: other
Status: install ok installed
Depends: libboth2

Package: libapp
Status: install ok installed
Installed-Size: 10

Package: libtool
Status: install ok installed
Installed-Size: 20
Recommends: librec

Package: librec
Status: install ok installed
Installed-Size: 40

Package: libboth
Status: install ok installed
Installed-Size: 100

Package: libboth2
Status: install ok installed
Installed-Size: 1000

Package: stray
Status: install ok installed
Installed-Size: 5
`
	es := ""
	for _, n := range []string{"libapp", "libtool", "librec", "libboth", "libboth2", "stray"} {
		es += "Package: " + n + "\nArchitecture: amd64\nAuto-Installed: 1\n\n"
	}
	g, err := dpkg.ReadGraph(map[string][]byte{dpkg.Status: []byte(st), dpkg.AptExtendedStates: []byte(es)})
	if err != nil {
		t.Fatal(err)
	}
	groups := g.Groups(func(i int) (int64, bool) {
		return g.Packages[i].InstalledSize, g.Packages[i].Auto
	})
	var says []string
	var sizes []int64
	for _, gr := range groups {
		says = append(says, gr.String())
		sizes = append(sizes, gr.Bytes)
	}
	// libboth2: tool and other, neither reaching the other; libboth: app
	// and tool, and tool reaches app, so app's; librec through libtool.
	wantSays := []string{"other, tool and the package they pulled in", "app and the 2 packages it pulled in",
		"tool and the 2 packages it pulled in", "stray, which nothing requested pulls in"}
	wantSizes := []int64{1000 * 1024, 110 * 1024, 60 * 1024, 5 * 1024}
	if !cmp.Equal(says, wantSays) || !cmp.Equal(sizes, wantSizes) {
		t.Errorf("groups = %q %v, want %q %v", says, sizes, wantSays, wantSizes)
	}
}
