package store

import (
	"bytes"
	"context"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/imgdiff/imgdiff/layers/index"
	"github.com/imgdiff/imgdiff/layers/source"
)

// Layer is a layer kept as a file in a store. It implements
// source.Layer and source.Identified.
type Layer struct {
	// Diff is the diffID the config gives.
	Diff v1.Hash
	// Stored describes the blob as the source holds it.
	Stored source.Blob
	Store  Store
	// Name is the file in Store.
	Name string
	// Verify is the digest the bytes must have; zero when the stream is
	// handed out seekable (docker save layers: the walker seeks past file
	// bodies, which is the point of reading an archive in place).
	Verify v1.Hash
	// Location names the stored bytes in this run (Identity.Location).
	Location string
	// Engine is set for layers the Docker engine saved (Identity.Engine).
	Engine bool
}

// DiffID implements source.Layer.
func (l *Layer) DiffID() v1.Hash { return l.Diff }

// Identity implements source.Identified.
func (l *Layer) Identity() source.Identity {
	id := source.Identity{Location: l.Location, Local: !l.Engine, Engine: l.Engine}
	if l.Verify.Hex != "" {
		id.Digest = l.Verify.String()
	}
	return id
}

// Blob implements source.Layer.
func (l *Layer) Blob() source.Blob { return l.Stored }

// Open implements source.Layer: the stored bytes, checked against Verify
// as they are read when it is set.
func (l *Layer) Open(ctx context.Context) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sec, err := l.Store.Open(l.Name)
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", index.ShortDigest(l.Diff.String()), err)
	}
	if l.Verify.Hex == "" {
		return sec, nil
	}
	return source.NewVerifier(sec, l.Verify, l.Name)
}

// IsCompressed sniffs gzip and zstd magic at the start of a stored blob.
func IsCompressed(r io.ReaderAt) bool {
	var b [4]byte
	n, _ := r.ReadAt(b[:], 0)
	return n >= 2 && b[0] == 0x1f && b[1] == 0x8b ||
		n == 4 && bytes.Equal(b[:], []byte{0x28, 0xb5, 0x2f, 0xfd})
}
