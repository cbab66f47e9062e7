package codec

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/imgdiff/imgdiff/layers/index"
)

// PrefixBomb is a payload of n entries whose first path is pathLen bytes
// and every later one shares all of it (prefix coding: a few bytes each):
// n × pathLen bytes of paths from a payload of about pathLen + 8n.
func prefixBomb(n, pathLen int) []byte {
	b := binary.AppendUvarint(nil, 0) // diffID ""
	b = binary.AppendVarint(b, 0)     // size
	b = binary.AppendUvarint(b, uint64(n)+1)
	for i := range n {
		if i == 0 {
			b = binary.AppendUvarint(b, 0)
			b = binary.AppendUvarint(b, uint64(pathLen))
			b = append(b, strings.Repeat("a", pathLen)...)
		} else {
			b = binary.AppendUvarint(b, uint64(pathLen)) // shared: all of it
			b = binary.AppendUvarint(b, 0)               // rest: ""
		}
		b = append(b, byte(index.File))
		b = binary.AppendVarint(b, 0)
		b = append(b, 0, 0, 0, 0) // mode, uid, gid, link ""
	}
	return append(b, 0, 0, 0) // whiteouts, opaque dirs, contents: nil
}

// TestDecodePrefixBomb: a payload of 200 kB whose prefix-coded paths
// claim 256 MiB is refused (ErrTooBig) before the paths are built, not
// decoded into a quarter of a gigabyte; a payload within the bound
// decodes.
func TestDecodePrefixBomb(t *testing.T) {
	bomb := prefixBomb(4096, 64<<10)
	if _, err := Decode(bomb); !errors.Is(err, ErrTooBig) {
		t.Errorf("Decode of %d bytes claiming %d bytes of paths: %v, want ErrTooBig", len(bomb), 4096*64<<10, err)
	}
	if _, _, err := DecodeLimit(prefixBomb(16, 64<<10), 1<<20); err != nil {
		t.Errorf("16 paths of 64 KiB within a 1 MiB bound: %v", err)
	}
	if _, _, err := DecodeLimit(prefixBomb(17, 64<<10), 1<<20); !errors.Is(err, ErrTooBig) {
		t.Errorf("17 paths of 64 KiB past a 1 MiB bound: %v, want ErrTooBig", err)
	}
	l, used, err := DecodeLimit(prefixBomb(3, 10), 100)
	if err != nil || used != 30 || len(l.Entries) != 3 || l.Entries[2].Path != "aaaaaaaaaa" {
		t.Errorf("3 paths of 10 bytes: %v, used %d, %+v", err, used, l)
	}
}
