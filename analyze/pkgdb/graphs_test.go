package pkgdb

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/imgdiff/imgdiff/analyze/apk"
	"github.com/imgdiff/imgdiff/analyze/dpkg"
	"github.com/imgdiff/imgdiff/analyze/pkggraph"
)

// distroless keeps one stanza file per package in status.d, without
// Status fields, and no apt state (gcr.io/distroless/cc-debian12).
var distroless = map[string][]byte{
	"var/lib/dpkg/status.d/libc6": []byte(`Package: libc6
Version: 2.36-9+deb12u7
Architecture: amd64
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Installed-Size: 12986
Depends: libgcc-s1
Recommends: libidn2-0 (>= 2.0.5~)
Suggests: glibc-doc, debconf | debconf-2.0, libc-l10n, locales, libnss-nis, libnss-nisplus
Breaks: aide (<< 0.17.3-4+b3), busybox (<< 1.30.1-6)
Section: libs
Priority: optional
Multi-Arch: same
Homepage: https://www.gnu.org/software/libc/libc.html
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.
`),
	"var/lib/dpkg/status.d/libc6.md5sums": []byte("d1e8e9a3f1a5bd8b1b5c5b3f8a1f0a6e  lib/x86_64-linux-gnu/libc.so.6\n"),
	"var/lib/dpkg/status.d/libgcc-s1": []byte(`Package: libgcc-s1
Source: gcc-12
Version: 12.2.0-14
Architecture: amd64
Installed-Size: 140
Depends: gcc-12-base (= 12.2.0-14), libc6 (>= 2.35)
Section: libs
Priority: optional
Multi-Arch: same
Description: GCC support library
`),
	"var/lib/dpkg/status.d/gcc-12-base": []byte(`Package: gcc-12-base
Source: gcc-12
Version: 12.2.0-14
Architecture: amd64
Installed-Size: 70
Section: libs
Priority: required
Multi-Arch: same
Description: GCC, the GNU Compiler Collection (base package)
`),
}

func TestGraphsDistroless(t *testing.T) {
	gs, err := Graphs(distroless)
	if err != nil || len(gs) != 1 {
		t.Fatal(gs, err)
	}
	g := gs[0]
	var got []string
	for _, p := range g.Packages {
		got = append(got, p.Name+" "+p.Version+" "+p.Source)
	}
	want := []string{"gcc-12-base 12.2.0-14 gcc-12", "libc6 2.36-9+deb12u7 ", "libgcc-s1 12.2.0-14 gcc-12"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	// libc6 and libgcc-s1 depend on each other; no apt state: every
	// package counts as requested, none as a recommendation.
	if g.AutoKnown || len(g.Recommended()) != 0 {
		t.Errorf("AutoKnown %v, recommended %v", g.AutoKnown, g.Recommended())
	}
	if n := len(g.In[g.Index("libc6")]); n != 1 {
		t.Errorf("libc6 has %d reverse dependencies, want 1 (libgcc-s1)", n)
	}
	if got := g.Packages[g.Index("libc6")].InstalledSize; got != 12986*1024 {
		t.Errorf("libc6 installed size %d", got)
	}
}

func TestGraphWantsAndGraphs(t *testing.T) {
	for p, want := range map[string]bool{
		"var/lib/dpkg/status": true, "var/lib/dpkg/status.d/libc6": true, "var/lib/dpkg/status.d/libc6.md5sums": false,
		"var/lib/dpkg/status.d/": false, "var/lib/apt/extended_states": true, "etc/apk/world": true,
		"lib/apk/db/installed": true, "var/lib/rpm/rpmdb.sqlite": true, "usr/lib/sysimage/rpm/Packages.db": true,
		"var/lib/rpm/Packages": true, "var/lib/dpkg/status-old": false, "etc/passwd": false,
	} {
		if GraphWants(p) != want {
			t.Errorf("GraphWants(%q) = %v", p, !want)
		}
	}
	// A broken database is named; the others are still read.
	contents := map[string][]byte{apk.Installed: []byte("P:musl\nV:1\n"), dpkg.Status: []byte("Package: a\nnot a field\n")}
	gs, err := Graphs(contents)
	if !errors.Is(err, pkggraph.ErrMalformed) || len(gs) != 1 || gs[0].Manager != "apk" {
		t.Errorf("Graphs = %v, %v; want the apk graph and pkggraph.ErrMalformed", gs, err)
	}
	if gs, err := Graphs(map[string][]byte{}); len(gs) != 0 || err != nil {
		t.Errorf("Graphs(empty) = %v, %v", gs, err)
	}
}
