package report

import (
	"fmt"
	"io"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/model"
)

// writeAnalysisMarkdown renders one image as a pull-request comment.
func writeAnalysisMarkdown(w io.Writer, a *analyze.Analysis, o Options) error {
	img := a.Image
	d := &mdDoc{}
	d.text("%s", marker(img.Ref, img.Platform))
	compressed := ""
	if img.CompressedSize >= 0 {
		compressed = ", " + human(img.CompressedSize) + " compressed"
	}
	d.text("**imgdiff** · %s (%s): %s content%s, %s%s\n",
		mdSpan(oneLine(img.Ref)), mdText(img.Platform), human(img.Size), compressed, countNoun(len(img.Layers), "layer"), budgetStatus(a.Budgets))

	t := d.add(mdTable("", "Value"))
	t.row("Image", mdCode(oneLine(img.Ref))+" ("+mdText(img.Transport)+")")
	if img.Snapshot != nil {
		t.row("Snapshot", snapshotMarkdown(img.Snapshot))
	}
	t.row("Platform", mdText(img.Platform))
	if img.Digest != "" {
		t.row("Digest", mdCode(img.Digest))
	}
	t.row("User", mdCode(userOf(img.Config.User)))
	t.row("Entrypoint", mdCode(oneLine(configList(img.Config.Entrypoint))))
	t.row("Cmd", mdCode(oneLine(configList(img.Config.Cmd))))
	if img.Base != nil {
		t.row("Base", mdText(oneLine(baseText(img.Base))))
	}
	t.row("Content size", mdText(both(img.Size)))
	t.row("Compressed size", mdText(knownBoth(img.CompressedSize)))
	t.row("Wasted (deleted or overwritten later)", mdText(both(img.Wasted)+", "+percent(img.Wasted, img.Size)+" of content"))
	t.row("Files", mdText(humanizeInt(img.Files)))

	budgetMarkdown(d, a.Budgets)

	if c := a.Classification; c != nil {
		d.text("\n### What the bytes are\n")
		if c.Verdict != "" {
			d.text("\n%s\n", mdText(c.Verdict))
		}
		ct := d.add(mdTable("Category", ">Content", ">Bytes", ">% image", ">Files"))
		var slices []pieSlice
		for _, x := range c.Totals {
			if x.Bytes == 0 && x.Files == 0 {
				continue
			}
			ct.row(mdText(categoryName(x.Category)), human(x.Bytes), exactBytes(x.Bytes), percent(x.Bytes, img.Size), humanizeInt(x.Files))
			slices = append(slices, pieSlice{categoryName(x.Category), x.Bytes})
		}
		d.text("%s", mermaidPie("Content by category", slices))
		if len(c.Findings) > 0 {
			d.text("\n### Findings\n")
			ft := d.add(mdTable("Severity", "ID", "Step", "Evidence"))
			ft.noun = "finding"
			for _, f := range c.Findings {
				ft.row(mdText(string(f.Severity)), mdCode(f.ID), mdInstr(stepLabel(img, f.Step, 100)), mdText(findingEvidence(f)))
			}
		}
	} else {
		d.text("%s", mermaidPie("Content by instruction", stepSlices(img)))
	}

	flagged := flaggedByStep(a.Classification)
	cats := flaggedCategories(a.Classification)
	cols := []string{">Step", "Instruction", ">Content", ">Compressed", ">% image", ">Files", ">Hidden later"}
	for _, c := range cats {
		cols = append(cols, ">"+string(c))
	}
	st := d.add(details(fmt.Sprintf("Per instruction (%s)", countNoun(len(img.Layers), "layer")), mdTable(cols...)))
	st.noun = "step"
	for _, s := range img.Steps {
		if s.Layer < 0 {
			continue
		}
		cells := []string{fmt.Sprint(s.Index), mdInstr(s.Instruction.String()), human(s.Size), knownHuman(s.CompressedSize), percent(s.Size, img.Size), humanizeInt(s.Files), zeroBlank(s.Hidden)}
		for _, c := range cats {
			cells = append(cells, zeroBlank(flagged[s.Index][c]))
		}
		st.row(cells...)
	}
	total := []string{"", "**total**", "**" + human(img.Size) + "**", knownHuman(img.CompressedSize), percent(img.Size, img.Size), humanizeInt(sumFiles(img)), zeroBlank(img.Wasted)}
	for _, c := range cats {
		total = append(total, zeroBlank(categoryTotal(a.Classification, c)))
	}
	// The total row stays whatever rows are cut.
	st.foot = "| " + joinCells(total) + " |\n"

	if c := a.Classification; c != nil {
		if pk := flaggedPackages(c.Packages); len(pk) > 0 {
			pt := d.add(details(fmt.Sprintf("Flagged packages (%d)", len(pk)), mdTable("Package", "Category", ">Content", ">Files", "Installed by")))
			pt.noun = "package"
			for _, p := range pk {
				pt.row(mdCode(oneLine(p.Name))+" ("+mdText(p.Manager)+")", mdText(categoryName(p.Category)), human(p.Bytes), humanizeInt(p.Files), mdInstr(stepLabel(img, p.Step, 100)))
			}
		}
		if len(c.TopDirs) > 0 {
			ft := d.add(details("Flagged directories", mdTable("Directory", "Category", ">Content", ">Files", "Written by", "Evidence")))
			ft.noun = "directory"
			for _, x := range c.TopDirs {
				ft.row(mdPath(x.Path), mdText(categoryName(x.Category)), human(x.Bytes), humanizeInt(x.Files), mdInstr(stepLabel(img, x.Step, 100)), mdText(x.Evidence))
			}
		}
	}
	if len(a.TopDirs) > 0 {
		dt := d.add(details("Largest directories", mdTable("Directory", ">Content", ">% image", ">Files", "Written by (most bytes)")))
		dt.noun = "directory"
		for _, x := range a.TopDirs {
			dt.row(mdPath(x.Path), human(x.Bytes), percent(x.Bytes, img.Size), humanizeInt(x.Files), mdInstr(stepLabel(img, x.Step, 100)))
		}
	}
	if len(a.TopFiles) > 0 {
		ft := d.add(details("Largest files", mdTable("File", ">Content", "Category", "Written by")))
		ft.noun = "file"
		for _, x := range a.TopFiles {
			ft.row(mdPath(x.Path), human(x.Bytes), mdText(categoryOrBlank(x.Category, a.Classification != nil)), mdInstr(stepLabel(img, x.Step, 100)))
		}
	}
	dockerfileMarkdown(d, "Dockerfile", img, a.Dockerfile, evidenceByLine(a), o)
	warningsMarkdown(d, img.Warnings)
	sizesFooter(d)
	return d.write(w, o.maxChars())
}

func joinCells(cells []string) string {
	s := ""
	for i, c := range cells {
		if i > 0 {
			s += " | "
		}
		s += c
	}
	return s
}

// stepSlices are the largest steps of an unclassified image, the rest
// summed, for the pie chart.
func stepSlices(img *analyze.Image) []pieSlice {
	const keep = 7
	var out []pieSlice
	var rest int64
	for _, s := range largestSteps(img) {
		if len(out) < keep {
			out = append(out, pieSlice{stepLabel(img, s.Index, 40), s.Size})
		} else {
			rest += s.Size
		}
	}
	if rest > 0 {
		out = append(out, pieSlice{"other steps", rest})
	}
	return out
}

func largestSteps(img *analyze.Image) []analyze.Step {
	var out []analyze.Step
	for _, s := range img.Steps {
		if s.Layer >= 0 && s.Size > 0 {
			out = append(out, s)
		}
	}
	// Insertion sort keeps equal sizes in step order; images have few steps.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Size > out[j-1].Size; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// writeComparisonMarkdown renders a comparison as a pull-request comment.
func writeComparisonMarkdown(w io.Writer, c *analyze.Comparison, o Options) error {
	a, b := c.A, c.B
	d := &mdDoc{}
	d.text("%s", marker(b.Ref, b.Platform))
	comp := ""
	if c.Delta.CompressedSize != analyze.Unknown {
		comp = ", compressed " + signed(-c.Delta.CompressedSize)
	}
	d.text("**imgdiff** · %s%s%s\n", headlineMarkdown(c), comp, budgetStatus(c.Budgets))

	t := d.add(mdTable("", ">A", ">B", ">B − A"))
	t.row("Image", mdCode(oneLine(a.Ref)), mdCode(oneLine(b.Ref)), "")
	if a.Snapshot != nil || b.Snapshot != nil {
		t.row("Snapshot", snapshotMarkdown(a.Snapshot), snapshotMarkdown(b.Snapshot), "")
	}
	t.row("Platform", mdText(a.Platform), mdText(b.Platform), "")
	t.row("Content size", human(a.Size), human(b.Size), "**"+signed(-c.Delta.Size)+"** ("+signedPercent(-c.Delta.Percent)+")")
	t.row("Content bytes", exactBytes(a.Size), exactBytes(b.Size), signedExact(-c.Delta.Size))
	if c.Delta.CompressedSize != analyze.Unknown {
		t.row("Compressed size", human(a.CompressedSize), human(b.CompressedSize), signed(-c.Delta.CompressedSize)+" ("+signedPercent(-c.Delta.CompressedPercent)+")")
	} else {
		t.row("Compressed size", knownHuman(a.CompressedSize), knownHuman(b.CompressedSize), "unknown")
	}
	t.row("Wasted (deleted or overwritten later)", human(a.Wasted), human(b.Wasted), signed(b.Wasted-a.Wasted))
	t.row("Files", humanizeInt(a.Files), humanizeInt(b.Files), signedExact(int64(b.Files-a.Files)))
	sh := c.Shared
	d.text("\nShared layers: %s (%s content, %s compressed). Pull cost of B given A: **%s** compressed (%s content).\n",
		humanizeInt(sh.Layers), human(sh.Size), knownHuman(sh.CompressedSize), knownHuman(sh.PullSize), human(sh.PullContentSize))

	budgetMarkdown(d, c.Budgets)

	dec := c.Decomposition
	d.text("\n### ΔS = A − B, explained\n\n`%s`\n", decompositionLine(dec, human))
	dt := d.add(mdTable("Term", ">Content", ">Bytes", ">Files"))
	var slices []pieSlice
	for _, x := range dec.Terms {
		dt.row(mdText("+ "+x.Name), human(x.Bytes), exactBytes(x.Bytes), humanizeInt(x.Files))
		slices = append(slices, pieSlice{x.Name, x.Bytes})
	}
	ep := dec.EpsilonParts
	dt.row(mdText(minus+" ε (only in B, grown in B, hidden in B)"), human(dec.Epsilon), exactBytes(dec.Epsilon), "")
	dt.row("**= ΔS**", "**"+human(dec.Total)+"**", "**"+exactBytes(dec.Total)+"**", "")
	d.text("\nε = only in B %s + grown in B %s + hidden in B's layers %s. Terms are the bytes of A's final files that B lacks or holds fewer of, by A's category; _hidden_ is what A's layers deleted or overwrote.\n",
		human(ep.OnlyB), human(ep.GrownB), human(ep.HiddenB))
	d.text("\nBase (from %s): %s.\n", mdText(dec.BaseSource), mdText(oneLine(dec.BaseDetail)))
	for _, x := range dec.Terms {
		if x.Name == analyze.BaseTerm {
			d.text("\n_%s_: bytes A's base image layers wrote that B lacks (but for build tools, dev dependencies, sources, VCS data and secrets, which keep their category).\n", analyze.BaseTerm)
		}
	}
	if dec.CommonLayers > 0 {
		d.text("\nCommon base: %s (%s) both images start with, in no term.\n", countNoun(dec.CommonLayers, "layer"), human(dec.CommonSize))
	}
	if m := c.Files.Moved; m != nil {
		d.text("\nMoved: %s (%s) only in A and only in B at another path, counted on neither side%s.\n", countNoun(m.Count, "file"), human(m.Bytes), mdText(movedExample(m)))
	}
	if gs := dec.OtherGroups; len(gs) > 0 {
		gt := d.add(details("The other term, by what put the bytes there", mdTable("Group", ">Content", ">Files")))
		for _, g := range gs {
			gt.row(mdText(oneLine(g.Name)), human(g.Bytes), humanizeInt(g.Files))
		}
	}
	if dec.Total > 0 || len(dec.Terms) > 0 && dec.Epsilon == 0 {
		d.text("%s", mermaidPie("What A carries that B does not", slices))
	} else {
		d.text("%s", mermaidPie("What B adds (ε)", []pieSlice{{"only in B", ep.OnlyB}, {"grown in B", ep.GrownB}, {"hidden in B", ep.HiddenB}}))
	}

	if len(c.CategoriesA) > 0 || len(c.CategoriesB) > 0 {
		ct := d.add(details("By category", mdTable("Category", ">A", ">B", ">B − A")))
		for _, cat := range model.Categories() {
			ba, bb := categoryIn(c.CategoriesA, cat), categoryIn(c.CategoriesB, cat)
			if ba != 0 || bb != 0 {
				ct.row(mdText(string(cat)), human(ba), human(bb), signed(bb-ba))
			}
		}
	}
	if len(c.Packages) > 0 {
		pt := d.add(details(fmt.Sprintf("By package (%d)", len(c.Packages)), mdTable("Package", "Category", ">A", ">B", ">B − A")))
		pt.noun = "package"
		for _, p := range c.Packages {
			pt.row(mdCode(oneLine(p.Name))+" ("+mdText(p.Manager)+")", mdText(categoryName(p.Category)), human(p.A), human(p.B), signed(-p.Delta))
		}
	}
	if len(c.Dirs) > 0 {
		dt := d.add(details("By directory", mdTable("Directory", ">B − A", ">Files")))
		dt.noun = "directory"
		for _, x := range c.Dirs {
			dt.row(mdPath(x.Path), signed(-x.Delta), humanizeInt(x.Files))
		}
	}
	stepDeltaMarkdown(d, "A's instructions that wrote what B does not carry", c.StepsA, minus)
	stepDeltaMarkdown(d, "B's instructions that wrote what A does not carry (ε)", c.StepsB, "+")
	fileListMarkdown(d, "Only in A", c.Files.OnlyA, func(f analyze.FileChange) []string {
		return []string{mdPath(f.Path), signed(-f.A), mdText(categoryName(f.Category)), ""}
	})
	fileListMarkdown(d, "Only in B", c.Files.OnlyB, func(f analyze.FileChange) []string {
		return []string{mdPath(f.Path), signed(f.B), mdText(categoryName(f.Category)), ""}
	})
	fileListMarkdown(d, changedTitle, c.Files.Changed, func(f analyze.FileChange) []string {
		return []string{mdPath(f.Path), signed(f.B - f.A), mdText(categoryName(f.Category)), mdText(joinWhat(f.What))}
	})
	compareDockerfileMarkdown(d, c, o)
	warningsMarkdown(d, c.Warnings)
	sizesFooter(d)
	return d.write(w, o.maxChars())
}

func headlineMarkdown(c *analyze.Comparison) string {
	return headline(c, mdSpan(oneLine(c.A.Ref)), mdSpan(oneLine(c.B.Ref)))
}

func categoryIn(ts []analyze.CategoryTotal, cat analyze.Category) int64 {
	for _, x := range ts {
		if x.Category == cat {
			return x.Bytes
		}
	}
	return 0
}

func stepDeltaMarkdown(d *mdDoc, title string, steps []analyze.StepDelta, sign string) {
	if len(steps) == 0 {
		return
	}
	t := d.add(details(title, mdTable(">Step", "Instruction", ">Bytes", ">Hidden later", "By category")))
	t.noun = "step"
	for _, s := range steps {
		t.row(fmt.Sprint(s.Step), mdInstr(s.Instruction), signedBlank(sign, s.Bytes), zeroBlank(s.Hidden), mdText(stepCategories(s.Categories)))
	}
}

func fileListMarkdown(d *mdDoc, title string, l analyze.FileList, row func(analyze.FileChange) []string) {
	if l.Count == 0 {
		return
	}
	t := d.add(details(fileListTitle(title, l), mdTable("Path", ">B − A", "Category", "Changed")))
	t.noun = "path"
	t.more = l.Count - len(l.Top)
	t.hint = "--all-files lists them all"
	for _, f := range l.Top {
		t.row(row(f)...)
	}
}
