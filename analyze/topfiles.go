package analyze

import (
	"slices"
	"strings"
)

// topFiles is one file list of a comparison (only in A, only in B,
// changed) as it is filled: it keeps the n files a report shows, the
// largest changes first (|A-B|, then path), or every file when all is
// set. Bounded, it holds n files however many are added: a comparison of
// images of millions of files does not hold a list of all that differ.
type topFiles struct {
	n     int
	all   bool
	added int
	// fs is, bounded, a heap whose root is the kept file that ranks
	// last, the one a better file replaces.
	fs []FileChange
}

// ranksBefore orders a list: larger changes first, then by path.
func ranksBefore(a, b *FileChange) bool {
	sa, sb := abs(a.A-a.B), abs(b.A-b.B)
	if sa != sb {
		return sa > sb
	}
	return a.Path < b.Path
}

func (t *topFiles) add(f FileChange) {
	t.added++
	switch {
	case t.all || len(t.fs) < t.n:
		t.fs = append(t.fs, f)
		if !t.all {
			t.up(len(t.fs) - 1)
		}
	case t.n > 0 && ranksBefore(&f, &t.fs[0]):
		t.fs[0] = f
		t.down(0)
	}
}

// up and down keep the heap: a parent ranks after its children.
func (t *topFiles) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !ranksBefore(&t.fs[p], &t.fs[i]) {
			return
		}
		t.fs[p], t.fs[i] = t.fs[i], t.fs[p]
		i = p
	}
}

func (t *topFiles) down(i int) {
	for {
		c := 2*i + 1
		if c >= len(t.fs) {
			return
		}
		if r := c + 1; r < len(t.fs) && ranksBefore(&t.fs[c], &t.fs[r]) {
			c = r
		}
		if !ranksBefore(&t.fs[i], &t.fs[c]) {
			return
		}
		t.fs[i], t.fs[c] = t.fs[c], t.fs[i]
		i = c
	}
}

// list returns the kept files in order and whether files were left out.
func (t *topFiles) list() ([]FileChange, bool) {
	slices.SortFunc(t.fs, func(a, b FileChange) int {
		if ranksBefore(&a, &b) {
			return -1
		}
		if ranksBefore(&b, &a) {
			return 1
		}
		return strings.Compare(a.Path, b.Path)
	})
	return t.fs, !t.all && t.added > len(t.fs)
}
