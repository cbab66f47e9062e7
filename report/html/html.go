// Package html renders the analyze and compare reports as one
// self-contained HTML page: a zoomable treemap of the bytes (coloured by
// category or by the instruction that wrote them), bars per instruction,
// the flagged packages, the findings (the Dockerfile's on their lines),
// budgets and verdict; for compare, the base term's source and the other
// term's groups, treemaps of what A
// carries that B does not (ΔS) and of what B adds (ε), a waterfall from
// size(A) to size(B) and the shared layers. It owns the page and the data
// the page draws: the figures come from the analyze model, and the
// per-file tree is derived here from the final filesystems and their
// classifications.
//
// Everything is inlined (the vendored d3-hierarchy, the page's script and
// style, the data as JSON in a <script type="application/json"> with <, >
// and & escaped by encoding/json): the page makes no network request.
package html

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/dockerfile"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
	"github.com/imgdiff/imgdiff/report/view"
)

var (
	//go:embed assets/d3-hierarchy.min.js
	d3Hierarchy string
	//go:embed assets/d3-hierarchy.LICENSE
	d3License string
	//go:embed assets/page.js
	pageJS string
	//go:embed assets/page.css
	pageCSS string
)

// hiddenCategory names the bytes a layer carries that a later layer
// deleted or overwrote (the "hidden" term of the decomposition); in the
// compare trees it comes after model.Categories().
const hiddenCategory = analyze.HiddenTerm

// hiddenDir is the top directory of the compare trees under which the
// hidden files are listed by path.
const hiddenDir = "(hidden by later layers)"

// imageInfo is what the page says of an image.
type imageInfo struct {
	Ref            string `json:"ref"`
	Transport      string `json:"transport,omitempty"`
	Platform       string `json:"platform"`
	Digest         string `json:"digest,omitempty"`
	Size           int64  `json:"size"`
	CompressedSize int64  `json:"compressedSize"`
	Wasted         int64  `json:"wasted"`
	Files          int    `json:"files"`
	Layers         int    `json:"layers"`
	// Base is the image's base and where it was found (a comparison's
	// images carry the base the comparison used).
	Base *model.BaseImage `json:"base,omitempty"`
}

func infoOf(img *model.Image) imageInfo {
	return imageInfo{Ref: img.Ref, Transport: img.Transport, Platform: img.Platform, Digest: img.Digest,
		Size: img.Size, CompressedSize: img.CompressedSize, Wasted: img.Wasted, Files: img.Files, Layers: len(img.Layers),
		Base: img.Base}
}

// flaggedPackages are the packages a category claims, as the Markdown
// report lists them (largest first, as the classification orders them).
func flaggedPackages(c *model.Classification) []model.Package {
	if c == nil {
		return nil
	}
	var out []model.Package
	for _, p := range c.Packages {
		if p.Category != "" && p.Category != model.Other {
			out = append(out, p)
		}
	}
	return out
}

// dockerfileInfo is what the page shows of a Dockerfile mapping: where
// it came from and the checks' findings on their lines.
type dockerfileInfo struct {
	Source   string               `json:"source"`
	File     string               `json:"file"`
	Mapped   int                  `json:"mapped"`
	Total    int                  `json:"total"`
	Findings []dockerfile.Finding `json:"findings,omitempty"`
}

func dockerfileOf(r *analyze.DockerfileReport) *dockerfileInfo {
	if r == nil {
		return nil
	}
	return &dockerfileInfo{Source: r.Source, File: r.File, Mapped: r.Mapped, Total: r.Total, Findings: r.Findings}
}

// step is one history step as the bars and tooltips show it.
type step struct {
	Index       int    `json:"i"`
	Instruction string `json:"instruction"`
	Layer       int    `json:"layer"`
	Size        int64  `json:"size"`
	Compressed  int64  `json:"compressed"`
	Final       int64  `json:"final"`
	Hidden      int64  `json:"hidden"`
	Files       int    `json:"files"`
	// Flagged is the step's surviving bytes by category (other excluded).
	Flagged map[string]int64 `json:"flagged,omitempty"`
	// Line is where in the Dockerfile the step comes from
	// ("Dockerfile:12-14 (build)"), when a Dockerfile or provenance
	// mapping is known; the page shows it when set.
	Line string `json:"line,omitempty"`
}

func stepsOf(img *model.Image, c *model.Classification, df *analyze.DockerfileReport) []step {
	flagged := map[int]map[string]int64{}
	if c != nil {
		for _, sc := range c.ByStep {
			for _, t := range sc.Totals {
				if t.Category == model.Other || t.Category == "" || t.Bytes == 0 {
					continue
				}
				if flagged[sc.Step] == nil {
					flagged[sc.Step] = map[string]int64{}
				}
				flagged[sc.Step][string(t.Category)] += t.Bytes
			}
		}
	}
	out := make([]step, len(img.Steps))
	for i, s := range img.Steps {
		out[i] = step{Index: s.Index, Instruction: s.Instruction.String(), Layer: s.Layer, Size: s.Size,
			Compressed: s.CompressedSize, Final: s.Final, Hidden: s.Hidden, Files: s.Files, Flagged: flagged[s.Index]}
		if df != nil {
			out[i].Line = df.Location(s.Index) // "" when the step is not mapped
		}
	}
	return out
}

// analyzePage is the data of the analyze view.
type analyzePage struct {
	Kind       string                `json:"kind"`
	Categories []string              `json:"categories"`
	Evidence   []string              `json:"evidence"`
	Image      imageInfo             `json:"image"`
	Steps      []step                `json:"steps"`
	Tree       *tnode                `json:"tree"`
	Totals     []model.CategoryTotal `json:"totals,omitempty"`
	Verdict    string                `json:"verdict,omitempty"`
	Findings   []model.Finding       `json:"findings,omitempty"`
	// Packages are the flagged packages; Dockerfile the mapping's
	// findings, when a Dockerfile was mapped.
	Packages   []model.Package     `json:"packages,omitempty"`
	Dockerfile *dockerfileInfo     `json:"dockerfile,omitempty"`
	Budgets    *model.BudgetReport `json:"budgets,omitempty"`
	Warnings   []string            `json:"warnings,omitempty"`
}

// comparePage is the data of the compare view.
type comparePage struct {
	Kind          string                `json:"kind"`
	Categories    []string              `json:"categories"`
	Evidence      []string              `json:"evidence"`
	A             imageInfo             `json:"a"`
	B             imageInfo             `json:"b"`
	StepsA        []step                `json:"stepsA"`
	StepsB        []step                `json:"stepsB"`
	Saved         *tnode                `json:"saved"`
	Added         *tnode                `json:"added"`
	Waterfall     []bar                 `json:"waterfall"`
	Delta         analyze.Delta         `json:"delta"`
	Decomposition analyze.Decomposition `json:"decomposition"`
	Shared        analyze.Shared        `json:"shared"`
	Layers        []layerRow            `json:"layers"`
	Identical     bool                  `json:"identical"`
	Budgets       *model.BudgetReport   `json:"budgets,omitempty"`
	Warnings      []string              `json:"warnings,omitempty"`
}

// bar is one bar of the waterfall: a total (size(A), size(B)) or a term
// that takes Bytes off the running size (negative Bytes add to it).
type bar struct {
	Label string `json:"label"`
	// Kind is "total", "term" (a ΔS term, by A's category or hidden) or
	// "epsilon" (a part of what B adds).
	Kind  string `json:"kind"`
	Bytes int64  `json:"bytes"`
	Files int    `json:"files,omitempty"`
}

// layerRow is a layer of A or B, with whether the other image has it.
type layerRow struct {
	Side       string `json:"side"`
	Index      int    `json:"index"`
	DiffID     string `json:"diffID"`
	Size       int64  `json:"size"`
	Compressed int64  `json:"compressed"`
	Shared     bool   `json:"shared"`
	Step       string `json:"step"`
}

func categoryNames(withHidden bool) []string {
	var out []string
	for _, c := range model.Categories() {
		out = append(out, string(c))
	}
	if withHidden {
		out = append(out, hiddenCategory)
	}
	return out
}

func catIndex(c model.Category) int {
	if c == "" {
		c = model.Other
	}
	for i, x := range model.Categories() {
		if x == c {
			return i
		}
	}
	return len(model.Categories()) - 1
}

// flagOf is file i's flag, the zero Flag when unclassified.
func flagOf(c *model.Classification, i int) model.Flag {
	if c == nil || i >= c.Flags.Len() {
		return model.Flag{}
	}
	return c.Flags.At(i)
}

func stepOf(img *model.Image, layer int) int {
	if layer < 0 || layer >= len(img.Layers) {
		return -1
	}
	return img.Layers[layer].Step
}

// WriteAnalysis writes the analyze report of one image as an HTML page.
func WriteAnalysis(w io.Writer, v *view.Analysis) error {
	if v == nil || v.Image == nil || v.Image.FS == nil {
		return errors.New("html: analysis has no image filesystem")
	}
	a := v.Analysis
	img, c := a.Image, a.Classification
	var ev interner
	// Counted first: sized for every file, the list would take 48 bytes
	// a file of an image of millions of empty ones.
	n := 0
	for i := range img.FS.Len() {
		if img.FS.Kind(i) != index.Dir && img.FS.Bytes(i) > 0 {
			n++
		}
	}
	leaves := make([]leaf, 0, n)
	for i, f := range img.FS.All() {
		if f.Kind == index.Dir || f.Bytes <= 0 {
			continue
		}
		fl := flagOf(c, i)
		leaves = append(leaves, leaf{path: f.Path, bytes: f.Bytes, cat: catIndex(fl.Category), step: stepOf(img, f.Layer), evidence: ev.id(fl.Evidence)})
	}
	p := analyzePage{
		Kind: "analyze", Categories: categoryNames(false), Image: infoOf(img), Steps: stepsOf(img, c, a.Dockerfile),
		Tree: buildTree("/", leaves), Budgets: a.Budgets, Warnings: img.Warnings,
	}
	if c != nil {
		p.Totals, p.Verdict, p.Findings = c.Totals, c.Verdict, c.Findings
	}
	p.Packages, p.Dockerfile = flaggedPackages(c), dockerfileOf(a.Dockerfile)
	p.Evidence = ev.list
	return writePage(w, "imgdiff analyze "+img.Ref, p)
}

// WriteComparison writes the compare report as an HTML page. The view's
// ClassA and ClassB are the classifications of A and B (the per-file
// categories of the treemaps); either may be nil, and then its bytes are
// "other", as in analyze.Compare.
func WriteComparison(w io.Writer, v *view.Comparison) error {
	if v == nil || v.A == nil || v.B == nil || v.A.FS == nil || v.B.FS == nil {
		return errors.New("html: comparison is missing an image filesystem")
	}
	c, ca, cb := v.Comparison, v.ClassA, v.ClassB
	var ev interner
	saved, added := diffLeaves(c.A, c.B, ca, cb, &ev)
	p := comparePage{
		Kind: "compare", Categories: categoryNames(true),
		A: infoOf(c.A), B: infoOf(c.B), StepsA: stepsOf(c.A, ca, c.DockerfileA), StepsB: stepsOf(c.B, cb, c.DockerfileB),
		Saved: buildTree("/", saved), Added: buildTree("/", added),
		Waterfall: waterfall(c), Delta: c.Delta, Decomposition: c.Decomposition, Shared: c.Shared,
		Layers: layerRows(c), Identical: c.Identical, Budgets: c.Budgets, Warnings: c.Warnings,
	}
	p.Evidence = ev.list
	return writePage(w, fmt.Sprintf("imgdiff compare %s %s", c.A.Ref, c.B.Ref), p)
}

// diffLeaves splits the difference file by file, as analyze.Compare
// does: saved holds the bytes of A's final files that B lacks or holds
// fewer of (by A's category) plus A's hidden files; added holds the bytes
// of B's files that A lacks or holds fewer of (by B's category) plus B's
// hidden files. Their totals are Σ terms and ε of the decomposition.
func diffLeaves(a, b *model.Image, ca, cb *model.Classification, ev *interner) (saved, added []leaf) {
	inB := make(map[string]int, b.FS.Len())
	for j, f := range b.FS.All() {
		inB[f.Path] = j
	}
	inA := make(map[string]bool, a.FS.Len())
	for i, fa := range a.FS.All() {
		inA[fa.Path] = true
		j, ok := inB[fa.Path]
		var bBytes int64
		if ok {
			bBytes = b.FS.At(j).Bytes
		}
		switch d := fa.Bytes - bBytes; {
		case d > 0:
			fl := flagOf(ca, i)
			saved = append(saved, leaf{path: fa.Path, bytes: d, cat: catIndex(fl.Category), step: stepOf(a, fa.Layer), evidence: ev.id(fl.Evidence)})
		case d < 0:
			fl := flagOf(cb, j)
			added = append(added, leaf{path: fa.Path, bytes: -d, cat: catIndex(fl.Category), step: stepOf(b, b.FS.At(j).Layer), evidence: ev.id(fl.Evidence)})
		}
	}
	for j, fb := range b.FS.All() {
		if inA[fb.Path] || fb.Bytes <= 0 {
			continue
		}
		fl := flagOf(cb, j)
		added = append(added, leaf{path: fb.Path, bytes: fb.Bytes, cat: catIndex(fl.Category), step: stepOf(b, fb.Layer), evidence: ev.id(fl.Evidence)})
	}
	hidden := func(img *model.Image) []leaf {
		var out []leaf
		for _, h := range img.Hidden {
			out = append(out, leaf{path: hiddenDir + "/" + h.Path, bytes: h.Size, cat: len(model.Categories()),
				step: stepOf(img, h.Layer), evidence: ev.id(fmt.Sprintf("%s by step %d", h.How, stepOf(img, h.By)))})
		}
		return out
	}
	return append(saved, hidden(a)...), append(added, hidden(b)...)
}

// waterfall goes from size(A) to size(B): minus each ΔS term, plus each
// part of ε. The terms are the model's, so the bars add up to ΔS exactly.
func waterfall(c *analyze.Comparison) []bar {
	out := []bar{{Label: "size(A)", Kind: "total", Bytes: c.A.Size}}
	for _, t := range c.Decomposition.Terms {
		out = append(out, bar{Label: t.Name, Kind: "term", Bytes: t.Bytes, Files: t.Files})
	}
	e := c.Decomposition.EpsilonParts
	for _, p := range []struct {
		label string
		n     int64
	}{{"only in B", e.OnlyB}, {"grown in B", e.GrownB}, {"hidden in B", e.HiddenB}} {
		if p.n != 0 {
			out = append(out, bar{Label: p.label, Kind: "epsilon", Bytes: -p.n})
		}
	}
	return append(out, bar{Label: "size(B)", Kind: "total", Bytes: c.B.Size})
}

func layerRows(c *analyze.Comparison) []layerRow {
	// Shared means shown to be the same bytes (the walk's identity), as
	// the comparison counts it; a claimed diffID proves nothing.
	ids := func(img *model.Image) map[string]bool {
		m := map[string]bool{}
		for _, l := range img.Layers {
			if l.Identity != "" {
				m[l.Identity] = true
			}
		}
		return m
	}
	inA, inB := ids(c.A), ids(c.B)
	var out []layerRow
	add := func(side string, img *model.Image, other map[string]bool) {
		for _, l := range img.Layers {
			r := layerRow{Side: side, Index: l.Index, DiffID: l.DiffID, Size: l.Size, Compressed: l.CompressedSize, Shared: l.Identity != "" && other[l.Identity]}
			if l.Step >= 0 && l.Step < len(img.Steps) {
				r.Step = img.Steps[l.Step].Instruction.String()
			}
			out = append(out, r)
		}
	}
	add("A", c.A, inB)
	add("B", c.B, inA)
	return out
}

// writePage writes the page: style, data, d3-hierarchy and the page's
// script, all inline.
func writePage(w io.Writer, title string, data any) error {
	js, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("html: encoding the report data: %w", err)
	}
	var b strings.Builder
	b.Grow(len(js) + len(d3Hierarchy) + len(pageJS) + len(pageCSS) + 2048)
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>")
	b.WriteString(html.EscapeString(title))
	b.WriteString("</title>\n<style>\n")
	b.WriteString(pageCSS)
	b.WriteString("</style>\n</head>\n<body>\n<main id=\"app\"></main>\n<div id=\"tip\" hidden></div>\n")
	b.WriteString("<script type=\"application/json\" id=\"data\">")
	b.Write(js)
	b.WriteString("</script>\n<script>\n/*\nd3-hierarchy (https://d3js.org/d3-hierarchy/), vendored under its licence:\n")
	b.WriteString(strings.ReplaceAll(d3License, "*/", "* /"))
	b.WriteString("*/\n")
	b.WriteString(d3Hierarchy)
	b.WriteString("\n</script>\n<script>\n")
	b.WriteString(pageJS)
	b.WriteString("</script>\n</body>\n</html>\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("writing the html report: %w", err)
	}
	return nil
}
