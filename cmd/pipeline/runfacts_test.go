package pipeline

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/analyze/classify"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/analyze/rules"
	"github.com/imgdiff/imgdiff/layers"
	"github.com/imgdiff/imgdiff/layers/elffacts/elffactstest"
	"github.com/imgdiff/imgdiff/layers/imagetest"
	"github.com/imgdiff/imgdiff/layers/index"
)

// goBinary builds a Go program with the host toolchain; with cgo, one
// that uses cgo (dynamic).
func goBinary(t *testing.T, cgo bool) []byte {
	t.Helper()
	dir := t.TempDir()
	src, env := "package main\n\nfunc main() { println(\"hi\") }\n", "CGO_ENABLED=0"
	if cgo {
		src, env = "package main\n\n// #include <stdlib.h>\nimport \"C\"\n\nfunc main() { println(C.abs(-2)) }\n", "CGO_ENABLED=1"
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-o", "app", "main.go")
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env, "GO111MODULE=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	b, err := os.ReadFile(filepath.Join(dir, "app"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// RunFacts reads the ELF facts of the final filesystem only: a binary a
// later layer overwrote with a script, or deleted, has none; a hard link
// has its target's; the entrypoint script's body is captured. Checked on
// both walk paths (a seekable plain tar, a gzip stream) against debug/elf.
// Without RunFacts, nothing of it is read.
func TestRunFacts(t *testing.T) {
	static := goBinary(t, false)
	dynamic := static
	if _, err := exec.LookPath("gcc"); err == nil {
		dynamic = goBinary(t, true)
	} else {
		t.Log("no gcc: the dynamic binary is a static one")
	}
	script := "#!/bin/sh\nexec /app/server \"$@\"\n"
	tiny := tinyELF("/lib/ld-musl-x86_64.so.1")
	for _, c := range []imagetest.Compression{imagetest.Uncompressed, imagetest.Gzip} {
		spec := imagetest.Image{
			Compression: c,
			Layers: []imagetest.Layer{
				{CreatedBy: "COPY rootfs / # buildkit", Entries: []imagetest.Entry{
					{Path: "bin/static", Body: static, Mode: 0o755},
					{Path: "bin/link", Type: imagetest.Hardlink, Link: "bin/static"},
					{Path: "bin/replaced", Body: dynamic, Mode: 0o755},
					{Path: "usr/lib/libgone.so.1", Body: dynamic, Mode: 0o644},
					{Path: "usr/share/notes", Body: dynamic, Mode: 0o644}, // neither executable nor .so
				}},
				{CreatedBy: "COPY app / # buildkit", Entries: []imagetest.Entry{
					{Path: "bin/replaced", Body: []byte("#!/bin/sh\necho replaced\n"), Mode: 0o755},
					{Path: "usr/lib/libgone.so.1", Type: imagetest.Whiteout},
					{Path: "app/server", Body: dynamic, Mode: 0o755},
					{Path: "app/entrypoint.sh", Body: []byte(script), Mode: 0o755},
					{Path: "app/tiny", Body: tiny, Mode: 0o755},
				}},
			},
			// CMD names a small binary: captured like a script, read
			// for its facts, and never handed over as a script.
			Config: v1.Config{Entrypoint: []string{"/app/entrypoint.sh"}, Cmd: []string{"/app/tiny", "gcc"}},
		}
		// docker save layers are plain tars, read by seeking; OCI
		// layers here are gzip streams.
		transport := "oci"
		if c == imagetest.Uncompressed {
			transport = "docker-archive"
		}
		ref := writeSpec(t, spec, transport)
		opts := Options{Open: layers.Options{Jobs: 2}, RunFacts: true}
		loaded, err := Load(context.Background(), opts, ref)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]index.ELF{"bin/static": {}, "bin/link": {}, "app/server": elffactstest.Reference(t, bytes.NewReader(dynamic)),
			"app/tiny": {Interp: "/lib/ld-musl-x86_64.so.1"}}
		if d := cmp.Diff(want, loaded[0].ELF); d != "" {
			t.Errorf("%v: ELF facts (-want +got):\n%s", c, d)
		}
		if got := string(loaded[0].Image.Contents["app/entrypoint.sh"]); got != script {
			t.Errorf("%v: entrypoint script captured as %q", c, got)
		}
		if b, ok := loaded[0].Image.Contents["app/tiny"]; ok {
			t.Errorf("%v: the binary CMD names is handed over as a script (%d bytes)", c, len(b))
		}

		opts.RunFacts = false
		loaded, err = Load(context.Background(), opts, ref)
		if err != nil {
			t.Fatal(err)
		}
		// Without RunFacts no ELF header is read; the scripts are still
		// captured (the classification reads them), the binary CMD
		// names still not handed over as one.
		if loaded[0].ELF != nil || string(loaded[0].Image.Contents["app/entrypoint.sh"]) != script {
			t.Errorf("%v: without RunFacts: ELF %v, script %q", c, loaded[0].ELF, loaded[0].Image.Contents["app/entrypoint.sh"])
		}
		if b, ok := loaded[0].Image.Contents["app/tiny"]; ok {
			t.Errorf("%v: without RunFacts, the binary CMD names is handed over as a script (%d bytes)", c, len(b))
		}
	}
}

// The walk's cache key is the classification's alone for an image whose
// config names no script (most images: their cache entries stay valid),
// names the scripts otherwise, and names the ELF reader for RunFacts:
// no walk is served an index read for another capture set.
func TestCaptureKeys(t *testing.T) {
	_, plain, _ := captureSet(nil, false)
	if plain != rulesKey() {
		t.Errorf("no scripts, no RunFacts: key %q, want the classification's %q", plain, rulesKey())
	}
	_, run := runCapture(nil)
	if run == plain {
		t.Errorf("RunFacts key %q is the classification's", run)
	}
	img := &layers.Image{Config: &v1.ConfigFile{Config: v1.Config{Entrypoint: []string{"/app/entrypoint.sh"}}}}
	capture, withScripts, _ := captureSet([]*layers.Image{img}, false)
	_, runScripts := runCapture([]*layers.Image{img})
	if withScripts == plain || runScripts == run || runScripts == withScripts {
		t.Errorf("keys do not tell the capture sets apart: %q %q %q %q", plain, run, withScripts, runScripts)
	}
	if !capture("app/entrypoint.sh", 100) || capture("app/entrypoint.sh", maxScript+1) || capture("app/other.sh", 100) {
		t.Error("capture set")
	}
}

func rulesKey() string { return rules.CaptureKey() }

// tinyELF is a 64-bit ELF with one program header, PT_INTERP, and a
// body that is mostly text (an ELF needs no NUL after its header to be
// caught: the header has them).
func tinyELF(interp string) []byte {
	return append(elffactstest.Interp(interp), "\ngcc make go\n"...)
}

// keyRecorder is a layer cache that remembers the keys asked for.
type keyRecorder struct {
	mu   sync.Mutex
	keys []string
}

func (k *keyRecorder) Get(key string) (*index.Layer, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.keys = append(k.keys, key)
	return nil, false
}
func (k *keyRecorder) Put(string, *index.Layer) error { return nil }

// analyze and compare (no RunFacts) look layers up under the
// classification's capture key alone, as before RunFacts existed, and a
// suggest run under another: neither is ever served the other's index.
func TestRunFactsCacheKeys(t *testing.T) {
	ref := writeImage(t)
	for _, run := range []bool{false, true} {
		rec := &keyRecorder{}
		opts := Options{Open: layers.Options{Jobs: 1}, RunFacts: run, Cache: func() layers.Cache { return rec }}
		if _, err := Load(context.Background(), opts, ref); err != nil {
			t.Fatal(err)
		}
		if len(rec.keys) == 0 {
			t.Fatal("no cache lookups")
		}
		// The image's config names /app/server, captured as a script.
		for _, k := range rec.keys {
			_, rest, _ := strings.Cut(k, "+"+rules.CaptureKey())
			if !strings.HasPrefix(rest, "+scripts-") || strings.HasSuffix(k, "+run"+runFactsVersion) != run {
				t.Errorf("RunFacts %v: key %q", run, k)
			}
		}
	}
}

// analyze and compare (no RunFacts) read the entrypoint script too: a
// build driver the script runs (make) is one the container uses, so it
// is not flagged and an info finding says so; the same image whose
// script runs no tool has make flagged a build tool, as one whose config
// names no script at all. The expectations are hand-written from
// the scripts' text.
func TestScriptToolsWithoutRunFacts(t *testing.T) {
	for _, c := range []struct {
		name, script string
		used         bool
	}{
		{"script runs make", "#!/bin/sh\nset -e\nmake -C /src plugin\nexec /usr/local/bin/app \"$@\"\n", true},
		{"script runs no tool", "#!/bin/sh\nexec /usr/local/bin/app \"$@\"\n", false},
		{"no script", "", false},
	} {
		spec, _ := imagetest.BinaryApp(tinyELF(""), c.script)
		loaded := loadSpec(t, spec, "oci")
		cl := loaded.Class
		var pkg *model.Package
		for i := range cl.Packages {
			if cl.Packages[i].Manager == "dpkg" && cl.Packages[i].Name == "make" {
				pkg = &cl.Packages[i]
			}
		}
		if pkg == nil {
			t.Fatalf("%s: no dpkg package make in the fixture", c.name)
		}
		flagged := pkg.Category == model.BuildTool
		finding := slices.ContainsFunc(cl.Findings, func(f model.Finding) bool {
			return f.ID == classify.FindingBuildToolUsed && strings.Contains(f.Title, "make")
		})
		if flagged == c.used || finding != c.used {
			t.Errorf("%s: make flagged build-only %v (rule %q, evidence %q), build-tool-used finding %v; want flagged %v",
				c.name, flagged, pkg.Rule, pkg.Evidence, finding, !c.used)
		}
		if c.script != "" && string(loaded.Image.Contents["src/entrypoint.sh"]) != c.script {
			t.Errorf("%s: entrypoint script not captured without RunFacts", c.name)
		}
		if loaded.ELF != nil {
			t.Errorf("%s: ELF facts read without RunFacts", c.name)
		}
	}
}

// wantPython and wantNode capture an app's own sources, not a runtime's
// or a dependency's, and none over their cap.
func TestWantSources(t *testing.T) {
	for _, c := range []struct {
		name  string
		want  func(string, int64) bool
		paths map[string]bool
		big   string // a source past the cap max
		max   int64
	}{
		{"wantPython", wantPython, map[string]bool{
			"app/app.py":         true,
			"srv/app/views/x.py": true,
			"opt/venv/lib/python3.11/site-packages/flask/app.py": false,
			"usr/lib/python3/dist-packages/flask/app.py":         false,
			"usr/lib/python3.11/os.py":                           false,
			"usr/local/lib/python3.11/site-packages/x.py":        false,
			"usr/share/gdb/python/gdb/__init__.py":               false,
			"app/node_modules/x/gyp/pylib/gyp/input.py":          false,
			"app/app.pyc": false,
		}, "app/big.py", maxPython},
		{"wantNode", wantNode, map[string]bool{
			"app/dist/server.js":                  true,
			"srv/app/lib/config.mjs":              true,
			"app/index.cjs":                       true,
			"app/node_modules/express/index.js":   false,
			"node_modules/x/index.js":             false,
			"usr/share/nodejs/npm/lib/npm.js":     false,
			"usr/lib/node_modules/npm/bin/npm.js": false,
			"app/src/server.ts":                   false,
			"app/package.json":                    false,
		}, "app/dist/bundle.js", maxNode},
	} {
		for p, want := range c.paths {
			if got := c.want(p, 1000); got != want {
				t.Errorf("%s(%q) = %v", c.name, p, got)
			}
		}
		if c.want(c.big, c.max+1) {
			t.Errorf("%s: a source over the cap is captured", c.name)
		}
	}
}

// dynELF is a 64-bit ELF of a few hundred bytes with PT_LOAD, PT_INTERP
// and PT_DYNAMIC, whose DT_NEEDED entries name needed, in order.
func dynELF(needed ...string) []byte { return elffactstest.Dynamic(binary.LittleEndian, needed...) }

// TestConfigBinaryKeepsItsLibraries: on a distroless-style image (a
// status.d per package, no record of what was asked for) whose toolchain
// step installed gcc-12 with libmpfr6, the binary the CMD runs, linked
// against libmpfr.so.6, keeps libmpfr6 runtime in analyze's own walk (no
// RunFacts): its body is captured as the config names it, and its
// DT_NEEDED read. The same image running a binary that needs libc alone
// leaves libmpfr6 a build-tool dependency of gcc-12.
func TestConfigBinaryKeepsItsLibraries(t *testing.T) {
	stanza := func(name, depends string) []byte {
		s := "Package: " + name + "\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n"
		if depends != "" {
			s += "Depends: " + depends + "\n"
		}
		return []byte(s)
	}
	sums := func(files ...string) []byte {
		var b strings.Builder
		for _, f := range files {
			b.WriteString("d41d8cd98f00b204e9800998ecf8427e  " + f + "\n")
		}
		return []byte(b.String())
	}
	lib := bytes.Repeat([]byte{1}, 4000)
	for _, tc := range []struct {
		needed []string
		want   model.Category
	}{
		{[]string{"libmpfr.so.6", "libc.so.6"}, ""},
		{[]string{"libc.so.6"}, model.BuildTool},
	} {
		spec := imagetest.Image{
			Compression: imagetest.Uncompressed,
			Layers: []imagetest.Layer{
				{Comment: "distroless base, docker import -m", Entries: []imagetest.Entry{
					{Path: "var/lib/dpkg/status.d/libc6", Body: stanza("libc6", "")},
					{Path: "var/lib/dpkg/status.d/libc6.md5sums", Body: sums("usr/lib/x86_64-linux-gnu/libc.so.6")},
					{Path: "usr/lib/x86_64-linux-gnu/libc.so.6", Body: lib, Mode: 0o755},
				}},
				{CreatedBy: "ADD toolchain.tar / # buildkit", Comment: "buildkit.dockerfile.v0", Entries: []imagetest.Entry{
					{Path: "var/lib/dpkg/status.d/gcc-12", Body: stanza("gcc-12", "libc6, libmpfr6")},
					{Path: "var/lib/dpkg/status.d/gcc-12.md5sums", Body: sums("usr/bin/gcc-12")},
					{Path: "var/lib/dpkg/status.d/libmpfr6", Body: stanza("libmpfr6", "libc6")},
					{Path: "var/lib/dpkg/status.d/libmpfr6.md5sums", Body: sums("usr/lib/x86_64-linux-gnu/libmpfr.so.6")},
					{Path: "usr/bin/gcc-12", Body: dynELF("libmpfr.so.6", "libc.so.6"), Mode: 0o755},
					{Path: "usr/lib/x86_64-linux-gnu/libmpfr.so.6", Body: lib, Mode: 0o644},
				}},
				{CreatedBy: "COPY app /usr/local/bin/app # buildkit", Comment: "buildkit.dockerfile.v0", Entries: []imagetest.Entry{
					{Path: "usr/local/bin/app", Body: dynELF(tc.needed...), Mode: 0o755},
				}},
			},
			Config: v1.Config{Cmd: []string{"/usr/local/bin/app"}},
		}
		loaded := loadSpec(t, spec, "docker-archive")
		if loaded.ELF != nil {
			t.Errorf("%v: ELF facts handed over without RunFacts", tc.needed)
		}
		found := false
		for _, p := range loaded.Class.Packages {
			if p.Name == "libmpfr6" {
				found = true
				if p.Category != tc.want {
					t.Errorf("app needing %v: libmpfr6 %q (%s %s), want %q", tc.needed, p.Category, p.Rule, p.Evidence, tc.want)
				}
			}
		}
		if !found {
			t.Fatalf("no libmpfr6 in %+v", loaded.Class.Packages)
		}
	}
}
