package html

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// leaf is one file's bytes as the treemap sees them: where, how many,
// what (category index) and who wrote them (step index).
type leaf struct {
	path     string
	bytes    int64
	cat      int
	step     int
	evidence int // index in the evidence table, -1 for none
}

// tnode is a node of the treemap tree: a directory (kids != nil) or a
// leaf (a file, or an aggregate of Files small files when Files > 0).
type tnode struct {
	name     string
	bytes    int64
	cat      int
	step     int
	evidence int
	files    int // > 0: an aggregate of that many files
	kids     map[string]*tnode
	order    []*tnode
}

func newDir(name string) *tnode { return &tnode{name: name, kids: map[string]*tnode{}} }

func (n *tnode) isDir() bool { return n.kids != nil }

// Limits on the tree the page draws: a file is kept on its own when it
// holds at least 1/maxLeaves of the tree's bytes and is among the
// maxPerDir largest files of its directory; smaller files and directories
// are summed into one leaf per (category, step) in their directory, so
// the areas by category and by step stay exact.
const (
	maxLeaves = 8000
	maxPerDir = 200
)

// buildTree nests leaves by path and aggregates small ones. Zero-byte
// leaves are dropped: they have no area.
func buildTree(rootName string, leaves []leaf) *tnode {
	root := newDir(rootName)
	var total int64
	for _, l := range leaves {
		if l.bytes <= 0 {
			continue
		}
		total += l.bytes
		n := root
		rest := l.path
		for {
			i := strings.IndexByte(rest, '/')
			if i < 0 {
				break
			}
			name := rest[:i]
			rest = rest[i+1:]
			c := n.kids[name]
			if c != nil && !c.isDir() {
				// A file and a directory of one name (hidden files can
				// be both): move the file aside.
				key := name + "\x00"
				for n.kids[key] != nil {
					key += "\x00"
				}
				n.kids[key] = c
				c = nil
			}
			if c == nil {
				c = newDir(name)
				n.kids[name] = c
			}
			n.bytes += l.bytes
			n = c
		}
		n.bytes += l.bytes
		// A path can carry a file and later a directory's contents (or
		// two records of one path): keep both under distinct keys.
		key := rest
		for n.kids[key] != nil {
			key += "\x00"
		}
		n.kids[key] = &tnode{name: rest, bytes: l.bytes, cat: l.cat, step: l.step, evidence: l.evidence}
	}
	root.bytes = total
	minBytes := total / maxLeaves
	shrink(root, minBytes, true)
	return root
}

// aggKey groups folded files.
type aggKey struct{ cat, step int }

// agg sums folded files; largest remembers the biggest one (its evidence
// stands for the group, and a group of one is shown as that file).
type agg struct {
	bytes   int64
	files   int
	largest *tnode
	// name is largest's path relative to the directory it is folded into.
	name string
}

// shrink orders each directory's children by size and folds what is too
// small to see into per-(category, step) aggregates.
func shrink(n *tnode, minBytes int64, isRoot bool) {
	kids := make([]*tnode, 0, len(n.kids))
	for _, c := range n.kids {
		kids = append(kids, c)
	}
	sortNodes(kids)
	aggs := map[aggKey]*agg{}
	var keys []aggKey
	fold := func(f *tnode, rel string) {
		k := aggKey{f.cat, f.step}
		a := aggs[k]
		if a == nil {
			a = &agg{}
			aggs[k] = a
			keys = append(keys, k)
		}
		a.bytes += f.bytes
		a.files += max(f.files, 1)
		if a.largest == nil || f.bytes > a.largest.bytes || f.bytes == a.largest.bytes && rel < a.name {
			a.largest, a.name = f, rel
		}
	}
	keptFiles := 0
	for _, c := range kids {
		switch {
		case c.isDir() && c.bytes < minBytes:
			eachLeaf(c, c.name+"/", fold)
		case c.isDir():
			shrink(c, minBytes, false)
			n.order = append(n.order, c)
		case c.bytes < minBytes || keptFiles >= maxPerDir:
			fold(c, c.name)
		default:
			keptFiles++
			n.order = append(n.order, c)
		}
	}
	for _, k := range keys {
		a := aggs[k]
		if a.files == 1 {
			f := *a.largest
			f.name = a.name
			n.order = append(n.order, &f)
			continue
		}
		n.order = append(n.order, &tnode{
			name: "(" + strconv.Itoa(a.files) + " small files)", bytes: a.bytes,
			cat: k.cat, step: k.step, evidence: a.largest.evidence, files: a.files,
		})
	}
	sortNodes(n.order)
	n.kids = map[string]*tnode{} // the order is what is written
}

func sortNodes(ns []*tnode) {
	sort.Slice(ns, func(i, j int) bool {
		a, b := ns[i], ns[j]
		switch {
		case a.bytes != b.bytes:
			return a.bytes > b.bytes
		case a.name != b.name:
			return a.name < b.name
		case a.cat != b.cat:
			return a.cat < b.cat
		}
		return a.step < b.step
	})
}

// eachLeaf calls f for every leaf below n (before shrinking), with its
// path relative to n's parent (prefix ends with n's name and a slash).
func eachLeaf(n *tnode, prefix string, f func(*tnode, string)) {
	for _, c := range n.kids {
		if c.isDir() {
			eachLeaf(c, prefix+c.name+"/", f)
		} else {
			f(c, prefix+c.name)
		}
	}
}

// MarshalJSON writes the tree compactly: a directory is {"n","k"}, a leaf
// {"n","s","c","t"} plus "e" (evidence index) and "m" (files summed) when
// set. Names go through encoding/json, which escapes <, > and &.
func (n *tnode) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	n.write(&b)
	return b.Bytes(), nil
}

func (n *tnode) write(b *bytes.Buffer) {
	name, _ := json.Marshal(n.name) // a string always marshals
	b.WriteString(`{"n":`)
	b.Write(name)
	if n.isDir() {
		b.WriteString(`,"k":[`)
		for i, c := range n.order {
			if i > 0 {
				b.WriteByte(',')
			}
			c.write(b)
		}
		b.WriteString("]}")
		return
	}
	b.WriteString(`,"s":`)
	b.WriteString(strconv.FormatInt(n.bytes, 10))
	b.WriteString(`,"c":`)
	b.WriteString(strconv.Itoa(n.cat))
	b.WriteString(`,"t":`)
	b.WriteString(strconv.Itoa(n.step))
	if n.evidence >= 0 {
		b.WriteString(`,"e":`)
		b.WriteString(strconv.Itoa(n.evidence))
	}
	if n.files > 0 {
		b.WriteString(`,"m":`)
		b.WriteString(strconv.Itoa(n.files))
	}
	b.WriteByte('}')
}

// interner numbers distinct strings (the evidence table).
type interner struct {
	ids  map[string]int
	list []string
}

func (in *interner) id(s string) int {
	if s == "" {
		return -1
	}
	if in.ids == nil {
		in.ids = map[string]int{}
	}
	if i, ok := in.ids[s]; ok {
		return i
	}
	in.ids[s] = len(in.list)
	in.list = append(in.list, s)
	return len(in.list) - 1
}
