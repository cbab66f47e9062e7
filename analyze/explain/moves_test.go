package explain

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMoves(t *testing.T) {
	onlyA := []File{
		{Path: "usr/local/bin/app", Size: 8_421_376},                         // the Go pair's binary
		{Path: "src/app/README.md", Size: 1200},                              // a namesake of B's README, another size
		{Path: "opt/a/config.json", Size: 300, Digest: "sha256:aaa"},         // digests differ: not a move
		{Path: "opt/b/lib.so", Size: 4096, Digest: "sha256:lib"},             // two candidates in B: the digest decides
		{Path: "opt/c/lib.so", Size: 4096},                                   // then takes the other
		{Path: "usr/lib/python3/dist-packages/x/__init__.py", Size: 0},       // empty files never pair
		{Path: "usr/share/gcc/python/libstdcxx/v6/printers.py", Size: 94000}, // only in A
	}
	onlyB := []File{
		{Path: "app", Size: 8_421_376},
		{Path: "README.md", Size: 1300},
		{Path: "etc/config.json", Size: 300, Digest: "sha256:bbb"},
		{Path: "lib/a/lib.so", Size: 4096, Digest: "sha256:other"},
		{Path: "lib/z/lib.so", Size: 4096, Digest: "sha256:lib"},
		{Path: "x/__init__.py", Size: 0},
	}
	moves, movedA, movedB := Moves(onlyA, onlyB)
	want := []Move{
		{From: "opt/b/lib.so", To: "lib/z/lib.so", Size: 4096, Digest: "sha256:lib"},
		{From: "opt/c/lib.so", To: "lib/a/lib.so", Size: 4096},
		{From: "usr/local/bin/app", To: "app", Size: 8_421_376},
	}
	if diff := cmp.Diff(want, moves); diff != "" {
		t.Errorf("Moves (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]bool{true, false, false, true, true, false, false}, movedA); diff != "" {
		t.Errorf("movedA (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]bool{true, false, false, true, true, false}, movedB); diff != "" {
		t.Errorf("movedB (-want +got):\n%s", diff)
	}
	if m, a, b := Moves(nil, nil); len(m) != 0 || len(a) != 0 || len(b) != 0 {
		t.Errorf("Moves(nil, nil) = %v %v %v", m, a, b)
	}
}
