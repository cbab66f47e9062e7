package suggest

import (
	"os"
	"path"
	"sort"
	"strings"
	"testing"

	"github.com/imgdiff/imgdiff/analyze/dockerfile"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// The fixtures below are analysed, classified images written by hand in
// the shapes analyze.Build and analyze.Classify give (one step per history
// entry, the final filesystem depth-first with its directories, flags and
// owners parallel to it), after the e2e Dockerfiles in
// testdata/dockerfiles, which are parsed and mapped for real.

type ffile struct {
	path string
	size int64
	cat  model.Category // the file's own flag
	pkg  string         // owner, "" for none
	mode uint32
	kind index.Kind // 0: regular file
	link string     // a symlink's target
}

type step struct {
	createdBy string
	empty     bool
	files     []ffile
}

type pkgdef struct {
	name, manager string
	cat           model.Category
	dev           bool
	location      string
}

type fixture struct {
	ref        string
	dockerfile string // path of the real Dockerfile
	history    []step
	pkgs       []pkgdef
	config     model.Config
	status     string // dpkg status body
	// auto are the packages apt's extended_states marks Auto-Installed
	// (nil: no extended_states).
	auto     []string
	elf      map[string]ELF
	scripts  map[string][]byte
	contents map[string]string // captured bodies besides the dpkg status
}

const bk = "buildkit.dockerfile.v0"

var debianEntry = "# debian.sh --arch 'amd64' out/ 'bookworm' '@1731283200'"

func run(cmd string) string { return "RUN /bin/sh -c " + cmd + " # buildkit" }

// build turns a fixture into Suggest's input.
func (fx fixture) build(t *testing.T) Input {
	t.Helper()
	data, err := os.ReadFile(fx.dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	df, err := dockerfile.Parse("Dockerfile", data)
	if err != nil {
		t.Fatal(err)
	}
	img := &model.Image{Ref: fx.ref, Config: fx.config, FS: &model.FS{}, Contents: map[string][]byte{}}
	var hist []dockerfile.Entry
	pkgIdx := map[string]int{}
	cl := &model.Classification{}
	for _, p := range fx.pkgs {
		pkgIdx[p.name] = len(cl.Packages)
		cl.Packages = append(cl.Packages, model.Package{Name: p.name, Manager: p.manager, Category: p.cat, Dev: p.dev, Location: p.location, Step: -1, Evidence: p.manager + ": " + p.name})
	}
	type placed struct {
		f     ffile
		layer int
	}
	final := map[string]placed{}
	stepBytes := map[int]map[int]int64{} // package -> step -> bytes
	for i, st := range fx.history {
		comment := bk
		if st.createdBy == debianEntry {
			comment = "debuerreotype 0.15"
		}
		hist = append(hist, dockerfile.Entry{CreatedBy: st.createdBy, Comment: comment, EmptyLayer: st.empty})
		s := model.Step{Index: i, CreatedBy: st.createdBy, EmptyLayer: st.empty, Layer: -1}
		if !st.empty {
			s.Layer = len(img.Layers)
			var size int64
			for _, f := range st.files {
				size += f.size
				final[f.path] = placed{f, s.Layer}
			}
			img.Layers = append(img.Layers, model.Layer{Index: s.Layer, Step: i, Size: size, Final: size})
			img.Size += size
			s.Size = size
		}
		img.Steps = append(img.Steps, s)
	}
	// The directories every path implies, then depth-first order.
	dirs := map[string]int{}
	for p, pl := range final {
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if l, ok := dirs[d]; !ok || pl.layer < l {
				dirs[d] = pl.layer
			}
		}
	}
	for d, l := range dirs {
		if _, ok := final[d]; !ok {
			final[d] = placed{ffile{path: d, kind: index.Dir}, l}
		}
	}
	paths := make([]string, 0, len(final))
	for p := range final {
		paths = append(paths, p)
	}
	sort.Slice(paths, func(a, b int) bool { return model.ComparePaths(paths[a], paths[b]) < 0 })
	for _, p := range paths {
		pl := final[p]
		k := pl.f.kind
		if k == 0 {
			k = index.File
		}
		mode := pl.f.mode
		if mode == 0 {
			mode = 0o644
			if k == index.Dir {
				mode = 0o755
			}
		}
		img.FS.Append(model.File{Entry: index.Entry{Path: p, Size: pl.f.size, Mode: mode, Kind: k, Link: pl.f.link}, Layer: pl.layer, Bytes: pl.f.size})
		flag := model.Flag{}
		owner := -1
		if pl.f.pkg != "" {
			j, ok := pkgIdx[pl.f.pkg]
			if !ok {
				t.Fatalf("%s: no package %s", p, pl.f.pkg)
			}
			owner = j
			pk := &cl.Packages[j]
			pk.Bytes += pl.f.size
			pk.Files++
			if stepBytes[j] == nil {
				stepBytes[j] = map[int]int64{}
			}
			stepBytes[j][img.Layers[pl.layer].Step] += pl.f.size + 1
			if pk.Category != "" {
				flag = model.Flag{Category: pk.Category, Rule: "pkg", Evidence: pk.Evidence}
			}
		}
		if pl.f.cat != "" {
			flag = model.Flag{Category: pl.f.cat, Rule: "path", Evidence: "path: " + p}
		}
		cl.Flags.Append(flag)
		cl.Owners = append(cl.Owners, int32(owner))
		if p == "var/lib/dpkg/status" {
			img.Contents[p] = []byte(fx.status)
		}
	}
	for p, b := range fx.contents {
		img.Contents[p] = []byte(b)
	}
	if fx.auto != nil {
		var b strings.Builder
		for _, a := range fx.auto {
			b.WriteString("Package: " + a + "\nArchitecture: amd64\nAuto-Installed: 1\n\n")
		}
		img.Contents["var/lib/apt/extended_states"] = []byte(b.String())
	}
	for j, m := range stepBytes {
		cl.Packages[j].Step = model.MainStep(m)
	}
	img.Files = img.FS.Len()
	mapping, err := df.Map(hist, dockerfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if mapping.Mapped != mapping.Total || len(mapping.Warnings) > 0 {
		t.Fatalf("the fixture's history does not map onto %s: %d/%d %v", fx.dockerfile, mapping.Mapped, mapping.Total, mapping.Warnings)
	}
	return Input{Image: img, Class: cl, Dockerfile: df, Mapping: mapping, ELF: fx.elf, Scripts: fx.scripts}
}

// status writes a dpkg status stanza per package: name and Depends.
func status(pkgs ...[2]string) string {
	var b strings.Builder
	for _, p := range pkgs {
		b.WriteString("Package: " + p[0] + "\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\n")
		if p[1] != "" {
			b.WriteString("Depends: " + p[1] + "\n")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// debianBase is the base layer every fixture starts from.
func debianBase(st string) step {
	return step{createdBy: debianEntry, files: []ffile{
		{path: "usr/lib/x86_64-linux-gnu/libc.so.6", size: 2_000_000, pkg: "libc6"},
		{path: "bin/dash", size: 100_000, pkg: "dash", mode: 0o755},
		{path: "etc/passwd", size: 1_000},
		{path: "var/lib/dpkg/status", size: int64(len(st))},
		{path: "usr/local/bin", kind: index.Dir},
		{path: "usr/local/lib", kind: index.Dir},
	}}
}

var basePkgs = []pkgdef{{name: "libc6", manager: "dpkg"}, {name: "dash", manager: "dpkg"}}

// withLoader adds glibc's loader to a base step as Debian's usrmerged
// layout has it (/lib64 → usr/lib64, a link to the file in
// /usr/lib/x86_64-linux-gnu), and the ELF facts of the loader and libc
// to elf.
func withLoader(base step, elf map[string]ELF) step {
	base.files = append(append([]ffile{}, base.files...),
		ffile{path: "lib", size: 7, kind: index.Symlink, link: "usr/lib"},
		ffile{path: "lib64", size: 9, kind: index.Symlink, link: "usr/lib64"},
		ffile{path: "usr/lib64/ld-linux-x86-64.so.2", size: 42, kind: index.Symlink, link: "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", pkg: "libc6"},
		ffile{path: "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", size: 200_000, pkg: "libc6", mode: 0o755})
	elf["usr/lib/x86_64-linux-gnu/libc.so.6"] = ELF{Interp: "/lib64/ld-linux-x86-64.so.2", Needed: []string{"ld-linux-x86-64.so.2"}}
	elf["usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"] = ELF{}
	return base
}
