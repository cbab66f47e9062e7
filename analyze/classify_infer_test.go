package analyze

import (
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/analyze/classify"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// distrolessLayer is a layer of a distroless-style image: each package's
// stanza in var/lib/dpkg/status.d/NAME (Depends as Debian writes them),
// its files listed in status.d/NAME.md5sums, and the files themselves.
func distrolessLayer(pkgs map[string]struct {
	depends string
	files   map[string]int64
}) *index.Layer {
	l := testLayer(nil, nil, nil)
	l.Contents = map[string][]byte{}
	add := func(p string, body []byte) {
		l.Contents[p] = body
		l.Entries = append(l.Entries, reg(p, int64(len(body))))
		l.Size += int64(len(body))
	}
	for name, p := range pkgs {
		stanza := "Package: " + name + "\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n"
		if p.depends != "" {
			stanza += "Depends: " + p.depends + "\n"
		}
		add("var/lib/dpkg/status.d/"+name, []byte(stanza))
		var sums strings.Builder
		for f, n := range p.files {
			sums.WriteString("d41d8cd98f00b204e9800998ecf8427e  " + f + "\n")
			l.Entries = append(l.Entries, reg(f, n))
			l.Size += n
		}
		add("var/lib/dpkg/status.d/"+name+".md5sums", []byte(sums.String()))
	}
	return l
}

type distrolessPkg = struct {
	depends string
	files   map[string]int64
}

// TestClassifyInferAuto: a distroless image records nothing of what was
// asked for by name. When its base is known, the packages a later step
// wrote with the build tools count as pulled in: libmpfr6, which only
// gcc-12 needs, is a build-tool dependency; libstdc++6, which the base
// brought, is not, although only gcc-12 needs it too. Without a base
// nothing is derived.
func TestClassifyInferAuto(t *testing.T) {
	base := func() *index.Layer {
		return distrolessLayer(map[string]distrolessPkg{
			"libc6":      {files: map[string]int64{"usr/lib/x86_64-linux-gnu/libc.so.6": 2000}},
			"libstdc++6": {depends: "libc6", files: map[string]int64{"usr/lib/x86_64-linux-gnu/libstdc++.so.6": 900}},
		})
	}
	tools := func() *index.Layer {
		return distrolessLayer(map[string]distrolessPkg{
			"gcc-12":   {depends: "libc6, libmpfr6 (>= 4.1), libstdc++6", files: map[string]int64{"usr/bin/gcc-12": 5000}},
			"libmpfr6": {depends: "libc6", files: map[string]int64{"usr/lib/x86_64-linux-gnu/libmpfr.so.6": 700}},
		})
	}
	packagesOf := func(hist []v1.History, layers ...*index.Layer) map[string]model.Package {
		t.Helper()
		img, err := Build(testImage(hist, layers...))
		if err != nil {
			t.Fatal(err)
		}
		pkgs := map[string]model.Package{}
		for _, p := range Classify(img, nil).Packages {
			pkgs[p.Name] = p
		}
		return pkgs
	}
	pkgs := packagesOf([]v1.History{
		{Comment: "distroless base, docker import -m"},
		{CreatedBy: "ADD toolchain.tar / # buildkit", Comment: "buildkit.dockerfile.v0"},
	}, base(), tools())
	if p := pkgs["gcc-12"]; p.Category != model.BuildTool {
		t.Fatalf("gcc-12: %+v, want build-tool by its name", p)
	}
	p := pkgs["libmpfr6"]
	if p.Category != model.BuildTool || p.Rule != classify.RuleBuildToolDependency || !strings.Contains(p.Evidence, "needed only by gcc-12") ||
		!strings.Contains(p.Evidence, "installed after the base image") {
		t.Errorf("libmpfr6: %q %q (%s), want a build-tool dependency of gcc-12 installed after the base", p.Category, p.Rule, p.Evidence)
	}
	for _, n := range []string{"libc6", "libstdc++6"} {
		if p := pkgs[n]; p.Category != "" {
			t.Errorf("%s, from the base: %q (%s), want unflagged", n, p.Category, p.Evidence)
		}
	}

	// One layer, no base found: nothing says what came with what.
	all := distrolessLayer(map[string]distrolessPkg{
		"libc6":    {files: map[string]int64{"usr/lib/x86_64-linux-gnu/libc.so.6": 2000}},
		"gcc-12":   {depends: "libc6, libmpfr6", files: map[string]int64{"usr/bin/gcc-12": 5000}},
		"libmpfr6": {depends: "libc6", files: map[string]int64{"usr/lib/x86_64-linux-gnu/libmpfr.so.6": 700}},
	})
	pkgs = packagesOf([]v1.History{{CreatedBy: "COPY rootfs / # buildkit", Comment: "buildkit.dockerfile.v0"}}, all)
	if p := pkgs["libmpfr6"]; p.Category != "" {
		t.Errorf("libmpfr6 with no base: %q (%s), want unflagged", p.Category, p.Evidence)
	}
}

// TestClassifyInferAutoLinked: on a distroless image (no record of what
// was asked for), a runtime library installed in the same step as gcc
// is still runtime when an ELF file the image keeps needs it (DT_NEEDED,
// as the walk's ELF reader records it): the app, built against libmpfr,
// needs libmpfr6 at run time although only gcc-12 declares it. A build
// tool's own files (gcc-12's binary, owned by gcc-12; cc1 under
// usr/lib/gcc, a path rule's build tool) keep nothing, and a package
// nothing kept links stays a build-tool dependency (libzstd1).
func TestClassifyInferAutoLinked(t *testing.T) {
	base := distrolessLayer(map[string]distrolessPkg{
		"libc6": {files: map[string]int64{"usr/lib/x86_64-linux-gnu/libc.so.6": 2000}},
	})
	tools := distrolessLayer(map[string]distrolessPkg{
		"gcc-12":   {depends: "libc6, libmpfr6 (>= 4.1), libzstd1", files: map[string]int64{"usr/bin/gcc-12": 5000}},
		"libmpfr6": {depends: "libc6", files: map[string]int64{"usr/lib/x86_64-linux-gnu/libmpfr.so.6": 700}},
		"libzstd1": {depends: "libc6", files: map[string]int64{"usr/lib/x86_64-linux-gnu/libzstd.so.1": 600}},
	})
	// cc1 is no package's file here (a toolchain unpacked beside the
	// packages): its path says build tool.
	tools.Entries = append(tools.Entries, reg("usr/lib/gcc/x86_64-linux-gnu/12/cc1", 3000))
	tools.Size += 3000
	tools.ELF = map[string]index.ELF{
		"usr/bin/gcc-12":                      {Interp: "/lib64/ld-linux-x86-64.so.2", Needed: []string{"libc.so.6", "libmpfr.so.6", "libzstd.so.1"}},
		"usr/lib/gcc/x86_64-linux-gnu/12/cc1": {Interp: "/lib64/ld-linux-x86-64.so.2", Needed: []string{"libc.so.6", "libzstd.so.1"}},
	}
	app := testLayer([]index.Entry{reg("usr/local/bin/app", 4000)}, nil, nil)
	app.Size = 4000
	hist := []v1.History{
		{Comment: "distroless base, docker import -m"},
		{CreatedBy: "ADD toolchain.tar / # buildkit", Comment: "buildkit.dockerfile.v0"},
		{CreatedBy: "COPY app /usr/local/bin/app # buildkit", Comment: "buildkit.dockerfile.v0"},
	}
	classifyNeeding := func(needed ...string) map[string]model.Package {
		t.Helper()
		app.ELF = map[string]index.ELF{"usr/local/bin/app": {Interp: "/lib64/ld-linux-x86-64.so.2", Needed: needed}}
		img, err := Build(testImage(hist, base, tools, app))
		if err != nil {
			t.Fatal(err)
		}
		if img.ELF["usr/local/bin/app"].Interp == "" {
			t.Fatalf("Build kept no ELF facts of the app: %v", img.ELF)
		}
		pkgs := map[string]model.Package{}
		for _, p := range Classify(img, nil).Packages {
			pkgs[p.Name] = p
		}
		return pkgs
	}
	pkgs := classifyNeeding("libc.so.6", "libmpfr.so.6")
	if p := pkgs["libmpfr6"]; p.Category != "" {
		t.Errorf("libmpfr6, which the app needs: %q %q (%s), want unflagged (runtime)", p.Category, p.Rule, p.Evidence)
	}
	if p := pkgs["libzstd1"]; p.Category != model.BuildTool || p.Rule != classify.RuleBuildToolDependency {
		t.Errorf("libzstd1, which only gcc-12 and cc1 need: %q %q (%s), want a build-tool dependency", p.Category, p.Rule, p.Evidence)
	}
	if p := pkgs["gcc-12"]; p.Category != model.BuildTool {
		t.Errorf("gcc-12: %+v, want build-tool", p)
	}
	// The app needs libc alone: libmpfr6 is the build tools' again.
	pkgs = classifyNeeding("libc.so.6")
	if p := pkgs["libmpfr6"]; p.Category != model.BuildTool || p.Rule != classify.RuleBuildToolDependency {
		t.Errorf("libmpfr6, which nothing kept needs: %q %q (%s), want a build-tool dependency", p.Category, p.Rule, p.Evidence)
	}
}
