package layers

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/imgdiff/imgdiff/layers/index"
)

// tinyELF is a 64-bit ELF with one program header, PT_INTERP.
func tinyELF(interp string) []byte {
	b := make([]byte, 64+56)
	copy(b, "\x7fELF\x02\x01\x01")
	binary.LittleEndian.PutUint64(b[32:], 64) // phoff
	binary.LittleEndian.PutUint16(b[54:], 56) // phentsize
	binary.LittleEndian.PutUint16(b[56:], 1)  // phnum
	binary.LittleEndian.PutUint32(b[64:], uint32(elf.PT_INTERP))
	binary.LittleEndian.PutUint64(b[64+8:], 120)
	binary.LittleEndian.PutUint64(b[64+32:], uint64(len(interp)+1))
	return append(append(b, interp...), 0)
}

// The walk reads ELF facts of the files its ELF option selects, on every
// reader (archive/tar, the fast reader seeking or streaming), from the
// stream or from a captured body; a later entry of the same name in the
// layer drops the earlier one's facts; without the option, none.
func TestWalkELFFacts(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name string, mode int64, body []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(body)
	}
	add("bin/app", 0o755, tinyELF("/lib/ld-musl-x86_64.so.1"))
	add("bin/run.cap", 0o755, tinyELF("/lib64/ld-linux-x86-64.so.2")) // captured too
	add("bin/script", 0o755, []byte("#!/bin/sh\necho this is a long enough script to be inspected\n"))
	add("bin/later", 0o755, tinyELF("/x"))
	add("bin/later", 0o755, []byte("#!/bin/sh\necho now a script, not the ELF it replaced, so no facts\n"))
	add("data.bin", 0o644, tinyELF("/not/selected"))
	tw.Close()
	data := buf.Bytes()

	opts := captureAll
	opts.ELF = func(p string, mode uint32, _ int64) bool { return mode&0o111 != 0 }
	want := map[string]index.ELF{
		"bin/app":     {Interp: "/lib/ld-musl-x86_64.so.1"},
		"bin/run.cap": {Interp: "/lib64/ld-linux-x86-64.so.2"},
	}
	for name, index := range map[string]func() (*index.Layer, error){
		"archive/tar": func() (*index.Layer, error) { return refIndex(data, opts) },
		"seeking":     func() (*index.Layer, error) { return fastIndex(data, true, opts) },
		"streaming":   func() (*index.Layer, error) { return fastIndex(data, false, opts) },
		"no option":   func() (*index.Layer, error) { return fastIndex(data, true, captureAll) },
	} {
		l, err := index()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		w := want
		if name == "no option" {
			w = nil
		}
		if d := cmp.Diff(w, l.ELF); d != "" {
			t.Errorf("%s: ELF facts (-want +got):\n%s", name, d)
		}
		if len(l.Contents["bin/run.cap"]) != len(tinyELF("/lib64/ld-linux-x86-64.so.2")) {
			t.Errorf("%s: captured body %q", name, l.Contents["bin/run.cap"])
		}
	}
}

// A layer's ELF facts are capped in memory: past the cap, files get none.
func TestWalkELFFactsCap(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	body := tinyELF("/lib/ld-musl-x86_64.so.1")
	for i := range 100 {
		tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("bin/app%03d", i), Mode: 0o755, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write(body)
	}
	tw.Close()
	old := maxELFFactBytes
	defer func() { maxELFFactBytes = old }()
	// Each file's facts cost 64 + 10 + 24 = 98 bytes: 10 fit in 1000.
	maxELFFactBytes = 1000
	opts := WalkOptions{ELF: func(string, uint32, int64) bool { return true }}
	l, err := fastIndex(buf.Bytes(), false, opts)
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
