package source

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Verifier hashes a blob as it is read and fails the read at EOF when the
// digest differs, so a walker that drains the stream sees corruption.
// The walk skips weaker checks (zstd's frame checksum) of a stream that
// is a Verifier.
//
// ReadAhead moves the reading and hashing to a goroutine of its own, up
// to aheadBlocks blocks ahead of the caller. The walk asks for it when a
// core would otherwise idle: a compressed layer decodes on one core (a
// gzip stream has no points to start from in the middle), and SHA-256 on
// that goroutine adds its time (~4% of a gzip walk, ~15% of a zstd one)
// to that one core's. The price is a copy of each byte (block to
// caller), about a quarter of hashing it (BenchmarkVerifier), and a
// goroutine: when every core already decodes a layer of its own, that
// is only more work, so the walk leaves it off then.
type Verifier struct {
	r    io.ReadCloser
	h    hash.Hash
	want v1.Hash
	name string

	ahead bool // ReadAhead was called
	start sync.Once
	close sync.Once
	full  chan block    // read and hashed, in order
	free  chan []byte   // blocks the caller is done with
	stop  chan struct{} // closed by Close
	done  chan struct{} // closed when the goroutine has returned

	cur  []byte // what the caller has not read of the block it holds
	held []byte // that block, handed back when it is used up
	err  error  // sticky: the error that ended the stream (io.EOF at a good end)
}

const (
	// verifyBlock is the size of a read-ahead block: the walk's reads
	// (a 1 MiB bufio.Reader) take one block at a time.
	verifyBlock = 1 << 20
	// aheadBlocks is how many blocks may be read and hashed ahead of
	// the caller.
	aheadBlocks = 2
)

// block is one read of the underlying stream; err, when set, ends it.
type block struct {
	b   []byte
	err error
}

// NewVerifier returns r checked against the sha256 digest want: the read
// that reaches EOF fails when the bytes differ. name names the blob in
// errors.
func NewVerifier(r io.ReadCloser, want v1.Hash, name string) (*Verifier, error) {
	if want.Algorithm != "sha256" {
		return nil, fmt.Errorf("%s: unsupported digest algorithm %q", name, want.Algorithm)
	}
	return &Verifier{r: r, h: sha256.New(), want: want, name: name}, nil
}

// ReadAhead makes the Verifier read and hash on a goroutine of its own.
// It must be called before the first Read.
func (v *Verifier) ReadAhead() {
	v.ahead = true
	v.full = make(chan block, aheadBlocks)
	v.free = make(chan []byte, aheadBlocks+1)
	v.stop = make(chan struct{})
	v.done = make(chan struct{})
}

func (v *Verifier) Read(p []byte) (int, error) {
	if !v.ahead {
		return v.readInline(p)
	}
	v.start.Do(func() { go v.readAhead() })
	select {
	case <-v.stop:
		return 0, fmt.Errorf("%s: read after close", v.name)
	default:
	}
	for len(v.cur) == 0 {
		if v.err != nil {
			return 0, v.err
		}
		if v.held != nil {
			v.free <- v.held[:cap(v.held)] // never blocks: one slot a block
			v.held = nil
		}
		var b block
		select {
		case b = <-v.full: // the goroutine sends until it sends an error
		case <-v.stop:
			return 0, fmt.Errorf("%s: read after close", v.name)
		}
		v.cur, v.held, v.err = b.b, b.b, b.err
		if len(b.b) == 0 {
			v.held = nil
		}
	}
	n := copy(p, v.cur)
	v.cur = v.cur[n:]
	return n, nil
}

// readInline reads and hashes on the caller's goroutine.
func (v *Verifier) readInline(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	if err == io.EOF {
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.want.Hex {
			return n, fmt.Errorf("%s: digest mismatch: content is sha256:%s, expected %s", v.name, got, v.want)
		}
	}
	return n, err
}

// readAhead reads and hashes the stream block by block until it ends,
// fails or Close stops it; its last block carries the error that ended
// it: io.EOF when the bytes match the digest.
func (v *Verifier) readAhead() {
	defer close(v.done)
	made := 0
	for {
		var buf []byte
		select {
		case buf = <-v.free:
		default:
			if made <= aheadBlocks {
				buf = make([]byte, verifyBlock)
				made++
				break
			}
			select {
			case buf = <-v.free:
			case <-v.stop:
				return
			}
		}
		n, err := readBlock(v.r, buf)
		v.h.Write(buf[:n])
		if err == io.EOF {
			if got := hex.EncodeToString(v.h.Sum(nil)); got != v.want.Hex {
				err = fmt.Errorf("%s: digest mismatch: content is sha256:%s, expected %s", v.name, got, v.want)
			}
		}
		select {
		case v.full <- block{buf[:n], err}:
		case <-v.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// readBlock fills buf from r, or reads until r ends or fails.
func readBlock(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Close closes the stream and stops a read-ahead. The stream's Close is
// what ends a read the goroutine is blocked in (every source's Close
// does: a response body, a cancelled ranged fetch), so the goroutine is
// waited for after it.
func (v *Verifier) Close() error {
	if !v.ahead {
		return v.r.Close()
	}
	err := errors.New("already closed")
	v.close.Do(func() {
		close(v.stop)
		err = v.r.Close()
		started := true
		v.start.Do(func() { started = false })
		if started {
			<-v.done
		}
	})
	return err
}
