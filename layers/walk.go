package layers

import (
	"archive/tar"
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/sync/errgroup"

	"github.com/imgdiff/imgdiff/layers/elffacts"
	"github.com/imgdiff/imgdiff/layers/index"
	"github.com/imgdiff/imgdiff/layers/source"
)

// DefaultMaxCapture is the largest file body a walk captures by default.
const DefaultMaxCapture = 16 << 20

// DefaultMaxEntries is how many tar entries a layer may hold by default:
// ten times the largest real layers (a few hundred thousand files), and an
// index of about 1 GB at the walker's ~100 bytes per entry.
const DefaultMaxEntries = 10_000_000

// ErrTooManyEntries is wrapped by the error of a walk that stops at
// WalkOptions.MaxEntries.
var ErrTooManyEntries = errors.New("too many entries (--max-entries)")

// WalkOptions configure Walk.
type WalkOptions struct {
	// Jobs is how many layers are read at once; it must be > 0.
	Jobs int
	// Capture, when set, names the files whose bodies the walk keeps in
	// index.Layer.Contents (package databases, lockfiles). It sees canonical
	// paths and sizes of regular files only.
	Capture func(path string, size int64) bool
	// Head, when set, says how many first bytes of a regular file the
	// walk keeps (0: none; at most index.HeadSize; the whole body when
	// smaller) in index.Layer.Contents, whatever its size: the header
	// evidence of what a file is (an ELF relocatable object, a static
	// archive, a file a generator says it wrote), read without keeping
	// the body. A file Capture selects is captured whole instead. Like
	// Capture, what it selects must be part of CaptureKey.
	Head func(path string, size int64) int
	// CaptureKey identifies the Capture and Head sets; it is part of cache
	// keys, so a change to what is captured never serves stale cached
	// indexes.
	CaptureKey string
	// ELF, when set, selects the regular files (canonical path,
	// permission bits, size) whose ELF facts the walk reads into
	// index.Layer.ELF (package elffacts): a selected body is read only as
	// far as its facts need (16 bytes of a script, 64 KiB of a static
	// binary) and never kept. When it is nil the walk reads no body for
	// it. Whatever selects files must be part of CaptureKey, as for
	// Capture; a captured body is read for facts from memory.
	ELF func(path string, mode uint32, size int64) bool
	// MaxCapture caps a captured body; larger files are not captured.
	// 0 means DefaultMaxCapture.
	MaxCapture int64
	// MaxEntries caps the tar entries of one layer, whiteouts included,
	// and the entries of one image's layers together: an index costs
	// memory per entry, and a hostile layer of tiny entries must fail
	// with an error, not exhaust the machine. 0 means DefaultMaxEntries.
	MaxEntries int
	// Cache, when set, is consulted before a layer is read and filled after.
	Cache Cache
	// Observer, when set, is told of each layer's progress.
	Observer Observer

	// readAhead is set by Walk for a layer read while a core is spare:
	// a verifying source then hashes beside the decoding
	// (source.Verifier.ReadAhead).
	readAhead bool
}

// Cache stores layer file indexes by key (see CacheKey). Implementations must
// be safe for concurrent use; a Get miss or a failed Put never fails a walk.
type Cache interface {
	Get(key string) (*index.Layer, bool)
	Put(key string, l *index.Layer) error
}

// Observer is told of walk progress; implementations must be safe for
// concurrent use. Byte counts are of the blob as stored.
type Observer interface {
	LayerStarted(diffID string, blobSize int64)
	LayerRead(diffID string, n int)
	LayerDone(diffID string, cached bool, err error)
}

// CacheKey is the key under which the file index of layer l walked with
// captureKey is cached, and false when l must not be cached. The key is
// built from what the source shows of the bytes (Identity), never from
// the diffID the config claims, which an image can set to another layer's
// to be served that layer's index:
//
//   - a blob from a registry, or saved by the local engine: its digest,
//     checked as the blob is read; a cache entry is written only after
//     such a check, and a registry serves by digest;
//   - a blob in a local file (OCI layout or archive, Docker 25+ archive):
//     its digest and the file's fingerprint, so that an entry is reused
//     only for the very file it was verified from, unchanged (a hit
//     under the digest alone would trust a file name);
//   - an uncompressed layer the walker reads by seeking past bodies, which
//     nothing hashes: the fingerprint of the file and the layer's place
//     in it (engine layers: the diffID, which the engine computed);
//   - anything else (no Identity, no fingerprint): not cached.
func CacheKey(l Layer, captureKey string) (string, bool) {
	k := identityKey(l).cache
	if k == "" {
		return "", false
	}
	if captureKey != "" {
		k += "+" + captureKey
	}
	return k, true
}

// layerKeys are the keys the walk uses for one layer.
type layerKeys struct {
	// job de-duplicates within a run: layers with the same job key are
	// read once (a local copy of a blob is still hashed: see copyJob).
	job string
	// cache is the cache key without the capture key; "" = not cached.
	cache string
	// same is what index.Layer.Identity says; "" = shown equal to none.
	same string
	// local is set for bytes in a local file not saved by the engine:
	// their digest is only known once this run has read them.
	local    bool
	location string
}

func identityKey(l Layer) layerKeys {
	if ix, ok := l.(source.Indexed); ok {
		// A snapshot's index is only what a file claims: never shared
		// with a layer read in this run, never cached. Its identity is
		// what the run that took it showed.
		return layerKeys{job: fmt.Sprintf("indexed %p", l), same: ix.Same()}
	}
	il, ok := l.(Identified)
	if !ok {
		return layerKeys{job: fmt.Sprintf("layer %p", l)}
	}
	id := il.Identity()
	switch {
	case id.Digest != "":
		k := layerKeys{job: "blob:" + id.Digest, same: "blob:" + id.Digest, location: id.Location}
		switch {
		case id.Engine || id.Location == "" && !id.Local:
			k.cache = k.job
		case id.Location != "":
			k.cache = k.job + "@" + id.Location
			k.local = true
		default:
			k.local = true
		}
		return k
	case id.Engine:
		d := "diffid:" + l.DiffID().String()
		return layerKeys{job: "engine:" + d, cache: "engine:" + d, same: d}
	case id.Location != "":
		loc := "file:" + id.Location
		return layerKeys{job: loc, cache: loc, same: loc}
	}
	return layerKeys{job: fmt.Sprintf("layer %p", l)}
}

// Walk reads the layers of the given images, in parallel, into file indexes.
// A layer that several images are shown to share (see CacheKey: the same
// verified blob, engine diffID or file section, never a claimed diffID) is
// read once; a local copy of a shared blob is only hashed. The result
// holds one index.Image per input image, in order.
func Walk(ctx context.Context, opts WalkOptions, imgs ...*Image) ([]*index.Image, error) {
	if opts.Jobs <= 0 {
		return nil, fmt.Errorf("walk: jobs must be > 0, got %d", opts.Jobs)
	}
	if opts.MaxCapture == 0 {
		opts.MaxCapture = DefaultMaxCapture
	}

	// One job per distinct identity, read from the first image that has
	// it (see CacheKey: never by the diffID a config claims).
	type job struct {
		layer Layer
		keys  layerKeys
		out   *index.Layer
		// where names the layer for errors: the first image that has it.
		where string
		// observe: the first job of its diffID reports progress (the
		// observer knows layers by diffID).
		observe bool
	}
	// copyJob is another local file that holds a blob a job reads: it is
	// hashed in this run (not decompressed or indexed) before it shares
	// the job's index, so a file that only claims the digest in its name
	// is caught.
	type copyJob struct {
		layer Layer
		keys  layerKeys
		of    *job
		where string
	}
	jobs := map[string]*job{}
	var order []*job
	var copies []*copyJob
	copyOf := map[string]bool{}
	observed := map[string]bool{}
	for _, img := range imgs {
		if len(img.Layers) != len(img.Config.RootFS.DiffIDs) {
			return nil, fmt.Errorf("%s: config lists %d layers, manifest %d", img.Ref, len(img.Config.RootFS.DiffIDs), len(img.Layers))
		}
		for k, l := range img.Layers {
			keys := identityKey(l)
			where := fmt.Sprintf("%s: layer %d", img.Ref, k)
			j, ok := jobs[keys.job]
			if !ok {
				id := l.DiffID().String()
				j = &job{layer: l, keys: keys, where: where, observe: !observed[id]}
				observed[id] = true
				jobs[keys.job] = j
				order = append(order, j)
				continue
			}
			if keys.local && (keys.location == "" || keys.location != j.keys.location) && !copyOf[keys.job+"\x00"+keys.location] {
				copyOf[keys.job+"\x00"+keys.location] = keys.location != ""
				copies = append(copies, &copyJob{layer: l, keys: keys, of: j, where: where})
			}
		}
	}

	// Largest blobs first: with a few workers and layers of very unequal
	// size, starting a big layer last leaves the other workers idle while
	// it finishes. Sources that do not know a size (-1) keep their order
	// after the known ones.
	slices.SortStableFunc(order, func(a, b *job) int {
		return cmp.Compare(b.layer.Blob().Size, a.layer.Blob().Size)
	})

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Jobs)
	var finished atomic.Int64
	for i, j := range order {
		g.Go(func() error {
			defer finished.Add(1)
			o := opts
			if !j.observe {
				o.Observer = nil
			}
			// Fewer layers left than cores: one would idle, so the
			// blob's SHA-256 may run beside its decoding.
			o.readAhead = len(order)-int(finished.Load()) < runtime.GOMAXPROCS(0)
			l, err := walkCached(gctx, j.layer, o)
			if err != nil {
				return fmt.Errorf("%s %w", j.where, err)
			}
			j.out = l
			return nil
		})
		// A worker has just taken j; the next job starts when a worker
		// is free. Its blob can arrive meanwhile (gctx ends the prefetch
		// with the walk, whatever happened).
		if i+1 < len(order) {
			prefetch(gctx, order[i+1].layer, opts)
		}
	}
	var toPut []*copyJob
	var putMu sync.Mutex
	for _, c := range copies {
		g.Go(func() error {
			key, cacheable := CacheKey(c.layer, opts.CaptureKey)
			if cacheable && opts.Cache != nil {
				if _, ok := opts.Cache.Get(key); ok {
					return nil // this very file was verified by an earlier run
				}
			}
			if err := drainLayer(gctx, c.layer); err != nil {
				return fmt.Errorf("%s (%s): %w", c.where, index.ShortDigest(c.layer.DiffID().String()), err)
			}
			if cacheable {
				putMu.Lock()
				toPut = append(toPut, c)
				putMu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if opts.Cache != nil {
		for _, c := range toPut {
			key, _ := CacheKey(c.layer, opts.CaptureKey)
			_ = opts.Cache.Put(key, c.of.out)
		}
	}

	out := make([]*index.Image, len(imgs))
	for i, img := range imgs {
		ii := &index.Image{
			Ref:          img.Ref,
			Transport:    img.Transport,
			Platform:     index.Platform(img.Platform.OS, img.Platform.Architecture, img.Platform.Variant),
			Digest:       img.Digest,
			ManifestSize: img.ManifestSize,
			ConfigSize:   img.ConfigSize,
			Annotations:  img.Annotations,
			Config:       img.Config,
			Snapshot:     img.Snapshot,
		}
		var size, compressed int64
		var entries int
		for k, l := range img.Layers {
			keys := identityKey(l)
			files := jobs[keys.job].out
			var err error
			if size, err = index.AddSize(size, files.Size); err != nil {
				return nil, fmt.Errorf("%s: layer %d: image size: %w", img.Ref, k, err)
			}
			if entries += len(files.Entries); entries > maxEntries(opts) {
				return nil, fmt.Errorf("%s: layer %d: the image's layers hold more than %d entries: %w", img.Ref, k, maxEntries(opts), ErrTooManyEntries)
			}
			il := *files // shares the file part; blob facts are per image
			b := l.Blob()
			// A manifest claims blob sizes: checked like the rest, so
			// a compressed total can never wrap either.
			if b.Size != Unknown {
				if compressed, err = index.AddSize(compressed, b.Size); err != nil {
					return nil, fmt.Errorf("%s: layer %d: compressed size: %w", img.Ref, k, err)
				}
			}
			il.Digest, il.CompressedSize, il.MediaType = b.Digest, b.Size, b.MediaType
			il.DiffID, il.Identity = l.DiffID().String(), keys.same
			ii.Layers = append(ii.Layers, &il)
		}
		out[i] = ii
	}
	return out, nil
}

// drainLayer reads a layer's blob to its end, so that a source that checks
// a digest as the blob is read checks it.
func drainLayer(ctx context.Context, l Layer) error {
	rc, err := l.Open(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		_, err := rc.Read(buf)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func walkCached(ctx context.Context, l Layer, opts WalkOptions) (*index.Layer, error) {
	id := l.DiffID().String()
	if ix, ok := l.(source.Indexed); ok {
		idx, err := ix.Index()
		if err == nil && len(idx.Entries) > maxEntries(opts) {
			err = fmt.Errorf("more than %d entries: %w", maxEntries(opts), ErrTooManyEntries)
		}
		if opts.Observer != nil {
			opts.Observer.LayerDone(id, true, err)
		}
		if err != nil {
			return nil, fmt.Errorf("(%s): %w", index.ShortDigest(id), err)
		}
		return idx, nil
	}
	key, cacheable := CacheKey(l, opts.CaptureKey)
	if cacheable && opts.Cache != nil {
		if cached, ok := opts.Cache.Get(key); ok {
			if opts.Observer != nil {
				opts.Observer.LayerDone(id, true, nil)
			}
			return cached, nil
		}
	}
	if opts.Observer != nil {
		opts.Observer.LayerStarted(id, l.Blob().Size)
	}
	idx, err := walkLayer(ctx, l, opts)
	if opts.Observer != nil {
		opts.Observer.LayerDone(id, false, err)
	}
	if err != nil {
		return nil, fmt.Errorf("(%s): %w", index.ShortDigest(id), err)
	}
	if cacheable && opts.Cache != nil {
		_ = opts.Cache.Put(key, idx) // a cache that cannot write only costs speed
	}
	return idx, nil
}

// prefetch starts l's blob arriving if its source can (Prefetcher) and
// the walk will read it: not when the cache may already hold its index,
// which walkCached finds without opening it.
func prefetch(ctx context.Context, l Layer, opts WalkOptions) {
	p, ok := l.(Prefetcher)
	if !ok {
		return
	}
	if key, cacheable := CacheKey(l, opts.CaptureKey); cacheable && opts.Cache != nil {
		h, ok := opts.Cache.(interface{ Has(key string) bool })
		if !ok || h.Has(key) {
			return
		}
	}
	p.Prefetch(ctx)
}

// walkLayer opens one layer, sniffs its compression and indexes its tar.
func walkLayer(ctx context.Context, l Layer, opts WalkOptions) (*index.Layer, error) {
	rc, err := l.Open(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if v, ok := rc.(*source.Verifier); ok && opts.readAhead {
		v.ReadAhead()
	}

	var raw io.Reader = rc
	if opts.Observer != nil {
		raw = &countingReader{r: rc, id: l.DiffID().String(), obs: opts.Observer}
		if s, ok := rc.(io.ReadSeeker); ok {
			raw = &countingReadSeeker{countingReader: raw.(*countingReader), s: s}
		}
	}

	magic, raw, err := sniff(raw)
	if err != nil {
		return nil, fmt.Errorf("reading blob: %w", err)
	}
	if rs, ok := raw.(io.ReadSeeker); ok {
		raw = newSkipReader(rs)
	}
	// A decompressed stream is read through its WriteTo (see pushSource).
	var dec io.WriterTo
	var format string
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(raw)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		dec, format = zr, "gzip"
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		// A blob whose SHA-256 is checked as it is read needs no second,
		// weaker check of what it decodes to: skip zstd's frame checksum
		// (xxhash64 over every decompressed byte, ~5% of the walk).
		_, verified := rc.(*source.Verifier)
		zr, err := zstd.NewReader(raw, zstd.WithDecoderConcurrency(1), zstd.IgnoreChecksum(verified))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		defer zr.Close()
		dec, format = zr, "zstd"
	}
	if dec == nil {
		if name := unsupportedCompression(magic); name != "" {
			return nil, fmt.Errorf("%s-compressed layer is not supported (imgdiff reads uncompressed, gzip and zstd layers)", name)
		}
	}
	var idx *index.Layer
	if dec == nil {
		idx, err = indexPlain(ctx, raw, opts)
	} else {
		idx, err = indexDecoded(ctx, dec, format, raw, opts)
	}
	if err != nil {
		return nil, err
	}
	if il, ok := l.(Identified); ok && dec == nil {
		// An uncompressed blob checked against its digest as it was
		// read is its own diffID: a config that claims another lies.
		if d := il.Identity().Digest; d != "" && d != l.DiffID().String() {
			return nil, fmt.Errorf("the config claims diffID %s, but the layer is an uncompressed tar with digest %s", l.DiffID(), d)
		}
	}
	idx.DiffID = l.DiffID().String()
	return idx, nil
}

// unsupportedCompression names the compression of a blob imgdiff cannot
// read, from its magic bytes; "" when it is none of them.
func unsupportedCompression(magic []byte) string {
	switch {
	case len(magic) >= 4 && bytes.HasPrefix(magic, []byte("BZh")) && magic[3] >= '1' && magic[3] <= '9':
		return "bzip2"
	case bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X'}):
		return "xz"
	}
	return ""
}

// indexPlain indexes an uncompressed layer tar.
func indexPlain(ctx context.Context, r io.Reader, opts WalkOptions) (*index.Layer, error) {
	idx, err := indexTar(ctx, r, opts)
	if err != nil {
		return nil, err
	}
	// Drain what follows the tar's end so a verifying source checks the
	// digest. A seekable plain tar is trusted as stored: reading its bodies
	// is what seeking avoids.
	if _, seekable := r.(io.Seeker); !seekable {
		if _, err := io.Copy(io.Discard, ctxReader{r, ctx.Err}); err != nil {
			return nil, fmt.Errorf("reading past tar end: %w", err)
		}
	}
	return idx, nil
}

// indexDecoded indexes the tar that dec decompresses from raw.
func indexDecoded(ctx context.Context, dec io.WriterTo, format string, raw io.Reader, opts WalkOptions) (*index.Layer, error) {
	ps := newPushSource(dec, format)
	ps.done, ps.canceled = ctx.Done(), ctx.Err
	defer ps.Close() // before the caller closes the decoder
	idx, err := indexSource(ctx, ps, opts)
	if err != nil {
		return nil, err
	}
	// Drain what follows the tar's end so the decompressor checks its
	// checksum and a verifying source checks the digest.
	if err := ps.drain(); err != nil {
		return nil, fmt.Errorf("reading past tar end: %w", err)
	}
	if _, err := io.Copy(io.Discard, ctxReader{raw, ctx.Err}); err != nil {
		return nil, fmt.Errorf("reading past stream end: %w", err)
	}
	return idx, nil
}

// sniff returns the first bytes of r and a reader that still yields them. A
// seeker is rewound rather than buffered, so it stays a seeker.
func sniff(r io.Reader) ([]byte, io.Reader, error) {
	if rs, ok := r.(io.ReadSeeker); ok {
		magic := make([]byte, 4)
		n, err := io.ReadFull(rs, magic)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return nil, nil, err
		}
		if _, err := rs.Seek(0, io.SeekStart); err != nil {
			return nil, nil, err
		}
		return magic[:n], rs, nil
	}
	br := bufio.NewReaderSize(r, 1<<20)
	magic, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, err
	}
	return magic, br, nil
}

// indexTar reads tar headers into a file index. Bodies are skipped (seeked
// past when the reader allows) unless opts.Capture asks for them.
func indexTar(ctx context.Context, r io.Reader, opts WalkOptions) (*index.Layer, error) {
	var src blockSource
	switch r := r.(type) {
	case *skipReader:
		src = r
	case *bufio.Reader:
		if r.Size() < skipBuffer {
			src = bufSource{bufio.NewReaderSize(r, skipBuffer)}
		} else {
			src = bufSource{r}
		}
	default:
		src = bufSource{bufio.NewReaderSize(r, skipBuffer)}
	}
	return indexSource(ctx, src, opts)
}

// indexSource reads src's tar entries with fastTar, handing over to
// archive/tar for the entries only it reads.
func indexSource(ctx context.Context, src blockSource, opts WalkOptions) (*index.Layer, error) {
	ft := newFastTar(src)
	ft.canceled = ctx.Err
	// archive/tar reads the bodies it skips: through ctxReader, so the
	// fallback stops at an interrupt too.
	return indexEntries(ctx, ft, func() tarHeaders { return stdTar{tar.NewReader(ctxReader{ft.replay(), ctx.Err})} }, opts)
}

// ctxReader is a reader that fails with the context's error once it is
// cancelled: a check per read, for loops that read until EOF.
type ctxReader struct {
	r        io.Reader
	canceled func() error
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.canceled(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// indexEntries builds the index from tr's entries. When tr asks for it
// (errFallback), the rest of the entries come from fallback().
func indexEntries(ctx context.Context, tr tarHeaders, fallback func() tarHeaders, opts WalkOptions) (*index.Layer, error) {
	maxEntries := maxEntries(opts)
	idx := &index.Layer{}
	// Every string the index keeps is copied into one arena: hdr's
	// strings may point into the reader's buffer, valid until the next
	// call to tr.Next or tr.Read.
	var arena stringArena
	entries := entryList{arena: &arena}
	var seen pathSet // positions in entries, by path, for repeated names
	var elfReader elffacts.Reader
	var elfBytes int64  // memory the layer's ELF facts hold, about
	var headBytes int64 // memory the layer's heads hold, with their paths
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		hdr, err := tr.Next()
		if errors.Is(err, errFallback) {
			// An entry only archive/tar reads (a sparse file, say): let
			// it read the rest of the layer, from that entry on.
			tr = fallback()
			hdr, err = tr.Next()
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("tar truncated after %d entries: %w", entries.len(), err)
			}
			return nil, fmt.Errorf("reading tar after %d entries: %w", entries.len(), err)
		}
		if n >= maxEntries {
			return nil, fmt.Errorf("more than %d tar entries: %w", maxEntries, ErrTooManyEntries)
		}
		p := index.Canonical(hdr.Name)
		base := p[strings.LastIndexByte(p, '/')+1:]
		if strings.HasPrefix(base, ".wh.") {
			if base == ".wh..wh..opq" {
				idx.OpaqueDirs = append(idx.OpaqueDirs, arena.intern(index.Parent(p)))
			} else {
				idx.Whiteouts = append(idx.Whiteouts, arena.intern(index.Join(index.Parent(p), base[len(".wh."):])))
			}
			continue
		}
		e := rec{mode: uint32(hdr.Mode & 0o7777), uid: index.ID(int64(hdr.UID)), gid: index.ID(int64(hdr.GID))}
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeGNUSparse: // TypeRegA is reported as TypeReg; a sparse file's Size is its real size
			e.kind, e.size = index.File, hdr.Size
		case tar.TypeDir:
			e.kind = index.Dir
		case tar.TypeSymlink:
			e.kind, e.link, e.size = index.Symlink, arena.add(hdr.Linkname), int64(len(hdr.Linkname))
		case tar.TypeLink:
			e.kind, e.link = index.Hardlink, arena.add(index.Canonical(hdr.Linkname))
		case tar.TypeChar:
			e.kind = index.CharDevice
		case tar.TypeBlock:
			e.kind = index.BlockDevice
		case tar.TypeFifo:
			e.kind = index.FIFO
		default:
			continue // pax/GNU metadata entries are folded into headers
		}
		if p == "." && e.kind == index.Dir {
			continue // the root itself adds nothing
		}
		// Checked: a sparse file claims whatever size its header says.
		if err := index.CheckSize(e.size); err != nil {
			return nil, fmt.Errorf("%q claims an impossible size: %w", p, err)
		}
		dup := seen.find(&entries, p)
		size := idx.Size
		if dup >= 0 {
			// A later entry of the same name replaces the earlier one, as
			// extraction does.
			size -= entries.at(dup).size
			e.path = entries.at(dup).path
			if entries.at(dup).kind == index.Dir && e.kind != index.Dir {
				// Extraction removes the old path unless both are
				// directories; when a directory (with what the layer
				// put in it so far) gives way to a file, the file goes
				// where tar order puts it, after that subtree, so
				// analysis sees the subtree removed. Other repeats keep
				// the first one's place: nothing can be inside a file.
				entries.at(dup).kind = dropped
				entries.append(e)
				seen.move(&entries, dup, entries.len()-1)
				dup = -2
			}
		} else {
			e.path = arena.add(p)
		}
		if size, err = index.AddSize(size, e.size); err != nil {
			return nil, fmt.Errorf("%q: layer size: %w", p, err)
		}
		idx.Size = size
		if dup != -1 && idx.Contents != nil {
			// What was kept of the body this entry replaces goes with it
			// (as its ELF facts do below): a symlink, FIFO or device of
			// the same name has no body, and a file Head or Capture
			// passes over (caps reached) must not keep its predecessor's.
			delete(idx.Contents, arena.str(e.path))
		}
		var captured []byte
		if e.kind == index.File && opts.Capture != nil && e.size <= opts.MaxCapture {
			if p := arena.str(e.path); opts.Capture(p, e.size) {
				body, err := io.ReadAll(tr)
				if err != nil {
					return nil, fmt.Errorf("reading %q: %w", p, err)
				}
				if idx.Contents == nil {
					idx.Contents = map[string][]byte{}
				}
				idx.Contents[p] = body
				captured = body
			}
		}
		// head is the first bytes of a file Head selects and Capture did
		// not: read before the ELF reader, which continues from them.
		var head []byte
		if e.kind == index.File && captured == nil && opts.Head != nil && headBytes < maxHeadBytes {
			p := arena.str(e.path)
			if n := min(opts.Head(p, e.size), index.HeadSize); n > 0 {
				head = make([]byte, min(e.size, int64(n)))
				headBytes += int64(len(head) + len(p))
				if _, err := io.ReadFull(tr, head); err != nil {
					return nil, fmt.Errorf("reading %q: %w", p, err)
				}
				if idx.Contents == nil {
					idx.Contents = map[string][]byte{}
				}
				idx.Contents[p] = head
			}
		}
		if opts.ELF != nil {
			p := arena.str(e.path)
			if dup != -1 && idx.ELF != nil {
				delete(idx.ELF, p) // the facts of the entry this one replaces
			}
			if idx.ELF == nil {
				idx.ELF = map[string]index.ELF{}
			}
			if e.kind == index.File && e.size >= minELF && elfBytes < maxELFFactBytes && opts.ELF(p, e.mode, e.size) {
				// A captured body (a binary named in the config is
				// captured as a possible script) is read again from
				// memory. An error (no ELF, a malformed one, a stream
				// that fails) leaves the file without facts; a failing
				// stream fails the walk at the next header.
				// Through ctxReader: up to elffacts.MaxScan of a
				// file, an interrupt must not wait for the next
				// header.
				var body io.Reader = ctxReader{tr, ctx.Err}
				switch {
				case captured != nil:
					body = bytes.NewReader(captured)
				case head != nil:
					body = io.MultiReader(bytes.NewReader(head), body)
				}
				if facts, err := elfReader.Read(body); err == nil {
					cost := int64(64 + len(p) + len(facts.Interp))
					for _, n := range facts.Needed {
						cost += int64(16 + len(n))
					}
					// Past the cap (a hostile layer of many small
					// ELF files needing long names), files get no
					// facts, which is the cautious answer.
					if elfBytes += cost; elfBytes <= maxELFFactBytes {
						idx.ELF[p] = facts
					}
				}
			}
		}
		switch {
		case dup >= 0:
			*entries.at(dup) = e
		case dup == -1:
			entries.append(e)
			seen.add(&entries, entries.len()-1)
		}
	}
	seen = pathSet{} // before the copy: its memory can serve the slice
	idx.Entries = entries.entries()
	return idx, nil
}

// maxHeadBytes caps the memory one layer's heads hold (WalkOptions.Head):
// real layers keep a few thousand (a build tree's objects, a -dev
// package's archives: a few MB); past it, a hostile layer of millions of
// files named x.o gets no more heads, and those files no flag from them,
// the cautious answer. A variable so that a test can lower it.
var maxHeadBytes int64 = 64 << 20

// minELF is the size of the smallest ELF header (ELF32).
const minELF = 52

// maxELFFactBytes caps the memory one layer's ELF facts hold: real layers
// need a few hundred kB (a few thousand binaries and libraries); a
// variable so that a test can lower it.
var maxELFFactBytes int64 = 32 << 20

// maxEntries is opts.MaxEntries with its default, and never more than
// the record positions of an entryList can count.
func maxEntries(opts WalkOptions) int {
	if opts.MaxEntries <= 0 {
		return DefaultMaxEntries
	}
	return min(opts.MaxEntries, math.MaxUint32-1)
}

type countingReader struct {
	r   io.Reader
	id  string
	obs Observer
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.obs.LayerRead(c.id, n)
	}
	return n, err
}

// countingReadSeeker keeps a seekable stream seekable while counting.
type countingReadSeeker struct {
	*countingReader
	s io.Seeker
}

func (c *countingReadSeeker) Seek(off int64, whence int) (int64, error) {
	cur, _ := c.s.Seek(0, io.SeekCurrent)
	n, err := c.s.Seek(off, whence)
	if err == nil && n > cur {
		c.obs.LayerRead(c.id, int(n-cur))
	}
	return n, err
}

// skipBuffer is the read size of a skipReader. Most tar entries of real
// layers are a few kB, so one read holds several headers and bodies.
const skipBuffer = 64 << 10

// skipReader reads a seekable stream through a buffer and serves seeks that
// land inside the buffer without touching the stream. archive/tar reads each
// 512-byte header and seeks past each body: on a file that is two or three
// syscalls per entry, most of them to skip a body of a few kB that is
// cheaper to read with its neighbours. Long bodies are still seeked past.
type skipReader struct {
	rs   io.ReadSeeker
	buf  []byte
	r, w int   // buf[r:w] is unread
	pos  int64 // stream offset of buf[w]
}

func newSkipReader(rs io.ReadSeeker) *skipReader {
	return &skipReader{rs: rs, buf: make([]byte, skipBuffer)}
}

func (s *skipReader) Read(p []byte) (int, error) {
	if s.r == s.w {
		if len(p) >= len(s.buf) {
			n, err := s.rs.Read(p)
			s.r, s.w = 0, 0 // the buffer no longer holds what precedes pos
			s.pos += int64(n)
			return n, err
		}
		n, err := s.rs.Read(s.buf)
		s.r, s.w = 0, n
		s.pos += int64(n)
		if n == 0 {
			return 0, err
		}
	}
	n := copy(p, s.buf[s.r:s.w])
	s.r += n
	return n, nil
}

func (s *skipReader) Seek(off int64, whence int) (int64, error) {
	cur := s.pos - int64(s.w-s.r)
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = off
	case io.SeekCurrent:
		abs = cur + off
	default:
		n, err := s.rs.Seek(off, whence)
		if err != nil {
			return cur, err
		}
		s.r, s.w, s.pos = 0, 0, n
		return n, nil
	}
	if start := s.pos - int64(s.w); abs >= start && abs <= s.pos {
		s.r = int(abs - start)
		return abs, nil
	}
	n, err := s.rs.Seek(abs, io.SeekStart)
	if err != nil {
		return cur, err
	}
	s.r, s.w, s.pos = 0, 0, n
	return n, nil
}

// Peek returns the next n (<= skipBuffer) bytes without consuming them.
func (s *skipReader) Peek(n int) ([]byte, error) {
	if s.w-s.r < n {
		copy(s.buf, s.buf[s.r:s.w])
		s.w -= s.r
		s.r = 0
		for s.w < n {
			k, err := s.rs.Read(s.buf[s.w:])
			s.w += k
			s.pos += int64(k)
			if err != nil {
				if s.w < n {
					return s.buf[:s.w], err
				}
				break
			}
			if k == 0 {
				return s.buf[:s.w], io.ErrNoProgress
			}
		}
	}
	return s.buf[s.r : s.r+n], nil
}

func (s *skipReader) seekable() bool { return true }

// skip consumes n bytes: from the buffer when they are there, else by
// seeking. Seeking past the end of the stream is not an error here (it
// is not in io.Seeker either); the next read finds the end.
func (s *skipReader) skip(n int64) (int64, error) {
	if n <= int64(s.w-s.r) {
		s.r += int(n)
		return n, nil
	}
	if _, err := s.Seek(n, io.SeekCurrent); err != nil {
		return 0, err
	}
	return n, nil
}
