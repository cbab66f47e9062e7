// Command memwalk measures what the walker's file index costs per tar
// entry: it writes (once) a gzip layer of many small entries, walks it with
// layers.Walk, and prints the entry count, the live heap the index holds
// and the process's peak RSS, each per entry. docs/performance.md has the
// figures.
//
//	go run ./testdata/memwalk -entries 4000000 -layer /tmp/4m.tar.gz
//	/usr/bin/time -v go run ... (or the built binary) for an outside view
package main

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/gzip"

	"github.com/imgdiff/imgdiff/layers"
)

func main() {
	entries := flag.Int("entries", 4_000_000, "entries of the generated layer")
	path := flag.String("layer", "/tmp/memwalk.tar.gz", "the layer file; generated when missing")
	ref := flag.String("image", "", "walk this image reference (every layer, as imgdiff reads it) instead of a layer file: e.g. oci:/var/tmp/b1/oci-gzip:big")
	flag.Parse()
	if *ref != "" {
		if err := walkImage(*ref); err != nil {
			fmt.Fprintln(os.Stderr, "memwalk:", err)
			os.Exit(2)
		}
		return
	}
	if _, err := os.Stat(*path); err != nil {
		if err := generate(*path, *entries); err != nil {
			fmt.Fprintln(os.Stderr, "memwalk:", err)
			os.Exit(2)
		}
	}
	if err := walk(*path); err != nil {
		fmt.Fprintln(os.Stderr, "memwalk:", err)
		os.Exit(2)
	}
}

// walkImage walks every layer of the image ref names, as analyze's walk
// does (both cores), and prints what the indexes cost per tar entry: the
// live heap they hold, and the process's peak RSS.
func walkImage(ref string) error {
	ctx := context.Background()
	img, err := layers.Open(ctx, ref, layers.Options{})
	if err != nil {
		return err
	}
	defer img.Close()
	start := time.Now()
	out, err := layers.Walk(ctx, layers.WalkOptions{Jobs: runtime.NumCPU()}, img)
	if err != nil {
		return err
	}
	took := time.Since(start)
	n := 0
	for _, l := range out[0].Layers {
		n += len(l.Entries)
	}
	report(n, fmt.Sprintf("%d layers", len(out[0].Layers)), took)
	runtime.KeepAlive(out)
	return nil
}

// report prints the entry count and the memory per entry.
func report(n int, what string, took time.Duration) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	rss := ru.Maxrss * 1024
	fmt.Printf("entries %d (%s), walk %.1f s\n", n, what, took.Seconds())
	fmt.Printf("live heap after walk %d MB = %.0f B/entry\n", ms.HeapAlloc>>20, float64(ms.HeapAlloc)/float64(n))
	fmt.Printf("peak RSS %d MB = %.0f B/entry\n", rss>>20, float64(rss)/float64(n))
}

// generate writes n entries: a directory every 100 files, files of 0 to
// 99 bytes under a three-level fan-out, a symlink every 50 files. Paths
// are 31-36 bytes, like those of a node_modules tree or a distro's
// /usr/share.
func generate(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	tw := tar.NewWriter(zw)
	body := make([]byte, 100)
	for i := 0; i < n; i++ {
		dir := fmt.Sprintf("srv/data/d%03d/s%03d", i/100_000, i/100%1000)
		var h tar.Header
		switch {
		case i%100 == 0:
			h = tar.Header{Name: dir + "/", Typeflag: tar.TypeDir, Mode: 0o755}
		case i%50 == 25:
			h = tar.Header{Name: fmt.Sprintf("%s/l%07d.lnk", dir, i), Typeflag: tar.TypeSymlink, Linkname: fmt.Sprintf("f%07d.dat", i-1), Mode: 0o777}
		default:
			h = tar.Header{Name: fmt.Sprintf("%s/f%07d.dat", dir, i), Typeflag: tar.TypeReg, Size: int64(i % 100), Mode: 0o644, Uid: 1000, Gid: 1000}
		}
		h.Format = tar.FormatUSTAR
		if err := tw.WriteHeader(&h); err != nil {
			return err
		}
		if _, err := tw.Write(body[:h.Size]); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

type fileLayer struct {
	path   string
	size   int64
	diffID v1.Hash
}

func (l *fileLayer) DiffID() v1.Hash   { return l.diffID }
func (l *fileLayer) Blob() layers.Blob { return layers.Blob{Size: l.size} }
func (l *fileLayer) Open(context.Context) (io.ReadCloser, error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{f, f}, nil // not a seeker: read as a registry stream is
}

func walk(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(path))
	l := &fileLayer{path: path, size: fi.Size(), diffID: v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", sum)}}
	img := &layers.Image{Ref: path, Config: &v1.ConfigFile{RootFS: v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{l.diffID}}}, Layers: []layers.Layer{l}}

	start := time.Now()
	out, err := layers.Walk(context.Background(), layers.WalkOptions{Jobs: 1}, img)
	if err != nil {
		return err
	}
	took := time.Since(start)
	report(len(out[0].Layers[0].Entries), fmt.Sprintf("%d B blob", fi.Size()), took)
	runtime.KeepAlive(out)
	return nil
}
