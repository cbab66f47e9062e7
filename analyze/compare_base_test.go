package analyze

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/analyze/dockerfile"
	"github.com/imgdiff/imgdiff/analyze/explain"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// The tests of where a comparison's base term comes from: the build's own
// record (the Dockerfile mapping) first, then the layers both images
// share, then the history's heuristics. Every figure is worked out by hand
// from the entries written below.

// termsOf returns the terms without their detail, and the base term's
// detail.
func termsOf(c *Comparison) ([]Term, string) {
	var out []Term
	detail := ""
	for _, t := range c.Decomposition.Terms {
		if t.Name == BaseTerm {
			detail = t.Detail
		}
		t.Detail = ""
		out = append(out, t)
	}
	return out, detail
}

// A base made with `docker import -m "…"` (a first entry with a comment
// and no created_by) under a single-stage build; B is FROM scratch. The
// base's userland B drops is the base term, not other, its docs with it;
// a build-tool file the base carries keeps its category.
func TestCompareDockerImportMessageBase(t *testing.T) {
	a, b := buildBoth(t,
		testImage(
			[]v1.History{
				{Comment: "bookworm minbase, debootstrap 1.0.128"},
				{CreatedBy: "RUN /bin/sh -c apt-get install -y gcc # buildkit", Comment: "buildkit.dockerfile.v0"},
				{CreatedBy: `CMD ["bash"]`, Comment: "buildkit.dockerfile.v0", EmptyLayer: true},
			},
			testLayer([]index.Entry{reg("usr/bin/bash", 1200), reg("usr/lib/libc.so.6", 2000), reg("usr/bin/make", 300), reg("usr/share/doc/bash/copyright", 40)}, nil, nil),
			testLayer([]index.Entry{reg("usr/bin/gcc", 5000), reg("usr/bin/app", 100)}, nil, nil),
		),
		testImage(
			[]v1.History{{CreatedBy: "COPY /usr/bin/app /app # buildkit", Comment: "buildkit.dockerfile.v0"}},
			testLayer([]index.Entry{reg("app", 100)}, nil, nil),
		))
	if a.Base == nil || a.Base.Steps != 1 || a.Base.Source != explain.SourceHeuristic || a.Base.Heuristic != explain.HeuristicDockerImport {
		t.Fatalf("A's base = %+v, want the import, found by the docker import heuristic", a.Base)
	}
	ca := flagPaths(a, map[string]model.Category{"usr/bin/gcc": model.BuildTool, "usr/bin/make": model.BuildTool, "usr/share/doc/bash/copyright": model.Docs})
	c, err := Compare(a, b, ca, nil, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	terms, detail := termsOf(c)
	want := []Term{
		{Name: BaseTerm, Bytes: 3240, Files: 3},     // bash, libc and the base's docs: B has no base
		{Name: "build-tool", Bytes: 5300, Files: 2}, // gcc, and make from the base: its category
	}
	if diff := cmp.Diff(want, terms); diff != "" {
		t.Errorf("terms (-want +got):\n%s", diff)
	}
	if !strings.Contains(detail, "docker import") || !strings.Contains(detail, "bookworm minbase") {
		t.Errorf("base detail %q, want the heuristic and its evidence", detail)
	}
	if c.Decomposition.BaseSource != explain.SourceHeuristic {
		t.Errorf("base source %q, want %q", c.Decomposition.BaseSource, explain.SourceHeuristic)
	}
}

// Two images that share their base layer (same content); A then adds the
// toolchain as a tar in the middle of its history (`ADD toolchain.tar /`,
// the way rootfs-style images are assembled). The shared layer is the
// common base, and the toolchain is build tools, not base: the base term
// is empty, even for a base file B deletes.
func TestCompareSharedPrefixBase(t *testing.T) {
	base := func() *index.Layer {
		return testLayer([]index.Entry{reg("usr/bin/bash", 1200), reg("usr/lib64/libc.so.6", 2000), reg("usr/share/doc/x", 50)}, nil, nil)
	}
	hist := func(own string) []v1.History {
		return []v1.History{
			{CreatedBy: "RUN /bin/sh -c rpm --root /r --dbpath /var/lib/rpm -i *.rpm # buildkit", Comment: "buildkit.dockerfile.v0"},
			{CreatedBy: own, Comment: "buildkit.dockerfile.v0"},
		}
	}
	a, b := buildBoth(t,
		testImage(hist("ADD toolchain.tar / # buildkit"), base(),
			testLayer([]index.Entry{reg("usr/bin/gcc", 9000), reg("usr/libexec/gcc/cc1", 30000), reg("usr/bin/app", 100)}, nil, nil)),
		testImage(hist("COPY /usr/bin/app /usr/bin/app # buildkit"), base(),
			testLayer([]index.Entry{reg("usr/bin/app", 100)}, []string{"usr/share/doc"}, nil)))
	ca := flagPaths(a, map[string]model.Category{"usr/bin/gcc": model.BuildTool, "usr/libexec/gcc/cc1": model.BuildTool})
	c, err := Compare(a, b, ca, nil, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	terms, _ := termsOf(c)
	want := []Term{
		{Name: "build-tool", Bytes: 39000, Files: 2},
		{Name: "other", Bytes: 50, Files: 1}, // the doc B deleted from the common base
	}
	if diff := cmp.Diff(want, terms); diff != "" {
		t.Errorf("terms (-want +got):\n%s", diff)
	}
	if c.Decomposition.BaseSource != explain.SourceShared || c.Decomposition.CommonLayers != 1 || c.Decomposition.CommonSize != 3250 {
		t.Errorf("base source %q, common %d layers of %d bytes; want %q, 1 layer of 3250 bytes",
			c.Decomposition.BaseSource, c.Decomposition.CommonLayers, c.Decomposition.CommonSize, explain.SourceShared)
	}
	if c.A.Base == nil || c.A.Base.Source != explain.SourceShared || c.A.Base.Steps != 1 || c.A.Base.Size != 3250 {
		t.Errorf("comparison's A base = %+v, want the shared layer", c.A.Base)
	}
	if a.Base.Source == explain.SourceShared {
		t.Errorf("Compare changed its input image's base: %+v", a.Base)
	}
}

// With the Dockerfile mapped, the entries on the target chain's root
// FROM are the base exactly, whatever the heuristics say: here a
// history whose first entry no heuristic knows.
func TestMapDockerfileSetsBase(t *testing.T) {
	const src = "FROM registry.example/corp/base:7 AS build\nRUN make\nCOPY app /app\n"
	f, err := dockerfile.Parse("Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	bk := "buildkit.dockerfile.v0"
	img, err := Build(testImage(
		[]v1.History{
			{CreatedBy: "/bin/sh -c mkimage-corp --release 7", Comment: "corp base"},
			{CreatedBy: "RUN /bin/sh -c useradd app # buildkit", Comment: bk},
			{CreatedBy: "RUN /bin/sh -c make # buildkit", Comment: bk},
			{CreatedBy: "COPY app /app # buildkit", Comment: bk},
		},
		testLayer([]index.Entry{reg("usr/bin/bash", 1200)}, nil, nil),
		testLayer([]index.Entry{reg("etc/passwd", 30)}, nil, nil),
		testLayer([]index.Entry{reg("usr/bin/cc", 500)}, nil, nil),
		testLayer([]index.Entry{reg("app", 70)}, nil, nil),
	))
	if err != nil {
		t.Fatal(err)
	}
	if img.Base.Source != explain.SourceNone {
		t.Fatalf("before the mapping: base %+v, want none found", img.Base)
	}
	if _, err := MapDockerfile(img, nil, f, DockerfileOptions{}); err != nil {
		t.Fatal(err)
	}
	want := &model.BaseImage{Steps: 2, Layers: 2, Size: 1230, Heuristic: explain.HeuristicNone, Source: explain.SourceDockerfile,
		Evidence: "Dockerfile:1 (build) FROM registry.example/corp/base:7 AS build"}
	if diff := cmp.Diff(want, img.Base); diff != "" {
		t.Errorf("base (-want +got):\n%s", diff)
	}

	// FROM scratch: no base at all, said by the Dockerfile.
	f2, err := dockerfile.Parse("Dockerfile", []byte("FROM scratch\nCOPY app /app\n"))
	if err != nil {
		t.Fatal(err)
	}
	img2, err := Build(testImage([]v1.History{{Comment: "Imported from -"}, {CreatedBy: "COPY app /app # buildkit", Comment: bk}},
		testLayer([]index.Entry{reg("x", 1)}, nil, nil), testLayer([]index.Entry{reg("app", 70)}, nil, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := MapDockerfile(img2, nil, f2, DockerfileOptions{}); err != nil {
		t.Fatal(err)
	}
	// The mapping aligns COPY with the last entry; the first is the base.
	if img2.Base.Source != explain.SourceDockerfile || img2.Base.Steps != 1 {
		t.Errorf("base %+v, want the one entry before the Dockerfile's own, from the dockerfile", img2.Base)
	}
}

// The manifest's OCI annotations name the base (over the config's
// labels); they do not say how many layers it has, which the history
// decides.
func TestBaseNamedByManifestAnnotations(t *testing.T) {
	ii := testImage([]v1.History{{CreatedBy: "ADD file:00ff in / "}, {CreatedBy: "RUN make"}},
		testLayer([]index.Entry{reg("bin/sh", 1000)}, nil, nil), testLayer([]index.Entry{reg("app", 5)}, nil, nil))
	ii.Annotations = map[string]string{
		explain.AnnotationBaseName:   "docker.io/library/debian:12",
		explain.AnnotationBaseDigest: "sha256:10901ccd8d249047f9761845b4594f121edef079cfd8224edebd9ea726f0a7f6",
	}
	ii.Config.Config.Labels = map[string]string{explain.AnnotationBaseName: "label-says:other"}
	img, err := Build(ii)
	if err != nil {
		t.Fatal(err)
	}
	want := &model.BaseImage{Name: "docker.io/library/debian:12", Digest: "sha256:10901ccd8d249047f9761845b4594f121edef079cfd8224edebd9ea726f0a7f6",
		Steps: 1, Layers: 1, Size: 1000, Heuristic: explain.HeuristicImport, Evidence: "ADD file:00ff in /", Source: explain.SourceHeuristic}
	if diff := cmp.Diff(want, img.Base); diff != "" {
		t.Errorf("base (-want +got):\n%s", diff)
	}
}
