package analyze

import (
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/analyze/hygiene"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/analyze/rules"
	"github.com/imgdiff/imgdiff/layers/index"
)

// Real dpkg status stanzas (Debian bookworm, trimmed to the fields dpkg
// itself reads) and .list files.
const dpkgStatusDB = `Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 12986
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Description: GNU C Library: Shared libraries

Package: gcc-12-base
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 101
Architecture: amd64
Multi-Arch: same
Source: gcc-12
Version: 12.2.0-14
Description: GCC, the GNU Compiler Collection (base package)

Package: gcc-12
Status: install ok installed
Priority: optional
Section: devel
Installed-Size: 69608
Architecture: amd64
Source: gcc-12
Version: 12.2.0-14
Depends: cpp-12 (= 12.2.0-14), gcc-12-base (= 12.2.0-14), libcc1-0 (>= 12.2.0-14), binutils (>= 2.40)
Description: GNU C compiler

Package: libc6-dev
Status: install ok installed
Priority: optional
Section: libdevel
Installed-Size: 12822
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Description: GNU C Library: Development Libraries and Header Files

Package: ca-certificates
Status: install ok installed
Priority: optional
Section: misc
Installed-Size: 384
Architecture: all
Version: 20230311
Description: Common CA certificates

Package: golang-1.19-go
Status: install ok installed
Priority: optional
Section: golang
Installed-Size: 300000
Architecture: amd64
Source: golang-1.19
Version: 1.19.8-2
Description: Go programming language compiler, linker, compiled stdlib

Package: old-removed
Status: deinstall ok config-files
Priority: optional
Section: devel
Installed-Size: 10
Architecture: amd64
Version: 1.0
Description: removed, config files left
`

var dpkgLists = map[string]string{
	"libc6:amd64":       "/.\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libc.so.6\n/usr/share/doc/libc6/copyright\n",
	"gcc-12-base:amd64": "/.\n/usr/share/doc/gcc-12-base/README.Debian.amd64.gz\n",
	"gcc-12": "/.\n/usr\n/usr/bin\n/usr/bin/x86_64-linux-gnu-gcc-12\n/usr/lib/gcc/x86_64-linux-gnu/12/lto1\n" +
		"/usr/share/man/man1/x86_64-linux-gnu-gcc-12.1.gz\n/usr/bin/gcc-12\n",
	"libc6-dev:amd64": "/.\n/usr/include/stdio.h\n/usr/lib/x86_64-linux-gnu/libc.a\n",
	"ca-certificates": "/.\n/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt\n",
	"golang-1.19-go":  "/.\n/usr/lib/go-1.19/bin/go\n/usr/lib/go-1.19/pkg/tool/linux_amd64/compile\n/usr/share/go-1.19/src/crypto/tls/testdata/example-key.pem\n",
}

// A package-lock.json v3 as npm 9 writes it.
const packageLock = `{
  "name": "app",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "app",
      "version": "1.0.0",
      "dependencies": {"express": "^4.18.2"},
      "devDependencies": {"typescript": "^5.3.3"}
    },
    "node_modules/express": {
      "version": "4.18.2",
      "resolved": "https://registry.npmjs.org/express/-/express-4.18.2.tgz",
      "integrity": "sha512-5/PsL6iGPdfQ/lKM1UuielYgv3BUoJfz1aUwU9vHZ+J7gyvwdQXFEBIEIaxeGf0GIcreATNyBExtalisDbuMqQ==",
      "dependencies": {"accepts": "~1.3.8"}
    },
    "node_modules/typescript": {
      "version": "5.3.3",
      "resolved": "https://registry.npmjs.org/typescript/-/typescript-5.3.3.tgz",
      "integrity": "sha512-pXWcraxM0uxAS+tN0AG/BF2TyqmHO014Z070UsJ+pFvYuRSq8KH8DmWpnbXe0pEPDHXZV3FcAbJkijJ5oNEnWw==",
      "dev": true,
      "bin": {"tsc": "bin/tsc", "tsserver": "bin/tsserver"},
      "engines": {"node": ">=14.17"}
    }
  }
}
`

// A Python dist-info RECORD (pytest, a dev tool) as pip writes it.
const pytestRecord = `../../../bin/pytest,sha256=abc,221
_pytest/__init__.py,sha256=def,391
_pytest/python.py,sha256=ghi,70150
pytest-7.4.3.dist-info/METADATA,sha256=jkl,7946
pytest-7.4.3.dist-info/RECORD,,
`

// classifyImage builds one two-layer image: a Debian base with dpkg data,
// then an application layer.
func classifyImage(t *testing.T, cfg v1.Config, history []v1.History, extra ...*index.Layer) (*model.Image, *model.Classification) {
	t.Helper()
	contents := map[string][]byte{"var/lib/dpkg/status": []byte(dpkgStatusDB)}
	entries := []index.Entry{reg("var/lib/dpkg/status", int64(len(dpkgStatusDB)))}
	for pkg, list := range dpkgLists {
		p := "var/lib/dpkg/info/" + pkg + ".list"
		contents[p] = []byte(list)
		entries = append(entries, reg(p, int64(len(list))))
		for _, f := range strings.Split(list, "\n") {
			switch f {
			case "", "/.", "/lib", "/lib/x86_64-linux-gnu", "/usr", "/usr/bin":
				continue // directories
			}
			entries = append(entries, reg(f[1:], 1000))
		}
	}
	base := testLayer(entries, nil, nil)
	base.Contents = contents
	layers := append([]*index.Layer{base}, extra...)
	ii := testImage(history, layers...)
	ii.Config.Config = cfg
	img, err := Build(ii)
	if err != nil {
		t.Fatal(err)
	}
	return img, Classify(img, rules.Default())
}

func flagOf(t *testing.T, img *model.Image, c *model.Classification, p string) model.Flag {
	t.Helper()
	i, ok := img.FS.IndexOf(p)
	if !ok {
		t.Fatalf("%s not in the image", p)
	}
	return c.Flags[i]
}

func TestClassifyEvidence(t *testing.T) {
	app := testLayer([]index.Entry{
		reg("app/package.json", 300), reg("app/package-lock.json", int64(len(packageLock))),
		reg("app/node_modules/express/index.js", 500), reg("app/node_modules/typescript/lib/tsc.js", 9000),
		reg("app/src/main.c", 700), reg("app/Makefile", 100),
		reg("usr/local/lib/python3.11/site-packages/_pytest/python.py", 70150),
		reg("usr/local/lib/python3.11/site-packages/pytest-7.4.3.dist-info/RECORD", int64(len(pytestRecord))),
		reg("var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4", 6000),
	}, nil, nil)
	app.Contents = map[string][]byte{
		"app/package-lock.json": []byte(packageLock),
		"app/package.json":      []byte(`{"name":"app","dependencies":{"express":"^4.18.2"},"devDependencies":{"typescript":"^5.3.3"}}`),
		"usr/local/lib/python3.11/site-packages/pytest-7.4.3.dist-info/RECORD": []byte(pytestRecord),
	}
	hist := []v1.History{{CreatedBy: "ADD rootfs.tar / # buildkit"}, {CreatedBy: "COPY . /app # buildkit"}}
	img, c := classifyImage(t, v1.Config{User: "1000"}, hist, app)

	for _, tc := range []struct {
		path     string
		category model.Category
		evidence string
	}{
		{"usr/bin/gcc-12", model.BuildTool, "dpkg: gcc-12 (devel)"},
		{"usr/lib/gcc/x86_64-linux-gnu/12/lto1", model.BuildTool, "dpkg: gcc-12 (devel)"},
		// gcc's man page is gcc's: build-tool, not docs.
		{"usr/share/man/man1/x86_64-linux-gnu-gcc-12.1.gz", model.BuildTool, "dpkg: gcc-12 (devel)"},
		{"usr/include/stdio.h", model.BuildTool, "dpkg: libc6-dev (libdevel)"},
		{"usr/lib/go-1.19/pkg/tool/linux_amd64/compile", model.BuildTool, "golang-1.19-go"},
		// A test key in a package is the package's, not a leaked secret.
		{"usr/share/go-1.19/src/crypto/tls/testdata/example-key.pem", model.BuildTool, "golang-1.19-go"},
		{"app/node_modules/typescript/lib/tsc.js", model.DevDependency, "npm lockfile"},
		{"app/src/main.c", model.Source, ""},
		{"app/Makefile", model.Source, ""},
		{"usr/local/lib/python3.11/site-packages/_pytest/python.py", model.DevDependency, "pytest"},
		{"var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4", model.Cache, "var/lib/apt/lists"},
		// Never flagged: the runtime.
		{"lib/x86_64-linux-gnu/libc.so.6", "", ""},
		{"usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt", "", ""},
		{"app/node_modules/express/index.js", "", ""},
	} {
		f := flagOf(t, img, c, tc.path)
		if f.Category != tc.category || !strings.Contains(f.Evidence, tc.evidence) {
			t.Errorf("%s: flagged %q (%s, rule %s), want %q with evidence containing %q", tc.path, f.Category, f.Evidence, f.Rule, tc.category, tc.evidence)
		}
	}

	// Totals add up to the final filesystem, per category and per step.
	var sum int64
	for _, tot := range c.Totals {
		sum += tot.Bytes
	}
	if sum != img.FS.Size() {
		t.Errorf("category totals %d, filesystem %d", sum, img.FS.Size())
	}
	var steps int64
	for _, st := range c.ByStep {
		for _, tot := range st.Totals {
			steps += tot.Bytes
		}
	}
	if steps != sum {
		t.Errorf("per-step totals %d, want %d", steps, sum)
	}
	// Packages carry their evidence and size; removed packages are gone.
	byName := map[string]model.Package{}
	for _, p := range c.Packages {
		byName[p.Name] = p
	}
	if p := byName["gcc-12"]; p.Category != model.BuildTool || p.Bytes != 4000 || p.Files != 4 || p.Section != "devel" || p.InstalledSize != 69608*1024 {
		t.Errorf("gcc-12: %+v", p)
	}
	if p := byName["typescript"]; p.Category != model.DevDependency || p.Manager != "npm" || !p.Dev {
		t.Errorf("typescript: %+v", p)
	}
	if _, ok := byName["old-removed"]; ok {
		t.Error("a deinstalled package is listed")
	}
	if !strings.Contains(c.Verdict, "%) of this image is build tooling, sources, dev dependencies and caches") {
		t.Errorf("verdict %q", c.Verdict)
	}
}

// TestHygieneFindings: an image with a .git dir, a .env, a private key, a
// split apt-get update, a deleted-later file, an overwritten file,
// shell-form ENTRYPOINT and the root user: every finding once, at the
// right step, with the right wasted bytes.
func TestHygieneFindings(t *testing.T) {
	update := testLayer([]index.Entry{reg("var/lib/apt/lists/deb_Packages", 5000)}, nil, nil)
	install := testLayer([]index.Entry{reg("usr/bin/curl", 300), reg("tmp/big.tar", 70_000), reg("etc/app.conf", 100)}, nil, nil)
	app := testLayer([]index.Entry{
		dir("app"), dir("app/.git"), reg("app/.git/HEAD", 21), dir("app/.git/objects"), reg("app/.git/objects/pack", 4000),
		reg("app/.env", 40), reg("app/deploy_key.pem", 1700), reg("app/main.js", 900), reg("app/package.json", 200),
	}, nil, nil)
	app.Contents = map[string][]byte{"app/deploy_key.pem": []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nxxx\n")}
	deps := testLayer([]index.Entry{reg("app/node_modules/x/index.js", 10)}, nil, nil)
	cleanup := testLayer([]index.Entry{reg("etc/app.conf", 150)}, []string{"tmp/big.tar"}, nil)
	hist := []v1.History{
		{CreatedBy: "ADD rootfs.tar / # buildkit"},                                         // 0
		{CreatedBy: "RUN /bin/sh -c apt-get update # buildkit"},                            // 1
		{CreatedBy: "RUN /bin/sh -c apt-get install -y curl # buildkit"},                   // 2
		{CreatedBy: "ENV NPM_TOKEN=npm_abcdefghijklmnop0123456789", EmptyLayer: true},      // 3
		{CreatedBy: "COPY . /app # buildkit"},                                              // 4
		{CreatedBy: "RUN /bin/sh -c npm ci # buildkit"},                                    // 5
		{CreatedBy: "RUN /bin/sh -c rm /tmp/big.tar && echo x > /etc/app.conf # buildkit"}, // 6
		{CreatedBy: `ENTRYPOINT ["/bin/sh" "-c" "node main.js"]`, EmptyLayer: true},        // 7
	}
	cfg := v1.Config{Entrypoint: []string{"/bin/sh", "-c", "node main.js"}, Env: []string{"PATH=/usr/bin", "NPM_TOKEN=npm_abcdefghijklmnop0123456789"}}
	img, c := classifyImage(t, cfg, hist, update, install, app, deps, cleanup)

	got := map[string][]model.Finding{}
	for _, f := range c.Findings {
		got[f.ID] = append(got[f.ID], f)
	}
	want := []struct {
		id    string
		step  int
		bytes int64
		path  string
	}{
		{hygiene.FindingRootUser, -1, 0, ""},
		{hygiene.FindingShellEntrypoint, 7, 0, ""},
		{hygiene.FindingAptUpdateAlone, 1, 0, ""},
		{hygiene.FindingAptListsLeft, 1, 5000, "var/lib/apt/lists"},
		{hygiene.FindingContextBeforeDeps, 4, 0, ""},
		{hygiene.FindingVCS, 4, 4021, "app/.git"},
		{hygiene.FindingSecretEnv, 3, 0, ""},
		// The overwritten etc/app.conf (100) and the deleted tmp/big.tar
		// (70,000), both hidden by step 6.
		{hygiene.FindingWasted, 6, 70_100, "tmp/big.tar"},
		{hygiene.FindingNoHealthcheck, -1, 0, ""},
	}
	for _, w := range want {
		fs := got[w.id]
		if len(fs) != 1 {
			t.Errorf("%s: %d findings, want 1: %+v", w.id, len(fs), fs)
			continue
		}
		f := fs[0]
		if f.Step != w.step || f.Bytes != w.bytes || f.Path != w.path {
			t.Errorf("%s: step %d bytes %d path %q, want %d %d %q", w.id, f.Step, f.Bytes, f.Path, w.step, w.bytes, w.path)
		}
	}
	secrets := got[hygiene.FindingSecretFile]
	if len(secrets) != 2 || secrets[0].Step != 4 || secrets[1].Step != 4 {
		t.Errorf("secret files: %+v", secrets)
	}
	for _, f := range c.Findings {
		if strings.Contains(f.Title+f.Detail, "npm_abcdefghijklmnop") || strings.Contains(f.Title+f.Detail, "OPENSSH") {
			t.Errorf("finding %s prints a secret: %s %s", f.ID, f.Title, f.Detail)
		}
	}
	if img.Wasted != 70_100 {
		t.Errorf("image wasted %d, want 70,100", img.Wasted)
	}
	// A clean multi-stage-like image has none of these.
	clean := testLayer([]index.Entry{reg("app/server", 5000)}, nil, nil)
	_, c2 := classifyImage(t, v1.Config{User: "10001", Entrypoint: []string{"/app/server"}, Healthcheck: &v1.HealthConfig{Test: []string{"CMD", "/app/server", "-health"}}},
		[]v1.History{{CreatedBy: "ADD rootfs.tar / # buildkit"}, {CreatedBy: "COPY /out/server /app/server # buildkit"}}, clean)
	for _, f := range c2.Findings {
		t.Errorf("clean image: unexpected finding %s: %s", f.ID, f.Title)
	}
}
