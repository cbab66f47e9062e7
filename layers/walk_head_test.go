package layers

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/imgdiff/imgdiff/layers/index"
)

// The walk keeps the first index.HeadSize bytes of the files its Head
// option selects, whatever their size (the whole body of a smaller one),
// on every reader; a file Capture selects is kept whole; the ELF reader
// reads on past a head; the entries after a head are read as usual.
func TestWalkHead(t *testing.T) {
	// An ELF whose PT_INTERP string lies past the head: its facts need
	// the bytes after it.
	interp := "/lib64/ld-linux-x86-64.so.2"
	big := tinyELF(interp)[:64+56]
	binary.LittleEndian.PutUint64(big[64+8:], 2000) // p_offset
	big = append(big, bytes.Repeat([]byte{0xAB}, 2000-len(big))...)
	big = append(append(append(big, interp...), 0), bytes.Repeat([]byte{0xCD}, 3000)...)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name string, mode int64, body []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(body)
	}
	add("app/big.o", 0o755, big)
	add("app/small.o", 0o644, []byte("tiny"))
	add("app/whole.o.cap", 0o644, bytes.Repeat([]byte("w"), 2000)) // Capture wins
	add("app/main.c", 0o644, []byte("int main(){}"))               // not selected
	add("app/after.cap", 0o644, []byte("read after the heads"))
	tw.Close()
	data := buf.Bytes()

	opts := captureAll
	opts.Head = func(p string, _ int64) int { return headIf(strings.Contains(p, ".o")) }
	opts.ELF = func(p string, mode uint32, _ int64) bool { return mode&0o111 != 0 }
	want := map[string][]byte{
		"app/big.o":       big[:index.HeadSize],
		"app/small.o":     []byte("tiny"),
		"app/whole.o.cap": bytes.Repeat([]byte("w"), 2000),
		"app/after.cap":   []byte("read after the heads"),
	}
	for name, read := range map[string]func() (*index.Layer, error){
		"archive/tar": func() (*index.Layer, error) { return refIndex(data, opts) },
		"seeking":     func() (*index.Layer, error) { return fastIndex(data, true, opts) },
		"streaming":   func() (*index.Layer, error) { return fastIndex(data, false, opts) },
	} {
		l, err := read()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d := cmp.Diff(want, l.Contents); d != "" {
			t.Errorf("%s: contents (-want +got):\n%s", name, d)
		}
		if d := cmp.Diff(map[string]index.ELF{"app/big.o": {Interp: "/lib64/ld-linux-x86-64.so.2"}}, l.ELF); d != "" {
			t.Errorf("%s: ELF facts past a head (-want +got):\n%s", name, d)
		}
		if len(l.Entries) != 5 || l.Size != int64(len(big)+4+2000+12+20) {
			t.Errorf("%s: %d entries, size %d", name, len(l.Entries), l.Size)
		}
	}
}

// A layer of many files Head selects keeps heads up to maxHeadBytes and
// no more: the files past it get none (never flagged from them), and
// the walk goes on.
func TestWalkHeadCap(t *testing.T) {
	old := maxHeadBytes
	defer func() { maxHeadBytes = old }()
	maxHeadBytes = 3 * int64(index.HeadSize+len("x/00.o"))
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i := range 10 {
		body := bytes.Repeat([]byte{byte(i)}, 1000)
		if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("x/%02d.o", i), Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(body)
	}
	tw.Close()
	opts := WalkOptions{Head: func(string, int64) int { return index.HeadSize }}
	l, err := fastIndex(buf.Bytes(), false, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Contents) != 3 || len(l.Entries) != 10 {
		t.Errorf("%d heads of %d entries, want 3 of 10", len(l.Contents), len(l.Entries))
	}
	for p, b := range l.Contents {
		if len(b) != index.HeadSize {
			t.Errorf("%s: head of %d bytes", p, len(b))
		}
	}
}

// A later entry of the same name replaces the earlier one, as extraction
// does; so does what the walk kept of its body. An ELF object's head
// (or a captured body) left behind would let a symlink or a device that
// replaced it be judged by bytes it does not have.
func TestWalkRepeatedNameDropsStaleBody(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	reg := func(name string, body []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(body)
	}
	reg("app/x.o", []byte("\x7fELF relocatable"))
	if err := tw.WriteHeader(&tar.Header{Name: "app/x.o", Linkname: "/etc/passwd", Typeflag: tar.TypeSymlink}); err != nil {
		t.Fatal(err)
	}
	reg("app/y.cap", []byte("captured"))
	if err := tw.WriteHeader(&tar.Header{Name: "app/y.cap", Typeflag: tar.TypeFifo}); err != nil {
		t.Fatal(err)
	}
	reg("app/z.o", []byte("first"))
	reg("app/z.o", []byte("second"))
	tw.Close()
	data := buf.Bytes()

	opts := captureAll
	opts.Head = func(p string, _ int64) int { return headIf(strings.HasSuffix(p, ".o")) }
	want := map[string][]byte{"app/z.o": []byte("second")}
	for name, read := range map[string]func() (*index.Layer, error){
		"archive/tar": func() (*index.Layer, error) { return refIndex(data, opts) },
		"seeking":     func() (*index.Layer, error) { return fastIndex(data, true, opts) },
		"streaming":   func() (*index.Layer, error) { return fastIndex(data, false, opts) },
	} {
		l, err := read()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d := cmp.Diff(want, l.Contents); d != "" {
			t.Errorf("%s: contents (-want +got):\n%s", name, d)
		}
	}
}

// headIf is a Head answer: all index.HeadSize bytes, or none.
func headIf(ok bool) int {
	if ok {
		return index.HeadSize
	}
	return 0
}
