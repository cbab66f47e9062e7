package pipeline

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/dpkg/dpkgtest"
	"github.com/imgdiff/imgdiff/layers"
	"github.com/imgdiff/imgdiff/layers/imagetest"
)

// shareImage is a ~100k-file single-stage image: a Debian-like base whose
// dpkg database owns 40,000 files of 400 packages (some -dev), a Go
// toolchain, a node_modules tree with a lockfile marking dev dependencies,
// C sources and a Go build cache, so every database and rule family runs.
func shareImage() imagetest.Image {
	var base []imagetest.Entry
	status := dpkgtest.BenchBase(func(path string, n int) {
		base = append(base, imagetest.Entry{Path: path, Size: int64(500 + n*20)})
	}, func(path string, body []byte) {
		base = append(base, imagetest.Entry{Path: path, Body: body})
	})
	base = append(base, imagetest.Entry{Path: "var/lib/dpkg/status", Body: status})

	var app []imagetest.Entry
	var lock strings.Builder
	lock.WriteString(`{"name":"app","lockfileVersion":3,"packages":{"":{"name":"app"}`)
	for p := range 300 {
		dev := ""
		if p%3 == 0 {
			dev = `,"dev":true`
		}
		fmt.Fprintf(&lock, `,"node_modules/m%03d":{"version":"1.0.0"%s}`, p, dev)
		for f := range 100 {
			app = append(app, imagetest.Entry{Path: fmt.Sprintf("app/node_modules/m%03d/lib/f%d.js", p, f), Size: 500})
		}
	}
	lock.WriteString("}}")
	app = append(app, imagetest.Entry{Path: "app/package-lock.json", Body: []byte(lock.String())})

	var tools []imagetest.Entry
	for f := range 10_000 {
		tools = append(tools,
			imagetest.Entry{Path: fmt.Sprintf("usr/local/go/src/pkg%d/f%d.go", f/100, f), Size: 2000},
			imagetest.Entry{Path: fmt.Sprintf("root/.cache/go-build/%02x/%d-d", f%256, f), Size: 3000},
			imagetest.Entry{Path: fmt.Sprintf("src/mod%d/file%d.c", f/50, f), Size: 800},
		)
	}
	return imagetest.Image{
		Layers: []imagetest.Layer{
			{Entries: base, CreatedBy: "/bin/sh -c #(nop) ADD file:base in / "},
			{Entries: tools, CreatedBy: "RUN /bin/sh -c make # buildkit"},
			{Entries: app, CreatedBy: "RUN /bin/sh -c npm ci # buildkit"},
		},
		Compression: imagetest.Uncompressed,
	}
}

// BenchmarkAnalyzeShare runs the stages of `imgdiff analyze` (open, read
// the layers, attribute, redact, classify, then summarize) through Load on a ~100k-file image
// stored as a docker save archive with uncompressed layers: the cheapest
// source to read, so the one where classification weighs most. The
// "classify-%" metric is classification's share of the whole; issue 3
// requires it under 20%.
func BenchmarkAnalyzeShare(b *testing.B) {
	ref := writeSpec(b, shareImage(), "docker-archive")
	ctx := context.Background()
	var read, build, classify, total time.Duration
	files := 0
	for b.Loop() {
		t0 := time.Now()
		timings := &timingObserver{}
		loaded, err := Load(ctx, Options{Open: layers.Options{Jobs: runtime.NumCPU()}, Observer: timings}, ref)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		ai, c := loaded[0].Image, loaded[0].Class
		analyze.Summarize(ai, c, 10)
		t2 := time.Now()
		// Redaction is part of classification, as it was before it became
		// a stage of its own.
		tm := timings.t
		read, build, classify, total = read+tm.Open+tm.Walk, build+tm.Build, classify+tm.Redact+tm.Classify, total+t1.Sub(t0)+t2.Sub(t1)
		files = ai.FS.Len()
		if len(c.Packages) == 0 {
			b.Fatal("no package recognised: the image does not exercise classification")
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(files), "files")
	b.ReportMetric(float64(read.Milliseconds())/n, "read-ms")
	b.ReportMetric(float64(build.Milliseconds())/n, "attribute-ms")
	b.ReportMetric(float64(classify.Milliseconds())/n, "classify-ms")
	b.ReportMetric(100*float64(classify)/float64(total), "classify-%")
}

// timingObserver keeps the timings the pipeline reports.
type timingObserver struct {
	nopObserver
	t Timings
}

func (o *timingObserver) Done(t Timings) { o.t = t }
