package apk

import (
	"errors"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/imgdiff/imgdiff/analyze/pkggraph"
)

// apkInstalledGccNode is an Alpine 3.19 lib/apk/db/installed after `apk
// add gcc nodejs`, cut to the fields the graph reads and to the packages
// involved (file lists and checksums dropped). gcc's D: line is verbatim;
// the others follow Alpine 3.19's package metadata.
const apkInstalledGccNode = `C:Q1Zsp2I3Tk2DZyiTbVd8O2SpGqwYg=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
I:667648
o:musl
p:so:libc.musl-x86_64.so.1=1

P:busybox
V:1.36.1-r15
A:x86_64
I:946176
D:so:libc.musl-x86_64.so.1
p:/bin/sh cmd:busybox=1.36.1-r15 cmd:sh=1.36.1-r15

P:zlib
V:1.3.1-r0
I:110592
D:so:libc.musl-x86_64.so.1
p:so:libz.so.1=1.3.1

P:apk-tools
V:2.14.0-r5
I:315392
D:musl>=1.2.3_git20230424 ca-certificates-bundle so:libc.musl-x86_64.so.1 so:libcrypto.so.3 so:libssl.so.3 so:libz.so.1
p:so:libapk.so.2.14.0=2.14.0 cmd:apk=2.14.0-r5

P:libcrypto3
V:3.1.4-r5
I:4435968
D:so:libc.musl-x86_64.so.1
p:so:libcrypto.so.3=3

P:libssl3
V:3.1.4-r5
I:602112
D:so:libc.musl-x86_64.so.1 so:libcrypto.so.3
p:so:libssl.so.3=3

P:ca-certificates-bundle
V:20230506-r0
I:237568
p:ca-certificates-cacert=20230506-r0

P:libgcc
V:13.2.1_git20231014-r0
I:135168
D:so:libc.musl-x86_64.so.1
p:so:libgcc_s.so.1=1

P:libstdc++
V:13.2.1_git20231014-r0
I:2453504
D:so:libc.musl-x86_64.so.1 so:libgcc_s.so.1
p:so:libstdc++.so.6=6.0.32

P:gmp
V:6.3.0-r0
I:434176
D:so:libc.musl-x86_64.so.1
p:so:libgmp.so.10=10.5.0

P:mpfr4
V:4.2.1-r0
I:2011136
D:so:libc.musl-x86_64.so.1 so:libgmp.so.10
p:so:libmpfr.so.6=6.2.1

P:mpc1
V:1.3.1-r1
I:135168
D:so:libc.musl-x86_64.so.1 so:libgmp.so.10 so:libmpfr.so.6
p:so:libmpc.so.3=3.3.1

P:isl26
V:0.26-r1
I:2789376
D:so:libc.musl-x86_64.so.1 so:libgmp.so.10
p:so:libisl.so.23=23.2.0

P:zstd-libs
V:1.5.5-r8
I:782336
D:so:libc.musl-x86_64.so.1
p:so:libzstd.so.1=1.5.5

P:jansson
V:2.14-r4
I:73728
D:so:libc.musl-x86_64.so.1
p:so:libjansson.so.4=4.14.0

P:binutils
V:2.41-r0
I:9093120
D:so:libc.musl-x86_64.so.1 so:libjansson.so.4 so:libz.so.1 so:libzstd.so.1
p:cmd:ld=2.41-r0 cmd:as=2.41-r0 cmd:ar=2.41-r0

P:gcc
V:13.2.1_git20231014-r0
I:78356480
D:binutils>=2.41 so:libc.musl-x86_64.so.1 so:libgmp.so.10 so:libisl.so.23 so:libmpc.so.3 so:libmpfr.so.6 so:libz.so.1 so:libzstd.so.1
p:cmd:gcc=13.2.1_git20231014-r0 cmd:cc=13.2.1_git20231014-r0

P:c-ares
V:1.24.0-r1
I:94208
D:so:libc.musl-x86_64.so.1
p:so:libcares.so.2=2.12.0

P:icu-libs
V:74.1-r0
I:36974592
D:so:libc.musl-x86_64.so.1 so:libgcc_s.so.1 so:libstdc++.so.6
p:so:libicui18n.so.74=74.1 so:libicuuc.so.74=74.1

P:nodejs
V:20.11.1-r0
I:44650496
D:ca-certificates !npm so:libc.musl-x86_64.so.1 so:libcares.so.2 so:libcrypto.so.3 so:libgcc_s.so.1 so:libicui18n.so.74 so:libicuuc.so.74 so:libssl.so.3 so:libstdc++.so.6 so:libz.so.1
p:cmd:node=20.11.1-r0
`

// apkWorldGccNode is its etc/apk/world.
const apkWorldGccNode = "alpine-baselayout\nalpine-keys\napk-tools\nbusybox\nlibc-utils\ngcc\nnodejs>=20\n"

func TestReadGraph(t *testing.T) {
	g, err := ReadGraph(map[string][]byte{Installed: []byte(apkInstalledGccNode), World: []byte(apkWorldGccNode)})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Packages) != 20 || !g.AutoKnown {
		t.Fatalf("%d packages (want 20), AutoKnown %v", len(g.Packages), g.AutoKnown)
	}
	gcc := g.Index("gcc")
	var deps []string
	for _, e := range g.Out[gcc] {
		deps = append(deps, g.Packages[e.To].Name+" ("+e.Via.String()+")")
	}
	sort.Strings(deps)
	want := []string{"binutils (binutils (>= 2.41))", "gmp (so:libgmp.so.10)", "isl26 (so:libisl.so.23)",
		"mpc1 (so:libmpc.so.3)", "mpfr4 (so:libmpfr.so.6)", "musl (so:libc.musl-x86_64.so.1)",
		"zlib (so:libz.so.1)", "zstd-libs (so:libzstd.so.1)"}
	if diff := cmp.Diff(want, deps); diff != "" {
		t.Errorf("gcc's dependencies (-want +got):\n%s", diff)
	}
	// nodejs's "ca-certificates" is not installed (the bundle provides
	// ca-certificates-cacert, another name), and "!npm" is a conflict:
	// no edge for either.
	for _, e := range g.Out[g.Index("nodejs")] {
		if n := g.Packages[e.To].Name; n == "ca-certificates-bundle" || n == "npm" {
			t.Errorf("nodejs -> %s", n)
		}
	}
	var requested []string
	for i := range g.Packages {
		if g.Requested(i) {
			requested = append(requested, g.Packages[i].Name)
		}
	}
	if diff := cmp.Diff([]string{"apk-tools", "busybox", "gcc", "nodejs"}, requested); diff != "" {
		t.Errorf("requested (-want +got):\n%s", diff)
	}

	// The C toolchain's libraries go with it; what nodejs or apk-tools
	// also need stays.
	tools := map[string]bool{"gcc": true, "binutils": true}
	var got []string
	for _, d := range g.BuildToolOnly(func(p *pkggraph.Package) bool { return tools[p.Name] }) {
		got = append(got, d.Name)
	}
	sort.Strings(got)
	if diff := cmp.Diff([]string{"gmp", "isl26", "jansson", "mpc1", "mpfr4", "zstd-libs"}, got); diff != "" {
		t.Errorf("BuildToolOnly (-want +got):\n%s", diff)
	}
	pullers := g.Pullers()
	for name, want := range map[string][]string{"icu-libs": {"nodejs"}, "zlib": {"apk-tools", "gcc", "nodejs"}, "musl": {"apk-tools", "busybox", "gcc", "nodejs"}} {
		if got := pullers[g.Index(name)]; !cmp.Equal(want, got) {
			t.Errorf("pullers of %s = %v, want %v", name, got, want)
		}
	}
}

func TestReadGraphMalformed(t *testing.T) {
	_, err := ReadGraph(map[string][]byte{Installed: []byte("P:musl\nthis is not apk\n")})
	if !errors.Is(err, pkggraph.ErrMalformed) {
		t.Errorf("error = %v, want ErrMalformed", err)
	}
	g, err := ReadGraph(map[string][]byte{Installed: []byte("P:musl\nV:1\n")})
	if err != nil || g.AutoKnown || !g.Requested(0) {
		t.Errorf("without world: %v, AutoKnown %v", err, g.AutoKnown)
	}
}
