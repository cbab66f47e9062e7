package analyze

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/imgdiff/imgdiff/analyze/dockerfile"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// A Node image built with BuildKit from a single-stage Dockerfile: the
// history, layers, files and classification are written by hand, and so
// are the locations and evidence expected from them.
const nodeDockerfile = `FROM debian:bookworm-slim
RUN apt-get update && \
    apt-get install -y nodejs npm gcc
WORKDIR /app
COPY . .
RUN npm ci
CMD node server.js
`

func nodeImage() (*model.Image, *model.Classification) {
	img := &model.Image{
		Steps: []model.Step{
			{Index: 0, CreatedBy: "# debian.sh --arch 'amd64' out/ 'bookworm'", Layer: 0, Final: 1000},
			{Index: 1, CreatedBy: "RUN /bin/sh -c apt-get update &&     apt-get install -y nodejs npm gcc # buildkit", Comment: "buildkit.dockerfile.v0", Layer: 1, Final: 700},
			{Index: 2, CreatedBy: "WORKDIR /app", Comment: "buildkit.dockerfile.v0", Layer: 2},
			{Index: 3, CreatedBy: "COPY . . # buildkit", Comment: "buildkit.dockerfile.v0", Layer: 3, Final: 90},
			{Index: 4, CreatedBy: "RUN /bin/sh -c npm ci # buildkit", Comment: "buildkit.dockerfile.v0", Layer: 4, Final: 50},
			{Index: 5, CreatedBy: "CMD [\"/bin/sh\" \"-c\" \"node server.js\"]", Comment: "buildkit.dockerfile.v0", EmptyLayer: true, Layer: -1},
		},
		Layers: []model.Layer{{Index: 0, Step: 0}, {Index: 1, Step: 1}, {Index: 2, Step: 2}, {Index: 3, Step: 3}, {Index: 4, Step: 4}},
	}
	file := func(p string, size int64, layer int) model.File {
		return model.File{Entry: index.Entry{Path: p, Kind: index.File, Size: size}, Layer: layer, Bytes: size}
	}
	dir := func(p string, layer int) model.File {
		return model.File{Entry: index.Entry{Path: p, Kind: index.Dir}, Layer: layer}
	}
	img.FS = &model.FS{Files: []model.File{
		dir("app", 2),
		dir("app/.git", 3),
		file("app/.git/pack", 40, 3),
		file("app/.env", 5, 3),
		file("app/server.js", 45, 3),
		dir("app/tests", 3),
		file("app/tests/a.js", 0, 3), // empty: no bytes to count
		file("bin/sh", 1000, 0),
		file("usr/bin/gcc", 300, 1),
		file("usr/bin/node", 200, 1),
		file("var/lib/apt/lists/deb_Packages", 150, 1),
		file("var/lib/apt/lists/deb_Release", 50, 1),
		file("root/.npm/_cacache/x", 50, 4),
	}}
	c := &model.Classification{
		Flags: make([]model.Flag, len(img.FS.Files)),
		Packages: []model.Package{
			{Name: "gcc", Category: model.BuildTool, Bytes: 300, Step: 1},
			{Name: "nodejs", Bytes: 200, Step: 1},
			{Name: "libc6", Category: model.BuildTool, Bytes: 0, Step: 0}, // no bytes: not evidence
		},
	}
	c.Flags[10] = model.Flag{Category: model.Cache}
	c.Flags[11] = model.Flag{Category: model.Cache}
	c.Flags[12] = model.Flag{Category: model.Cache}
	return img, c
}

func TestMapDockerfileLocationsAndEvidence(t *testing.T) {
	f, err := dockerfile.Parse("Dockerfile", []byte(nodeDockerfile))
	if err != nil {
		t.Fatal(err)
	}
	img, c := nodeImage()
	r, err := MapDockerfile(img, c, f, DockerfileOptions{Dockerignore: true})
	if err != nil {
		t.Fatal(err)
	}
	wantLoc := []string{"Dockerfile:1 (stage 0)", "Dockerfile:2-3 (stage 0)", "Dockerfile:4 (stage 0)", "Dockerfile:5 (stage 0)", "Dockerfile:6 (stage 0)", "Dockerfile:7 (stage 0)"}
	var gotLoc []string
	for i := range img.Steps {
		gotLoc = append(gotLoc, r.Location(i))
	}
	if diff := cmp.Diff(wantLoc, gotLoc); diff != "" {
		t.Errorf("locations (-want +got):\n%s", diff)
	}
	if r.MatchRate != 1 || r.Mapped != 6 || r.Total != 6 || r.Source != "dockerfile" || r.Builder != "buildkit" || len(r.Warnings) != 0 {
		t.Errorf("mapping %+v", r)
	}
	if r.Steps[0].Kind != "base" || r.Steps[1].Kind != "instruction" {
		t.Errorf("kinds %q %q, want base, instruction", r.Steps[0].Kind, r.Steps[1].Kind)
	}

	ev := DockerfileEvidence(img, c, r, "", true)
	want := dockerfile.Evidence{Dockerignore: true, Lines: map[int]dockerfile.LineEvidence{
		2: {Bytes: 700, BuildTools: []dockerfile.Package{{Name: "gcc", Bytes: 300}},
			CacheBytes: 200, CachePaths: []string{"/var/lib/apt/lists"}},
		4: {},
		5: {Bytes: 90, ContextJunk: []dockerfile.PathBytes{{Path: "/app/.git", Bytes: 40}, {Path: "/app/.env", Bytes: 5}}},
		6: {Bytes: 50, CacheBytes: 50, CachePaths: []string{"/root/.npm/_cacache"}},
		7: {},
	}}
	if diff := cmp.Diff(want, ev); diff != "" {
		t.Errorf("evidence (-want +got):\n%s", diff)
	}

	ids := map[string][]string{}
	for _, x := range r.Findings {
		ids[x.ID] = append(ids[x.ID], x.Lines.String())
	}
	for id, l := range map[string][]string{
		dockerfile.CheckBuildTools:   {"2-3"},
		dockerfile.CheckPackageCache: {"2-3", "6"}, // apt lists (200 B), then the npm cache (50 B)
		dockerfile.CheckContextJunk:  {"5"},
		dockerfile.CheckContextFirst: {"5"},
		dockerfile.CheckShellCmd:     {"7"},
	} {
		if diff := cmp.Diff(l, ids[id]); diff != "" {
			t.Errorf("finding %s lines (-want +got):\n%s", id, diff)
		}
	}
}

// A Dockerfile edited after the build: a RUN changed. The mapping warns
// and maps nothing from the mismatch on.
func TestMapDockerfileEditedAfterBuild(t *testing.T) {
	edited := `FROM debian:bookworm-slim
RUN apt-get update && \
    apt-get install -y nodejs npm gcc
WORKDIR /app
COPY . .
RUN npm install --omit=dev
CMD node server.js
`
	f, err := dockerfile.Parse("Dockerfile", []byte(edited))
	if err != nil {
		t.Fatal(err)
	}
	img, c := nodeImage()
	r, err := MapDockerfile(img, c, f, DockerfileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Warnings) == 0 {
		t.Fatal("no warning for a Dockerfile that no longer matches")
	}
	for i := 4; i < len(img.Steps); i++ {
		if l := r.Location(i); l != "" {
			t.Errorf("step %d mapped to %s after the mismatch", i, l)
		}
	}
	if r.Location(3) != "Dockerfile:5 (stage 0)" || r.MatchRate >= 1 {
		t.Errorf("step 3 at %q, match rate %v; want Dockerfile:5 and below 1", r.Location(3), r.MatchRate)
	}
}

func TestMapDockerfileUnknownTarget(t *testing.T) {
	f, err := dockerfile.Parse("Dockerfile", []byte(nodeDockerfile))
	if err != nil {
		t.Fatal(err)
	}
	img, c := nodeImage()
	if _, err := MapDockerfile(img, c, f, DockerfileOptions{Target: "nope"}); err == nil {
		t.Error("no error for an unknown --target")
	}
}

func TestHistoryEntriesSynthetic(t *testing.T) {
	img := &model.Image{Steps: []model.Step{{Synthetic: true}}}
	if HistoryEntries(img) != nil {
		t.Error("synthetic steps gave history entries")
	}
}
