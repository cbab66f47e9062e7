package model

import (
	"slices"
	"sort"

	"github.com/imgdiff/imgdiff/layers/index"
)

// File is a path of the final filesystem and the layer that last wrote it.
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
type FS struct {
	Files []File
}

// Lookup returns the file at canonical path p.
func (fs *FS) Lookup(p string) (File, bool) {
	i, ok := fs.IndexOf(p)
	if !ok {
		return File{}, false
	}
	return fs.Files[i], true
}

// IndexOf returns the position in Files of canonical path p.
func (fs *FS) IndexOf(p string) (int, bool) {
	return slices.BinarySearchFunc(fs.Files, p, func(f File, p string) int { return ComparePaths(f.Path, p) })
}

// TreeEnd returns the position after the last entry below Files[i]: the
// tree of a directory is Files[i+1 : TreeEnd(i)].
func (fs *FS) TreeEnd(i int) int {
	dir := fs.Files[i].Path
	rest := fs.Files[i+1:]
	return i + 1 + sort.Search(len(rest), func(j int) bool { return !index.Under(rest[j].Path, dir) })
}

// ComparePaths orders canonical paths as FS.Files is ordered: depth first,
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
	for i := range fs.Files {
		n += fs.Files[i].Bytes
	}
	return n
}
