package analyze

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

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
