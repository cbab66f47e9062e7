package dockerfile

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The statements in testdata are shaped as BuildKit writes them with
// --attest type=provenance,mode=max (docs/attestations/slsa-definitions.md,
// solver/llbsolver/provenance/types) for c.single.Dockerfile, its bytes in
// source.infos; the layer digests are made up.
var cLayers = []string{
	"sha256:" + strings.Repeat("a", 64), "sha256:" + strings.Repeat("b", 64), "sha256:" + strings.Repeat("c", 64),
	"sha256:" + strings.Repeat("d", 64), "sha256:" + strings.Repeat("e", 64),
}

var cSingleBuildKit = hist(debianBase, []Entry{
	bk("RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends build-essential # buildkit", true),
	bk("WORKDIR /src", true),
	bk("COPY Makefile wordfreq.c ./ # buildkit", true),
	bk("RUN /bin/sh -c make check && make install # buildkit", true),
	bk(`ENTRYPOINT ["/usr/local/bin/wordfreq"]`, false),
})

func readProvenance(t *testing.T, name string) (*Provenance, error) {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return ParseProvenance(data)
}

func TestParseProvenance(t *testing.T) {
	dockerfile, err := os.ReadFile("testdata/c.single.Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"provenance-c-single.slsa1.json", "provenance-c-single.slsa02.json"} {
		t.Run(name, func(t *testing.T) {
			p, err := readProvenance(t, name)
			if err != nil {
				t.Fatal(err)
			}
			if p.Filename != "Dockerfile" || string(p.Data) != string(dockerfile) {
				t.Errorf("source %q, %d bytes: want Dockerfile with c.single's bytes", p.Filename, len(p.Data))
			}
			if p.BuildArgs["BASE"] != "debian:bookworm-slim" {
				t.Errorf("build args %v", p.BuildArgs)
			}
			var ids []string
			var lines []Lines
			for _, s := range p.Steps {
				ids = append(ids, s.ID)
				lines = append(lines, s.Lines)
			}
			if diff := cmp.Diff([]string{"step0", "step1", "step3", "step4", "step5"}, ids); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]Lines{{4, 4}, {5, 5}, {6, 6}, {7, 7}, {8, 8}}, lines); diff != "" {
				t.Errorf("step lines (-want +got):\n%s", diff)
			}
			want := map[int]Lines{0: {4, 4}, 1: {5, 5}, 2: {6, 6}, 3: {7, 7}, 4: {8, 8}}
			if diff := cmp.Diff(want, p.LayerLines(cLayers)); diff != "" {
				t.Errorf("layer lines (-want +got):\n%s", diff)
			}
			// Another image whose second layer differs: only the base
			// layer's chain is a prefix of it.
			other := append([]string{cLayers[0], "sha256:" + strings.Repeat("0", 64)}, cLayers[2:]...)
			if diff := cmp.Diff(map[int]Lines{0: {4, 4}}, p.LayerLines(other)); diff != "" {
				t.Errorf("layer lines of another image (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProvenanceMap(t *testing.T) {
	p, err := readProvenance(t, "provenance-c-single.slsa1.json")
	if err != nil {
		t.Fatal(err)
	}
	s0 := "stage 0"
	m, err := p.Map(cSingleBuildKit, cLayers)
	if err != nil {
		t.Fatal(err)
	}
	if m.Source != "provenance" || len(m.Warnings) != 0 {
		t.Errorf("source %q, warnings %v", m.Source, m.Warnings)
	}
	if diff := cmp.Diff([]want{from(4, s0), at(5, 5, s0), at(6, 6, s0), at(7, 7, s0), at(8, 8, s0), at(9, 9, s0)}, got(m)); diff != "" {
		t.Errorf("mapping (-want +got):\n%s", diff)
	}

	// A history rewritten by a tool (created_by lost): the Dockerfile
	// matches nothing, the provenance's layers still place every layer.
	rewritten := make([]Entry, len(cSingleBuildKit))
	for i, e := range cSingleBuildKit {
		rewritten[i] = Entry{CreatedBy: "crane mutate", EmptyLayer: e.EmptyLayer}
	}
	m, err = p.Map(rewritten, cLayers)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]want{from(4, s0), at(5, 5, s0), at(6, 6, s0), at(7, 7, s0), at(8, 8, s0), none}, got(m)); diff != "" {
		t.Errorf("rewritten history mapping (-want +got):\n%s", diff)
	}
	if m.Mapped != 5 || m.Total != 6 {
		t.Errorf("mapped %d of %d, want 5 of 6", m.Mapped, m.Total)
	}
}

func TestProvenanceErrors(t *testing.T) {
	p, err := readProvenance(t, "provenance-min.slsa1.json")
	if !errors.Is(err, ErrNoSource) || p == nil {
		t.Errorf("mode=min: %v, %v; want ErrNoSource with the parsed value", p, err)
	}
	for _, bad := range []string{`{`, `{"predicateType":"https://spdx.dev/Document"}`, `{"predicateType":"https://slsa.dev/provenance/v1","predicate":[]}`} {
		if _, err := ParseProvenance([]byte(bad)); err == nil || errors.Is(err, ErrNoSource) {
			t.Errorf("ParseProvenance(%s): %v, want a parse error", bad, err)
		}
	}
}
