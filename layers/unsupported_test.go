package layers

import (
	"archive/tar"
	"bytes"
	"compress/bzip2"
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// bzip2Tar is `bzip2` of a tar holding a.txt ("hello\n"), made with
// Python's bz2 module.
const bzip2Tar = "425a6839314159265359858a5d9700006dfb80c990000440015580000862449e40080820005434827a0099190f2824a6a68c8d341a6207dde8321041e8422579c4da59c1021c1763adde2c1c228c41b4ea93c19b9a339daf9e8e5155167522203f177245385090858a5d97"

// TestUnsupportedLayers pins issue 13 defect 7's source part: a bzip2 layer
// is named as such (not "tar truncated"), a foreign layer as foreign (not
// "missing").
func TestUnsupportedLayers(t *testing.T) {
	bz, _ := hex.DecodeString(bzip2Tar)
	// The fixture is real bzip2 of a real tar: decode it independently.
	tr := tar.NewReader(bzip2.NewReader(bytes.NewReader(bz)))
	if h, err := tr.Next(); err != nil || h.Name != "a.txt" {
		t.Fatalf("fixture is not bzip2 of a tar: %v %v", h, err)
	}
	dir := t.TempDir()

	// A pre-25 docker save whose layer.tar is bzip2.
	lt := newLayerTar(t)
	diffID, _, _ := v1.SHA256(bytes.NewReader(bz))
	cfg, _ := json.Marshal(v1.ConfigFile{OS: "linux", Architecture: "amd64", RootFS: v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{diffID}}})
	lt.file("c.json", 0o644, cfg)
	lt.file("a/layer.tar", 0o644, bz)
	lt.writeSave(filepath.Join(dir, "bz.tar"), "c.json", "", []string{"a/layer.tar"})

	// An OCI layout with a bzip2 layer blob.
	img, err := mutate.AppendLayers(empty.Image, static.NewLayer(bz, types.OCIUncompressedLayer))
	if err != nil {
		t.Fatal(err)
	}
	img = withPlatform(t, img)
	writeLayout(t, filepath.Join(dir, "bzlayout"), img, "latest")

	for _, ref := range []string{filepath.Join(dir, "bz.tar"), "oci:" + filepath.Join(dir, "bzlayout")} {
		img, err := Open(context.Background(), ref, Options{})
		if err == nil {
			_, err = Walk(context.Background(), WalkOptions{Jobs: 1}, img)
			img.Close()
		}
		if err == nil || !strings.Contains(err.Error(), "bzip2-compressed layer is not supported") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err = %v, want one line: bzip2-compressed layer is not supported", ref, err)
		}
	}

	// A layout whose manifest points at a foreign layer it does not ship.
	fl := static.NewLayer(tarOf(t, "a", "1"), types.DockerForeignLayer)
	img, err = mutate.Append(empty.Image, mutate.Addendum{Layer: fl, URLs: []string{"https://example.com/base.tar.gz"}, MediaType: types.DockerForeignLayer})
	if err != nil {
		t.Fatal(err)
	}
	img = withPlatform(t, img)
	p := filepath.Join(dir, "foreign")
	lp, err := layout.Write(p, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	mf, _ := img.Manifest()
	os.Remove(filepath.Join(p, "blobs/sha256", mf.Layers[0].Digest.Hex)) // as a registry would: never shipped
	_, err = Open(context.Background(), "oci:"+p, Options{})
	if err == nil || !strings.Contains(err.Error(), "foreign (non-distributable) layer") || !strings.Contains(err.Error(), "https://example.com/base.tar.gz") {
		t.Errorf("foreign layer: err = %v", err)
	}
}

func withPlatform(t *testing.T, img v1.Image) v1.Image {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	out, err := mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
