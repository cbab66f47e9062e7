package analyze

import (
	"fmt"
	"testing"

	"github.com/imgdiff/imgdiff/layers/index"
)

// benchLayers is an image of layers × perLayer files in a two-level
// fan-out; each layer after the first overwrites 5% of the base and
// deletes another 2% of it, one file whiteout each.
func benchLayers(layers, perLayer int) *index.Image {
	var ls []*index.Layer
	for k := range layers {
		var es []index.Entry
		var wh []string
		for i := range perLayer {
			p := fmt.Sprintf("l%02d/d%03d/s%02d/f%06d", k, i/400, i/20%20, i)
			if k > 0 && i%20 == 0 {
				p = fmt.Sprintf("l00/d%03d/s%02d/f%06d", i/400, i/20%20, i)
			}
			es = append(es, index.Entry{Path: p, Kind: index.File, Size: int64(i%5000 + 1)})
			if k > 0 && i%50 == 7 {
				wh = append(wh, fmt.Sprintf("l00/d%03d/s%02d/f%06d", i/400, i/20%20, i))
			}
		}
		ls = append(ls, testLayer(es, wh, nil))
	}
	return testImage(nil, ls...)
}

// BenchmarkBuild stacks 150k files in 10 layers, per entry.
func BenchmarkBuild(b *testing.B) {
	img := benchLayers(10, 15_000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(img); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/150_000, "ns/entry")
}

// BenchmarkSummarize is the analyze report of the same image.
func BenchmarkSummarize(b *testing.B) {
	img, err := Build(benchLayers(10, 15_000))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		Summarize(img, nil, 10)
	}
}

// BenchmarkWhiteouts deletes n files of a 30k-file base: the cost per
// whiteout must stay flat as n grows (dive's grows with n).
func BenchmarkWhiteouts(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			var base []index.Entry
			for i := range 30_000 {
				base = append(base, index.Entry{Path: fmt.Sprintf("srv/d%03d/f%05d", i/100, i), Kind: index.File, Size: 100})
			}
			var wh []string
			for i := range n {
				j := i * 30_000 / n
				wh = append(wh, fmt.Sprintf("srv/d%03d/f%05d", j/100, j))
			}
			img := testImage(nil, testLayer(base, nil, nil), testLayer(nil, wh, nil))
			for b.Loop() {
				if _, err := Build(img); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
