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
