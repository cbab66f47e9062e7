package explain

import (
	"path"
	"sort"
)

// File is a file present in one image only, for Moves.
type File struct {
	Path string
	Size int64
	// Digest is the content digest when the bytes were read, else "".
	Digest string
}

// Move is a file only in A and a file only in B that are the same file:
// same size and base name, and the same digest when both are known.
type Move struct {
	From, To string
	Size     int64
	// Digest is set when both sides' digests were known (and equal).
	Digest string
}

// Moves pairs the files only in A with the files only in B that are the
// same file moved: same base name and size (> 0), and the same digest when
// both digests are known. Of several candidates, pairs whose digests
// match come first, then paths in order, so the answer is deterministic.
// It returns the moves, by path in A, and for each side whether each file
// was paired.
func Moves(onlyA, onlyB []File) (moves []Move, movedA, movedB []bool) {
	type key struct {
		name string
		size int64
	}
	byKey := map[key][]int{} // B's files by base name and size, in path order
	order := make([]int, len(onlyB))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return onlyB[order[a]].Path < onlyB[order[b]].Path })
	for _, i := range order {
		f := onlyB[i]
		if f.Size > 0 {
			k := key{path.Base(f.Path), f.Size}
			byKey[k] = append(byKey[k], i)
		}
	}
	movedA, movedB = make([]bool, len(onlyA)), make([]bool, len(onlyB))
	orderA := make([]int, len(onlyA))
	for i := range orderA {
		orderA[i] = i
	}
	sort.SliceStable(orderA, func(a, b int) bool { return onlyA[orderA[a]].Path < onlyA[orderA[b]].Path })
	// Two passes: digest-confirmed pairs first, then the rest, so that a
	// file with a known twin is not taken by a namesake.
	for pass := 0; pass < 2; pass++ {
		for _, i := range orderA {
			a := onlyA[i]
			if movedA[i] || a.Size <= 0 {
				continue
			}
			for _, j := range byKey[key{path.Base(a.Path), a.Size}] {
				b := onlyB[j]
				if movedB[j] {
					continue
				}
				known := a.Digest != "" && b.Digest != ""
				if known && a.Digest != b.Digest || pass == 0 && !known {
					continue
				}
				m := Move{From: a.Path, To: b.Path, Size: a.Size}
				if known {
					m.Digest = a.Digest
				}
				moves = append(moves, m)
				movedA[i], movedB[j] = true, true
				break
			}
		}
	}
	sort.Slice(moves, func(x, y int) bool { return moves[x].From < moves[y].From })
	return moves, movedA, movedB
}
