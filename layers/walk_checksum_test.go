package layers

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/imgdiff/imgdiff/layers/source"
	"github.com/klauspost/compress/zstd"
)

// verifiedLayer serves data through the digest check of a stored blob,
// with want as the digest it must have.
type verifiedLayer struct {
	data []byte
	want v1.Hash
}

func (l *verifiedLayer) DiffID() v1.Hash { return v1.Hash{Algorithm: "sha256", Hex: "00"} }
func (l *verifiedLayer) Blob() Blob      { return Blob{Size: int64(len(l.data))} }
func (l *verifiedLayer) Open(context.Context) (io.ReadCloser, error) {
	return source.NewVerifier(io.NopCloser(bytes.NewReader(l.data)), l.want, "blob")
}

func sha(b []byte) v1.Hash {
	s := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(s[:])}
}

// zstdTar is a one-file tar, zstd-compressed with a frame checksum.
func zstdTar(t *testing.T) []byte {
	t.Helper()
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	body := bytes.Repeat([]byte("imgdiff "), 4096)
	if err := tw.WriteHeader(&tar.Header{Name: "a/file", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))}); err != nil {
		t.Fatal(err)
	}
	tw.Write(body)
	tw.Close()
	var zs bytes.Buffer
	zw, err := zstd.NewWriter(&zs, zstd.WithEncoderCRC(true))
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(raw.Bytes())
	zw.Close()
	return zs.Bytes()
}

// The zstd frame checksum is only skipped where the blob's SHA-256 is
// checked instead: a bad checksum fails an unverified stream, and any
// changed byte fails a verified one.
func TestZstdChecksumOrDigest(t *testing.T) {
	good := zstdTar(t)
	badSum := bytes.Clone(good)
	badSum[len(badSum)-1] ^= 0xff // the frame's xxhash64 (low 4 bytes) is last

	ctx := context.Background()
	opts := WalkOptions{Jobs: 1, MaxCapture: DefaultMaxCapture}
	if _, err := walkLayer(ctx, &bytesLayer{data: good}, opts); err != nil {
		t.Fatalf("good stream: %v", err)
	}
	if _, err := walkLayer(ctx, &bytesLayer{data: badSum}, opts); err == nil {
		t.Error("unverified stream with a bad frame checksum: no error")
	}
	// Hashed inline and beside the decoding (a spare core's read-ahead).
	for _, ahead := range []bool{false, true} {
		opts.readAhead = ahead
		idx, err := walkLayer(ctx, &verifiedLayer{data: good, want: sha(good)}, opts)
		if err != nil || len(idx.Entries) != 1 || idx.Entries[0].Path != "a/file" {
			t.Fatalf("read ahead %v: verified good blob: %v, %d entries", ahead, err, len(idx.Entries))
		}
		_, err = walkLayer(ctx, &verifiedLayer{data: badSum, want: sha(good)}, opts)
		if err == nil || !strings.Contains(err.Error(), "digest mismatch") {
			t.Errorf("read ahead %v: verified blob with a changed byte: got %v, want a digest mismatch", ahead, err)
		}
	}
}
