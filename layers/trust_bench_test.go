package layers

import (
	"bytes"
	"context"
	"io"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/imgdiff/imgdiff/layers/source"
)

// hashingLayer streams an uncompressed layer through SHA-256, as computing
// the diffID of a pre-25 docker save layer would (it can then no longer
// seek past file bodies).
type hashingLayer struct {
	bytesLayer
	want v1.Hash
}

func (h *hashingLayer) Open(ctx context.Context) (io.ReadCloser, error) {
	rc, err := h.bytesLayer.Open(ctx)
	if err != nil {
		return nil, err
	}
	return source.NewVerifier(rc, h.want, "bench")
}

// BenchmarkUncompressedTrust compares the two ways of not trusting a
// claimed diffID for an uncompressed archive layer: walk it by seeking past
// bodies and never share or cache it by its claim ("seek"), or hash it in
// the same pass ("hash", which reads every body). The cache read it would
// save is BenchmarkGet150k in layers/cache (150k entries; this layer has
// 50k).
func BenchmarkUncompressedTrust(b *testing.B) {
	const n = 50_000
	raw := benchTar(b, n)
	want, _, _ := v1.SHA256(bytes.NewReader(raw))
	for _, c := range []struct {
		name string
		l    Layer
	}{
		{"seek", &bytesLayer{data: raw, seekable: true}},
		{"hash", &hashingLayer{bytesLayer{data: raw}, want}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				_, err := walkLayer(context.Background(), c.l, WalkOptions{Jobs: 1, MaxCapture: DefaultMaxCapture})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/entry")
		})
	}
}
