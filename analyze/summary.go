package analyze

import (
	"sort"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// Analysis is the report of `imgdiff analyze`: one image, every byte
// attributed, and what it should not carry. It is the JSON model.
type Analysis struct {
	SchemaVersion  int                   `json:"schemaVersion"`
	Kind           string                `json:"kind"`
	Image          *model.Image          `json:"image"`
	TopDirs        []DirUsage            `json:"topDirs"`
	TopFiles       []FileUsage           `json:"topFiles"`
	Classification *model.Classification `json:"classification,omitempty"`
	// Budgets is set when budgets were checked.
	Budgets *model.BudgetReport `json:"budgets,omitempty"`
	// Dockerfile is set when a Dockerfile (or the image's provenance)
	// mapped the steps to their lines.
	Dockerfile *DockerfileReport `json:"dockerfile,omitempty"`
}

// DirUsage is a directory of the final filesystem and what it holds.
type DirUsage struct {
	Path  string `json:"path"`
	Bytes int64  `json:"bytes"`
	Files int    `json:"files"`
	// Step wrote most of its bytes.
	Step int `json:"step"`
}

// FileUsage is a file of the final filesystem.
type FileUsage struct {
	Path     string         `json:"path"`
	Bytes    int64          `json:"bytes"`
	Step     int            `json:"step"`
	Category model.Category `json:"category,omitempty"`
}

// Summarize builds the analyze report: the image, its top n directories
// and files, and its classification (nil when not classified).
func Summarize(img *model.Image, c *model.Classification, n int) *Analysis {
	a := &Analysis{SchemaVersion: model.SchemaVersion, Kind: "analyze", Image: img, Classification: c}

	dirs := newDirTotals()
	files := make([]int, 0, len(img.FS.Files))
	for i, f := range img.FS.Files {
		if f.Kind == index.Dir || f.Bytes == 0 {
			continue
		}
		dirs.add(f.Path, f.Bytes, img.StepOf(f.Layer))
		files = append(files, i)
	}
	for _, d := range dirs.top(n, nil) {
		a.TopDirs = append(a.TopDirs, DirUsage{Path: d, Bytes: dirs.bytes[d], Files: dirs.files[d], Step: dirs.mainStep(d)})
	}

	larger := func(i, j int) bool {
		fi, fj := &img.FS.Files[i], &img.FS.Files[j]
		if fi.Bytes != fj.Bytes {
			return fi.Bytes > fj.Bytes
		}
		return fi.Path < fj.Path
	}
	for _, i := range topN(files, n, larger) {
		f := img.FS.Files[i]
		u := FileUsage{Path: f.Path, Bytes: f.Bytes, Step: img.StepOf(f.Layer)}
		if c != nil && i < len(c.Flags) {
			u.Category = c.Flags[i].Category
		}
		a.TopFiles = append(a.TopFiles, u)
	}
	return a
}

// topN returns the first n of xs in the order of less, sorted. It keeps
// only n candidates, so it costs O(len(xs)·n) at worst and about
// O(len(xs)) on real data, instead of sorting every file of the image.
func topN(xs []int, n int, less func(a, b int) bool) []int {
	if n <= 0 {
		return nil
	}
	top := make([]int, 0, n+1)
	for _, x := range xs {
		if len(top) == n && !less(x, top[n-1]) {
			continue
		}
		i := sort.Search(len(top), func(k int) bool { return less(x, top[k]) })
		top = append(top, 0)
		copy(top[i+1:], top[i:])
		top[i] = x
		if len(top) > n {
			top = top[:n]
		}
	}
	return top
}
