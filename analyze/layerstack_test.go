package analyze

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// TestFSOrder pins the order lookups and merges rely on: Build lists the
// filesystem in model.ComparePaths order, where a directory's tree comes before
// its siblings even when their names sort below '/' ("a.b", "a-b", "a b").
func TestFSOrder(t *testing.T) {
	img, err := Build(testImage(nil, testLayer([]index.Entry{
		reg("a.b", 1), reg("a/b/c", 1), reg("a-b", 1), reg("a b", 1), reg("ab", 1), reg("a/b.c", 1), reg("a/b/d", 1), reg("a/bc/d", 1), reg("b", 1),
	}, nil, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range img.FS.Files {
		paths = append(paths, f.Path)
	}
	want := []string{"a", "a/b", "a/b/c", "a/b/d", "a/b.c", "a/bc", "a/bc/d", "a b", "a-b", "a.b", "ab", "b"}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Fatalf("files (-want +got):\n%s", diff)
	}
	if !slices.IsSortedFunc(paths, model.ComparePaths) {
		t.Error("files are not in model.ComparePaths order")
	}
	for i, p := range paths {
		if j, ok := img.FS.IndexOf(p); !ok || j != i {
			t.Errorf("indexOf(%q) = %d, %v; want %d", p, j, ok, i)
		}
	}
	for _, p := range []string{".", "", "a/", "a/b/e", "c", "a/b/c/d"} {
		if j, ok := img.FS.IndexOf(p); ok {
			t.Errorf("indexOf(%q) = %d, want not found", p, j)
		}
	}
	for dir, want := range map[string]int{"a": 7, "a/b": 4, "a/bc": 7, "a.b": 10, "b": 12} {
		i, _ := img.FS.IndexOf(dir)
		if got := img.FS.TreeEnd(i); got != want {
			t.Errorf("treeEnd(%q) = %d, want %d", dir, got, want)
		}
	}
}

func TestMatchPaths(t *testing.T) {
	files := func(paths ...string) []model.File {
		var out []model.File
		for _, p := range paths {
			out = append(out, model.File{Entry: index.Entry{Path: p}})
		}
		return out
	}
	a := files("a", "a/b", "a/c", "a.b", "d")
	b := files("a", "a/c", "a/d", "a-b", "a.b", "e")
	inB, inA := matchPaths(a, b)
	if diff := cmp.Diff([]int{0, -1, 1, 4, -1}, inB); diff != "" {
		t.Errorf("inB (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]bool{true, true, false, false, true, false}, inA); diff != "" {
		t.Errorf("inA (-want +got):\n%s", diff)
	}
}
