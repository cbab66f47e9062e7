package imagetest

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func smallSpec(c Compression) Image {
	return Image{
		Compression: c,
		Layers: []Layer{
			{CreatedBy: AddLegacy("rootfs", "/"), Entries: []Entry{
				{Path: "bin/sh", Size: 30000, Mode: 0o755},
				{Path: "bin/bash", Type: Hardlink, Link: "bin/sh"},
				{Path: "etc/os-release", Body: []byte("ID=test\n")},
				{Path: "usr/lib/os-release", Type: Symlink, Link: "../../etc/os-release"},
				{Path: "tmp/junk/a", Size: 1000},
			}},
			{CreatedBy: RunBuildKit("rm -rf /tmp/junk && echo hi > /etc/motd"), Comment: BuildKitComment, Entries: []Entry{
				{Path: "tmp/junk", Type: Whiteout},
				{Path: "etc/motd", Body: []byte("hi\n")},
			}},
		},
		EmptySteps: []EmptyStep{{At: 1, CreatedBy: NopLegacy("ENV A=b")}, {At: 2, CreatedBy: "USER app"}},
		Config:     v1.Config{User: "app", Entrypoint: []string{"/bin/sh"}},
	}
}

func mustBuild(t *testing.T, s Image) v1.Image {
	t.Helper()
	img, err := Build(s)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// tarEntries lists a layer tar as "name type size link" lines.
func tarEntries(t *testing.T, r io.Reader) []string {
	t.Helper()
	var out []string
	err := ReadTar(r, func(h *tar.Header, body io.Reader) error {
		n, err := io.Copy(io.Discard, body)
		out = append(out, strings.Join([]string{h.Name, string(h.Typeflag), strconv.FormatInt(n, 10), h.Linkname}, " "))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBuildWritesTheSpec(t *testing.T) {
	img := mustBuild(t, smallSpec(Gzip))
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := ls[0].Uncompressed()
	got := tarEntries(t, rc)
	want := []string{
		"bin/ 5 0 ", "bin/sh 0 30000 ", "bin/bash 1 0 bin/sh", "etc/ 5 0 ", "etc/os-release 0 8 ",
		"usr/ 5 0 ", "usr/lib/ 5 0 ", "usr/lib/os-release 2 0 ../../etc/os-release",
		"tmp/ 5 0 ", "tmp/junk/ 5 0 ", "tmp/junk/a 0 1000 ",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("layer 0 entries (-want +got):\n%s", d)
	}
	rc, _ = ls[1].Uncompressed()
	got = tarEntries(t, rc)
	want = []string{"tmp/ 5 0 ", "tmp/.wh.junk 0 0 ", "etc/ 5 0 ", "etc/motd 0 3 "}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("layer 1 entries (-want +got):\n%s", d)
	}

	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var hist []string
	for _, h := range cf.History {
		hist = append(hist, h.CreatedBy)
		if h.EmptyLayer {
			hist[len(hist)-1] += " (empty)"
		}
	}
	wantHist := []string{
		AddLegacy("rootfs", "/"),
		"/bin/sh -c #(nop)  ENV A=b (empty)",
		"RUN /bin/sh -c rm -rf /tmp/junk && echo hi > /etc/motd # buildkit",
		"USER app (empty)",
	}
	if d := cmp.Diff(wantHist, hist); d != "" {
		t.Errorf("history (-want +got):\n%s", d)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" || cf.Config.User != "app" {
		t.Errorf("config: %s/%s user %q", cf.OS, cf.Architecture, cf.Config.User)
	}
}

func TestContentIsCompressibleButNotTrivial(t *testing.T) {
	for _, c := range []Compression{Gzip, Zstd} {
		img := mustBuild(t, Image{Compression: c, Layers: []Layer{{Entries: []Entry{{Path: "f", Size: 1 << 20}}}}})
		ls, _ := img.Layers()
		size, _ := ls[0].Size()
		if ratio := float64(1<<20) / float64(size); ratio < 1.8 || ratio > 6 {
			t.Errorf("%v: 1 MiB compresses to %d bytes (ratio %.2f), want between 1.8 and 6", c, size, ratio)
		}
	}
	if a, b := Content("x", 100), Content("y", 100); bytes.Equal(a, b) {
		t.Error("two paths gave the same content")
	}
	if a, b := Content("x", 100), Content("x", 200); !bytes.Equal(a, b[:100]) {
		t.Error("a longer file does not start with the shorter one's bytes")
	}
}

// checkLayers compares got's layers with want's: same diffIDs, and each
// layer's uncompressed bytes hash to its diffID.
func checkLayers(t *testing.T, what string, want, got v1.Image, sameDigests bool) {
	t.Helper()
	wl, _ := want.Layers()
	gl, err := got.Layers()
	if err != nil {
		t.Fatalf("%s: layers: %v", what, err)
	}
	if len(wl) != len(gl) {
		t.Fatalf("%s: %d layers, want %d", what, len(gl), len(wl))
	}
	for i := range wl {
		wd, _ := wl[i].DiffID()
		gd, err := gl[i].DiffID()
		if err != nil || gd != wd {
			t.Errorf("%s: layer %d diffID %v (%v), want %v", what, i, gd, err, wd)
		}
		rc, err := gl[i].Uncompressed()
		if err != nil {
			t.Fatalf("%s: layer %d: %v", what, i, err)
		}
		h := sha256.New()
		if _, err := io.Copy(h, rc); err != nil {
			t.Fatalf("%s: layer %d: %v", what, i, err)
		}
		rc.Close()
		if hex.EncodeToString(h.Sum(nil)) != wd.Hex {
			t.Errorf("%s: layer %d content does not hash to its diffID", what, i)
		}
		if sameDigests {
			wg, _ := wl[i].Digest()
			gg, err := gl[i].Digest()
			if err != nil || gg != wg {
				t.Errorf("%s: layer %d digest %v (%v), want %v", what, i, gg, err, wg)
			}
		}
	}
	wc, _ := want.ConfigName()
	gc, err := got.ConfigName()
	if err != nil || gc != wc {
		t.Errorf("%s: config %v (%v), want %v", what, gc, err, wc)
	}
}

func TestWritersReadBackThroughGGCR(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []Compression{Uncompressed, Gzip, Zstd} {
		img := mustBuild(t, smallSpec(c))
		p := filepath.Join(dir, c.String())

		if c != Zstd { // ggcr's tarball reader knows gzip and plain tars only
			if err := WriteDockerArchive(p+"-old.tar", "app:1", img); err != nil {
				t.Fatal(err)
			}
			got, err := tarball.ImageFromPath(p+"-old.tar", nil)
			if err != nil {
				t.Fatal(err)
			}
			checkLayers(t, c.String()+" docker-archive", img, got, false)

			if err := WriteDockerArchive25(p+"-25.tar", "app:1", img, Docker25Options{}); err != nil {
				t.Fatal(err)
			}
			got, err = tarball.ImageFromPath(p+"-25.tar", nil)
			if err != nil {
				t.Fatal(err)
			}
			checkLayers(t, c.String()+" docker-archive 25", img, got, c == Gzip)
		}

		if err := WriteOCILayout(p+"-layout", "v1", img); err != nil {
			t.Fatal(err)
		}
		lp, err := layout.FromPath(p + "-layout")
		if err != nil {
			t.Fatal(err)
		}
		ii, err := lp.ImageIndex()
		if err != nil {
			t.Fatal(err)
		}
		im, _ := ii.IndexManifest()
		if len(im.Manifests) != 1 || im.Manifests[0].Annotations[AnnotationRefName] != "v1" {
			t.Fatalf("%v layout index: %+v", c, im.Manifests)
		}
		wantDigest, _ := img.Digest()
		got, err := ii.Image(wantDigest)
		if err != nil {
			t.Fatal(err)
		}
		checkLayers(t, c.String()+" oci layout", img, got, true)
	}
}

func TestDocker25ArchiveLayout(t *testing.T) {
	img := mustBuild(t, smallSpec(Uncompressed))
	p := filepath.Join(t.TempDir(), "d25.tar")
	if err := WriteDockerArchive25(p, "example.com/team/app:1", img, Docker25Options{OmitLayers: []int{0}}); err != nil {
		t.Fatal(err)
	}
	files := tarFiles(t, p)
	ls, _ := img.Layers()
	d0, _ := ls[0].DiffID()
	d1, _ := ls[1].DiffID()
	if _, ok := files["blobs/sha256/"+d0.Hex]; ok {
		t.Error("omitted layer 0 is in the archive")
	}
	if _, ok := files["blobs/sha256/"+d1.Hex]; !ok {
		t.Error("layer 1 (uncompressed: digest = diffID) is not in the archive")
	}
	for _, want := range []string{`"io.containerd.image.name":"example.com/team/app:1"`, `"org.opencontainers.image.ref.name":"1"`} {
		if !strings.Contains(string(files["index.json"]), want) {
			t.Errorf("index.json lacks %s: %s", want, files["index.json"])
		}
	}
	if !strings.Contains(string(files["manifest.json"]), `"RepoTags":["example.com/team/app:1"]`) ||
		!strings.Contains(string(files["manifest.json"]), `"blobs/sha256/`+d0.Hex+`"`) {
		t.Errorf("manifest.json: %s", files["manifest.json"])
	}
}

func tarFiles(t *testing.T, p string) map[string][]byte {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	err = ReadTar(f, func(h *tar.Header, body io.Reader) error {
		b, err := io.ReadAll(body)
		out[h.Name] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
