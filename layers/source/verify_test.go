package source

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func blobOf(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func digestOf(b []byte) v1.Hash {
	h, _, _ := v1.SHA256(bytes.NewReader(b))
	return h
}

// TestVerifierReads: whatever the blob's size against the read-ahead
// block and however the underlying stream splits its reads, the
// Verifier yields the blob's bytes and a clean EOF (testing/iotest's
// reader checks are the reference); one wrong byte anywhere yields
// every byte and then a one-line digest mismatch naming the blob.
func TestVerifierReads(t *testing.T) {
	for _, ahead := range []bool{false, true} {
		t.Run(fmt.Sprintf("ahead=%v", ahead), func(t *testing.T) { testVerifierReads(t, ahead) })
	}
}

// newVerifier is NewVerifier, reading ahead or not.
func newVerifier(t testing.TB, r io.ReadCloser, want v1.Hash, ahead bool) *Verifier {
	t.Helper()
	v, err := NewVerifier(r, want, "blob")
	if err != nil {
		t.Fatal(err)
	}
	if ahead {
		v.ReadAhead()
	}
	return v
}

func testVerifierReads(t *testing.T, ahead bool) {
	for _, n := range []int{0, 1, verifyBlock - 1, verifyBlock, verifyBlock + 1, 3*verifyBlock + verifyBlock/2} {
		blob := blobOf(n, uint64(n))
		for _, wrap := range []struct {
			name string
			r    func(io.Reader) io.Reader
		}{
			{"whole", func(r io.Reader) io.Reader { return r }},
			{"half", iotest.HalfReader},
			{"one byte", iotest.OneByteReader},
		} {
			if wrap.name == "one byte" && n > verifyBlock+1 {
				continue
			}
			v := newVerifier(t, io.NopCloser(wrap.r(bytes.NewReader(blob))), digestOf(blob), ahead)
			if err := iotest.TestReader(v, blob); err != nil {
				t.Errorf("%d bytes, %s: %v", n, wrap.name, err)
			}
			v.Close()
		}
		if n == 0 {
			continue
		}
		bad := bytes.Clone(blob)
		bad[n/2] ^= 1
		v := newVerifier(t, io.NopCloser(bytes.NewReader(bad)), digestOf(blob), ahead)
		got, err := io.ReadAll(v)
		v.Close()
		if !bytes.Equal(got, bad) || err == nil || !strings.Contains(err.Error(), "blob: digest mismatch: content is "+digestOf(bad).String()) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%d bytes, one flipped: read %d (all: %v), err %v; want every byte, then a one-line digest mismatch", n, len(got), bytes.Equal(got, bad), err)
		}
	}
}

// TestVerifierStreamError: an error of the stream reaches the caller,
// after the bytes read before it, as itself (errors.Is).
func TestVerifierStreamError(t *testing.T) {
	blob := blobOf(2*verifyBlock+5, 7)
	boom := errors.New("connection reset")
	for _, ahead := range []bool{false, true} {
		r := io.MultiReader(bytes.NewReader(blob[:verifyBlock+3]), iotest.ErrReader(boom))
		v := newVerifier(t, io.NopCloser(r), digestOf(blob), ahead)
		got, err := io.ReadAll(v)
		v.Close()
		if !errors.Is(err, boom) || !bytes.Equal(got, blob[:verifyBlock+3]) {
			t.Fatalf("ahead %v: read %d bytes, err %v; want the %d bytes before the error, then it", ahead, len(got), err, verifyBlock+3)
		}
	}
}

// blockingStream blocks every Read until Close, as a response body
// whose server went quiet does.
type blockingStream struct {
	closed chan struct{}
}

func (b *blockingStream) Read([]byte) (int, error) {
	<-b.closed
	return 0, errors.New("closed")
}
func (b *blockingStream) Close() error { close(b.closed); return nil }

// TestVerifierClose: Close returns, and leaves no goroutine behind,
// before any Read, while the read-ahead is blocked in the stream, and
// with blocks read ahead that nobody took; a Read after Close fails.
func TestVerifierClose(t *testing.T) {
	before := runtime.NumGoroutine()
	want := digestOf(nil)
	v := newVerifier(t, &blockingStream{closed: make(chan struct{})}, want, true)
	v.Close()

	v = newVerifier(t, &blockingStream{closed: make(chan struct{})}, want, true)
	go v.Read(make([]byte, 10)) // starts the read-ahead, which blocks
	time.Sleep(20 * time.Millisecond)
	closed := make(chan struct{})
	go func() { v.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hangs while the read-ahead is blocked")
	}

	blob := blobOf(5*verifyBlock, 3)
	v = newVerifier(t, io.NopCloser(bytes.NewReader(blob)), digestOf(blob), true)
	if _, err := io.ReadFull(v, make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // the read-ahead fills its blocks
	v.Close()
	if _, err := v.Read(make([]byte, 10)); err == nil {
		t.Error("Read after Close succeeded")
	}
	if err := v.Close(); err == nil {
		t.Error("a second Close succeeded")
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, %d before", runtime.NumGoroutine(), before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// BenchmarkVerifier: what the read-ahead moves off the caller's
// goroutine (SHA-256 of every byte) against what it adds to it (a copy
// of every byte), and a whole read through the Verifier.
func BenchmarkVerifier(b *testing.B) {
	blob := blobOf(64<<20, 1)
	want := digestOf(blob)
	dst := make([]byte, len(blob))
	b.Run("sha256", func(b *testing.B) {
		b.SetBytes(int64(len(blob)))
		for b.Loop() {
			sha256.Sum256(blob)
		}
	})
	b.Run("copy", func(b *testing.B) {
		b.SetBytes(int64(len(blob)))
		for b.Loop() {
			for i := 0; i < len(blob); i += 1 << 20 {
				copy(dst[i:], blob[i:min(i+1<<20, len(blob))])
			}
		}
	})
	for _, ahead := range []bool{false, true} {
		b.Run(fmt.Sprintf("verifier/ahead=%v", ahead), func(b *testing.B) {
			b.SetBytes(int64(len(blob)))
			buf := make([]byte, 1<<20)
			for b.Loop() {
				v := newVerifier(b, io.NopCloser(bytes.NewReader(blob)), want, ahead)
				for {
					if _, err := v.Read(buf); err != nil {
						if err != io.EOF {
							b.Fatal(err)
						}
						break
					}
				}
				v.Close()
			}
		})
	}
}
