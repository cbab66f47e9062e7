package elffacts

import (
	"bytes"
	"os"
	"testing"
)

// BenchmarkRead: the facts of a dynamic binary of the host (/bin/ls),
// read from memory: what the walk adds per ELF file over passing its
// bytes.
func BenchmarkRead(b *testing.B) {
	data, err := os.ReadFile("/bin/ls")
	if err != nil {
		b.Skip(err)
	}
	var r Reader
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := r.Read(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
