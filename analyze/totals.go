package analyze

import (
	"fmt"
	"sort"

	"github.com/dustin/go-humanize"

	"github.com/imgdiff/imgdiff/analyze/classify"
	"github.com/imgdiff/imgdiff/analyze/hygiene"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/analyze/rules"
	"github.com/imgdiff/imgdiff/layers/index"
)

// topFlaggedDirs is how many flagged directories a classification names.
const topFlaggedDirs = 10

// Classify puts every file of img's final filesystem in a category, with
// the rule and the evidence behind it (classify.Files), and sums the
// result per category, per step, per package and per directory, with the
// findings about the image as a whole and a one-line verdict. r nil means
// rules.Default().
//
// Classify changes neither img nor r. It does not redact: the pipeline
// runs hygiene.Redact on img first, so that no report prints the
// credential-like values the findings name.
func Classify(img *model.Image, r *rules.Rules) *model.Classification {
	c, graphFindings := classify.Files(img, r)
	var flagged []*dirTotals
	c.Totals, c.ByStep, flagged = categoryTotals(img, c.Flags)
	c.TopDirs = flaggedDirs(img, c.Flags, flagged)
	c.Findings = append(hygiene.Findings(img, c), graphFindings...)
	c.Verdict = verdict(img, c.Totals)
	return c
}

// categoryTotals sums bytes and files per category, for the image and per
// step, and each category's flagged bytes by directory, for flaggedDirs:
// one pass over the files for both. Directories count nowhere; unflagged
// files count as Other.
func categoryTotals(img *model.Image, flags []model.Flag) ([]model.CategoryTotal, []model.StepCategories, []*dirTotals) {
	newTotals := func() []model.CategoryTotal {
		t := make([]model.CategoryTotal, model.NumCategories)
		for i, cat := range model.Categories() {
			t[i].Category = cat
		}
		return t
	}
	totals := newTotals()
	bySteps := make([][]model.CategoryTotal, len(img.Steps)+1) // by step+1: stepOf may say -1
	flagged := make([]*dirTotals, model.NumCategories)
	for i := range img.FS.Files {
		f := &img.FS.Files[i]
		if f.Kind == index.Dir {
			continue
		}
		cat := flags[i].Category
		// Every flag's category is known: flags come from compiled rules,
		// and rules.Compile rejects an unknown category.
		k, _ := model.CategoryIndex(cat)
		step := img.StepOf(f.Layer)
		totals[k].Bytes += f.Bytes
		totals[k].Files++
		if bySteps[step+1] == nil {
			bySteps[step+1] = newTotals()
		}
		bySteps[step+1][k].Bytes += f.Bytes
		bySteps[step+1][k].Files++
		if cat == "" || cat == model.Other || f.Bytes == 0 {
			continue
		}
		if flagged[k] == nil {
			flagged[k] = newDirTotals()
		}
		flagged[k].add(f.Path, f.Bytes, step)
	}
	var out []model.StepCategories
	for s, st := range bySteps {
		if st == nil {
			continue
		}
		sc := model.StepCategories{Step: s - 1}
		for _, t := range st {
			if t.Files > 0 {
				sc.Totals = append(sc.Totals, t)
			}
		}
		out = append(out, sc)
	}
	return totals, out, flagged
}

// flaggedDirs names the directories where flagged bytes concentrate, per
// category (per: each category's flagged bytes by directory), the largest
// first.
func flaggedDirs(img *model.Image, flags []model.Flag, per []*dirTotals) []model.FlaggedDir {
	var out []model.FlaggedDir
	for k, cat := range model.Categories() {
		d := per[k]
		if d == nil {
			continue
		}
		for _, dir := range d.top(topFlaggedDirs, genericDirs) {
			out = append(out, model.FlaggedDir{Path: dir, Category: cat, Bytes: d.bytes[dir], Files: d.files[dir], Step: d.mainStep(dir)})
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Bytes != out[b].Bytes {
			return out[a].Bytes > out[b].Bytes
		}
		return out[a].Path < out[b].Path
	})
	if len(out) > topFlaggedDirs {
		out = out[:topFlaggedDirs]
	}
	// The most common evidence, by bytes, among each directory's files.
	for k := range out {
		d := &out[k]
		start, end := 0, len(img.FS.Files)
		if d.Path != "." {
			i, ok := img.FS.IndexOf(d.Path)
			if !ok {
				continue
			}
			start, end = i+1, img.FS.TreeEnd(i)
		}
		// Neighbours mostly share their evidence: sum runs, then add each
		// run to the map.
		ev := map[string]int64{}
		var run string
		var runBytes int64
		for i := start; i < end; i++ {
			if flags[i].Category != d.Category {
				continue
			}
			if e := flags[i].Evidence; e != run {
				if runBytes > 0 {
					ev[run] += runBytes
				}
				run, runBytes = e, 0
			}
			runBytes += img.FS.Files[i].Bytes + 1
		}
		if runBytes > 0 {
			ev[run] += runBytes
		}
		var best string
		var n int64 = -1
		for e, b := range ev {
			if b > n || b == n && e < best {
				best, n = e, b
			}
		}
		d.Evidence = best
	}
	return out
}

// genericDirs are directories that name no tool or cache: "usr: 284 MB of
// build tooling" says nothing that "usr/libexec/gcc: 120 MB" does not say
// better, so flagged directories are named below them.
var genericDirs = map[string]bool{
	"usr": true, "usr/local": true, "usr/lib": true, "usr/lib64": true, "usr/libexec": true, "usr/share": true,
	"usr/local/lib": true, "usr/local/share": true, "var": true, "var/lib": true, "var/cache": true,
	"opt": true, "root": true, "home": true, "lib": true, "lib64": true, "etc": true, "srv": true,
}

// verdictWords name the categories in the verdict.
var verdictWords = map[model.Category]string{
	model.BuildTool: "build tooling", model.Source: "sources", model.DevDependency: "dev dependencies", model.Cache: "caches",
	model.VCS: "version control data", model.Secret: "secrets",
}

// verdict is the one-line summary of what the image should not carry.
func verdict(img *model.Image, totals []model.CategoryTotal) string {
	var bad, rec int64
	var parts []string
	for _, t := range totals {
		switch t.Category {
		case model.Other, model.Docs:
			continue
		case model.Recommended:
			rec = t.Bytes
			continue
		}
		if t.Bytes > 0 {
			bad += t.Bytes
			parts = append(parts, verdictWords[t.Category])
		}
	}
	size := img.FS.Size()
	recs := ""
	if rec > 0 && size > 0 {
		recs = fmt.Sprintf("%s (%.0f%%) of packages apt installed as recommendations", humanize.Bytes(uint64(rec)), 100*float64(rec)/float64(size))
	}
	switch {
	case (bad == 0 || size == 0) && recs == "":
		return "nothing flagged: no build tools, sources, dev dependencies, caches, VCS data or secrets found"
	case bad == 0 || size == 0:
		return "no build tools, sources, dev dependencies, caches, VCS data or secrets found; " + recs
	}
	v := fmt.Sprintf("%s (%.0f%%) of this image is %s", humanize.Bytes(uint64(bad)), 100*float64(bad)/float64(size), model.JoinAnd(parts))
	if recs != "" {
		v += ", and " + recs
	}
	return v
}
