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
}

func newDirTotals() *dirTotals {
	return &dirTotals{bytes: map[string]int64{}, files: map[string]int{}, kids: map[string][]string{}, steps: map[string]map[int]int64{}}
}

// add credits n bytes of the file at canonical path p, written by step, to
// every directory above it.
func (d *dirTotals) add(p string, n int64, step int) {
	for dir := index.Parent(p); ; dir = index.Parent(dir) {
		if _, seen := d.bytes[dir]; !seen && dir != "." {
			parent := index.Parent(dir)
			d.kids[parent] = append(d.kids[parent], dir)
		}
		d.bytes[dir] += n
		d.files[dir]++
		if d.steps[dir] == nil {
			d.steps[dir] = map[int]int64{}
		}
		d.steps[dir][step] += abs(n)
		if dir == "." {
			return
		}
	}
}

// top returns up to n directories that best explain the bytes: a directory
// is a candidate when no single child holds 90% or more of its bytes (else
// the child says more), and no listed directory contains another.
func (d *dirTotals) top(n int) []string {
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
