package analyze

import (
	"cmp"
	"slices"
	"strings"

	"github.com/imgdiff/imgdiff/layers/index"
)

// dirTotals accumulates a signed byte figure per directory for every
// ancestor of the paths added, so the largest directories can be named at
// the depth where their bytes actually are.
type dirTotals struct {
	bytes map[string]int64
	files map[string]int
	// children of each directory that carry bytes, to find dominant ones.
	kids map[string][]string
	// step bytes per directory, to name the step that wrote most of it.
	steps map[string]map[int]int64
	// run gathers consecutive adds to one directory by one step (files
	// come sorted by path, so siblings arrive together), and pending holds
	// the runs' sums by directory until a figure is read: then settle
	// hands each directory's sum to its parent once, deepest first, rather
	// than crediting every ancestor of every run.
	run     dirRun
	pending map[string]*dirSum
}

type dirRun struct {
	dir         string
	step, files int
	bytes, abs  int64
}

// dirSum is what the runs credited to a directory and its subdirectories.
type dirSum struct {
	bytes int64
	files int
	steps map[int]int64 // absolute bytes by step
}

func newDirTotals() *dirTotals {
	return &dirTotals{bytes: map[string]int64{}, files: map[string]int{}, kids: map[string][]string{},
		steps: map[string]map[int]int64{}, pending: map[string]*dirSum{}}
}

// add credits n bytes of the file at canonical path p, written by step, to
// every directory above it.
func (d *dirTotals) add(p string, n int64, step int) {
	dir := index.Parent(p)
	if d.run.files > 0 && (dir != d.run.dir || step != d.run.step) {
		d.flush()
	}
	if d.run.files == 0 {
		d.run.dir, d.run.step = dir, step
	}
	d.run.files++
	d.run.bytes += n
	d.run.abs += abs(n)
}

// flush credits the pending run to its directory's pending sum.
func (d *dirTotals) flush() {
	r := d.run
	if r.files == 0 {
		return
	}
	d.run = dirRun{}
	s := d.sum(r.dir)
	s.bytes += r.bytes
	s.files += r.files
	s.steps[r.step] += r.abs
}

func (d *dirTotals) sum(dir string) *dirSum {
	s := d.pending[dir]
	if s == nil {
		s = &dirSum{steps: map[int]int64{}}
		d.pending[dir] = s
	}
	return s
}

func (s *dirSum) add(o *dirSum) {
	s.bytes += o.bytes
	s.files += o.files
	for step, n := range o.steps {
		s.steps[step] += n
	}
}

// settle credits the pending sums to their directories and every
// ancestor, deepest first, each directory's sum passing to its parent.
// Every figure is read after it.
func (d *dirTotals) settle() {
	d.flush()
	if len(d.pending) == 0 {
		return
	}
	var byDepth [][]string // "." alone at depth 0
	queue := func(dir string) {
		depth := 0
		if dir != "." {
			depth = strings.Count(dir, "/") + 1
		}
		for len(byDepth) <= depth {
			byDepth = append(byDepth, nil)
		}
		byDepth[depth] = append(byDepth[depth], dir)
	}
	for dir := range d.pending {
		queue(dir)
	}
	for depth := len(byDepth) - 1; depth >= 0; depth-- {
		for _, dir := range byDepth[depth] {
			s := d.pending[dir]
			if _, seen := d.bytes[dir]; !seen && dir != "." {
				parent := index.Parent(dir)
				d.kids[parent] = append(d.kids[parent], dir)
			}
			d.bytes[dir] += s.bytes
			d.files[dir] += s.files
			if d.steps[dir] == nil {
				d.steps[dir] = s.steps // s is done with it: pending is cleared below
			} else {
				for step, n := range s.steps {
					d.steps[dir][step] += n
				}
			}
			if dir == "." {
				continue
			}
			parent := index.Parent(dir)
			if _, ok := d.pending[parent]; !ok {
				queue(parent)
			}
			d.sum(parent).add(s)
		}
	}
	clear(d.pending)
}

// top returns up to n directories that best explain the bytes, skip
// excepted: a directory is a candidate when no single child holds 90% or
// more of its bytes (else the child says more), and no listed directory
// contains another.
func (d *dirTotals) top(n int, skip map[string]bool) []string {
	d.settle()
	type cand struct {
		dir   string
		bytes int64
	}
	var cands []cand
	for dir, b := range d.bytes {
		if dir == "." || b == 0 || skip[dir] {
			continue
		}
		dominated := false
		for _, k := range d.kids[dir] {
			if abs(d.bytes[k])*10 >= abs(b)*9 {
				dominated = true
				break
			}
		}
		if !dominated {
			cands = append(cands, cand{dir, abs(b)})
		}
	}
	slices.SortFunc(cands, func(a, b cand) int {
		if a.bytes != b.bytes {
			return cmp.Compare(b.bytes, a.bytes)
		}
		return strings.Compare(a.dir, b.dir)
	})
	var out []string
	for _, c := range cands {
		if len(out) == n {
			break
		}
		overlaps := false
		for _, o := range out {
			if index.Under(c.dir, o) || index.Under(o, c.dir) {
				overlaps = true
				break
			}
		}
		if !overlaps {
			out = append(out, c.dir)
		}
	}
	return out
}

// mainStep is the step that wrote most of dir's bytes, -1 if none.
func (d *dirTotals) mainStep(dir string) int {
	d.settle()
	best, bestN := -1, int64(-1)
	for s, n := range d.steps[dir] {
		if n > bestN || (n == bestN && s < best) {
			best, bestN = s, n
		}
	}
	return best
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
