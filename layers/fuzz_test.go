package layers

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Fuzz targets for what layers parses of untrusted bytes: image
// references, the docker save manifest and image config, the OCI index and
// manifest. (The tar header reader is FuzzFastTar, the cache codec
// cache.FuzzDecodeEntry.) Each opens and walks what the fuzzer wrote, and
// must return an image or an error: never panic or hang. Inputs that ever
// failed are kept in testdata/fuzz/FuzzX, where go test runs them as
// regression cases; `make fuzz` runs every target for a while.

// FuzzParseReference: any string parses or is refused; what parses keeps
// the string as given and parses again to the same reference.
func FuzzParseReference(f *testing.F) {
	for _, s := range []string{
		"docker-archive:/tmp/a.tar:app:1", "oci:dir:tag", "oci-archive:x.tar", "docker://reg:5000/a/b@sha256:" + strings.Repeat("a", 64),
		"docker-daemon:app:latest", "my-app:single", "localhost:5000/app", "app", "", "docker://", "a:b/c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReference(s)
		if err != nil {
			return
		}
		if r.Raw != s || r.String() != s {
			t.Fatalf("ParseReference(%q).Raw = %q", s, r.Raw)
		}
		again, err := ParseReference(r.String())
		if err != nil || again != r {
			t.Fatalf("ParseReference(%q) = %+v, then %+v, %v", s, r, again, err)
		}
	})
}

// fuzzLayer is the one layer of the fuzzed images: a valid tar.
func fuzzLayer(t testing.TB) (data []byte, digest string) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []tar.Header{
		{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "etc/os-release", Typeflag: tar.TypeReg, Mode: 0o644, Size: 3},
		{Name: "bin/sh", Typeflag: tar.TypeSymlink, Linkname: "busybox"},
	} {
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		tw.Write(make([]byte, h.Size))
	}
	tw.Close()
	sum := sha256.Sum256(buf.Bytes())
	return buf.Bytes(), "sha256:" + hex.EncodeToString(sum[:])
}

func blobSHA(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// openAndWalk opens ref and walks it, with a deadline that turns a hang
// into a failure.
func openAndWalk(t *testing.T, ref string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	img, err := Open(ctx, ref, Options{})
	if err != nil {
		return
	}
	defer img.Close()
	if len(img.Layers) != len(img.Config.RootFS.DiffIDs) {
		t.Fatalf("opened with %d layers and %d diffIDs", len(img.Layers), len(img.Config.RootFS.DiffIDs))
	}
	out, err := Walk(ctx, WalkOptions{Jobs: 2}, img)
	if ctx.Err() != nil {
		t.Fatalf("open and walk took longer than 10 s: %v", err)
	}
	if err == nil && len(out[0].Layers) != len(img.Layers) {
		t.Fatalf("walked %d of %d layers", len(out[0].Layers), len(img.Layers))
	}
}

const fuzzConfig = `{"architecture":"amd64","os":"linux","config":{"User":"app","Env":["PATH=/bin"]},` +
	`"rootfs":{"type":"layers","diff_ids":["@DIFFID@"]},"history":[{"created_by":"/bin/sh -c #(nop) ADD file:x in / "}]}`

// FuzzDockerArchive writes a docker save archive whose manifest.json and
// config the fuzzer chooses ("@DIFFID@" in the config stands for the
// layer's real diffID), then opens and walks it.
func FuzzDockerArchive(f *testing.F) {
	f.Add([]byte(`[{"Config":"config.json","RepoTags":["app:1"],"Layers":["layer.tar"]}]`), []byte(fuzzConfig))
	f.Add([]byte(`[{"Config":"config.json","Layers":["layer.tar","layer.tar"]}]`), []byte(strings.Replace(fuzzConfig, `"@DIFFID@"`, `"@DIFFID@","@DIFFID@"`, 1)))
	f.Add([]byte(`[]`), []byte(`{}`))
	layer, diffID := fuzzLayer(f)
	f.Fuzz(func(t *testing.T, manifest, config []byte) {
		config = bytes.ReplaceAll(config, []byte("@DIFFID@"), []byte(diffID))
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, file := range []struct {
			name string
			data []byte
		}{{"manifest.json", manifest}, {"config.json", config}, {"layer.tar", layer}} {
			tw.WriteHeader(&tar.Header{Name: file.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(file.data))})
			tw.Write(file.data)
		}
		tw.Close()
		p := filepath.Join(t.TempDir(), "image.tar")
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		openAndWalk(t, "docker-archive:"+p)
	})
}

// FuzzOCILayout writes an OCI layout whose index.json, manifest and config
// the fuzzer chooses, then opens and walks it. Blobs are stored under
// their real digests; in the inputs "@MANIFEST@", "@CONFIG@" and "@LAYER@"
// stand for the digests of the manifest, config and layer,
// "@MANIFESTSIZE@" and so on for their sizes, and "@DIFFID@" for the
// layer's diffID.
func FuzzOCILayout(f *testing.F) {
	index := `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",` +
		`"digest":"@MANIFEST@","size":@MANIFESTSIZE@,"annotations":{"org.opencontainers.image.ref.name":"1"}}]}`
	manifest := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",` +
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"@CONFIG@","size":@CONFIGSIZE@},` +
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"@LAYER@","size":@LAYERSIZE@}]}`
	f.Add([]byte(index), []byte(manifest), []byte(fuzzConfig))
	nested := `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"@MANIFEST@","size":@MANIFESTSIZE@}]}`
	f.Add([]byte(nested), []byte(index), []byte(fuzzConfig)) // an index pointing at itself
	f.Add([]byte(`{}`), []byte(`{}`), []byte(`{}`))
	layer, diffID := fuzzLayer(f)
	f.Fuzz(func(t *testing.T, index, manifest, config []byte) {
		config = bytes.ReplaceAll(config, []byte("@DIFFID@"), []byte(diffID))
		subst := func(b []byte, name string, blob []byte) []byte {
			b = bytes.ReplaceAll(b, []byte("@"+name+"SIZE@"), []byte(strconv.Itoa(len(blob))))
			return bytes.ReplaceAll(b, []byte("@"+name+"@"), []byte(blobSHA(blob)))
		}
		manifest = subst(subst(manifest, "CONFIG", config), "LAYER", layer)
		index = subst(index, "MANIFEST", manifest)
		dir := t.TempDir()
		blobs := filepath.Join(dir, "blobs", "sha256")
		if err := os.MkdirAll(blobs, 0o755); err != nil {
			t.Fatal(err)
		}
		write := func(name string, data []byte) {
			if err := os.WriteFile(name, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`))
		write(filepath.Join(dir, "index.json"), index)
		for _, b := range [][]byte{manifest, config, layer} {
			write(filepath.Join(blobs, strings.TrimPrefix(blobSHA(b), "sha256:")), b)
		}
		openAndWalk(t, "oci:"+dir)
	})
}
