package elffacts

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"testing/iotest"

	"github.com/imgdiff/imgdiff/layers/elffacts/elffactstest"
	"github.com/imgdiff/imgdiff/layers/index"
)

// reference is what debug/elf, reading the whole file, says: the
// PT_INTERP program's bytes up to the NUL, and ImportedLibraries.
func reference(t *testing.T, path string) index.ELF {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return elffactstest.Reference(t, f)
}

// binaries builds the test's ELF files with the host's toolchains: a
// static Go binary, a cgo one, a C one; and adds ELF files of the host
// (the go command, ls, libc) when they exist.
func binaries(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	out := map[string]string{}
	goSrc := filepath.Join(dir, "main.go")
	if err := os.WriteFile(goSrc, []byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hi\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cgoSrc := filepath.Join(dir, "cgo", "main.go")
	os.MkdirAll(filepath.Dir(cgoSrc), 0o755)
	if err := os.WriteFile(cgoSrc, []byte("package main\n\n// #include <math.h>\n// #cgo LDFLAGS: -lm\nimport \"C\"\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(C.sqrt(2)) }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// go test puts its own go command first on PATH.
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	build := func(name, env string, args ...string) {
		cmd := exec.Command(gobin, append([]string{"build", "-o", filepath.Join(dir, name)}, args...)...)
		cmd.Dir = filepath.Dir(args[len(args)-1])
		cmd.Env = append(os.Environ(), env, "GOFLAGS=-mod=mod", "GO111MODULE=off")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", name, err, b)
		}
		out[name] = filepath.Join(dir, name)
	}
	build("go-static", "CGO_ENABLED=0", goSrc)
	if _, err := exec.LookPath("gcc"); err == nil {
		build("go-cgo", "CGO_ENABLED=1", cgoSrc)
		cSrc := filepath.Join(dir, "main.c")
		os.WriteFile(cSrc, []byte("#include <stdio.h>\n#include <zlib.h>\nint main(void){puts(zlibVersion());return 0;}\n"), 0o644)
		for name, args := range map[string][]string{
			"c-dynamic": {"-O2", "-o", filepath.Join(dir, "c-dynamic"), cSrc, "-lz"},
			"c-static":  {"-static", "-o", filepath.Join(dir, "c-static"), cSrc, "-lz"},
			"c-pie-m":   {"-pie", "-fPIE", "-o", filepath.Join(dir, "c-pie-m"), cSrc, "-lz", "-lm"},
		} {
			if b, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
				t.Logf("gcc %s (skipped): %v\n%s", name, err, b)
				continue
			}
			out[name] = filepath.Join(dir, name)
		}
	} else {
		t.Log("no gcc on the host: cgo and C binaries not built")
	}
	for _, p := range []string{gobin, "/bin/ls", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libc.so.6"} {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			out[filepath.Base(p)] = r
		}
	}
	return out
}

// Every binary, read as a stream (one byte at a time too, and in odd
// chunks), has the facts debug/elf reads from the whole file.
func TestAgainstDebugELF(t *testing.T) {
	bins := binaries(t)
	for name, path := range bins {
		t.Run(name, func(t *testing.T) {
			want := reference(t, path)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var r Reader
			for _, body := range []struct {
				name string
				r    io.Reader
			}{
				{"whole", bytes.NewReader(data)},
				{"halves", iotest.HalfReader(bytes.NewReader(data))},
			} {
				got, err := r.Read(body.r)
				if err != nil {
					t.Fatalf("%s: %v", body.name, err)
				}
				if got.Interp != want.Interp || !slices.Equal(got.Needed, want.Needed) {
					t.Errorf("%s: got %+v, debug/elf says %+v", body.name, got, want)
				}
			}
			if name == "go-static" || name == "c-static" {
				if want.Interp != "" || len(want.Needed) != 0 {
					t.Errorf("%s is not static: %+v", name, want)
				}
			}
			if name == "c-dynamic" && !slices.Contains(want.Needed, "libz.so.1") {
				t.Errorf("c-dynamic needs %v, not libz.so.1", want.Needed)
			}
		})
	}
	if _, ok := bins["go-static"]; !ok {
		t.Fatal("no static Go binary built")
	}
}

// A static binary costs its first 64 KiB, a script its first 16 bytes.
func TestReadsOnlyWhatItNeeds(t *testing.T) {
	bins := binaries(t)
	data, err := os.ReadFile(bins["go-static"])
	if err != nil {
		t.Fatal(err)
	}
	br := bytes.NewReader(data)
	var r Reader
	if got, err := r.Read(br); err != nil || got.Interp != "" || got.Needed != nil {
		t.Fatalf("%+v, %v", got, err)
	}
	if read := int64(len(data)) - int64(br.Len()); read != headLimit {
		t.Errorf("read %d bytes of a static binary, want %d", read, headLimit)
	}
	sr := bytes.NewReader([]byte("#!/bin/sh\nexec gcc \"$@\"\n" + string(make([]byte, 100000))))
	if _, err := r.Read(sr); !errors.Is(err, ErrNotELF) {
		t.Errorf("script: %v", err)
	}
	if sr.Len() != 100000+24-16 {
		t.Errorf("a script: %d bytes left", sr.Len())
	}
}

// Hand-made ELF64 headers: what is wrong is an error naming it, never a
// panic or a huge allocation.
func TestMalformed(t *testing.T) {
	hdr := func(phoff uint64, phentsize, phnum uint16) []byte {
		b := make([]byte, 64)
		copy(b, "\x7fELF\x02\x01\x01")
		le := func(off int, v uint64, n int) {
			for i := range n {
				b[off+i] = byte(v >> (8 * i))
			}
		}
		le(32, phoff, 8)
		le(54, uint64(phentsize), 2)
		le(56, uint64(phnum), 2)
		return b
	}
	prog := func(typ uint32, off, vaddr, filesz uint64) []byte {
		b := make([]byte, 56)
		for i := range 4 {
			b[i] = byte(typ >> (8 * i))
		}
		for i := range 8 {
			b[8+i], b[16+i], b[32+i] = byte(off>>(8*i)), byte(vaddr>>(8*i)), byte(filesz>>(8*i))
		}
		return b
	}
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	for name, data := range map[string][]byte{
		"short":             []byte("\x7fELF\x02\x01"),
		"bad class":         append([]byte("\x7fELF\x07\x01"), make([]byte, 60)...),
		"phoff past head":   hdr(1<<40, 56, 1),
		"phnum past head":   hdr(64, 56, 2000),
		"small phentsize":   hdr(64, 8, 1),
		"xnum":              hdr(64, 56, 0xffff),
		"huge interp":       cat(hdr(64, 56, 1), prog(uint32(elf.PT_INTERP), 120, 0, 1<<62)),
		"huge dynamic":      cat(hdr(64, 56, 1), prog(uint32(elf.PT_DYNAMIC), 120, 0, 1<<30)),
		"interp past end":   cat(hdr(64, 56, 1), prog(uint32(elf.PT_INTERP), 1<<20, 0, 20)),
		"empty interp":      cat(hdr(64, 56, 1), prog(uint32(elf.PT_INTERP), 120, 0, 4), make([]byte, 8)),
		"two interps":       cat(hdr(64, 56, 2), prog(uint32(elf.PT_INTERP), 176, 0, 4), prog(uint32(elf.PT_INTERP), 176, 0, 4), []byte("/a\x00\x00")),
		"needed no strtab":  cat(hdr(64, 56, 1), prog(uint32(elf.PT_DYNAMIC), 120, 0, 32), []byte{1, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0}, make([]byte, 16)),
		"strtab unmapped":   cat(hdr(64, 56, 1), prog(uint32(elf.PT_DYNAMIC), 120, 0, 32), []byte{1, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0}, []byte{5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}),
		"needed past end":   cat(hdr(64, 56, 2), prog(uint32(elf.PT_LOAD), 0, 0, 1<<20), prog(uint32(elf.PT_DYNAMIC), 176, 176, 32), []byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0, 0}, []byte{5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
		"dynamic truncated": cat(hdr(64, 56, 1), prog(uint32(elf.PT_DYNAMIC), 120, 0, 64), make([]byte, 10)),
	} {
		var r Reader
		got, err := r.Read(bytes.NewReader(data))
		if err == nil || errors.Is(err, errPanic) {
			t.Errorf("%s: %+v, %v", name, got, err)
		}
	}
}

// A hand-made ELF whose needed name shares the tail of a longer string,
// as linkers lay out string tables, and whose string table comes after
// the dynamic section: both resolved.
func TestTailAndLateStrtab(t *testing.T) {
	b := make([]byte, 64)
	copy(b, "\x7fELF\x02\x01\x01")
	b[32], b[54], b[56] = 64, 56, 2
	put := func(off int, v uint64) {
		for i := range 8 {
			b[off+i] = byte(v >> (8 * i))
		}
	}
	b = append(b, make([]byte, 112)...)
	// PT_LOAD covering the file 1:1, PT_DYNAMIC at 200.
	b[64] = byte(elf.PT_LOAD)
	put(64+32, 1<<20)
	b[120] = byte(elf.PT_DYNAMIC)
	put(120+8, 200)
	put(120+16, 200)
	put(120+32, 48)
	b = append(b, make([]byte, 200-len(b))...)
	// dynamic: NEEDED 1, NEEDED 6, STRTAB 100000, NULL
	dyn := make([]byte, 48)
	dyn[0] = 1
	putAt := func(p []byte, off int, v uint64) {
		for i := range 8 {
			p[off+i] = byte(v >> (8 * i))
		}
	}
	putAt(dyn, 8, 1)
	dyn[16] = 1
	putAt(dyn, 24, 2)
	dyn[32] = 5
	putAt(dyn, 40, 200000)
	b = append(b, dyn...)
	b = append(b, make([]byte, 200000-len(b))...)
	b = append(b, "\x00xlibz.so.1\x00"...)
	b = append(b, make([]byte, 70000)...)
	var r Reader
	got, err := r.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"xlibz.so.1", "libz.so.1"}; !slices.Equal(got.Needed, want) || got.Interp != "" {
		t.Errorf("got %+v, want needed %v", got, want)
	}
}

// FuzzELFFacts: no input makes Read panic, allocate without bound, or
// return facts beyond its bounds.
func FuzzELFFacts(f *testing.F) {
	// Small seeds: the mutator crawls on a real binary's 40 kB.
	f.Add(miniELF(binary.LittleEndian))
	f.Add(miniELF(binary.BigEndian))
	f.Add([]byte("\x7fELF\x02\x01\x01"))
	f.Add([]byte("#!/bin/sh\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Reader
		got, err := r.Read(bytes.NewReader(data))
		if errors.Is(err, errPanic) {
			t.Fatal(err)
		}
		if err == nil {
			if len(got.Needed) > maxNeeded || len(got.Interp) > maxInterp {
				t.Fatalf("facts beyond bounds: %d needed, interp %d bytes", len(got.Needed), len(got.Interp))
			}
			if !printable(got.Interp) {
				t.Fatalf("interp %q", got.Interp)
			}
			for _, n := range got.Needed {
				if n == "" || len(n) > maxName || !printable(n) {
					t.Fatalf("needed %q", n)
				}
			}
		}
	})
}

// miniELF is a 64-bit ELF of a few hundred bytes with PT_LOAD (the whole
// file at address 0x1000), PT_INTERP and PT_DYNAMIC, whose DT_NEEDED
// names libz.so.1 and libc.so.6 from the string table after the dynamic
// section.
func miniELF(order binary.ByteOrder) []byte {
	return elffactstest.Dynamic(order, "libz.so.1", "libc.so.6")
}

// The fuzz seeds read as built, in both byte orders.
func TestMiniELF(t *testing.T) {
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		var r Reader
		got, err := r.Read(bytes.NewReader(miniELF(order)))
		if err != nil || got.Interp != "/lib64/ld-linux-x86-64.so.2" || !slices.Equal(got.Needed, []string{"libz.so.1", "libc.so.6"}) {
			t.Errorf("%v: %+v, %v", order, got, err)
		}
	}
}
