package source

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Verifier hashes a blob as it is read and fails the read at EOF when the
// digest differs, so a walker that drains the stream sees corruption.
// The walk skips weaker checks (zstd's frame checksum) of a stream that
// is a Verifier.
type Verifier struct {
	r    io.ReadCloser
	h    hash.Hash
	want v1.Hash
	name string
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

func (v *Verifier) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	if err == io.EOF {
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.want.Hex {
			return n, fmt.Errorf("%s: digest mismatch: content is sha256:%s, expected %s", v.name, got, v.want)
		}
	}
	return n, err
}

func (v *Verifier) Close() error { return v.r.Close() }
