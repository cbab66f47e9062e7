package analyze

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// allocImage is realisticImage (100k files of every kind the rules and
// package databases know) plus a layer of 100k more that overwrites,
// deletes and hard-links files of the first two: 200k index entries.
func allocImage() (*index.Image, int) {
	img := realisticImage()
	var es []index.Entry
	var wh []string
	for i := range 100_000 {
		p := fmt.Sprintf("srv/data/d%03d/f%05d.bin", i/1000, i)
		switch {
		case i%50 == 0:
			p = fmt.Sprintf("app/src/mod%d/file%d.c", i/50%200, i/50%10_000) // overwrites
		case i%100 == 1:
			wh = append(wh, fmt.Sprintf("usr/local/go/src/pkg%d/f%d.go", i/100%100, i/100%10_000))
		}
		e := index.Entry{Path: p, Kind: index.File, Size: int64(i%4000 + 1)}
		switch i % 40 {
		case 3:
			e = index.Entry{Path: p, Kind: index.Hardlink, Link: fmt.Sprintf("srv/data/d%03d/f%05d.bin", i/1000, i-1)}
		case 5:
			e = index.Entry{Path: p, Kind: index.Symlink, Link: "target", Size: 6}
		}
		es = append(es, e)
	}
	l := testLayer(es, wh, nil)
	img.Layers = append(img.Layers, l)
	img.Config.RootFS.DiffIDs = append(img.Config.RootFS.DiffIDs, img.Config.RootFS.DiffIDs[0])
	n := 0
	for _, l := range img.Layers {
		n += len(l.Entries)
	}
	return img, n
}

// allocated returns the bytes and the heap allocations f makes.
func allocated(f func()) (bytes, allocs uint64) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, after.Mallocs - before.Mallocs
}

// TestAttributionAllocations fails when attribution (Build) or
// classification (Classify) allocate more per index entry: on an image of
// millions of files what they allocate per file is what the whole command
// holds at its peak (docs/performance.md, "Memory of the whole command").
// It counts bytes and allocations, not time: the figures are the same on
// any machine. The limits are the figures measured when they were set
// plus about 5%.
func TestAttributionAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 200k-entry image")
	}
	ii, n := allocImage()
	var img *model.Image
	var err error
	bytes, allocs := allocated(func() { img, err = Build(ii) })
	if err != nil {
		t.Fatal(err)
	}
	var class *model.Classification
	cbytes, callocs := allocated(func() { class = Classify(img, nil) })
	t.Logf("%d entries, %d files: Build %.1f B and %.4f allocations an entry; Classify %.1f B and %.4f allocations an entry",
		n, len(img.FS.Files), float64(bytes)/float64(n), float64(allocs)/float64(n), float64(cbytes)/float64(n), float64(callocs)/float64(n))
	if len(class.Flags) != len(img.FS.Files) {
		t.Fatalf("%d flags for %d files", len(class.Flags), len(img.FS.Files))
	}
	for _, c := range []struct {
		what  string
		got   uint64
		limit float64 // per entry
	}{
		// 125.4 B: the listing (72 B a file), the stack's nodes (32 B)
		// and table; 0.0131 allocations (2.6k: chunks, hidden files,
		// hard links). Build made 0.47 an entry before it kept its
		// nodes in chunks.
		{"Build bytes", bytes, 132},
		{"Build allocations", allocs, 0.015},
		// 207.0 B: flags and owners (56 B a file), the package
		// databases of realisticImage and their graphs.
		{"Classify bytes", cbytes, 218},
		{"Classify allocations", callocs, 0.9},
	} {
		if per := float64(c.got) / float64(n); per > c.limit {
			t.Errorf("%s: %.4f an entry, limit %.4f", c.what, per, c.limit)
		}
	}
}
