package imagetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Broken inputs, made the way real ones break, for error-path tests.

// Truncate cuts the file at path to its first keep bytes (a download or a
// `docker save` cut short). A negative keep keeps half the file.
func Truncate(path string, keep int64) error {
	if keep < 0 {
		fi, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("truncate: %w", err)
		}
		keep = fi.Size() / 2
	}
	if err := os.Truncate(path, keep); err != nil {
		return fmt.Errorf("truncate: %w", err)
	}
	return nil
}

// BadGzipLayer is a layer whose blob starts as gzip (magic and header) and
// then holds garbage. Its digest and size match the blob, so only the
// decompressor can tell: writers copy it, readers must fail cleanly.
func BadGzipLayer() v1.Layer {
	raw, _ := LayerTar([]Entry{{Path: "bad/file", Size: 4096}}) // a fixed spec: cannot fail
	blob := append([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}, bytes.Repeat([]byte{0xff}, 512)...)
	return &memLayer{raw: raw, blob: blob, diffID: sha(raw), digest: sha(blob), mt: types.OCILayer}
}

// TruncatedLayer is a layer whose compressed blob was cut in the middle of
// the stream, with a digest and size that match the cut blob: a writer that
// died half-way and then recorded what it had. Only the decompressor can
// tell.
func TruncatedLayer(c Compression) (v1.Layer, error) {
	entries := []Entry{{Path: "app/a", Size: 300_000}, {Path: "app/b", Size: 300_000}}
	l, err := newLayer(entries, c, 0)
	if err != nil {
		return nil, err
	}
	cut := *l // newLayer's layer may be shared: cut a copy
	cut.blob = l.blob[:len(l.blob)/2]
	cut.digest = sha(cut.blob)
	return &cut, nil
}

// BadZstdLayer is BadGzipLayer for zstd: a frame header and then garbage.
func BadZstdLayer() v1.Layer {
	raw, _ := LayerTar([]Entry{{Path: "bad/file", Size: 4096}}) // a fixed spec: cannot fail
	blob := append([]byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58}, bytes.Repeat([]byte{0xff}, 512)...)
	return &memLayer{raw: raw, blob: blob, diffID: sha(raw), digest: sha(blob), mt: types.OCILayerZStd}
}

// layoutLayers returns the blob paths of the layers of the image a layout
// directory holds (its first index.json entry, which must be an image).
func layoutLayers(dir string) ([]string, error) {
	blobPath := func(d v1.Hash) string { return filepath.Join(dir, "blobs", d.Algorithm, d.Hex) }
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		return nil, err
	}
	var idx v1.IndexManifest
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("index.json: %w", err)
	}
	if len(idx.Manifests) == 0 || idx.Manifests[0].MediaType.IsIndex() {
		return nil, fmt.Errorf("%s: first index.json entry is not an image", dir)
	}
	b, err = os.ReadFile(blobPath(idx.Manifests[0].Digest))
	if err != nil {
		return nil, err
	}
	var m v1.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	var out []string
	for _, l := range m.Layers {
		out = append(out, blobPath(l.Digest))
	}
	return out, nil
}

func layoutLayer(dir string, layer int) (string, error) {
	ls, err := layoutLayers(dir)
	if err != nil {
		return "", err
	}
	if layer < 0 || layer >= len(ls) {
		return "", fmt.Errorf("layer %d: the image has %d layers", layer, len(ls))
	}
	return ls[layer], nil
}

// RemoveLayerBlob deletes the blob of the layer-th layer of the image in
// an OCI layout directory: a missing blob.
func RemoveLayerBlob(dir string, layer int) error {
	p, err := layoutLayer(dir, layer)
	if err == nil {
		err = os.Remove(p)
	}
	if err != nil {
		return fmt.Errorf("remove layer blob: %w", err)
	}
	return nil
}

// MismatchLayerBlob replaces the blob of the layer-th layer of the image in
// an OCI layout directory with other bytes that are still a valid blob of
// the same kind (re-compressed at another level, or a tar with extra
// padding), so the one thing wrong is that the blob's digest no longer
// matches its name.
func MismatchLayerBlob(dir string, layer int) error {
	p, err := layoutLayer(dir, layer)
	if err == nil {
		err = mismatch(p)
	}
	if err != nil {
		return fmt.Errorf("mismatch layer blob: %w", err)
	}
	return nil
}

func mismatch(p string) error {
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	var out []byte
	switch {
	case bytes.HasPrefix(b, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return err
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.NoCompression) // a valid level
		zw.Write(raw)
		zw.Close()
		out = buf.Bytes()
	case bytes.HasPrefix(b, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		dec, err := zstd.NewReader(nil)
		if err != nil {
			return err
		}
		raw, err := dec.DecodeAll(b, nil)
		dec.Close()
		if err != nil {
			return err
		}
		enc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderCRC(false))
		out = enc.EncodeAll(raw, nil)
		enc.Close()
	default:
		// An uncompressed tar: more zero blocks after the end marker
		// still read as the same archive.
		out = append(b, make([]byte, 1024)...)
	}
	if bytes.Equal(out, b) {
		return fmt.Errorf("%s: re-encoding gave the same bytes", p)
	}
	return os.WriteFile(p, out, 0o644)
}
