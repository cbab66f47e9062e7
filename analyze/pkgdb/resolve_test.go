package pkgdb

import (
	"slices"
	"strings"
	"testing"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

func linkFS(links map[string]string) *model.FS {
	fs := &model.FS{}
	for p, target := range links {
		fs.Append(model.File{Entry: index.Entry{Path: p, Kind: index.Symlink, Link: target}})
	}
	return fs
}

// deep is a/b/c/... with n components.
func deep(prefix string, n int) string {
	parts := []string{prefix}
	for i := range n {
		parts = append(parts, string(rune('a'+i%26))+"x")
	}
	return strings.Join(parts, "/")
}

// TestRealDirAnyOrder: the real directory of a path is the same whatever
// order paths are looked up in, deep paths (more levels than the old
// 16-"hop" bound, which counted depth) included. Expectations are written
// by hand from the links.
func TestRealDirAnyOrder(t *testing.T) {
	links := map[string]string{
		"lib":          "usr/lib",                                  // merged /usr, relative
		"bin":          "/usr/bin",                                 // absolute
		"usr/lib/up":   "../share",                                 // relative with ..
		"usr/share/me": "../../usr/share/me",                       // a loop onto itself
		"opt/l1":       "l2", "opt/l2": "l3", "opt/l3": "/usr/lib", // a chain
		"loop/a": "b", "loop/b": "a",
	}
	want := map[string]string{
		".":                  ".",
		"usr":                "usr",
		"lib":                "usr/lib",
		"lib/x86_64":         "usr/lib/x86_64",
		deep("lib", 30):      deep("usr/lib", 30),
		deep("bin", 20):      deep("usr/bin", 20),
		"lib/up":             "usr/share",
		"lib/up/doc/gcc":     "usr/share/doc/gcc",
		"opt/l1/x":           "usr/lib/x",
		deep("opt/l1", 25):   deep("usr/lib", 25),
		"usr/share/me/x":     "usr/share/me/x", // the loop: given back as is
		"loop/a/x":           "loop/a/x",
		"lib/../etc":         "usr/etc", // .. from the real directory, as the kernel does
		"var/lib/dpkg/info":  "var/lib/dpkg/info",
		deep("var", 40) + "": deep("var", 40),
	}
	var paths []string
	for p := range want {
		paths = append(paths, p)
	}
	// Every prefix of every path too, so that the cache is filled from
	// both ends.
	for _, p := range slices.Clone(paths) {
		for q := index.Parent(p); q != "."; q = index.Parent(q) {
			if _, ok := want[q]; !ok {
				paths = append(paths, q)
			}
		}
	}
	slices.Sort(paths)
	shallowFirst := slices.Clone(paths)
	slices.SortStableFunc(shallowFirst, func(a, b string) int { return strings.Count(a, "/") - strings.Count(b, "/") })
	deepFirst := slices.Clone(shallowFirst)
	slices.Reverse(deepFirst)
	got := map[string]map[string]string{}
	for name, order := range map[string][]string{"sorted": paths, "shallow first": shallowFirst, "deep first": deepFirst} {
		r := NewResolver(linkFS(links))
		got[name] = map[string]string{}
		for _, p := range order {
			got[name][p] = r.RealDir(p)
		}
		for p, w := range want {
			if got[name][p] != w {
				t.Errorf("%s: RealDir(%s) = %s, want %s", name, p, got[name][p], w)
			}
		}
	}
	for _, p := range paths {
		if a, b, c := got["sorted"][p], got["shallow first"][p], got["deep first"][p]; a != b || b != c {
			t.Errorf("RealDir(%s) depends on the order: %s, %s, %s", p, a, b, c)
		}
	}
}
