package layers

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/imgdiff/imgdiff/layers/index"
)

// elfHead is the head of a 64-bit little-endian ELF with one program
// header, of type typ, whose segment is filesz bytes at off.
func elfHead(typ elf.ProgType, off, filesz uint64) []byte {
	b := make([]byte, 64+56)
	copy(b, "\x7fELF\x02\x01\x01")
	binary.LittleEndian.PutUint64(b[32:], 64) // phoff
	binary.LittleEndian.PutUint16(b[54:], 56) // phentsize
	binary.LittleEndian.PutUint16(b[56:], 1)  // phnum
	binary.LittleEndian.PutUint32(b[64:], uint32(typ))
	binary.LittleEndian.PutUint64(b[64+8:], off)
	binary.LittleEndian.PutUint64(b[64+32:], filesz)
	return b
}

// tinyELF is a 64-bit ELF with one program header, PT_INTERP.
func tinyELF(interp string) []byte {
	return append(append(elfHead(elf.PT_INTERP, 120, uint64(len(interp)+1)), interp...), 0)
}

// The walk reads ELF facts of the files its ELF option selects, on every
// reader (archive/tar, the fast reader seeking or streaming), from the
// stream or from a captured body; a later entry of the same name in the
// layer drops the earlier one's facts; without the option, none.
func TestWalkELFFacts(t *testing.T) {
	lt := newLayerTar(t)
	lt.file("bin/app", 0o755, tinyELF("/lib/ld-musl-x86_64.so.1"))
	lt.file("bin/run.cap", 0o755, tinyELF("/lib64/ld-linux-x86-64.so.2")) // captured too
	lt.file("bin/script", 0o755, []byte("#!/bin/sh\necho this is a long enough script to be inspected\n"))
	lt.file("bin/later", 0o755, tinyELF("/x"))
	lt.file("bin/later", 0o755, []byte("#!/bin/sh\necho now a script, not the ELF it replaced, so no facts\n"))
	lt.file("data.bin", 0o644, tinyELF("/not/selected"))
	data := lt.bytes()

	opts := captureAll
	opts.ELF = func(p string, mode uint32, _ int64) bool { return mode&0o111 != 0 }
	want := map[string]index.ELF{
		"bin/app":     {Interp: "/lib/ld-musl-x86_64.so.1"},
		"bin/run.cap": {Interp: "/lib64/ld-linux-x86-64.so.2"},
	}
	// Every reader with the option; every reader without it gives none.
	for _, c := range []struct {
		opts WalkOptions
		want map[string]index.ELF
	}{{opts, want}, {captureAll, nil}} {
		eachReader(t, data, c.opts, func(name string, l *index.Layer) {
			if c.want == nil {
				name += ", no option"
			}
			if d := cmp.Diff(c.want, l.ELF); d != "" {
				t.Errorf("%s: ELF facts (-want +got):\n%s", name, d)
			}
			if len(l.Contents["bin/run.cap"]) != len(tinyELF("/lib64/ld-linux-x86-64.so.2")) {
				t.Errorf("%s: captured body %q", name, l.Contents["bin/run.cap"])
			}
		})
	}
}

// A layer's ELF facts are capped in memory: past the cap, files get none.
func TestWalkELFFactsCap(t *testing.T) {
	lt := newLayerTar(t)
	body := tinyELF("/lib/ld-musl-x86_64.so.1")
	for i := range 100 {
		lt.file(fmt.Sprintf("bin/app%03d", i), 0o755, body)
	}
	old := maxELFFactBytes
	defer func() { maxELFFactBytes = old }()
	// Each file's facts cost 64 + 10 + 24 = 98 bytes: 10 fit in 1000.
	maxELFFactBytes = 1000
	opts := WalkOptions{ELF: func(string, uint32, int64) bool { return true }}
	l, err := fastIndex(lt.bytes(), false, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.ELF) != 10 || len(l.Entries) != 100 {
		t.Errorf("%d files with facts, %d entries; want 10, 100", len(l.ELF), len(l.Entries))
	}
	if _, ok := l.ELF["bin/app009"]; !ok {
		t.Error("the first files lost their facts")
	}
}

// zeros yields n zero bytes, cancelling after the first `after`.
type zeros struct {
	n, after, read int64
	cancel         func()
}

func (z *zeros) Read(p []byte) (int, error) {
	if z.n == 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), z.n)
	clear(p[:k])
	z.n -= k
	if z.read += k; z.read >= z.after {
		z.cancel()
	}
	return int(k), nil
}

// An interrupt while the walk reads far into a big ELF file (its dynamic
// section claimed at 250 MB) ends the walk at once, not at the next
// header.
func TestWalkELFCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const size = 300 << 20
	head := elfHead(elf.PT_DYNAMIC, 250<<20, 32)
	var hdr bytes.Buffer
	tw := tar.NewWriter(&hdr)
	tw.WriteHeader(&tar.Header{Name: "bin/big", Mode: 0o755, Size: size, Typeflag: tar.TypeReg})
	z := &zeros{n: size - int64(len(head)), after: 8 << 20, cancel: cancel}
	r := io.MultiReader(&hdr, bytes.NewReader(head), z)
	_, err := indexTar(ctx, struct{ io.Reader }{r}, WalkOptions{ELF: func(string, uint32, int64) bool { return true }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if z.read > 16<<20 {
		t.Errorf("read %d MB after the interrupt", z.read>>20)
	}
}
