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
	for i := range fs.Files {
		if f := &fs.Files[i]; f.Kind == index.Symlink {
			r.links[f.Path] = f.Link
		}
	}
	return r
}

// RealDir resolves the symlinks along directory path d. hops bounds the
// links followed, so a symlink loop ends.
func (r *Resolver) RealDir(d string, hops int) string {
	if d == "." || hops > 16 {
		return d
	}
	if real, ok := r.dirs[d]; ok {
		return real
	}
	parent := r.RealDir(index.Parent(d), hops+1)
	real := d
	if parent != index.Parent(d) {
		real = index.Join(parent, index.Base(d))
	}
	if target, ok := r.links[real]; ok {
		if strings.HasPrefix(target, "/") {
			real = index.Canonical(target)
		} else {
			real = canonicalJoin(parent, target)
		}
		real = r.RealDir(real, hops+1)
	}
	r.dirs[d] = real
	return real
}
