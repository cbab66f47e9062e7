package suggest

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// writeDockerfile writes a Dockerfile for a fixture whose shape no e2e app
// has, and returns its path.
func writeDockerfile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "Dockerfile")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// dockerfileText is the text of fx's Dockerfile, for a test to edit and
// write back with writeDockerfile.
func (fx fixture) dockerfileText(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(fx.dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// flaskFixture is the Python app whose Debian packages came from a list
// file (xargs -a debian-packages.txt apt-get install -y): no RUN line
// names python3-flask, only apt's extended_states says it was asked for.
// Its venv sees the system's packages (--system-site-packages), and the
// build ran pytest in the app's tree.
func flaskFixture(t *testing.T) fixture {
	st := status([2]string{"libc6", ""}, [2]string{"dash", "libc6"}, [2]string{"python3", "python3.11"}, [2]string{"python3.11", "libc6"},
		[2]string{"python3-venv", "python3.11-venv, python3"}, [2]string{"python3.11-venv", "python3.11"},
		[2]string{"python3-flask", "python3-werkzeug, python3:any"}, [2]string{"python3-werkzeug", "python3:any"},
		[2]string{"python3-pytest", "python3:any"})
	venvSite := "opt/venv/lib/python3.11/site-packages/"
	return fixture{
		ref: "flask-app:single",
		dockerfile: writeDockerfile(t, `FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv
COPY debian-packages.txt /tmp/
RUN xargs -a /tmp/debian-packages.txt apt-get install -y --no-install-recommends
WORKDIR /app
COPY . .
RUN python3 -m venv --system-site-packages /opt/venv && /opt/venv/bin/python -m pytest tests
ENV PATH=/opt/venv/bin:$PATH
CMD ["python", "app.py"]
`),
		status: st,
		auto:   []string{"python3.11", "python3.11-venv", "python3-werkzeug"},
		pkgs: append(append([]pkgdef{}, basePkgs...),
			pkgdef{name: "python3", manager: "dpkg"},
			pkgdef{name: "python3.11", manager: "dpkg"},
			pkgdef{name: "python3-venv", manager: "dpkg"},
			pkgdef{name: "python3.11-venv", manager: "dpkg"},
			pkgdef{name: "python3-flask", manager: "dpkg"},
			pkgdef{name: "python3-werkzeug", manager: "dpkg"},
			pkgdef{name: "python3-pytest", manager: "dpkg", cat: model.DevDependency},
			pkgdef{name: "pip", manager: "python", location: venvSite + "pip-23.0.1.dist-info"},
			pkgdef{name: "setuptools", manager: "python", location: venvSite + "setuptools-66.1.1.dist-info"}),
		history: []step{
			debianBase(st),
			{createdBy: run("apt-get update && apt-get install -y --no-install-recommends python3 python3-venv"), files: []ffile{
				{path: "usr/bin/python3", size: 10, kind: index.Symlink, pkg: "python3"},
				{path: "usr/bin/python3.11", size: 6_000_000, pkg: "python3.11", mode: 0o755},
				{path: "usr/lib/python3.11/venv/__init__.py", size: 20_000, pkg: "python3.11-venv"},
				{path: "usr/share/doc/python3-venv/copyright", size: 1_000, pkg: "python3-venv"},
				{path: "var/lib/apt/lists/deb.debian.org_Packages", size: 9_000_000, cat: model.Cache},
			}},
			{createdBy: "COPY debian-packages.txt /tmp/ # buildkit", files: []ffile{{path: "tmp/debian-packages.txt", size: 40}}},
			{createdBy: run("xargs -a /tmp/debian-packages.txt apt-get install -y --no-install-recommends"), files: []ffile{
				{path: "usr/lib/python3/dist-packages/flask/__init__.py", size: 300_000, pkg: "python3-flask"},
				{path: "usr/lib/python3/dist-packages/werkzeug/__init__.py", size: 900_000, pkg: "python3-werkzeug"},
				{path: "usr/lib/python3/dist-packages/pytest/__init__.py", size: 3_000_000, pkg: "python3-pytest"},
			}},
			{createdBy: "WORKDIR /app", files: []ffile{{path: "app", kind: index.Dir}}},
			{createdBy: "COPY . . # buildkit", files: []ffile{
				{path: "app/app.py", size: 2_000},
				{path: "app/tests/test_app.py", size: 1_000, cat: model.Source},
			}},
			{createdBy: run("python3 -m venv --system-site-packages /opt/venv && /opt/venv/bin/python -m pytest tests"), files: []ffile{
				{path: "opt/venv/pyvenv.cfg", size: 100},
				{path: "opt/venv/bin/python", size: 16, kind: index.Symlink},
				{path: "opt/venv/bin/pip", size: 250, pkg: "pip", mode: 0o755},
				{path: venvSite + "pip/__init__.py", size: 9_000_000, pkg: "pip"},
				{path: venvSite + "pip-23.0.1.dist-info/RECORD", size: 100_000, pkg: "pip"},
				{path: venvSite + "setuptools/__init__.py", size: 3_000_000, pkg: "setuptools"},
				{path: venvSite + "setuptools-66.1.1.dist-info/RECORD", size: 50_000, pkg: "setuptools"},
				{path: venvSite + "myplugin.pth", size: 20},
				{path: "app/.pytest_cache/v/cache/nodeids", size: 5_000},
				{path: "app/tests/__pycache__/test_app.cpython-311-pytest-7.2.1.pyc", size: 4_000},
				{path: "app/.coverage", size: 50_000},
			}},
			{createdBy: "ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", empty: true},
			{createdBy: `CMD ["python" "app.py"]`, empty: true},
		},
		config: model.Config{Cmd: []string{"python", "app.py"}, WorkingDir: "/app",
			Env: []string{"PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
	}
}

// The Python packages installed from a list file are the app's runtime:
// the package database says they were asked for, whatever the RUN line
// says. The venv keeps the app's files but not its installers, and
// nothing pytest or coverage wrote is copied.
func TestListFileInstallAndVenv(t *testing.T) {
	got, err := Suggest(flaskFixture(t).build(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"python3", "python3-venv", "python3-flask"} {
		if !slices.Contains(got.Packages, p) {
			t.Errorf("runtime packages %v lack %s (asked for by name in extended_states)", got.Packages, p)
		}
	}
	for _, p := range []string{"python3-pytest", "python3-werkzeug", "python3.11"} {
		if slices.Contains(got.Packages, p) {
			t.Errorf("runtime packages %v name %s (a dev dependency, or pulled in: apt installs it)", got.Packages, p)
		}
	}
	for _, f := range []string{"/app/app.py", "/opt/venv/pyvenv.cfg", "/opt/venv/bin/python", "/opt/venv/lib/python3.11/site-packages/myplugin.pth"} {
		if !copied(got.Copies, f) {
			t.Errorf("%s is not copied; copies %v", f, got.Copies)
		}
	}
	for _, f := range []string{"/opt/venv/bin/pip", "/opt/venv/lib/python3.11/site-packages/pip/__init__.py", "/opt/venv/lib/python3.11/site-packages/setuptools/__init__.py",
		"/app/.pytest_cache/v/cache/nodeids", "/app/tests/__pycache__/test_app.cpython-311-pytest-7.2.1.pyc", "/app/.coverage"} {
		if copied(got.Copies, f) {
			t.Errorf("%s is copied; copies %v", f, got.Copies)
		}
	}
	if !slices.ContainsFunc(got.Questions, func(q string) bool { return strings.Contains(q, "the venv's installers (pip, setuptools)") }) {
		t.Errorf("the venv's installers are left without a question: %q", got.Questions)
	}
	// ΔS by hand: pip and setuptools (12.15 MB + the pip script) are
	// build tools; .pytest_cache, the tests' bytecode and .coverage
	// (59 kB) caches, with apt's lists.
	terms := map[string]int64{}
	for _, term := range got.Prediction.Terms {
		terms[term.Name] = term.Bytes
	}
	if terms["build-tool"] != 12_150_250 || terms["cache"] != 9_059_000 {
		t.Errorf("terms %v: want build-tool 12150250, cache 9059000", got.Prediction.Terms)
	}
	checkParses(t, got.Dockerfile)
}

// A JDK asked for through Debian's default-jdk-headless metapackage: the
// final stage gets the JRE of the JDK it depends on, not the metapackage
// (which is build tools only).
func TestDefaultJDKGetsItsJRE(t *testing.T) {
	fx := javaFixture()
	text := fx.dockerfileText(t)
	fx.dockerfile = writeDockerfile(t, strings.Replace(text, "openjdk-17-jdk-headless\n", "default-jdk-headless\n", 1))
	fx.history[1].createdBy = strings.Replace(fx.history[1].createdBy, "openjdk-17-jdk-headless", "default-jdk-headless", 1)
	fx.status = status([2]string{"libc6", ""}, [2]string{"dash", "libc6"},
		[2]string{"default-jdk-headless", "default-jre-headless, openjdk-17-jdk-headless"}, [2]string{"default-jre-headless", "openjdk-17-jre-headless"},
		[2]string{"openjdk-17-jdk-headless", "openjdk-17-jre-headless"}, [2]string{"openjdk-17-jre-headless", "libc6"})
	fx.auto = []string{"default-jre-headless", "openjdk-17-jdk-headless", "openjdk-17-jre-headless"}
	fx.pkgs = append(fx.pkgs, pkgdef{name: "default-jdk-headless", manager: "dpkg"}, pkgdef{name: "default-jre-headless", manager: "dpkg"})
	fx.history[0] = debianBase(fx.status)
	if !strings.Contains(fx.history[1].createdBy, "default-jdk-headless") {
		t.Fatal("the fixture's install step changed")
	}
	fx.history[1].files = append(fx.history[1].files,
		ffile{path: "usr/share/doc/default-jdk-headless/copyright", size: 1_000, pkg: "default-jdk-headless", cat: model.Docs},
		ffile{path: "usr/share/doc/default-jre-headless/copyright", size: 1_000, pkg: "default-jre-headless", cat: model.Docs})
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Packages, []string{"openjdk-17-jre-headless"}) {
		t.Errorf("runtime packages %v, want the JRE only", got.Packages)
	}
	checkParses(t, got.Dockerfile)
}

// rustFixture is a Rust CLI that cargo install put in /root/.cargo/bin
// (mode 0700 /root), run by name through PATH.
func rustFixture(t *testing.T, entrypoint []string) fixture {
	st := status([2]string{"libc6", ""}, [2]string{"dash", "libc6"}, [2]string{"libgcc-s1", "libc6"}, [2]string{"cargo", "rustc"}, [2]string{"rustc", "libc6"})
	base := debianBase(st)
	base.files = append(base.files, ffile{path: "root", kind: index.Dir, mode: 0o700},
		ffile{path: "usr/lib/x86_64-linux-gnu/libgcc_s.so.1", size: 100_000, pkg: "libgcc-s1"})
	ep, _ := json.Marshal(entrypoint)
	return fixture{
		ref: "logstat:single",
		dockerfile: writeDockerfile(t, `FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends cargo
WORKDIR /src
COPY . .
RUN cargo install --path .
ENV PATH=/root/.cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENTRYPOINT `+string(ep)+"\n"),
		status: st,
		auto:   []string{"rustc"},
		pkgs: append(append([]pkgdef{}, basePkgs...),
			pkgdef{name: "libgcc-s1", manager: "dpkg"},
			pkgdef{name: "cargo", manager: "dpkg", cat: model.BuildTool},
			pkgdef{name: "rustc", manager: "dpkg", cat: model.BuildTool}),
		history: []step{
			base,
			{createdBy: run("apt-get update && apt-get install -y --no-install-recommends cargo"), files: []ffile{
				{path: "usr/bin/cargo", size: 20_000_000, pkg: "cargo", mode: 0o755},
				{path: "usr/bin/rustc", size: 90_000_000, pkg: "rustc", mode: 0o755},
			}},
			{createdBy: "WORKDIR /src", files: []ffile{{path: "src", kind: index.Dir}}},
			{createdBy: "COPY . . # buildkit", files: []ffile{
				{path: "src/Cargo.toml", size: 300, cat: model.Source},
				{path: "src/src/main.rs", size: 5_000, cat: model.Source},
			}},
			{createdBy: run("cargo install --path ."), files: []ffile{
				{path: "root/.cargo/bin/logstat", size: 4_000_000, mode: 0o755},
				{path: "root/.cargo/.crates.toml", size: 200},
				{path: "src/target/release/deps/x.rlib", size: 50_000_000, cat: model.BuildTool},
			}},
			{createdBy: "ENV PATH=/root/.cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", empty: true},
			{createdBy: "ENTRYPOINT " + strings.ReplaceAll(string(ep), ",", " "), empty: true},
		},
		config: model.Config{Entrypoint: entrypoint, WorkingDir: "/src",
			Env: []string{"PATH=/root/.cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
		elf: map[string]ELF{"root/.cargo/bin/logstat": {Interp: "/lib64/ld-linux-x86-64.so.2", Needed: []string{"libgcc_s.so.1", "libc.so.6"}}},
	}
}

// A binary under /root (0700) is not reachable by the final stage's
// non-root USER: it is copied to /usr/local/bin, and an ENTRYPOINT naming
// its old path follows; nothing is copied under /root.
func TestRootBinaryWithNonRootUser(t *testing.T) {
	for _, ep := range [][]string{{"logstat"}, {"/root/.cargo/bin/logstat", "--json"}} {
		got, err := Suggest(rustFixture(t, ep).build(t))
		if err != nil {
			t.Fatal(err)
		}
		f := checkParses(t, got.Dockerfile)
		final := f.Stages[len(f.Stages)-1]
		var bin bool
		for _, in := range final.Instructions {
			switch c := in.Command.(type) {
			case *instructions.CopyCommand:
				if c.DestPath == "/root" || strings.HasPrefix(c.DestPath, "/root/") {
					t.Errorf("%v: %q copies into /root, which USER 65532 cannot enter", ep, in.Text)
				}
				if slices.Contains(c.SourcePaths, "/root/.cargo/bin/logstat") && c.DestPath == "/usr/local/bin/" {
					bin = true
				}
			case *instructions.EntrypointCommand:
				want := []string{"logstat"}
				if len(ep) > 1 {
					want = []string{"/usr/local/bin/logstat", "--json"}
				}
				if !slices.Equal(c.CmdLine, want) {
					t.Errorf("ENTRYPOINT %q, want %q", c.CmdLine, want)
				}
			case *instructions.UserCommand:
				if c.User != "65532:65532" {
					t.Errorf("USER %s", c.User)
				}
			}
		}
		if !bin {
			t.Errorf("%v: logstat is not copied to /usr/local/bin:\n%s", ep, got.Dockerfile)
		}
		if !slices.ContainsFunc(got.Questions, func(q string) bool { return strings.Contains(q, "/root could not be reached by USER 65532:65532") }) {
			t.Errorf("the move is not asked about: %q", got.Questions)
		}
	}
}

// Shared libraries loaded by Python extension modules and JNI: the
// libraries a module needs come from the packages owning them (the
// build's -dev package pulled them in and stays behind), and a library
// the app ships beside the module is copied with it, not asked about.
func TestExtensionAndJNILibraries(t *testing.T) {
	const site = "opt/venv/lib/python3.11/site-packages/"
	for _, tc := range []struct {
		name   string
		fx     fixture
		module string
	}{
		{"python extension", flaskFixture(t), site + "fastjson/_speedups.cpython-311-x86_64-linux-gnu.so"},
		{"JNI", javaFixture(), "src/native/libwordjni.so"},
	} {
		fx := tc.fx
		dir := path.Dir(tc.module)
		fx.status += status([2]string{"libyajl-dev", "libyajl2"}, [2]string{"libyajl2", "libc6"})
		fx.auto = append(fx.auto, "libyajl2")
		fx.pkgs = append(fx.pkgs, pkgdef{name: "libyajl-dev", manager: "dpkg", cat: model.BuildTool}, pkgdef{name: "libyajl2", manager: "dpkg"})
		fx.history[0] = debianBase(fx.status)
		last := len(fx.history) - 3 // the venv step, before ENV and CMD
		if tc.name == "JNI" {
			last = 4
		}
		fx.history[1].files = append(fx.history[1].files,
			ffile{path: "usr/include/yajl/yajl_parse.h", size: 10_000, pkg: "libyajl-dev"},
			ffile{path: "usr/lib/x86_64-linux-gnu/libyajl.so.2", size: 40_000, pkg: "libyajl2"})
		fx.history[last].files = append(fx.history[last].files,
			ffile{path: tc.module, size: 30_000, mode: 0o755},
			ffile{path: dir + "/libwordcore.so.1", size: 20_000})
		if fx.elf == nil {
			fx.elf = map[string]ELF{}
		}
		fx.elf[tc.module] = ELF{Needed: []string{"libyajl.so.2", "libwordcore.so.1", "libc.so.6"}}
		fx.elf[dir+"/libwordcore.so.1"] = ELF{Needed: []string{"libc.so.6"}}
		got, err := Suggest(fx.build(t))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !slices.Contains(got.Packages, "libyajl2") || slices.Contains(got.Packages, "libyajl-dev") {
			t.Errorf("%s: runtime packages %v: want libyajl2 (owns libyajl.so.2), not libyajl-dev", tc.name, got.Packages)
		}
		if want := "libyajl2: owns libyajl.so.2, which /" + tc.module + " needs (DT_NEEDED)"; !strings.Contains(got.Dockerfile, want) {
			t.Errorf("%s: no %q in\n%s", tc.name, want, got.Dockerfile)
		}
		for _, f := range []string{"/" + tc.module, "/" + dir + "/libwordcore.so.1"} {
			if !copied(got.Copies, f) {
				t.Errorf("%s: %s not copied: %v", tc.name, f, got.Copies)
			}
		}
		for _, q := range got.Questions {
			if strings.Contains(q, "libwordcore") {
				t.Errorf("%s: the app's own library is asked about: %q", tc.name, q)
			}
		}
		checkParses(t, got.Dockerfile)
	}
}

// --base names the final stage's base: the copied closure skips what it
// has (libc and the loader on a distroless/cc-like base), and a base that
// could not be read gets the whole closure and a question.
func TestUserBase(t *testing.T) {
	ccFiles := []model.File{
		{Entry: index.Entry{Path: "lib", Kind: index.Symlink, Link: "usr/lib"}},
		{Entry: index.Entry{Path: "lib64", Kind: index.Symlink, Link: "usr/lib64"}},
		{Entry: index.Entry{Path: "usr", Kind: index.Dir, Mode: 0o755}},
		{Entry: index.Entry{Path: "usr/lib", Kind: index.Dir, Mode: 0o755}},
		{Entry: index.Entry{Path: "usr/lib/x86_64-linux-gnu", Kind: index.Dir, Mode: 0o755}},
		{Entry: index.Entry{Path: "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", Kind: index.File, Mode: 0o755}, Bytes: 210_000},
		{Entry: index.Entry{Path: "usr/lib/x86_64-linux-gnu/libc.so.6", Kind: index.File, Mode: 0o755}, Bytes: 1_900_000},
		{Entry: index.Entry{Path: "usr/lib64", Kind: index.Dir, Mode: 0o755}},
		{Entry: index.Entry{Path: "usr/lib64/ld-linux-x86-64.so.2", Kind: index.Symlink, Link: "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"}},
	}
	sort.Slice(ccFiles, func(a, b int) bool { return model.ComparePaths(ccFiles[a].Path, ccFiles[b].Path) < 0 })
	cc := model.NewFS(ccFiles...)
	for _, tc := range []struct {
		name     string
		base     *RuntimeBase
		copies   []string // closure files copied
		predict  int64
		question string
	}{
		{"readable", &RuntimeBase{Ref: "gcr.io/distroless/cc-debian12", FS: cc, Size: 2_110_000}, nil, 17_000 + 2_110_000, ""},
		{"unreadable", &RuntimeBase{Ref: "corp/base:1", Err: "corp/base:1: not found"}, []string{"/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"}, 17_000 + 2_200_000,
			"the base corp/base:1 could not be read (corp/base:1: not found)"},
	} {
		in := cFixture().build(t)
		in.RuntimeBase = tc.base
		got, err := Suggest(in)
		if err != nil {
			t.Fatal(err)
		}
		f := checkParses(t, got.Dockerfile)
		if final := f.Stages[len(f.Stages)-1]; final.BaseName != tc.base.Ref || got.Base != tc.base.Ref {
			t.Errorf("%s: final FROM %s (Base %s), want %s", tc.name, final.BaseName, got.Base, tc.base.Ref)
		}
		for _, p := range []string{"/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"} {
			if want := slices.Contains(tc.copies, p); slices.Contains(got.Copies, p) != want {
				t.Errorf("%s: %s copied: %v, want %v (copies %v)", tc.name, p, !want, want, got.Copies)
			}
		}
		if len(got.Packages) != 0 && strings.Contains(got.Dockerfile, "apt-get install -y --no-install-recommends libc6") {
			t.Errorf("%s: installs packages on a copy-only base:\n%s", tc.name, got.Dockerfile)
		}
		if got.Prediction.Predicted != tc.predict {
			t.Errorf("%s: predicted %d, want %d", tc.name, got.Prediction.Predicted, tc.predict)
		}
		asked := slices.ContainsFunc(got.Questions, func(q string) bool { return tc.question != "" && strings.Contains(q, tc.question) })
		if asked != (tc.question != "") {
			t.Errorf("%s: questions %q, want one with %q", tc.name, got.Questions, tc.question)
		}
	}
}

// Scripts the build context brought along with the app (a Debian
// packaging build.sh, an init.d script, a PNG with its x bit set) are not
// what the container runs: the dynamic binary ENTRYPOINT runs still goes
// on scratch with its loader and libraries; only a script the
// configuration runs needs an interpreter, hence the original base.
func TestUnrunScriptsKeepNoBase(t *testing.T) {
	fx := cFixture()
	last := len(fx.history) - 2
	fx.history[last].files = append(fx.history[last].files,
		ffile{path: "src/packaging/debian/build.sh", size: 900, mode: 0o755},
		ffile{path: "src/contrib/init.d/wordfreq", size: 1_200, mode: 0o755},
		ffile{path: "src/static/icon.png", size: 3_000, mode: 0o755})
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if got.Base != "scratch" {
		t.Errorf("final base %s, want scratch (the container runs /usr/local/bin/wordfreq, an ELF):\n%s", got.Base, got.Dockerfile)
	}
	if !slices.ContainsFunc(got.Questions, func(q string) bool {
		return strings.Contains(q, "/src/contrib/init.d/wordfreq") && strings.Contains(q, "scratch has no interpreter")
	}) {
		t.Errorf("the scripts copied onto scratch are not asked about: %q", got.Questions)
	}
	// The configuration running one of them keeps the base.
	fx.config.Entrypoint = []string{"/src/contrib/init.d/wordfreq"}
	got, err = Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if got.Base == "scratch" {
		t.Errorf("ENTRYPOINT runs a script, yet the base is scratch:\n%s", got.Dockerfile)
	}
}

// The program the container runs brings its package however it came in:
// here the build asked for npm only, which pulled nodejs in (apt marks it
// auto-installed), and CMD runs node. A copied symlink into a package
// (a venv's bin/python) does the same.
func TestProgramRunBringsItsPackage(t *testing.T) {
	fx := nodeFixture()
	text := fx.dockerfileText(t)
	const asked = "--no-install-recommends nodejs npm"
	if !strings.Contains(text, asked) || !strings.Contains(fx.history[1].createdBy, asked) {
		t.Fatal("the node fixture's install changed")
	}
	fx.dockerfile = writeDockerfile(t, strings.Replace(text, asked, "--no-install-recommends npm", 1))
	fx.history[1].createdBy = strings.Replace(fx.history[1].createdBy, asked, "--no-install-recommends npm", 1)
	fx.auto = append(fx.auto, "nodejs")
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Packages, []string{"nodejs"}) {
		t.Errorf("runtime packages %v, want nodejs", got.Packages)
	}
	if want := "#   nodejs: CMD runs node (/usr/bin/node)"; !strings.Contains(got.Dockerfile, want) {
		t.Errorf("no %q in\n%s", want, got.Dockerfile)
	}

	// CMD's python is the venv's: a link to the interpreter python3.11
	// owns.
	fl := flaskFixture(t)
	fl.history[6].files[1].link = "/usr/bin/python3"
	fl.history[1].files[0].link = "python3.11"
	got, err = Suggest(fl.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(got.Packages, "python3.11") || !strings.Contains(got.Dockerfile, "#   python3.11: CMD runs python (/usr/bin/python3.11)") {
		t.Errorf("runtime packages %v lack python3.11 for the venv's link:\n%s", got.Packages, got.Dockerfile)
	}
}

// The app's imports resolve to the packages providing them: a module in
// a Debian package's dist-packages brings that package even when apt
// pulled it in for a build tool (auto-installed); pkg_resources keeps the
// venv's setuptools; the standard library and the app's own modules need
// nothing; a module found nowhere is asked about.
func TestPythonImports(t *testing.T) {
	fx := flaskFixture(t)
	fx.status += status([2]string{"yamllint", "python3-yaml"}, [2]string{"python3-yaml", "python3:any"})
	fx.auto = append(fx.auto, "python3-yaml")
	fx.pkgs = append(fx.pkgs, pkgdef{name: "yamllint", manager: "dpkg", cat: model.DevDependency}, pkgdef{name: "python3-yaml", manager: "dpkg"})
	fx.history[0] = debianBase(fx.status)
	fx.history[1].files = append(fx.history[1].files,
		ffile{path: "usr/lib/python3.11/os.py", size: 40_000, pkg: "python3.11"},
		ffile{path: "usr/lib/python3.11/json/__init__.py", size: 14_000, pkg: "python3.11"},
		ffile{path: "usr/lib/python3.11/lib-dynload/_json.cpython-311-x86_64-linux-gnu.so", size: 60_000, pkg: "python3.11"})
	fx.history[3].files = append(fx.history[3].files,
		ffile{path: "usr/bin/yamllint", size: 1_000, pkg: "yamllint", mode: 0o755},
		ffile{path: "usr/lib/python3/dist-packages/yaml/__init__.py", size: 600_000, pkg: "python3-yaml"})
	fx.history[5].files = append(fx.history[5].files, ffile{path: "app/views.py", size: 900})
	fx.history[6].files = append(fx.history[6].files, ffile{path: "opt/venv/lib/python3.11/site-packages/pkg_resources/__init__.py", size: 100_000, pkg: "setuptools"})
	fx.contents = map[string]string{
		"app/app.py":            "import os, json\nimport flask\nfrom yaml import safe_load\nimport views\nfrom . import helpers\nimport pkg_resources\ntry:\n    import ujson as fastjson\nexcept ImportError:\n    fastjson = json\n",
		"app/views.py":          "import sys\nimport _json\n",
		"app/tests/test_app.py": "import pytest\n",
	}
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(got.Packages, "python3-yaml") || !strings.Contains(got.Dockerfile, "#   python3-yaml: provides the module yaml, which /app/app.py imports") {
		t.Errorf("python3-yaml (auto-installed, imported) is not a runtime package: %v\n%s", got.Packages, got.Dockerfile)
	}
	for _, p := range []string{"yamllint", "python3-pytest"} {
		if slices.Contains(got.Packages, p) {
			t.Errorf("%s is a runtime package: %v", p, got.Packages)
		}
	}
	if !copied(got.Copies, "/opt/venv/lib/python3.11/site-packages/setuptools/__init__.py") || copied(got.Copies, "/opt/venv/lib/python3.11/site-packages/pip/__init__.py") {
		t.Errorf("setuptools (pkg_resources is imported) should be copied, pip not: %v", got.Copies)
	}
	var asked []string
	for _, q := range got.Questions {
		if strings.Contains(q, "which no module of the image provides") {
			asked = append(asked, q)
		}
	}
	if len(asked) != 1 || !strings.Contains(asked[0], "the app imports ujson (/app/app.py), which") {
		t.Errorf("questions about imports %q: want ujson's only", asked)
	}
}

// A Go server whose build context holds Python (a CI script, a module's
// example bindings) runs no Python: CMD is a native binary. Those
// imports bring no package and no question; the base stays scratch.
func TestNativeAppIgnoresCopiedPython(t *testing.T) {
	fx := goFixture()
	fx.status += status([2]string{"python3-yaml", ""})
	fx.auto = append(fx.auto, "python3-yaml") // pulled in by another install: not asked for
	fx.pkgs = append(fx.pkgs, pkgdef{name: "python3-yaml", manager: "dpkg"})
	fx.history[1].files = append(fx.history[1].files, ffile{path: "usr/lib/python3/dist-packages/yaml/__init__.py", size: 600_000, pkg: "python3-yaml"})
	fx.history[4].files = append(fx.history[4].files, ffile{path: "src/.github/scripts/check.py", size: 900})
	fx.contents = map[string]string{"src/.github/scripts/check.py": "import argparse\nimport yaml\nimport requests\n"}
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if got.Base != "scratch" || slices.Contains(got.Packages, "python3-yaml") {
		t.Errorf("base %s, packages %v: want scratch and none (CMD runs a static ELF)", got.Base, got.Packages)
	}
	for _, q := range got.Questions {
		if strings.Contains(q, "imports") {
			t.Errorf("asked about the imports of a script nothing runs: %q", q)
		}
	}
	// The same file run by the container brings its needs.
	fx.config.Cmd = []string{"python3", "/src/.github/scripts/check.py"}
	fx.history[1].files = append(fx.history[1].files, ffile{path: "usr/bin/python3", size: 6_000_000, pkg: "python3-yaml", mode: 0o755})
	got, err = Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(got.Questions, func(q string) bool { return strings.Contains(q, "the app imports") && strings.Contains(q, "requests") }) {
		t.Errorf("CMD runs the script, yet its imports are not asked about: %q", got.Questions)
	}
}

// Static binaries only, but the container starts through a script the
// build copied: scratch has no shell to run it, the base stays.
func TestStaticBinariesBehindAScriptKeepTheBase(t *testing.T) {
	fx := goFixture()
	fx.history[4].files = append(fx.history[4].files, ffile{path: "src/start.sh", size: 40, mode: 0o755})
	fx.config.Cmd = []string{"/src/start.sh"}
	fx.scripts = map[string][]byte{"src/start.sh": []byte("#!/bin/sh\nexec hello-svc\n")}
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if got.Base == "scratch" {
		t.Errorf("CMD runs a shell script, yet the base is scratch:\n%s", got.Dockerfile)
	}
}

// A single-stage build FROM a toolchain image (golang, buildpack-deps):
// the base's own bytes are mostly build tools, and a final stage on it
// keeps them. Debian's slim image of the same release (base-files 12.x:
// bookworm) is named for --base; a base of runtime files is not asked.
func TestToolchainBaseIsAsked(t *testing.T) {
	for _, tc := range []struct {
		name  string
		gcc   int64
		asked bool
	}{{"toolchain", 300_000_000, true}, {"runtime", 100_000, false}} {
		fx := cFixture()
		fx.status += "Package: base-files\nStatus: install ok installed\nVersion: 12.4+deb12u7\nArchitecture: amd64\n\n" +
			status([2]string{"gcc-base", ""})
		fx.pkgs = append(fx.pkgs, pkgdef{name: "base-files", manager: "dpkg"}, pkgdef{name: "gcc-base", manager: "dpkg", cat: model.BuildTool})
		base := withLoader(debianBase(fx.status), fx.elf)
		base.files = append(base.files, ffile{path: "usr/libexec/gcc-base/cc1", size: tc.gcc, pkg: "gcc-base", cat: model.BuildTool, mode: 0o755})
		fx.history[0] = base
		fx.config.Entrypoint = []string{"/bin/sh", "-c", "/usr/local/bin/wordfreq"} // a shell: the base stays
		got, err := Suggest(fx.build(t))
		if err != nil {
			t.Fatal(err)
		}
		if got.Base == "scratch" {
			t.Fatalf("%s: the base is scratch:\n%s", tc.name, got.Dockerfile)
		}
		asked := slices.ContainsFunc(got.Questions, func(q string) bool {
			return strings.Contains(q, "is mostly build tools") && strings.Contains(q, "--base with debian:bookworm-slim (base-files 12.4+deb12u7: Debian 12)")
		})
		if asked != tc.asked {
			t.Errorf("%s: asked %v, want %v: %q", tc.name, asked, tc.asked, got.Questions)
		}
	}
}

// The original ran as root in its working directory, where the build
// context left a logs/ tree and a SQLite file the app writes at start: a
// non-root USER over root-owned copies fails ("mkdir logs/debug:
// permission denied"). What is copied into the working directory is the
// USER's; the binary elsewhere stays root's.
func TestNonRootUserOwnsTheWorkingDirectory(t *testing.T) {
	fx := goFixture()
	fx.history[4].files = append(fx.history[4].files,
		ffile{path: "src/logs/app.log", size: 100}, ffile{path: "src/app.db", size: 8_192})
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	checkParses(t, got.Dockerfile)
	inWD := 0
	final := got.Dockerfile[strings.LastIndex(got.Dockerfile, "\nFROM "):]
	for _, line := range strings.Split(final, "\n") {
		if !strings.HasPrefix(line, "COPY ") {
			continue
		}
		chowned := strings.Contains(line, "--chown=65532:65532")
		if strings.HasSuffix(line, " /src/") || strings.HasSuffix(line, " /src/logs") || strings.HasSuffix(line, " /src/logs/") {
			inWD++
			if !chowned {
				t.Errorf("copied into the working directory, not the USER's: %s", line)
			}
		} else if chowned {
			t.Errorf("copied outside the working directory, yet chowned: %s", line)
		}
	}
	if inWD == 0 || !strings.Contains(got.Dockerfile, "\nUSER 65532:65532\n") {
		t.Errorf("no copy into /src or no USER 65532:65532:\n%s", got.Dockerfile)
	}
}

// On a usrmerged base /bin links to usr/bin: the binary a build installed
// as /bin/hello-svc is recorded at usr/bin/hello-svc. On scratch there is
// no link, so it is copied to the path CMD names. The go command's
// telemetry state under /root/.config/go and the test binary go test -c
// wrote stay behind.
func TestScratchKeepsTheNamedPath(t *testing.T) {
	fx := goFixture()
	text := fx.dockerfileText(t)
	text = strings.ReplaceAll(text, "/usr/local/bin/hello-svc", "/bin/hello-svc")
	fx.dockerfile = writeDockerfile(t, text)
	fx.history[0].files = append(fx.history[0].files, ffile{path: "bin", size: 7, kind: index.Symlink, link: "usr/bin"})
	run := fx.history[5]
	if !strings.Contains(run.createdBy, "/usr/local/bin/hello-svc") || run.files[1].path != "usr/local/bin/hello-svc" {
		t.Fatal("the go fixture's build step changed")
	}
	run.createdBy = strings.ReplaceAll(run.createdBy, "/usr/local/bin/hello-svc", "/bin/hello-svc")
	run.files = []ffile{run.files[0], {path: "usr/bin/hello-svc", size: 7_000_000, mode: 0o755}, {path: "root/.config/go/telemetry/local/upload.token", size: 100},
		{path: "usr/bin/hello-svc.test", size: 9_000_000, mode: 0o755}}
	fx.history[5] = run
	fx.history[7].createdBy = `CMD ["/bin/hello-svc"]`
	fx.config.Cmd = []string{"/bin/hello-svc"}
	fx.elf = map[string]ELF{"usr/bin/hello-svc": {}, "usr/bin/hello-svc.test": {}}
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if got.Base != "scratch" {
		t.Fatalf("base %s, want scratch", got.Base)
	}
	if !strings.Contains(got.Dockerfile, "\nCOPY --from=build /usr/bin/hello-svc /bin/\n") {
		t.Errorf("the binary is not copied to the path CMD names:\n%s", got.Dockerfile)
	}
	if copied(got.Copies, "/root/.config/go/telemetry/local/upload.token") || copied(got.Copies, "/usr/bin/hello-svc.test") {
		t.Errorf("the go command's telemetry state or the test binary is copied: %v", got.Copies)
	}
	if !slices.ContainsFunc(got.Questions, func(q string) bool {
		return strings.Contains(q, "/usr/bin/hello-svc.test are named as go test -c names")
	}) {
		t.Errorf("the test binary left behind is not asked about: %q", got.Questions)
	}
	if got.Prediction.Predicted != 7_000_000 {
		t.Errorf("predicted %d, want 7000000 (the binary once)", got.Prediction.Predicted)
	}
	checkParses(t, got.Dockerfile)
}

// A hostile image cannot forge a line through the closure: a library
// whose path cannot stand in a COPY line keeps the original base, and a
// runtime base reference that cannot stand in a FROM line is bad input.
func TestClosureForgesNoLine(t *testing.T) {
	fx := cFixture()
	fx.history[1].files = append(fx.history[1].files, ffile{path: "usr/local/lib/x y\nRUN id/libevil.so.1", size: 10, pkg: "libisl23"})
	fx.elf["usr/local/bin/wordfreq"] = ELF{Interp: "/lib64/ld-linux-x86-64.so.2", Needed: []string{"libc.so.6", "/usr/local/lib/x y\nRUN id/libevil.so.1"}}
	fx.elf["usr/local/lib/x y\nRUN id/libevil.so.1"] = ELF{}
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if got.Base == "scratch" || !strings.Contains(got.Dockerfile, `cannot be written safely in a COPY line`) {
		t.Errorf("base %s:\n%s", got.Base, got.Dockerfile)
	}
	for _, st := range checkParses(t, got.Dockerfile).Stages {
		for _, in := range st.Instructions {
			if strings.Contains(in.Text, "RUN id") {
				t.Errorf("forged instruction %q", in.Text)
			}
		}
	}
	in := cFixture().build(t)
	in.RuntimeBase = &RuntimeBase{Ref: "debian\nRUN id"}
	if _, err := Suggest(in); !errors.Is(err, ErrInput) {
		t.Errorf("a runtime base with a line break: err %v, want ErrInput", err)
	}
}

// What a scratch stage needs besides the binary, when the image shows the
// need: the CA bundle when the config points a TLS library at it (else
// asked), the zone database ENV TZ names a zone of, /etc/passwd and
// /etc/group for a USER given by name.
func TestScratchExtras(t *testing.T) {
	fx := goFixture()
	fx.history[0].files = append(fx.history[0].files,
		ffile{path: "etc/group", size: 500},
		ffile{path: "etc/ssl/certs/ca-certificates.crt", size: 200_000},
		ffile{path: "usr/share/zoneinfo/Europe/Paris", size: 3_000})
	fx.config.User = "app"
	fx.config.Env = append(fx.config.Env, "TZ=Europe/Paris")
	// Without evidence the app reads the CA bundle, it is asked about.
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if copied(got.Copies, "/etc/ssl/certs/ca-certificates.crt") || !slices.ContainsFunc(got.Questions, func(q string) bool { return strings.Contains(q, "if the app makes TLS connections") }) {
		t.Errorf("the CA bundle without evidence: copies %v, questions %q", got.Copies, got.Questions)
	}
	fx.config.Env = append(fx.config.Env, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt")
	got, err = Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if got.Base != "scratch" {
		t.Fatalf("base %s", got.Base)
	}
	for _, line := range []string{
		"COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt",
		"COPY --from=build /usr/share/zoneinfo /usr/share/zoneinfo",
		"COPY --from=build /etc/passwd /etc/group /etc/",
		"USER app",
	} {
		if !strings.Contains(got.Dockerfile, "\n"+line+"\n") {
			t.Errorf("no %q in\n%s", line, got.Dockerfile)
		}
	}
	// The binary, the bundle, the zone, passwd and group.
	if want := int64(7_000_000 + 200_000 + 3_000 + 1_000 + 500); got.Prediction.Predicted != want {
		t.Errorf("predicted %d, want %d", got.Prediction.Predicted, want)
	}
}

// ENV and EXPOSE lines that refer to build arguments keep working in the
// new final stage: the ARGs they use are declared there again (an ARG is
// per stage; without it "$PORT" is empty and EXPOSE loses the port).
func TestArgsFollowTheirReferences(t *testing.T) {
	fx := goFixture()
	text := fx.dockerfileText(t)
	text = strings.Replace(text, "ENV CGO_ENABLED=0\n", "ENV CGO_ENABLED=0\nARG PORT=8080\nENV PORT $PORT\nARG UNUSED=1\n", 1)
	text = strings.Replace(text, "EXPOSE 8080\n", "EXPOSE $PORT\nLABEL base=$BASE\n", 1)
	fx.dockerfile = writeDockerfile(t, text)
	h := fx.history
	fx.history = append(append(append([]step{}, h[:3]...),
		step{createdBy: "ARG PORT=8080", empty: true}, step{createdBy: "ENV PORT=8080", empty: true}, step{createdBy: "ARG UNUSED=1", empty: true}),
		h[3:]...)
	fx.history = slices.Insert(fx.history, len(fx.history)-1, step{createdBy: "LABEL base=debian:bookworm-slim", empty: true})
	fx.config.Env = append(fx.config.Env, "PORT=8080")
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	f := checkParses(t, got.Dockerfile)
	final := f.Stages[len(f.Stages)-1]
	var args []string
	for _, in := range final.Instructions {
		if c, ok := in.Command.(*instructions.ArgCommand); ok {
			for _, a := range c.Args {
				args = append(args, a.Key)
			}
		}
	}
	if !slices.Equal(args, []string{"PORT", "BASE"}) {
		t.Errorf("final stage ARGs %v, want PORT and BASE (UNUSED is used by nothing carried):\n%s", args, got.Dockerfile)
	}
	i, j := strings.LastIndex(got.Dockerfile, "\nARG PORT=8080\nARG BASE\n"), strings.LastIndex(got.Dockerfile, "\nENV PORT=\"$PORT\"\n")
	if i < strings.LastIndex(got.Dockerfile, "\nFROM ") || j < i {
		t.Errorf("the ARGs are not declared before the ENV that uses them:\n%s", got.Dockerfile)
	}
}

// suggestUnderLayerLimit suggests for fx, checks that the suggestion
// parses and that its final stage's COPY lines stay under the limit on the
// fixtures' base of 1 layer, and returns it.
func suggestUnderLayerLimit(t *testing.T, fx fixture) *Suggestion {
	t.Helper()
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	f := checkParses(t, got.Dockerfile)
	copies := 0
	for _, in := range f.Stages[len(f.Stages)-1].Instructions {
		if in.Keyword == "COPY" {
			copies++
		}
	}
	if copies > 91 {
		t.Errorf("%d COPY lines on a base of 1 layer: over the limit", copies)
	}
	return got
}

// A tree whose files are almost all kept (a global npm upgraded over the
// base's) would take a COPY line per directory: past the layers overlayfs
// stacks, the build fails. The lines are merged into a COPY of the
// directory whole, what it drags along is counted and asked about.
func TestCopyLinesStayUnderTheLayerLimit(t *testing.T) {
	plain, err := Suggest(nodeFixture().build(t))
	if err != nil {
		t.Fatal(err)
	}
	fx := nodeFixture()
	const npm = "usr/local/lib/node_modules/npm/"
	ci := fx.history[6]
	if !strings.Contains(ci.createdBy, "npm ci") {
		t.Fatal("the node fixture's npm ci step moved")
	}
	// The build rewrote index.js of each package; the base's package.json
	// beside it stays the base's: no package directory is all the build's.
	for k := 0; k < 150; k++ {
		ci.files = append(ci.files, ffile{path: fmt.Sprintf("%snode_modules/p%03d/index.js", npm, k), size: 1_000})
		fx.history[0].files = append(fx.history[0].files, ffile{path: fmt.Sprintf("%snode_modules/p%03d/package.json", npm, k), size: 100})
	}
	fx.history[6] = ci
	got := suggestUnderLayerLimit(t, fx)
	if !slices.ContainsFunc(got.Questions, func(q string) bool {
		return strings.Contains(q, "/usr/local/lib/node_modules/npm/node_modules is copied whole, with 15 kB the lines would have left out")
	}) {
		t.Errorf("the merge is not asked about: %q", got.Questions)
	}
	// The base's package.json files are there twice: in the base, and
	// copied over it with the tree.
	if want := plain.Prediction.Predicted + 15_000 + 150_000 + 15_000; got.Prediction.Predicted != want {
		t.Errorf("predicted %d, want %d", got.Prediction.Predicted, want)
	}
}

// A tree holding a file whose name no COPY line can carry (a space, a
// quote: thread-stream's test/dir with spaces/) is never "all kept": the
// merge must still copy the directory whole, the file along, and the
// lines must end under the limit, whatever the names inside.
func TestCopyLineMergeConvergesOverUnwritableNames(t *testing.T) {
	fx := nodeFixture()
	const nm = "app/lib/node_modules/"
	ci := fx.history[6]
	for k := 0; k < 150; k++ {
		ci.files = append(ci.files,
			ffile{path: fmt.Sprintf("%sp%03d/index.js", nm, k), size: 1_000},
			ffile{path: fmt.Sprintf("%sp%03d/test/dir with spaces/t.zip", nm, k), size: 10, cat: model.Source},
			ffile{path: fmt.Sprintf("%sp%03d/test/a.js", nm, k), size: 10, cat: model.Source})
	}
	fx.history[6] = ci
	got := suggestUnderLayerLimit(t, fx)
	if strings.Contains(got.Dockerfile, "/app/lib/node_modules/p") {
		t.Errorf("node_modules is still copied package by package:\n%s", got.Dockerfile)
	}
	merged := 0
	for _, q := range got.Questions {
		if strings.Contains(q, "is copied whole") {
			merged++
			if !strings.Contains(q, "/app/lib/node_modules is copied whole") || !strings.Contains(q, "150 files whose names no COPY line can carry") {
				t.Errorf("the merge's question does not say what it brings: %q", q)
			}
		}
	}
	if merged != 1 {
		t.Errorf("%d merge questions, want one: %q", merged, got.Questions)
	}
}

// The original base comes whole: bytes of its layers that the build
// overwrote or deleted (an npm upgraded over the base's) are in the
// suggested image too, and are predicted; the build's own hidden bytes
// are saved.
func TestBaseHiddenBytesStay(t *testing.T) {
	in := nodeFixture().build(t)
	plain, err := Suggest(in)
	if err != nil {
		t.Fatal(err)
	}
	in = nodeFixture().build(t)
	in.Image.Layers[0].Hidden, in.Image.Layers[0].Size = 12_000_000, in.Image.Layers[0].Size+12_000_000
	last := len(in.Image.Layers) - 1
	in.Image.Layers[last].Hidden, in.Image.Layers[last].Size = 3_000, in.Image.Layers[last].Size+3_000
	in.Image.Size += 12_003_000
	got, err := Suggest(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := plain.Prediction.Predicted + 12_000_000; got.Prediction.Predicted != want {
		t.Errorf("predicted %d, want %d (the base's hidden 12 MB stay)", got.Prediction.Predicted, want)
	}
	if !slices.Contains(got.Prediction.Terms, Term{"hidden", 3_000}) {
		t.Errorf("terms %v: want hidden 3000 (the build's own)", got.Prediction.Terms)
	}
}

// Behind an ENTRYPOINT wrapper (tini --), CMD's program runs too: node,
// which npm pulled in, comes to the final stage.
func TestProgramBehindEntrypointWrapper(t *testing.T) {
	fx := nodeFixture()
	text := fx.dockerfileText(t)
	const asked = "--no-install-recommends nodejs npm"
	text = strings.Replace(text, asked, "--no-install-recommends npm", 1)
	text = strings.Replace(text, `CMD ["node", "dist/server.js"]`, "ENTRYPOINT [\"/usr/bin/tini\", \"--\"]\nCMD [\"node\", \"dist/server.js\"]", 1)
	fx.dockerfile = writeDockerfile(t, text)
	fx.history[1].createdBy = strings.Replace(fx.history[1].createdBy, asked, "--no-install-recommends npm", 1)
	fx.history[0].files = append(fx.history[0].files, ffile{path: "usr/bin/tini", size: 800_000, mode: 0o755})
	n := len(fx.history) - 1
	fx.history = slices.Insert(fx.history, n, step{createdBy: `ENTRYPOINT ["/usr/bin/tini" "--"]`, empty: true})
	fx.auto = append(fx.auto, "nodejs")
	fx.config.Entrypoint = []string{"/usr/bin/tini", "--"}
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Packages, []string{"nodejs"}) || !strings.Contains(got.Dockerfile, "#   nodejs: CMD runs node through ENTRYPOINT (/usr/bin/node)") {
		t.Errorf("runtime packages %v, want nodejs for CMD's node:\n%s", got.Packages, got.Dockerfile)
	}
}

// COPY makes the copied files root's, and the final USER is not root: a
// file only its owner could read, or an executable only its owner could
// run, is copied with the mode others need.
func TestModesForUser(t *testing.T) {
	fx := cFixture()
	fx.history[4].files = append(fx.history[4].files,
		ffile{path: "usr/local/etc/wordfreq.conf", size: 100, mode: 0o600},
		ffile{path: "usr/local/libexec/helper", size: 1_000, mode: 0o700})
	fx.elf["usr/local/libexec/helper"] = ELF{}
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"COPY --from=build --chmod=0644 /usr/local/etc/wordfreq.conf /usr/local/etc/",
		"COPY --from=build --chmod=0755 /usr/local/libexec/helper /usr/local/libexec/",
	} {
		if !strings.Contains(got.Dockerfile, "\n"+line+"\n") {
			t.Errorf("no %q in\n%s", line, got.Dockerfile)
		}
	}
	checkParses(t, got.Dockerfile)
}

// toolchainFixture is a single-stage build FROM a golang-like toolchain
// image (base-files 12.x; 300 MB of compiler the base brought, with the
// CA certificates and libssl3), whose app needs libssl.so.3 from the base
// and the sqlite3 it asked for (url-shortener, F6).
func toolchainFixture() fixture {
	fx := cFixture()
	fx.status += "Package: base-files\nStatus: install ok installed\nVersion: 12.4+deb12u7\nArchitecture: amd64\n\n" +
		status([2]string{"gcc-base", ""}, [2]string{"ca-certificates", ""}, [2]string{"libssl3", "libc6"}, [2]string{"sqlite3", "libc6"})
	fx.pkgs = append(fx.pkgs, pkgdef{name: "base-files", manager: "dpkg"}, pkgdef{name: "gcc-base", manager: "dpkg", cat: model.BuildTool},
		pkgdef{name: "ca-certificates", manager: "dpkg"}, pkgdef{name: "libssl3", manager: "dpkg"}, pkgdef{name: "sqlite3", manager: "dpkg"})
	base := withLoader(debianBase(fx.status), fx.elf)
	base.files = append(base.files,
		ffile{path: "usr/libexec/gcc-base/cc1", size: 300_000_000, pkg: "gcc-base", cat: model.BuildTool, mode: 0o755},
		ffile{path: "usr/local/go/bin/go", size: 20_000_000, cat: model.BuildTool, mode: 0o755},
		ffile{path: "etc/ssl/certs/ca-certificates.crt", size: 200_000, pkg: "ca-certificates"},
		ffile{path: "usr/lib/x86_64-linux-gnu/libssl.so.3", size: 6_000_000, pkg: "libssl3"})
	fx.history[0] = base
	fx.history[1].files = append(fx.history[1].files, ffile{path: "usr/bin/sqlite3", size: 1_500_000, pkg: "sqlite3", mode: 0o755})
	fx.elf["usr/local/bin/wordfreq"] = ELF{Interp: "/lib64/ld-linux-x86-64.so.2", Needed: []string{"libc.so.6", "libssl.so.3"}}
	fx.elf["usr/lib/x86_64-linux-gnu/libssl.so.3"] = ELF{Needed: []string{"libc.so.6"}}
	fx.elf["usr/bin/sqlite3"] = ELF{Interp: "/lib64/ld-linux-x86-64.so.2", Needed: []string{"libc.so.6"}}
	return fx
}

// slimFS is a Debian slim base as read: libc, its loader, a shell, apt.
func slimFS() *model.FS {
	var files []model.File
	add := func(p string, kind index.Kind, link string, n int64) {
		files = append(files, model.File{Entry: index.Entry{Path: p, Kind: kind, Link: link, Mode: 0o755}, Bytes: n})
	}
	for _, d := range []string{"bin", "usr", "usr/bin", "usr/lib", "usr/lib/x86_64-linux-gnu", "usr/lib64"} {
		add(d, index.Dir, "", 0)
	}
	add("lib", index.Symlink, "usr/lib", 0)
	add("lib64", index.Symlink, "usr/lib64", 0)
	add("usr/lib/x86_64-linux-gnu/libc.so.6", index.File, "", 1_900_000)
	add("usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", index.File, "", 210_000)
	add("usr/lib64/ld-linux-x86-64.so.2", index.Symlink, "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", 0)
	add("bin/dash", index.File, "", 100_000)
	add("usr/bin/apt-get", index.File, "", 50_000)
	sort.Slice(files, func(a, b int) bool { return model.ComparePaths(files[a].Path, files[b].Path) < 0 })
	return model.NewFS(files...)
}

// A kept toolchain base names Debian's slim image of its release for the
// command to read (RuntimeBaseHint); on that base, read, the final stage
// installs what the app needs that the original base brought and the new
// one lacks (libssl3 for the binary's DT_NEEDED, the CA certificates) with
// what the build asked for (sqlite3), and not what it has (libc6); the
// prediction counts them. A container that runs a file of the base no
// package owns (golang's go command) gets no hint: no install brings it
// back.
func TestToolchainBaseSwitch(t *testing.T) {
	fx := toolchainFixture()
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if got.Base == "scratch" || got.RuntimeBaseHint != "debian:bookworm-slim" {
		t.Fatalf("base %s, hint %q; want the original base and the hint debian:bookworm-slim\n%s", got.Base, got.RuntimeBaseHint, got.Dockerfile)
	}

	in := fx.build(t)
	slim := slimFS()
	in.RuntimeBase = &RuntimeBase{Ref: "debian:bookworm-slim", FS: slim, Size: slim.Size(), Chosen: "chosen for the toolchain base"}
	got, err = Suggest(in)
	if err != nil {
		t.Fatal(err)
	}
	checkParses(t, got.Dockerfile)
	if got.Base != "debian:bookworm-slim" || !strings.Contains(got.Dockerfile, "# the final stage: base debian:bookworm-slim, chosen for the toolchain base") {
		t.Errorf("base %s, or the choice is not said:\n%s", got.Base, got.Dockerfile)
	}
	for _, p := range []string{"sqlite3", "libssl3", "ca-certificates"} {
		if !slices.Contains(got.Packages, p) {
			t.Errorf("%s not installed on the slim base: %v\n%s", p, got.Packages, got.Dockerfile)
		}
	}
	if slices.Contains(got.Packages, "libc6") {
		t.Errorf("libc6 installed, yet the slim base has libc.so.6: %v", got.Packages)
	}
	// slim's bytes, the binary, and the three packages' files as the
	// original holds them (the dpkg status is slim's, rewritten).
	want := slim.Size() + 17_000 + 1_500_000 + 6_000_000 + 200_000
	if got.Prediction.Predicted != want {
		t.Errorf("predicted %d, want %d (terms %v)", got.Prediction.Predicted, want, got.Prediction.Terms)
	}

	fx.config.Entrypoint = []string{"/usr/local/go/bin/go", "run", "."}
	got, err = Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if got.RuntimeBaseHint != "" {
		t.Errorf("the container runs the base's /usr/local/go/bin/go, yet the hint is %q", got.RuntimeBaseHint)
	}
}

// The pipeline hands Suggest every captured body, the app's Python
// sources among them: a doc-build script with a #! line that nothing the
// configuration names runs is no script the container runs, so a static
// binary still gets scratch (jq F5: debian:12-slim kept "for the
// interpreter" of /app/docs/build_manpage.py). Named by CMD, or by a
// script CMD runs, it is one.
func TestCapturedScriptNothingRuns(t *testing.T) {
	fx := goFixture()
	fx.history[4].files = append(fx.history[4].files,
		ffile{path: "src/docs/build_manpage.py", size: 900, mode: 0o755}, ffile{path: "src/start.sh", size: 60, mode: 0o755})
	fx.scripts = map[string][]byte{
		"src/docs/build_manpage.py": []byte("#!/usr/bin/env python3\nimport yaml\n"),
		"src/start.sh":              []byte("#!/bin/sh\n# python3 is not run here\n/src/docs/build_manpage.py && exec hello-svc\n"),
	}
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if got.Base != "scratch" {
		t.Errorf("nothing runs the captured scripts, yet the base is %s:\n%s", got.Base, got.Dockerfile)
	}
	for _, q := range got.Questions {
		if strings.Contains(q, "yaml") {
			t.Errorf("asked about the imports of a script nothing runs: %q", q)
		}
	}
	for _, cmd := range [][]string{{"/src/docs/build_manpage.py"}, {"/src/start.sh"}} {
		fx.config.Cmd = cmd
		got, err = Suggest(fx.build(t))
		if err != nil {
			t.Fatal(err)
		}
		if got.Base == "scratch" {
			t.Errorf("CMD %v runs the Python script, yet the base is scratch:\n%s", cmd, got.Dockerfile)
		}
	}
}

// libFixture is a C library project (gvm-libs, F9/F10): its packages
// installed by a script from a list file (no apt-get in the step's text),
// whose maintainer scripts left alternatives links no package lists; its
// libraries installed into /usr/local/lib and registered with ldconfig.
func libFixture(t *testing.T) fixture {
	st := status([2]string{"libc6", ""}, [2]string{"dash", "libc6"}, [2]string{"libglib2.0-0", "libc6"}, [2]string{"gcc-12", "libc6"})
	elf := map[string]ELF{
		"usr/local/bin/tool":           {Interp: "/lib64/ld-linux-x86-64.so.2", Needed: []string{"libtool.so.1", "libc.so.6"}},
		"usr/local/lib/libtool.so.1.0": {Needed: []string{"libglib-2.0.so.0", "libc.so.6"}},
	}
	return fixture{
		ref: "tool:single",
		dockerfile: writeDockerfile(t, `FROM debian:bookworm-slim
COPY . /source
RUN sh /source/install-deps.sh /source/deps.list
RUN make -C /source install && ldconfig
CMD ["/usr/local/bin/tool"]
`),
		status: st,
		auto:   []string{},
		pkgs: append(append([]pkgdef{}, basePkgs...),
			pkgdef{name: "libglib2.0-0", manager: "dpkg"},
			pkgdef{name: "gcc-12", manager: "dpkg", cat: model.BuildTool}),
		history: []step{
			func() step {
				b := withLoader(debianBase(st), elf)
				b.files = append(b.files, ffile{path: "sbin/ldconfig", size: 900_000, pkg: "libc6", mode: 0o755}, ffile{path: "etc/ld.so.cache", size: 10_000})
				return b
			}(),
			{createdBy: "COPY . /source # buildkit", files: []ffile{
				{path: "source/install-deps.sh", size: 300, mode: 0o755, cat: model.Source},
				{path: "source/deps.list", size: 40, cat: model.Source},
			}},
			{createdBy: run("sh /source/install-deps.sh /source/deps.list"), files: []ffile{
				{path: "usr/lib/x86_64-linux-gnu/libglib-2.0.so.0", size: 1_300_000, pkg: "libglib2.0-0"},
				{path: "usr/bin/gcc-12", size: 30_000_000, pkg: "gcc-12", mode: 0o755},
				{path: "etc/alternatives/cc", size: 16, kind: index.Symlink, link: "/usr/bin/gcc-12"},
				{path: "usr/bin/cc", size: 20, kind: index.Symlink, link: "/etc/alternatives/cc"},
			}},
			{createdBy: run("make -C /source install && ldconfig"), files: []ffile{
				{path: "usr/local/bin/tool", size: 40_000, mode: 0o755},
				{path: "usr/local/lib/libtool.so.1.0", size: 200_000, mode: 0o755},
				{path: "usr/local/lib/libtool.so.1", size: 14, kind: index.Symlink, link: "libtool.so.1.0"},
				{path: "etc/ld.so.cache", size: 11_000},
			}},
			{createdBy: `CMD ["/usr/local/bin/tool"]`, empty: true},
		},
		config: model.Config{Cmd: []string{"/usr/local/bin/tool"}},
		elf:    elf,
	}
}

// What a package install's maintainer scripts wrote is known from the
// package database's record of which step installed packages, not from
// the step's text: the alternatives links an install through a script
// made are not copied (F9). The libraries copied into /usr/local/lib are
// found through the loader's cache, which the final stage's own install
// wrote before they came: ldconfig runs after the copies (F10: gvm-libs'
// 'ldconfig -p | grep -c libgvm' answered 20 in the original, 0 in the
// suggestion).
func TestScriptInstallByProductsAndLdconfig(t *testing.T) {
	got, err := Suggest(libFixture(t).build(t))
	if err != nil {
		t.Fatal(err)
	}
	checkParses(t, got.Dockerfile)
	for _, p := range []string{"/etc/alternatives/cc", "/usr/bin/cc", "/etc/alternatives", "/usr/bin"} {
		if slices.Contains(got.Copies, p) {
			t.Errorf("%s copied: a package install's by-product (copies %v)", p, got.Copies)
		}
	}
	if got.Base == "scratch" || !slices.Contains(got.Packages, "libglib2.0-0") {
		t.Fatalf("base %s, packages %v: want the original base with libglib2.0-0\n%s", got.Base, got.Packages, got.Dockerfile)
	}
	final := got.Dockerfile[strings.LastIndex(got.Dockerfile, "\nFROM "):]
	lastCopy, ldc := strings.LastIndex(final, "\nCOPY "), strings.Index(final, "\nRUN ldconfig\n")
	if !slices.ContainsFunc(got.Copies, func(p string) bool { return under("usr/local/lib/libtool.so.1.0", strings.TrimPrefix(p, "/")) }) || lastCopy < 0 || ldc < lastCopy {
		t.Errorf("no RUN ldconfig after the copies of the library in /usr/local/lib (copies %v):\n%s", got.Copies, final)
	}

	// No loader cache in the image (musl, or a base without ldconfig):
	// nothing to refresh.
	fx := libFixture(t)
	fx.history[0].files = slices.DeleteFunc(fx.history[0].files, func(f ffile) bool { return f.path == "etc/ld.so.cache" || f.path == "sbin/ldconfig" })
	fx.history[3].files = slices.DeleteFunc(fx.history[3].files, func(f ffile) bool { return f.path == "etc/ld.so.cache" })
	got, err = Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got.Dockerfile, "RUN ldconfig") {
		t.Errorf("RUN ldconfig in an image without ldconfig:\n%s", got.Dockerfile)
	}
}

// A symlink named as a COPY source is followed: it lands as a copy of its
// target (jq F12: libjq.so, libjq.so.1 and libjq.so.1.0.4 listed in one
// line built 3.0 MB where 1.0 MB was predicted). The prediction counts
// what COPY writes: the target's bytes once more per link.
func TestCopiedSymlinkPredictedAsItsTarget(t *testing.T) {
	predict := func(link bool) (int64, []string) {
		fx := libFixture(t)
		// A static library beside them (a build tool): /usr/local/lib is
		// listed file by file, not copied whole.
		fx.history[3].files = append(fx.history[3].files, ffile{path: "usr/local/lib/libtool.a", size: 300_000, cat: model.BuildTool})
		if !link {
			fx.history[3].files = slices.DeleteFunc(fx.history[3].files, func(f ffile) bool { return f.path == "usr/local/lib/libtool.so.1" })
		}
		got, err := Suggest(fx.build(t))
		if err != nil {
			t.Fatal(err)
		}
		return got.Prediction.Predicted, got.Copies
	}
	with, copies := predict(true)
	without, _ := predict(false)
	if !slices.Contains(copies, "/usr/local/lib/libtool.so.1") {
		t.Fatalf("the link is not a COPY source of its own: %v", copies)
	}
	if with-without != 200_000 {
		t.Errorf("the link adds %d bytes to the prediction, want its target's 200000 (COPY follows it)", with-without)
	}
}

// The closure finds libc twice on a usrmerged base: by /lib for the
// binary, beside the library that needs it in /usr/lib for that one. One
// file, copied once (F12: libc.so.6 copied to /lib/… and /usr/lib/…, 1.9
// MB more than predicted).
func TestClosureCopiesEachLibraryOnce(t *testing.T) {
	fx := cFixture()
	fx.history[1].files = append(fx.history[1].files, ffile{path: "usr/lib/x86_64-linux-gnu/libm.so.6", size: 900_000, pkg: "libc6"})
	fx.elf["usr/local/bin/wordfreq"] = ELF{Interp: "/lib64/ld-linux-x86-64.so.2", Needed: []string{"libm.so.6", "libc.so.6"}}
	fx.elf["usr/lib/x86_64-linux-gnu/libm.so.6"] = ELF{Needed: []string{"libc.so.6"}}
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if got.Base != "scratch" {
		t.Fatalf("base %s, want scratch with the closure:\n%s", got.Base, got.Dockerfile)
	}
	n := 0
	for _, c := range got.Copies {
		if path.Base(c) == "libc.so.6" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("libc.so.6 copied %d times: %v", n, got.Copies)
	}
}

// On a base with a shell, the symlinks among the copied files are made
// with ln, before ldconfig: as COPY sources they would land as copies of
// their targets, and ldconfig caches one name for three files where the
// original had its links (gvm-libs F12: 'ldconfig -p | grep -c libgvm'
// 20 in the original, 10 in the suggestion).
func TestCopiedSymlinksMadeAsLinks(t *testing.T) {
	fx := libFixture(t)
	fx.history[0].files = append(fx.history[0].files, ffile{path: "bin/sh", size: 4, kind: index.Symlink, link: "dash"})
	fx.history[3].files = append(fx.history[3].files, ffile{path: "usr/local/lib/libtool.a", size: 300_000, cat: model.BuildTool})
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	checkParses(t, got.Dockerfile)
	if slices.Contains(got.Copies, "/usr/local/lib/libtool.so.1") || !slices.Contains(got.Copies, "/usr/local/lib/libtool.so.1.0") {
		t.Errorf("copies %v: want the library copied and its link not", got.Copies)
	}
	final := got.Dockerfile[strings.LastIndex(got.Dockerfile, "\nFROM "):]
	ln, ldc := strings.Index(final, "ln -sfn libtool.so.1.0 /usr/local/lib/libtool.so.1"), strings.Index(final, "\nRUN ldconfig\n")
	if ln < 0 || ldc < ln {
		t.Errorf("the link is not made before ldconfig:\n%s", final)
	}
}

// The build's output and the copy a later step installed (litestream
// F13: dist/litestream-vfs.so and /usr/local/lib/litestream-vfs.so, 85 MB
// each, both copied: 89% of the project's ΔS): the same name, size and
// ELF needs; the installed one is kept, the other left behind and asked
// about. A file of the same name but another size is another file.
func TestBuildOutputTwinLeftBehind(t *testing.T) {
	fx := libFixture(t)
	fx.history[1].files = append(fx.history[1].files,
		ffile{path: "source/dist/libtool.so.1.0", size: 200_000, mode: 0o755},
		ffile{path: "source/old/tool", size: 39_000, mode: 0o755})
	fx.elf["source/dist/libtool.so.1.0"] = fx.elf["usr/local/lib/libtool.so.1.0"]
	fx.elf["source/old/tool"] = fx.elf["usr/local/bin/tool"]
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	covered := func(p string) bool {
		return slices.ContainsFunc(got.Copies, func(c string) bool { return under(p, strings.Trim(c, "/")) })
	}
	if covered("source/dist/libtool.so.1.0") || !covered("usr/local/lib/libtool.so.1.0") {
		t.Errorf("copies %v: want the installed copy only", got.Copies)
	}
	if !covered("source/old/tool") {
		t.Errorf("source/old/tool (another size) is not copied: %v", got.Copies)
	}
	if !slices.ContainsFunc(got.Questions, func(q string) bool {
		return strings.Contains(q, "/source/dist/libtool.so.1.0 (as /usr/local/lib/libtool.so.1.0)")
	}) {
		t.Errorf("not asked: %q", got.Questions)
	}
}

// TestHostilePackageNames: a package database is the image publisher's
// text. A name that is no package name (a shell command after `;`, a
// `$(…)`, backquotes, an option for apt-get) never reaches the RUN line
// that installs the runtime packages (which `suggest --verify` builds):
// it is left out and asked about, shown quoted.
func TestHostilePackageNames(t *testing.T) {
	for _, evil := range []string{"python3-flask;touch${IFS}/pwned", "$(touch /pwned)", "-oAPT::Update::Pre-Invoke::=touch", "a`id`"} {
		fx := flaskFixture(t)
		fx.status = strings.ReplaceAll(fx.status, "python3-flask", evil)
		for i := range fx.pkgs {
			if fx.pkgs[i].name == "python3-flask" {
				fx.pkgs[i].name = evil
			}
		}
		for i := range fx.history {
			for j := range fx.history[i].files {
				if fx.history[i].files[j].pkg == "python3-flask" {
					fx.history[i].files[j].pkg = evil
				}
			}
		}
		got, err := Suggest(fx.build(t))
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(got.Packages, evil) {
			t.Errorf("%q: in the runtime packages %q", evil, got.Packages)
		}
		for _, l := range strings.Split(got.Dockerfile, "\n") {
			if !strings.HasPrefix(l, "#") && (strings.Contains(l, "pwned") || strings.Contains(l, "touch") || strings.Contains(l, "`id`")) {
				t.Errorf("%q: the Dockerfile's line %q carries it", evil, l)
			}
		}
		if !slices.ContainsFunc(got.Questions, func(q string) bool { return strings.Contains(q, "not a package name") }) {
			t.Errorf("%q: no question about it: %q", evil, got.Questions)
		}
		if !slices.Contains(got.Packages, "python3") {
			t.Errorf("%q: the other runtime packages are lost: %q", evil, got.Packages)
		}
	}
}
