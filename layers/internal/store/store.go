// Package store serves the files of an image kept on local disk, for the
// sources that read one (docker save archives, OCI layouts and archives):
// a directory or an uncompressed tar indexed once and read in place, file
// names checked so none leads out of it, and files opened without
// blocking on what is not a regular file. Its Layer is a layer kept as a
// file of a store, named by its location on disk for the cache.
package store

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Store is where a file-based source keeps its files: a directory (OCI
// layout) or a tar archive indexed once (docker save, OCI archive). Names
// are slash-separated and relative ("blobs/sha256/…", "manifest.json").
type Store interface {
	// Open returns the named file as a seekable section; the caller
	// closes it.
	Open(name string) (*File, error)
	// Has reports whether the named file exists.
	Has(name string) bool
	// Describe names the store in errors.
	Describe() string
}

// File is one file of a store.
type File struct {
	*io.SectionReader
	closer io.Closer // nil when the store owns the file
	// Location names these bytes in this run (see source.Identity);
	// empty when the file has no fingerprint.
	Location string
}

// Close closes the file when it is the file's own, not the store's.
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	return f.closer.Close()
}

// location names a section of a fingerprinted file; "" without a
// fingerprint.
func location(fp string, off, size int64) string {
	if fp == "" {
		return ""
	}
	return fmt.Sprintf("%s@%d+%d", fp, off, size)
}

// ErrNotInStore marks a file the store does not hold.
var ErrNotInStore = errors.New("not found")

// cleanName turns a name from a manifest or tar header into the form the
// stores use, refusing names that climb out of the store.
func cleanName(name string) (string, error) {
	c := path.Clean("/" + strings.TrimPrefix(name, "./"))[1:]
	if c == "" || strings.Contains(name, "\x00") {
		return "", fmt.Errorf("bad file name %q", name)
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", fmt.Errorf("file name %q leaves the archive", name)
		}
	}
	return c, nil
}

// Dir serves files of a directory.
type Dir struct{ root string }

// NewDir serves the files under root.
func NewDir(root string) *Dir { return &Dir{root: root} }

func (d *Dir) Describe() string { return d.root }

func (d *Dir) Has(name string) bool {
	c, err := cleanName(name)
	if err != nil {
		return false
	}
	fi, err := os.Stat(filepath.Join(d.root, filepath.FromSlash(c)))
	return err == nil && fi.Mode().IsRegular()
}

func (d *Dir) Open(name string) (*File, error) {
	c, err := cleanName(name)
	if err != nil {
		return nil, err
	}
	f, fi, err := OpenRegular(filepath.Join(d.root, filepath.FromSlash(c)))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", c, ErrNotInStore)
		}
		return nil, fmt.Errorf("%s: %w", c, err)
	}
	return &File{SectionReader: io.NewSectionReader(f, 0, fi.Size()), closer: f, Location: location(fingerprint(fi), 0, fi.Size())}, nil
}

func (d *Dir) Close() error { return nil }

// Tar serves the regular files of an uncompressed tar archive by
// offset: the archive is scanned once, header by header, and every file is
// then a section of the one open file, so layers are never copied out.
type Tar struct {
	name  string
	f     *os.File
	fp    string // the archive's fingerprint
	files map[string]section
	// bad holds links that lead out of the archive: opening one fails.
	bad map[string]error
}

type section struct{ off, size int64 }

// OpenTar indexes the archive at p.
func OpenTar(p string) (*Tar, error) {
	f, _, err := OpenRegular(p)
	if err != nil {
		return nil, err
	}
	s, err := NewTar(f, p)
	if err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// NewTar indexes the archive open as f; the store owns f.
func NewTar(f *os.File, name string) (*Tar, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("is a directory, not an archive")
	}
	s := &Tar{name: name, f: f, fp: fingerprint(fi), files: map[string]section{}, bad: map[string]error{}}
	if err := s.index(fi.Size()); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Tar) index(size int64) error {
	var magic [2]byte
	if n, _ := s.f.ReadAt(magic[:], 0); n == 2 && magic == [2]byte{0x1f, 0x8b} {
		return fmt.Errorf("is gzip-compressed; decompress it first (gunzip), imgdiff reads archives in place")
	}
	// counter tracks the offset of each file body: archive/tar reads
	// headers through it and seeks past bodies.
	cr := &offsetReader{r: io.NewSectionReader(s.f, 0, size)}
	tr := tar.NewReader(cr)
	links := map[string]string{} // link name -> target, relative to the archive root
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if len(s.files) == 0 {
				return fmt.Errorf("not a tar archive: %w", err)
			}
			return fmt.Errorf("corrupt or truncated tar archive: %w", err)
		}
		if h.Typeflag == tar.TypeSymlink || h.Typeflag == tar.TypeLink {
			// Docker before 25 stores a layer two images share once and
			// links the second copy to it (c/layer.tar -> ../a/layer.tar).
			name, err := cleanName(h.Name)
			if err != nil {
				return err
			}
			target := h.Linkname
			if h.Typeflag == tar.TypeSymlink && !strings.HasPrefix(target, "/") {
				target = path.Join(path.Dir(name), target)
			}
			links[name] = target
			continue
		}
		if h.Typeflag != tar.TypeReg && h.Typeflag != 0 { // 0: pre-POSIX regular file
			continue
		}
		name, err := cleanName(h.Name)
		if err != nil {
			return err
		}
		if cr.off+h.Size > size {
			return fmt.Errorf("truncated tar archive: %s needs %d bytes past the end", name, cr.off+h.Size-size)
		}
		s.files[name] = section{off: cr.off, size: h.Size}
	}
	if len(s.files) == 0 {
		return fmt.Errorf("empty tar archive")
	}
	s.resolveLinks(links)
	return nil
}

// maxLinkHops bounds how many links resolving one name may follow.
const maxLinkHops = 8

// resolveLinks makes each link an alias of the regular file it leads to
// inside the archive. A link that leads out of the archive fails when it
// is opened; one that leads nowhere (or round in a loop) is left out, so
// opening it says the file is not in the archive.
func (s *Tar) resolveLinks(links map[string]string) {
	for name := range links {
		cur := name
		for hop := 0; hop <= maxLinkHops; hop++ {
			target, ok := links[cur]
			if !ok {
				break
			}
			if strings.HasPrefix(target, "/") || escapes(target) {
				s.bad[name] = fmt.Errorf("%s is a link to %s, which leaves the archive", name, links[name])
				break
			}
			cur = path.Clean(target)
		}
		if _, isLink := links[cur]; isLink || s.bad[name] != nil {
			continue // out of the archive, a loop, or too many hops
		}
		if sec, ok := s.files[cur]; ok {
			if _, shadowed := s.files[name]; !shadowed {
				s.files[name] = sec
			}
		}
	}
}

// escapes reports whether a slash path, relative to the archive root,
// climbs above it.
func escapes(p string) bool {
	c := path.Clean(p)
	return c == ".." || strings.HasPrefix(c, "../")
}

func (s *Tar) Describe() string { return s.name }

func (s *Tar) Has(name string) bool {
	c, err := cleanName(name)
	if err != nil {
		return false
	}
	_, ok := s.files[c]
	return ok
}

func (s *Tar) Open(name string) (*File, error) {
	c, err := cleanName(name)
	if err != nil {
		return nil, err
	}
	sec, ok := s.files[c]
	if !ok {
		if err := s.bad[c]; err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w", c, ErrNotInStore)
	}
	return &File{SectionReader: io.NewSectionReader(s.f, sec.off, sec.size), Location: location(s.fp, sec.off, sec.size)}, nil
}

func (s *Tar) Close() error { return s.f.Close() }

// offsetReader counts the offset of a seekable file as archive/tar reads
// and seeks it.
type offsetReader struct {
	r   io.ReadSeeker
	off int64
}

func (o *offsetReader) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	o.off += int64(n)
	return n, err
}

func (o *offsetReader) Seek(off int64, whence int) (int64, error) {
	n, err := o.r.Seek(off, whence)
	if err == nil {
		o.off = n
	}
	return n, err
}

// ReadAll reads a small metadata file (manifest, index, config) whole,
// refusing absurd sizes so a hostile archive cannot exhaust memory.
func ReadAll(s Store, name string) ([]byte, error) {
	sec, err := s.Open(name)
	if err != nil {
		return nil, err
	}
	defer sec.Close()
	const max = 64 << 20
	if sec.Size() > max {
		return nil, fmt.Errorf("%s: %d bytes is too large for image metadata", name, sec.Size())
	}
	return io.ReadAll(sec)
}

// BlobName is where an OCI layout keeps a blob.
func BlobName(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }

// ReadIndex reads name, the file that makes s a format (a docker save's
// manifest.json, an OCI layout's index.json): when s has none, the error
// says that s is not format ("no index.json: not an OCI layout").
func ReadIndex(s Store, name, format string) ([]byte, error) {
	raw, err := ReadAll(s, name)
	if errors.Is(err, ErrNotInStore) {
		return nil, fmt.Errorf("no %s: not %s", name, format)
	}
	return raw, err
}

// ReadBlob reads a metadata blob and checks its digest and size.
func ReadBlob(s Store, d v1.Descriptor) ([]byte, error) {
	name := BlobName(d.Digest)
	b, err := ReadAll(s, name)
	if err != nil {
		return nil, err
	}
	if d.Size > 0 && int64(len(b)) != d.Size {
		return nil, fmt.Errorf("%s: %d bytes, descriptor says %d", name, len(b), d.Size)
	}
	got, _, err := v1.SHA256(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	if got != d.Digest {
		return nil, fmt.Errorf("%s: digest mismatch: content is %s", name, got)
	}
	return b, nil
}
