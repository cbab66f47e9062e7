package analyze

import (
	"sort"

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
	// come sorted by path, so siblings arrive together): crediting the
	// ancestors once per run instead of once per file is most of the cost
	// saved on large images. Flushed before any figure is read.
	run dirRun
}

type dirRun struct {
	dir         string
	step, files int
	bytes, abs  int64
}

func newDirTotals() *dirTotals {
	return &dirTotals{bytes: map[string]int64{}, files: map[string]int{}, kids: map[string][]string{}, steps: map[string]map[int]int64{}}
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

// flush credits the pending run to its directory and every ancestor.
func (d *dirTotals) flush() {
	r := d.run
	if r.files == 0 {
		return
	}
	d.run = dirRun{}
	for dir := r.dir; ; dir = index.Parent(dir) {
		if _, seen := d.bytes[dir]; !seen && dir != "." {
			parent := index.Parent(dir)
			d.kids[parent] = append(d.kids[parent], dir)
		}
		d.bytes[dir] += r.bytes
		d.files[dir] += r.files
		if d.steps[dir] == nil {
			d.steps[dir] = map[int]int64{}
		}
		d.steps[dir][r.step] += r.abs
		if dir == "." {
			return
		}
	}
}

// top returns up to n directories that best explain the bytes: a directory
// is a candidate when no single child holds 90% or more of its bytes (else
// the child says more), and no listed directory contains another.
func (d *dirTotals) top(n int) []string {
	d.flush()
	var cands []string
	for dir, b := range d.bytes {
		if dir == "." || b == 0 {
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
			cands = append(cands, dir)
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		bi, bj := abs(d.bytes[cands[i]]), abs(d.bytes[cands[j]])
		if bi != bj {
			return bi > bj
		}
		return cands[i] < cands[j]
	})
	var out []string
	for _, c := range cands {
		if len(out) == n {
			break
		}
		overlaps := false
		for _, o := range out {
			if index.Under(c, o) || index.Under(o, c) {
				overlaps = true
				break
			}
		}
		if !overlaps {
			out = append(out, c)
		}
	}
	return out
}

// mainStep is the step that wrote most of dir's bytes, -1 if none.
func (d *dirTotals) mainStep(dir string) int {
	d.flush()
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

// stepOf maps a file's layer to the step that made it.
func (img *Image) stepOf(layer int) int {
	if layer < 0 || layer >= len(img.Layers) {
		return -1
	}
	return img.Layers[layer].Step
}
