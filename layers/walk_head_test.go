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
	lt := newLayerTar(t)
	lt.file("app/big.o", 0o755, big)
	lt.file("app/small.o", 0o644, []byte("tiny"))
	lt.file("app/whole.o.cap", 0o644, bytes.Repeat([]byte("w"), 2000)) // Capture wins
	lt.file("app/main.c", 0o644, []byte("int main(){}"))               // not selected
	lt.file("app/after.cap", 0o644, []byte("read after the heads"))
	data := lt.bytes()

	opts := captureAll
	opts.Head = func(p string, _ int64) int { return headIf(strings.Contains(p, ".o")) }
	opts.ELF = func(p string, mode uint32, _ int64) bool { return mode&0o111 != 0 }
	want := map[string][]byte{
		"app/big.o":       big[:index.HeadSize],
		"app/small.o":     []byte("tiny"),
		"app/whole.o.cap": bytes.Repeat([]byte("w"), 2000),
		"app/after.cap":   []byte("read after the heads"),
	}
	eachReader(t, data, opts, func(name string, l *index.Layer) {
		if d := cmp.Diff(want, l.Contents); d != "" {
			t.Errorf("%s: contents (-want +got):\n%s", name, d)
		}
		if d := cmp.Diff(map[string]index.ELF{"app/big.o": {Interp: "/lib64/ld-linux-x86-64.so.2"}}, l.ELF); d != "" {
			t.Errorf("%s: ELF facts past a head (-want +got):\n%s", name, d)
		}
		if len(l.Entries) != 5 || l.Size != int64(len(big)+4+2000+12+20) {
			t.Errorf("%s: %d entries, size %d", name, len(l.Entries), l.Size)
		}
	})
}

// A layer of many files Head selects keeps heads up to maxHeadBytes and
// no more: the files past it get none (never flagged from them), and
// the walk goes on.
func TestWalkHeadCap(t *testing.T) {
	old := maxHeadBytes
	defer func() { maxHeadBytes = old }()
	maxHeadBytes = 3 * int64(index.HeadSize+len("x/00.o"))
	lt := newLayerTar(t)
	for i := range 10 {
		lt.file(fmt.Sprintf("x/%02d.o", i), 0o644, bytes.Repeat([]byte{byte(i)}, 1000))
	}
	opts := WalkOptions{Head: func(string, int64) int { return index.HeadSize }}
	l, err := fastIndex(lt.bytes(), false, opts)
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
	lt := newLayerTar(t)
	lt.file("app/x.o", 0o644, []byte("\x7fELF relocatable"))
	lt.entry(&tar.Header{Name: "app/x.o", Linkname: "/etc/passwd", Typeflag: tar.TypeSymlink})
	lt.file("app/y.cap", 0o644, []byte("captured"))
	lt.entry(&tar.Header{Name: "app/y.cap", Typeflag: tar.TypeFifo})
	lt.file("app/z.o", 0o644, []byte("first"))
	lt.file("app/z.o", 0o644, []byte("second"))
	data := lt.bytes()

	opts := captureAll
	opts.Head = func(p string, _ int64) int { return headIf(strings.HasSuffix(p, ".o")) }
	want := map[string][]byte{"app/z.o": []byte("second")}
	eachReader(t, data, opts, func(name string, l *index.Layer) {
		if d := cmp.Diff(want, l.Contents); d != "" {
			t.Errorf("%s: contents (-want +got):\n%s", name, d)
		}
	})
}

// headIf is a Head answer: all index.HeadSize bytes, or none.
func headIf(ok bool) int {
	if ok {
		return index.HeadSize
	}
	return 0
}
