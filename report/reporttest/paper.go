package reporttest

import (
	"fmt"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/dockerfile"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// The fixture: a C program built in its final image (A, "single") and the
// same program copied onto the same base (B, "multi"). Images are built by
// analyze.Build from hand-made layers; classifications are set by hand,
// by exact path, so the figures below are computed on paper:
//
// A's final filesystem, 62,893,400 bytes:
//
//	build-tool 31,030,000  usr/lib/gcc/x86_64-linux-gnu/12/cc1 30,000,000, usr/bin/gcc-12 1,000,000, usr/include/stdio.h 30,000
//	cache      28,000,000  var/cache/apt/archives/gcc-12.deb 19,000,000, var/lib/apt/lists/Packages 9,000,000
//	source         12,400  src/main.c 12,000, src/Makefile 400
//	other       3,851,000  usr/lib/libc.so.6 2,000,000, usr/bin/bash 1,000,000, etc/os-release 1,000, src/app 850,000
//
// plus src/build/main.o (120,000) deleted by the last layer: size(A) =
// 63,013,400. B: the base (3,001,000), then app 851,200 and etc/os-release
// rewritten at 1,300 (the base's 1,000 are hidden): size(B) = 3,853,500.
//
// ΔS = 59,159,900 = build-tool 31,030,000 + cache 28,000,000 + source
// 12,400 + other 850,000 (src/app) + hidden 120,000 − ε 852,500 (only in
// B 851,200 + grown in B 300 + hidden in B 1,000).
const (
	PaperAFinal      = 62_893_400
	PaperASize       = 63_013_400
	PaperBSize       = 3_853_500
	PaperDeltaS      = 59_159_900
	PaperEpsilon     = 852_500
	PaperABuildTool  = 31_030_000
	PaperACache      = 28_000_000
	PaperASource     = 12_400
	PaperAOther      = 3_851_000
	PaperAOtherSaved = 850_000
	PaperAHidden     = 120_000
)

// PaperGCCEvidence is the evidence of gcc-12's files.
const PaperGCCEvidence = "dpkg: gcc-12 (devel)"

// PaperLayer is a layer named by its first path, compressed to a third.
func PaperLayer(entries []index.Entry, whiteouts ...string) *index.Layer {
	l := &index.Layer{CompressedSize: 0, Entries: entries, Whiteouts: whiteouts}
	for _, e := range entries {
		l.Size += e.Size
		if l.DiffID == "" {
			l.DiffID = "sha256:" + e.Path
		}
	}
	l.CompressedSize = l.Size / 3
	return l
}

// PaperBuild builds an image as the OCI layout source reads it.
func PaperBuild(t testing.TB, ref string, hist []v1.History, layers ...*index.Layer) *model.Image {
	t.Helper()
	img := Build(t, ref, hist, v1.Config{}, layers...)
	img.Transport = "oci"
	return img
}

// PaperBase is the base layer both images start with.
func PaperBase() *index.Layer {
	return PaperLayer([]index.Entry{
		File("usr/lib/libc.so.6", 2_000_000), File("usr/bin/bash", 1_000_000), File("etc/os-release", 1_000),
	})
}

// PaperSingleStage is image A of the paper pair, with its classification.
func PaperSingleStage(t testing.TB) (*model.Image, *model.Classification) {
	img := PaperBuild(t, "app:single",
		onBase([]v1.History{
			{CreatedBy: "RUN /bin/sh -c apt-get update && apt-get install -y gcc-12 # buildkit"},
			{CreatedBy: "WORKDIR /src", EmptyLayer: true},
			{CreatedBy: "COPY . /src # buildkit"},
			{CreatedBy: "RUN /bin/sh -c make && rm build/main.o # buildkit"},
		}),
		PaperBase(),
		PaperLayer([]index.Entry{
			File("usr/lib/gcc/x86_64-linux-gnu/12/cc1", 30_000_000), File("usr/bin/gcc-12", 1_000_000),
			File("usr/include/stdio.h", 30_000),
			File("var/cache/apt/archives/gcc-12.deb", 19_000_000), File("var/lib/apt/lists/Packages", 9_000_000),
		}),
		PaperLayer([]index.Entry{File("src/main.c", 12_000), File("src/Makefile", 400), File("src/build/main.o", 120_000)}),
		PaperLayer([]index.Entry{File("src/app", 850_000)}, "src/build/main.o"),
	)
	c := Classify(img, map[string]Flag{
		"usr/lib/gcc/x86_64-linux-gnu/12/cc1": {model.BuildTool, PaperGCCEvidence},
		"usr/bin/gcc-12":                      {model.BuildTool, PaperGCCEvidence},
		"usr/include/stdio.h":                 {model.BuildTool, "path: usr/include/**"},
		"var/cache/apt/archives/gcc-12.deb":   {model.Cache, "path: var/cache/apt/**"},
		"var/lib/apt/lists/Packages":          {model.Cache, "path: var/lib/apt/lists/**"},
		"src/main.c":                          {model.Source, "name: *.c"},
		"src/Makefile":                        {model.Source, "name: Makefile"},
	})
	c.Verdict = "59 MB (94%) of this image is build tooling, sources or caches"
	// The packages, as a classifier lists them: two flagged, one not (the
	// page lists the flagged ones; the strings need escaping).
	c.Packages = []model.Package{
		{Name: "gcc-12", Manager: "dpkg", Section: "devel", Category: model.BuildTool, Bytes: 31_000_000, Files: 2, Step: 2,
			Rule: "dpkg-devel", Evidence: PaperGCCEvidence, PulledBy: []string{"gcc-12"}},
		{Name: "libc6", Manager: "dpkg", Bytes: 2_000_000, Files: 1, Step: 0},
		{Name: "libc6-dev", Manager: "dpkg", Section: "libdevel", Category: model.BuildTool, Bytes: 30_000, Files: 1, Step: 2,
			Rule: "build-tool-dependency", Evidence: "dpkg: libc6-dev, needed only by gcc-12 (build-tool) <via> & \"q\"", PulledBy: []string{"gcc-12", "make"}},
	}
	c.Findings = []model.Finding{
		{ID: "root-user", Severity: model.Warning, Title: "runs as root", Detail: "config.User is empty", Step: -1, Field: "config.User"},
		{ID: "wasted-bytes", Severity: model.Info, Title: "bytes deleted by a later layer", Step: 5, Path: "src/build/main.o", Bytes: 120_000},
	}
	if img.Size != PaperASize || img.Size-img.Wasted != PaperAFinal {
		t.Fatalf("fixture A: size %d, final %d; want %d, %d", img.Size, img.Size-img.Wasted, PaperASize, PaperAFinal)
	}
	return img, c
}

// PaperMultiStage is image B of the paper pair.
func PaperMultiStage(t testing.TB) (*model.Image, *model.Classification) {
	img := PaperBuild(t, "app:multi",
		onBase([]v1.History{
			{CreatedBy: "COPY /src/app /app # buildkit"},
		}),
		PaperBase(),
		PaperLayer([]index.Entry{File("app", 851_200), File("etc/os-release", 1_300)}),
	)
	if img.Size != PaperBSize {
		t.Fatalf("fixture B: size %d, want %d", img.Size, PaperBSize)
	}
	c := Classify(img, nil)
	c.Verdict = "nothing flagged"
	return img, c
}

// PaperAnalysis is A analysed, with a Dockerfile mapping and budgets.
func PaperAnalysis(t testing.TB) *analyze.Analysis {
	img, c := PaperSingleStage(t)
	a := analyze.Summarize(img, c, 5)
	a.Dockerfile = &analyze.DockerfileReport{Source: "dockerfile", File: "Dockerfile", Mapped: 6, Total: 6,
		Findings: []dockerfile.Finding{
			{ID: "build-tools-in-final-stage", Severity: "warning", Title: "build tools in the final stage", Message: "gcc-12 ships 31 MB",
				File: "Dockerfile", Lines: dockerfile.Lines{Start: 3, End: 4}, Bytes: 31_030_000},
			{ID: "apt-lists-left", Severity: "info", Title: "apt lists left", Message: "rm -rf /var/lib/apt/lists/*",
				File: "Dockerfile", Lines: dockerfile.Lines{Start: 3, End: 3}, Stage: "build", Bytes: 9_000_000},
		}}
	a.Budgets = &model.BudgetReport{Source: ".imgdiff.yaml", Checks: []model.BudgetCheck{
		{Rule: "max-size", Image: "app:single", Unit: "bytes", Actual: float64(img.Size), Limit: 100_000_000, Pass: true, Detail: "content size"},
		{Rule: "max-category.build-tool", Image: "app:single", Unit: "bytes", Actual: PaperABuildTool, Limit: 0, Pass: false, Detail: "build-tool bytes"},
	}}
	return a
}

// PaperComparison compares A with B and returns both classifications.
func PaperComparison(t testing.TB) (*analyze.Comparison, *model.Classification, *model.Classification) {
	a, ca := PaperSingleStage(t)
	b, cb := PaperMultiStage(t)
	c, err := analyze.Compare(a, b, ca, cb, analyze.CompareOptions{Top: 5})
	if err != nil {
		t.Fatal(err)
	}
	if c.Delta.Size != PaperDeltaS || c.Decomposition.Epsilon != PaperEpsilon {
		t.Fatalf("fixture: ΔS %d, ε %d; want %d, %d", c.Delta.Size, c.Decomposition.Epsilon, PaperDeltaS, PaperEpsilon)
	}
	return c, ca, cb
}

// manyFiles is an image of n files of a few kB each, spread over
// directories of 100 (the shape of a node_modules or a Python
// site-packages), a tenth of them flagged as dev dependencies. With big >
// 0, every (n/big)-th file holds 10 MB instead: big files large enough to
// be drawn one by one, the most rectangles the page draws.
func ManyFiles(t testing.TB, n, big int) *analyze.Analysis {
	entries := make([]index.Entry, 0, n)
	flags := map[string]Flag{}
	for i := range n {
		p := fmt.Sprintf("app/node_modules/pkg%04d/lib/sub%d/file%05d.js", i/100, i%7, i)
		size := int64(1000 + (i*7919)%20000)
		if big > 0 && i%(n/big) == 0 {
			size = 10_000_000
		}
		entries = append(entries, File(p, size))
		if i%10 == 0 {
			flags[p] = Flag{model.DevDependency, "npm lockfile: dev"}
		}
	}
	img := PaperBuild(t, "app:many", []v1.History{{CreatedBy: "COPY . /app # buildkit"}}, PaperLayer(entries))
	return analyze.Summarize(img, Classify(img, flags), 10)
}
