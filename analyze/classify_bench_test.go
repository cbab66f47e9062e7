package analyze

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/imgdiff/imgdiff/analyze/dpkg/dpkgtest"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// realisticImage is a 100k-file image shaped like a real single-stage
// build: a Debian base whose dpkg database lists 400 packages (some
// devel), a Go toolchain, a node_modules tree with a lockfile, sources,
// caches and docs, so every kind of rule and database is exercised.
func realisticImage() *index.Image {
	contents := map[string][]byte{}
	var base []index.Entry
	status := dpkgtest.BenchBase(func(path string, n int) {
		base = append(base, index.Entry{Path: path, Kind: index.File, Size: int64(1000 + n)})
	}, func(path string, body []byte) {
		contents[path] = body
		base = append(base, index.Entry{Path: path, Kind: index.File, Size: int64(len(body))})
	})
	contents["var/lib/dpkg/status"] = status
	base = append(base, index.Entry{Path: "var/lib/dpkg/status", Kind: index.File, Size: int64(len(status))})
	baseLayer := testLayer(base, nil, nil)
	baseLayer.Contents = contents

	var app []index.Entry
	var lock strings.Builder
	lock.WriteString(`{"name":"app","lockfileVersion":3,"packages":{"":{"name":"app"}`)
	for p := range 300 {
		fmt.Fprintf(&lock, `,"node_modules/m%03d":{"version":"1.0.0"%s}`, p, map[bool]string{true: `,"dev":true`, false: ""}[p%3 == 0])
		for f := range 100 {
			app = append(app, index.Entry{Path: fmt.Sprintf("app/node_modules/m%03d/lib/f%d.js", p, f), Kind: index.File, Size: 500})
		}
	}
	lock.WriteString("}}")
	for f := range 10_000 {
		app = append(app,
			index.Entry{Path: fmt.Sprintf("usr/local/go/src/pkg%d/f%d.go", f/100, f), Kind: index.File, Size: 2000},
			index.Entry{Path: fmt.Sprintf("root/.cache/go-build/%02x/%d-d", f%256, f), Kind: index.File, Size: 3000},
		)
	}
	for f := range 10_000 {
		app = append(app, index.Entry{Path: fmt.Sprintf("app/src/mod%d/file%d.c", f/50, f), Kind: index.File, Size: 800})
	}
	app = append(app, index.Entry{Path: "app/package-lock.json", Kind: index.File, Size: int64(lock.Len())})
	appLayer := testLayer(app, nil, nil)
	appLayer.Contents = map[string][]byte{"app/package-lock.json": []byte(lock.String())}
	return testImage(nil, baseLayer, appLayer)
}

// BenchmarkAnalyzeSteps times the in-memory steps of `imgdiff analyze` on
// the same 100k-file image, so classification's share can be read off:
// build (attribution), classify, summarize.
func BenchmarkAnalyzeSteps(b *testing.B) {
	ii := realisticImage()
	img, err := Build(ii)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d files", img.FS.Len())
	b.Run("build", func(b *testing.B) {
		for b.Loop() {
			if _, err := Build(ii); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("classify", func(b *testing.B) {
		for b.Loop() {
			Classify(img, nil)
		}
	})
	c := Classify(img, nil)
	b.Run("summarize", func(b *testing.B) {
		for b.Loop() {
			Summarize(img, c, 10)
		}
	})
}

// BenchmarkClassify times Classify on a freshly built 100k-file image per
// iteration (so the lazily built path index is paid for, as in a real
// run), and Build of the same image in the same iterations: the
// "build-%" metric is classification's cost relative to attribution alone,
// which is itself a fraction of a full analyze (reading the layers costs
// more than both; see docs/performance.md).
func BenchmarkClassify(b *testing.B) {
	ii := realisticImage()
	var build, classify time.Duration
	b.StopTimer()
	for range b.N {
		t0 := time.Now()
		img, err := Build(ii)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		b.StartTimer()
		Classify(img, nil)
		b.StopTimer()
		build += t1.Sub(t0)
		classify += time.Since(t1)
	}
	b.ReportMetric(float64(build.Nanoseconds())/float64(b.N), "build-ns/op")
	b.ReportMetric(100*float64(classify)/float64(build), "build-%")
}

// TestRealisticImageClassifies keeps the benchmark image honest: its
// databases and paths really are recognised.
func TestRealisticImageClassifies(t *testing.T) {
	img, err := Build(realisticImage())
	if err != nil {
		t.Fatal(err)
	}
	c := Classify(img, nil)
	got := map[model.Category]int64{}
	for _, tot := range c.Totals {
		got[tot.Category] = tot.Bytes
	}
	for _, cat := range []model.Category{model.BuildTool, model.Source, model.DevDependency, model.Cache, model.Docs, model.Other} {
		if got[cat] == 0 {
			t.Errorf("no %s bytes: %v", cat, got)
		}
	}
}
