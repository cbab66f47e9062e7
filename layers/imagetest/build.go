// Package imagetest builds deterministic container images for tests and
// writes them in every format imgdiff reads: both `docker save` layouts, OCI
// layout directories and archives, single images and two-platform indexes.
// It also holds the fixture set and the demo single-/multi-stage pair, so
// tests of every package can build them in-process, and helpers that break
// written images in the ways real inputs break.
//
// Same spec in, same bytes out: tar headers carry fixed times, content is
// derived from the path, compression is deterministic, so digests are
// stable across runs and machines.
package imagetest

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/sync/singleflight"
)

// Kind is the type of a layer entry. The zero value is a regular file.
type Kind int

// Entry kinds. Whiteout and Opaque are written as the markers Docker and
// OCI use: "dir/.wh.name" and "dir/.wh..wh..opq".
const (
	File Kind = iota
	Dir
	Symlink
	Hardlink
	// Whiteout deletes Path (a file or a whole directory) from lower layers.
	Whiteout
	// Opaque hides everything lower layers put below directory Path.
	Opaque
)

var kindNames = [...]string{"file", "dir", "symlink", "hardlink", "whiteout", "opaque"}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Entry is one entry of a layer.
type Entry struct {
	// Path is relative to the root, slash-separated, without a leading "/".
	Path string
	Type Kind
	// Body is a regular file's content. When it is nil, Size bytes are
	// derived from Path: text-like and compressible, but not trivially,
	// so compressed sizes look like real ones.
	Body []byte
	Size int64
	// Mode holds the permission bits; 0 means 0644 for files, 0755 for
	// directories and 0777 for symlinks.
	Mode int64
	UID  int
	GID  int
	// Link is a symlink's target as written, or a hard link's target path
	// (in this layer, before this entry, or in a lower one).
	Link string
}

// FileSize is what the entry adds to Docker's image size: a regular file's
// length and a symlink target's length; directories, hard links (their
// inode is counted at the target) and whiteout markers add nothing.
func (e Entry) FileSize() int64 {
	switch e.Type {
	case File:
		if e.Body != nil {
			return int64(len(e.Body))
		}
		return e.Size
	case Symlink:
		return int64(len(e.Link))
	}
	return 0
}

// Layer is one layer and the history entry that made it.
type Layer struct {
	// Entries are written in this order. Parent directories that no entry
	// names are added, just before their first child, as Docker does.
	Entries   []Entry
	CreatedBy string
	Comment   string
}

// ContentSize is Docker's size of the layer (`docker history` SIZE): the
// sum of its entries' FileSize.
func (l Layer) ContentSize() int64 {
	var n int64
	for _, e := range l.Entries {
		n += e.FileSize()
	}
	return n
}

// EmptyStep is a history entry that owns no layer (ENV, USER, CMD, ...).
type EmptyStep struct {
	// At is the number of layers before it: 0 puts it first, len(Layers)
	// last. Steps at the same position keep their order.
	At        int
	CreatedBy string
	Comment   string
}

// Compression of the layer blobs.
type Compression int

// Layer compressions.
const (
	Gzip Compression = iota
	Uncompressed
	Zstd
)

func (c Compression) String() string {
	switch c {
	case Gzip:
		return "gzip"
	case Uncompressed:
		return "none"
	case Zstd:
		return "zstd"
	}
	return fmt.Sprintf("Compression(%d)", int(c))
}

// Image is the spec of an image.
type Image struct {
	Layers     []Layer
	EmptySteps []EmptyStep
	// Config is the runtime config (User, Entrypoint, Cmd, Env,
	// WorkingDir, Healthcheck, ...).
	Config v1.Config
	// Platform defaults to linux/amd64.
	Platform    v1.Platform
	Compression Compression
	// Level is the gzip or zstd level; 0 means the library default.
	Level int
}

// Epoch is the time in every tar header, config and history entry: fixed,
// so digests do not depend on when the image was built.
var Epoch = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// Build builds the image the spec describes, with OCI media types.
func Build(spec Image) (v1.Image, error) {
	for _, s := range spec.EmptySteps {
		if s.At < 0 || s.At > len(spec.Layers) {
			return nil, fmt.Errorf("build image: empty step %q at %d: want 0..%d", s.CreatedBy, s.At, len(spec.Layers))
		}
	}
	var adds []mutate.Addendum
	step := 0
	history := func(createdBy, comment string, emptyLayer bool) v1.History {
		step++
		return v1.History{
			Created:    v1.Time{Time: Epoch.Add(time.Duration(step) * time.Minute)},
			CreatedBy:  createdBy,
			Comment:    comment,
			EmptyLayer: emptyLayer,
		}
	}
	emptyAt := func(at int) {
		for _, s := range spec.EmptySteps {
			if s.At == at {
				adds = append(adds, mutate.Addendum{History: history(s.CreatedBy, s.Comment, true)})
			}
		}
	}
	for i, l := range spec.Layers {
		emptyAt(i)
		ml, err := newLayer(l.Entries, spec.Compression, spec.Level)
		if err != nil {
			return nil, fmt.Errorf("build image: layer %d: %w", i, err)
		}
		adds = append(adds, mutate.Addendum{Layer: ml, History: history(l.CreatedBy, l.Comment, false), MediaType: ml.mt})
	}
	emptyAt(len(spec.Layers))

	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	img, err := mutate.Append(base, adds...)
	if err != nil {
		return nil, fmt.Errorf("build image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("build image: %w", err)
	}
	cf = cf.DeepCopy()
	p := spec.Platform
	if p.OS == "" {
		p.OS = "linux"
	}
	if p.Architecture == "" {
		p.Architecture = "amd64"
	}
	cf.OS, cf.Architecture, cf.Variant, cf.OSVersion = p.OS, p.Architecture, p.Variant, p.OSVersion
	cf.Config = spec.Config
	cf.Created = v1.Time{Time: Epoch.Add(time.Duration(step) * time.Minute)}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("build image: %w", err)
	}
	return img, nil
}

// memLayer is a layer held in memory, both as the tar and as the blob.
type memLayer struct {
	raw, blob      []byte
	diffID, digest v1.Hash
	mt             types.MediaType
}

func (l *memLayer) Digest() (v1.Hash, error) { return l.digest, nil }
func (l *memLayer) DiffID() (v1.Hash, error) { return l.diffID, nil }
func (l *memLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.blob)), nil
}
func (l *memLayer) Uncompressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.raw)), nil
}
func (l *memLayer) Size() (int64, error)                { return int64(len(l.blob)), nil }
func (l *memLayer) MediaType() (types.MediaType, error) { return l.mt, nil }

func sha(b []byte) v1.Hash {
	s := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(s[:])}
}

// NewLayer writes entries as a layer tar and compresses it (level 0: the
// library default).
func NewLayer(entries []Entry, c Compression, level int) (v1.Layer, error) {
	return newLayer(entries, c, level)
}

func newLayer(entries []Entry, c Compression, level int) (*memLayer, error) {
	raw, err := LayerTar(entries)
	if err != nil {
		return nil, err
	}
	return layerFromTar(raw, c, level)
}

// compressed remembers the large layers compressed so far in this process
// (the demo's base and toolchain layers, built by test after test), keyed
// by content, compression and level: same tar in, same layer out, so a
// repeat costs a hash instead of a compression. Tests that run in parallel
// and ask for the same layer at once wait for one compression (flight)
// instead of each doing it. Bounded by compressedLimit; layers past it are
// built every time.
var compressed struct {
	sync.Mutex
	layers map[compressedKey]*memLayer
	bytes  int
	flight singleflight.Group
}

type compressedKey struct {
	diffID v1.Hash
	c      Compression
	level  int
}

const (
	compressedMin   = 1 << 20   // smaller layers compress faster than they are worth keeping
	compressedLimit = 512 << 20 // raw + blob bytes kept at most
)

func layerFromTar(raw []byte, c Compression, level int) (*memLayer, error) {
	key := compressedKey{sha(raw), c, level}
	if len(raw) < compressedMin {
		return compressLayer(raw, key.diffID, c, level)
	}
	v, err, _ := compressed.flight.Do(fmt.Sprintf("%s %d %d", key.diffID, c, level), func() (any, error) {
		compressed.Lock()
		l := compressed.layers[key]
		compressed.Unlock()
		if l != nil {
			return l, nil
		}
		l, err := compressLayer(raw, key.diffID, c, level)
		if err != nil {
			return nil, err
		}
		compressed.Lock()
		defer compressed.Unlock()
		if n := len(l.raw) + len(l.blob); compressed.bytes+n <= compressedLimit {
			if compressed.layers == nil {
				compressed.layers = map[compressedKey]*memLayer{}
			}
			compressed.layers[key] = l
			compressed.bytes += n
		}
		return l, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*memLayer), nil
}

func compressLayer(raw []byte, diffID v1.Hash, c Compression, level int) (*memLayer, error) {
	l := &memLayer{raw: raw, diffID: diffID}
	switch c {
	case Uncompressed:
		l.blob, l.mt = raw, types.OCIUncompressedLayer
	case Gzip:
		if level == 0 {
			level = gzip.DefaultCompression
		}
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, level)
		if err != nil {
			return nil, fmt.Errorf("gzip layer: %w", err)
		}
		zw.Write(raw) // writes to a bytes.Buffer do not fail
		if err := zw.Close(); err != nil {
			return nil, fmt.Errorf("gzip layer: %w", err)
		}
		l.blob, l.mt = buf.Bytes(), types.OCILayer
	case Zstd:
		lv := zstd.SpeedDefault
		if level != 0 {
			lv = zstd.EncoderLevelFromZstd(level)
		}
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(lv), zstd.WithEncoderConcurrency(1))
		if err != nil {
			return nil, fmt.Errorf("zstd layer: %w", err)
		}
		l.blob, l.mt = enc.EncodeAll(raw, nil), types.OCILayerZStd
		enc.Close()
	default:
		return nil, fmt.Errorf("unknown compression %v", c)
	}
	l.digest = sha(l.blob)
	return l, nil
}

// LayerTar writes entries as an uncompressed layer tar.
func LayerTar(entries []Entry) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	var parents func(p string) error
	parents = func(p string) error {
		d := path.Dir(p)
		if d == "." || d == "/" || dirs[d] {
			return nil
		}
		if err := parents(d); err != nil {
			return err
		}
		dirs[d] = true
		return tw.WriteHeader(header(d+"/", tar.TypeDir, 0o755, 0, 0, 0, ""))
	}
	for _, e := range entries {
		p := strings.Trim(path.Clean("/"+e.Path), "/")
		if p == "" {
			return nil, fmt.Errorf("entry %q: empty path", e.Path)
		}
		name := p
		switch e.Type {
		case Whiteout:
			name = path.Join(path.Dir(p), ".wh."+path.Base(p))
		case Opaque:
			name = p + "/.wh..wh..opq"
			if !dirs[p] {
				// The directory itself is part of the layer, as Docker
				// writes it.
				if err := parents(p); err != nil {
					return nil, err
				}
				dirs[p] = true
				if err := tw.WriteHeader(header(p+"/", tar.TypeDir, orDefault(e.Mode, 0o755), e.UID, e.GID, 0, "")); err != nil {
					return nil, err
				}
			}
		}
		if err := parents(name); err != nil {
			return nil, fmt.Errorf("entry %q: %w", e.Path, err)
		}
		var h *tar.Header
		switch e.Type {
		case File:
			h = header(name, tar.TypeReg, orDefault(e.Mode, 0o644), e.UID, e.GID, e.FileSize(), "")
		case Dir:
			if dirs[p] {
				return nil, fmt.Errorf("entry %q: directory written twice in one layer (or after its children)", e.Path)
			}
			dirs[p] = true
			h = header(p+"/", tar.TypeDir, orDefault(e.Mode, 0o755), e.UID, e.GID, 0, "")
		case Symlink:
			h = header(name, tar.TypeSymlink, orDefault(e.Mode, 0o777), e.UID, e.GID, 0, e.Link)
		case Hardlink:
			h = header(name, tar.TypeLink, orDefault(e.Mode, 0o644), e.UID, e.GID, 0, strings.TrimPrefix(e.Link, "/"))
		case Whiteout, Opaque:
			h = header(name, tar.TypeReg, 0o644, 0, 0, 0, "")
		default:
			return nil, fmt.Errorf("entry %q: unknown type %v", e.Path, e.Type)
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("entry %q: %w", e.Path, err)
		}
		if e.Type == File {
			if e.Body != nil {
				tw.Write(e.Body)
			} else if err := writeContent(tw, p, e.Size); err != nil {
				return nil, fmt.Errorf("entry %q: %w", e.Path, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func orDefault(mode, def int64) int64 {
	if mode == 0 {
		return def
	}
	return mode
}

func header(name string, typ byte, mode int64, uid, gid int, size int64, link string) *tar.Header {
	return &tar.Header{
		Name: name, Typeflag: typ, Mode: mode, Uid: uid, Gid: gid, Size: size, Linkname: link,
		ModTime: Epoch,
	}
}
