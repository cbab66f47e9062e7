package analyze

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/analyze/classify"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/analyze/rpm/rpmtest"
	"github.com/imgdiff/imgdiff/layers/index"
)

// graphImage classifies an image whose only files are the real dpkg
// status and apt extended_states of a bookworm machine after `apt-get
// install` of a set of packages (analyze/pkggraph/testdata/NAME, from
// gen.sh there), with cfg's Cmd, and returns its packages by name.
func graphImage(t *testing.T, name string, cmd []string, extra ...index.Entry) (*model.Classification, map[string]model.Package) {
	t.Helper()
	l := testLayer(nil, nil, nil)
	l.Contents = map[string][]byte{}
	for file, p := range map[string]string{"status": "var/lib/dpkg/status", "extended_states": "var/lib/apt/extended_states"} {
		b, err := os.ReadFile(filepath.Join("pkggraph", "testdata", name, file))
		if err != nil {
			t.Fatal(err)
		}
		l.Contents[p] = b
		l.Entries = append(l.Entries, reg(p, int64(len(b))))
		l.Size += int64(len(b))
	}
	for _, e := range extra {
		// a dpkg file list: its body is the listed path
		l.Contents[e.Path] = []byte("/" + e.Link + "\n")
		e.Size, e.Link = int64(len(e.Link)+2), ""
		l.Entries = append(l.Entries, e)
		l.Size += e.Size
	}
	ii := testImage(nil, l)
	ii.Config.Config = v1.Config{Cmd: cmd}
	img, err := Build(ii)
	if err != nil {
		t.Fatal(err)
	}
	c := Classify(img, nil)
	pkgs := map[string]model.Package{}
	for _, p := range c.Packages {
		pkgs[p.Name] = p
	}
	return c, pkgs
}

// readList reads one of the lists apt itself produced for the testdata
// (gen.sh): autoremove.txt is what `apt-get remove --auto-remove` of the
// build tools removes, no-install-recommends.txt what
// --no-install-recommends would not have installed.
func readList(t *testing.T, name, file string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("pkggraph", "testdata", name, file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

// TestClassifyGraphRust: `apt-get install rustc cargo` on bookworm. What
// only the toolchain needs is a build tool, with the graph's evidence;
// the libraries the base system needs too are not.
func TestClassifyGraphRust(t *testing.T) {
	_, pkgs := graphImage(t, "rust", []string{"/app"})
	for _, n := range []string{"libllvm14", "libclang-cpp14", "libgit2-1.5"} {
		p := pkgs[n]
		if p.Category != model.BuildTool || p.Rule != classify.RuleBuildToolDependency || !strings.HasPrefix(p.Evidence, "dpkg: "+n+", needed only by ") {
			t.Errorf("%s: %q %q %q, want build-tool by %s with the graph's evidence", n, p.Category, p.Rule, p.Evidence, classify.RuleBuildToolDependency)
		}
	}
	if ev := pkgs["libllvm14"].Evidence; !strings.Contains(ev, "needed only by rustc (build-tool)") {
		t.Errorf("libllvm14 evidence %q, want it to name rustc", ev)
	}
	// Shared with the base system (apt, coreutils, ...): never flagged.
	for _, n := range []string{"libc6", "libgcc-s1", "libstdc++6", "zlib1g", "libssl3"} {
		if p, ok := pkgs[n]; !ok || p.Category != "" {
			t.Errorf("%s: %+v, want listed and unflagged", n, p)
		}
	}
	// apt's own answer: everything autoremove takes with the toolchain
	// is flagged (a build tool, or a recommendation of one).
	for _, n := range readList(t, "rust", "autoremove.txt") {
		if p := pkgs[n]; p.Category != model.BuildTool && p.Category != model.Recommended {
			t.Errorf("%s: category %q; apt's autoremove takes it with rustc and cargo", n, p.Category)
		}
	}
}

// TestClassifyGraphRuntimeRun: a package the configuration runs is not
// derived from the build tools that also need it, and neither is what it
// needs: python3 is "needed only by rustc" until CMD runs python3.
func TestClassifyGraphRuntimeRun(t *testing.T) {
	list := index.Entry{Path: "var/lib/dpkg/info/python3.list", Kind: index.File, Link: "usr/bin/python3"}
	_, pkgs := graphImage(t, "rust", []string{"/app"}, list)
	if p := pkgs["python3"]; p.Category != model.BuildTool {
		t.Fatalf("python3 with CMD /app: %+v, want build-tool (only rustc needs it)", p)
	}
	_, pkgs = graphImage(t, "rust", []string{"python3", "/app/main.py"}, list)
	for _, n := range []string{"python3", "python3.11", "libpython3.11-stdlib", "python3.11-minimal"} {
		if p := pkgs[n]; p.Category != "" {
			t.Errorf("%s with CMD python3: %q (%s), want unflagged", n, p.Category, p.Evidence)
		}
	}
	if p := pkgs["libllvm14"]; p.Category != model.BuildTool {
		t.Errorf("libllvm14: %+v, still only rustc needs it", p)
	}
}

// TestClassifyGraphNode: `apt-get install nodejs npm` with recommends.
// When the container does not run npm, npm is a build-only tool and what
// it pulled in goes with it; when CMD runs npm, npm is not flagged (a
// finding says why), and what apt installed only as a recommendation is
// the recommended category, exactly the packages --no-install-recommends
// would have left out (those the rules flag aside).
func TestClassifyGraphNode(t *testing.T) {
	_, pkgs := graphImage(t, "node", []string{"node", "server.js"})
	if p := pkgs["npm"]; p.Category != model.BuildTool || p.Rule != classify.RuleBuildOnlyTool || !strings.Contains(p.Evidence, "not run by ENTRYPOINT, CMD or HEALTHCHECK") {
		t.Errorf("npm: %+v, want a build-only tool", p)
	}
	if p := pkgs["nodejs"]; p.Category != "" {
		t.Errorf("nodejs: %+v, want unflagged: the runtime", p)
	}

	c, pkgs := graphImage(t, "node", []string{"npm", "start"})
	if p := pkgs["npm"]; p.Category != "" {
		t.Errorf("npm run by CMD: %+v, want unflagged", p)
	}
	found := false
	for _, f := range c.Findings {
		found = found || f.ID == classify.FindingBuildToolUsed && strings.Contains(f.Detail, "CMD runs npm")
	}
	if !found {
		t.Errorf("no %s finding saying CMD runs npm: %+v", classify.FindingBuildToolUsed, c.Findings)
	}
	// Recommendation-only: what apt marked auto-installed and would not
	// have installed with --no-install-recommends.
	norec := map[string]bool{}
	for _, name := range readList(t, "node", "no-install-recommends.txt") {
		norec[name] = true
	}
	want := map[string]bool{}
	states, err := os.ReadFile(filepath.Join("pkggraph", "testdata", "node", "extended_states"))
	if err != nil {
		t.Fatal(err)
	}
	for _, stanza := range strings.Split(string(states), "\n\n") {
		name, _, _ := strings.Cut(strings.TrimPrefix(stanza, "Package: "), "\n")
		if strings.Contains(stanza, "Auto-Installed: 1") && !norec[name] {
			want[name] = true
		}
	}
	n := 0
	for name := range want {
		switch p := pkgs[name]; p.Category {
		case model.Recommended:
			n++
			if !strings.HasPrefix(p.Evidence, "dpkg: "+name+", recommended ") {
				t.Errorf("%s: evidence %q", name, p.Evidence)
			}
		case "":
			t.Errorf("%s: unflagged; apt installed it only as a recommendation", name)
		}
	}
	if n < len(want)/2 || n < 150 { // the rest are flagged by rules (gcc, -dev packages)
		t.Errorf("%d of the %d recommendation-only packages are recommended", n, len(want))
	}
	for name, p := range pkgs {
		if p.Category == model.Recommended && !want[name] {
			t.Errorf("%s: recommended, but --no-install-recommends installs it too", name)
		}
	}
}

// TestVerdictRecommendations: the verdict adds what apt installed as
// recommendations, after what should not be there at all.
func TestVerdictRecommendations(t *testing.T) {
	img, err := Build(testImage(nil, testLayer([]index.Entry{reg("a", 600_000_000), reg("b", 400_000_000)}, nil, nil)))
	if err != nil {
		t.Fatal(err)
	}
	got := verdict(img, []model.CategoryTotal{{Category: model.BuildTool, Bytes: 500_000_000}, {Category: model.Recommended, Bytes: 430_000_000}, {Category: model.Other, Bytes: 70_000_000}})
	if want := "500 MB (50%) of this image is build tooling, and 430 MB (43%) of packages apt installed as recommendations"; got != want {
		t.Errorf("verdict %q, want %q", got, want)
	}
	got = verdict(img, []model.CategoryTotal{{Category: model.Recommended, Bytes: 430_000_000}, {Category: model.Other, Bytes: 570_000_000}})
	if want := "no build tools, sources, dev dependencies, caches, VCS data or secrets found; 430 MB (43%) of packages apt installed as recommendations"; got != want {
		t.Errorf("verdict %q, want %q", got, want)
	}
}

// TestClassifyRpm: an rpm database (CBL-Mariner 2.0's rpmdb.sqlite, from
// go-rpmdb's test data) gives package evidence: the files its headers
// list belong to their packages (bash lists /bin/bash on Mariner), and a
// -devel package is a build tool.
func TestClassifyRpm(t *testing.T) {
	db := rpmtest.Gunzip(t, rpmtest.Mariner)
	img, c := classifyEntries(t, []index.Entry{dir("bin"), reg("bin/bash", 1000), dir("usr"), dir("usr/include"), reg("usr/include/zlib.h", 300)},
		map[string]string{"var/lib/rpm/rpmdb.sqlite": string(db)})
	pkgs := map[string]model.Package{}
	for _, p := range c.Packages {
		if p.Manager == "rpm" {
			pkgs[p.Name] = p
		}
	}
	if len(pkgs) != 129 { // go-rpmdb lists 129 packages (cbl-mariner-2.0.go-rpmdb.json.gz)
		t.Errorf("%d rpm packages, want 129", len(pkgs))
	}
	if p := pkgs["bash"]; p.Bytes != 1000 || p.Files != 1 || p.Category != "" {
		t.Errorf("bash: %+v, want bin/bash's 1000 bytes, unflagged", p)
	}
	if p := pkgs["zlib-devel"]; p.Bytes != 300 || p.Category != model.BuildTool || p.Evidence != "rpm: zlib-devel (name *-devel)" {
		t.Errorf("zlib-devel: %+v, want usr/include/zlib.h, build-tool", p)
	}
	if f := flagOf(t, img, c, "usr/include/zlib.h"); f.Category != model.BuildTool || f.Rule != "dev-packages" {
		t.Errorf("usr/include/zlib.h: %+v, want build-tool by dev-packages", f)
	}
}

// TestAdoptGenerated: files a package's installation wrote but no list
// names get the package's flag: the bytecode py3compile writes next to its
// modules, and dpkg's records of it.
func TestAdoptGenerated(t *testing.T) {
	status := "Package: python3-foo\nStatus: install ok installed\nVersion: 1.0\nSection: devel\nArchitecture: all\n\n" +
		"Package: other\nStatus: install ok installed\nVersion: 1.0\nSection: misc\nArchitecture: all\n\n"
	img, c := classifyEntries(t, []index.Entry{
		reg("usr/lib/python3/dist-packages/foo.py", 100),
		reg("usr/lib/python3/dist-packages/__pycache__/foo.cpython-311.pyc", 70),
		reg("usr/lib/python3/dist-packages/__pycache__/foo.cpython-311.opt-1.pyc", 60),
		reg("usr/lib/python3/dist-packages/__pycache__/bar.cpython-311.pyc", 50), // bar.py is nobody's
		reg("var/lib/dpkg/info/python3-foo.md5sums", 40),
		reg("var/lib/dpkg/info/nobody.md5sums", 30),
	}, map[string]string{
		"var/lib/dpkg/status":                status,
		"var/lib/dpkg/info/python3-foo.list": "/usr/lib/python3/dist-packages/foo.py\n",
		"var/lib/dpkg/info/other:amd64.list": "/nothing\n",
	})
	var foo model.Package
	for _, p := range c.Packages {
		if p.Name == "python3-foo" {
			foo = p
		}
	}
	// The package's bytes stay what dpkg lists: foo.py.
	if foo.Files != 1 || foo.Bytes != 100 || foo.Category != model.BuildTool {
		t.Errorf("python3-foo: %d files, %d bytes, %q; want foo.py only, build-tool", foo.Files, foo.Bytes, foo.Category)
	}
	for _, p := range []string{"usr/lib/python3/dist-packages/__pycache__/foo.cpython-311.opt-1.pyc", "var/lib/dpkg/info/python3-foo.md5sums"} {
		if f := flagOf(t, img, c, p); f.Category != model.BuildTool || f.Rule != "dpkg-devel-section" {
			t.Errorf("%s: %+v, want python3-foo's flag", p, f)
		}
	}
	for _, p := range []string{"usr/lib/python3/dist-packages/__pycache__/bar.cpython-311.pyc", "var/lib/dpkg/info/nobody.md5sums"} {
		if f := flagOf(t, img, c, p); f.Category != "" {
			t.Errorf("%s: %+v, want unflagged", p, f)
		}
	}
}

// TestClassifyGraphToolRun: a toolchain the container runs (CMD rustc,
// as an entrypoint script calling a compiler would) is needed at run
// time, whatever rule flagged it: rustc and what it Depends on (gcc,
// binutils, libc6-dev, from rustc's stanza in the fixture: "Depends:
// ..., gcc, libc-dev, binutils") are not flagged, and a finding says
// why; cargo, which CMD does not run and rustc only recommends, stays a
// build tool.
func TestClassifyGraphToolRun(t *testing.T) {
	list := index.Entry{Path: "var/lib/dpkg/info/rustc.list", Kind: index.File, Link: "usr/bin/rustc"}
	_, pkgs := graphImage(t, "rust", []string{"/app"}, list)
	for _, n := range []string{"rustc", "gcc", "binutils", "libc6-dev"} {
		if p := pkgs[n]; p.Category == "" {
			t.Fatalf("%s with CMD /app: unflagged, want flagged (the fixture's premise)", n)
		}
	}
	c, pkgs := graphImage(t, "rust", []string{"rustc", "/src/main.rs"}, list)
	for _, n := range []string{"rustc", "gcc", "gcc-12", "binutils", "libc6-dev", "libstd-rust-dev"} {
		if p := pkgs[n]; p.Category != "" {
			t.Errorf("%s with CMD rustc: %q (%s, %s), want unflagged", n, p.Category, p.Rule, p.Evidence)
		}
	}
	if p := pkgs["cargo"]; p.Category != model.BuildTool {
		t.Errorf("cargo with CMD rustc: %+v, want still a build tool", p)
	}
	found := false
	for _, f := range c.Findings {
		found = found || f.ID == classify.FindingBuildToolUsed && strings.HasPrefix(f.Title, "rustc ") && strings.Contains(f.Detail, "CMD runs rustc")
	}
	if !found {
		t.Errorf("no %s finding for rustc: %+v", classify.FindingBuildToolUsed, c.Findings)
	}
}

// TestClassifyGraphMavenJRE: `apt-get install --no-install-recommends
// maven default-jdk-headless` on the bookworm minbase, CMD bash (the
// status and extended_states are the built image's own,
// pkggraph/testdata/maven). The JRE that maven and the JDK pulled in is
// needed only by them, and nothing runs java: a build-tool dependency,
// with the chain. apt agrees: what `apt-get remove --auto-remove maven
// default-jdk-headless` removes (autoremove.txt, run in that image) is
// all flagged. When CMD runs java, the JRE stays.
func TestClassifyGraphMavenJRE(t *testing.T) {
	const jre = "openjdk-17-jre-headless"
	list := index.Entry{Path: "var/lib/dpkg/info/" + jre + ":amd64.list", Kind: index.File, Link: "usr/lib/jvm/java-17-openjdk-amd64/bin/java"}
	_, pkgs := graphImage(t, "maven", []string{"bash"}, list)
	p := pkgs[jre]
	if p.Category != model.BuildTool || p.Rule != classify.RuleBuildToolDependency {
		t.Fatalf("%s with CMD bash: %q %q (%s), want build-tool by %s", jre, p.Category, p.Rule, p.Evidence, classify.RuleBuildToolDependency)
	}
	for _, want := range []string{"needed only by default-jdk-headless and maven", "nothing in the image runs java"} {
		if !strings.Contains(p.Evidence, want) {
			t.Errorf("%s evidence %q, want %q in it", jre, p.Evidence, want)
		}
	}
	for _, n := range readList(t, "maven", "autoremove.txt") {
		if q, ok := pkgs[n]; ok && q.Category != model.BuildTool {
			t.Errorf("%s: apt autoremoves it with maven and the JDK; got %q (%s)", n, q.Category, q.Evidence)
		}
	}
	for _, n := range []string{"libc6", "libstdc++6", "zlib1g", "bash"} {
		if q := pkgs[n]; q.Category != "" {
			t.Errorf("%s: %q (%s), the base system needs it", n, q.Category, q.Evidence)
		}
	}

	_, pkgs = graphImage(t, "maven", []string{"java", "-jar", "/app/app.jar"}, list)
	// (default-jre-headless, a 2 kB metapackage only maven and the JDK
	// depend on, stays a build-tool dependency: the JRE is what runs.)
	for _, n := range []string{jre, "ca-certificates-java"} {
		if q := pkgs[n]; q.Category != "" {
			t.Errorf("%s with CMD java: %q (%s), want unflagged", n, q.Category, q.Evidence)
		}
	}
	if q := pkgs["maven"]; q.Category != model.BuildTool {
		t.Errorf("maven with CMD java: %+v, still a build tool", q)
	}
}
