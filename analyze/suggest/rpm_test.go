package suggest

import (
	"slices"
	"strings"
	"testing"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/analyze/rpm/rpmtest"
	"github.com/imgdiff/imgdiff/layers/index"
)

// marinerRpmdb is a real rpm database (CBL-Mariner 2.0's rpmdb.sqlite,
// analyze/rpm/rpmtest): its requires/provides graph is what the
// prediction follows from the packages the final stage installs.
func marinerRpmdb(t *testing.T) string {
	t.Helper()
	return string(rpmtest.Gunzip(t, rpmtest.Mariner))
}

// rpmFixture is a C tool built on an rpm-family base with dnf: gcc and
// zlib-devel to build it, zlib for its libz.so.1, python3 for the script
// CMD runs. rpm records no asked-for packages, so what the final stage
// installs comes from what the kept files and the container's programs
// need. cmd is the image's CMD.
func rpmFixture(t *testing.T, cmd []string) fixture {
	cmdLine := `CMD ["` + strings.Join(cmd, `", "`) + `"]`
	cmdEntry := `CMD ["` + strings.Join(cmd, `" "`) + `"]`
	db := marinerRpmdb(t)
	elf := map[string]ELF{
		"usr/lib64/libc.so.6":                 ELF{Interp: "/lib64/ld-linux-x86-64.so.2", Needed: []string{"ld-linux-x86-64.so.2"}},
		"usr/lib64/ld-linux-x86-64.so.2":      ELF{},
		"usr/lib64/libz.so.1.2.13":            ELF{Needed: []string{"libc.so.6"}},
		"usr/bin/python3.12":                  ELF{Interp: "/lib64/ld-linux-x86-64.so.2", Needed: []string{"libpython3.12.so.1.0", "libc.so.6"}},
		"usr/local/bin/logz":                  ELF{Interp: "/lib64/ld-linux-x86-64.so.2", Needed: []string{"libz.so.1", "libc.so.6"}},
		"usr/libexec/gcc/x86_64-linux/14/cc1": ELF{Interp: "/lib64/ld-linux-x86-64.so.2", Needed: []string{"libz.so.1", "libc.so.6"}},
	}
	return fixture{
		ref: "logz:single",
		dockerfile: writeDockerfile(t, `FROM fedora:40
RUN dnf install -y gcc zlib-devel python3 && dnf clean all
WORKDIR /src
COPY . .
RUN gcc -O2 -o /usr/local/bin/logz logz.c -lz
`+cmdLine+`
`),
		pkgs: []pkgdef{
			{name: "glibc", manager: "rpm"}, {name: "bash", manager: "rpm"}, {name: "dnf5", manager: "rpm"},
			{name: "gcc", manager: "rpm", cat: model.BuildTool}, {name: "zlib-devel", manager: "rpm", cat: model.BuildTool},
			{name: "zlib", manager: "rpm"}, {name: "python3", manager: "rpm"}, {name: "python3-libs", manager: "rpm"},
		},
		contents: map[string]string{"var/lib/rpm/rpmdb.sqlite": db},
		elf:      elf,
		history: []step{
			{createdBy: "KIWI 10.0.16", files: []ffile{
				{path: "lib64", size: 9, kind: index.Symlink, link: "usr/lib64"},
				{path: "usr/lib64/libc.so.6", size: 2_000_000, pkg: "glibc"},
				{path: "usr/lib64/ld-linux-x86-64.so.2", size: 200_000, pkg: "glibc", mode: 0o755},
				{path: "usr/bin/bash", size: 1_000_000, pkg: "bash", mode: 0o755},
				{path: "usr/bin/dnf5", size: 300_000, pkg: "dnf5", mode: 0o755},
				{path: "usr/bin/dnf", size: 4, kind: index.Symlink, link: "dnf5", pkg: "dnf5"},
				{path: "etc/passwd", size: 1_000},
				{path: "usr/local/bin", kind: index.Dir},
			}},
			{createdBy: run("dnf install -y gcc zlib-devel python3 && dnf clean all"), files: []ffile{
				{path: "usr/bin/gcc", size: 1_000_000, pkg: "gcc", mode: 0o755},
				{path: "usr/libexec/gcc/x86_64-linux/14/cc1", size: 40_000_000, pkg: "gcc", mode: 0o755},
				{path: "usr/include/zlib.h", size: 100_000, pkg: "zlib-devel"},
				{path: "usr/lib64/libz.so", size: 14, kind: index.Symlink, link: "libz.so.1.2.13", pkg: "zlib-devel"},
				{path: "usr/lib64/libz.so.1", size: 14, kind: index.Symlink, link: "libz.so.1.2.13", pkg: "zlib"},
				{path: "usr/lib64/libz.so.1.2.13", size: 100_000, pkg: "zlib"},
				{path: "usr/bin/python3", size: 9, kind: index.Symlink, link: "python3.12", pkg: "python3"},
				{path: "usr/bin/python3.12", size: 15_000, pkg: "python3", mode: 0o755},
				{path: "usr/lib64/python3.12/os.py", size: 30_000_000, pkg: "python3-libs"},
				{path: "var/lib/rpm/rpmdb.sqlite", size: int64(len(db))},
				{path: "var/lib/rpm/rpmdb.sqlite-shm", size: 32_768},
				{path: "usr/lib/sysimage/libdnf5/transaction_history.sqlite", size: 200_000},
				{path: "var/log/dnf5.log", size: 50_000},
			}},
			{createdBy: "WORKDIR /src", files: []ffile{{path: "src", kind: index.Dir}}},
			{createdBy: "COPY . . # buildkit", files: []ffile{
				{path: "src/logz.c", size: 5_000, cat: model.Source},
				{path: "src/run.py", size: 1_000},
			}},
			{createdBy: run("gcc -O2 -o /usr/local/bin/logz logz.c -lz"), files: []ffile{
				{path: "usr/local/bin/logz", size: 50_000, mode: 0o755},
			}},
			{createdBy: cmdEntry, empty: true},
		},
		config: model.Config{Cmd: cmd, WorkingDir: "/src"},
	}
}

// On an rpm base the final stage installs, with the installer the base
// has (dnf, here dnf5's symlink), exactly what the kept files and the
// container's programs need: python3 (CMD runs it) and zlib (libz.so.1,
// which the tool needs); gcc and zlib-devel stay behind, and so do rpm's
// database and dnf's history, which the install writes again.
func TestRpmFinalStageInstalls(t *testing.T) {
	fx := rpmFixture(t, []string{"python3", "/src/run.py"})
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if got.Base != "fedora:40" {
		t.Errorf("base %s, want fedora:40 (python3 is installed)", got.Base)
	}
	want := "\nRUN dnf install -y --setopt=install_weak_deps=0 --nodocs python3 zlib \\\n    && dnf clean all && rm -rf /var/cache/dnf /var/cache/libdnf5\n"
	if !strings.Contains(got.Dockerfile, want) {
		t.Errorf("no dnf install of python3 and zlib:\n%s", got.Dockerfile)
	}
	if !slices.Equal(got.Packages, []string{"python3", "zlib"}) {
		t.Errorf("packages %v, want [python3 zlib]", got.Packages)
	}
	wantCopies := []string{"/src/run.py", "/usr/local/bin/logz"}
	for _, c := range wantCopies {
		if !copied(got.Copies, c) {
			t.Errorf("%s is not copied: %v", c, got.Copies)
		}
	}
	for _, c := range []string{"/usr/bin/gcc", "/usr/libexec/gcc/x86_64-linux/14/cc1", "/usr/include/zlib.h", "/usr/lib64/libz.so.1.2.13",
		"/usr/bin/python3.12", "/var/lib/rpm/rpmdb.sqlite", "/usr/lib/sysimage/libdnf5/transaction_history.sqlite", "/src/logz.c"} {
		if copied(got.Copies, c) {
			t.Errorf("%s is copied: %v", c, got.Copies)
		}
	}
	if strings.Contains(got.Dockerfile, "apt-get") {
		t.Errorf("an apt-get line on an rpm base:\n%s", got.Dockerfile)
	}
	// Kept: the base (3.5 MB), python3 and python3-libs (python3
	// requires it in the database), zlib, and the two copied files.
	var base int64 = 9 + 2_000_000 + 200_000 + 1_000_000 + 300_000 + 4 + 1_000
	// The package-manager state the install wrote (rpm's database, dnf5's
	// history, its log) counts as written again by the final stage's
	// install, as apt's and dpkg's do.
	state := int64(len(fx.contents["var/lib/rpm/rpmdb.sqlite"])) + 32_768 + 200_000 + 50_000
	wantPred := base + 9 + 15_000 + 30_000_000 + 14 + 100_000 + 1_000 + 50_000 + state
	if got.Prediction.Predicted != wantPred {
		t.Errorf("predicted %d, want %d", got.Prediction.Predicted, wantPred)
	}
	checkParses(t, got.Dockerfile)
}

// A repository the build added (a vendor's .repo file) is copied from
// the build stage before the final stage's install, which may need a
// package from it; the copy's layer counts in the prediction.
func TestRpmBuildRepositoriesBeforeTheInstall(t *testing.T) {
	fx := rpmFixture(t, []string{"python3", "/src/run.py"})
	fx.history[0].files = append(fx.history[0].files, ffile{path: "etc/yum.repos.d/fedora.repo", size: 1_000, pkg: "dnf5"})
	fx.history[1].files = append(fx.history[1].files, ffile{path: "etc/yum.repos.d/vendor.repo", size: 300})
	before, err := Suggest(rpmFixture(t, []string{"python3", "/src/run.py"}).build(t))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	want := "\nCOPY --from=build /etc/yum.repos.d /etc/yum.repos.d\nRUN dnf install -y "
	if !strings.Contains(got.Dockerfile, want) {
		t.Errorf("the repositories are not copied before the install:\n%s", got.Dockerfile)
	}
	// The base's fedora.repo (1,000) and both again in the copy's layer
	// (1,300). vendor.repo was written by the step that installed
	// packages (the rpm database says so), outside the build's own
	// directories: it comes with the repositories' copy only, not a
	// second time with the build's files.
	if d := got.Prediction.Predicted - before.Prediction.Predicted; d != 1_000+1_300 {
		t.Errorf("the repositories add %d bytes to the prediction, want 2300", d)
	}
	checkParses(t, got.Dockerfile)
}

// A Python module the app imports brings the rpm package whose
// site-packages holds it (Fedora's python3-flask), though no asked-for
// record names it; an rpm package of Python nobody imports stays behind.
func TestRpmPythonImports(t *testing.T) {
	fx := rpmFixture(t, []string{"python3", "/src/run.py"})
	fx.pkgs = append(fx.pkgs, pkgdef{name: "python3-flask", manager: "rpm"}, pkgdef{name: "python3-requests", manager: "rpm"})
	fx.history[1].files = append(fx.history[1].files,
		ffile{path: "usr/lib/python3.12/site-packages/flask/__init__.py", size: 300_000, pkg: "python3-flask"},
		ffile{path: "usr/lib/python3.12/site-packages/requests/__init__.py", size: 200_000, pkg: "python3-requests"})
	fx.contents["src/run.py"] = "import os\nimport flask\n"
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Packages, []string{"python3", "python3-flask", "zlib"}) {
		t.Errorf("packages %v, want [python3 python3-flask zlib]\n%s", got.Packages, got.Dockerfile)
	}
	if copied(got.Copies, "/usr/lib/python3.12/site-packages/requests/__init__.py") || copied(got.Copies, "/usr/lib/python3.12") {
		t.Errorf("an rpm package's files are copied: %v", got.Copies)
	}
}

// A dynamic binary whose needs are a few libraries gets scratch, the
// loader and its DT_NEEDED closure, found through the rpm packages that
// own them, as on Debian.
func TestRpmNativeBinaryOnScratch(t *testing.T) {
	fx := rpmFixture(t, []string{"/usr/local/bin/logz"})
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if got.Base != "scratch" {
		t.Fatalf("base %s, want scratch:\n%s", got.Base, got.Dockerfile)
	}
	// The loader searches /lib64 (a link to usr/lib64 here) first: the
	// libraries are copied there, each once.
	_, final, _ := strings.Cut(got.Dockerfile, "\nFROM scratch\n")
	for _, l := range []string{
		"\nCOPY --from=build /lib64/libc.so.6 /lib64/libz.so.1 /lib64/\n",
		"\nCOPY --from=build /lib64/ld-linux-x86-64.so.2 /lib64/ld-linux-x86-64.so.2\n",
		"\nCOPY --from=build /usr/local /usr/local\n",
	} {
		if !strings.Contains(final, l) {
			t.Errorf("no line %q in the final stage:\n%s", l, final)
		}
	}
	if strings.Count(final, "libc.so.6 ") > 1 || strings.Contains(final, "/usr/lib64/libc.so.6") {
		t.Errorf("libc is copied twice:\n%s", final)
	}
	// The binary, the loader, libc and libz (its file, copied through
	// the soname link) and the script.
	if want := int64(50_000 + 200_000 + 2_000_000 + 100_000 + 1_000); got.Prediction.Predicted != want {
		t.Errorf("predicted %d, want %d", got.Prediction.Predicted, want)
	}
	if strings.Contains(final, "dnf install") || copied(got.Copies, "/usr/bin/gcc") {
		t.Errorf("scratch installs or copies the build's tools:\n%s", got.Dockerfile)
	}
	checkParses(t, got.Dockerfile)
}

// A base without dnf, microdnf or yum (a root rpm --root filled) cannot
// run the install line: it is asked, never silently assumed.
func TestRpmBaseWithoutInstallerIsAsked(t *testing.T) {
	fx := rpmFixture(t, []string{"python3", "/src/run.py"})
	fx.history[0].files = slices.DeleteFunc(slices.Clone(fx.history[0].files), func(f ffile) bool { return strings.HasPrefix(f.path, "usr/bin/dnf") })
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(got.Questions, func(q string) bool { return strings.Contains(q, "has no dnf, microdnf, yum or zypper") }) {
		t.Errorf("the missing installer is not asked about: %q", got.Questions)
	}
}

// microdnf (UBI minimal), yum (RHEL 7) and zypper (SUSE) get their own
// lines.
func TestRpmInstallerOfTheBase(t *testing.T) {
	for _, tt := range []struct{ bin, want string }{
		{"usr/bin/microdnf", "RUN microdnf install -y --setopt=install_weak_deps=0 --nodocs python3 zlib \\\n    && microdnf clean all\n"},
		{"usr/bin/yum", "RUN yum install -y --setopt=tsflags=nodocs python3 zlib \\\n    && yum clean all && rm -rf /var/cache/yum\n"},
		{"usr/bin/zypper", "RUN zypper --non-interactive install --no-recommends python3 zlib \\\n    && zypper clean --all\n"},
	} {
		fx := rpmFixture(t, []string{"python3", "/src/run.py"})
		files := slices.DeleteFunc(slices.Clone(fx.history[0].files), func(f ffile) bool { return strings.HasPrefix(f.path, "usr/bin/dnf") })
		fx.history[0].files = append(files, ffile{path: tt.bin, size: 300_000, pkg: "dnf5", mode: 0o755})
		got, err := Suggest(fx.build(t))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(got.Dockerfile, tt.want) {
			t.Errorf("%s: no line %q:\n%s", tt.bin, tt.want, got.Dockerfile)
		}
	}
}

// On a Debian image, an rpm database holds what rpm -i put there: apt
// cannot install it again, so its files are copied as the build's, never
// left behind or named in apt-get's line.
func TestRpmOnDebianIsCopied(t *testing.T) {
	st := status([2]string{"libc6", ""}, [2]string{"dash", "libc6"})
	fx := fixture{
		ref: "agent:single",
		dockerfile: writeDockerfile(t, `FROM debian:bookworm-slim
COPY vendor-agent.rpm /tmp/
RUN rpm -i --nodeps /tmp/vendor-agent.rpm && rm /tmp/vendor-agent.rpm
CMD ["/opt/vendor/bin/agent"]
`),
		status: st,
		pkgs:   append(append([]pkgdef{}, basePkgs...), pkgdef{name: "vendor-agent", manager: "rpm"}),
		history: []step{
			debianBase(st),
			{createdBy: "COPY vendor-agent.rpm /tmp/ # buildkit", files: []ffile{{path: "tmp", kind: index.Dir}}},
			{createdBy: run("rpm -i --nodeps /tmp/vendor-agent.rpm && rm /tmp/vendor-agent.rpm"), files: []ffile{
				{path: "opt/vendor/bin/agent", size: 4_000_000, pkg: "vendor-agent", mode: 0o755},
				{path: "opt/vendor/etc/agent.conf", size: 2_000, pkg: "vendor-agent"},
				{path: "var/lib/rpm/rpmdb.sqlite", size: 100_000},
			}},
			{createdBy: `CMD ["/opt/vendor/bin/agent"]`, empty: true},
		},
		config: model.Config{Cmd: []string{"/opt/vendor/bin/agent"}},
		elf:    map[string]ELF{"opt/vendor/bin/agent": {}},
	}
	got, err := Suggest(fx.build(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"/opt/vendor/bin/agent", "/opt/vendor/etc/agent.conf"} {
		if !copied(got.Copies, c) {
			t.Errorf("%s is not copied: %v\n%s", c, got.Copies, got.Dockerfile)
		}
	}
	if slices.Contains(got.Packages, "vendor-agent") || strings.Contains(got.Dockerfile, "install -y --no-install-recommends vendor-agent") {
		t.Errorf("the rpm package is installed with apt:\n%s", got.Dockerfile)
	}
	checkParses(t, got.Dockerfile)
}
