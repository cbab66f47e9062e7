package pkggraph

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/imgdiff/imgdiff/analyze/dpkg"
)

func TestParseDpkgRelations(t *testing.T) {
	tests := []struct {
		field string
		want  []Dep
	}{
		{"libc6 (>= 2.34), libgcc-s1 (>= 3.0)", []Dep{
			{Depends, []Relation{{Name: "libc6", Op: ">=", Version: "2.34"}}},
			{Depends, []Relation{{Name: "libgcc-s1", Op: ">=", Version: "3.0"}}},
		}},
		// rustc's Recommends in bookworm: a package twice, with bounds.
		{"cargo (>= 0.64.0~~), cargo (<< 0.65.0~~), llvm-14", []Dep{
			{Depends, []Relation{{Name: "cargo", Op: ">=", Version: "0.64.0~~"}}},
			{Depends, []Relation{{Name: "cargo", Op: "<<", Version: "0.65.0~~"}}},
			{Depends, []Relation{{Name: "llvm-14"}}},
		}},
		// git: alternatives and a multi-arch qualifier.
		{"perl, liberror-perl, git-man (>> 1:2.39.2), libc6 (>= 2.34) | libc6.1", []Dep{
			{Depends, []Relation{{Name: "perl"}}},
			{Depends, []Relation{{Name: "liberror-perl"}}},
			{Depends, []Relation{{Name: "git-man", Op: ">>", Version: "1:2.39.2"}}},
			{Depends, []Relation{{Name: "libc6", Op: ">=", Version: "2.34"}, {Name: "libc6.1"}}},
		}},
		{"python3:any (>= 3.11~), nodejs:amd64", []Dep{
			{Depends, []Relation{{Name: "python3", Arch: "any", Op: ">=", Version: "3.11~"}}},
			{Depends, []Relation{{Name: "nodejs", Arch: "amd64"}}},
		}},
		// Source-package syntax: architecture lists and build profiles.
		{"libfoo-dev [amd64 arm64] <!nocheck>, bar (= 1) | baz [!i386]", []Dep{
			{Depends, []Relation{{Name: "libfoo-dev"}}},
			{Depends, []Relation{{Name: "bar", Op: "=", Version: "1"}, {Name: "baz"}}},
		}},
		{"", nil},
		{" , ", nil},
	}
	for _, tt := range tests {
		got := ParseDpkgRelations(Depends, tt.field)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseDpkgRelations(%q) (-want +got):\n%s", tt.field, diff)
		}
	}
}

func TestReadDpkgMalformed(t *testing.T) {
	for _, body := range []string{"Package: a\n continuation\nthis is not a field\n", " leading continuation\n", "\x00\x01\x02binary"} {
		_, err := ReadDpkg(map[string][]byte{dpkg.Status: []byte(body)})
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), dpkg.Status) {
			t.Errorf("ReadDpkg(%q) error = %v, want ErrMalformed naming %s", body, err, dpkg.Status)
		}
	}
	if g, err := ReadDpkg(map[string][]byte{"etc/os-release": []byte("ID=debian")}); g != nil || err != nil {
		t.Errorf("ReadDpkg without a database = %v, %v; want nil, nil", g, err)
	}
}

// fixture reads one of testdata's dpkg databases (see testdata/gen.sh).
func fixture(t *testing.T, name string) *Graph {
	t.Helper()
	st, err := os.ReadFile(filepath.Join("testdata", name, "status"))
	if err != nil {
		t.Fatal(err)
	}
	es, err := os.ReadFile(filepath.Join("testdata", name, "extended_states"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := ReadDpkg(map[string][]byte{dpkg.Status: st, AptExtendedStates: es})
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
