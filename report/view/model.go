package view

import (
	"fmt"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/model"
)

// Number is a count with thousands separators ("12,345").
func Number(n int) string { return humanize.Comma(int64(n)) }

// ZeroBlank is a size, blank when zero (a table cell with nothing in it).
func ZeroBlank(n int64) string {
	if n == 0 {
		return ""
	}
	return Human(n)
}

// SumFiles is the number of files the image's layers hold, all layers counted.
func SumFiles(img *model.Image) int {
	n := 0
	for _, l := range img.Layers {
		n += l.Files
	}
	return n
}

// flaggedCategories are the categories with flagged bytes, in report order
// (other is not flagged).
func flaggedCategories(c *model.Classification) []model.Category {
	if c == nil {
		return nil
	}
	var out []model.Category
	for _, cat := range model.Categories() {
		if cat != model.Other && CategoryTotal(c, cat) > 0 {
			out = append(out, cat)
		}
	}
	return out
}

// CategoryTotal is a classification's bytes in one category.
func CategoryTotal(c *model.Classification, cat model.Category) int64 {
	if c == nil {
		return 0
	}
	for _, t := range c.Totals {
		if t.Category == cat {
			return t.Bytes
		}
	}
	return 0
}

func flaggedByStep(c *model.Classification) map[int]map[model.Category]int64 {
	m := map[int]map[model.Category]int64{}
	if c == nil {
		return m
	}
	for _, s := range c.ByStep {
		m[s.Step] = map[model.Category]int64{}
		for _, t := range s.Totals {
			m[s.Step][t.Category] += t.Bytes
		}
	}
	return m
}

// flaggedPackages are the packages that carry a category, largest first as
// the model keeps them.
func flaggedPackages(ps []model.Package) []model.Package {
	var out []model.Package
	for _, p := range ps {
		if p.Category != "" && p.Category != model.Other {
			out = append(out, p)
		}
	}
	return out
}

// FindingEvidence is a finding's title with what proves it.
func FindingEvidence(f model.Finding) string {
	parts := []string{f.Title}
	if f.Detail != "" {
		parts = append(parts, f.Detail)
	}
	if f.Path != "" {
		parts = append(parts, "path "+VisiblePath(f.Path))
	}
	if f.Bytes != 0 {
		parts = append(parts, Both(f.Bytes))
	}
	return OneLine(strings.Join(parts, "; "))
}

// ExactBytes is Exact without its unit ("412,345,678").
func ExactBytes(n int64) string { return strings.TrimSuffix(Exact(n), " bytes") }

// BaseText says what an image's base is and where that was found: "debian:12,
// 1 layer, 117 MB (from heuristic docker import: Imported from -)".
func BaseText(b *model.BaseImage) string {
	how := b.Source
	if b.Source == "heuristic" {
		how += " " + b.Heuristic
	}
	if b.Evidence != "" {
		how += ": " + b.Evidence
	}
	if b.Steps == 0 {
		if b.Source == "none" || b.Source == "" {
			return "none found"
		}
		return "none (from " + how + ")"
	}
	out := CountNoun(b.Layers, "layer") + ", " + Human(b.Size)
	if b.Name != "" {
		out = b.Name + ", " + out
	}
	return out + " (from " + how + ")"
}

// MovedExample names the largest move: ", e.g. usr/local/bin/app → app".
func MovedExample(m *analyze.MovedFiles) string {
	if len(m.Top) == 0 {
		return ""
	}
	return ", e.g. " + VisiblePath(m.Top[0].From) + " → " + VisiblePath(m.Top[0].To)
}

// StepCategories lists a step's bytes by category: "build-tool 31 MB, cache 28 MB".
func StepCategories(ts []model.CategoryTotal) string {
	s := ""
	for i, x := range ts {
		if i > 0 {
			s += ", "
		}
		s += CategoryName(x.Category) + " " + Human(x.Bytes)
	}
	return s
}

// SignedBlank is a one-sided amount ("−62 MB"), blank when zero.
func SignedBlank(sign string, n int64) string {
	if n == 0 {
		return ""
	}
	return sign + Human(n)
}

// FileListTitle counts a file list: "Only in A: 11 paths, 63 MB"; for
// changed paths the bytes are the sum of the size changes.
func FileListTitle(title string, l analyze.FileList) string {
	what := Human(l.Bytes)
	if title == ChangedTitle {
		what += " of size changes"
	}
	return fmt.Sprintf("%s: %s, %s", title, CountNoun(l.Count, "path"), what)
}

// ChangedTitle names the list of paths whose size changed.
const ChangedTitle = "Changed"

// CategoryIn is the bytes of one category in a list of totals.
func CategoryIn(ts []model.CategoryTotal, cat model.Category) int64 {
	for _, x := range ts {
		if x.Category == cat {
			return x.Bytes
		}
	}
	return 0
}

// Plural is noun, with an s unless n is 1 (and "" stays "").
func Plural(n int, noun string) string {
	if n == 1 || noun == "" {
		return noun
	}
	return noun + "s"
}

// CategoryOrBlank is CategoryName, blank for an image not classified.
func CategoryOrBlank(c model.Category, classified bool) string {
	if !classified {
		return ""
	}
	return CategoryName(c)
}

// BudgetStatus is a headline's budget part in a format's words: pass and
// fail are formats of two numbers (the rules passed or failed, of how
// many); "" when no budget was checked.
func BudgetStatus(r *model.BudgetReport, pass, fail string) string {
	switch {
	case r == nil:
		return ""
	case r.Pass:
		return fmt.Sprintf(pass, len(r.Checks), len(r.Checks))
	}
	return fmt.Sprintf(fail, len(r.Failed()), len(r.Checks))
}
