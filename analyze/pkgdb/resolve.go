package pkgdb

import (
	"strings"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// Resolver finds the real directory a database path names, following
// symlinked parent directories: dpkg lists /lib/x86_64-linux-gnu/libc.so.6
// while a merged-/usr image holds it at usr/lib/... behind the lib symlink.
type Resolver struct {
	links map[string]string // symlink path -> target, as written
	dirs  map[string]string // directory path -> the real directory it names
}

// NewResolver collects the symlinks of fs: one pass over the files costs
// less than looking up every directory that a database names.
func NewResolver(fs *model.FS) *Resolver {
	r := &Resolver{links: map[string]string{}, dirs: map[string]string{}}
	for i := range fs.Len() {
		if f := fs.At(i); f.Kind == index.Symlink {
			r.links[f.Path] = f.Link
		}
	}
	return r
}

// maxHops bounds the symlinks one resolution follows, as Linux's
// MAXSYMLINKS (40) does: past it the path is a loop or an attack, and
// RealDir gives it back unresolved.
const maxHops = 40

// RealDir resolves the symlinks along directory path d (canonical), the
// way the kernel walks a path: component by component, a symlink's
// target replacing it (from the root when absolute, else from the
// directory holding the link), ".." going up from the real directory.
// Only symlinks count towards maxHops, not the depth of d, and the answer
// for d depends on d alone: RealDir gives the same answers whatever order
// paths are looked up in.
func (r *Resolver) RealDir(d string) string {
	if real, ok := r.dirs[d]; ok {
		return real
	}
	real := r.resolve(d)
	r.dirs[d] = real
	return real
}

func (r *Resolver) resolve(d string) string {
	cur := "."
	rest := strings.Split(d, "/")
	hops := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = index.Parent(cur)
			continue
		}
		next := index.Join(cur, c)
		target, ok := r.links[next]
		if !ok {
			cur = next
			continue
		}
		if hops++; hops > maxHops {
			return d
		}
		if strings.HasPrefix(target, "/") {
			cur = "."
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	return cur
}
