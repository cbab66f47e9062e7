package layers

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/imgdiff/imgdiff/layers/engine/enginetest"
	"github.com/imgdiff/imgdiff/layers/index"
	"github.com/imgdiff/imgdiff/layers/registry/registrytest"
	"github.com/imgdiff/imgdiff/layers/source"
)

// tarOf builds an uncompressed layer tar: name -> body ("->target" makes
// a symlink, a trailing "/" a directory).
func tarOf(t *testing.T, files ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i := 0; i < len(files); i += 2 {
		n, body := files[i], files[i+1]
		h := &tar.Header{Name: n, Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(body))}
		switch {
		case strings.HasSuffix(n, "/"):
			h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
		case strings.HasPrefix(body, "->"):
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, body[2:], 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(body))
		}
	}
	tw.Close()
	return buf.Bytes()
}

func layerOf(t *testing.T, files ...string) v1.Layer {
	t.Helper()
	b := tarOf(t, files...)
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// testImage is a three-layer image with a whiteout, a symlink and an
// empty-layer history entry.
func testImage(t *testing.T, arch string) v1.Image {
	t.Helper()
	img, err := mutate.Append(empty.Image,
		mutate.Addendum{Layer: layerOf(t, "etc/", "", "etc/os-release", "ID=test\n", "bin/sh", strings.Repeat("x", 5000)), History: v1.History{CreatedBy: "ADD rootfs.tar /"}},
		mutate.Addendum{History: v1.History{CreatedBy: "ENV A=b", EmptyLayer: true}},
		mutate.Addendum{Layer: layerOf(t, "app/", "", "app/main", strings.Repeat("y", 12345), "app/link", "->main", "tmp/junk", "zz"), History: v1.History{CreatedBy: "RUN build"}},
		mutate.Addendum{Layer: layerOf(t, "tmp/.wh.junk", ""), History: v1.History{CreatedBy: "RUN rm /tmp/junk"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	cf.Config.User = "app"
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func walkOne(t *testing.T, ref string, o Options) (*Image, *index.Image) {
	t.Helper()
	img, err := Open(context.Background(), ref, o)
	if err != nil {
		t.Fatalf("Open(%s): %v", ref, err)
	}
	t.Cleanup(func() { img.Close() })
	out, err := Walk(context.Background(), WalkOptions{Jobs: 2}, img)
	if err != nil {
		t.Fatalf("Walk(%s): %v", ref, err)
	}
	return img, out[0]
}

// figures is what must not depend on the source: per-layer diffID, content
// size and entries.
func figures(ii *index.Image) string {
	var b strings.Builder
	for _, l := range ii.Layers {
		fmt.Fprintf(&b, "%s size=%d entries=%d whiteouts=%v\n", l.DiffID, l.Size, len(l.Entries), l.Whiteouts)
	}
	return b.String()
}

// layoutFigures is the figures of img read from an OCI layout: what the
// other sources must give.
func layoutFigures(t *testing.T, img v1.Image) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "layout")
	writeLayout(t, p, img, "latest")
	_, ii := walkOne(t, "oci:"+p, Options{})
	return figures(ii)
}

func writeLayout(t *testing.T, dir string, img v1.Image, tag string) {
	t.Helper()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": tag})); err != nil {
		t.Fatal(err)
	}
}

// tarDir writes dir's files into a tar at p (an OCI archive).
func tarDir(t *testing.T, dir, p string) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg})
		_, err = tw.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tw.Close()
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The tests write `docker save` archives by hand where they need what
// imagetest's writers do not make: layer names of their choosing, linked
// layers, blobs left out. A layerTar holds the entries; these add an
// image's config and a layer's bytes and end it with the manifest.

// config adds img's raw config at name(its digest hex) and returns that
// name.
func (lt *layerTar) config(img v1.Image, name func(hex string) string) string {
	lt.t.Helper()
	cfg, err := img.RawConfigFile()
	if err != nil {
		lt.t.Fatal(err)
	}
	h, err := img.ConfigName()
	if err != nil {
		lt.t.Fatal(err)
	}
	lt.file(name(h.Hex), 0o644, cfg)
	return name(h.Hex)
}

// blob adds what open (a layer's Uncompressed or Compressed) reads at n.
func (lt *layerTar) blob(n string, open func() (io.ReadCloser, error)) {
	lt.t.Helper()
	rc, err := open()
	if err != nil {
		lt.t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		lt.t.Fatal(err)
	}
	lt.file(n, 0o644, b)
}

// writeSave adds manifest.json, naming one image (its config, its tag
// when there is one, its layers), and writes the archive to p.
func (lt *layerTar) writeSave(p, config, tag string, layers []string) {
	lt.t.Helper()
	var tags []string
	if tag != "" {
		tags = []string{tag}
	}
	m, err := json.Marshal(tarball.Manifest{{Config: config, RepoTags: tags, Layers: layers}})
	if err != nil {
		lt.t.Fatal(err)
	}
	lt.file("manifest.json", 0o644, m)
	if err := os.WriteFile(p, lt.bytes(), 0o644); err != nil {
		lt.t.Fatal(err)
	}
}

// writeOldDockerSave writes the pre-Docker-25 `docker save` layout:
// <config>.json, each layer uncompressed at layerNames(i), manifest.json.
func writeOldDockerSave(t *testing.T, p string, img v1.Image, tag string, layerNames func(i int) string) {
	t.Helper()
	lt := newLayerTar(t)
	config := lt.config(img, func(hex string) string { return hex + ".json" })
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i, l := range ls {
		names = append(names, layerNames(i))
		lt.blob(names[i], l.Uncompressed)
	}
	lt.writeSave(p, config, tag, names)
}

// oldSave writes testImage-like img before Docker 25 with its layers at
// <i>/layer.tar and returns the archive's bytes.
func oldSave(t *testing.T, p string, img v1.Image, tag string) []byte {
	t.Helper()
	writeOldDockerSave(t, p, img, tag, func(i int) string { return fmt.Sprintf("%d/layer.tar", i) })
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// savedInEngine saves testImage(amd64) before Docker 25 (oldSave) in a
// file of its own and serves it under tag from a fake engine: it returns
// the image, the archive's path and bytes, and the engine's DOCKER_HOST.
func savedInEngine(t *testing.T, tag string) (img v1.Image, save string, archive []byte, host string) {
	t.Helper()
	img, save = testImage(t, "amd64"), filepath.Join(t.TempDir(), "save.tar")
	archive = oldSave(t, save, img, tag)
	return img, save, archive, fakeEngine(t, tag, archive)
}

func TestSameFiguresFromEverySource(t *testing.T) {
	img := testImage(t, "amd64")
	dir := t.TempDir()
	wantDigest, _ := img.Digest()

	writeLayout(t, filepath.Join(dir, "layout"), img, "latest")
	tarDir(t, filepath.Join(dir, "layout"), filepath.Join(dir, "oci.tar"))
	oldSave(t, filepath.Join(dir, "old.tar"), img, "app:1")
	if err := tarball.WriteToFile(filepath.Join(dir, "ggcr.tar"), name.MustParseReference("app:1"), img); err != nil {
		t.Fatal(err)
	}
	host := registrytest.Serve(t, nil)
	registrytest.Push(t, host+"/app:1", img)

	cases := []struct {
		ref, transport string
		digest         bool // the source has the manifest
		compressed     bool // the source has compressed sizes
	}{
		{"oci:" + dir + "/layout", OCILayout, true, true},
		{"oci:" + dir + "/layout:latest", OCILayout, true, true},
		{dir + "/layout", OCILayout, true, true},
		{"oci-archive:" + dir + "/oci.tar", OCIArchive, true, true},
		{dir + "/oci.tar", OCIArchive, true, true},
		{"docker-archive:" + dir + "/old.tar", DockerArchive, false, false},
		{"docker-archive:" + dir + "/old.tar:app:1", DockerArchive, false, false},
		{dir + "/old.tar", DockerArchive, false, false},
		{dir + "/ggcr.tar", DockerArchive, false, true},
		{"docker://" + host + "/app:1", Registry, true, true},
	}
	var want string
	for _, c := range cases {
		t.Run(c.ref, func(t *testing.T) {
			src, ii := walkOne(t, c.ref, Options{Jobs: 2})
			got := figures(ii)
			if want == "" {
				want = got
			} else if got != want {
				t.Errorf("figures differ from the first source:\n%s\nwant\n%s", got, want)
			}
			if src.Transport != c.transport {
				t.Errorf("transport %q, want %q", src.Transport, c.transport)
			}
			if c.digest && src.Digest != wantDigest.String() {
				t.Errorf("digest %s, want %s", src.Digest, wantDigest)
			}
			if ii.Platform != "linux/amd64" || src.Config.Config.User != "app" {
				t.Errorf("platform %q user %q", ii.Platform, src.Config.Config.User)
			}
			m, _ := img.Manifest()
			for i, l := range ii.Layers {
				switch {
				case c.compressed && l.CompressedSize != m.Layers[i].Size && c.transport != DockerArchive:
					t.Errorf("layer %d compressed size %d, manifest %d", i, l.CompressedSize, m.Layers[i].Size)
				case !c.compressed && l.CompressedSize != Unknown:
					t.Errorf("layer %d compressed size %d, want unknown", i, l.CompressedSize)
				}
			}
		})
	}
	if !strings.Contains(want, "size=5008") {
		// etc/os-release (8) + bin/sh (5000): the walker's content size.
		t.Errorf("first layer figures: %s", want)
	}
}

func TestIndexPlatformChoice(t *testing.T) {
	amd, arm := testImage(t, "amd64"), testImage(t, "arm64")
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
	)
	dir := t.TempDir()
	p, err := layout.Write(filepath.Join(dir, "l"), empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "multi"})); err != nil {
		t.Fatal(err)
	}
	host := registrytest.Serve(t, nil)
	registrytest.Push(t, host+"/multi:1", idx)
	for _, ref := range []string{"oci:" + dir + "/l:multi", "docker://" + host + "/multi:1"} {
		for _, arch := range []string{"amd64", "arm64"} {
			plat, _ := source.ParsePlatform("linux/" + arch)
			img, err := Open(context.Background(), ref, Options{Platform: plat, Jobs: 1})
			if err != nil {
				t.Fatalf("%s %s: %v", ref, arch, err)
			}
			if img.Platform.Architecture != arch {
				t.Errorf("%s: got %s, want %s", ref, source.FormatPlatform(img.Platform), arch)
			}
			img.Close()
		}
		plat, _ := source.ParsePlatform("linux/s390x")
		_, err := Open(context.Background(), ref, Options{Platform: plat, Jobs: 1})
		if err == nil || !strings.Contains(err.Error(), "no linux/s390x image in the index (it has linux/amd64, linux/arm64/v8)") {
			t.Errorf("%s: unknown platform error = %v", ref, err)
		}
	}
}

func TestDocker25ArchiveMissingLayer(t *testing.T) {
	img := testImage(t, "amd64")
	dir := t.TempDir()
	ls, _ := img.Layers()
	skip, _ := ls[1].DiffID()
	p := filepath.Join(dir, "d25.tar")
	writeOldDockerSave(t, p, img, "app:1", func(i int) string {
		d, _ := ls[i].DiffID()
		return "blobs/sha256/" + d.Hex
	})
	// Drop one layer blob, as Docker 25+ does for layers another saved
	// image shares (moby#49473).
	b, _ := os.ReadFile(p)
	tr := tar.NewReader(bytes.NewReader(b))
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		body, _ := io.ReadAll(tr)
		if strings.HasSuffix(h.Name, skip.Hex) {
			continue
		}
		tw.WriteHeader(h)
		tw.Write(body)
	}
	tw.Close()
	os.WriteFile(p, out.Bytes(), 0o644)
	_, err := Open(context.Background(), p, Options{})
	if err == nil || !strings.Contains(err.Error(), "layer 1 (blobs/sha256/"+skip.Hex+") is not in the archive") {
		t.Fatalf("err = %v", err)
	}
}

func TestBadInputs(t *testing.T) {
	img := testImage(t, "amd64")
	dir := t.TempDir()
	writeLayout(t, filepath.Join(dir, "layout"), img, "latest")
	os.WriteFile(filepath.Join(dir, "text"), []byte("hello, not an image\n"), 0o644)
	full := oldSave(t, filepath.Join(dir, "ok.tar"), img, "app:1")
	os.WriteFile(filepath.Join(dir, "trunc.tar"), full[:len(full)/2], 0o644)
	writeOldDockerSave(t, filepath.Join(dir, "hostile.tar"), img, "app:1", func(i int) string { return fmt.Sprintf("../../%d/layer.tar", i) })

	// Corrupt one gzip layer blob of a copy of the layout, keeping its size.
	bad := filepath.Join(dir, "badblob")
	os.CopyFS(bad, os.DirFS(filepath.Join(dir, "layout")))
	m, _ := img.Manifest()
	blob := filepath.Join(bad, "blobs/sha256", m.Layers[1].Digest.Hex)
	bb, _ := os.ReadFile(blob)
	bb[len(bb)-10] ^= 0xff
	os.WriteFile(blob, bb, 0o644)
	// Same size, still valid gzip, other digest: a different gzip MTIME.
	mism := filepath.Join(dir, "mismatch")
	os.CopyFS(mism, os.DirFS(filepath.Join(dir, "layout")))
	blob = filepath.Join(mism, "blobs/sha256", m.Layers[1].Digest.Hex)
	bb, _ = os.ReadFile(blob)
	bb[4] ^= 0x01
	os.WriteFile(blob, bb, 0o644)

	os.WriteFile(filepath.Join(dir, "plain.tar"), tarOf(t, "etc/os-release", "ID=test\n"), 0o644)
	cases := []struct{ ref, want string }{
		{dir + "/missing.tar", "no such file or directory"},
		{"docker-archive:" + dir + "/missing.tar", "no such file or directory"},
		{dir + "/text", "not a tar archive"},
		{"oci:" + dir + "/text", "is a file; oci: wants a layout directory"},
		{"docker-archive:" + dir + "/layout", "is a directory"},
		{"oci:" + dir + "/layout:nope", `no image named "nope" (it has: latest)`},
		{"docker-archive:" + dir + "/ok.tar:other:2", `no image tagged "other:2" (it has: app:1)`},
		{"ftp:" + dir, `unknown transport "ftp"`},
		{"oci:" + t.TempDir(), "not an OCI layout"},
		{"docker-archive:" + dir + "/plain.tar", "no manifest.json: not a docker save archive"},
		{"oci-archive:" + dir + "/plain.tar", "no index.json: not an OCI layout"},
		{dir + "/hostile.tar", "leaves the archive"},
	}
	for _, c := range cases {
		_, err := Open(context.Background(), c.ref, Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), c.ref+": ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("Open(%s) = %v, want one line naming the input and containing %q", c.ref, err, c.want)
		}
	}

	// Errors found while reading layers.
	for _, c := range []struct{ ref, want string }{
		{dir + "/trunc.tar", "truncated"},
		{"oci:" + bad, "flate: corrupt input"},
		{"oci:" + mism, "digest mismatch"},
	} {
		img, err := Open(context.Background(), c.ref, Options{})
		if err == nil {
			_, err = Walk(context.Background(), WalkOptions{Jobs: 2}, img)
			img.Close()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.ref, err, c.want)
		}
	}
}

func TestRegistryErrors(t *testing.T) {
	img := testImage(t, "amd64")
	regh := registrytest.Handler()
	// Everything under /v2/private/ needs credentials we do not have.
	host := registrytest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v2/private/") && r.Header.Get("Authorization") == "" && r.Method == http.MethodGet {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		regh.ServeHTTP(w, r)
	}))
	registrytest.Push(t, host+"/public:1", img)

	for _, c := range []struct{ ref, want string }{
		{"docker://" + host + "/public:missing", "MANIFEST_UNKNOWN"},
		{"docker://" + host + "/private/app:1", "UNAUTHORIZED"},
		{"docker://127.0.0.1:1/app:1", "connection refused"},
		{"docker://Bad Name", "not an image reference"},
	} {
		_, err := Open(context.Background(), c.ref, Options{Jobs: 1})
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Open(%s) = %v, want one line with %q", c.ref, err, c.want)
		}
	}
}

// fakeEngine serves the three Engine API calls imgdiff makes, holding one
// image saved as archive.
func fakeEngine(t *testing.T, image string, archive []byte) string {
	sock, _ := fakeEngineCounting(t, image, archive)
	return sock
}

func fakeEngineCounting(t *testing.T, image string, archive []byte) (string, *atomic.Int32) {
	t.Helper()
	var saves atomic.Int32
	sock := enginetest.Serve(t, "docker.sock", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/_ping":
			io.WriteString(w, "OK")
		case r.URL.Path == "/images/"+image+"/json":
			io.WriteString(w, `{"Id":"sha256:0123456789abcdef","RepoTags":["`+image+`"]}`)
		case r.URL.Path == "/images/get" && !slices.ContainsFunc(r.URL.Query()["names"], func(n string) bool { return n != image }):
			saves.Add(1)
			w.Write(archive)
		default:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"No such image: `+r.URL.Path+`"}`)
		}
	}))
	return "unix://" + sock, &saves
}

func TestDaemon(t *testing.T) {
	img, p, archive, host := savedInEngine(t, "app:1")
	dir, tmp := t.TempDir(), t.TempDir()

	_, want := walkOne(t, p, Options{Jobs: 2})
	src, got := walkOne(t, "docker-daemon:app:1", Options{Jobs: 2, DockerHost: host, TempDir: tmp})
	if figures(got) != figures(want) || src.Transport != DockerDaemon {
		t.Errorf("daemon figures\n%s\nwant\n%s (transport %s)", figures(got), figures(want), src.Transport)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("temp dir holds %d files while the image is open; want the save unlinked at once", len(ents))
	}

	// A bare name goes to the engine when it has the image...
	src, _ = walkOne(t, "app:1", Options{Jobs: 2, DockerHost: host, TempDir: tmp})
	if src.Transport != DockerDaemon || len(src.Notes) != 1 || src.Notes[0] != "read from docker-daemon via DOCKER_HOST ("+host+")" {
		t.Errorf("bare name: transport %s notes %q", src.Transport, src.Notes)
	}
	// ...and to the registry when it does not.
	rhost := registrytest.Serve(t, nil)
	registrytest.Push(t, rhost+"/app:2", img)
	src, _ = walkOne(t, rhost+"/app:2", Options{Jobs: 2, DockerHost: host, TempDir: tmp})
	if src.Transport != Registry || !strings.Contains(strings.Join(src.Notes, ";"), "not in docker-daemon via DOCKER_HOST ("+host+"); read from the registry") {
		t.Errorf("bare name not in engine: transport %s notes %q", src.Transport, src.Notes)
	}

	// Two images from the engine: one save.
	host2, saves := fakeEngineCounting(t, "app:1", archive)
	imgs, err := OpenAll(context.Background(), []string{"docker-daemon:app:1", "app:1", p}, Options{DockerHost: host2, TempDir: tmp})
	if err != nil {
		t.Fatal(err)
	}
	if n := saves.Load(); n != 1 {
		t.Errorf("%d docker saves for two engine images, want 1", n)
	}
	for i, want := range []string{DockerDaemon, DockerDaemon, DockerArchive} {
		if imgs[i].Transport != want || imgs[i].Ref == "" {
			t.Errorf("image %d: transport %s ref %q, want %s", i, imgs[i].Transport, imgs[i].Ref, want)
		}
		imgs[i].Close()
	}

	for _, c := range []struct{ ref, host, want string }{
		{"docker-daemon:nope:1", host, `no such image "nope:1" in docker-daemon via DOCKER_HOST (` + host + ")"},
		{"docker-daemon:app:1", "unix://" + dir + "/no.sock", "no engine answers: docker-daemon via DOCKER_HOST (unix://" + dir + "/no.sock): no such file or directory"},
		{"docker-daemon:app:1", "ftp://host", `unsupported scheme "ftp"`},
	} {
		_, err := Open(context.Background(), c.ref, Options{DockerHost: c.host, TempDir: tmp})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%s) on %s = %v, want %q", c.ref, c.host, err, c.want)
		}
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("temp dir holds %d files after errors", len(ents))
	}
}

func TestParseReference(t *testing.T) {
	for _, c := range []struct {
		in              string
		transport, p, n string
		err             string
	}{
		{in: "docker-archive:/x/a.tar", transport: DockerArchive, p: "/x/a.tar"},
		{in: "docker-archive:a.tar:app:1", transport: DockerArchive, p: "a.tar", n: "app:1"},
		{in: "oci:dir:tag", transport: OCILayout, p: "dir", n: "tag"},
		{in: "oci-archive:x.tar", transport: OCIArchive, p: "x.tar"},
		{in: "docker://reg.io/a/b:1", transport: Registry, n: "reg.io/a/b:1"},
		{in: "docker-daemon:app:1", transport: DockerDaemon, n: "app:1"},
		{in: "app:1"},
		{in: "localhost:5000/app:1"},
		{in: "./a.tar"},
		{in: "containers-storage:x", err: "containers-storage: transport is not supported"},
		{in: "my-app:single"},
		{in: "docker://", err: "needs an image name"},
		{in: "oci:", err: "needs a path"},
		{in: "", err: "empty"},
	} {
		r, err := ParseReference(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || r.Transport != c.transport || r.Path != c.p || r.Name != c.n {
			t.Errorf("%q: %+v %v", c.in, r, err)
		}
	}
	for in, want := range map[string]string{"linux/amd64": "linux/amd64", "linux/arm/v7": "linux/arm/v7"} {
		p, err := source.ParsePlatform(in)
		if err != nil || source.FormatPlatform(*p) != want {
			t.Errorf("source.ParsePlatform(%q) = %v, %v", in, p, err)
		}
	}
	for _, in := range []string{"linux", "linux/", "/amd64", "a/b/c/d"} {
		if _, err := source.ParsePlatform(in); err == nil {
			t.Errorf("source.ParsePlatform(%q) accepted", in)
		}
	}
}
