package analyze

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/analyze/explain"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// flagPaths classifies an image by exact path, for tests.
func flagPaths(img *model.Image, cats map[string]model.Category) *model.Classification {
	c := &model.Classification{Flags: model.NewFlags(img.FS.Len())}
	for i, f := range img.FS.All() {
		if cat, ok := cats[f.Path]; ok {
			c.Flags.Set(i, model.Flag{Category: cat, Rule: "test"})
		}
	}
	return c
}

// buildBoth builds the two images of a comparison.
func buildBoth(t *testing.T, a, b *index.Image) (*model.Image, *model.Image) {
	t.Helper()
	ma, err := Build(a)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := Build(b)
	if err != nil {
		t.Fatal(err)
	}
	return ma, mb
}

func TestCompareDecomposition(t *testing.T) {
	base := func() *index.Layer {
		l := testLayer([]index.Entry{dir("usr"), reg("usr/libc.so", 1000), reg("etc/conf", 10)}, nil, nil)
		l.CompressedSize = 400
		return l
	}
	single := testImage(
		[]v1.History{{CreatedBy: "ADD rootfs"}, {CreatedBy: "RUN apt-get install gcc"}, {CreatedBy: "COPY . /src"}, {CreatedBy: "RUN make && rm /src/tmp.o"}},
		base(),
		testLayer([]index.Entry{reg("usr/bin/gcc", 5000), reg("usr/include/stdio.h", 700)}, nil, nil),
		testLayer([]index.Entry{reg("src/main.c", 300), reg("src/tmp.o", 90)}, nil, nil),
		testLayer([]index.Entry{reg("app", 200), reg("etc/conf", 12)}, []string{"src/tmp.o"}, nil),
	)
	multi := testImage(
		[]v1.History{{CreatedBy: "ADD rootfs"}, {CreatedBy: "COPY /src/app /app # buildkit"}},
		base(),
		testLayer([]index.Entry{reg("app", 250)}, nil, nil),
	)
	// Share the base layer's diffID, as a common FROM does.
	multi.Layers[0].DiffID = single.Layers[0].DiffID
	multi.Layers[0].Identity = single.Layers[0].Identity
	multi.Layers[1].DiffID = "sha256:app"
	multi.Layers[1].Identity = "blob:sha256:app"
	for _, l := range single.Layers[1:] {
		l.CompressedSize = 100
	}
	multi.Layers[1].CompressedSize = 120

	a, b := buildBoth(t, single, multi)
	ca := flagPaths(a, map[string]model.Category{"usr/bin/gcc": model.BuildTool, "usr/include/stdio.h": model.BuildTool, "src/main.c": model.Source})
	cmpn, err := Compare(a, b, ca, nil, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}

	wantDelta := a.Size - b.Size // 7312 - 1260
	if cmpn.Delta.Size != wantDelta || cmpn.Decomposition.Total != wantDelta {
		t.Fatalf("delta %d, decomposition %d, want %d", cmpn.Delta.Size, cmpn.Decomposition.Total, wantDelta)
	}
	wantTerms := []Term{
		{Name: "build-tool", Bytes: 5700, Files: 2},
		{Name: "source", Bytes: 300, Files: 1},
		{Name: "other", Bytes: 2, Files: 1},    // etc/conf shrank from 12 to 10
		{Name: "hidden", Bytes: 100, Files: 2}, // src/tmp.o deleted, etc/conf overwritten
	}
	if diff := cmp.Diff(wantTerms, cmpn.Decomposition.Terms); diff != "" {
		t.Errorf("terms (-want +got):\n%s", diff)
	}
	if want := (Epsilon{GrownB: 50}); cmpn.Decomposition.EpsilonParts != want {
		t.Errorf("epsilon = %+v, want %+v", cmpn.Decomposition.EpsilonParts, want)
	}
	if cmpn.Shared.Layers != 1 || cmpn.Shared.Size != 1010 || cmpn.Shared.PullSize != 120 || cmpn.Shared.PullContentSize != 250 {
		t.Errorf("shared = %+v", cmpn.Shared)
	}
	if cmpn.Delta.CompressedSize != 700-520 {
		t.Errorf("compressed delta = %d, want 180", cmpn.Delta.CompressedSize)
	}
	if got := cmpn.StepsA[0]; got.Step != 1 || got.Bytes != 5700 {
		t.Errorf("largest A step = %+v, want step 1 (apt-get install gcc) with 5700 bytes", got)
	}
	if got := cmpn.Files.OnlyA; got.Count != 3 || got.Bytes != 6000 || got.Top[0].Path != "usr/bin/gcc" {
		t.Errorf("only in A = %+v", got)
	}
	if got := cmpn.Files.Changed; got.Count != 2 {
		t.Errorf("changed = %+v, want app and etc/conf", got)
	}
}

// TestSharedOnlyWhenShown: two layers that claim one diffID but that the
// walk did not show to be the same bytes (different Identity) are not
// shared, and two images whose configs claim the same diffIDs are not
// identical (issue 13 defect 1).
func TestSharedOnlyWhenShown(t *testing.T) {
	honest := testImage(nil, testLayer([]index.Entry{reg("a", 5)}, nil, nil))
	liar := testImage(nil, testLayer([]index.Entry{reg("a", 5), reg(".env", 40)}, nil, nil))
	liar.Layers[0].Identity = "blob:sha256:other"
	a, _ := Build(honest)
	b, _ := Build(liar)
	if a.Layers[0].DiffID != b.Layers[0].DiffID {
		t.Fatal("the test wants both configs to claim one diffID")
	}
	c, err := Compare(a, b, nil, nil, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Shared.Layers != 0 || c.Identical || c.Shared.PullContentSize != 45 {
		t.Errorf("shared = %+v identical = %v, want nothing shared", c.Shared, c.Identical)
	}
	liar.Layers[0].Identity = ""
	b, _ = Build(liar)
	if c, _ := Compare(b, b, nil, nil, CompareOptions{}); c.Shared.Layers != 0 || c.Identical {
		t.Errorf("a layer with no identity is shared: %+v", c.Shared)
	}
}

func TestCompareSelfAndPlatform(t *testing.T) {
	img := testImage(nil, testLayer([]index.Entry{reg("a", 5)}, nil, nil))
	img.Platform = "linux/amd64"
	a, _ := Build(img)
	c, err := Compare(a, a, nil, nil, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Delta.Size != 0 || !c.Identical || c.Files.OnlyA.Count+c.Files.OnlyB.Count+c.Files.Changed.Count != 0 {
		t.Errorf("self compare: %+v", c)
	}
	other := *a
	other.Platform = "linux/arm64"
	if _, err := Compare(a, &other, nil, nil, CompareOptions{}); !errors.Is(err, ErrPlatformMismatch) {
		t.Errorf("err = %v, want ErrPlatformMismatch", err)
	}
	if _, err := Compare(a, &other, nil, nil, CompareOptions{AllowPlatformMismatch: true}); err != nil {
		t.Errorf("allowed mismatch: %v", err)
	}
}

// TestCompareWithoutHistory: images whose config has no history still
// compare, by layer index and paths, and say why the steps are synthetic.
func TestCompareWithoutHistory(t *testing.T) {
	base := testLayer([]index.Entry{reg("bin/sh", 100)}, nil, nil)
	tools := testLayer([]index.Entry{reg("usr/bin/cc", 7000), reg("src/main.c", 300)}, nil, nil)
	app := testLayer([]index.Entry{reg("app/server", 900)}, nil, nil)
	a, b := buildBoth(t, testImage(nil, base, tools), testImage(nil, base, app))
	if len(a.Steps) != 2 || !a.Steps[1].Synthetic || len(a.Warnings) == 0 {
		t.Fatalf("steps %+v warnings %q", a.Steps, a.Warnings)
	}
	c, err := Compare(a, b, Classify(a, nil), Classify(b, nil), CompareOptions{Top: 10})
	if err != nil {
		t.Fatal(err)
	}
	if c.Delta.Size != 7300-900 {
		t.Errorf("ΔS %d, want 6400", c.Delta.Size)
	}
	var sum int64
	for _, term := range c.Decomposition.Terms {
		sum += term.Bytes
	}
	if sum-c.Decomposition.Epsilon != c.Delta.Size {
		t.Errorf("terms %d − ε %d ≠ ΔS %d", sum, c.Decomposition.Epsilon, c.Delta.Size)
	}
	if len(c.StepsA) != 1 || c.StepsA[0].Step != 1 || c.StepsA[0].Bytes != 7300 {
		t.Errorf("A's steps: %+v", c.StepsA)
	}
	if c.Files.OnlyA.Count != 2 || c.Files.OnlyB.Count != 1 {
		t.Errorf("files: only A %d, only B %d", c.Files.OnlyA.Count, c.Files.OnlyB.Count)
	}
}

// TestCompareBaseMovesOther: the base image term takes what A's base
// layers hold and B lacks, a file moved from one path to another is
// counted on neither side, and the other term is split by the requested
// package that pulled the bytes in, else by directory. The figures are
// worked out by hand from the entries below.
func TestCompareBaseMovesOther(t *testing.T) {
	single := testImage(
		[]v1.History{
			{CreatedBy: "/bin/sh -c #(nop) ADD file:0123abcd in / "},
			{CreatedBy: `/bin/sh -c #(nop)  CMD ["bash"]`, EmptyLayer: true},
			{CreatedBy: "RUN apt-get install gcc curl"},
			{CreatedBy: "RUN go build -o /usr/local/bin/app"},
		},
		testLayer([]index.Entry{dir("usr"), reg("usr/lib/libc.so", 1000), reg("etc/conf", 10), reg("usr/bin/perl", 300)}, nil, nil),
		testLayer([]index.Entry{reg("usr/bin/gcc", 5000), reg("usr/lib/libz.so", 40), reg("usr/share/x/data", 60)}, nil, nil),
		testLayer([]index.Entry{reg("usr/local/bin/app", 200)}, nil, nil),
	)
	multi := testImage(
		[]v1.History{
			{CreatedBy: "ADD file:4567cdef in / "},
			{CreatedBy: `CMD ["sh"]`, EmptyLayer: true},
			{CreatedBy: "COPY /out/app /app # buildkit"},
		},
		testLayer([]index.Entry{dir("usr"), reg("usr/lib/libc.so", 1000)}, nil, nil),
		testLayer([]index.Entry{reg("app", 200), reg("newfile", 7)}, nil, nil),
	)
	a, b := buildBoth(t, single, multi)
	if a.Base == nil || a.Base.Steps != 2 || a.Base.Layers != 1 || a.Base.Size != 1310 || a.Base.Heuristic != "rootfs import" {
		t.Fatalf("A's base = %+v, want the ADD and the CMD, 1 layer of 1310 bytes", a.Base)
	}
	ca := flagPaths(a, map[string]model.Category{"usr/bin/gcc": model.BuildTool})
	ca.Owners = make([]int32, a.FS.Len())
	for i, f := range a.FS.All() {
		ca.Owners[i] = -1
		if f.Path == "usr/lib/libz.so" {
			ca.Owners[i] = 0
		}
	}
	ca.Packages = []model.Package{{Name: "zlib1g", Manager: "dpkg", Bytes: 40, PulledBy: []string{"curl"}}}
	c, err := Compare(a, b, ca, nil, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// A: 1310 + 5100 + 200 = 6610; B: 1000 + 207 = 1207.
	if c.Delta.Size != 5403 || c.Decomposition.Total != 5403 {
		t.Fatalf("ΔS %d, decomposition %d, want 5403", c.Delta.Size, c.Decomposition.Total)
	}
	terms := c.Decomposition.Terms
	if len(terms) > 0 && terms[0].Name == BaseTerm {
		if !strings.Contains(terms[0].Detail, "ADD file:0123abcd in /") || !strings.Contains(terms[0].Detail, "→") {
			t.Errorf("base term detail %q, want both bases named", terms[0].Detail)
		}
		terms[0].Detail = ""
	}
	wantTerms := []Term{
		{Name: BaseTerm, Bytes: 310, Files: 2}, // etc/conf and perl; libc.so is in B's base too
		{Name: "build-tool", Bytes: 5000, Files: 1},
		{Name: "other", Bytes: 100, Files: 2}, // libz.so and data; the app moved
	}
	if diff := cmp.Diff(wantTerms, terms); diff != "" {
		t.Errorf("terms (-want +got):\n%s", diff)
	}
	if want := (Epsilon{OnlyB: 7}); c.Decomposition.EpsilonParts != want {
		t.Errorf("ε parts %+v, want %+v (app is a move, not ε)", c.Decomposition.EpsilonParts, want)
	}
	wantMoved := &MovedFiles{Count: 1, Bytes: 200, Top: []MovedFile{{From: "usr/local/bin/app", To: "app", Bytes: 200}}}
	if diff := cmp.Diff(wantMoved, c.Files.Moved); diff != "" {
		t.Errorf("moved (-want +got):\n%s", diff)
	}
	wantGroups := []OtherGroup{
		{Name: "files under usr/share (no package)", Bytes: 60, Files: 1},
		{Name: "curl and the package it pulled in", Pullers: []string{"curl"}, Packages: 1, Bytes: 40, Files: 1},
	}
	if diff := cmp.Diff(wantGroups, c.Decomposition.OtherGroups); diff != "" {
		t.Errorf("other groups (-want +got):\n%s", diff)
	}
}

// TestBaseDetailNamed: the labels name the base (as BuildKit writes them
// with --label or a Dockerfile's LABEL); an image with no base says
// scratch.
func TestBaseDetailNamed(t *testing.T) {
	ii := testImage([]v1.History{{CreatedBy: "ADD file:00ff in / "}, {CreatedBy: "RUN make"}},
		testLayer([]index.Entry{reg("bin/sh", 1_000_000)}, nil, nil), testLayer([]index.Entry{reg("app", 5)}, nil, nil))
	ii.Config.Config.Labels = map[string]string{"org.opencontainers.image.base.name": "docker.io/library/debian:12"}
	a, err := Build(ii)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(testImage([]v1.History{{CreatedBy: "COPY app / # buildkit"}}, testLayer([]index.Entry{reg("app", 5)}, nil, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := explain.BaseDetail(a, b), "A: docker.io/library/debian:12 (1.0 MB; heuristic rootfs import: ADD file:00ff in /) → B: no base found"; got != want {
		t.Errorf("baseDetail = %q, want %q", got, want)
	}
}
