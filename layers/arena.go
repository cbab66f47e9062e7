package layers

import (
	"hash/maphash"
	"strings"
	"unsafe"

	"github.com/imgdiff/imgdiff/layers/index"
)

// An index holds one entry per tar entry, millions for a big layer. While
// a layer is read, its entries are compact records without pointers, kept
// in fixed chunks (an append-grown slice leaves each of its old arrays
// behind: on a layer of millions of entries, several times the final slice
// in memory that no later allocation reuses); their strings are copied into
// one arena of large chunks; repeated names are found through a table of
// record positions rather than a map of strings. At the end the records
// become one []index.Entry of the exact length, whose strings point into
// the arena: a few allocations per layer instead of several per entry.

const (
	// arenaFirst and arenaChunk are the sizes of the first and the
	// largest chunks of a stringArena.
	arenaFirst, arenaChunk = 4 << 10, 1 << 20
	// arenaLong is the length above which a string is kept on its own.
	arenaLong = arenaChunk / 16
	// recChunk is how many records an entryList allocates at a time.
	recChunk = 1 << 14
)

// strRef locates a string of a stringArena: chunk<<40 | offset<<20 |
// length, or longRef|i for the i-th long string. 0 is "".
type strRef uint64

const longRef strRef = 1 << 63

// stringArena copies strings into shared chunks. A chunk is never written
// again where a string was put, so the strings it hands out stay immutable.
type stringArena struct {
	chunks [][]byte
	long   []string
}

// add copies s into the arena.
func (a *stringArena) add(s string) strRef {
	switch {
	case len(s) == 0:
		return 0
	case len(s) > arenaLong:
		a.long = append(a.long, strings.Clone(s))
		return longRef | strRef(len(a.long)-1)
	}
	if len(a.chunks) == 0 || cap(a.chunks[len(a.chunks)-1])-len(a.chunks[len(a.chunks)-1]) < len(s) {
		// Chunks double from 4 kB, so a small layer costs little.
		size := arenaFirst
		if len(a.chunks) > 0 {
			size = min(arenaChunk, 2*cap(a.chunks[len(a.chunks)-1]))
		}
		a.chunks = append(a.chunks, make([]byte, 0, max(size, len(s))))
	}
	k := len(a.chunks) - 1
	off := len(a.chunks[k])
	a.chunks[k] = append(a.chunks[k], s...)
	return strRef(k)<<40 | strRef(off)<<20 | strRef(len(s))
}

// str returns the string ref locates.
func (a *stringArena) str(ref strRef) string {
	switch {
	case ref == 0:
		return ""
	case ref&longRef != 0:
		return a.long[ref&^longRef]
	}
	c := a.chunks[ref>>40]
	off, n := int(ref>>20)&(1<<20-1), int(ref)&(1<<20-1)
	return unsafe.String(&c[off], n)
}

// intern copies s into the arena and returns the copy.
func (a *stringArena) intern(s string) string { return a.str(a.add(s)) }

// rec is an index.Entry while the layer is read: 40 bytes, no pointers.
// dropped marks a record that a later entry of the same path replaced
// (index.Kind's zero value is no kind).
const dropped index.Kind = 0

type rec struct {
	size       int64
	path, link strRef
	uid, gid   uint32
	mode       uint32
	kind       index.Kind
}

// entryList collects a layer's records in fixed chunks.
type entryList struct {
	arena  *stringArena
	chunks [][]rec
	n      int
}

func (l *entryList) len() int { return l.n }

func (l *entryList) at(i int) *rec { return &l.chunks[i/recChunk][i%recChunk] }

func (l *entryList) path(i int) string { return l.arena.str(l.at(i).path) }

func (l *entryList) append(r rec) {
	// The first chunk grows as a slice does, so a small layer costs
	// little; from recChunk records on, chunks are fixed.
	if len(l.chunks) == 0 {
		l.chunks = [][]rec{nil}
	}
	if len(l.chunks[len(l.chunks)-1]) == recChunk {
		l.chunks = append(l.chunks, make([]rec, 0, recChunk))
	}
	c := &l.chunks[len(l.chunks)-1]
	*c = append(*c, r)
	l.n++
}

// entries returns the records as entries, nil when there are none, and
// empties the list.
func (l *entryList) entries() []index.Entry {
	if l.n == 0 {
		return nil
	}
	out := make([]index.Entry, 0, l.n)
	for i, c := range l.chunks {
		for _, r := range c {
			if r.kind == dropped {
				continue
			}
			out = append(out, index.Entry{
				Path: l.arena.str(r.path), Link: l.arena.str(r.link), Size: r.size,
				UID: r.uid, GID: r.gid, Mode: r.mode, Kind: r.kind,
			})
		}
		l.chunks[i] = nil
	}
	l.chunks, l.n = nil, 0
	return out
}

// pathSet finds the position in an entryList of the record with a given
// path: open addressing over positions+1 (0 is empty), at most half full,
// 4 bytes a slot.
type pathSet struct {
	slots []uint32
	n     int
	seed  maphash.Seed
}

func (s *pathSet) home(p string) int {
	return int(maphash.String(s.seed, p) & uint64(len(s.slots)-1))
}

// find returns the position of p in es, or -1.
func (s *pathSet) find(es *entryList, p string) int {
	if len(s.slots) == 0 {
		return -1
	}
	mask := len(s.slots) - 1
	for i := s.home(p); ; i = (i + 1) & mask {
		v := s.slots[i]
		if v == 0 {
			return -1
		}
		if es.path(int(v-1)) == p {
			return int(v - 1)
		}
	}
}

// add records that es holds at pos a path not yet in the set.
func (s *pathSet) add(es *entryList, pos int) {
	if 2*(s.n+1) > len(s.slots) {
		s.grow(es)
	}
	s.put(es.path(pos), pos)
	s.n++
}

// move points the slot that holds from at to: the same path, recorded
// again later in the list.
func (s *pathSet) move(es *entryList, from, to int) {
	mask := len(s.slots) - 1
	for i := s.home(es.path(from)); ; i = (i + 1) & mask {
		if s.slots[i] == uint32(from+1) {
			s.slots[i] = uint32(to + 1)
			return
		}
	}
}

func (s *pathSet) put(p string, pos int) {
	mask := len(s.slots) - 1
	i := s.home(p)
	for s.slots[i] != 0 {
		i = (i + 1) & mask
	}
	s.slots[i] = uint32(pos + 1)
}

func (s *pathSet) grow(es *entryList) {
	if len(s.slots) == 0 {
		s.seed = maphash.MakeSeed()
	}
	old := s.slots
	s.slots = make([]uint32, max(64, 2*len(old)))
	for _, v := range old {
		if v != 0 {
			s.put(es.path(int(v-1)), int(v-1))
		}
	}
}
