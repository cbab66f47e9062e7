package analyze

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/imgdiff/imgdiff/layers/index"
)

// topN must pick what a full sort would, ties included.
func TestTopNMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for round := range 300 {
		vals := make([]int, r.IntN(200))
		for i := range vals {
			vals[i] = r.IntN(50) // many ties
		}
		xs := make([]int, len(vals))
		for i := range xs {
			xs[i] = i
		}
		less := func(a, b int) bool {
			if vals[a] != vals[b] {
				return vals[a] > vals[b]
			}
			return a < b
		}
		n := r.IntN(15)
		want := append([]int{}, xs...)
		sort.Slice(want, func(i, j int) bool { return less(want[i], want[j]) })
		want = want[:min(n, len(want))]
		got := topN(slices.Values(xs), n, less)
		if len(want) == 0 {
			want = nil
		}
		if len(got) == 0 {
			got = nil
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("round %d, n=%d (-sort +topN):\n%s", round, n, d)
		}
	}
}

// topFiles keeps what sorting the whole list and cutting it would: the n
// largest changes, ties by path.
func TestTopFilesMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	for round := range 300 {
		var all []FileChange
		for i := range r.IntN(60) {
			// Few distinct sizes: many ties, broken by path.
			all = append(all, FileChange{Path: fmt.Sprintf("p%03d", r.IntN(1000)*1000+i), A: int64(r.IntN(5)), B: int64(r.IntN(3))})
		}
		for _, n := range []int{0, 1, 3, 10, 100} {
			for _, keepAll := range []bool{false, true} {
				tf := topFiles{n: n, all: keepAll}
				for _, f := range all {
					tf.add(f)
				}
				got, truncated := tf.list()

				want := append([]FileChange(nil), all...)
				sort.Slice(want, func(i, j int) bool {
					si, sj := abs(want[i].A-want[i].B), abs(want[j].A-want[j].B)
					if si != sj {
						return si > sj
					}
					return want[i].Path < want[j].Path
				})
				wantTrunc := false
				if !keepAll && len(want) > n {
					want, wantTrunc = want[:n], true
				}
				if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" || truncated != wantTrunc {
					t.Fatalf("round %d, n %d, all %v: truncated %v, want %v; list (-want +got):\n%s", round, n, keepAll, truncated, wantTrunc, d)
				}
			}
		}
	}
}

// dirTotals credits runs of siblings at once, and ancestors once per
// directory; the figures must equal crediting every file to every ancestor
// one by one, whatever the order.
func TestDirTotalsRunsMatchPerFile(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	type add struct {
		p    string
		n    int64
		step int
	}
	var adds []add
	for i := range 2000 {
		p := fmt.Sprintf("d%d/e%d/f%d", r.IntN(3), r.IntN(4), i)
		if r.IntN(5) == 0 {
			p = fmt.Sprintf("top%d", i)
		}
		adds = append(adds, add{p, int64(r.IntN(1000)) - 300, r.IntN(3)})
	}
	for _, sorted := range []bool{false, true} {
		if sorted {
			sort.Slice(adds, func(i, j int) bool { return adds[i].p < adds[j].p })
		}
		got := newDirTotals()
		for _, a := range adds {
			got.add(a.p, a.n, a.step)
		}
		topGot := got.top(5, nil)

		want := newDirTotals()
		for _, a := range adds {
			for dir := index.Parent(a.p); ; dir = index.Parent(dir) {
				if _, seen := want.bytes[dir]; !seen && dir != "." {
					want.kids[index.Parent(dir)] = append(want.kids[index.Parent(dir)], dir)
				}
				want.bytes[dir] += a.n
				want.files[dir]++
				if want.steps[dir] == nil {
					want.steps[dir] = map[int]int64{}
				}
				want.steps[dir][a.step] += abs(a.n)
				if dir == "." {
					break
				}
			}
		}
		if d := cmp.Diff(want.bytes, got.bytes); d != "" {
			t.Errorf("sorted=%v bytes (-per file +runs):\n%s", sorted, d)
		}
		if d := cmp.Diff(want.files, got.files); d != "" {
			t.Errorf("sorted=%v files (-per file +runs):\n%s", sorted, d)
		}
		if d := cmp.Diff(want.steps, got.steps); d != "" {
			t.Errorf("sorted=%v steps (-per file +runs):\n%s", sorted, d)
		}
		for _, kids := range []map[string][]string{want.kids, got.kids} {
			for _, k := range kids {
				sort.Strings(k) // their order does not matter
			}
		}
		if d := cmp.Diff(want.kids, got.kids); d != "" {
			t.Errorf("sorted=%v kids (-per file +runs):\n%s", sorted, d)
		}
		if d := cmp.Diff(want.top(5, nil), topGot); d != "" {
			t.Errorf("sorted=%v top (-per file +runs):\n%s", sorted, d)
		}
	}
}

// The final filesystem Build stacks (with its directory cache) must equal
// a naive reference on random layers full of replacements, whiteouts and
// opaque dirs.
func TestStackMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	names := []string{"a", "b", "c"}
	randPath := func() string {
		p := names[r.IntN(3)]
		for range r.IntN(3) {
			p += "/" + names[r.IntN(3)]
		}
		return p
	}
	for round := range 500 {
		var ls []*index.Layer
		type ref struct {
			E     index.Entry
			Layer int
		}
		want := map[string]ref{}
		removeUnder := func(p string, self bool) {
			for q := range want {
				if (self && q == p) || (q != p && index.Under(q, p)) {
					delete(want, q)
				}
			}
		}
		for k := range 1 + r.IntN(4) {
			l := &index.Layer{}
			for range r.IntN(3) {
				l.OpaqueDirs = append(l.OpaqueDirs, randPath())
			}
			for range r.IntN(3) {
				l.Whiteouts = append(l.Whiteouts, randPath())
			}
			for _, d := range l.OpaqueDirs {
				if e, ok := want[d]; ok && e.E.Kind == index.Dir {
					removeUnder(d, false)
				}
			}
			for _, w := range l.Whiteouts {
				removeUnder(w, true)
			}
			for range r.IntN(8) {
				p := randPath()
				e := index.Entry{Path: p, Kind: index.Dir}
				if r.IntN(2) == 0 {
					e = index.Entry{Path: p, Kind: index.File, Size: int64(1 + r.IntN(9))}
				}
				l.Entries = append(l.Entries, e)
				l.Size += e.Size
				// Parents become directories, top down, replacing files
				// in the way.
				var parents []string
				for q := index.Parent(p); q != "."; q = index.Parent(q) {
					parents = append([]string{q}, parents...)
				}
				for _, q := range parents {
					if old, ok := want[q]; ok && old.E.Kind != index.Dir {
						removeUnder(q, true)
					}
					if _, ok := want[q]; !ok {
						want[q] = ref{index.Entry{Path: q, Kind: index.Dir}, -1}
					}
				}
				if old, ok := want[p]; ok && !(old.E.Kind == index.Dir && e.Kind == index.Dir) {
					removeUnder(p, true)
				}
				want[p] = ref{e, k}
			}
			ls = append(ls, l)
		}
		img, err := Build(testImage(nil, ls...))
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		got := map[string]ref{}
		for _, f := range img.FS.All() {
			got[f.Path] = ref{index.Entry{Path: f.Path, Kind: f.Kind, Size: f.Size}, f.Layer}
		}
		// An implied dir's layer is -1 in both; a restated one is the
		// restating layer's in both.
		if d := cmp.Diff(want, got); d != "" {
			for k, l := range ls {
				t.Logf("layer %d: opaque %v whiteouts %v entries %v", k, l.OpaqueDirs, l.Whiteouts, l.Entries)
			}
			t.Fatalf("round %d: final fs (-reference +Build):\n%s", round, d)
		}
	}
}
