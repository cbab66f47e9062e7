package layers

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// store is where a file-based source keeps its files: a directory (OCI
// layout) or a tar archive indexed once (docker save, OCI archive). Names
// are slash-separated and relative ("blobs/sha256/…", "manifest.json").
type store interface {
	// open returns the named file as a seekable section; the caller
	// closes it.
	open(name string) (*storedFile, error)
	// has reports whether the named file exists.
	has(name string) bool
	// describe names the store in errors.
	describe() string
}

// storedFile is one file of a store.
type storedFile struct {
	*io.SectionReader
	closer io.Closer // nil when the store owns the file
	// loc names these bytes in this run (see Identity.Location); empty
	// when the file has no fingerprint.
	loc string
}

func (f *storedFile) Close() error {
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

// errNotInStore marks a file the store does not hold.
var errNotInStore = errors.New("not found")

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

// dirStore serves files of a directory.
type dirStore struct{ root string }

func (d *dirStore) describe() string { return d.root }

func (d *dirStore) has(name string) bool {
	c, err := cleanName(name)
	if err != nil {
		return false
	}
	fi, err := os.Stat(filepath.Join(d.root, filepath.FromSlash(c)))
	return err == nil && fi.Mode().IsRegular()
}

func (d *dirStore) open(name string) (*storedFile, error) {
	c, err := cleanName(name)
	if err != nil {
		return nil, err
	}
	f, fi, err := openRegular(filepath.Join(d.root, filepath.FromSlash(c)))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", c, errNotInStore)
		}
		return nil, fmt.Errorf("%s: %w", c, err)
	}
	return &storedFile{SectionReader: io.NewSectionReader(f, 0, fi.Size()), closer: f, loc: location(fingerprint(fi), 0, fi.Size())}, nil
}

func (d *dirStore) close() error { return nil }

// tarStore serves the regular files of an uncompressed tar archive by
// offset: the archive is scanned once, header by header, and every file is
// then a section of the one open file, so layers are never copied out.
type tarStore struct {
	name  string
	f     *os.File
	fp    string // the archive's fingerprint
	files map[string]section
	// bad holds links that lead out of the archive: opening one fails.
	bad map[string]error
}

type section struct{ off, size int64 }

// openTarStore indexes the archive at p.
func openTarStore(p string) (*tarStore, error) {
	f, _, err := openRegular(p)
	if err != nil {
		return nil, err
	}
	s, err := newTarStore(f, p)
	if err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// newTarStore indexes the archive open as f; the store owns f.
func newTarStore(f *os.File, name string) (*tarStore, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("is a directory, not an archive")
	}
	s := &tarStore{name: name, f: f, fp: fingerprint(fi), files: map[string]section{}, bad: map[string]error{}}
	if err := s.index(fi.Size()); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *tarStore) index(size int64) error {
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
func (s *tarStore) resolveLinks(links map[string]string) {
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

func (s *tarStore) describe() string { return s.name }

func (s *tarStore) has(name string) bool {
	c, err := cleanName(name)
	if err != nil {
		return false
	}
	_, ok := s.files[c]
	return ok
}

func (s *tarStore) open(name string) (*storedFile, error) {
	c, err := cleanName(name)
	if err != nil {
		return nil, err
	}
	sec, ok := s.files[c]
	if !ok {
		if err := s.bad[c]; err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w", c, errNotInStore)
	}
	return &storedFile{SectionReader: io.NewSectionReader(s.f, sec.off, sec.size), loc: location(s.fp, sec.off, sec.size)}, nil
}

func (s *tarStore) close() error { return s.f.Close() }

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

// readAll reads a small metadata file (manifest, index, config) whole,
// refusing absurd sizes so a hostile archive cannot exhaust memory.
func readAll(s store, name string) ([]byte, error) {
	sec, err := s.open(name)
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
