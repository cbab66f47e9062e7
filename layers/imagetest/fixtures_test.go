package imagetest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

const committed = "../../testdata/fixtures"

// TestFixturesAreCurrent regenerates the fixture set and compares it byte
// for byte with the committed one: the generator is deterministic and the
// committed files are what it writes today.
func TestFixturesAreCurrent(t *testing.T) {
	dir := t.TempDir()
	if err := WriteFixtures(dir); err != nil {
		t.Fatal(err)
	}
	got := readTree(t, dir)
	want := readTree(t, committed)
	for n, b := range got {
		w, ok := want[n]
		switch {
		case !ok:
			t.Errorf("%s: not committed (run go generate ./testdata/gen)", n)
		case !bytes.Equal(b, w):
			t.Errorf("%s: differs from the committed file (run go generate ./testdata/gen and review)", n)
		}
	}
	for n := range want {
		if _, ok := got[n]; !ok {
			t.Errorf("%s: committed but no longer generated", n)
		}
	}
	// And a second run gives the same bytes.
	dir2 := t.TempDir()
	if err := WriteFixtures(dir2); err != nil {
		t.Fatal(err)
	}
	for n, b := range readTree(t, dir2) {
		if !bytes.Equal(b, got[n]) {
			t.Errorf("%s: two runs differ", n)
		}
	}
}

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func loadExpected(t *testing.T) Fixtures {
	t.Helper()
	fx, err := ReadFixtures(committed)
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

// TestExpectByHand pins Expect's figures for the fixture to sums done by
// hand from FixtureSpec, so expected.json is not just Expect checked
// against itself.
func TestExpectByHand(t *testing.T) {
	ex := Expect(FixtureSpec(""))
	arch := int64(len("amd64\n"))
	osRelease := int64(len("ID=fixture\nVERSION_ID=1\n"))
	// Layer 0: busybox (its two hard links add nothing), etc/arch,
	// etc/config, libc, opt/app/x+y, tmp/junk, os-release, three cache
	// files, and the symlinks' target lengths.
	l0 := 120_000 + arch + 2_000 + 80_000 + 10_000 + 20_000 + osRelease + 30_000 +
		int64(len("../usr/lib/os-release")+len("libc.so.6"))
	l1 := int64(3_000 + 4_000 + 50_000)
	l2 := 60_000 + int64(len("main")+len(`{"fixture":true}`+"\n")) + 51_000
	if ex.Layers[0].Size != l0 || ex.Layers[1].Size != l1 || ex.Layers[2].Size != l2 || ex.Size != l0+l1+l2 {
		t.Errorf("sizes = %d %d %d (total %d), want %d %d %d", ex.Layers[0].Size, ex.Layers[1].Size, ex.Layers[2].Size, ex.Size, l0, l1, l2)
	}
	// Deleted: tmp/junk, the var/cache/data tree, opt/app/x and y below
	// the opaque dir. Overwritten: etc/config's first copy, usr/bin/tool's.
	if ex.Deleted != 20_000+30_000+10_000 || ex.Overwritten != 2_000+50_000 || ex.Wasted != ex.Deleted+ex.Overwritten {
		t.Errorf("deleted %d overwritten %d wasted %d", ex.Deleted, ex.Overwritten, ex.Wasted)
	}
	if ex.FinalSize != ex.Size-ex.Wasted {
		t.Errorf("final size %d, want size - wasted = %d", ex.FinalSize, ex.Size-ex.Wasted)
	}
	// bin/{busybox,sh,ls}, etc/{arch,config,os-release}, lib/{libc.so.6,
	// libc.so}, opt/app/z, usr/lib/os-release, usr/bin/{tool,tool-alias},
	// app/{main,current,data.json}.
	if ex.FinalFiles != 15 {
		t.Errorf("final files = %d, want 15", ex.FinalFiles)
	}
	if len(ex.History) != 6 || !ex.History[1].EmptyLayer || ex.History[2].EmptyLayer {
		t.Errorf("history = %+v", ex.History)
	}
}

// layerFigures walks a layer tar the plain way (archive/tar) and sums
// Docker's size rule: what Expect predicts from the spec.
func layerFigures(t *testing.T, r io.Reader) (size int64, whiteouts, opaque []string) {
	t.Helper()
	err := ReadTar(r, func(h *tar.Header, _ io.Reader) error {
		base := path.Base(h.Name)
		switch {
		case base == ".wh..wh..opq":
			opaque = append(opaque, path.Dir(h.Name))
		case strings.HasPrefix(base, ".wh."):
			whiteouts = append(whiteouts, path.Join(path.Dir(h.Name), strings.TrimPrefix(base, ".wh.")))
		case h.Typeflag == tar.TypeReg:
			size += h.Size
		case h.Typeflag == tar.TypeSymlink:
			size += int64(len(h.Linkname))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return size, whiteouts, opaque
}

func checkExpected(t *testing.T, what string, ex Expected, img v1.Image) {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if p := cf.Platform().String(); p != ex.Platform {
		t.Errorf("%s: platform %s, want %s", what, p, ex.Platform)
	}
	if len(cf.History) != len(ex.History) {
		t.Errorf("%s: %d history entries, want %d", what, len(cf.History), len(ex.History))
	}
	ls, err := img.Layers()
	if err != nil || len(ls) != len(ex.Layers) {
		t.Fatalf("%s: %d layers (%v), want %d", what, len(ls), err, len(ex.Layers))
	}
	for i, l := range ls {
		d, _ := l.DiffID()
		if d.String() != ex.Layers[i].DiffID {
			t.Errorf("%s: layer %d diffID %s, want %s", what, i, d, ex.Layers[i].DiffID)
		}
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatalf("%s: layer %d: %v", what, i, err)
		}
		size, wh, op := layerFigures(t, rc)
		rc.Close()
		if size != ex.Layers[i].Size || strings.Join(wh, ",") != strings.Join(ex.Layers[i].Whiteouts, ",") || strings.Join(op, ",") != strings.Join(ex.Layers[i].OpaqueDirs, ",") {
			t.Errorf("%s: layer %d: size %d whiteouts %v opaque %v, want %d %v %v", what, i, size, wh, op, ex.Layers[i].Size, ex.Layers[i].Whiteouts, ex.Layers[i].OpaqueDirs)
		}
	}
}

// TestFixturesReadBack reads every committed fixture through ggcr and checks
// it against expected.json: diffIDs, platform, history length, and each
// layer's Docker size and whiteouts summed from the tar itself.
func TestFixturesReadBack(t *testing.T) {
	fx := loadExpected(t)
	at := func(n string) string { return filepath.Join(committed, n) }
	for _, n := range []string{FixtureDockerArchive, FixtureDockerArchive25, FixtureDockerArchive25Gzip} {
		img, err := tarball.ImageFromPath(at(n), nil)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		checkExpected(t, n, fx.Image, img)
	}
	fromLayout := func(dir string) v1.ImageIndex {
		p, err := layout.FromPath(dir)
		if err != nil {
			t.Fatal(err)
		}
		ii, err := p.ImageIndex()
		if err != nil {
			t.Fatal(err)
		}
		return ii
	}
	for _, n := range []string{FixtureOCILayoutGzip, FixtureOCILayoutZstd} {
		ii := fromLayout(at(n))
		m, _ := ii.IndexManifest()
		if len(m.Manifests) != 1 || m.Manifests[0].Annotations[AnnotationRefName] != FixtureRefName {
			t.Fatalf("%s: index.json %+v", n, m.Manifests)
		}
		img, err := ii.Image(m.Manifests[0].Digest)
		if err != nil {
			t.Fatal(err)
		}
		checkExpected(t, n, fx.Image, img)
		comp := "gzip"
		if n == FixtureOCILayoutZstd {
			comp = "zstd"
		}
		ls, _ := img.Layers()
		for i, l := range ls {
			d, _ := l.Digest()
			s, _ := l.Size()
			if want := fx.Image.Layers[i].Compressed[comp]; d.String() != want.Digest || s != want.Size {
				t.Errorf("%s: layer %d blob %s %d, want %+v", n, i, d, s, want)
			}
		}
	}

	// The index: one image per platform, each as expected.json says.
	outer := fromLayout(at(FixtureIndexLayout))
	m, _ := outer.IndexManifest()
	if len(m.Manifests) != 1 || !m.Manifests[0].MediaType.IsIndex() {
		t.Fatalf("index layout: index.json %+v", m.Manifests)
	}
	idx, err := outer.ImageIndex(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	if len(im.Manifests) != len(FixturePlatforms) {
		t.Fatalf("index has %d manifests", len(im.Manifests))
	}
	for _, d := range im.Manifests {
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		ex, ok := fx.Index[d.Platform.String()]
		if !ok {
			t.Fatalf("index platform %s not in expected.json", d.Platform)
		}
		checkExpected(t, "index "+d.Platform.String(), ex, img)
	}
	if fx.Index["linux/amd64"].Layers[0].DiffID == fx.Index["linux/arm64/v8"].Layers[0].DiffID {
		t.Error("the two platforms' images share their base layer: they should differ")
	}

	// The archive holds the same files as the layout.
	files := tarFiles(t, at(FixtureIndexArchive))
	for n, b := range readTree(t, at(FixtureIndexLayout)) {
		if !bytes.Equal(files[n], b) {
			t.Errorf("%s: %s differs from the layout's", FixtureIndexArchive, n)
		}
	}
}

func TestCorruptHelpers(t *testing.T) {
	dir := t.TempDir()
	img := mustBuild(t, smallSpec(Gzip))
	lay := filepath.Join(dir, "layout")
	if err := WriteOCILayout(lay, "x", img); err != nil {
		t.Fatal(err)
	}
	ls, _ := img.Layers()
	d1, _ := ls[1].Digest()
	blob := filepath.Join(lay, "blobs", "sha256", d1.Hex)

	if err := MismatchLayerBlob(lay, 1); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	if s := sha256.Sum256(b); hex.EncodeToString(s[:]) == d1.Hex {
		t.Error("MismatchLayerBlob left the digest matching")
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	diff, _ := ls[1].DiffID()
	if s := sha256.Sum256(raw); err != nil || hex.EncodeToString(s[:]) != diff.Hex {
		t.Errorf("MismatchLayerBlob broke the content: %v", err)
	}

	if err := RemoveLayerBlob(lay, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(blob); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("RemoveLayerBlob: blob still there (%v)", err)
	}

	rc, _ := BadGzipLayer().Compressed()
	zr, err = gzip.NewReader(rc)
	if err == nil {
		_, err = io.ReadAll(zr)
	}
	if err == nil {
		t.Error("BadGzipLayer decompressed without error")
	}

	p := filepath.Join(dir, "old.tar")
	if err := WriteDockerArchive(p, "app:1", img); err != nil {
		t.Fatal(err)
	}
	if err := Truncate(p, -1); err != nil {
		t.Fatal(err)
	}
	if _, err := tarball.ImageFromPath(p, nil); err == nil {
		t.Error("a truncated docker archive reads without error")
	}
}
