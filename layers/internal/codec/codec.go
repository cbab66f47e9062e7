// Package codec is the binary form of a layer's file index (index.Layer):
// the payload the layer cache (package cache) stores compressed in each
// entry and a snapshot (package snapshot) stores per layer. Decoding
// trusts no count or length.
package codec

import (
	"encoding/binary"
	"errors"
	"maps"
	"math"
	"slices"

	"github.com/imgdiff/imgdiff/layers/index"
)

// The payload (zstd-compressed in the entry file) is a flat
// sequence of varints and length-prefixed bytes, in this order:
//
//	diffID  string
//	size    varint
//	entries count+1 (0 = nil), then per entry:
//	        path (prefix-coded: uvarint bytes shared with the previous
//	        path, then the rest as a string), kind byte, size (varint),
//	        mode, uid, gid (uvarints, at most 2^32-1), link string
//	whiteouts, opaque dirs: count+1, then prefix-coded paths
//	contents: count+1, then per file, by path: path string, body
//	        (uvarint len+1, 0 = nil, then the bytes)
//	elf     only when the walk read ELF facts (a payload without it
//	        decodes with ELF nil): count+1, then per file, by path: path
//	        string, interp string, needed count+1, needed strings
//
// Counts are stored +1 so a nil slice or map survives the round trip as nil.
// Tar paths come in directory order, so prefix coding shrinks them to a
// few bytes each; all decoded strings share one backing string, which
// makes decoding a few allocations per layer instead of one per path.

var errCorrupt = errors.New("corrupt cache entry")

func encodeLayer(l *index.Layer) []byte {
	var e encoder
	e.buf = make([]byte, 0, 64+len(l.Entries)*24)
	e.str(l.DiffID)
	e.varint(l.Size)
	if l.Entries == nil {
		e.uvarint(0)
	} else {
		e.uvarint(uint64(len(l.Entries)) + 1)
		prev := ""
		for i := range l.Entries {
			en := &l.Entries[i]
			e.path(prev, en.Path)
			prev = en.Path
			e.buf = append(e.buf, byte(en.Kind))
			e.varint(en.Size)
			e.uvarint(uint64(en.Mode))
			e.uvarint(uint64(en.UID))
			e.uvarint(uint64(en.GID))
			e.str(en.Link)
		}
	}
	e.paths(l.Whiteouts)
	e.paths(l.OpaqueDirs)
	if l.Contents == nil {
		e.uvarint(0)
	} else {
		keys := slices.Sorted(maps.Keys(l.Contents))
		e.uvarint(uint64(len(keys)) + 1)
		for _, k := range keys {
			e.str(k)
			body := l.Contents[k]
			if body == nil {
				e.uvarint(0)
				continue
			}
			e.uvarint(uint64(len(body)) + 1)
			e.buf = append(e.buf, body...)
		}
	}
	if l.ELF != nil {
		keys := slices.Sorted(maps.Keys(l.ELF))
		e.uvarint(uint64(len(keys)) + 1)
		for _, k := range keys {
			f := l.ELF[k]
			e.str(k)
			e.str(f.Interp)
			if f.Needed == nil {
				e.uvarint(0)
			} else {
				e.uvarint(uint64(len(f.Needed)) + 1)
			}
			for _, n := range f.Needed {
				e.str(n)
			}
		}
	}
	return e.buf
}

type encoder struct{ buf []byte }

func (e *encoder) uvarint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v) }
func (e *encoder) varint(v int64)   { e.buf = binary.AppendVarint(e.buf, v) }

func (e *encoder) str(s string) {
	e.uvarint(uint64(len(s)))
	e.buf = append(e.buf, s...)
}

func (e *encoder) path(prev, p string) {
	n := 0
	for n < len(prev) && n < len(p) && prev[n] == p[n] {
		n++
	}
	e.uvarint(uint64(n))
	e.str(p[n:])
}

func (e *encoder) paths(ps []string) {
	if ps == nil {
		e.uvarint(0)
		return
	}
	e.uvarint(uint64(len(ps)) + 1)
	prev := ""
	for _, p := range ps {
		e.path(prev, p)
		prev = p
	}
}

// decodeLayer parses a payload. It never trusts a count or a length: each
// is checked against the bytes left before anything is allocated.
func decodeLayer(buf []byte, maxPaths int64) (*index.Layer, int64, error) {
	// First pass: every path and link into one arena, converted to a
	// single string at the end; entries hold offsets until then.
	d := decoder{buf: buf, arenaLeft: maxPaths}
	l := &index.Layer{}
	arena := make([]byte, 0, min(int64(len(buf))*3, maxPaths))

	diffID := d.bytes()
	arena = append(arena, diffID...)
	diffSpan := span{0, len(arena)}
	l.Size = d.varint()

	var pathSpans, linkSpans []span
	if n, ok := d.count(6); ok && n >= 0 {
		l.Entries = make([]index.Entry, n)
		pathSpans = make([]span, n)
		linkSpans = make([]span, n)
		prev := span{}
		for i := range l.Entries {
			var s span
			arena, s = d.path(arena, prev)
			prev = s
			pathSpans[i] = s
			en := &l.Entries[i]
			en.Kind = index.Kind(d.byte())
			en.Size = d.varint()
			en.Mode = d.uint32()
			en.UID = d.uint32()
			en.GID = d.uint32()
			link := d.bytes()
			if !d.grow(len(link)) {
				break
			}
			if len(link) > 0 {
				off := len(arena)
				arena = append(arena, link...)
				linkSpans[i] = span{off, len(arena)}
			}
			if d.err != nil {
				break
			}
		}
	}
	readPaths := func() ([]span, bool) {
		n, ok := d.count(2)
		if !ok || n < 0 {
			return nil, true
		}
		out := make([]span, n)
		prev := span{}
		for i := range out {
			arena, out[i] = d.path(arena, prev)
			prev = out[i]
			if d.err != nil {
				break
			}
		}
		return out, false
	}
	wh, whNil := readPaths()
	op, opNil := readPaths()
	if n, ok := d.count(2); ok && n >= 0 {
		l.Contents = make(map[string][]byte, n)
		for range n {
			k := string(d.bytes())
			blen := d.uvarint()
			if blen == 0 {
				l.Contents[k] = nil
				continue
			}
			if blen-1 > uint64(len(d.buf)) {
				d.fail()
				break
			}
			l.Contents[k] = append([]byte{}, d.take(int(blen-1))...)
		}
	}
	if d.err == nil && len(d.buf) != 0 {
		if n, ok := d.count(3); ok && n >= 0 {
			l.ELF = make(map[string]index.ELF, n)
			for range n {
				k := string(d.bytes())
				f := index.ELF{Interp: string(d.bytes())}
				m, ok := d.count(1)
				if !ok {
					break
				}
				if m >= 0 {
					f.Needed = make([]string, 0, m)
				}
				for range m {
					f.Needed = append(f.Needed, string(d.bytes()))
				}
				if d.err != nil {
					break
				}
				l.ELF[k] = f
			}
		} else {
			d.fail()
		}
	}
	if d.err == nil && len(d.buf) != 0 {
		d.fail() // trailing bytes: not what we wrote
	}
	if d.err == nil {
		// The layer's size is the checked sum of its entries' when the
		// walk writes it: anything else was not written by us.
		var sum int64
		var err error
		for i := range l.Entries {
			if sum, err = index.AddSize(sum, l.Entries[i].Size); err != nil {
				break
			}
		}
		if err != nil || sum != l.Size {
			d.fail()
		}
	}
	if d.err != nil {
		return nil, 0, d.err
	}

	s := string(arena)
	sub := func(sp span) string { return s[sp.off:sp.end] }
	l.DiffID = sub(diffSpan)
	for i := range l.Entries {
		l.Entries[i].Path = sub(pathSpans[i])
		if linkSpans[i].end > 0 {
			l.Entries[i].Link = sub(linkSpans[i])
		}
	}
	if !whNil {
		l.Whiteouts = make([]string, len(wh))
		for i, sp := range wh {
			l.Whiteouts[i] = sub(sp)
		}
	}
	if !opNil {
		l.OpaqueDirs = make([]string, len(op))
		for i, sp := range op {
			l.OpaqueDirs[i] = sub(sp)
		}
	}
	return l, int64(len(arena)), nil
}

type decoder struct {
	buf []byte
	err error
	// arenaLeft is how many more bytes the decoded paths and links may
	// take: prefix coding lets a few payload bytes stand for a long path
	// (a path of 1 MiB, then a million entries sharing all of it, is 8
	// MB of payload and a TB of paths).
	arenaLeft int64
}

// grow takes n bytes of the arena's bound; past it, the decode fails
// with ErrTooBig.
func (d *decoder) grow(n int) bool {
	if d.err != nil {
		return false
	}
	if int64(n) > d.arenaLeft {
		d.err, d.buf = ErrTooBig, nil
		return false
	}
	d.arenaLeft -= int64(n)
	return true
}

// span locates a decoded string in the arena.
type span struct{ off, end int }

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.buf = nil
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

// varint reads a zig-zag varint, as binary.Varint decodes one: a uvarint
// whose low bit is the sign.
func (d *decoder) varint() int64 {
	ux := d.uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

func (d *decoder) uint32() uint32 {
	v := d.uvarint()
	if v > math.MaxUint32 {
		d.fail()
		return 0
	}
	return uint32(v)
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.buf) == 0 {
		d.fail()
		return 0
	}
	b := d.buf[0]
	d.buf = d.buf[1:]
	return b
}

func (d *decoder) take(n int) []byte {
	b := d.buf[:n:n]
	d.buf = d.buf[n:]
	return b
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.buf)) {
		d.fail()
		return nil
	}
	return d.take(int(n))
}

// count reads a count+1 field. It returns -1 for nil. minSize is the least
// number of bytes each element takes, so a hostile count cannot make us
// allocate more than the payload could describe.
func (d *decoder) count(minSize int) (int, bool) {
	v := d.uvarint()
	if d.err != nil {
		return 0, false
	}
	if v == 0 {
		return -1, true
	}
	n := v - 1
	if n > uint64(len(d.buf)/minSize) {
		d.fail()
		return 0, false
	}
	return int(n), true
}

// path reads a prefix-coded path into the arena and returns its span.
func (d *decoder) path(arena []byte, prev span) ([]byte, span) {
	shared := d.uvarint()
	rest := d.bytes()
	if d.err != nil {
		return arena, prev
	}
	if shared > uint64(prev.end-prev.off) {
		d.fail()
		return arena, prev
	}
	if !d.grow(int(shared) + len(rest)) {
		return arena, prev
	}
	off := len(arena)
	arena = append(arena, arena[prev.off:prev.off+int(shared)]...)
	arena = append(arena, rest...)
	return arena, span{off, len(arena)}
}

// Encode returns the payload form of l.
func Encode(l *index.Layer) []byte { return encodeLayer(l) }

// Decode parses a payload Encode wrote. It never trusts a count or a
// length, and refuses trailing bytes and a size that is not the sum of the
// entries'; it does not check that paths are canonical. Its error is
// ErrCorrupt, or ErrTooBig when the paths and links decode to more than
// DefaultPathBytes(len(payload)).
func Decode(payload []byte) (*index.Layer, error) {
	l, _, err := decodeLayer(payload, DefaultPathBytes(len(payload)))
	return l, err
}

// DecodeLimit is Decode with the bound on the decoded paths' and links'
// bytes given (a reader of several layers shares one budget); it returns
// how many of them the layer took.
func DecodeLimit(payload []byte, maxPaths int64) (*index.Layer, int64, error) {
	return decodeLayer(payload, max(maxPaths, 0))
}

// DefaultPathBytes bounds the decoded paths and links of a payload of n
// bytes: 16 times the payload, at least 64 MiB and at most 2 GiB (ten
// million paths of 200 bytes). Real layers' prefix coding shrinks paths 2
// to 5 times (tar paths come in directory order, each sharing its
// directory with the one before). A cache or fleet store entry's payload
// may be 1 GiB, which a few MB of zstd can claim: without the cap, 16 GiB.
func DefaultPathBytes(n int) int64 { return min(max(int64(n)*16, 64<<20), 2<<30) }

// ErrCorrupt is the error of a payload or header that is not what was
// written.
var ErrCorrupt = errCorrupt

// ErrTooBig is the error of a payload whose paths decode to more bytes
// than the bound allows.
var ErrTooBig = errors.New("the index's paths decode to more bytes than allowed (prefix coding claiming huge shared paths)")

// Fields reads the uvarint and length-prefixed fields of a header written
// with binary.AppendUvarint (the cache's entry header), with the checks
// Decode makes.
type Fields struct{ d decoder }

// NewFields reads fields from b.
func NewFields(b []byte) *Fields { return &Fields{decoder{buf: b}} }

// Uvarint reads one uvarint.
func (f *Fields) Uvarint() uint64 { return f.d.uvarint() }

// Bytes reads a uvarint length and that many bytes.
func (f *Fields) Bytes() []byte { return f.d.bytes() }

// Varint reads one varint.
func (f *Fields) Varint() int64 { return f.d.varint() }

// Entries reads, from the head of a payload, how many entries it claims
// (-1 for none), without decoding them: for a reader to refuse a count
// before it allocates for it.
func Entries(payload []byte) (int, error) {
	f := NewFields(payload)
	f.Bytes()  // diffID
	f.Varint() // size
	n := f.Uvarint()
	if f.Err() != nil || n > uint64(len(payload)) {
		return 0, ErrCorrupt
	}
	return int(n) - 1, nil
}

// Rest is what has not been read.
func (f *Fields) Rest() []byte { return f.d.buf }

// Err is ErrCorrupt once a read has failed.
func (f *Fields) Err() error { return f.d.err }
