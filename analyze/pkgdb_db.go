package analyze

import (
	"path"
	"sort"
	"strings"

	"github.com/imgdiff/imgdiff/layers/index"
)

// foundPackage is a package read from one of the image's package databases,
// with what the database says it owns. Readers fill it from captured file
// bodies; Classify resolves the paths against the final filesystem.
type foundPackage struct {
	Package
	// source names the database for evidence when it is not the manager
	// itself: "npm lockfile", "package.json".
	source string
	// files are canonical paths the database lists (dpkg, apk, Python
	// RECORD); some may be directories or absent from the image.
	files []string
	// dirs are directories whose whole tree the package owns (npm, pnpm).
	dirs []string
}

// readPackages reads every package database captured in img, in a fixed
// order: system managers first, so that a file both dpkg and a RECORD list
// is dpkg's.
func readPackages(img *Image) []*foundPackage {
	var out []*foundPackage
	out = append(out, readDpkg(img.Contents)...)
	out = append(out, readApk(img.Contents)...)
	out = append(out, readPython(img.Contents)...)
	out = append(out, readNpm(img.Contents)...)
	out = append(out, readPnpm(img.Contents, img.FS)...)
	return out
}

// sortedKeys returns the captured paths in order, so that readers are
// deterministic whatever the map order.
func sortedKeys(contents map[string][]byte) []string {
	keys := make([]string, 0, len(contents))
	for k := range contents {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// lines calls fn for each line of b, without the trailing "\r\n" or "\n".
func lines(b []byte, fn func(line string)) {
	s := string(b)
	for len(s) > 0 {
		i := strings.IndexByte(s, '\n')
		var line string
		if i < 0 {
			line, s = s, ""
		} else {
			line, s = s[:i], s[i+1:]
		}
		fn(strings.TrimSuffix(line, "\r"))
	}
}

// canonicalJoin joins a relative path from a database to the directory it
// is relative to, clamped to the image root.
func canonicalJoin(dir, rel string) string {
	return index.Canonical(path.Join(dir, rel))
}

// fsResolver finds the real directory a database path names, following
// symlinked parent directories: dpkg lists /lib/x86_64-linux-gnu/libc.so.6
// while a merged-/usr image holds it at usr/lib/... behind the lib symlink.
type fsResolver struct {
	links map[string]string // symlink path -> target, as written
	dirs  map[string]string // directory path -> the real directory it names
}

// newFSResolver collects the symlinks of fs: one pass over the files costs
// less than looking up every directory that a database names.
func newFSResolver(fs *FS) *fsResolver {
	r := &fsResolver{links: map[string]string{}, dirs: map[string]string{}}
	for i := range fs.Files {
		if f := &fs.Files[i]; f.Kind == index.Symlink {
			r.links[f.Path] = f.Link
		}
	}
	return r
}

// realDir resolves the symlinks along directory path d. hops bounds the
// links followed, so a symlink loop ends.
func (r *fsResolver) realDir(d string, hops int) string {
	if d == "." || hops > 16 {
		return d
	}
	if real, ok := r.dirs[d]; ok {
		return real
	}
	parent := r.realDir(index.Parent(d), hops+1)
	real := d
	if parent != index.Parent(d) {
		real = joinPath(parent, baseName(d))
	}
	if target, ok := r.links[real]; ok {
		if strings.HasPrefix(target, "/") {
			real = index.Canonical(target)
		} else {
			real = canonicalJoin(parent, target)
		}
		real = r.realDir(real, hops+1)
	}
	r.dirs[d] = real
	return real
}
