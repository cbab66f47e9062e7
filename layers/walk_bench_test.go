package layers

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// benchTar is a layer shaped like the bench images: n small files in a
// two-level fan-out, a symlink every 20 and a hard link every 40.
func benchTar(b *testing.B, n int) []byte {
	b.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	body := make([]byte, 16<<10)
	for i := range n {
		p := fmt.Sprintf("usr/lib/pkg%03d/sub%02d/file%06d.so", i/400, i/20%20, i)
		size := int64(i * 7919 % (16 << 10))
		tw.WriteHeader(&tar.Header{Name: p, Typeflag: tar.TypeReg, Mode: 0o644, Size: size})
		tw.Write(body[:size])
		switch {
		case i%40 == 39:
			tw.WriteHeader(&tar.Header{Name: p + ".hl", Typeflag: tar.TypeLink, Linkname: p})
		case i%20 == 9:
			tw.WriteHeader(&tar.Header{Name: p + ".lnk", Typeflag: tar.TypeSymlink, Linkname: "x"})
		}
	}
	tw.Close()
	return buf.Bytes()
}

// BenchmarkIndexTar measures the walker on one 50k-file layer, per
// entry, as stored: uncompressed and seekable (headers only), uncompressed
// streamed, gzip and zstd.
func BenchmarkIndexTar(b *testing.B) {
	const n = 50_000
	raw := benchTar(b, n)
	var gz, zs bytes.Buffer
	gw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	gw.Write(raw)
	gw.Close()
	zw, _ := zstd.NewWriter(&zs)
	zw.Write(raw)
	zw.Close()
	cases := []struct {
		name     string
		data     []byte
		seekable bool
	}{{"seekable", raw, true}, {"stream", raw, false}, {"gzip", gz.Bytes(), false}, {"zstd", zs.Bytes(), false}}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			l := &bytesLayer{data: c.data, seekable: c.seekable}
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := walkLayer(context.Background(), l, WalkOptions{Jobs: 1, MaxCapture: DefaultMaxCapture}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/entry")
		})
	}
}
