package main

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/sync/errgroup"
)

// The generator writes the bench images straight as tars (no ggcr image
// building: it hashes everything twice and is several times slower on
// gigabytes). Everything is derived from fixed seeds, so two runs write
// byte-identical images.

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// scale shrinks the generated images for developing the harness on a
// small machine (-scale 0.1): file counts of the trees and the sizes of
// the big files are multiplied by it. The figures in docs/performance.md
// are at scale 1.
var scale = 1.0

func scaled(n int) int { return max(1, int(float64(n)*scale)) }

// bigSize is a big file's size at the current scale.
func bigSize(n int64) int64 { return max(1, int64(float64(n)*scale)) }

// pool is the content files are cut from: 64 MB of 4 kB blocks, 85%
// text-like (words from a small vocabulary, compressing like source and
// scripts), 15% random (compressing like binaries and packed assets). It is
// large enough that zstd's window cannot find one file inside another.
// Built on first use: the baselines run from this binary too, and must not
// pay for it at startup.
var pool = sync.OnceValue(func() []byte {
	r := rand.New(rand.NewPCG(1, 2))
	words := make([]string, 512)
	for i := range words {
		n := 2 + r.IntN(9)
		b := make([]byte, n)
		for j := range b {
			b[j] = byte('a' + r.IntN(26))
		}
		words[i] = string(b)
	}
	const size, block = 64 << 20, 4096
	out := make([]byte, 0, size+block)
	for len(out) < size {
		if r.IntN(20) < 17 {
			end := len(out) + block
			for len(out) < end {
				out = append(out, words[r.IntN(len(words))]...)
				out = append(out, " \n\t;("[r.IntN(5)])
			}
		} else {
			for range block / 8 {
				v := r.Uint64()
				out = append(out, byte(v), byte(v>>8), byte(v>>16), byte(v>>24), byte(v>>32), byte(v>>40), byte(v>>48), byte(v>>56))
			}
		}
	}
	return out[:size]
})

// layerWriter writes one layer tar and counts what it wrote.
type layerWriter struct {
	tw      *tar.Writer
	r       *rand.Rand
	files   int
	entries int
	bytes   int64
	dirs    map[string]bool
}

func (w *layerWriter) header(h *tar.Header) {
	h.ModTime, h.Format = epoch, tar.FormatPAX
	if err := w.tw.WriteHeader(h); err != nil {
		panic(err) // writes go to a local file; failure is fatal for the bench
	}
	w.entries++
}

// parents writes the directories above p that this layer has not written.
func (w *layerWriter) parents(p string) {
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && !w.dirs[p[:i]] {
			w.dirs[p[:i]] = true
			w.header(&tar.Header{Name: p[:i] + "/", Typeflag: tar.TypeDir, Mode: 0o755})
		}
	}
}

func (w *layerWriter) file(p string, size int64) {
	w.parents(p)
	w.header(&tar.Header{Name: p, Typeflag: tar.TypeReg, Mode: 0o644, Size: size})
	for left := size; left > 0; {
		n := min(left, 8<<20)
		p := pool()
		off := w.r.Int64N(int64(len(p)) - n)
		if _, err := w.tw.Write(p[off : off+n]); err != nil {
			panic(err)
		}
		left -= n
	}
	w.files++
	w.bytes += size
}

// smallSize draws a size shaped like real images: most files a few kB, a
// long tail to hundreds of kB.
func (w *layerWriter) smallSize() int64 {
	if w.r.IntN(100) == 0 {
		return 100<<10 + w.r.Int64N(900<<10)
	}
	return min(int64(w.r.ExpFloat64()*8000), 256<<10)
}

func (w *layerWriter) symlink(p, target string) {
	w.parents(p)
	w.header(&tar.Header{Name: p, Typeflag: tar.TypeSymlink, Linkname: target, Mode: 0o777})
	w.bytes += int64(len(target))
}

func (w *layerWriter) hardlink(p, target string) {
	w.parents(p)
	w.header(&tar.Header{Name: p, Typeflag: tar.TypeLink, Linkname: target, Mode: 0o644})
}

func (w *layerWriter) whiteout(p string) {
	dir, base := filepath.Split(p)
	w.parents(dir + ".wh." + base)
	w.header(&tar.Header{Name: dir + ".wh." + base, Typeflag: tar.TypeReg, Mode: 0o600})
}

func (w *layerWriter) opaque(dir string) {
	w.parents(dir + "/.wh..wh..opq")
	w.header(&tar.Header{Name: dir + "/.wh..wh..opq", Typeflag: tar.TypeReg, Mode: 0o600})
}

// tree writes n files under root in a two-level directory fan-out, with a
// symlink every 20 files and a hard link every 40.
func (w *layerWriter) tree(root, ext string, n int) {
	for i := range scaled(n) {
		p := fmt.Sprintf("%s/d%03d/s%02d/f%05d%s", root, i/400, i/20%20, i, ext)
		w.file(p, w.smallSize())
		switch {
		case i%40 == 39:
			w.hardlink(p+".hl", p)
		case i%20 == 9:
			w.symlink(p+".lnk", filepath.Base(p))
		}
	}
}

// layerSpec is one layer of a bench image: its history line and contents.
type layerSpec struct {
	createdBy string
	write     func(w *layerWriter)
}

// Base-layer paths later layers overwrite and delete.
func basePkgFile(pkg, i int) string {
	return fmt.Sprintf("usr/lib/x86_64-linux-gnu/pkg%03d/d%d/lib%03d_%03d.so", pkg, i/10, pkg, i)
}

const (
	basePkgs      = 300
	basePerPkg    = 100
	aptCacheDirs  = 1500
	bigFileSize   = 60 << 20
	fileWhiteouts = 3000
)

func baseLayer(w *layerWriter) {
	var status strings.Builder
	for pkg := range scaled(basePkgs) {
		var list strings.Builder
		for i := range basePerPkg {
			p := basePkgFile(pkg, i)
			w.file(p, w.smallSize())
			fmt.Fprintf(&list, "/%s\n", p)
			if i%40 == 39 {
				w.hardlink(p+".1", p)
			} else if i%20 == 9 {
				w.symlink(p+".0", filepath.Base(p))
			}
		}
		for i := range 15 {
			p := fmt.Sprintf("usr/share/doc/pkg%03d/doc%02d.txt", pkg, i)
			w.file(p, w.smallSize())
			fmt.Fprintf(&list, "/%s\n", p)
			p = fmt.Sprintf("usr/share/pkg%03d/data%02d", pkg, i)
			w.file(p, w.smallSize())
			fmt.Fprintf(&list, "/%s\n", p)
		}
		section := "libs"
		if pkg%10 == 0 {
			section = "devel"
		}
		fmt.Fprintf(&status, "Package: pkg%03d\nStatus: install ok installed\nPriority: optional\nSection: %s\nInstalled-Size: 1234\nArchitecture: amd64\nVersion: 1.%d\nDescription: bench package %d\n\n", pkg, section, pkg, pkg)
		writeBody(w, fmt.Sprintf("var/lib/dpkg/info/pkg%03d.list", pkg), list.String())
	}
	writeBody(w, "var/lib/dpkg/status", status.String())
}

func writeBody(w *layerWriter, p, body string) {
	w.parents(p)
	w.header(&tar.Header{Name: p, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))})
	io.WriteString(w.tw, body)
	w.files++
	w.bytes += int64(len(body))
}

// bigImage is the ≥ 2 GB, ≥ 150k-file image. Its first ten layers are the
// base that the "next" image shares; app names its last layers.
func bigImage(app string) []layerSpec {
	base := []layerSpec{
		{"ADD rootfs.tar.xz / # buildkit", baseLayer},
		{"RUN /bin/sh -c apt-get update && apt-get install -y build-essential # buildkit", func(w *layerWriter) {
			w.tree("usr/lib/gcc/x86_64-linux-gnu/12", ".o", 12000)
			for i := range aptCacheDirs {
				d := fmt.Sprintf("var/cache/apt/archives/partial/p%04d", i)
				w.file(d+"/a.deb", w.smallSize())
				w.file(d+"/b.deb", w.smallSize())
			}
		}},
		{"COPY . /opt/app # buildkit", func(w *layerWriter) { w.tree("opt/app/src", ".c", 12000) }},
		{"RUN /bin/sh -c ./install-toolchain.sh # buildkit", func(w *layerWriter) {
			w.tree("usr/local/toolchain/lib", ".a", 12000)
			for i := range 4 {
				w.file(fmt.Sprintf("usr/local/toolchain/bin/tool%d", i), bigSize(bigFileSize))
			}
		}},
		{"RUN /bin/sh -c apt-get upgrade -y # buildkit", func(w *layerWriter) {
			for i := range 3000 { // overwrites of base files
				w.file(basePkgFile(i%basePkgs, i/basePkgs*7%basePerPkg), w.smallSize())
			}
			w.tree("usr/lib/python3/dist-packages", ".py", 9000)
		}},
		{"RUN /bin/sh -c cleanup.sh # buildkit", func(w *layerWriter) {
			for i := range fileWhiteouts {
				if i%2 == 0 {
					w.whiteout(basePkgFile(i/2%basePkgs, 50+i/2/basePkgs))
				} else {
					w.whiteout(fmt.Sprintf("usr/lib/gcc/x86_64-linux-gnu/12/d%03d/s%02d/f%05d.o", i/400, i/20%20, i))
				}
			}
			w.tree("usr/share/locale", ".mo", 9000)
		}},
		{"RUN /bin/sh -c rm -rf /var/cache/apt/archives/partial/* /usr/share/doc/* # buildkit", func(w *layerWriter) {
			for i := range aptCacheDirs {
				w.whiteout(fmt.Sprintf("var/cache/apt/archives/partial/p%04d", i))
			}
			for pkg := range basePkgs {
				w.whiteout(fmt.Sprintf("usr/share/doc/pkg%03d", pkg))
			}
			w.tree("usr/share/man", ".gz", 10000)
		}},
		{"RUN /bin/sh -c make -C /opt/app install # buildkit", func(w *layerWriter) {
			w.opaque("opt/app")
			w.tree("opt/app/build", ".o", 12000)
			for i := range 3 {
				w.file(fmt.Sprintf("opt/app/bin/app%d", i), bigSize(bigFileSize))
			}
		}},
		{"RUN /bin/sh -c pip install -r requirements.txt # buildkit", func(w *layerWriter) {
			w.tree("usr/local/lib/python3.11/site-packages", ".py", 12000)
			w.file("usr/local/toolchain/bin/tool0", bigSize(bigFileSize/2)) // overwrites a big file
			for i := range 3 {
				w.file(fmt.Sprintf("usr/local/lib/python3.11/site-packages/big/model%d.bin", i), bigSize(bigFileSize))
			}
		}},
		{"RUN /bin/sh -c npm ci # buildkit", func(w *layerWriter) {
			w.tree("opt/web/node_modules/@scope/very-long-package-name-for-pax-headers/lib/internal/deeply/nested", ".js", 14000)
			writeBody(w, "opt/web/package-lock.json", `{"lockfileVersion":3,"packages":{}}`)
		}},
	}
	switch app {
	case "big":
		return append(base,
			layerSpec{"COPY /out/app /usr/local/bin/app # buildkit", func(w *layerWriter) {
				w.tree("srv/app/v1/static", ".html", 3000)
				w.file("usr/local/bin/app", bigSize(40<<20))
			}},
			layerSpec{"COPY config /etc/app # buildkit", func(w *layerWriter) { w.tree("etc/app/v1", ".conf", 2000) }},
		)
	default: // "next": the same base, a newer app
		return append(base,
			layerSpec{"COPY /out/app /usr/local/bin/app # buildkit", func(w *layerWriter) {
				w.tree("srv/app/v2/static", ".html", 3500)
				w.file("usr/local/bin/app", bigSize(45<<20))
			}},
			layerSpec{"COPY config /etc/app # buildkit", func(w *layerWriter) { w.tree("etc/app/v2", ".conf", 2500) }},
			layerSpec{"COPY migrations /srv/migrations # buildkit", func(w *layerWriter) { w.tree("srv/migrations", ".sql", 1000) }},
		)
	}
}

// singleImage is one big layer, as a single-stage Go or Node build
// pushes it: ~60,000 small files of sources and dependencies and a few
// big binaries, ~360 MB gzip-compressed (the typical layer). It
// is the image where one connection per blob hurts most.
func singleImage() []layerSpec {
	return []layerSpec{{"COPY . /app # buildkit", func(w *layerWriter) {
		w.tree("app/node_modules/@scope/pkg/lib", ".js", 30000)
		w.tree("app/src", ".go", 10000)
		for i := range 5 {
			w.file(fmt.Sprintf("app/bin/server%d", i), bigSize(bigFileSize))
		}
	}}}
}

// whiteoutImage is a 30k-file base layer and a layer deleting n of them.
func whiteoutImage(n int) []layerSpec {
	return []layerSpec{
		{"ADD base.tar / # buildkit", func(w *layerWriter) {
			for i := range 30000 {
				w.file(whiteoutPath(i), 1+w.r.Int64N(2000))
			}
		}},
		{fmt.Sprintf("RUN /bin/sh -c rm %d files # buildkit", n), func(w *layerWriter) {
			for i := range n {
				w.whiteout(whiteoutPath(i * 30000 / n))
			}
			w.file("etc/marker", 10)
		}},
	}
}

func whiteoutPath(i int) string { return fmt.Sprintf("srv/data/d%03d/f%05d", i/100, i) }

// layerOut is a generated layer: its tar in every compression.
type layerOut struct {
	diffID         v1.Hash
	raw            string // uncompressed tar
	rawSize        int64
	gzip, zstd     blob
	files, entries int
	bytes          int64
}

type blob struct {
	path string
	hash v1.Hash
	size int64
}

// writeLayers writes the layers of specs (two at a time) into dir, each
// as a raw tar and, if asked, a gzip and a zstd blob. seed makes the
// layers of one image differ from another's where their specs differ.
func writeLayers(dir string, specs []layerSpec, seed uint64, gz, zs bool) ([]*layerOut, error) {
	out := make([]*layerOut, len(specs))
	var g errgroup.Group
	g.SetLimit(2)
	for i, s := range specs {
		g.Go(func() error {
			l, err := writeLayer(dir, s, seed+uint64(i), gz, zs)
			out[i] = l
			return err
		})
	}
	return out, g.Wait()
}

func writeLayer(dir string, s layerSpec, seed uint64, gz, zs bool) (*layerOut, error) {
	tmp, err := os.CreateTemp(dir, "layer-*.tar")
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(tmp, h)}
	lw := &layerWriter{tw: tar.NewWriter(cw), r: rand.New(rand.NewPCG(seed, 42)), dirs: map[string]bool{}}
	s.write(lw)
	if err := lw.tw.Close(); err != nil {
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	l := &layerOut{
		diffID: hashOf(h), raw: tmp.Name(), rawSize: cw.n,
		files: lw.files, entries: lw.entries, bytes: lw.bytes,
	}
	var g errgroup.Group
	if gz {
		g.Go(func() (err error) {
			l.gzip, err = compressBlob(dir, l.raw, func(w io.Writer) (io.WriteCloser, error) {
				return gzip.NewWriterLevel(w, gzip.BestSpeed)
			})
			return err
		})
	}
	if zs {
		g.Go(func() (err error) {
			l.zstd, err = compressBlob(dir, l.raw, func(w io.Writer) (io.WriteCloser, error) {
				return zstd.NewWriter(w, zstd.WithEncoderConcurrency(1))
			})
			return err
		})
	}
	return l, g.Wait()
}

func compressBlob(dir, raw string, newW func(io.Writer) (io.WriteCloser, error)) (blob, error) {
	in, err := os.Open(raw)
	if err != nil {
		return blob{}, err
	}
	defer in.Close()
	f, err := os.CreateTemp(dir, "blob-*")
	if err != nil {
		return blob{}, err
	}
	defer f.Close()
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	zw, err := newW(cw)
	if err != nil {
		return blob{}, err
	}
	if _, err := io.Copy(zw, in); err != nil {
		return blob{}, err
	}
	if err := zw.Close(); err != nil {
		return blob{}, err
	}
	return blob{path: f.Name(), hash: hashOf(h), size: cw.n}, f.Close()
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func hashOf(h hash.Hash) v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
}

func configFor(specs []layerSpec, ls []*layerOut) ([]byte, error) {
	cfg := v1.ConfigFile{
		Architecture: "amd64", OS: "linux", Created: v1.Time{Time: epoch},
		Config: v1.Config{User: "65532", Entrypoint: []string{"/usr/local/bin/app"}},
		RootFS: v1.RootFS{Type: "layers"},
	}
	for i, s := range specs {
		cfg.History = append(cfg.History, v1.History{Created: v1.Time{Time: epoch}, CreatedBy: s.createdBy, Comment: "buildkit.dockerfile.v0"})
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, ls[i].diffID)
		if i == 0 {
			cfg.History = append(cfg.History, v1.History{Created: v1.Time{Time: epoch}, CreatedBy: "ENV PATH=/usr/local/bin:/usr/bin", EmptyLayer: true})
		}
	}
	return json.Marshal(cfg)
}

// writeDockerArchive writes a docker save archive in the layout of Docker
// before 25: <id>/layer.tar uncompressed, <config>.json, manifest.json.
func writeDockerArchive(path, tag string, specs []layerSpec, ls []*layerOut) error {
	cfg, err := configFor(specs, ls)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	put := func(name string, body []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body)), ModTime: epoch}); err != nil {
			return err
		}
		_, err := tw.Write(body)
		return err
	}
	cfgHex := fmt.Sprintf("%x", sha256.Sum256(cfg))
	manifest := []map[string]any{{"Config": cfgHex + ".json", "RepoTags": []string{tag}, "Layers": []string{}}}
	var names []string
	for _, l := range ls {
		name := l.diffID.Hex + "/layer.tar"
		names = append(names, name)
		if err := tw.WriteHeader(&tar.Header{Name: l.diffID.Hex + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: epoch}); err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: l.rawSize, ModTime: epoch}); err != nil {
			return err
		}
		in, err := os.Open(l.raw)
		if err != nil {
			return err
		}
		_, err = io.Copy(tw, in)
		in.Close()
		if err != nil {
			return err
		}
	}
	manifest[0]["Layers"] = names
	mj, _ := json.Marshal(manifest)
	if err := put(cfgHex+".json", cfg); err != nil {
		return err
	}
	if err := put("manifest.json", mj); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return f.Close()
}

// ociImage is one image to put in an OCI layout.
type ociImage struct {
	tag    string
	specs  []layerSpec
	layers []*layerOut
}

// writeOCILayout writes an OCI image layout holding imgs, tagged by
// org.opencontainers.image.ref.name, with the layers compressed as asked.
func writeOCILayout(dir string, useZstd bool, imgs ...ociImage) error {
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return err
	}
	putBlob := func(body []byte) (v1.Hash, error) {
		h := v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", sha256.Sum256(body))}
		return h, os.WriteFile(filepath.Join(blobs, h.Hex), body, 0o644)
	}
	idx := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex}
	for _, img := range imgs {
		cfg, err := configFor(img.specs, img.layers)
		if err != nil {
			return err
		}
		cfgHash, err := putBlob(cfg)
		if err != nil {
			return err
		}
		m := v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1,
			Config: v1.Descriptor{MediaType: types.OCIConfigJSON, Digest: cfgHash, Size: int64(len(cfg))}}
		for _, l := range img.layers {
			b, mt := l.gzip, types.OCILayer
			if useZstd {
				b, mt = l.zstd, types.OCILayerZStd
			}
			dst := filepath.Join(blobs, b.hash.Hex)
			if _, err := os.Stat(dst); err != nil {
				// Hard-link rather than copy: layers shared by two layouts
				// or two images cost no disk twice.
				if err := os.Link(b.path, dst); err != nil {
					return err
				}
			}
			m.Layers = append(m.Layers, v1.Descriptor{MediaType: mt, Digest: b.hash, Size: b.size})
		}
		mj, _ := json.Marshal(m)
		mh, err := putBlob(mj)
		if err != nil {
			return err
		}
		idx.Manifests = append(idx.Manifests, v1.Descriptor{MediaType: types.OCIManifestSchema1, Digest: mh, Size: int64(len(mj)),
			Annotations: map[string]string{"org.opencontainers.image.ref.name": img.tag}})
	}
	ij, _ := json.Marshal(idx)
	if err := os.WriteFile(filepath.Join(dir, "index.json"), ij, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
}

// generated describes what was written, for the report; it is saved in
// the work dir so that a kept dir is reused.
type generated struct {
	Big          string         // docker-archive of the big image
	Scale        float64        // -scale the images were generated at
	GzipLayout   string         // OCI layout, gzip: tags big, next and single
	ZstdLayout   string         // OCI layout, zstd: tag big
	Whiteouts    map[int]string // docker-archives by whiteout count
	BigFiles     int
	BigEntries   int
	BigBytes     int64
	BigLayers    int
	NextBytes    int64
	GzipBytes    int64
	ZstdBytes    int64
	Uncompressed int64
	SingleFiles  int
	SingleBytes  int64 // content
	SingleGzip   int64 // the gzip blob
}

func writeStamp(p string, g *generated) error {
	b, err := json.Marshal(g)
	if err != nil {
		return err
	}
	return os.WriteFile(p, b, 0o644)
}

func readStamp(p string) (*generated, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var g generated
	return &g, json.Unmarshal(b, &g)
}

// generate writes every bench image under dir.
func generate(dir string, whiteoutNs []int) (*generated, error) {
	work := filepath.Join(dir, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	g := &generated{
		Scale:      scale,
		Big:        filepath.Join(dir, "big-docker.tar"),
		GzipLayout: filepath.Join(dir, "oci-gzip"),
		ZstdLayout: filepath.Join(dir, "oci-zstd"),
		Whiteouts:  map[int]string{},
	}
	bigSpecs, nextSpecs := bigImage("big"), bigImage("next")
	big, err := writeLayers(work, bigSpecs, 100, true, true)
	if err != nil {
		return nil, err
	}
	// The next image's base layers are the big image's (same seeds, same
	// bytes); only its app layers are new.
	next := append([]*layerOut{}, big[:10]...)
	app, err := writeLayers(work, nextSpecs[10:], 1000, true, false)
	if err != nil {
		return nil, err
	}
	next = append(next, app...)

	if err := writeDockerArchive(g.Big, "bench:big", bigSpecs, big); err != nil {
		return nil, err
	}
	singleSpecs := singleImage()
	single, err := writeLayers(work, singleSpecs, 500, true, false)
	if err != nil {
		return nil, err
	}
	g.SingleFiles, g.SingleBytes, g.SingleGzip = single[0].files, single[0].bytes, single[0].gzip.size
	if err := writeOCILayout(g.GzipLayout, false, ociImage{"big", bigSpecs, big}, ociImage{"next", nextSpecs, next}, ociImage{"single", singleSpecs, single}); err != nil {
		return nil, err
	}
	if err := writeOCILayout(g.ZstdLayout, true, ociImage{"big", bigSpecs, big}); err != nil {
		return nil, err
	}
	for _, l := range big {
		g.BigFiles += l.files
		g.BigEntries += l.entries
		g.BigBytes += l.bytes
		g.GzipBytes += l.gzip.size
		g.ZstdBytes += l.zstd.size
		g.Uncompressed += l.rawSize
	}
	g.BigLayers = len(big)
	for _, l := range next {
		g.NextBytes += l.bytes
	}

	var mu sync.Mutex
	var eg errgroup.Group
	eg.SetLimit(2)
	for _, n := range whiteoutNs {
		eg.Go(func() error {
			specs := whiteoutImage(n)
			ls, err := writeLayers(work, specs, 7, false, false)
			if err != nil {
				return err
			}
			p := filepath.Join(dir, fmt.Sprintf("whiteouts-%d.tar", n))
			if err := writeDockerArchive(p, fmt.Sprintf("bench:wh%d", n), specs, ls); err != nil {
				return err
			}
			mu.Lock()
			g.Whiteouts[n] = p
			mu.Unlock()
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	// Every layout holds its blobs by hard link: the work files can go.
	return g, os.RemoveAll(work)
}

// manyImage is one layer of dirs × per empty files: the shape of the
// memory targets (issue 26), where what the command holds per tar entry
// is all there is to measure.
func manyImage(dirs, per int) []layerSpec {
	return []layerSpec{{"COPY data /data # buildkit", func(w *layerWriter) {
		for d := range dirs {
			for f := range per {
				w.file(fmt.Sprintf("data/d%03d/f%05d", d, f), 0)
			}
		}
	}}}
}

// manyImages are the two many-entry images: A of 400 × 10,000 files
// (4,000,401 tar entries at scale 1: the files, their directories and
// data/), B of 500 × 8,000 (the paths of both overlap for 3.2M files),
// each an OCI layout with one gzip layer.
type manyImages struct {
	Scale              float64
	A, B               string // layouts, tag "many"
	EntriesA, EntriesB int
}

// generateMany writes the many-entry images into dir, or reuses those a
// kept dir holds. They are generated apart from the others (their raw
// tars are 2 GB each, removed at once): only the memory targets use them.
func generateMany(dir string) (*manyImages, error) {
	stamp := filepath.Join(dir, "many.json")
	if b, err := os.ReadFile(stamp); err == nil {
		var m manyImages
		if json.Unmarshal(b, &m) == nil && m.Scale == scale && m.EntriesA > 0 {
			return &m, nil
		}
	}
	work := filepath.Join(dir, "work-many")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	m := &manyImages{Scale: scale, A: filepath.Join(dir, "oci-many-a"), B: filepath.Join(dir, "oci-many-b")}
	for _, im := range []struct {
		layout    string
		dirs, per int
		entries   *int
		seed      uint64
	}{{m.A, scaled(400), 10_000, &m.EntriesA, 900}, {m.B, scaled(500), 8_000, &m.EntriesB, 901}} {
		if err := os.RemoveAll(im.layout); err != nil {
			return nil, err
		}
		specs := manyImage(im.dirs, im.per)
		ls, err := writeLayers(work, specs, im.seed, true, false)
		if err != nil {
			return nil, err
		}
		if err := os.Remove(ls[0].raw); err != nil {
			return nil, err
		}
		if err := writeOCILayout(im.layout, false, ociImage{"many", specs, ls}); err != nil {
			return nil, err
		}
		*im.entries = ls[0].entries
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return m, os.WriteFile(stamp, b, 0o644)
}
