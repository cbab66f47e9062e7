package pipeline

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/imgdiff/imgdiff/layers"
	"github.com/imgdiff/imgdiff/layers/imagetest"
)

// bigTree is a 150,000-file image shaped like real ones: language package
// trees, locales, headers and docs, four to seven levels deep, with
// names drawn from a word list (not counters, which compress too well)
// and sizes spread from empty to 64 KiB, in five layers.
func bigTree(files int) imagetest.Image {
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"core", "util", "http", "json", "parser", "client", "server", "crypto", "image", "text",
		"encoding", "internal", "testing", "errors", "stream", "buffer", "config", "plugin", "codec", "vendor",
		"compat", "types", "models", "helpers", "legacy", "async", "events", "locale", "render", "schema"}
	exts := []string{".py", ".js", ".h", ".mo", ".so", ".json", ".txt", ".gz", ".d.ts", ".pyc"}
	roots := []string{"usr/lib/python3/dist-packages", "app/node_modules", "usr/include", "usr/share/locale", "usr/share/doc", "usr/lib/x86_64-linux-gnu"}
	word := func() string { return words[r.IntN(len(words))] }
	var img imagetest.Image
	per := files / 5
	for l := range 5 {
		var es []imagetest.Entry
		seen := map[string]bool{}
		for len(es) < per {
			p := roots[r.IntN(len(roots))] + "/" + word() + "-" + word()
			for range 1 + r.IntN(4) {
				p += "/" + word()
			}
			p += fmt.Sprintf("/%s_%s%d%s", word(), word(), r.IntN(100), exts[r.IntN(len(exts))])
			if seen[p] {
				continue
			}
			seen[p] = true
			size := int64(r.ExpFloat64()*4096) % 65536
			es = append(es, imagetest.Entry{Path: p, Body: make([]byte, size)}) // bodies do not reach a snapshot
		}
		img.Layers = append(img.Layers, imagetest.Layer{Entries: es, CreatedBy: fmt.Sprintf("RUN step %d # buildkit", l)})
	}
	img.Compression = imagetest.Uncompressed
	return img
}

// TestSnapshotSize150k: the snapshot of a 150,000-file image takes less
// than 5 MB (what the Action keeps per main build). Set
// IMGDIFF_SNAPSHOT_SIZE=1 to run it (a few seconds, ~100 MB of memory).
func TestSnapshotSize150k(t *testing.T) {
	if os.Getenv("IMGDIFF_SNAPSHOT_SIZE") == "" {
		t.Skip("IMGDIFF_SNAPSHOT_SIZE not set")
	}
	o := Options{Open: layers.Options{Jobs: 2}, KeepIndex: true}
	loaded, err := Load(context.Background(), o, writeSpec(t, bigTree(150_000), "docker-archive"))
	if err != nil {
		t.Fatal(err)
	}
	if n := loaded[0].Image.Files; n < 150_000 {
		t.Fatalf("the image holds %d files, want at least 150,000", n)
	}
	snap := filepath.Join(t.TempDir(), "big.snap")
	start := time.Now()
	if err := loaded[0].WriteSnapshot(snap, time.Now(), "test"); err != nil {
		t.Fatal(err)
	}
	wrote := time.Since(start)
	fi, err := os.Stat(snap)
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if _, err := Load(context.Background(), Options{Open: layers.Options{Jobs: 2}}, "snapshot:"+snap); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d files: snapshot %d bytes (%.1f B/file), written in %v, loaded in %v", loaded[0].Image.Files, fi.Size(), float64(fi.Size())/float64(loaded[0].Image.Files), wrote, time.Since(start))
	if fi.Size() >= 5_000_000 {
		t.Errorf("snapshot of %d files is %d bytes, want < 5 MB", loaded[0].Image.Files, fi.Size())
	}
}
