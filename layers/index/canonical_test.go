package index

import (
	"path"
	"strings"
	"testing"
)

// Canonical's fast path must agree with the definition it shortcuts.
func TestCanonicalFastPathAgrees(t *testing.T) {
	slow := func(name string) string {
		p := path.Clean("/" + strings.TrimPrefix(name, "./"))
		if p == "/" {
			return "."
		}
		return p[1:]
	}
	names := []string{
		"", ".", "..", "/", "//", "./", "../", "a", "a/", "a//", "a/b", "a/b/", "/a", "./a", "././a", "a/./b",
		"a/../b", "../a", "a/..", "a/.", ".a", "..a", "a..", "a/.b/", "a/b/../../..", "usr/lib/x86_64-linux-gnu/libc.so.6",
		"etc/.wh..wh..opq", "a/b/c/", "a/b/c//", "x/./", "x/../", "...", ".../a",
	}
	// Every string of up to 6 characters from "a./".
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		names = append(names, prefix)
		if n == 0 {
			return
		}
		for _, c := range "a./" {
			gen(prefix+string(c), n-1)
		}
	}
	gen("", 6)
	for _, n := range names {
		if got, want := Canonical(n), slow(n); got != want {
			t.Errorf("Canonical(%q) = %q, want %q", n, got, want)
		}
	}
}
