package model

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/imgdiff/imgdiff/layers/index"
)

// An FS over the layers' entries hands out the same files as one built
// from copies of them: entries of any layer, directories no layer
// recorded, and the bytes a hard link took over from a removed target.
func TestLayeredFS(t *testing.T) {
	l0 := []index.Entry{
		{Path: "a", Kind: index.Dir, Mode: 0o755},
		{Path: "a/x", Kind: index.File, Size: 10, UID: 7},
		{Path: "a/gone", Kind: index.File, Size: 99},
	}
	l1 := []index.Entry{
		{Path: "a/x", Kind: index.File, Size: 20, Mode: 0o600},
		{Path: "a/link", Kind: index.Hardlink, Link: "a/gone"},
		{Path: "b/c/y", Kind: index.Symlink, Link: "../../a/x", Size: 9},
		{Path: "odd", Kind: 0}, // a kind nothing knows: taken for a directory
	}
	want := []File{
		{Entry: l0[0], Layer: 0},
		{Entry: l1[1], Layer: 1, Bytes: 99},
		{Entry: l1[0], Layer: 1, Bytes: 20},
		{Entry: index.Entry{Path: "b", Kind: index.Dir}, Layer: -1},
		{Entry: index.Entry{Path: "b/c", Kind: index.Dir}, Layer: -1},
		{Entry: l1[2], Layer: 1, Bytes: 9},
		{Entry: index.Entry{Path: "odd", Kind: index.Dir}, Layer: 1},
	}
	fs := NewLayeredFS([][]index.Entry{l0, l1}, []string{"b/c", "b"}, make([]uint32, 0, 7))
	for _, a := range [][3]int{{0, 0, 0}, {1, 1, 99}, {1, 0, 20}, {-1, 1, 0}, {-1, 0, 0}, {1, 2, 9}, {1, 3, 0}} {
		fs.AddEntry(a[0], a[1], int64(a[2]))
	}
	copied := NewFS(want...)
	for _, f := range []*FS{fs, copied} {
		if f.Len() != len(want) {
			t.Fatalf("Len = %d, want %d", f.Len(), len(want))
		}
		var got []File
		for i, g := range f.All() {
			got = append(got, g)
			if f.Path(i) != want[i].Path || f.Kind(i) != want[i].Kind || f.Bytes(i) != want[i].Bytes || f.Layer(i) != want[i].Layer {
				t.Errorf("file %d: Path, Kind, Bytes, Layer = %q, %v, %d, %d; want %+v", i, f.Path(i), f.Kind(i), f.Bytes(i), f.Layer(i), want[i])
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("files (-want +got):\n%s", diff)
		}
		if f.Size() != 128 {
			t.Errorf("Size = %d, want 128", f.Size())
		}
		if i, ok := f.IndexOf("b/c"); !ok || i != 4 || f.TreeEnd(3) != 6 {
			t.Errorf("IndexOf(b/c) = %d, %v; TreeEnd(b) = %d; want 4, true, 6", i, ok, f.TreeEnd(3))
		}
		if _, ok := f.Lookup("a/gone"); ok {
			t.Errorf("a/gone found")
		}
	}
}

// Flags keep each file's flag through the table of distinct ones.
func TestFlags(t *testing.T) {
	a := Flag{Category: BuildTool, Rule: "r", Evidence: "dpkg: gcc"}
	b := Flag{Category: Cache, Rule: "c", Evidence: "path: x"}
	in := []Flag{a, a, {}, b, a, {}, b}
	f := FlagsOf(in...)
	f.Append(a)
	in = append(in, a)
	f.Set(2, b)
	in[2] = b
	if f.Len() != len(in) {
		t.Fatalf("Len = %d, want %d", f.Len(), len(in))
	}
	for i := range in {
		if f.At(i) != in[i] || f.Category(i) != in[i].Category {
			t.Errorf("flag %d = %+v, want %+v", i, f.At(i), in[i])
		}
	}
	if len(f.table) != 3 {
		t.Errorf("%d distinct flags stored, want 3", len(f.table))
	}
	var z Flags
	z.Append(b)
	if z.Len() != 1 || z.At(0) != b {
		t.Errorf("zero Flags after Append = %d, %+v", z.Len(), z.At(0))
	}
}
