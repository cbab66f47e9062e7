package layers

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// blockWriter writes data in blocks of random sizes from one reused buffer
// that it scribbles over after each Write returns, as a decoder reuses its
// output buffer: a reader that keeps a block after releasing it sees junk.
type blockWriter struct {
	data []byte
	seed uint64
	size int   // when set, every block is this long
	err  error // returned after the data, like a decoder's error
}

func (b *blockWriter) WriteTo(w io.Writer) (int64, error) {
	r := rand.New(rand.NewPCG(b.seed, 9))
	buf := make([]byte, 70000)
	var n int64
	for off := 0; off < len(b.data); {
		k := min(1+r.IntN(len(buf)), len(b.data)-off)
		if r.IntN(5) == 0 {
			k = min(1+r.IntN(600), len(b.data)-off) // blocks shorter than a tar header
		}
		if b.size > 0 {
			k = min(b.size, len(b.data)-off)
		}
		copy(buf, b.data[off:off+k])
		m, err := w.Write(buf[:k])
		n += int64(m)
		if err != nil {
			return n, err
		}
		for i := range buf[:k] {
			buf[i] = 0xee
		}
		off += k
	}
	return n, b.err
}

// pushSource must behave like a bufio.Reader over the same bytes for any
// mix of Peek, skip and Read, whatever the block boundaries.
func TestPushSourceMatchesBufio(t *testing.T) {
	data := make([]byte, 400_000)
	for i := range data {
		data[i] = byte(i*7 + i/251)
	}
	r := rand.New(rand.NewPCG(5, 6))
	for round := range 100 {
		want := bufSource{bufio.NewReaderSize(bytes.NewReader(data), skipBuffer)}
		got := newPushSource(&blockWriter{data: data, seed: uint64(round)}, "test")
		for op := 0; ; op++ {
			ctx := fmt.Sprintf("round %d op %d", round, op)
			var ea, eb error
			switch r.IntN(3) {
			case 0:
				n := 1 + r.IntN(512)
				a, errA := want.Peek(n)
				b, errB := got.Peek(n)
				ea, eb = errA, errB
				if errA == nil && r.IntN(2) == 0 {
					// fastTar's read512: the peeked block is used after
					// it is skipped.
					want.skip(int64(n))
					got.skip(int64(n))
				}
				if !bytes.Equal(a, b) || (errA == nil) != (errB == nil) {
					t.Fatalf("%s: peek %d: got %d bytes %v, want %d %v", ctx, n, len(b), errB, len(a), errA)
				}
			case 1:
				n := int64(r.IntN(100_000))
				if r.IntN(3) == 0 {
					n = int64(r.IntN(600))
				}
				ka, errA := want.skip(n)
				kb, errB := got.skip(n)
				ea, eb = errA, errB
				if ka != kb || (errA == nil) != (errB == nil) {
					t.Fatalf("%s: skip %d: got %d %v, want %d %v", ctx, n, kb, errB, ka, errA)
				}
			case 2:
				n := r.IntN(90_000)
				a, b := make([]byte, n), make([]byte, n)
				na, errA := io.ReadFull(want, a)
				nb, errB := io.ReadFull(got, b)
				ea, eb = errA, errB
				if na != nb || !bytes.Equal(a[:na], b[:nb]) || errA != errB {
					t.Fatalf("%s: read %d: got %d %v, want %d %v", ctx, n, nb, errB, na, errA)
				}
			}
			if ea != nil || eb != nil {
				if !errors.Is(eb, io.EOF) && !errors.Is(eb, io.ErrUnexpectedEOF) {
					t.Fatalf("%s: at the end: %v", ctx, eb)
				}
				break
			}
		}
		got.Close()
	}
}

// A block peeked and then skipped stays intact when the skip ends exactly
// at the end of the decoder's block (fastTar.read512 on 512-byte blocks).
func TestPushSourcePeekedBlockOutlivesSkip(t *testing.T) {
	data := make([]byte, 512*40)
	for i := range data {
		data[i] = byte(i / 512)
	}
	s := newPushSource(&blockWriter{data: data, size: 512}, "test")
	defer s.Close()
	for i := range 40 {
		b, err := s.Peek(512)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.skip(512); err != nil {
			t.Fatal(err)
		}
		if b[0] != byte(i) || b[511] != byte(i) {
			t.Fatalf("block %d: peeked bytes changed after skip: %x...%x", i, b[0], b[511])
		}
	}
}

// The decoder's error reaches the reader, and Close ends the writer
// goroutine whether or not the stream was read to its end.
func TestPushSourceErrorsAndClose(t *testing.T) {
	bad := errors.New("corrupt block")
	s := newPushSource(&blockWriter{data: make([]byte, 100_000), seed: 1, err: bad}, "test")
	if err := s.drain(); !errors.Is(err, bad) {
		t.Fatalf("drain = %v, want %v", err, bad)
	}
	s.Close()

	before := runtime.NumGoroutine()
	for i := range 50 {
		s := newPushSource(&blockWriter{data: make([]byte, 1_000_000), seed: uint64(i)}, "test")
		if _, err := s.Peek(100); err != nil {
			t.Fatal(err)
		}
		s.Close() // mid-stream, the writer blocked on a handoff
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines left after Close, want %d", n, before)
	}
}
