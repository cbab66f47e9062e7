package imagetest

import (
	"encoding/binary"
	"hash/fnv"
	"io"
	"strings"
)

// vocabulary is what generated content is made of: words, identifiers and
// punctuation of source code and binaries' string tables. Drawn at random,
// with some raw random bytes mixed in, it gzips about 3:1 like real
// mixed text and binaries, so compressed sizes look like real ones.
var vocabulary = func() [256]string {
	words := strings.Fields(`the of and to in is for on that with as by this be are from at or an it
		not which have has was will can all but if into data file return const static void int char
		struct unsigned long size_t uint64_t bool true false null nil func var let import export
		module require package main init error errno buffer length offset index count value key
		name path type mode flags option config version build debug release test assert expect
		describe function class public private protected interface extends implements new delete
		malloc free memcpy strlen printf fprintf stderr stdout open close read write seek stat
		lib usr bin share include local etc var opt src node_modules dist .so .h .c .js .json
		__libc_start_main GLIBC_2.34 GLIBC_2.17 _ITM_deregisterTMCloneTable __gmon_start__
		.text .data .bss .rodata .symtab .strtab .dynsym .dynstr .plt .got .eh_frame
		{ } ( ) [ ] ; , . : = == != <= >= -> => && || + - * / % ! ? < > " ' # // /* */`)
	var v [256]string
	for i := range v {
		w := words[i%len(words)]
		switch i / len(words) {
		case 0:
			v[i] = w + " "
		case 1:
			v[i] = "\n\t" + w
		default:
			v[i] = w + "_" + string(rune('a'+i%26)) + "("
		}
	}
	return v
}()

// rng is splitmix64: tiny, fast and the same on every platform.
type rng uint64

func (r *rng) next() uint64 {
	*r += 0x9e3779b97f4a7c15
	z := uint64(*r)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func seedOf(s string) rng {
	h := fnv.New64a()
	h.Write([]byte(s))
	return rng(h.Sum64())
}

// Content returns the size bytes Build writes for a file at path p that has
// no Body. Two files with the same path and size have the same content, in
// any image; a longer file starts with a shorter one's bytes.
func Content(p string, size int64) []byte {
	var b strings.Builder
	b.Grow(int(size))
	writeContent(&b, p, size)
	return []byte(b.String())
}

// writeContent writes Content(p, size) to w in 64 KiB chunks.
func writeContent(w io.Writer, p string, size int64) error {
	r := seedOf(p)
	buf := make([]byte, 0, 64<<10+64)
	for size > 0 {
		buf = buf[:0]
		for len(buf) < 64<<10 {
			x := r.next()
			for range 8 {
				t := byte(x)
				x >>= 8
				if t < 20 {
					// Raw bytes: the entropy of code, hashes, compressed data.
					buf = binary.LittleEndian.AppendUint32(buf, uint32(r.next()))
					continue
				}
				buf = append(buf, vocabulary[t]...)
			}
		}
		n := int64(len(buf))
		if n > size {
			n = size
		}
		if _, err := w.Write(buf[:n]); err != nil {
			return err
		}
		size -= n
	}
	return nil
}
