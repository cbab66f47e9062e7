package layers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/layers/index"
)

// sparseTar is a layer of GNU sparse files in PAX format 0.1, each storing
// 2 bytes and claiming the given real size, read by archive/tar after the
// fast reader hands over.
func sparseTar(t testing.TB, realSizes ...int64) []byte {
	var out []byte
	for i, size := range realSizes {
		recs := ""
		for _, kv := range []string{"GNU.sparse.major=0", "GNU.sparse.minor=1", "GNU.sparse.numblocks=1", "GNU.sparse.map=0,2",
			fmt.Sprintf("GNU.sparse.realsize=%d", size), fmt.Sprintf("GNU.sparse.name=sparse%d", i)} {
			recs += paxRec(kv)
		}
		x := rawTar(t, []rawHeader{{name: "pax", typ: 'x', size: int64(len(recs))}})
		copy(x[512:], recs)
		out = append(out, x[:512+(len(recs)+511)/512*512]...)
		f := rawTar(t, []rawHeader{{name: "stored", typ: '0', size: 2}})
		out = append(out, f[:1024]...)
	}
	return append(out, make([]byte, 1024)...)
}

// imageOf is an image of the given layers, for Walk.
func imageOf(ref string, ls ...Layer) *Image {
	img := &Image{Ref: ref, Config: &v1.ConfigFile{}}
	for _, l := range ls {
		img.Layers = append(img.Layers, l)
		img.Config.RootFS.DiffIDs = append(img.Config.RootFS.DiffIDs, l.DiffID())
	}
	return img
}

// Sizes an image claims are summed with checks: sparse files whose claimed
// sizes overflow int64 (issue 13, defect 2: "−447 PB" and --max-size
// passing), or exceed index.MaxSize, are corrupt input, named by image and
// layer; never a negative or wrapped size.
func TestWalkRejectsImpossibleSizes(t *testing.T) {
	cases := map[string][]int64{
		"two sparse files overflow int64": {1 << 62, 1 << 62},
		"one sparse file of ~9e18 bytes":  {9_000_000_000_000_000_000},
		"files summing past MaxSize":      {index.MaxSize / 2, index.MaxSize/2 + 1},
	}
	for name, sizes := range cases {
		for _, seekable := range []bool{false, true} {
			img := imageOf("hostile.tar", &bytesLayer{data: sparseTar(t, sizes...), seekable: seekable})
			out, err := Walk(context.Background(), WalkOptions{Jobs: 1}, img)
			if err == nil {
				t.Errorf("%s (seekable=%v): walk succeeded, layer size %d", name, seekable, out[0].Layers[0].Size)
				continue
			}
			if !errors.Is(err, index.ErrSize) || !strings.HasPrefix(err.Error(), "hostile.tar: layer 0 ") || strings.Count(err.Error(), "\n") > 0 {
				t.Errorf("%s (seekable=%v): error %q; want one line naming hostile.tar, layer 0, wrapping index.ErrSize", name, seekable, err)
			}
		}
	}
	// Sizes that fit are kept exactly.
	img := imageOf("ok.tar", &bytesLayer{data: sparseTar(t, 1<<40, 5)})
	out, err := Walk(context.Background(), WalkOptions{Jobs: 1}, img)
	if err != nil || out[0].Layers[0].Size != 1<<40+5 {
		t.Fatalf("sparse 1 TiB + 5: %v, %+v", err, out)
	}
}

// A layer repeated in an image is read once, but counted at each place:
// the image's sum is checked too.
func TestWalkRejectsImageSizeOverflow(t *testing.T) {
	l := &bytesLayer{data: sparseTar(t, index.MaxSize/2)}
	if _, err := Walk(context.Background(), WalkOptions{Jobs: 1}, imageOf("one.tar", l, l)); err != nil {
		t.Fatalf("two layers of MaxSize/2: %v", err)
	}
	_, err := Walk(context.Background(), WalkOptions{Jobs: 1}, imageOf("repeats.tar", l, l, l))
	if !errors.Is(err, index.ErrSize) || !strings.HasPrefix(err.Error(), "repeats.tar: layer 2") {
		t.Fatalf("three layers of MaxSize/2: %v; want an error naming repeats.tar, layer 2, wrapping index.ErrSize", err)
	}
}

// entriesTar is a layer of n empty files.
func entriesTar(t testing.TB, n int) []byte {
	hs := make([]rawHeader, n)
	for i := range hs {
		hs[i] = rawHeader{name: fmt.Sprintf("d/f%d", i), typ: '0'}
	}
	return rawTar(t, hs)
}

// MaxEntries fails a walk with one line instead of letting a layer of
// millions of tiny entries exhaust memory: per layer, and per image.
func TestWalkMaxEntries(t *testing.T) {
	l := &bytesLayer{data: entriesTar(t, 100)}
	for _, c := range []struct {
		max    int
		layers int
		ok     bool
	}{{100, 1, true}, {99, 1, false}, {0, 1, true}, {150, 1, true}, {150, 2, false}, {200, 2, true}} {
		ls := []Layer{l}
		if c.layers == 2 {
			ls = append(ls, l)
		}
		_, err := Walk(context.Background(), WalkOptions{Jobs: 1, MaxEntries: c.max}, imageOf("many.tar", ls...))
		if (err == nil) != c.ok {
			t.Errorf("MaxEntries %d, %d layers of 100: %v, want ok=%v", c.max, c.layers, err, c.ok)
		}
		if err != nil && (!errors.Is(err, ErrTooManyEntries) || !strings.HasPrefix(err.Error(), "many.tar: layer ") || strings.Contains(err.Error(), "\n")) {
			t.Errorf("MaxEntries %d: error %q: want one line naming many.tar and the layer, wrapping ErrTooManyEntries", c.max, err)
		}
	}
}

// Entries read through the arena keep their strings when the reader's
// buffers move on, and a repeated name keeps the first one's place with
// the last one's contents, as extraction leaves it.
func TestWalkArenaStrings(t *testing.T) {
	var hs []rawHeader
	for i := range 40_000 { // several arena chunks, record chunks, table growths
		hs = append(hs, rawHeader{name: fmt.Sprintf("dir%03d/%s/file%06d", i%7, strings.Repeat("x", i%70), i), typ: '0', size: int64(i % 3)})
	}
	hs = append(hs, rawHeader{name: "./dir000/file000000", typ: '0', size: 9}) // the first file again, written otherwise
	data := rawTar(t, hs)
	for _, seekable := range []bool{false, true} {
		out, err := Walk(context.Background(), WalkOptions{Jobs: 1}, imageOf("a.tar", &bytesLayer{data: data, seekable: seekable}))
		if err != nil {
			t.Fatal(err)
		}
		es := out[0].Layers[0].Entries
		if len(es) != 40_000 {
			t.Fatalf("%d entries, want 40000", len(es))
		}
		var want int64
		for i, e := range es {
			name := index.Canonical(fmt.Sprintf("dir%03d/%s/file%06d", i%7, strings.Repeat("x", i%70), i))
			size := int64(i % 3)
			if i == 0 {
				size = 9
			}
			want += size
			if e.Path != name || e.Size != size || e.Kind != index.File {
				t.Fatalf("entry %d: %+v, want %s of %d bytes", i, e, name, size)
			}
		}
		if got := out[0].Layers[0].Size; got != want {
			t.Errorf("layer size %d, want %d", got, want)
		}
	}
}

// sizedLayer claims a blob size, as a manifest does.
type sizedLayer struct {
	bytesLayer
	size int64
}

func (s *sizedLayer) Blob() Blob { return Blob{Size: s.size} }

// Blob sizes come from a manifest: a claim past index.MaxSize, or claims
// that sum past it, are corrupt input, so a compressed total cannot wrap
// and pass --max-compressed-size.
func TestWalkRejectsImpossibleBlobSizes(t *testing.T) {
	data := entriesTar(t, 1)
	for _, c := range []struct {
		sizes []int64
		ok    bool
	}{
		{[]int64{100, Unknown}, true},
		{[]int64{index.MaxSize / 2, index.MaxSize / 2}, true},
		{[]int64{9_000_000_000_000_000_000}, false},
		{[]int64{-5}, false},
		{[]int64{1 << 62, 1 << 62}, false},
		{[]int64{index.MaxSize/2 + 1, index.MaxSize/2 + 1}, false},
	} {
		var ls []Layer
		for i, n := range c.sizes {
			ls = append(ls, &sizedLayer{bytesLayer{data: append(append([]byte{}, data...), make([]byte, i)...)}, n})
		}
		out, err := Walk(context.Background(), WalkOptions{Jobs: 1}, imageOf("claims.tar", ls...))
		if (err == nil) != c.ok {
			t.Errorf("blob sizes %v: %v, want ok=%v", c.sizes, err, c.ok)
			continue
		}
		if err != nil && (!errors.Is(err, index.ErrSize) || !strings.HasPrefix(err.Error(), "claims.tar: layer ")) {
			t.Errorf("blob sizes %v: error %q: want one naming claims.tar and the layer, wrapping index.ErrSize", c.sizes, err)
		}
		if err == nil && out[0].Layers[0].CompressedSize != c.sizes[0] {
			t.Errorf("blob sizes %v: compressed size %d", c.sizes, out[0].Layers[0].CompressedSize)
		}
	}
}
