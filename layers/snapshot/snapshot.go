// Package snapshot owns the snapshot file: what `imgdiff analyze IMAGE
// --snapshot FILE` keeps of an image so that a later run can compare
// against it without the image (a baseline that needs no registry), and
// the source that reads it back (`snapshot:FILE`).
//
// A snapshot stores the image's walked layer indexes (index.Layer: the
// entries, whiteouts, captured bodies), not the analysis: the build,
// redaction, classification and budgets run again on it, with this run's
// rules, exactly as they run on the image, so `compare snapshot:A B`
// gives the figures of `compare A B`. It also stores the config, the
// history it holds, sizes, digests, the layers' identities (what the walk
// showed their bytes to be, which tells compare which layers the two
// images share), the provenance attestation, and when and by what it was
// taken.
//
// The file is a gzip stream of
//
//	magic "imgdiff-snapshot\n" | schema (uvarint)
//	| header length (uvarint) | header (JSON, UTF-8)
//	| per layer: payload length (uvarint) | payload (codec.Encode)
//
// and nothing after. Reading trusts nothing in it: the schema must be
// Schema, every length is checked against what is left of a bound on the
// decompressed bytes before it is read (a gzip bomb or a claimed
// gigabyte stops there), the config is checked as a source checks one,
// every path must be canonical (no "..", no absolute names), and the
// layers must be the ones the config lists.
package snapshot

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
	"unicode/utf8"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/gzip"

	"github.com/imgdiff/imgdiff/layers/index"
	"github.com/imgdiff/imgdiff/layers/internal/codec"
	"github.com/imgdiff/imgdiff/layers/source"
)

// Schema is the version of the snapshot format this imgdiff writes and
// reads. Bump it on any change to the layout, the header or the payload
// (package codec, whose changes bump cache.FormatVersion): a snapshot of another schema is refused.
const Schema = 1

// DefaultMaxBytes bounds the decompressed bytes of a snapshot when
// Options.MaxBytes is 0: the index of a few million files.
const DefaultMaxBytes = 1 << 30

// DefaultMaxEntries bounds the entries of a snapshot's layers together
// when Options.MaxEntries is 0: the walk's default (layers.DefaultMaxEntries),
// about 1 GB of index.
const DefaultMaxEntries = 10_000_000

// maxHeader bounds the JSON header (config, history, provenance).
const maxHeader = 64 << 20

// Transport is the transport name of images read from a snapshot.
const Transport = "snapshot"

var magic = []byte("imgdiff-snapshot\n")

// Meta is what a snapshot records besides the walked image.
type Meta struct {
	// Created is when the snapshot was taken.
	Created time.Time
	// Imgdiff is the version of imgdiff taking it.
	Imgdiff string
	// CaptureKey names the set of file bodies the walk captured
	// (layers.WalkOptions.CaptureKey of this image alone): a run that
	// needs another set refuses the snapshot.
	CaptureKey string
	// Provenance is the image's provenance attestation, as the source
	// read it (nil: none).
	Provenance []byte
	// Redacted is what the redaction step found in the config and
	// history (JSON), whose values the image given to Write no longer
	// holds: the caller takes them out.
	Redacted json.RawMessage
}

type header struct {
	Created      time.Time       `json:"created"`
	Imgdiff      string          `json:"imgdiff"`
	CaptureKey   string          `json:"captureKey"`
	Ref          string          `json:"ref"`
	Transport    string          `json:"transport"`
	Platform     string          `json:"platform"`
	Digest       string          `json:"digest,omitempty"`
	ManifestSize int64           `json:"manifestSize"`
	ConfigSize   int64           `json:"configSize"`
	Config       json.RawMessage `json:"config"`
	Provenance   []byte          `json:"provenance,omitempty"`
	// Annotations are the manifest's (the base image's name and digest
	// among them), so that a compare from the snapshot finds the base as
	// one from the image does.
	Annotations map[string]string `json:"annotations,omitempty"`
	Redacted    json.RawMessage   `json:"redacted,omitempty"`
	Layers      []layerHeader     `json:"layers"`
}

type layerHeader struct {
	DiffID         string `json:"diffID"`
	Digest         string `json:"digest,omitempty"`
	CompressedSize int64  `json:"compressedSize"`
	MediaType      string `json:"mediaType,omitempty"`
	Identity       string `json:"identity,omitempty"`
}

// Write writes img, an image as the walk returned it, as a snapshot to w.
func Write(w io.Writer, img *index.Image, m Meta) error {
	if img.Config == nil {
		return errors.New("snapshot: the image has no config")
	}
	cfg, err := json.Marshal(img.Config)
	if err != nil {
		return fmt.Errorf("snapshot: config: %w", err)
	}
	h := header{
		Created: m.Created.UTC(), Imgdiff: m.Imgdiff, CaptureKey: m.CaptureKey,
		Ref: img.Ref, Transport: img.Transport, Platform: img.Platform, Digest: img.Digest,
		ManifestSize: img.ManifestSize, ConfigSize: img.ConfigSize, Config: cfg, Provenance: m.Provenance, Redacted: m.Redacted,
		Annotations: img.Annotations,
	}
	if s := img.Snapshot; s != nil {
		// A snapshot of a snapshot records the image the first was of.
		h.Ref, h.Transport = s.Ref, s.Transport
	}
	for _, l := range img.Layers {
		h.Layers = append(h.Layers, layerHeader{DiffID: l.DiffID, Digest: l.Digest,
			CompressedSize: l.CompressedSize, MediaType: l.MediaType, Identity: l.Identity})
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("snapshot: header: %w", err)
	}
	if len(hb) > maxHeader {
		return fmt.Errorf("snapshot: the header (config, history, provenance) takes %d bytes, more than %d", len(hb), maxHeader)
	}
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(zw, 1<<20)
	var num [binary.MaxVarintLen64]byte
	put := func(b []byte) {
		bw.Write(binary.AppendUvarint(num[:0], uint64(len(b))))
		bw.Write(b)
	}
	bw.Write(magic)
	bw.Write(binary.AppendUvarint(num[:0], Schema))
	put(hb)
	for _, l := range img.Layers {
		put(codec.Encode(l))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	return nil
}

// WriteFile writes the snapshot to path whole or not at all: a temporary
// file in the same directory, renamed into place.
func WriteFile(path string, img *index.Image, m Meta) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".imgdiff-snapshot-*")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the temp file's name says nothing to the user
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := Write(bw, img, m); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Options bound a read.
type Options struct {
	// MaxBytes bounds the decompressed bytes (0: DefaultMaxBytes); the
	// file itself may be no larger either, and the layers' paths, decoded
	// (prefix coding shares each path's head with the one before), may
	// take twice it.
	MaxBytes int64
	// MaxEntries bounds the entries of the layers together, checked
	// before a layer's are decoded (0: DefaultMaxEntries).
	MaxEntries int
}

// Open reads the snapshot file at path. The image's layers implement
// source.Indexed and hold no bytes; its Snapshot says what was recorded.
// Errors are one line and do not repeat path (the caller names the
// reference).
func Open(path string, o Options) (*source.Image, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, errors.New("no such file or directory")
		}
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s): a snapshot is a file `imgdiff analyze --snapshot` wrote", fi.Mode().Type())
	}
	max := o.maxBytes()
	if fi.Size() > max {
		return nil, fmt.Errorf("snapshot file is %d bytes, more than the %d a snapshot may take", fi.Size(), max)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, o)
}

func (o Options) maxBytes() int64 {
	if o.MaxBytes > 0 {
		return o.MaxBytes
	}
	return DefaultMaxBytes
}

// errTruncated is a snapshot that ends early.
var errTruncated = errors.New("truncated snapshot (it ends early)")

// Read reads a snapshot from r (see Open).
func Read(r io.Reader, o Options) (*source.Image, error) {
	zr, err := gzip.NewReader(bufio.NewReader(r))
	if err != nil {
		return nil, fmt.Errorf("not an imgdiff snapshot (no gzip stream: %v)", err)
	}
	defer zr.Close()
	return readPlain(zr, o)
}

// readPlain reads the decompressed stream of a snapshot.
func readPlain(r io.Reader, o Options) (*source.Image, error) {
	br := &bounded{r: bufio.NewReaderSize(r, 1<<16), left: o.maxBytes()}

	got := make([]byte, len(magic))
	if _, err := io.ReadFull(br, got); err != nil || !bytes.Equal(got, magic) {
		if errors.Is(err, errBomb) {
			return nil, err
		}
		return nil, errors.New("not an imgdiff snapshot (its gzip stream does not start with the snapshot magic)")
	}
	schema, err := binary.ReadUvarint(br)
	if err != nil {
		return nil, readErr(err)
	}
	switch {
	case schema < Schema:
		return nil, fmt.Errorf("snapshot schema %d is older than the %d this imgdiff reads: take the snapshot again with this imgdiff", schema, Schema)
	case schema > Schema:
		return nil, fmt.Errorf("snapshot schema %d is newer than the %d this imgdiff reads: read it with the imgdiff that took it, or a newer one", schema, Schema)
	}
	hb, err := br.chunk(maxHeader, "header")
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(hb) {
		return nil, errors.New("corrupt snapshot: the header is not valid UTF-8")
	}
	var h header
	dec := json.NewDecoder(bytes.NewReader(hb))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("corrupt snapshot header: %v", err)
	}
	if len(h.Config) == 0 || string(h.Config) == "null" {
		return nil, errors.New("corrupt snapshot: no image config")
	}
	cfg, err := source.ParseConfig(h.Config)
	if err != nil {
		return nil, fmt.Errorf("corrupt snapshot: %w", err)
	}
	if len(h.Layers) != len(cfg.RootFS.DiffIDs) {
		return nil, fmt.Errorf("corrupt snapshot: it holds %d layers, its config lists %d", len(h.Layers), len(cfg.RootFS.DiffIDs))
	}
	plat, err := v1.ParsePlatform(h.Platform)
	if err != nil || h.Platform == "" {
		return nil, fmt.Errorf("corrupt snapshot: platform %q", h.Platform)
	}
	if h.Created.IsZero() {
		return nil, errors.New("corrupt snapshot: no creation time")
	}
	if h.ManifestSize < 0 || h.ConfigSize < 0 {
		return nil, errors.New("corrupt snapshot: a negative manifest or config size")
	}
	img := &source.Image{
		Transport: Transport, Platform: *plat, Digest: h.Digest,
		ManifestSize: h.ManifestSize, ConfigSize: h.ConfigSize, Config: cfg, Provenance: h.Provenance,
		Annotations: h.Annotations,
		Snapshot:    &index.Snapshot{Ref: h.Ref, Transport: h.Transport, Created: h.Created, Imgdiff: h.Imgdiff, CaptureKey: h.CaptureKey, Redacted: h.Redacted},
	}
	maxEntries := o.MaxEntries
	if maxEntries <= 0 {
		maxEntries = DefaultMaxEntries
	}
	entriesLeft := maxEntries
	// The layers' paths and links, decoded, may take twice the bound on
	// the decompressed bytes: prefix coding lets a few bytes claim a long
	// path again and again.
	pathsLeft := 2 * o.maxBytes()
	for i, lh := range h.Layers {
		if want := cfg.RootFS.DiffIDs[i].String(); lh.DiffID != want {
			return nil, fmt.Errorf("corrupt snapshot: layer %d has diffID %s, its config lists %s", i, lh.DiffID, want)
		}
		if lh.CompressedSize < index.Unknown {
			return nil, fmt.Errorf("corrupt snapshot: layer %d: compressed size %d", i, lh.CompressedSize)
		}
		payload, err := br.chunk(br.left, fmt.Sprintf("layer %d", i))
		if err != nil {
			return nil, err
		}
		n, err := codec.Entries(payload)
		if err != nil {
			return nil, fmt.Errorf("corrupt snapshot: layer %d: %v", i, err)
		}
		if entriesLeft -= max(n, 0); entriesLeft < 0 {
			return nil, fmt.Errorf("the snapshot's layers claim more than the %d entries a snapshot may hold (layer %d claims %d)", maxEntries, i, n)
		}
		l, used, err := codec.DecodeLimit(payload, pathsLeft)
		if errors.Is(err, codec.ErrTooBig) {
			return nil, fmt.Errorf("the snapshot's layers decode to more than the %d bytes of paths a snapshot may hold (layer %d)", 2*o.maxBytes(), i)
		}
		if err != nil {
			return nil, fmt.Errorf("corrupt snapshot: layer %d: %v", i, err)
		}
		pathsLeft -= used
		if l.DiffID != lh.DiffID {
			return nil, fmt.Errorf("corrupt snapshot: layer %d's index is of %s, not %s", i, l.DiffID, lh.DiffID)
		}
		if err := checkPaths(l); err != nil {
			return nil, fmt.Errorf("corrupt snapshot: layer %d: %w", i, err)
		}
		img.Layers = append(img.Layers, &layer{
			diffID: cfg.RootFS.DiffIDs[i],
			blob:   source.Blob{Digest: lh.Digest, Size: lh.CompressedSize, MediaType: lh.MediaType},
			same:   lh.Identity, idx: l,
		})
	}
	var one [1]byte
	switch n, err := br.Read(one[:]); {
	case n > 0:
		return nil, errors.New("corrupt snapshot: bytes after its last layer")
	case errors.Is(err, errBomb):
		return nil, err
	case err != nil && !errors.Is(err, io.EOF):
		return nil, readErr(err)
	}
	return img, nil
}

// checkPaths refuses what the walk never writes: a path that is not
// canonical (absolute, "..", empty elements), an entry kind it does not
// know, a hard link to a non-canonical path.
func checkPaths(l *index.Layer) error {
	for i := range l.Entries {
		e := &l.Entries[i]
		if !canonical(e.Path) {
			return fmt.Errorf("entry %d: path %q is not canonical", i, e.Path)
		}
		if e.Kind < index.File || e.Kind > index.FIFO {
			return fmt.Errorf("entry %d (%q): unknown kind %d", i, e.Path, e.Kind)
		}
		if e.Kind == index.Hardlink && !canonical(e.Link) {
			return fmt.Errorf("entry %d (%q): hard link target %q is not canonical", i, e.Path, e.Link)
		}
		if e.Size < 0 {
			return fmt.Errorf("entry %d (%q): negative size", i, e.Path)
		}
	}
	for _, ps := range [][]string{l.Whiteouts, l.OpaqueDirs} {
		for _, p := range ps {
			if !canonical(p) {
				return fmt.Errorf("path %q is not canonical", p)
			}
		}
	}
	for p := range l.Contents {
		if !canonical(p) {
			return fmt.Errorf("captured body of %q: path not canonical", p)
		}
	}
	for p := range l.ELF {
		if !canonical(p) {
			return fmt.Errorf("ELF facts of %q: path not canonical", p)
		}
	}
	return nil
}

func canonical(p string) bool { return p != "" && index.Canonical(p) == p }

// errBomb is a snapshot that decompresses to more than the bound.
var errBomb = errors.New("snapshot decompresses to more than the bound a snapshot may take (a gzip bomb, or not ours)")

// bounded reads at most left bytes of r, then fails with errBomb.
type bounded struct {
	r    *bufio.Reader
	left int64
}

func (b *bounded) Read(p []byte) (int, error) {
	if b.left <= 0 {
		if _, err := b.r.Peek(1); err != nil {
			return 0, err
		}
		return 0, errBomb
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *bounded) ReadByte() (byte, error) {
	var one [1]byte
	if _, err := io.ReadFull(b, one[:]); err != nil {
		return 0, err
	}
	return one[0], nil
}

// chunk reads a uvarint length, at most max and what is left of the
// bound, and that many bytes, growing the buffer only as bytes arrive
// (a claimed length allocates nothing).
func (b *bounded) chunk(max int64, what string) ([]byte, error) {
	n, err := binary.ReadUvarint(b)
	if err != nil {
		return nil, readErr(err)
	}
	if n > uint64(max) || n > uint64(b.left) {
		return nil, fmt.Errorf("corrupt snapshot: the %s claims %d bytes, more than the %d left of its bound", what, n, min(max, b.left))
	}
	var buf bytes.Buffer
	if _, err := io.CopyN(&buf, b, int64(n)); err != nil {
		return nil, readErr(err)
	}
	return buf.Bytes(), nil
}

func readErr(err error) error {
	switch {
	case errors.Is(err, errBomb):
		return err
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errTruncated
	}
	return fmt.Errorf("corrupt snapshot: %v", err)
}

// layer is a layer read from a snapshot: its index, no bytes.
type layer struct {
	diffID v1.Hash
	blob   source.Blob
	same   string
	idx    *index.Layer
}

func (l *layer) DiffID() v1.Hash              { return l.diffID }
func (l *layer) Blob() source.Blob            { return l.blob }
func (l *layer) Index() (*index.Layer, error) { return l.idx, nil }
func (l *layer) Same() string                 { return l.same }
func (l *layer) Open(context.Context) (io.ReadCloser, error) {
	return nil, errors.New("a snapshot holds the layer's index, not its bytes")
}
