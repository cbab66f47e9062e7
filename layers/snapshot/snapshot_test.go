package snapshot

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/gzip"

	"github.com/imgdiff/imgdiff/layers/index"
	"github.com/imgdiff/imgdiff/layers/internal/codec"
	"github.com/imgdiff/imgdiff/layers/source"
)

const (
	diff0 = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
	diff1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
)

// sample is a walked two-layer image, written by hand.
func sample() *index.Image {
	cfg := &v1.ConfigFile{OS: "linux", Architecture: "arm64", Variant: "v8",
		RootFS:  v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{mustHash(diff0), mustHash(diff1)}},
		History: []v1.History{{CreatedBy: "ADD rootfs /"}, {CreatedBy: "RUN make # buildkit"}},
		Config:  v1.Config{Entrypoint: []string{"/app"}, Env: []string{"A=b"}}}
	return &index.Image{
		Ref: "app:main", Transport: "docker", Platform: "linux/arm64/v8", Digest: "sha256:abcd",
		ManifestSize: 500, ConfigSize: 1200, Config: cfg,
		Annotations: map[string]string{"org.opencontainers.image.base.name": "docker.io/library/debian:bookworm"},
		Layers: []*index.Layer{
			{DiffID: diff0, Digest: "sha256:b0", CompressedSize: 40, MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Identity: "blob:sha256:b0",
				Entries:  []index.Entry{{Path: "etc", Kind: index.Dir, Mode: 0o755}, {Path: "etc/passwd", Kind: index.File, Size: 30, Mode: 0o644}},
				Contents: map[string][]byte{"etc/passwd": []byte("root:x:0:0::/root:/bin/sh\n....")}, Size: 30},
			{DiffID: diff1, CompressedSize: -1, Identity: "",
				Entries:   []index.Entry{{Path: "app", Kind: index.File, Size: 7, Mode: 0o755, UID: 1000}, {Path: "bin/sh", Kind: index.Hardlink, Link: "app"}},
				Whiteouts: []string{"etc/passwd"}, OpaqueDirs: []string{"tmp"}, Size: 7},
		},
	}
}

func mustHash(s string) v1.Hash {
	h, err := v1.NewHash(s)
	if err != nil {
		panic(err)
	}
	return h
}

var created = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)

func encode(t testing.TB, img *index.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, img, Meta{Created: created, Imgdiff: "v1.2.3", CaptureKey: "classify-1-x", Provenance: []byte(`{"x":1}`), Redacted: json.RawMessage(`[]`)}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestRoundTrip: what Read returns is what was written: the layers'
// indexes and blob facts, the config, the platform, and what the snapshot
// recorded (of which image, when, with which capture set).
func TestRoundTrip(t *testing.T) {
	want := sample()
	path := filepath.Join(t.TempDir(), "a.snap")
	var b bytes.Buffer
	if err := Write(&b, want, Meta{Created: created, Imgdiff: "v1.2.3", CaptureKey: "classify-1-x", Provenance: []byte(`{"x":1}`)}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	img, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if img.Transport != Transport || img.Digest != "sha256:abcd" || img.ManifestSize != 500 || img.ConfigSize != 1200 ||
		img.Platform.String() != "linux/arm64/v8" || string(img.Provenance) != `{"x":1}` {
		t.Errorf("image %+v", img)
	}
	// The manifest's annotations name the base: a compare from the
	// snapshot must find the base as one from the image does.
	if d := cmp.Diff(want.Annotations, img.Annotations); d != "" {
		t.Errorf("annotations (-want +got):\n%s", d)
	}
	wantSn := &index.Snapshot{Ref: "app:main", Transport: "docker", Created: created, Imgdiff: "v1.2.3", CaptureKey: "classify-1-x"}
	if d := cmp.Diff(wantSn, img.Snapshot); d != "" {
		t.Errorf("snapshot (-want +got):\n%s", d)
	}
	if d := cmp.Diff(want.Config, img.Config); d != "" {
		t.Errorf("config (-want +got):\n%s", d)
	}
	for i, l := range img.Layers {
		ix, ok := l.(source.Indexed)
		if !ok {
			t.Fatalf("layer %d is not indexed", i)
		}
		got, err := ix.Index()
		if err != nil {
			t.Fatal(err)
		}
		w := *want.Layers[i]
		if l.DiffID().String() != w.DiffID || ix.Same() != w.Identity || l.Blob() != (source.Blob{Digest: w.Digest, Size: w.CompressedSize, MediaType: w.MediaType}) {
			t.Errorf("layer %d: diffID %s, same %q, blob %+v", i, l.DiffID(), ix.Same(), l.Blob())
		}
		// The file part is what the index holds; blob facts are the layer's.
		w.Digest, w.CompressedSize, w.MediaType, w.Identity = "", 0, "", ""
		if d := cmp.Diff(&w, got); d != "" {
			t.Errorf("layer %d index (-want +got):\n%s", i, d)
		}
		if _, err := l.Open(t.Context()); err == nil {
			t.Errorf("layer %d opened bytes a snapshot does not have", i)
		}
	}
}

// raw builds a decompressed snapshot stream from its parts.
func raw(schema uint64, header []byte, payloads ...[]byte) []byte {
	b := append([]byte{}, magic...)
	b = binary.AppendUvarint(b, schema)
	b = binary.AppendUvarint(b, uint64(len(header)))
	b = append(b, header...)
	for _, p := range payloads {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	return b
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// plain returns the decompressed stream of a snapshot.
func plain(t testing.TB, snap []byte) []byte {
	t.Helper()
	r, err := gzip.NewReader(bytes.NewReader(snap))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// headerOf returns a valid header and payloads for img, to be tampered with.
func headerOf(t testing.TB, img *index.Image) (map[string]any, [][]byte) {
	t.Helper()
	p := plain(t, encode(t, img))
	d := p[len(magic)+1:]
	n, k := binary.Uvarint(d)
	var h map[string]any
	if err := json.Unmarshal(d[k:k+int(n)], &h); err != nil {
		t.Fatal(err)
	}
	var payloads [][]byte
	for _, l := range img.Layers {
		payloads = append(payloads, codec.Encode(l))
	}
	return h, payloads
}

func js(v any) []byte { b, _ := json.Marshal(v); return b }

// TestHostile: what no imgdiff writes is refused with one line that says
// what is wrong, without panicking or allocating what it claims: another
// schema, no gzip, a truncated file, a gzip bomb, a claimed length beyond
// the bound, layers that are not the config's, paths that climb out of
// the root, bad UTF-8, unknown fields, trailing bytes.
func TestHostile(t *testing.T) {
	h, payloads := headerOf(t, sample())
	good := raw(Schema, js(h), payloads...)
	if _, err := readPlain(bytes.NewReader(good), Options{}); err != nil {
		t.Fatalf("the untampered stream: %v", err)
	}
	with := func(k string, v any) []byte {
		m := map[string]any{}
		for kk, vv := range h {
			m[kk] = vv
		}
		m[k] = v
		return js(m)
	}
	evil := *sample().Layers[1]
	evil.Entries = []index.Entry{{Path: "../../etc/cron.d/x", Kind: index.File, Size: 7}}
	abs := *sample().Layers[1]
	abs.Entries = []index.Entry{{Path: "/etc/passwd", Kind: index.File, Size: 7}}
	badLink := *sample().Layers[1]
	badLink.Entries = []index.Entry{{Path: "x", Kind: index.Hardlink, Link: "../../../root/.ssh/id_rsa"}, {Path: "y", Kind: index.File, Size: 7}}
	badKind := *sample().Layers[1]
	badKind.Entries = []index.Entry{{Path: "x", Kind: 99, Size: 7}}
	badContent := *sample().Layers[0]
	badContent.Contents = map[string][]byte{"../x": []byte("a")}
	badUTF8 := bytes.Replace(js(h), []byte(`"app:main"`), []byte("\"app:\xff\xfe\""), 1)
	layers := h["layers"].([]any)
	swapped := with("layers", []any{layers[1], layers[0]})

	tooBig := raw(Schema, js(h))
	tooBig = append(tooBig, binary.AppendUvarint(nil, 1<<40)...)

	for _, tc := range []struct {
		name, want string
		stream     []byte
		gzipped    []byte
		max        int64
		maxEntries int
	}{
		{name: "entries", stream: good, maxEntries: 3, want: "the snapshot's layers claim more than the 3 entries a snapshot may hold (layer 1 claims 2)"},
		{name: "older schema", stream: raw(0, js(h), payloads...), want: "snapshot schema 0 is older than the 1 this imgdiff reads: take the snapshot again"},
		{name: "newer schema", stream: raw(Schema+1, js(h), payloads...), want: "snapshot schema 2 is newer than the 1"},
		{name: "not gzip", gzipped: []byte("hello, not a snapshot"), want: "not an imgdiff snapshot (no gzip stream"},
		{name: "other gzip", stream: []byte("just some text file\n"), want: "not an imgdiff snapshot (its gzip stream does not start"},
		{name: "truncated", gzipped: encode(t, sample())[:len(encode(t, sample()))/2], want: "truncated snapshot"},
		{name: "truncated stream", stream: good[:len(good)-3], want: "truncated snapshot"},
		{name: "bomb", stream: append(append([]byte{}, good...), make([]byte, 4<<20)...), max: int64(len(good)), want: "decompresses to more than the bound"},
		{name: "claimed length", stream: tooBig, want: "corrupt snapshot: the layer 0 claims 1099511627776 bytes, more than the"},
		{name: "huge header", stream: append(append([]byte{}, magic...), 1, 0xff, 0xff, 0xff, 0xff, 0x0f), want: "corrupt snapshot: the header claims"},
		{name: "layer count", stream: raw(Schema, with("layers", layers[:1]), payloads[0]), want: "corrupt snapshot: it holds 1 layers, its config lists 2"},
		{name: "layers swapped", stream: raw(Schema, swapped, payloads[1], payloads[0]), want: "corrupt snapshot: layer 0 has diffID"},
		{name: "index of another layer", stream: raw(Schema, js(h), payloads[1], payloads[0]), want: "corrupt snapshot: layer 0's index is of"},
		{name: "path traversal", stream: raw(Schema, js(h), payloads[0], codec.Encode(&evil)), want: `corrupt snapshot: layer 1: entry 0: path "../../etc/cron.d/x" is not canonical`},
		{name: "absolute path", stream: raw(Schema, js(h), payloads[0], codec.Encode(&abs)), want: `path "/etc/passwd" is not canonical`},
		{name: "hard link out", stream: raw(Schema, js(h), payloads[0], codec.Encode(&badLink)), want: `hard link target "../../../root/.ssh/id_rsa" is not canonical`},
		{name: "unknown kind", stream: raw(Schema, js(h), payloads[0], codec.Encode(&badKind)), want: "unknown kind 99"},
		{name: "captured body out", stream: raw(Schema, js(h), codec.Encode(&badContent), payloads[1]), want: `captured body of "../x"`},
		{name: "corrupt payload", stream: raw(Schema, js(h), payloads[0], []byte{1, 2, 3}), want: "corrupt snapshot: layer 1: corrupt cache entry"},
		{name: "bad utf-8", stream: raw(Schema, badUTF8, payloads...), want: "corrupt snapshot: the header is not valid UTF-8"},
		{name: "unknown field", stream: raw(Schema, with("extra", 1), payloads...), want: `corrupt snapshot header: json: unknown field "extra"`},
		{name: "no config", stream: raw(Schema, with("config", nil), payloads...), want: "corrupt snapshot: no image config"},
		{name: "bad config", stream: raw(Schema, with("config", map[string]any{"rootfs": map[string]any{"type": "zfs"}}), payloads...), want: "corrupt snapshot: image config: rootfs type"},
		{name: "bad platform", stream: raw(Schema, with("platform", ""), payloads...), want: `corrupt snapshot: platform ""`},
		{name: "no time", stream: raw(Schema, with("created", time.Time{}), payloads...), want: "corrupt snapshot: no creation time"},
		{name: "negative size", stream: raw(Schema, with("configSize", -5), payloads...), want: "corrupt snapshot: a negative manifest or config size"},
		{name: "trailing", stream: append(append([]byte{}, good...), 0), want: "corrupt snapshot: bytes after its last layer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.gzipped
			if in == nil {
				in = gz(tc.stream)
			}
			_, err := Read(bytes.NewReader(in), Options{MaxBytes: tc.max, MaxEntries: tc.maxEntries})
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("error %v, want one line with %q", err, tc.want)
			}
		})
	}
}

// TestBombStopsEarly: a gzip stream of 256 MiB of zeros after a valid
// start is refused once the bound is read, not after inflating it all.
func TestBombStopsEarly(t *testing.T) {
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	w.Write(append(append([]byte{}, magic...), Schema, 0x80, 0x80, 0x80, 0x02)) // header: 4 MiB claimed
	zeros := make([]byte, 1<<20)
	for range 256 {
		w.Write(zeros)
	}
	w.Close()
	start := time.Now()
	_, err := Read(&b, Options{MaxBytes: 8 << 20})
	if err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("bomb: %v after %v", err, time.Since(start))
	}
}

// TestOpenNotAFile: a directory or a FIFO is refused before anything
// blocks on it; a missing file says so.
func TestOpenNotAFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
	if _, err := Open(filepath.Join(dir, "none"), Options{}); err == nil || err.Error() != "no such file or directory" {
		t.Errorf("missing: %v", err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(big, Options{MaxBytes: 10}); err == nil || !strings.Contains(err.Error(), "more than the 10") {
		t.Errorf("too big: %v", err)
	}
}

// TestWriteFileAtomic: a failed write leaves no file behind, and a
// written one is whole.
func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.snap")
	if err := WriteFile(p, &index.Image{}, Meta{Created: created}); err == nil {
		t.Error("an image without a config was written")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
	if err := WriteFile(p, sample(), Meta{Created: created}); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(p, Options{}); err != nil {
		t.Fatal(err)
	}
}

// FuzzReadPlain feeds arbitrary decompressed streams to the reader (a
// snapshot is a file anyone can hand to compare). It must never panic or
// hang, every error is one line, and whatever it accepts must write back
// to a snapshot that reads the same.
func FuzzReadPlain(f *testing.F) {
	h, payloads := headerOf(f, sample())
	f.Add(raw(Schema, js(h), payloads...))
	f.Add(raw(Schema, js(h)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := readPlain(bytes.NewReader(data), Options{MaxBytes: 1 << 20})
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error of several lines: %q", err)
			}
			return
		}
		ii := &index.Image{Ref: img.Snapshot.Ref, Transport: img.Snapshot.Transport, Platform: img.Platform.String(),
			Digest: img.Digest, ManifestSize: img.ManifestSize, ConfigSize: img.ConfigSize, Config: img.Config}
		for _, l := range img.Layers {
			x, _ := l.(source.Indexed).Index()
			c := *x
			c.Digest, c.CompressedSize, c.MediaType, c.Identity = l.Blob().Digest, l.Blob().Size, l.Blob().MediaType, l.(source.Indexed).Same()
			ii.Layers = append(ii.Layers, &c)
		}
		var b bytes.Buffer
		if err := Write(&b, ii, Meta{Created: img.Snapshot.Created, CaptureKey: img.Snapshot.CaptureKey}); err != nil {
			t.Fatalf("an accepted snapshot does not write back: %v", err)
		}
		again, err := Read(&b, Options{})
		if err != nil {
			t.Fatalf("written back, it does not read: %v", err)
		}
		if len(again.Layers) != len(img.Layers) {
			t.Fatalf("layers %d, then %d", len(img.Layers), len(again.Layers))
		}
	})
}

// TestPrefixBomb: a layer payload whose prefix-coded paths (each sharing
// all of a 64 KiB path with the one before) claim 128 MiB of paths from
// 100 kB of payload is refused in one line, within twice the bound on
// the decompressed bytes, before the paths are built.
func TestPrefixBomb(t *testing.T) {
	const n, pathLen = 2048, 64 << 10
	b := binary.AppendUvarint(nil, uint64(len(diff1)))
	b = append(b, diff1...)
	b = binary.AppendVarint(b, 0) // size
	b = binary.AppendUvarint(b, n+1)
	for i := range n {
		if i == 0 {
			b = binary.AppendUvarint(b, 0)
			b = binary.AppendUvarint(b, pathLen)
			b = append(b, strings.Repeat("a", pathLen)...)
		} else {
			b = binary.AppendUvarint(b, pathLen) // shared: all of it
			b = binary.AppendUvarint(b, 0)
		}
		b = append(b, byte(index.File))
		b = binary.AppendVarint(b, 0)
		b = append(b, 0, 0, 0, 0) // mode, uid, gid, link
	}
	b = append(b, 0, 0, 0) // whiteouts, opaque dirs, contents
	h, payloads := headerOf(t, sample())
	stream := raw(Schema, js(h), payloads[0], b)
	_, err := Read(bytes.NewReader(gz(stream)), Options{MaxBytes: 4 << 20})
	if err == nil || !strings.Contains(err.Error(), "decode to more than the 8388608 bytes of paths a snapshot may hold (layer 1)") {
		t.Errorf("error %v, want the bound on the decoded paths named", err)
	}
}
