// Package reporttest holds the images the report tests share: built by
// analyze.Build over hand-made layer indexes and classified by hand, so
// that every renderer is tested on the same figures (the goldens' images,
// and the "paper" pair whose figures are worked out in paper.go), and
// the Markdown parser that reads a report as GitHub does (gfm.go).
package reporttest

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
	"github.com/imgdiff/imgdiff/report/view"
)

// Test images are built with analyze.Build over hand-made layer indexes,
// so the figures in the goldens come from the real attribution code; the
// classifications are filled by hand (by exact path), so the renderers are
// tested independently of the classifier.

// Layer is a layer of the given entries, its size their sum.
func Layer(diffID string, compressed int64, entries []index.Entry, whiteouts ...string) *index.Layer {
	// Identity stands for what a walk shows: these layers are the bytes
	// their diffIDs name.
	l := &index.Layer{DiffID: diffID, Identity: "blob:" + diffID, CompressedSize: compressed, Entries: entries, Whiteouts: whiteouts}
	for _, e := range entries {
		l.Size += e.Size
	}
	return l
}

// File is a regular file entry of size bytes.
func File(p string, size int64) index.Entry {
	return index.Entry{Path: p, Kind: index.File, Size: size, Mode: 0o644}
}

// Dir is a directory entry.
func Dir(p string) index.Entry { return index.Entry{Path: p, Kind: index.Dir, Mode: 0o755} }

// Build runs analyze.Build over the layers, as read from a docker save
// archive, one history entry per layer unless marked empty.
func Build(t testing.TB, ref string, hist []v1.History, cfg v1.Config, layers ...*index.Layer) *model.Image {
	t.Helper()
	c := &v1.ConfigFile{History: hist, Config: cfg}
	for range layers {
		c.RootFS.DiffIDs = append(c.RootFS.DiffIDs, v1.Hash{})
	}
	img, err := analyze.Build(&index.Image{Ref: ref, Transport: "docker-archive", Platform: "linux/amd64", Config: c, Layers: layers})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Flag is what Classify sets on the file at a path.
type Flag struct {
	Category model.Category
	Evidence string
}

// ByPath flags each path with its category and "path: PATH" as evidence.
func ByPath(cats map[string]model.Category) map[string]Flag {
	out := make(map[string]Flag, len(cats))
	for p, c := range cats {
		out[p] = Flag{c, "path: " + p}
	}
	return out
}

// Classify flags files by exact path and fills the aggregates a classifier
// would, computed from the image so they add up.
func Classify(img *model.Image, flags map[string]Flag) *model.Classification {
	c := &model.Classification{Flags: model.NewFlags(img.FS.Len())}
	totals := map[model.Category]*model.CategoryTotal{}
	bySteps := map[int]map[model.Category]int64{}
	for i, f := range img.FS.All() {
		if f.Kind == index.Dir {
			continue
		}
		cat := model.Other
		if x, ok := flags[f.Path]; ok {
			cat = x.Category
			c.Flags.Set(i, model.Flag{Category: x.Category, Rule: "test", Evidence: x.Evidence})
		}
		if totals[cat] == nil {
			totals[cat] = &model.CategoryTotal{Category: cat}
		}
		totals[cat].Bytes += f.Bytes
		totals[cat].Files++
		step := img.Layers[f.Layer].Step
		if bySteps[step] == nil {
			bySteps[step] = map[model.Category]int64{}
		}
		bySteps[step][cat] += f.Bytes
	}
	for _, cat := range model.Categories() {
		t := model.CategoryTotal{Category: cat}
		if x := totals[cat]; x != nil {
			t = *x
		}
		c.Totals = append(c.Totals, t)
	}
	for _, st := range img.Steps {
		m := bySteps[st.Index]
		if m == nil {
			continue
		}
		sc := model.StepCategories{Step: st.Index}
		for _, cat := range model.Categories() {
			if m[cat] > 0 {
				sc.Totals = append(sc.Totals, model.CategoryTotal{Category: cat, Bytes: m[cat]})
			}
		}
		c.ByStep = append(c.ByStep, sc)
	}
	return c
}

// SingleStage is a C program built in its final image: a toolchain
// installed by dpkg, the sources, an apt cache, an object file deleted in
// a later layer.
func SingleStage(t testing.TB) (*model.Image, *model.Classification) {
	img := Build(t, "app:single",
		onBase([]v1.History{
			{CreatedBy: "RUN /bin/sh -c apt-get update && apt-get install -y gcc-12 libc6-dev make # buildkit"},
			{CreatedBy: "WORKDIR /src", EmptyLayer: true},
			{CreatedBy: "COPY . /src # buildkit"},
			{CreatedBy: "RUN /bin/sh -c make && rm build/main.o # buildkit"},
			{CreatedBy: "ENTRYPOINT [\"/src/app\"]", EmptyLayer: true},
		}),
		v1.Config{Entrypoint: []string{"/src/app"}, WorkingDir: "/src"},
		Layer("sha256:base", 29_000_000, []index.Entry{Dir("usr"), Dir("usr/lib"), File("usr/lib/libc.so.6", 2_125_328), File("etc/os-release", 267), File("usr/bin/bash", 1_265_648)}),
		Layer("sha256:toolchain", 71_000_000, []index.Entry{
			File("usr/bin/gcc-12", 1_234_567), File("usr/lib/gcc/x86_64-linux-gnu/12/cc1", 32_000_000),
			File("usr/include/stdio.h", 31_245), File("usr/bin/make", 260_000),
			File("var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4", 9_143_020),
			File("var/cache/apt/archives/gcc-12_12.2.0-14_amd64.deb", 19_000_000),
		}),
		Layer("sha256:src", 80_000, []index.Entry{Dir("src"), File("src/main.c", 12_000), File("src/Makefile", 400), File("src/util|pipe.c", 3_000), File("src/build/main.o", 120_000)}),
		Layer("sha256:build", 300_000, []index.Entry{File("src/app", 850_000)}, "src/build/main.o"),
	)
	c := Classify(img, ByPath(map[string]model.Category{
		"usr/bin/gcc-12": model.BuildTool, "usr/lib/gcc/x86_64-linux-gnu/12/cc1": model.BuildTool,
		"usr/include/stdio.h": model.BuildTool, "usr/bin/make": model.BuildTool,
		"var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4": model.Cache,
		"var/cache/apt/archives/gcc-12_12.2.0-14_amd64.deb":                                     model.Cache,
		"src/main.c": model.Source, "src/Makefile": model.Source, "src/util|pipe.c": model.Source,
	}))

	c.Packages = []model.Package{
		{Name: "gcc-12", Version: "12.2.0-14", Manager: "dpkg", Section: "devel", Category: model.BuildTool, Bytes: 33_234_567, Files: 2, Step: 2},
		{Name: "make", Version: "4.3-4.1", Manager: "dpkg", Section: "devel", Category: model.BuildTool, Bytes: 260_000, Files: 1, Step: 2},
		{Name: "libc6", Version: "2.36-9", Manager: "dpkg", Section: "libs", Bytes: 2_125_328, Files: 1, Step: 0},
	}
	c.TopDirs = []model.FlaggedDir{
		{Path: "usr/lib/gcc", Category: model.BuildTool, Bytes: 32_000_000, Files: 1, Step: 2, Evidence: "dpkg: gcc-12 (devel)"},
		{Path: "var/cache/apt", Category: model.Cache, Bytes: 19_000_000, Files: 1, Step: 2, Evidence: "path: var/cache/apt/**"},
	}
	c.Findings = []model.Finding{
		{ID: "root-user", Severity: model.Warning, Title: "runs as root", Detail: "config.User is empty", Step: -1},
		{ID: "apt-lists-left", Severity: model.Warning, Title: "apt lists left behind", Step: 2, Path: "var/lib/apt/lists", Bytes: 9_143_020},
		{ID: "wasted-bytes", Severity: model.Info, Title: "bytes deleted by a later layer", Step: 5, Path: "src/build/main.o", Bytes: 120_000},
	}
	var flagged int64
	for _, x := range c.Totals {
		if x.Category != model.Other {
			flagged += x.Bytes
		}
	}
	c.Verdict = view.Human(flagged) + " (" + view.Percent(flagged, img.Size) + ") of this image is build tooling, sources or caches"
	return img, c
}

// MultiStage is the same program copied onto the same base.
func MultiStage(t testing.TB) (*model.Image, *model.Classification) {
	img := Build(t, "app:multi",
		onBase([]v1.History{
			{CreatedBy: "COPY /src/app /app # buildkit"},
			{CreatedBy: "USER 65532", EmptyLayer: true},
			{CreatedBy: "ENTRYPOINT [\"/app\"]", EmptyLayer: true},
		}),
		v1.Config{Entrypoint: []string{"/app"}, User: "65532"},
		Layer("sha256:base", 29_000_000, []index.Entry{Dir("usr"), Dir("usr/lib"), File("usr/lib/libc.so.6", 2_125_328), File("etc/os-release", 267), File("usr/bin/bash", 1_265_648)}),
		Layer("sha256:app", 310_000, []index.Entry{File("app", 851_200), File("etc/os-release", 300)}),
	)
	c := Classify(img, nil)
	c.Packages = []model.Package{{Name: "libc6", Version: "2.36-9", Manager: "dpkg", Section: "libs", Bytes: 2_125_328, Files: 1, Step: 0}}
	c.Verdict = "nothing flagged"
	return img, c
}

// Analysis is SingleStage summarised, with three budgets checked (one
// failed): the goldens' analysis.
func Analysis(t testing.TB) *analyze.Analysis {
	img, c := SingleStage(t)
	a := analyze.Summarize(img, c, 5)
	a.Budgets = &model.BudgetReport{Source: ".imgdiff.yaml", Checks: []model.BudgetCheck{
		{Rule: "max-size", Image: "app:single", Unit: "bytes", Actual: float64(img.Size), Limit: 100_000_000, Pass: true, Detail: "content size"},
		{Rule: "max-category.build-tool", Image: "app:single", Unit: "bytes", Actual: float64(view.CategoryTotal(c, model.BuildTool)), Limit: 0, Pass: false, Detail: "build-tool bytes"},
		{Rule: "max-layers", Image: "app:single", Unit: "count", Actual: 4, Limit: 10, Pass: true},
	}}
	a.Budgets.Pass = false
	return a
}

// Comparison compares SingleStage with MultiStage, with a budget: the
// goldens' comparison.
func Comparison(t testing.TB) *analyze.Comparison {
	a, ca := SingleStage(t)
	b, cb := MultiStage(t)
	c, err := analyze.Compare(a, b, ca, cb, analyze.CompareOptions{Top: 5})
	if err != nil {
		t.Fatal(err)
	}
	c.Budgets = &model.BudgetReport{Source: "flags", Pass: true, Checks: []model.BudgetCheck{
		{Rule: "min-savings", Image: "app:multi", Unit: "percent", Actual: c.Delta.Percent, Limit: 50, Pass: true, Detail: "ΔS as % of A's content size"},
	}}
	return c
}

// onBase is a history that starts as the base image's: its rootfs and
// its CMD, then more.
func onBase(more []v1.History) []v1.History {
	return append([]v1.History{
		{CreatedBy: "/bin/sh -c #(nop) ADD file:9b1ce3 in / "},
		{CreatedBy: "/bin/sh -c #(nop)  CMD [\"bash\"]", EmptyLayer: true},
	}, more...)
}
