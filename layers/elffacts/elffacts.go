// Package elffacts owns reading what an ELF file needs from the system that
// runs it (its PT_INTERP program header and the DT_NEEDED entries of its
// dynamic section) from a forward-only stream of the file's bytes, as a
// layer walk sees a tar entry's body: one pass, memory bounded whatever
// the file claims, and an error (never a panic) for a crafted file.
//
// debug/elf needs an io.ReaderAt over the whole file and reads the section
// headers, which sit at the end; a walk has a stream and must not keep a
// binary's bytes. The dynamic section usually comes after the code, and
// the string table its DT_NEEDED entries point into before it, so the
// reader remembers, as the bytes pass, only the NUL-terminated strings
// that contain ".so" (every soname does) with their file offsets, and
// resolves DT_NEEDED against them once the dynamic section has passed.
// Names must be printable ASCII without spaces (every real one is).
// A name it cannot resolve that way is an error: the caller then knows
// nothing of the file, which is the safe answer.
package elffacts

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/imgdiff/imgdiff/layers/index"
)

// Bounds: whatever a file claims, Read keeps at most about headLimit +
// maxDynamic + maxInterp + maxCandidates*maxName bytes (~2.3 MB) and
// reads at most MaxScan bytes of it.
const (
	// headLimit: the program headers must lie in the first 64 KiB
	// (linkers put them right after the 52- or 64-byte ELF header).
	headLimit = 64 << 10
	maxInterp = 4096
	// maxDynamic holds 4096 64-bit dynamic entries; real ones have < 100.
	maxDynamic = 64 << 10
	// maxName is the longest soname remembered.
	maxName       = 255
	maxCandidates = 8192
	maxNeeded     = 1024
	chunkSize     = 64 << 10
)

// MaxScan is how many bytes of a file Read reads at most: the facts of a
// file whose dynamic section or needed names lie beyond are not read.
const MaxScan = 256 << 20

// ErrNotELF is returned for a file that does not start with "\x7fELF".
var ErrNotELF = errors.New("not an ELF file")

// errPanic wraps the error of a read that panicked: the fuzz target fails
// on it.
var errPanic = errors.New("elf: internal error")

// Reader reads ELF facts. Its buffers are reused from one file to the
// next; it is not safe for concurrent use. The zero value is ready.
type Reader struct {
	head, chunk, win []byte
}

type segment struct {
	off, vaddr, filesz uint64
}

type candidate struct {
	start int64
	s     string
}

// state is one file's reading.
type state struct {
	order      binary.ByteOrder
	class      elf.Class
	loads      []segment
	interp     *segment
	dynamic    *segment
	interpBuf  []byte
	dynBuf     []byte
	dynParsed  bool
	neededOffs []int64 // file offsets of the DT_NEEDED names
	target     int64   // the stream must pass this offset before resolving
	cands      []candidate
	overflow   bool
	last       int64 // start of the last candidate recorded
	carry      []byte
}

// Read reads the facts of the ELF file body streams, reading no further
// than it needs (a static binary: its first 64 KiB). It returns ErrNotELF
// for a file that is no ELF, and an error for one whose headers it cannot
// read within its bounds.
func (r *Reader) Read(body io.Reader) (facts index.ELF, err error) {
	defer func() {
		// Nothing below should panic (every offset is checked); a bug
		// on a crafted file must still cost only that file's facts.
		if p := recover(); p != nil {
			facts, err = index.ELF{}, fmt.Errorf("%w: %v", errPanic, p)
		}
	}()
	if r.head == nil {
		r.head = make([]byte, headLimit)
		r.chunk = make([]byte, chunkSize)
	}
	// The magic first, so a script costs 16 bytes, not 64 KiB.
	n, err := io.ReadFull(body, r.head[:16])
	if err != nil || !bytes.Equal(r.head[:4], []byte(elf.ELFMAG)) {
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return index.ELF{}, err
		}
		return index.ELF{}, ErrNotELF
	}
	m, err := io.ReadFull(body, r.head[16:])
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return index.ELF{}, err
	}
	head := r.head[:n+m]
	s := &state{}
	if err := s.parseHeaders(head); err != nil {
		return index.ELF{}, err
	}
	if s.interp == nil && s.dynamic == nil {
		return index.ELF{}, nil // static: nothing more to read
	}
	pos := int64(0)
	eof := len(head) < headLimit
	chunk := head
	for {
		if err := s.feed(r, chunk, pos); err != nil {
			return index.ELF{}, err
		}
		pos += int64(len(chunk))
		if s.done(pos) || eof {
			break
		}
		if pos >= MaxScan {
			return index.ELF{}, fmt.Errorf("elf: headers not read within the first %d MiB", MaxScan>>20)
		}
		k, err := io.ReadFull(body, r.chunk)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				return index.ELF{}, err
			}
			eof = true
		}
		chunk = r.chunk[:k]
	}
	return s.facts()
}

// parseHeaders reads the ELF header and the program headers from head.
func (s *state) parseHeaders(head []byte) error {
	if len(head) < 52 {
		return errors.New("elf: file shorter than an ELF header")
	}
	switch elf.Data(head[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		s.order = binary.LittleEndian
	case elf.ELFDATA2MSB:
		s.order = binary.BigEndian
	default:
		return fmt.Errorf("elf: unknown data encoding %d", head[elf.EI_DATA])
	}
	s.class = elf.Class(head[elf.EI_CLASS])
	var phoff uint64
	var phentsize, phnum, minEnt uint64
	switch s.class {
	case elf.ELFCLASS32:
		phoff = uint64(s.order.Uint32(head[28:]))
		phentsize, phnum, minEnt = uint64(s.order.Uint16(head[42:])), uint64(s.order.Uint16(head[44:])), 32
	case elf.ELFCLASS64:
		if len(head) < 64 {
			return errors.New("elf: file shorter than an ELF64 header")
		}
		phoff = s.order.Uint64(head[32:])
		phentsize, phnum, minEnt = uint64(s.order.Uint16(head[54:])), uint64(s.order.Uint16(head[56:])), 56
	default:
		return fmt.Errorf("elf: unknown class %d", head[elf.EI_CLASS])
	}
	if phnum == 0 {
		return nil // no program headers: nothing to load, nothing needed
	}
	if phnum == 0xffff {
		return errors.New("elf: extended program header count (PN_XNUM) not supported")
	}
	if phentsize < minEnt {
		return fmt.Errorf("elf: program header size %d < %d", phentsize, minEnt)
	}
	// phnum, phentsize < 2^16: the product cannot overflow.
	if phoff > uint64(len(head)) || phnum*phentsize > uint64(len(head))-phoff {
		return fmt.Errorf("elf: program headers beyond the first %d KiB (or the file)", headLimit>>10)
	}
	for i := range phnum {
		p := head[phoff+i*phentsize:]
		var typ uint32
		var seg segment
		if s.class == elf.ELFCLASS32 {
			typ = s.order.Uint32(p[0:])
			seg = segment{off: uint64(s.order.Uint32(p[4:])), vaddr: uint64(s.order.Uint32(p[8:])), filesz: uint64(s.order.Uint32(p[16:]))}
		} else {
			typ = s.order.Uint32(p[0:])
			seg = segment{off: s.order.Uint64(p[8:]), vaddr: s.order.Uint64(p[16:]), filesz: s.order.Uint64(p[32:])}
		}
		if seg.off > math.MaxInt64/2 || seg.filesz > math.MaxInt64/2 {
			return fmt.Errorf("elf: program header %d: offset or size out of range", i)
		}
		switch elf.ProgType(typ) {
		case elf.PT_LOAD:
			s.loads = append(s.loads, seg)
		case elf.PT_INTERP:
			if s.interp != nil {
				return errors.New("elf: two PT_INTERP headers")
			}
			if seg.filesz == 0 || seg.filesz > maxInterp {
				return fmt.Errorf("elf: PT_INTERP of %d bytes", seg.filesz)
			}
			s.interp = &seg
			s.interpBuf = make([]byte, 0, seg.filesz)
		case elf.PT_DYNAMIC:
			if s.dynamic != nil {
				return errors.New("elf: two PT_DYNAMIC headers")
			}
			if seg.filesz > maxDynamic {
				return fmt.Errorf("elf: dynamic section of %d bytes (at most %d read)", seg.filesz, maxDynamic)
			}
			s.dynamic = &seg
			s.dynBuf = make([]byte, 0, seg.filesz)
		}
	}
	return nil
}

// feed takes the file's bytes chunk, which start at file offset start.
func (s *state) feed(r *Reader, chunk []byte, start int64) error {
	end := start + int64(len(chunk))
	grab := func(seg *segment, buf []byte) []byte {
		if seg == nil {
			return buf
		}
		// The next byte buf needs is at seg.off+len(buf).
		want := int64(seg.off) + int64(len(buf))
		stop := int64(seg.off + seg.filesz)
		if want >= stop || want >= end || stop <= start || want < start {
			return buf
		}
		return append(buf, chunk[want-start:min(stop, end)-start]...)
	}
	s.interpBuf = grab(s.interp, s.interpBuf)
	s.dynBuf = grab(s.dynamic, s.dynBuf)
	if s.dynamic != nil && !s.dynParsed && uint64(len(s.dynBuf)) == s.dynamic.filesz {
		if err := s.parseDynamic(); err != nil {
			return err
		}
	}
	if s.dynamic != nil {
		s.scan(r, chunk, start)
	}
	return nil
}

// scan remembers the NUL-terminated strings containing ".so" that chunk
// (at file offset start) completes, with their offsets.
func (s *state) scan(r *Reader, chunk []byte, start int64) {
	if s.overflow {
		return
	}
	w := append(append(r.win[:0], s.carry...), chunk...)
	r.win = w
	wstart := start - int64(len(s.carry))
	for i := 0; ; {
		j := bytes.Index(w[i:], []byte(".so"))
		if j < 0 {
			break
		}
		j += i
		e := bytes.IndexByte(w[j:], 0)
		if e < 0 {
			break // the string ends in the next chunk: the carry keeps it
		}
		e += j
		i = e + 1
		lo := max(0, j-maxName)
		b := bytes.LastIndexByte(w[lo:j], 0)
		switch {
		case b >= 0:
			b += lo + 1
		case wstart+int64(lo) == 0:
			b = 0
		default:
			continue // longer than any soname remembered
		}
		if e-b > maxName || wstart+int64(b) <= s.last {
			continue
		}
		if len(s.cands) == maxCandidates {
			s.overflow = true
			return
		}
		s.last = wstart + int64(b)
		s.cands = append(s.cands, candidate{start: s.last, s: string(w[b:e])})
	}
	// A soname that the next chunk completes starts in the last
	// 2*maxName+1 bytes.
	keep := min(len(w), 2*maxName+2)
	s.carry = append(s.carry[:0], w[len(w)-keep:]...)
}

// parseDynamic reads DT_STRTAB, DT_STRSZ and the DT_NEEDED offsets.
func (s *state) parseDynamic() error {
	s.dynParsed = true
	ent := 16
	if s.class == elf.ELFCLASS32 {
		ent = 8
	}
	var strtab, strsz uint64
	haveStrtab, haveStrsz := false, false
	var needed []uint64
	for p := s.dynBuf; len(p) >= ent; p = p[ent:] {
		var tag int64
		var val uint64
		if ent == 8 {
			tag, val = int64(int32(s.order.Uint32(p))), uint64(s.order.Uint32(p[4:]))
		} else {
			tag, val = int64(s.order.Uint64(p)), s.order.Uint64(p[8:])
		}
		if elf.DynTag(tag) == elf.DT_NULL {
			break
		}
		switch elf.DynTag(tag) {
		case elf.DT_NEEDED:
			if len(needed) == maxNeeded {
				return fmt.Errorf("elf: more than %d DT_NEEDED entries", maxNeeded)
			}
			needed = append(needed, val)
		case elf.DT_STRTAB:
			strtab, haveStrtab = val, true
		case elf.DT_STRSZ:
			strsz, haveStrsz = val, true
		}
	}
	if len(needed) == 0 {
		return nil
	}
	if !haveStrtab {
		return errors.New("elf: DT_NEEDED without DT_STRTAB")
	}
	off, ok := s.fileOffset(strtab)
	if !ok {
		return fmt.Errorf("elf: DT_STRTAB %#x is in no loaded segment", strtab)
	}
	for _, n := range needed {
		if haveStrsz && n >= strsz || n > math.MaxInt64/4 {
			return fmt.Errorf("elf: DT_NEEDED offset %d beyond the string table", n)
		}
		o := int64(off) + int64(n)
		s.neededOffs = append(s.neededOffs, o)
		s.target = max(s.target, o+maxName+1)
	}
	return nil
}

// fileOffset maps a virtual address to a file offset through PT_LOAD.
func (s *state) fileOffset(v uint64) (uint64, bool) {
	for _, l := range s.loads {
		if v >= l.vaddr && v-l.vaddr < l.filesz {
			return l.off + (v - l.vaddr), true
		}
	}
	return 0, false
}

// done reports whether the stream, read up to pos, holds all it must.
func (s *state) done(pos int64) bool {
	if s.interp != nil && uint64(len(s.interpBuf)) < s.interp.filesz {
		return false
	}
	if s.dynamic == nil {
		return true
	}
	return s.dynParsed && pos >= s.target
}

func (s *state) facts() (index.ELF, error) {
	var out index.ELF
	if s.interp != nil {
		if uint64(len(s.interpBuf)) < s.interp.filesz {
			return index.ELF{}, errors.New("elf: file ends inside PT_INTERP")
		}
		b, _, _ := bytes.Cut(s.interpBuf, []byte{0})
		if len(b) == 0 {
			return index.ELF{}, errors.New("elf: empty PT_INTERP")
		}
		if !printable(string(b)) {
			return index.ELF{}, errors.New("elf: PT_INTERP is no printable path")
		}
		out.Interp = string(b)
	}
	if s.dynamic == nil {
		return out, nil
	}
	if !s.dynParsed {
		return index.ELF{}, errors.New("elf: file ends inside the dynamic section")
	}
	for _, o := range s.neededOffs {
		name, ok := s.lookup(o)
		if !ok {
			return index.ELF{}, fmt.Errorf("elf: DT_NEEDED name at offset %d not read (no soname there, or too many strings)", o)
		}
		if !printable(name) {
			return index.ELF{}, fmt.Errorf("elf: DT_NEEDED name %q is not printable", name)
		}
		out.Needed = append(out.Needed, name)
	}
	return out, nil
}

// printable reports whether s is printable ASCII without spaces, as every
// real soname and loader path is: a name from a hostile file can then
// never break a line of what it is written into.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// lookup is the NUL-terminated string at file offset o, when a remembered
// candidate holds it (o may point into a candidate: linkers share tails).
func (s *state) lookup(o int64) (string, bool) {
	lo, hi := 0, len(s.cands)
	for lo < hi { // first candidate starting after o
		m := (lo + hi) / 2
		if s.cands[m].start <= o {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return "", false
	}
	c := s.cands[lo-1]
	if o >= c.start+int64(len(c.s)) {
		return "", false
	}
	name := c.s[o-c.start:]
	return name, name != ""
}
