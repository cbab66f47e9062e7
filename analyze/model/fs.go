package model

import (
	"iter"
	"sort"

	"github.com/imgdiff/imgdiff/layers/index"
)

// File is a path of the final filesystem and the layer that last wrote it.
// FS hands files out by value (At, All): it keeps a 16-byte record per
// file that points at the entry in its layer's index, not the entry.
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
// An image of millions of files holds millions of them, so a file is a
// 16-byte record (its layer, its entry's position in that layer's index,
// its bytes) and the entries stay where the walk put them: the listing
// shares the index's entries and their path arena instead of copying
// them (72 bytes a file). At and All rebuild the File value.
type FS struct {
	recs []fileRec
	// layers are the layers' entries, by layer index (Build's; shared
	// with the walked index, never changed).
	layers [][]index.Entry
	// implied are the paths of the directories no layer recorded.
	implied []string
	// own holds the entries of files added with Append.
	own []index.Entry
}

// fileRec is one file of an FS. ent's top bit says the entry is in
// FS.own; else it is layers[layer][ent], or implied[ent] when layer is -1.
type fileRec struct {
	layer int32
	ent   uint32
	bytes int64
}

const ownEntry = 1 << 31

// NewLayeredFS returns an empty filesystem whose files will be entries
// of layers (by layer index) or directories of implied (paths no layer
// recorded), added in order with AddEntry; n is how many will be added.
// The FS keeps layers and implied: the caller must not change them.
func NewLayeredFS(layers [][]index.Entry, implied []string, n int) *FS {
	return &FS{recs: make([]fileRec, 0, n), layers: layers, implied: implied}
}

// AddEntry appends layers[layer][ent] (implied[ent] when layer is -1, a
// directory) with bytes, the content it holds in the image. Files must
// be added in FS order; ent must be below 2^31.
func (fs *FS) AddEntry(layer, ent int, bytes int64) {
	fs.recs = append(fs.recs, fileRec{layer: int32(layer), ent: uint32(ent), bytes: bytes})
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

// Append adds f after the files already there (f must sort after them):
// f.Entry is copied into the FS.
func (fs *FS) Append(f File) {
	fs.recs = append(fs.recs, fileRec{layer: int32(f.Layer), ent: uint32(len(fs.own)) | ownEntry, bytes: f.Bytes})
	fs.own = append(fs.own, f.Entry)
}

// Len is the number of files.
func (fs *FS) Len() int { return len(fs.recs) }

// entry returns the entry of file i, or nil and the path of an implied
// directory.
func (fs *FS) entry(i int) (e *index.Entry, path string) {
	r := fs.recs[i]
	switch {
	case r.ent&ownEntry != 0:
		return &fs.own[r.ent&^ownEntry], ""
	case r.layer < 0:
		return nil, fs.implied[r.ent]
	}
	return &fs.layers[r.layer][r.ent], ""
}

// At returns file i.
func (fs *FS) At(i int) File {
	e, p := fs.entry(i)
	r := fs.recs[i]
	if e == nil {
		return File{Entry: index.Entry{Path: p, Kind: index.Dir}, Layer: int(r.layer), Bytes: r.bytes}
	}
	f := File{Entry: *e, Layer: int(r.layer), Bytes: r.bytes}
	if f.Kind == 0 {
		f.Kind = index.Dir // as the stack took it
	}
	return f
}

// Path is file i's canonical path.
func (fs *FS) Path(i int) string {
	e, p := fs.entry(i)
	if e != nil {
		return e.Path
	}
	return p
}

// Kind is file i's kind (an implied directory, or an entry of no known
// kind, is a Dir: the stack takes it for one).
func (fs *FS) Kind(i int) index.Kind {
	if e, _ := fs.entry(i); e != nil && e.Kind != 0 {
		return e.Kind
	}
	return index.Dir
}

// Bytes is the content file i holds in the image (File.Bytes).
func (fs *FS) Bytes(i int) int64 { return fs.recs[i].bytes }

// Layer is the layer that wrote file i, -1 for an implied directory.
func (fs *FS) Layer(i int) int { return int(fs.recs[i].layer) }

// All yields the files in order with their positions.
func (fs *FS) All() iter.Seq2[int, File] {
	return func(yield func(int, File) bool) {
		for i := range fs.recs {
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
	i := sort.Search(len(fs.recs), func(i int) bool { return ComparePaths(fs.Path(i), p) >= 0 })
	return i, i < len(fs.recs) && fs.Path(i) == p
}

// TreeEnd returns the position after the last entry below file i: the
// tree of a directory is the files from i+1 up to TreeEnd(i).
func (fs *FS) TreeEnd(i int) int {
	dir := fs.Path(i)
	n := len(fs.recs) - i - 1
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
	for i := range fs.recs {
		n += fs.recs[i].bytes
	}
	return n
}
