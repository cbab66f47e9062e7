// Package elffactstest holds what the tests of ELF run-time facts share
// (layers/elffacts, the walk's ELF option, cmd/pipeline's run facts):
// ELF files made by hand, and what debug/elf reads of one, the answer
// computed apart from the code under test.
package elffactstest

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"io"
	"testing"

	"github.com/imgdiff/imgdiff/layers/index"
)

// Header is the start of a 64-bit little-endian ELF file: the 64-byte
// file header and one program header of type typ, whose segment is
// filesz bytes at offset off.
func Header(typ elf.ProgType, off, filesz uint64) []byte {
	b := make([]byte, 64+56)
	copy(b, "\x7fELF\x02\x01\x01")
	le := binary.LittleEndian
	le.PutUint64(b[32:], 64) // phoff
	le.PutUint16(b[54:], 56) // phentsize
	le.PutUint16(b[56:], 1)  // phnum
	le.PutUint32(b[64:], uint32(typ))
	le.PutUint64(b[64+8:], off)
	le.PutUint64(b[64+32:], filesz)
	return b
}

// Interp is a 64-bit ELF with one program header, PT_INTERP, naming
// interp right after the headers.
func Interp(interp string) []byte {
	return append(append(Header(elf.PT_INTERP, 64+56, uint64(len(interp)+1)), interp...), 0)
}

// Dynamic is a 64-bit ELF of a few hundred bytes in byte order order
// with PT_LOAD (the whole file at address 0x1000), PT_INTERP
// (/lib64/ld-linux-x86-64.so.2) and PT_DYNAMIC, whose DT_NEEDED entries
// name needed, in order, from the string table after the dynamic section.
func Dynamic(order binary.ByteOrder, needed ...string) []byte {
	strs := "\x00"
	var offs []uint64
	for _, n := range needed {
		offs = append(offs, uint64(len(strs)))
		strs += n + "\x00"
	}
	ndyn := len(needed) + 3
	interp := "/lib64/ld-linux-x86-64.so.2\x00"
	phoff, nph := 64, 3
	interpOff := phoff + nph*56
	dynOff := interpOff + 32
	strOff := dynOff + ndyn*16
	b := make([]byte, strOff+len(strs))
	copy(b, "\x7fELF\x02")
	b[5] = 1 // ELFDATA2LSB
	if order == binary.BigEndian {
		b[5] = 2 // ELFDATA2MSB
	}
	b[6] = 1 // EV_CURRENT
	order.PutUint64(b[32:], uint64(phoff))
	order.PutUint16(b[54:], 56)
	order.PutUint16(b[56:], uint16(nph))
	ph := func(i int, typ elf.ProgType, off, size int) {
		p := b[phoff+i*56:]
		order.PutUint32(p, uint32(typ))
		order.PutUint64(p[8:], uint64(off))
		order.PutUint64(p[16:], uint64(0x1000+off))
		order.PutUint64(p[32:], uint64(size))
	}
	ph(0, elf.PT_LOAD, 0, len(b))
	ph(1, elf.PT_INTERP, interpOff, len(interp))
	ph(2, elf.PT_DYNAMIC, dynOff, ndyn*16)
	copy(b[interpOff:], interp)
	dyn := func(i int, tag elf.DynTag, val uint64) {
		order.PutUint64(b[dynOff+i*16:], uint64(tag))
		order.PutUint64(b[dynOff+i*16+8:], val)
	}
	for i, o := range offs {
		dyn(i, elf.DT_NEEDED, o)
	}
	dyn(len(needed), elf.DT_STRTAB, uint64(0x1000+strOff))
	dyn(len(needed)+1, elf.DT_STRSZ, uint64(len(strs)))
	dyn(len(needed)+2, elf.DT_NULL, 0)
	copy(b[strOff:], strs)
	return b
}

// Reference is what debug/elf, reading the whole file, says of it: the
// PT_INTERP segment's bytes up to the NUL, and ImportedLibraries (nil
// when there are none).
func Reference(t testing.TB, r io.ReaderAt) index.ELF {
	t.Helper()
	f, err := elf.NewFile(r)
	if err != nil {
		t.Fatal(err)
	}
	var out index.ELF
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				t.Fatal(err)
			}
			b, _, _ = bytes.Cut(b, []byte{0})
			out.Interp = string(b)
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	if len(libs) > 0 {
		out.Needed = libs
	}
	return out
}
