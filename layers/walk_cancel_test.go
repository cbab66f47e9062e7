package layers

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// An interrupt while the walker skips one huge body must stop the walk
// (issue 13, defect 4): the context used to be checked every 1024 entries
// and never inside a body, so a single-file layer of gigabytes ran to the
// end and the run exited 0 with a full report. Each test cancels the walk
// from inside the layer's reader once it has delivered `after` bytes (or
// seeked that far), and checks that the walk returns context.Canceled
// without reading the rest.

// cancelLayer serves data and cancels once `after` bytes are consumed.
type cancelLayer struct {
	data     []byte
	seekable bool
	after    int64
	cancel   context.CancelFunc
	pos      int64 // furthest offset read or seeked to
}

func (c *cancelLayer) DiffID() v1.Hash { return v1.Hash{Algorithm: "sha256", Hex: "0c"} }
func (c *cancelLayer) Blob() Blob      { return Blob{Size: int64(len(c.data))} }
func (c *cancelLayer) Open(context.Context) (io.ReadCloser, error) {
	r := &cancelReader{c: c, r: bytes.NewReader(c.data)}
	if c.seekable {
		return readSeekNopCloser{r}, nil
	}
	return io.NopCloser(struct{ io.Reader }{r}), nil
}

type cancelReader struct {
	c *cancelLayer
	r *bytes.Reader
}

func (r *cancelReader) moved() {
	if p := r.r.Size() - int64(r.r.Len()); p > r.c.pos {
		r.c.pos = p
	}
	if r.c.pos >= r.c.after {
		r.c.cancel()
	}
}

func (r *cancelReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.moved()
	return n, err
}

func (r *cancelReader) Seek(off int64, whence int) (int64, error) {
	n, err := r.r.Seek(off, whence)
	r.moved()
	return n, err
}

// bigFileTar is a layer of one small file, one file of size random
// (incompressible) bytes, and one more small file.
func bigFileTar(t *testing.T, size int) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	body := make([]byte, size)
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i+8 <= len(body); i += 8 {
		v := r.Uint64()
		for k := range 8 {
			body[i+k] = byte(v >> (8 * k))
		}
	}
	for _, f := range []struct {
		name string
		body []byte
	}{{"a", []byte("a")}, {"big", body}, {"z", []byte("z")}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Typeflag: tar.TypeReg, Size: int64(len(f.body)), Mode: 0o644}); err != nil {
			t.Fatal(err)
		}
		tw.Write(f.body)
	}
	tw.Close()
	return buf.Bytes()
}

func TestWalkStopsInsideAHugeBody(t *testing.T) {
	const size = 24 << 20
	plain := bigFileTar(t, size)
	var gz, zs bytes.Buffer
	gw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	gw.Write(plain)
	gw.Close()
	zw, _ := zstd.NewWriter(&zs, zstd.WithEncoderLevel(zstd.SpeedFastest))
	zw.Write(plain)
	zw.Close()

	cases := []struct {
		name     string
		data     []byte
		seekable bool
	}{
		{"plain, seekable", plain, true},
		{"plain, stream", plain, false},
		{"gzip", gz.Bytes(), false},
		{"zstd", zs.Bytes(), false},
		// A sparse file first: archive/tar reads the rest of the layer.
		{"plain, stream, archive/tar fallback", append(sparseTar(t, 10)[:2048], plain...), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Control: the same layer walks to the end when nothing
			// cancels it.
			ctl := &cancelLayer{data: c.data, seekable: c.seekable, after: 1 << 62, cancel: func() {}}
			if out, err := Walk(context.Background(), WalkOptions{Jobs: 1}, imageOf("big.tar", ctl)); err != nil || len(out[0].Layers[0].Entries) < 3 {
				t.Fatalf("uncancelled walk: %v", err)
			}

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// Cancel once the reader is 2 MB into the big body.
			l := &cancelLayer{data: c.data, seekable: c.seekable, after: 2 << 20, cancel: cancel}
			_, err := Walk(ctx, WalkOptions{Jobs: 1}, imageOf("big.tar", l))
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("walk cancelled inside the body returned %v, want context.Canceled", err)
			}
			// Seeking past the body is allowed (it costs nothing); a
			// stream must not have been read much past the cancel.
			if !c.seekable && l.pos > int64(len(c.data))/2 {
				t.Errorf("read %d of %d bytes after a cancel at %d", l.pos, len(c.data), l.after)
			}
		})
	}
}
