package imagetest

import (
	"archive/tar"
	"encoding/json"
	"io"
	"path"
	"strconv"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// demoFS is what the demo images hold, read back from their layer tars.
type demoFS struct {
	img    v1.Image
	layers []map[string]*tar.Header
	bodies map[string][]byte // the dpkg and npm files, from the last layer writing them
}

func (d *demoFS) has(p string) bool {
	for _, l := range d.layers {
		if _, ok := l[p]; ok {
			return true
		}
	}
	return false
}

var demoOnce struct {
	sync.Once
	single, multi *demoFS
	err           error
}

func demoImages(t *testing.T) (single, multi *demoFS) {
	t.Helper()
	demoOnce.Do(func() {
		read := func(spec Image) *demoFS {
			img, err := Build(spec)
			if err != nil {
				demoOnce.err = err
				return nil
			}
			d := &demoFS{img: img, bodies: map[string][]byte{}}
			ls, _ := img.Layers()
			for _, l := range ls {
				rc, _ := l.Uncompressed()
				m := map[string]*tar.Header{}
				err := ReadTar(rc, func(h *tar.Header, body io.Reader) error {
					p := strings.TrimSuffix(h.Name, "/")
					m[p] = h
					if strings.HasPrefix(p, "var/lib/dpkg/") || strings.HasSuffix(p, "package-lock.json") {
						d.bodies[p], _ = io.ReadAll(body)
					}
					return nil
				})
				rc.Close()
				if err != nil {
					demoOnce.err = err
					return nil
				}
				d.layers = append(d.layers, m)
			}
			return d
		}
		demoOnce.single, demoOnce.multi = read(DemoSingle()), read(DemoMulti())
	})
	if demoOnce.err != nil {
		t.Fatal(demoOnce.err)
	}
	return demoOnce.single, demoOnce.multi
}

func TestDemoSharesTheBaseLayer(t *testing.T) {
	single, multi := demoImages(t)
	sl, _ := single.img.Layers()
	ml, _ := multi.img.Layers()
	s0, _ := sl[0].DiffID()
	m0, _ := ml[0].DiffID()
	if s0 != m0 {
		t.Errorf("base layers differ: %s vs %s", s0, m0)
	}
	sd, _ := sl[0].Digest()
	md, _ := ml[0].Digest()
	if sd != md {
		t.Errorf("base blobs differ: %s vs %s", sd, md)
	}
	// The compiled binary is the same file in both.
	if a, b := single.layers[4]["app/bin/thumbd"], multi.layers[2]["app/bin/thumbd"]; a == nil || b == nil || a.Size != b.Size {
		t.Errorf("app/bin/thumbd: single %v, multi %v", a, b)
	}
}

// stanzas parses a dpkg status file into name -> field -> value.
func stanzas(b []byte) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, s := range strings.Split(string(b), "\n\n") {
		f := map[string]string{}
		for _, line := range strings.Split(s, "\n") {
			if k, v, ok := strings.Cut(line, ": "); ok && !strings.HasPrefix(line, " ") {
				f[k] = v
			}
		}
		if f["Package"] != "" {
			out[f["Package"]] = f
		}
	}
	return out
}

func TestDemoDpkgDatabase(t *testing.T) {
	single, multi := demoImages(t)
	status := stanzas(single.bodies["var/lib/dpkg/status"])
	want := map[string]string{
		"libc6": "libs", "libstdc++6": "libs", "ca-certificates": "misc", "nodejs": "web",
		"gcc-12": "devel", "cpp-12": "interpreters", "libc6-dev": "libdevel", "make": "devel", "build-essential": "devel",
	}
	for pkg, section := range want {
		st, ok := status[pkg]
		if !ok {
			t.Errorf("%s: not in the single-stage status file", pkg)
			continue
		}
		if st["Section"] != section || st["Status"] != "install ok installed" || st["Version"] == "" {
			t.Errorf("%s: stanza %v", pkg, st)
		}
	}
	// The multi-stage image has the base's database: runtime, no toolchain.
	base := stanzas(multi.bodies["var/lib/dpkg/status"])
	if _, ok := base["gcc-12"]; ok {
		t.Error("gcc-12 in the multi-stage image's status")
	}
	if _, ok := base["nodejs"]; !ok {
		t.Error("nodejs missing from the base's status")
	}

	// Every path a .list names is in the image, and Installed-Size is the
	// KiB of the package's regular files and symlinks.
	for pkg, st := range status {
		list := "var/lib/dpkg/info/" + pkg + ".list"
		if st["Multi-Arch"] == "same" {
			list = "var/lib/dpkg/info/" + pkg + ":amd64.list"
		}
		body, ok := single.bodies[list]
		if !ok {
			t.Errorf("%s: no %s", pkg, list)
			continue
		}
		var size int64
		for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
			p := strings.TrimPrefix(line, "/")
			if p == "." {
				continue
			}
			var h *tar.Header
			for _, l := range single.layers {
				if x, ok := l[p]; ok {
					h = x
				}
			}
			if h == nil {
				t.Errorf("%s: %s lists %s, not in the image", pkg, list, line)
				continue
			}
			switch h.Typeflag {
			case tar.TypeReg:
				size += h.Size
			case tar.TypeSymlink:
				size += int64(len(h.Linkname))
			}
		}
		if got := st["Installed-Size"]; got != strconv.FormatInt((size+1023)/1024, 10) {
			t.Errorf("%s: Installed-Size %s, files sum to %d bytes", pkg, got, size)
		}
	}
	for _, p := range []string{"usr/lib/gcc/x86_64-linux-gnu/12/cc1", "usr/include/stdio.h", "usr/bin/make",
		"var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4"} {
		if !single.has(p) || multi.has(p) {
			t.Errorf("%s: in single %v, in multi %v; want only in single", p, single.has(p), multi.has(p))
		}
	}
}

type lockfileV3 struct {
	LockfileVersion int `json:"lockfileVersion"`
	Packages        map[string]struct {
		Version string `json:"version"`
		Dev     bool   `json:"dev"`
	} `json:"packages"`
}

func readLock(t *testing.T, b []byte) lockfileV3 {
	t.Helper()
	var lf lockfileV3
	if err := json.Unmarshal(b, &lf); err != nil {
		t.Fatal(err)
	}
	if lf.LockfileVersion != 3 {
		t.Errorf("lockfileVersion %d", lf.LockfileVersion)
	}
	return lf
}

func TestDemoLockfiles(t *testing.T) {
	single, multi := demoImages(t)
	app := readLock(t, single.bodies["app/package-lock.json"])
	hidden := readLock(t, single.bodies["app/node_modules/.package-lock.json"])
	prod := readLock(t, multi.bodies["app/node_modules/.package-lock.json"])
	if _, ok := app.Packages[""]; !ok {
		t.Error("package-lock.json has no root entry")
	}
	var devs, prods int
	for k, p := range hidden.Packages {
		if !single.has(path.Join("app", k, "package.json")) {
			t.Errorf("single: %s is in the hidden lockfile but not installed", k)
		}
		if p.Dev {
			devs++
			if multi.has(path.Join("app", k)) {
				t.Errorf("multi: dev package %s is installed", k)
			}
		} else {
			prods++
		}
		if app.Packages[k] != p {
			t.Errorf("%s: hidden lockfile %+v, package-lock.json %+v", k, p, app.Packages[k])
		}
	}
	for _, k := range []string{"node_modules/typescript", "node_modules/jest", "node_modules/eslint", "node_modules/prettier"} {
		if !hidden.Packages[k].Dev {
			t.Errorf("%s is not dev in the lockfile", k)
		}
	}
	if hidden.Packages["node_modules/express"].Dev {
		t.Error("express is dev")
	}
	if len(prod.Packages) != prods {
		t.Errorf("multi's hidden lockfile has %d packages, want the %d production ones", len(prod.Packages), prods)
	}
	for k, p := range prod.Packages {
		if p.Dev || !multi.has(path.Join("app", k, "package.json")) {
			t.Errorf("multi: %s dev=%v installed=%v", k, p.Dev, multi.has(path.Join("app", k, "package.json")))
		}
	}
	if devs < 50 || !single.has("root/.npm/_cacache") && !single.has("root/.npm") {
		t.Errorf("%d dev packages; npm cache present: %v", devs, single.has("root/.npm"))
	}
}

func TestDemoConfig(t *testing.T) {
	single, multi := demoImages(t)
	sc, _ := single.img.ConfigFile()
	mc, _ := multi.img.ConfigFile()
	if sc.Config.User != "" || len(sc.Config.Cmd) < 2 || sc.Config.Cmd[0] != "/bin/sh" {
		t.Errorf("single: user %q cmd %q: want root and shell form", sc.Config.User, sc.Config.Cmd)
	}
	if mc.Config.User != "10001:10001" || len(mc.Config.Entrypoint) == 0 || mc.Config.Entrypoint[0] != "node" || mc.Config.Healthcheck == nil {
		t.Errorf("multi: user %q entrypoint %q healthcheck %v", mc.Config.User, mc.Config.Entrypoint, mc.Config.Healthcheck)
	}
	for _, d := range []*demoFS{single, multi} {
		cf, _ := d.img.ConfigFile()
		var layers int
		for _, h := range cf.History {
			if !h.EmptyLayer {
				layers++
			}
		}
		if layers != len(cf.RootFS.DiffIDs) {
			t.Errorf("%d non-empty history entries for %d layers", layers, len(cf.RootFS.DiffIDs))
		}
	}
	// Building again gives the same image.
	img, err := Build(DemoMulti())
	if err != nil {
		t.Fatal(err)
	}
	a, _ := img.Digest()
	b, _ := multi.img.Digest()
	if a != b {
		t.Errorf("two builds of the multi-stage demo differ: %s, %s", a, b)
	}
}
