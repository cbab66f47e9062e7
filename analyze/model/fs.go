package model

import (
	"iter"
	"sort"

	"github.com/imgdiff/imgdiff/layers/index"
)

// File is a path of the final filesystem and the layer that last wrote it.
// FS hands files out by value (At, All): it keeps the position of the
// entry in its layer's index, not the entry.
type File struct {
	index.Entry
	// Layer is the index of the layer that wrote the entry; -1 for a
	// directory no layer recorded (implied by a deeper path).
	Layer int
	// Bytes is the content the file holds in the image: Entry.Size, except
	// that a hard link whose target was later removed inherits the
	// target's bytes (the inode survives through the link).
	Bytes int64
}

// FS is the final filesystem of an image: what a container sees, in
// depth-first order with siblings sorted by name (so a directory comes
// right before its contents, and its tree is the run of entries after it).
// That is the order of ComparePaths: a path is found by binary search, and
// two filesystems are compared by merging their lists.
//
// An image of millions of files holds millions of them, so the FS Build
// makes keeps 4 bytes a file: the position of its entry among the layers'
// entries, which stay where the walk put them (the listing shares the
// index's entries and their path arena instead of copying them, 72 bytes
// a file). At and All rebuild the File value.
type FS struct {
	// files is the listing of an FS built with NewFS or Append.
	files []File

	// An FS over the layers' index (NewLayeredFS): ents[i] is file i's
	// entry, layers[k][j] when it is offsets[k]+j, and the directory
	// implied[j] when it is offsets[len(layers)]+j.
	ents    []uint32
	layers  [][]index.Entry
	offsets []uint32
	implied []string
	// bytes holds, by position, the files whose bytes are not their
	// entry's Size (hard links that took over a removed target's bytes);
	// anyBytes is set when one of them is no hard link (which Build
	// never makes): only then is the map read for other kinds.
	bytes    map[uint32]int64
	anyBytes bool
}

// NewLayeredFS returns an empty filesystem whose files will be entries
// of layers or directories of implied (paths no layer recorded), added in
// order with AddEntry. The FS keeps layers and implied: the caller must
// not change them. ents is the storage for the listing, of length zero
// and capacity the number of files to be added. The layers' entries and the implied directories together must number
// less than 2^32.
func NewLayeredFS(layers [][]index.Entry, implied []string, ents []uint32) *FS {
	fs := &FS{ents: ents[:0], layers: layers, implied: implied, offsets: make([]uint32, len(layers)+1)}
	n := 0
	for k, l := range layers {
		fs.offsets[k] = uint32(n)
		n += len(l)
	}
	fs.offsets[len(layers)] = uint32(n)
	return fs
}

// AddEntry appends entry ent of layers[layer] (implied[ent] when layer is
// -1: a directory) holding bytes, the content it holds in the image.
// Files must be added in FS order.
func (fs *FS) AddEntry(layer, ent int, bytes int64) {
	pos := uint32(len(fs.ents))
	if layer < 0 {
		fs.ents = append(fs.ents, fs.offsets[len(fs.layers)]+uint32(ent))
	} else {
		fs.ents = append(fs.ents, fs.offsets[layer]+uint32(ent))
	}
	if e, _, _ := fs.entry(int(pos)); (e == nil && bytes != 0) || (e != nil && e.Size != bytes) {
		if fs.bytes == nil {
			fs.bytes = map[uint32]int64{}
		}
		fs.bytes[pos] = bytes
		fs.anyBytes = fs.anyBytes || e == nil || e.Kind != index.Hardlink
	}
}

// ownBytes returns the bytes of file i, of entry e, when they are not
// e's Size.
func (fs *FS) ownBytes(i int, e *index.Entry) (int64, bool) {
	if fs.bytes == nil || !fs.anyBytes && (e == nil || e.Kind != index.Hardlink) {
		return 0, false
	}
	b, ok := fs.bytes[uint32(i)]
	return b, ok
}

// NewFS returns the filesystem of files, which must be in FS order
// (tests, and listings built by hand).
func NewFS(files ...File) *FS {
	fs := &FS{}
	for _, f := range files {
		fs.Append(f)
	}
	return fs
}

// Append adds f after the files already there (f must sort after them)
// to an FS made by NewFS (or the zero FS).
func (fs *FS) Append(f File) { fs.files = append(fs.files, f) }

// Len is the number of files.
func (fs *FS) Len() int {
	if fs.files != nil {
		return len(fs.files)
	}
	return len(fs.ents)
}

// entry returns the entry of file i of a layered FS and its layer, or
// nil, -1 and the path of an implied directory.
func (fs *FS) entry(i int) (e *index.Entry, layer int, path string) {
	g := fs.ents[i]
	nl := len(fs.layers)
	if g >= fs.offsets[nl] {
		return nil, -1, fs.implied[g-fs.offsets[nl]]
	}
	// The layer holding g: the last whose offset is at most g.
	lo, hi := 0, nl-1
	for lo < hi {
		if m := int(uint(lo+hi+1) >> 1); fs.offsets[m] <= g {
			lo = m
		} else {
			hi = m - 1
		}
	}
	return &fs.layers[lo][g-fs.offsets[lo]], lo, ""
}

// At returns file i.
func (fs *FS) At(i int) File {
	if fs.files != nil {
		return fs.files[i]
	}
	e, k, p := fs.entry(i)
	if e == nil {
		return File{Entry: index.Entry{Path: p, Kind: index.Dir}, Layer: -1, Bytes: fs.Bytes(i)}
	}
	f := File{Entry: *e, Layer: k, Bytes: e.Size}
	if f.Kind == 0 {
		f.Kind = index.Dir // as the stack took it
	}
	if b, ok := fs.ownBytes(i, e); ok {
		f.Bytes = b
	}
	return f
}

// Path is file i's canonical path.
func (fs *FS) Path(i int) string {
	if fs.files != nil {
		return fs.files[i].Path
	}
	e, _, p := fs.entry(i)
	if e != nil {
		return e.Path
	}
	return p
}

// Kind is file i's kind (an implied directory, or an entry of no known
// kind, is a Dir: the stack takes it for one).
func (fs *FS) Kind(i int) index.Kind {
	if fs.files != nil {
		return fs.files[i].Kind
	}
	if e, _, _ := fs.entry(i); e != nil && e.Kind != 0 {
		return e.Kind
	}
	return index.Dir
}

// Bytes is the content file i holds in the image (File.Bytes).
func (fs *FS) Bytes(i int) int64 {
	if fs.files != nil {
		return fs.files[i].Bytes
	}
	e, _, _ := fs.entry(i)
	if b, ok := fs.ownBytes(i, e); ok {
		return b
	}
	if e != nil {
		return e.Size
	}
	return 0
}

// Layer is the layer that wrote file i, -1 for an implied directory.
func (fs *FS) Layer(i int) int {
	if fs.files != nil {
		return fs.files[i].Layer
	}
	_, k, _ := fs.entry(i)
	return k
}

// All yields the files in order with their positions.
func (fs *FS) All() iter.Seq2[int, File] {
	return func(yield func(int, File) bool) {
		for i := range fs.Len() {
			if !yield(i, fs.At(i)) {
				return
			}
		}
	}
}

// Lookup returns the file at canonical path p.
func (fs *FS) Lookup(p string) (File, bool) {
	i, ok := fs.IndexOf(p)
	if !ok {
		return File{}, false
	}
	return fs.At(i), true
}

// IndexOf returns the position of canonical path p (where it would go
// when ok is false).
func (fs *FS) IndexOf(p string) (int, bool) {
	n := fs.Len()
	i := sort.Search(n, func(i int) bool { return ComparePaths(fs.Path(i), p) >= 0 })
	return i, i < n && fs.Path(i) == p
}

// TreeEnd returns the position after the last entry below file i: the
// tree of a directory is the files from i+1 up to TreeEnd(i).
func (fs *FS) TreeEnd(i int) int {
	dir := fs.Path(i)
	n := fs.Len() - i - 1
	return i + 1 + sort.Search(n, func(j int) bool { return !index.Under(fs.Path(i+1+j), dir) })
}

// ComparePaths orders canonical paths as an FS orders its files: depth first,
// siblings by name. That is byte order with '/' below every other byte, so
// that "a/b" (in a's tree) comes before "a.b" (a's sibling).
func ComparePaths(a, b string) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	switch {
	case i == n:
		return len(a) - len(b)
	case a[i] == '/':
		return -1
	case b[i] == '/':
		return 1
	case a[i] < b[i]:
		return -1
	}
	return 1
}

// Size is the sum of the bytes of every file in the final filesystem.
func (fs *FS) Size() int64 {
	var n int64
	for i := range fs.Len() {
		n += fs.Bytes(i)
	}
	return n
}
