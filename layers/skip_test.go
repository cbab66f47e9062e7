package layers

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// skipReader must behave exactly like the stream it buffers, for any mix of
// reads and seeks.
func TestSkipReaderMatchesStream(t *testing.T) {
	data := make([]byte, 5*skipBuffer+123)
	for i := range data {
		data[i] = byte(i * 7)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		want := bytes.NewReader(data)
		got := newSkipReader(bytes.NewReader(data))
		for op := range 50 {
			ctx := fmt.Sprintf("round %d op %d", round, op)
			switch r.IntN(4) {
			case 0, 1:
				n := r.IntN(3 * skipBuffer / 2)
				if r.IntN(4) == 0 {
					n = r.IntN(600)
				}
				a, b := make([]byte, n), make([]byte, n)
				na, ea := io.ReadFull(want, a)
				nb, eb := io.ReadFull(got, b)
				if na != nb || ea != eb || !bytes.Equal(a[:na], b[:nb]) {
					t.Fatalf("%s: read %d: got %d %v, want %d %v", ctx, n, nb, eb, na, ea)
				}
			case 2:
				off := int64(r.IntN(2*skipBuffer)) - skipBuffer/2
				pa, ea := want.Seek(off, io.SeekCurrent)
				if ea != nil {
					continue // before the start: not a seek tar makes
				}
				pb, eb := got.Seek(off, io.SeekCurrent)
				if pa != pb || eb != nil {
					t.Fatalf("%s: seek current %d: got %d %v, want %d", ctx, off, pb, eb, pa)
				}
			case 3:
				off := int64(r.IntN(len(data) + 10))
				pa, _ := want.Seek(off, io.SeekStart)
				pb, eb := got.Seek(off, io.SeekStart)
				if pa != pb || eb != nil {
					t.Fatalf("%s: seek start %d: got %d %v, want %d", ctx, off, pb, eb, pa)
				}
			}
		}
	}
}

// A seekable layer (walked through skipReader) and the same bytes as a
// plain stream must give the same index.
func TestSeekableAndStreamedWalksAgree(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 3000 {
		size := int64(r.IntN(20000))
		if i%97 == 0 {
			size = int64(skipBuffer + r.IntN(3*skipBuffer))
		}
		name := fmt.Sprintf("d%02d/f%04d", i/100, i)
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: size, Mode: 0o644}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(make([]byte, size)); err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 {
			tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("d%02d/.wh.gone%d", i/100, i), Typeflag: tar.TypeReg})
		}
	}
	tw.Close()
	walk := func(seekable bool) *index0 {
		l := &bytesLayer{data: buf.Bytes(), seekable: seekable}
		img := &Image{Config: &v1.ConfigFile{RootFS: v1.RootFS{DiffIDs: []v1.Hash{{}}}}, Layers: []Layer{l}}
		out, err := Walk(context.Background(), WalkOptions{Jobs: 1}, img)
		if err != nil {
			t.Fatal(err)
		}
		return &index0{out[0].Layers[0].Entries, out[0].Layers[0].Whiteouts, out[0].Layers[0].Size}
	}
	if d := cmp.Diff(walk(false), walk(true)); d != "" {
		t.Errorf("seekable walk differs from streamed (-stream +seek):\n%s", d)
	}
}

type index0 struct {
	Entries   any
	Whiteouts []string
	Size      int64
}

type bytesLayer struct {
	data     []byte
	seekable bool
}

func (b *bytesLayer) DiffID() v1.Hash { return v1.Hash{Algorithm: "sha256", Hex: "00"} }
func (b *bytesLayer) Blob() Blob      { return Blob{Size: -1} }
func (b *bytesLayer) Open(context.Context) (io.ReadCloser, error) {
	if b.seekable {
		return readSeekNopCloser{bytes.NewReader(b.data)}, nil
	}
	return io.NopCloser(struct{ io.Reader }{bytes.NewReader(b.data)}), nil
}

type readSeekNopCloser struct{ io.ReadSeeker }

func (readSeekNopCloser) Close() error { return nil }
