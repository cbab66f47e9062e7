package imagetest

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// tree collects the entries of one layer by path and writes them in path
// order, the way a layer differ walks a filesystem.
type tree map[string]Entry

func (t tree) add(es ...Entry) tree {
	for _, e := range es {
		t[e.Path] = e
	}
	return t
}

func (t tree) file(p string, size int64) tree { return t.add(Entry{Path: p, Size: size}) }
func (t tree) body(p, body string) tree       { return t.add(Entry{Path: p, Body: []byte(body)}) }
func (t tree) exe(p string, size int64) tree {
	return t.add(Entry{Path: p, Size: size, Mode: 0o755})
}

// object adds a relocatable object file of size bytes (at least 64): an
// ELF64 little-endian header of type ET_REL, as a compiler writes one,
// then derived content. The classification tells object files by that
// header, not by their name.
func (t tree) object(p string, size int64) tree {
	h := make([]byte, 64, size)
	copy(h, "\x7fELF\x02\x01\x01")
	h[16], h[18] = 1, 62 // e_type ET_REL, e_machine EM_X86_64
	return t.add(Entry{Path: p, Body: append(h, Content(p, size-64)...)})
}

func (t tree) link(p, target string) tree { return t.add(Entry{Path: p, Type: Symlink, Link: target}) }
func (t tree) dir(p string, mode int64) tree {
	return t.add(Entry{Path: p, Type: Dir, Mode: mode})
}

// merge adds every entry of o.
func (t tree) merge(o tree) tree {
	for _, e := range o {
		t[e.Path] = e
	}
	return t
}

// prefixed returns o's entries with p prepended to their paths.
func (t tree) prefixed(p string) tree {
	out := tree{}
	for _, e := range t {
		e.Path = path.Join(p, e.Path)
		if e.Type == Hardlink {
			e.Link = path.Join(p, e.Link)
		}
		out[e.Path] = e
	}
	return out
}

func (t tree) size() int64 {
	var n int64
	for _, e := range t {
		n += e.FileSize()
	}
	return n
}

// entries returns the entries sorted by path, directories before their
// contents; hard links must sort after their targets (the demo has none).
func (t tree) entries() []Entry {
	out := make([]Entry, 0, len(t))
	for _, e := range t {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// spread adds n files named by name(i) under dir whose sizes add up to
// about total, varied so they do not all look alike.
func (t tree) spread(dir string, n int, total int64, name func(i int) string) tree {
	if n <= 0 {
		return t
	}
	avg := total / int64(n)
	r := seedOf(dir)
	for i := range n {
		// 50%..150% of the average.
		s := avg/2 + int64(r.next()%uint64(avg+1))
		t.file(path.Join(dir, name(i)), s)
	}
	return t
}

// names returns a name function cycling through words, numbered after the
// first round: "a.h", "b.h", ..., "a1.h".
func names(words, ext string) func(int) string {
	ws := strings.Fields(words)
	return func(i int) string {
		w := ws[i%len(ws)]
		if r := i / len(ws); r > 0 {
			w = fmt.Sprintf("%s%d", w, r)
		}
		return w + ext
	}
}
