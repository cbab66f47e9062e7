package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync/atomic"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/sync/errgroup"
)

// The baselines are the floors imgdiff is measured against: the least a
// program must do to see every tar header of an image. They run as their
// own processes (this binary, re-executed), timed exactly like imgdiff.

// baselineHeaders walks every layer's tar headers in a docker save
// archive, seeking past bodies, NumCPU layers at a time: (a).
func baselineHeaders(archive string) (int64, error) {
	f, err := os.Open(archive)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	// Index the outer tar once: name -> (offset, size) of each member.
	type member struct{ off, size int64 }
	members := map[string]member{}
	var manifest []byte
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, err
		}
		off, _ := f.Seek(0, io.SeekCurrent)
		members[filepath.Clean(h.Name)] = member{off, h.Size}
		if h.Name == "manifest.json" {
			if manifest, err = io.ReadAll(tr); err != nil {
				return 0, err
			}
		}
	}
	var m []struct{ Layers []string }
	if err := json.Unmarshal(manifest, &m); err != nil || len(m) != 1 {
		return 0, fmt.Errorf("manifest.json: %v", err)
	}
	var entries atomic.Int64
	var g errgroup.Group
	g.SetLimit(runtime.NumCPU())
	for _, name := range m[0].Layers {
		mem, ok := members[filepath.Clean(name)]
		if !ok {
			return 0, fmt.Errorf("%s: not in archive", name)
		}
		g.Go(func() error {
			n, err := countHeaders(io.NewSectionReader(f, mem.off, mem.size))
			entries.Add(n)
			return err
		})
	}
	err = g.Wait()
	return entries.Load(), err
}

func countHeaders(r io.Reader) (int64, error) {
	tr := tar.NewReader(r)
	var n int64
	for {
		_, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

// baselineDecompress decompresses every layer of the tagged image of an
// OCI layout to nowhere, NumCPU layers at a time, with klauspost: (b).
// With verify it also computes each blob's SHA-256, as imgdiff must (a
// layout blob that does not match its digest is an error): that variant
// is not a target's baseline, only a diagnostic of where the time goes.
func baselineDecompress(layout, tag string, verify bool) (int64, error) {
	return decompressLayers(layout, tag, verify, false)
}

// baselineDecompressHeaders is (c), the floor of the compressed targets
// (issue 26): what any correct reader must spend, (b) with the SHA-256 of
// each blob plus a bare walk of the decoded stream's tar headers. It
// prints the number of headers.
func baselineDecompressHeaders(layout, tag string) (int64, error) {
	return decompressLayers(layout, tag, true, true)
}

func decompressLayers(layout, tag string, verify, headers bool) (int64, error) {
	read := func(p string) ([]byte, error) { return os.ReadFile(filepath.Join(layout, p)) }
	ij, err := read("index.json")
	if err != nil {
		return 0, err
	}
	var idx v1.IndexManifest
	if err := json.Unmarshal(ij, &idx); err != nil {
		return 0, err
	}
	var md *v1.Descriptor
	for i, d := range idx.Manifests {
		if d.Annotations["org.opencontainers.image.ref.name"] == tag {
			md = &idx.Manifests[i]
		}
	}
	if md == nil {
		return 0, fmt.Errorf("%s: no tag %q", layout, tag)
	}
	mj, err := read("blobs/sha256/" + md.Digest.Hex)
	if err != nil {
		return 0, err
	}
	var m v1.Manifest
	if err := json.Unmarshal(mj, &m); err != nil {
		return 0, err
	}
	// Largest first, as imgdiff schedules them: the floor should be as
	// smart as the thing measured against it.
	ls := slices.Clone(m.Layers)
	slices.SortStableFunc(ls, func(a, b v1.Descriptor) int { return int(b.Size - a.Size) })
	var total atomic.Int64
	var g errgroup.Group
	g.SetLimit(runtime.NumCPU())
	for _, l := range ls {
		g.Go(func() error {
			f, err := os.Open(filepath.Join(layout, "blobs/sha256", l.Digest.Hex))
			if err != nil {
				return err
			}
			defer f.Close()
			var r io.Reader = f
			h := sha256.New()
			if verify {
				r = io.TeeReader(f, h)
			}
			br := bufio.NewReaderSize(r, 1<<20)
			magic, _ := br.Peek(4)
			var zr io.Reader
			switch {
			case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
				gr, err := gzip.NewReader(br)
				if err != nil {
					return err
				}
				zr = gr
			case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
				d, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
				if err != nil {
					return err
				}
				defer d.Close()
				zr = d
			default:
				zr = br
			}
			var n int64
			if headers {
				// The headers, then the rest of the stream (the tar's
				// end blocks): a reader decodes and checks it all.
				if n, err = countHeaders(zr); err == nil {
					_, err = io.Copy(io.Discard, zr)
				}
			} else {
				n, err = io.Copy(io.Discard, zr)
			}
			total.Add(n)
			if err != nil || !verify {
				return err
			}
			if _, err := io.Copy(io.Discard, br); err != nil {
				return err
			}
			if got := hex.EncodeToString(h.Sum(nil)); got != l.Digest.Hex {
				return fmt.Errorf("%s: digest mismatch", l.Digest)
			}
			return nil
		})
	}
	err = g.Wait()
	return total.Load(), err
}
