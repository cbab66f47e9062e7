package layers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// storeLayer is a layer kept as a file in a store.
type storeLayer struct {
	diffID v1.Hash
	blob   Blob
	s      store
	name   string
	// verify is the digest the bytes must have; zero when the stream is
	// handed out seekable (docker save layers: the walker seeks past file
	// bodies, which is the point of reading an archive in place).
	verify v1.Hash
	// compressed is set when the stored bytes are gzip or zstd.
	compressed bool
	// loc names the stored bytes in this run (Identity.Location).
	loc string
	// engine is set for layers the Docker engine saved (Identity.Engine).
	engine bool
}

func (l *storeLayer) DiffID() v1.Hash { return l.diffID }

// Identity implements Identified.
func (l *storeLayer) Identity() Identity {
	id := Identity{Location: l.loc, Local: !l.engine, Engine: l.engine}
	if l.verify.Hex != "" {
		id.Digest = l.verify.String()
	}
	return id
}
func (l *storeLayer) Blob() Blob { return l.blob }

func (l *storeLayer) Open(ctx context.Context) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sec, err := l.s.open(l.name)
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", shortDigest(l.diffID.String()), err)
	}
	if l.verify.Hex == "" {
		return sec, nil
	}
	return newVerifier(sec, l.verify, l.name)
}

// verifier hashes a blob as it is read and fails the read at EOF when the
// digest differs, so a walker that drains the stream sees corruption.
type verifier struct {
	r    io.ReadCloser
	h    hash.Hash
	want v1.Hash
	name string
}

func newVerifier(r io.ReadCloser, want v1.Hash, name string) (*verifier, error) {
	if want.Algorithm != "sha256" {
		return nil, fmt.Errorf("%s: unsupported digest algorithm %q", name, want.Algorithm)
	}
	return &verifier{r: r, h: sha256.New(), want: want, name: name}, nil
}

func (v *verifier) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	if err == io.EOF {
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.want.Hex {
			return n, fmt.Errorf("%s: digest mismatch: content is sha256:%s, expected %s", v.name, got, v.want)
		}
	}
	return n, err
}

func (v *verifier) Close() error { return v.r.Close() }

// isCompressed sniffs gzip and zstd magic at the start of a stored blob.
func isCompressed(r io.ReaderAt) bool {
	var b [4]byte
	n, _ := r.ReadAt(b[:], 0)
	return n >= 2 && b[0] == 0x1f && b[1] == 0x8b ||
		n == 4 && bytes.Equal(b[:], []byte{0x28, 0xb5, 0x2f, 0xfd})
}
