package analyze

import (
	"hash/maphash"
	"math/bits"
	"slices"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// nodeID names a node of the stack: its position in stack.nodes. 0 is no
// node; the root is 1.
type nodeID uint32

const (
	noNode nodeID = 0
	root   nodeID = 1
)

// maxNodes bounds the entries Build takes: node ids are 32-bit, and the
// directories no layer recorded add nodes (at most one per path element,
// fewer than the entries' bytes). The walk's --max-entries (10M a layer
// by default) keeps real images far below it.
const maxNodes = 1 << 30

// node is a path of the filesystem under construction. It is kept small
// (32 bytes): a stack holds one per entry of every layer, millions for a
// big image. Its entry is not copied: layer and ent point at it in the
// layer's index, and its path and name are read from there.
type node struct {
	bytes int64
	// layer wrote the node (-1: a directory no layer recorded); ent is
	// the entry's position in that layer's Entries, or, for a directory
	// no layer recorded, its path's position in stack.implied.
	layer, ent int32
	// parent, first child and next sibling: a directory's children are a
	// list, removed nodes are unlinked from it lazily (see children).
	parent, child, next nodeID
	kind                index.Kind // 0: a directory no layer recorded
	removed             bool
}

func (n *node) isDir() bool { return n.kind == index.Dir || n.kind == 0 }

// stack applies layers one by one, recording what each hides.
type stack struct {
	layers []*index.Layer
	// nodes are held in chunks of chunkNodes (512 kB), never moved: no
	// reallocation leaves a copy behind, and a chunk fits in the spans
	// the walk's own chunks freed.
	nodes [][]node
	count int // nodes made, the root and noNode included
	// implied are the paths of the directories no layer recorded.
	implied []string
	// table finds a node's child by name: open addressing, linear
	// probing, node ids keyed by (parent, name). Removed nodes stay until
	// the table grows and never match.
	table  []nodeID
	filled int
	seed   maphash.Seed
	hidden []model.HiddenFile
	// links holds the hard links of each layer by target path, so that a
	// removed target can hand its bytes to a link that survives.
	links map[linkKey][]nodeID
	// lastDir and lastDirNode remember the directory dir last returned:
	// tar entries come grouped by directory, so most lookups repeat it.
	// Any removal clears them, as it may detach that node.
	lastDir     string
	lastDirNode nodeID
	// live counts the nodes in the filesystem, to size the flattened
	// listing.
	live int
	// scratch holds children being sorted, one directory's after another
	// (a stack: see sortedChildren).
	scratch []child
}

type linkKey struct {
	layer  int
	target string
}

type child struct {
	name string
	id   nodeID
}

// newStack returns an empty filesystem for the layers ls, sized for all
// their entries.
func newStack(ls []*index.Layer) *stack {
	n := 0
	for _, l := range ls {
		n += len(l.Entries)
	}
	s := &stack{
		layers: ls,
		seed:   maphash.MakeSeed(),
		links:  map[linkKey][]nodeID{},
	}
	s.push(node{})
	s.push(node{layer: -1, ent: -1})
	s.table = make([]nodeID, tableSize(n))
	return s
}

const chunkNodes = 1 << 14

// node returns node id.
func (s *stack) node(id nodeID) *node { return &s.nodes[id/chunkNodes][id%chunkNodes] }

// push stores n as the next node and returns its id.
func (s *stack) push(n node) nodeID {
	id := nodeID(s.count)
	if s.count%chunkNodes == 0 {
		s.nodes = append(s.nodes, make([]node, chunkNodes))
	}
	*s.node(id) = n
	s.count++
	return id
}

// tableSize is a power of two that holds n nodes at most 3/4 full.
func tableSize(n int) int {
	return max(16, 1<<bits.Len(uint(n+n/3)))
}

// path is the canonical path of node id.
func (s *stack) path(id nodeID) string {
	n := s.node(id)
	switch {
	case n.layer >= 0:
		return s.layers[n.layer].Entries[n.ent].Path
	case n.ent >= 0:
		return s.implied[n.ent]
	}
	return "."
}

func (s *stack) name(id nodeID) string { return index.Base(s.path(id)) }

func (s *stack) hash(parent nodeID, name string) uint64 {
	h := maphash.String(s.seed, name) ^ uint64(parent)*0x9e3779b97f4a7c15
	return h ^ h>>29
}

// find returns the child of parent called name, or noNode.
func (s *stack) find(parent nodeID, name string) nodeID {
	mask := uint64(len(s.table) - 1)
	for i := s.hash(parent, name) & mask; ; i = (i + 1) & mask {
		id := s.table[i]
		if id == noNode {
			return noNode
		}
		if n := s.node(id); n.parent == parent && !n.removed && s.name(id) == name {
			return id
		}
	}
}

// place puts id, the child of parent called name, in the table.
func (s *stack) place(id, parent nodeID, name string) {
	mask := uint64(len(s.table) - 1)
	i := s.hash(parent, name) & mask
	for s.table[i] != noNode {
		i = (i + 1) & mask
	}
	s.table[i] = id
	s.filled++
}

// grow rehashes the nodes still in the filesystem into a table sized for
// twice as many (removed ones are dropped).
func (s *stack) grow() {
	s.table = make([]nodeID, tableSize(2*s.live))
	s.filled = 0
	for id := root + 1; int(id) < s.count; id++ {
		if n := s.node(id); !n.removed {
			s.place(id, n.parent, s.name(id))
		}
	}
}

// add makes a node and links it under its parent.
func (s *stack) add(n node, name string) nodeID {
	if (s.filled+1)*4 > len(s.table)*3 {
		s.grow()
	}
	p := s.node(n.parent)
	n.next = p.child
	id := s.push(n)
	p.child = id
	s.live++
	s.place(id, n.parent, name)
	return id
}

// lookup finds the node at canonical path p, or noNode.
func (s *stack) lookup(p string) nodeID {
	n := root
	if p == "." {
		return n
	}
	for i := 0; i < len(p); {
		j := i
		for j < len(p) && p[j] != '/' {
			j++
		}
		if n = s.find(n, p[i:j]); n == noNode {
			return noNode
		}
		i = j + 1
	}
	return n
}

// dir returns the directory at canonical path p, creating implied
// directories and replacing non-directories in the way (as extraction
// does) on behalf of layer k.
func (s *stack) dir(p string, k int) nodeID {
	n := root
	if p == "." {
		return n
	}
	if s.lastDirNode != noNode && p == s.lastDir {
		return s.lastDirNode
	}
	for i := 0; i < len(p); {
		j := i
		for j < len(p) && p[j] != '/' {
			j++
		}
		name := p[i:j]
		c := s.find(n, name)
		if c != noNode && !s.node(c).isDir() {
			s.remove(c, k, "overwritten")
			c = noNode
		}
		if c == noNode {
			s.implied = append(s.implied, p[:j])
			c = s.add(node{layer: -1, ent: int32(len(s.implied) - 1), parent: n}, name)
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
		if n := s.lookup(d); n != noNode && s.node(n).isDir() {
			cs, mark := s.sortedChildren(n)
			for _, c := range cs {
				s.remove(c.id, k, "deleted")
			}
			s.scratch = s.scratch[:mark]
		}
	}
	for _, w := range l.Whiteouts {
		if n := s.lookup(w); n != noNode && n != root {
			s.remove(n, k, "deleted")
		}
	}
	for i := range l.Entries {
		e := &l.Entries[i]
		if e.Path == "." {
			continue
		}
		pp := index.Parent(e.Path)
		parent := s.dir(pp, k)
		name := index.Base(e.Path)
		if old := s.find(parent, name); old != noNode {
			if o := s.node(old); o.isDir() && e.Kind == index.Dir {
				// Re-stating a directory changes its metadata only.
				o.layer, o.ent, o.kind = int32(k), int32(i), e.Kind
				continue
			}
			s.remove(old, k, "overwritten")
		}
		n := s.add(node{layer: int32(k), ent: int32(i), parent: parent, kind: e.Kind, bytes: e.Size}, name)
		if e.Kind == index.Hardlink {
			key := linkKey{k, e.Link}
			s.links[key] = append(s.links[key], n)
		}
	}
}

// remove detaches node id from its parent and records its subtree as
// hidden by layer by. Each node is removed at most once, so the total cost
// of all removals is linear in the number of entries.
func (s *stack) remove(id nodeID, by int, how string) {
	s.lastDirNode = noNode
	s.hide(id, by, how)
}

func (s *stack) hide(id nodeID, by int, how string) {
	n := s.node(id)
	n.removed = true
	s.live--
	if n.bytes > 0 {
		p := s.path(id)
		if heir := s.survivingLink(id, p); heir != noNode {
			s.node(heir).bytes += n.bytes
		} else {
			s.hidden = append(s.hidden, model.HiddenFile{Path: p, Size: n.bytes, Layer: int(n.layer), By: by, How: how})
		}
	}
	if n.isDir() {
		cs, mark := s.sortedChildren(id)
		for _, c := range cs {
			s.hide(c.id, by, how)
		}
		s.scratch = s.scratch[:mark]
	}
}

// survivingLink returns a hard link, written by the same layer as node
// id, that names its path p and is still in the filesystem.
func (s *stack) survivingLink(id nodeID, p string) nodeID {
	n := s.node(id)
	if n.kind != index.File {
		return noNode
	}
	for _, l := range s.links[linkKey{int(n.layer), p}] {
		if !s.node(l).removed {
			return l
		}
	}
	return noNode
}

// sortedChildren appends the children of node id still in the
// filesystem to s.scratch, sorted by name, and returns them with the
// length of s.scratch before (the caller truncates it back: nested calls
// stack their children above). It unlinks removed children from the list
// on the way, so each removed node is passed over at most once.
func (s *stack) sortedChildren(id nodeID) ([]child, int) {
	start := len(s.scratch)
	prev := noNode
	for c := s.node(id).child; c != noNode; c = s.node(c).next {
		if s.node(c).removed {
			if prev == noNode {
				s.node(id).child = s.node(c).next
			} else {
				s.node(prev).next = s.node(c).next
			}
			continue
		}
		s.scratch = append(s.scratch, child{s.name(c), c})
		prev = c
	}
	cs := s.scratch[start:]
	slices.SortFunc(cs, func(a, b child) int { return strings.Compare(a.name, b.name) })
	return cs, start
}

// flatten lists the final filesystem depth first, siblings by name.
func (s *stack) flatten() *model.FS {
	s.table = nil // not needed any more: let it go before the listing
	fs := &model.FS{Files: make([]model.File, 0, s.live)}
	var walk func(id nodeID)
	walk = func(id nodeID) {
		cs, mark := s.sortedChildren(id)
		for _, c := range cs {
			n := s.node(c.id)
			var e index.Entry
			if n.layer >= 0 {
				e = s.layers[n.layer].Entries[n.ent]
			}
			if e.Kind == 0 {
				e.Kind = index.Dir
				e.Path = s.path(c.id)
			}
			fs.Files = append(fs.Files, model.File{Entry: e, Layer: int(n.layer), Bytes: n.bytes})
			if n.isDir() {
				walk(c.id)
			}
		}
		s.scratch = s.scratch[:mark]
	}
	walk(root)
	return fs
}
