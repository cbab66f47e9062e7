package analyze

import (
	"slices"
	"strings"

	"github.com/imgdiff/imgdiff/layers/index"
)

// node is a path of the filesystem under construction.
type node struct {
	name     string
	entry    index.Entry // Kind 0: an implied directory
	layer    int
	bytes    int64
	removed  bool
	children map[string]*node
}

func (n *node) isDir() bool { return n.entry.Kind == index.Dir || n.entry.Kind == 0 }

// stack applies layers one by one, recording what each hides.
type stack struct {
	root   *node
	hidden []HiddenFile
	// links holds the hard links of each layer by target path, so that a
	// removed target can hand its bytes to a link that survives.
	links map[linkKey][]*node
	// lastDir and lastDirNode remember the directory dir last returned:
	// tar entries come grouped by directory, so most lookups repeat it.
	// Any removal clears them, as it may detach that node.
	lastDir     string
	lastDirNode *node
	// nodes counts the nodes ever added, to size the flattened listing.
	nodes int
	// slab hands out nodes from chunks: one allocation per 1024 nodes
	// instead of one per path.
	slab []node
}

func (s *stack) newNode(n node) *node {
	if len(s.slab) == 0 {
		s.slab = make([]node, 1024)
	}
	p := &s.slab[0]
	s.slab = s.slab[1:]
	*p = n
	s.nodes++
	return p
}

type linkKey struct {
	layer  int
	target string
}

func newStack() *stack {
	return &stack{root: &node{layer: -1, children: map[string]*node{}}, links: map[linkKey][]*node{}}
}

// lookup finds the node at canonical path p, or nil.
func (s *stack) lookup(p string) *node {
	n := s.root
	if p == "." {
		return n
	}
	for i := 0; i < len(p); {
		j := i
		for j < len(p) && p[j] != '/' {
			j++
		}
		if n.children == nil {
			return nil
		}
		if n = n.children[p[i:j]]; n == nil {
			return nil
		}
		i = j + 1
	}
	return n
}

// dir returns the directory at canonical path p, creating implied
// directories and replacing non-directories in the way (as extraction
// does) on behalf of layer k.
func (s *stack) dir(p string, k int) *node {
	n := s.root
	if p == "." {
		return n
	}
	if s.lastDirNode != nil && p == s.lastDir {
		return s.lastDirNode
	}
	for i := 0; i < len(p); {
		j := i
		for j < len(p) && p[j] != '/' {
			j++
		}
		name := p[i:j]
		c := n.children[name]
		if c != nil && !c.isDir() {
			at := "."
			if i > 0 {
				at = p[:i-1]
			}
			s.remove(at, n, c, k, "overwritten")
			c = nil
		}
		if c == nil {
			c = s.newNode(node{name: name, layer: -1, children: map[string]*node{}})
			n.children[name] = c
		}
		if c.children == nil {
			c.children = map[string]*node{}
		}
		n, i = c, j+1
	}
	s.lastDir, s.lastDirNode = p, n
	return n
}

// apply stacks layer k on the filesystem: its opaque dirs and whiteouts
// act on lower layers only, then its entries are added.
func (s *stack) apply(k int, l *index.Layer) {
	for _, d := range l.OpaqueDirs {
		if n := s.lookup(d); n != nil && n.isDir() {
			for _, c := range sortedChildren(n) {
				s.remove(d, n, c, k, "deleted")
			}
		}
	}
	for _, w := range l.Whiteouts {
		pp := index.Parent(w)
		parent := s.lookup(pp)
		if parent == nil || parent.children == nil {
			continue
		}
		if n := parent.children[index.Base(w)]; n != nil {
			s.remove(pp, parent, n, k, "deleted")
		}
	}
	for _, e := range l.Entries {
		if e.Path == "." {
			continue
		}
		pp := index.Parent(e.Path)
		parent := s.dir(pp, k)
		name := index.Base(e.Path)
		if old := parent.children[name]; old != nil {
			if old.isDir() && e.Kind == index.Dir {
				// Re-stating a directory changes its metadata only.
				old.entry, old.layer = e, k
				continue
			}
			s.remove(pp, parent, old, k, "overwritten")
		}
		n := s.newNode(node{name: name, entry: e, layer: k, bytes: e.Size})
		if e.Kind == index.Dir {
			n.children = map[string]*node{}
		}
		if e.Kind == index.Hardlink {
			key := linkKey{k, e.Link}
			s.links[key] = append(s.links[key], n)
		}
		parent.children[name] = n
	}
}

// remove detaches child from parent and records its subtree as hidden by
// layer by. Each node is removed at most once, so the total cost of all
// removals is linear in the number of entries.
func (s *stack) remove(parentPath string, parent, child *node, by int, how string) {
	delete(parent.children, child.name)
	s.lastDirNode = nil
	s.hide(index.Join(parentPath, child.name), child, by, how)
}

func (s *stack) hide(p string, n *node, by int, how string) {
	n.removed = true
	if n.bytes > 0 {
		if heir := s.survivingLink(n, p); heir != nil {
			heir.bytes += n.bytes
		} else {
			s.hidden = append(s.hidden, HiddenFile{Path: p, Size: n.bytes, Layer: n.layer, By: by, How: how})
		}
	}
	for _, c := range sortedChildren(n) {
		s.hide(index.Join(p, c.name), c, by, how)
	}
}

// survivingLink returns a hard link, written by the same layer as n, that
// names n's path and is still in the filesystem.
func (s *stack) survivingLink(n *node, p string) *node {
	if n.entry.Kind != index.File {
		return nil
	}
	for _, l := range s.links[linkKey{n.layer, p}] {
		if !l.removed {
			return l
		}
	}
	return nil
}

// flatten lists the final filesystem depth first, siblings by name.
func (s *stack) flatten() *FS {
	fs := &FS{Files: make([]File, 0, s.nodes)}
	// One scratch slice serves every level as a stack: a directory's
	// children are appended, sorted and visited, then dropped. Recursion
	// may grow (move) it, so children are read by index.
	var scratch []*node
	var walk func(n *node, p string)
	walk = func(n *node, p string) {
		start := len(scratch)
		for _, c := range n.children {
			scratch = append(scratch, c)
		}
		slices.SortFunc(scratch[start:], func(a, b *node) int { return strings.Compare(a.name, b.name) })
		for i := start; i < start+len(n.children); i++ {
			c := scratch[i]
			e := c.entry
			// An entry's path is the node's path: reuse it rather than
			// build the same string again; implied dirs have none.
			cp := e.Path
			if e.Kind == 0 {
				e.Kind = index.Dir
				cp = index.Join(p, c.name)
				e.Path = cp
			}
			fs.Files = append(fs.Files, File{Entry: e, Layer: c.layer, Bytes: c.bytes})
			walk(c, cp)
		}
		scratch = scratch[:start]
	}
	walk(s.root, ".")
	return fs
}

func sortedChildren(n *node) []*node {
	if len(n.children) == 0 {
		return nil
	}
	cs := make([]*node, 0, len(n.children))
	for _, c := range n.children {
		cs = append(cs, c)
	}
	slices.SortFunc(cs, func(a, b *node) int { return strings.Compare(a.name, b.name) })
	return cs
}
