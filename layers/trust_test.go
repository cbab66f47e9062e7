package layers

import (
	"archive/tar"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/imgdiff/imgdiff/layers/cache"
	"github.com/imgdiff/imgdiff/layers/index"
	"github.com/imgdiff/imgdiff/layers/registry/registrytest"
)

// honestAndLiar returns an honest two-layer image and a hostile one whose
// second layer carries .env and a private key but whose config claims the
// honest app layer's diffID for it, and a third image whose two layers
// both claim the honest base layer's diffID.
func honestAndLiar(t *testing.T) (honest, liar, twice v1.Image) {
	t.Helper()
	base := layerOf(t, "etc/", "", "etc/os-release", "ID=test\n")
	app := layerOf(t, "app/", "", "app/main", strings.Repeat("y", 1000))
	evil := layerOf(t, "app/", "", "app/main", strings.Repeat("y", 1000), "app/.env", "AWS_SECRET_ACCESS_KEY=x", "root/.ssh/id_rsa", "-----BEGIN RSA PRIVATE KEY-----\n")
	build := func(ls ...v1.Layer) v1.Image {
		img := empty.Image
		for _, l := range ls {
			var err error
			if img, err = mutate.AppendLayers(img, l); err != nil {
				t.Fatal(err)
			}
		}
		return img
	}
	lie := func(img v1.Image, claims ...v1.Layer) v1.Image {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture = "linux", "amd64"
		for i, l := range claims {
			if cf.RootFS.DiffIDs[i], err = l.DiffID(); err != nil {
				t.Fatal(err)
			}
		}
		out, err := mutate.ConfigFile(img, cf)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	honest = lie(build(base, app), base, app)
	liar = lie(build(base, evil), base, app)
	twice = lie(build(base, evil), base, base)
	return honest, liar, twice
}

// writeDocker25 writes a Docker 25+ `docker save`: layers as OCI blobs
// named by their (compressed) digest.
func writeDocker25(t *testing.T, p string, img v1.Image, tag string) {
	t.Helper()
	lt := newLayerTar(t)
	blob := func(hex string) string { return "blobs/sha256/" + hex }
	config := lt.config(img, blob)
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range ls {
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		if n := blob(d.Hex); !slices.Contains(names, n) {
			lt.blob(n, l.Compressed)
		}
		names = append(names, blob(d.Hex))
	}
	lt.writeSave(p, config, tag, names)
}

// formats writes img in every local source format and pushes it to reg,
// returning a reference per format.
func formats(t *testing.T, dir, name string, img v1.Image, host string) map[string]string {
	t.Helper()
	d := filepath.Join(dir, name)
	os.MkdirAll(d, 0o755)
	writeLayout(t, filepath.Join(d, "layout"), img, "latest")
	tarDir(t, filepath.Join(d, "layout"), filepath.Join(d, "oci.tar"))
	writeOldDockerSave(t, filepath.Join(d, "old.tar"), img, "app:1", func(i int) string { return string(rune('a'+i)) + "/layer.tar" })
	writeDocker25(t, filepath.Join(d, "d25.tar"), img, "app:1")
	registrytest.Push(t, host+"/"+name+":1", img)
	return map[string]string{
		"oci":            "oci:" + filepath.Join(d, "layout"),
		"oci-archive":    "oci-archive:" + filepath.Join(d, "oci.tar"),
		"docker-archive": "docker-archive:" + filepath.Join(d, "old.tar"),
		"docker-25":      "docker-archive:" + filepath.Join(d, "d25.tar"),
		"registry":       "docker://" + host + "/" + name + ":1",
	}
}

func hasPath(l *index.Layer, p string) bool {
	return slices.ContainsFunc(l.Entries, func(e index.Entry) bool { return e.Path == p })
}

// TestClaimedDiffIDsAreNotTrusted pins issue 13 defect 1: an image whose
// config claims another layer's diffID is walked from its own bytes, in
// every source format, walked together with the honest image (compare),
// after it with a warm cache, and with two of its own layers claiming one
// diffID; and the walk never says the lying layer is the honest one.
func TestClaimedDiffIDsAreNotTrusted(t *testing.T) {
	honest, liar, twice := honestAndLiar(t)
	host := registrytest.Serve(t, nil)
	dir := t.TempDir()
	h := formats(t, dir, "honest", honest, host)
	l := formats(t, dir, "liar", liar, host)
	w := formats(t, dir, "twice", twice, host)

	open := func(t *testing.T, ref string) *Image {
		t.Helper()
		img, err := Open(context.Background(), ref, Options{Jobs: 2})
		if err != nil {
			t.Fatalf("Open(%s): %v", ref, err)
		}
		t.Cleanup(func() { img.Close() })
		return img
	}
	check := func(t *testing.T, what string, evil *index.Layer, honestApp *index.Layer) {
		t.Helper()
		if !hasPath(evil, "app/.env") || !hasPath(evil, "root/.ssh/id_rsa") {
			t.Errorf("%s: the lying layer was served another layer's index: %d entries, size %d", what, len(evil.Entries), evil.Size)
		}
		if honestApp != nil && (evil.Identity == honestApp.Identity || evil.Identity == "") {
			t.Errorf("%s: lying layer identity %q, honest %q: want different, non-empty", what, evil.Identity, honestApp.Identity)
		}
	}
	for _, f := range []string{"oci", "oci-archive", "docker-archive", "docker-25", "registry"} {
		t.Run(f, func(t *testing.T) {
			// Together, as compare walks them, no cache.
			walked, err := Walk(context.Background(), WalkOptions{Jobs: 2}, open(t, h[f]), open(t, l[f]))
			if err != nil {
				t.Fatal(err)
			}
			check(t, "compare", walked[1].Layers[1], walked[0].Layers[1])
			if walked[0].Layers[0].Identity != walked[1].Layers[0].Identity && f != "docker-archive" {
				// Pre-25 archives hash nothing: two files are never shown equal.
				t.Errorf("honest shared base layer: identities %q and %q", walked[0].Layers[0].Identity, walked[1].Layers[0].Identity)
			}
			if hasPath(walked[0].Layers[1], "app/.env") {
				t.Error("the honest image was served the lying layer's index")
			}

			// Honest first into a cache, then the liar from it, then
			// the liar cached and the honest after it.
			c, err := cache.Open(t.TempDir(), cache.Options{})
			if err != nil {
				t.Fatal(err)
			}
			wo := WalkOptions{Jobs: 2, Cache: c}
			if _, err := Walk(context.Background(), wo, open(t, h[f])); err != nil {
				t.Fatal(err)
			}
			got, err := Walk(context.Background(), wo, open(t, l[f]))
			if err != nil {
				t.Fatal(err)
			}
			check(t, "warm cache", got[0].Layers[1], nil)
			got, err = Walk(context.Background(), wo, open(t, h[f]))
			if err != nil {
				t.Fatal(err)
			}
			if hasPath(got[0].Layers[1], "app/.env") {
				t.Error("warm cache: the honest image was served the lying layer's index")
			}

			// Two layers of one image claim one diffID.
			got, err = Walk(context.Background(), WalkOptions{Jobs: 2, Cache: c}, open(t, w[f]))
			if err != nil {
				t.Fatal(err)
			}
			check(t, "one image", got[0].Layers[1], got[0].Layers[0])
		})
	}
}

// TestCrossFileCachePoisoning: a pre-25 docker save analysed after a real
// one, claiming its diffIDs, is not served the real one's cached index
// (the old cache key was the claimed diffID alone).
func TestCrossFileCachePoisoning(t *testing.T) {
	honest, liar, _ := honestAndLiar(t)
	dir := t.TempDir()
	c, err := cache.Open(t.TempDir(), cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	writeOldDockerSave(t, filepath.Join(dir, "real.tar"), honest, "app:1", func(i int) string { return string(rune('a'+i)) + "/layer.tar" })
	writeOldDockerSave(t, filepath.Join(dir, "crafted.tar"), liar, "app:1", func(i int) string { return string(rune('a'+i)) + "/layer.tar" })
	for i, p := range []string{"real.tar", "crafted.tar", "crafted.tar"} {
		img, err := Open(context.Background(), filepath.Join(dir, p), Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := Walk(context.Background(), WalkOptions{Jobs: 1, Cache: c}, img)
		img.Close()
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && !hasPath(got[0].Layers[1], "app/.env") {
			t.Errorf("walk %d of the crafted archive was served the real archive's cached index", i)
		}
	}
	if hits, _ := c.Stats(); hits != 2 && runtime.GOOS == "linux" { // elsewhere local files have no fingerprint and are not cached
		// The crafted archive's second walk hits its own entries.
		t.Errorf("%d cache hits, want 2 (the same unchanged file again)", hits)
	}
}

// TestCheckedDiffIDMismatch: an uncompressed layer blob, whose digest is
// checked as it is read, is its diffID; a config that claims another is a
// one-line error, from a layout and from a registry.
func TestCheckedDiffIDMismatch(t *testing.T) {
	raw := tarOf(t, "a", "1")
	other := tarOf(t, "b", "2")
	l := static.NewLayer(raw, types.OCIUncompressedLayer)
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.RootFS.DiffIDs[0], _ = static.NewLayer(other, types.OCIUncompressedLayer).DiffID()
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeLayout(t, filepath.Join(dir, "layout"), img, "latest")
	host := registrytest.Serve(t, nil)
	registrytest.Push(t, host+"/u:1", img)
	for _, ref := range []string{"oci:" + dir + "/layout", "docker://" + host + "/u:1"} {
		_, err := Open(context.Background(), ref, Options{Jobs: 1})
		if err == nil || !strings.Contains(err.Error(), "the config claims diffID") || strings.Contains(err.Error(), "\n") {
			t.Errorf("Open(%s) = %v, want one line about the claimed diffID", ref, err)
		}
	}
}

// TestLocalCopyOfABlobIsHashed: a layout whose blob file is named by the
// digest of another image's layer but holds other bytes is caught even
// when the walk reads the layer once for both images (and with a warm
// cache), instead of being served the other image's index.
func TestLocalCopyOfABlobIsHashed(t *testing.T) {
	honest, _, _ := honestAndLiar(t)
	dir := t.TempDir()
	writeLayout(t, filepath.Join(dir, "honest"), honest, "latest")
	tampered := filepath.Join(dir, "tampered")
	os.CopyFS(tampered, os.DirFS(filepath.Join(dir, "honest")))
	m, _ := honest.Manifest()
	blob := filepath.Join(tampered, "blobs/sha256", m.Layers[1].Digest.Hex)
	b, _ := os.ReadFile(blob)
	b[4] ^= 0x01 // the gzip MTIME: same size, still valid gzip, other digest
	os.Remove(blob)
	os.WriteFile(blob, b, 0o644)

	c, err := cache.Open(t.TempDir(), cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, wo := range []WalkOptions{{Jobs: 2}, {Jobs: 2, Cache: c}, {Jobs: 2, Cache: c}} {
		var imgs []*Image
		for _, p := range []string{"honest", "tampered"} {
			img, err := Open(context.Background(), "oci:"+filepath.Join(dir, p), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer img.Close()
			imgs = append(imgs, img)
		}
		_, err := Walk(context.Background(), wo, imgs...)
		if err == nil || !strings.Contains(err.Error(), "digest mismatch") || !strings.Contains(err.Error(), "tampered") {
			t.Errorf("cache %v: err = %v, want a digest mismatch naming the tampered layout", wo.Cache != nil, err)
		}
	}
}

// TestOldDockerSaveLinkedLayer pins issue 13 defect 5: Docker before 25
// stores a layer repeated in one save once and makes the other copy a
// symlink (c/layer.tar -> ../a/layer.tar); imgdiff follows links inside
// the archive and refuses ones that leave it.
func TestOldDockerSaveLinkedLayer(t *testing.T) {
	base := layerOf(t, "etc/", "", "etc/os-release", "ID=test\n")
	img, err := mutate.AppendLayers(empty.Image, base, base)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(p, linkTarget string, hard bool) {
		lt := newLayerTar(t)
		config := lt.config(img, func(hex string) string { return hex + ".json" })
		lt.blob("a/layer.tar", base.Uncompressed)
		h := &tar.Header{Name: "c/layer.tar", Typeflag: tar.TypeSymlink, Linkname: linkTarget, Mode: 0o644}
		if hard {
			h.Typeflag = tar.TypeLink
		}
		lt.entry(h)
		lt.writeSave(p, config, "app:1", []string{"a/layer.tar", "c/layer.tar"})
	}
	write(filepath.Join(dir, "sym.tar"), "../a/layer.tar", false)
	write(filepath.Join(dir, "hard.tar"), "a/layer.tar", true)
	write(filepath.Join(dir, "out.tar"), "../../a/layer.tar", false)
	write(filepath.Join(dir, "abs.tar"), "/etc/passwd", false)
	for _, p := range []string{"sym.tar", "hard.tar"} {
		_, got := walkOne(t, filepath.Join(dir, p), Options{})
		if len(got.Layers) != 2 || !hasPath(got.Layers[1], "etc/os-release") || got.Layers[1].Identity != got.Layers[0].Identity {
			t.Errorf("%s: linked layer not read as its target: %+v", p, got.Layers)
		}
	}
	for _, p := range []string{"out.tar", "abs.tar"} {
		_, err := Open(context.Background(), filepath.Join(dir, p), Options{})
		if err == nil || !strings.Contains(err.Error(), "leaves the archive") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err = %v, want one line: leaves the archive", p, err)
		}
	}
}
