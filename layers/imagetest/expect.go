package imagetest

import (
	"path"
	"sort"
	"strings"
)

// Expected holds the figures an analysis of an image must report,
// computed from its spec alone (never from the tar bytes or imgdiff's
// code), so tests compare imgdiff with an independent answer.
type Expected struct {
	Platform string `json:"platform"`
	// Layers, in rootfs order.
	Layers []ExpectedLayer `json:"layers"`
	// History, oldest first, empty-layer entries included.
	History []ExpectedStep `json:"history"`
	// Size is Docker's image size: the sum of the layers' sizes.
	Size int64 `json:"size"`
	// FinalSize and FinalFiles describe the filesystem a container sees:
	// whiteouts and opaque directories applied, later layers winning.
	// FinalFiles counts regular files, symlinks and hard links.
	FinalSize  int64 `json:"finalSize"`
	FinalFiles int   `json:"finalFiles"`
	// Wasted is the bytes lower layers hold that the final filesystem does
	// not show: deleted (whiteouts, opaque dirs) plus overwritten.
	Wasted      int64 `json:"wasted"`
	Deleted     int64 `json:"deleted"`
	Overwritten int64 `json:"overwritten"`
}

// ExpectedLayer is one layer's figures.
type ExpectedLayer struct {
	DiffID    string `json:"diffID,omitempty"`
	CreatedBy string `json:"createdBy"`
	// Size is Docker's layer size (`docker history` SIZE): regular file
	// sizes plus symlink target lengths, hard links counted once.
	Size int64 `json:"size"`
	// Files counts regular files, Symlinks and Hardlinks the other two.
	Files      int      `json:"files"`
	Symlinks   int      `json:"symlinks"`
	Hardlinks  int      `json:"hardlinks"`
	Whiteouts  []string `json:"whiteouts"`
	OpaqueDirs []string `json:"opaqueDirs"`
	// Blob sizes and digests by compression ("gzip", "zstd", "none"),
	// filled in by the fixture writer for the formats it wrote.
	Compressed map[string]Blob `json:"compressed,omitempty"`
}

// Blob is a layer blob as a format stores it.
type Blob struct {
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}

// ExpectedStep is one history entry.
type ExpectedStep struct {
	CreatedBy  string `json:"createdBy"`
	EmptyLayer bool   `json:"emptyLayer,omitempty"`
}

// Expect computes the figures of spec.
func Expect(spec Image) Expected {
	p := spec.Platform
	if p.OS == "" {
		p.OS = "linux"
	}
	if p.Architecture == "" {
		p.Architecture = "amd64"
	}
	ex := Expected{Platform: p.OS + "/" + p.Architecture}
	if p.Variant != "" {
		ex.Platform += "/" + p.Variant
	}
	steps := func(at int) {
		for _, s := range spec.EmptySteps {
			if s.At == at {
				ex.History = append(ex.History, ExpectedStep{CreatedBy: s.CreatedBy, EmptyLayer: true})
			}
		}
	}

	// The merged filesystem: path -> size of what is there (0 for
	// directories and hard links).
	type node struct {
		size int64
		kind Kind
	}
	fs := map[string]node{}
	hide := func(dir string, self bool) int64 {
		var n int64
		for q, e := range fs {
			if (self && q == dir) || strings.HasPrefix(q, dir+"/") {
				n += e.size
				delete(fs, q)
			}
		}
		return n
	}
	for i, l := range spec.Layers {
		steps(i)
		ex.History = append(ex.History, ExpectedStep{CreatedBy: l.CreatedBy})
		el := ExpectedLayer{CreatedBy: l.CreatedBy, Size: l.ContentSize(), Whiteouts: []string{}, OpaqueDirs: []string{}}
		// Whiteouts and opaque markers apply to lower layers only, so
		// first apply them all, then add this layer's entries.
		for _, e := range l.Entries {
			c := strings.Trim(path.Clean("/"+e.Path), "/")
			switch e.Type {
			case Whiteout:
				el.Whiteouts = append(el.Whiteouts, c)
				ex.Deleted += hide(c, true)
			case Opaque:
				el.OpaqueDirs = append(el.OpaqueDirs, c)
				ex.Deleted += hide(c, false)
			}
		}
		for _, e := range l.Entries {
			c := strings.Trim(path.Clean("/"+e.Path), "/")
			switch e.Type {
			case Whiteout, Opaque:
				continue
			case File:
				el.Files++
			case Symlink:
				el.Symlinks++
			case Hardlink:
				el.Hardlinks++
			}
			if old, ok := fs[c]; ok {
				ex.Overwritten += old.size
				if old.kind == Dir && e.Type != Dir {
					// A file replacing a directory hides its subtree.
					ex.Overwritten += hide(c, false)
				}
			}
			fs[c] = node{size: e.FileSize(), kind: e.Type}
			// Parents exist as directories.
			for d := path.Dir(c); d != "."; d = path.Dir(d) {
				if n, ok := fs[d]; !ok || n.kind != Dir {
					if ok {
						ex.Overwritten += n.size
					}
					fs[d] = node{kind: Dir}
				}
			}
		}
		sort.Strings(el.Whiteouts)
		sort.Strings(el.OpaqueDirs)
		ex.Layers = append(ex.Layers, el)
		ex.Size += el.Size
	}
	steps(len(spec.Layers))
	for _, n := range fs {
		ex.FinalSize += n.size
		if n.kind != Dir {
			ex.FinalFiles++
		}
	}
	ex.Wasted = ex.Deleted + ex.Overwritten
	return ex
}
