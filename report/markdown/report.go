package markdown

import (
	"fmt"
	"io"
	"strings"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/report/view"
)

// WriteAnalysis renders one image as a pull-request comment.
func WriteAnalysis(w io.Writer, a *view.Analysis, o Options) error {
	img := a.Image
	d := &mdDoc{}
	d.text("%s", marker(img.Ref, img.Platform))
	compressed := ""
	if img.CompressedSize >= 0 {
		compressed = ", " + view.Human(img.CompressedSize) + " compressed"
	}
	d.text("**imgdiff** · %s (%s): %s content%s, %s%s\n",
		mdSpan(view.OneLine(img.Ref)), mdText(img.Platform), view.Human(img.Size), compressed, view.CountNoun(len(img.Layers), "layer"), budgetStatus(a.Budgets))

	t := d.add(mdTable("", "Value"))
	t.row("Image", mdCode(view.OneLine(img.Ref))+" ("+mdText(img.Transport)+")")
	if img.Snapshot != nil {
		t.row("Snapshot", snapshotMarkdown(img.Snapshot))
	}
	t.row("Platform", mdText(img.Platform))
	if img.Digest != "" {
		t.row("Digest", mdCode(img.Digest))
	}
	t.row("User", mdCode(view.UserOf(img.Config.User)))
	t.row("Entrypoint", mdCode(view.OneLine(view.ConfigList(img.Config.Entrypoint))))
	t.row("Cmd", mdCode(view.OneLine(view.ConfigList(img.Config.Cmd))))
	if img.Base != nil {
		t.row("Base", mdText(view.OneLine(view.BaseText(img.Base))))
	}
	t.row("Content size", mdText(view.Both(img.Size)))
	t.row("Compressed size", mdText(view.KnownBoth(img.CompressedSize)))
	t.row("Wasted (deleted or overwritten later)", mdText(view.Both(img.Wasted)+", "+view.Percent(img.Wasted, img.Size)+" of content"))
	t.row("Files", mdText(view.Number(img.Files)))

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
			ct.row(mdText(view.CategoryName(x.Category)), view.Human(x.Bytes), view.ExactBytes(x.Bytes), view.Percent(x.Bytes, img.Size), view.Number(x.Files))
			slices = append(slices, pieSlice{view.CategoryName(x.Category), x.Bytes})
		}
		d.text("%s", mermaidPie("Content by category", slices))
		if len(c.Findings) > 0 {
			d.text("\n### Findings\n")
			ft := d.add(mdTable("Severity", "ID", "Step", "Evidence"))
			ft.noun = "finding"
			for _, f := range c.Findings {
				ft.row(mdText(string(f.Severity)), mdCode(f.ID), mdInstr(view.StepLabel(img, f.Step, 100)), mdText(view.FindingEvidence(f)))
			}
		}
	} else {
		d.text("%s", mermaidPie("Content by instruction", stepSlices(img)))
	}

	flagged, cats := a.FlaggedBySteps, a.Flagged
	cols := []string{">Step", "Instruction", ">Content", ">Compressed", ">% image", ">Files", ">Hidden later"}
	for _, c := range cats {
		cols = append(cols, ">"+string(c))
	}
	st := d.add(details(fmt.Sprintf("Per instruction (%s)", view.CountNoun(len(img.Layers), "layer")), mdTable(cols...)))
	st.noun = "step"
	for _, s := range img.Steps {
		if s.Layer < 0 {
			continue
		}
		cells := []string{fmt.Sprint(s.Index), mdInstr(s.Instruction.String()), view.Human(s.Size), view.KnownHuman(s.CompressedSize), view.Percent(s.Size, img.Size), view.Number(s.Files), view.ZeroBlank(s.Hidden)}
		for _, c := range cats {
			cells = append(cells, view.ZeroBlank(flagged[s.Index][c]))
		}
		st.row(cells...)
	}
	total := []string{"", "**total**", "**" + view.Human(img.Size) + "**", view.KnownHuman(img.CompressedSize), view.Percent(img.Size, img.Size), view.Number(view.SumFiles(img)), view.ZeroBlank(img.Wasted)}
	for _, c := range cats {
		total = append(total, view.ZeroBlank(view.CategoryTotal(a.Classification, c)))
	}
	// The total row stays whatever rows are cut.
	st.foot = "| " + strings.Join(total, " | ") + " |\n"

	if c := a.Classification; c != nil {
		if pk := a.FlaggedPackages; len(pk) > 0 {
			pt := d.add(details(fmt.Sprintf("Flagged packages (%d)", len(pk)), mdTable("Package", "Category", ">Content", ">Files", "Installed by")))
			pt.noun = "package"
			for _, p := range pk {
				pt.row(mdCode(view.OneLine(p.Name))+" ("+mdText(p.Manager)+")", mdText(view.CategoryName(p.Category)), view.Human(p.Bytes), view.Number(p.Files), mdInstr(view.StepLabel(img, p.Step, 100)))
			}
		}
		if len(c.TopDirs) > 0 {
			ft := d.add(details("Flagged directories", mdTable("Directory", "Category", ">Content", ">Files", "Written by", "Evidence")))
			ft.noun = "directory"
			for _, x := range c.TopDirs {
				ft.row(mdPath(x.Path), mdText(view.CategoryName(x.Category)), view.Human(x.Bytes), view.Number(x.Files), mdInstr(view.StepLabel(img, x.Step, 100)), mdText(x.Evidence))
			}
		}
	}
	if len(a.TopDirs) > 0 {
		dt := d.add(details("Largest directories", mdTable("Directory", ">Content", ">% image", ">Files", "Written by (most bytes)")))
		dt.noun = "directory"
		for _, x := range a.TopDirs {
			dt.row(mdPath(x.Path), view.Human(x.Bytes), view.Percent(x.Bytes, img.Size), view.Number(x.Files), mdInstr(view.StepLabel(img, x.Step, 100)))
		}
	}
	if len(a.TopFiles) > 0 {
		ft := d.add(details("Largest files", mdTable("File", ">Content", "Category", "Written by")))
		ft.noun = "file"
		for _, x := range a.TopFiles {
			ft.row(mdPath(x.Path), view.Human(x.Bytes), mdText(view.CategoryOrBlank(x.Category, a.Classification != nil)), mdInstr(view.StepLabel(img, x.Step, 100)))
		}
	}
	dockerfileMarkdown(d, "Dockerfile", img, a.Dockerfile, a.Evidence, o)
	warningsMarkdown(d, img.Warnings)
	sizesFooter(d)
	return d.write(w, o.maxChars())
}

// stepSlices are the largest steps of an unclassified image, the rest
// summed, for the pie chart.
func stepSlices(img *model.Image) []pieSlice {
	const keep = 7
	var out []pieSlice
	var rest int64
	for _, s := range largestSteps(img) {
		if len(out) < keep {
			out = append(out, pieSlice{view.StepLabel(img, s.Index, 40), s.Size})
		} else {
			rest += s.Size
		}
	}
	if rest > 0 {
		out = append(out, pieSlice{"other steps", rest})
	}
	return out
}

func largestSteps(img *model.Image) []model.Step {
	var out []model.Step
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

// WriteComparison renders a comparison as a pull-request comment.
func WriteComparison(w io.Writer, v *view.Comparison, o Options) error {
	c := v.Comparison
	a, b := c.A, c.B
	d := &mdDoc{}
	d.text("%s", marker(b.Ref, b.Platform))
	comp := ""
	if c.Delta.CompressedSize != model.Unknown {
		comp = ", compressed " + view.Signed(-c.Delta.CompressedSize)
	}
	d.text("**imgdiff** · %s%s%s\n", headlineMarkdown(c), comp, budgetStatus(c.Budgets))

	t := d.add(mdTable("", ">A", ">B", ">B − A"))
	t.row("Image", mdCode(view.OneLine(a.Ref)), mdCode(view.OneLine(b.Ref)), "")
	if a.Snapshot != nil || b.Snapshot != nil {
		t.row("Snapshot", snapshotMarkdown(a.Snapshot), snapshotMarkdown(b.Snapshot), "")
	}
	t.row("Platform", mdText(a.Platform), mdText(b.Platform), "")
	t.row("Content size", view.Human(a.Size), view.Human(b.Size), "**"+view.Signed(-c.Delta.Size)+"** ("+view.SignedPercent(-c.Delta.Percent)+")")
	t.row("Content bytes", view.ExactBytes(a.Size), view.ExactBytes(b.Size), view.SignedExact(-c.Delta.Size))
	if c.Delta.CompressedSize != model.Unknown {
		t.row("Compressed size", view.Human(a.CompressedSize), view.Human(b.CompressedSize), view.Signed(-c.Delta.CompressedSize)+" ("+view.SignedPercent(-c.Delta.CompressedPercent)+")")
	} else {
		t.row("Compressed size", view.KnownHuman(a.CompressedSize), view.KnownHuman(b.CompressedSize), "unknown")
	}
	t.row("Wasted (deleted or overwritten later)", view.Human(a.Wasted), view.Human(b.Wasted), view.Signed(b.Wasted-a.Wasted))
	t.row("Files", view.Number(a.Files), view.Number(b.Files), view.SignedExact(int64(b.Files-a.Files)))
	sh := c.Shared
	d.text("\nShared layers: %s (%s content, %s compressed). Pull cost of B given A: **%s** compressed (%s content).\n",
		view.Number(sh.Layers), view.Human(sh.Size), view.KnownHuman(sh.CompressedSize), view.KnownHuman(sh.PullSize), view.Human(sh.PullContentSize))

	budgetMarkdown(d, c.Budgets)

	dec := c.Decomposition
	d.text("\n### ΔS = A − B, explained\n\n`%s`\n", view.DecompositionLine(dec, view.Human))
	dt := d.add(mdTable("Term", ">Content", ">Bytes", ">Files"))
	var slices []pieSlice
	for _, x := range dec.Terms {
		dt.row(mdText("+ "+x.Name), view.Human(x.Bytes), view.ExactBytes(x.Bytes), view.Number(x.Files))
		slices = append(slices, pieSlice{x.Name, x.Bytes})
	}
	ep := dec.EpsilonParts
	dt.row(mdText(view.Minus+" ε (only in B, grown in B, hidden in B)"), view.Human(dec.Epsilon), view.ExactBytes(dec.Epsilon), "")
	dt.row("**= ΔS**", "**"+view.Human(dec.Total)+"**", "**"+view.ExactBytes(dec.Total)+"**", "")
	d.text("\nε = only in B %s + grown in B %s + hidden in B's layers %s. Terms are the bytes of A's final files that B lacks or holds fewer of, by A's category; _hidden_ is what A's layers deleted or overwrote.\n",
		view.Human(ep.OnlyB), view.Human(ep.GrownB), view.Human(ep.HiddenB))
	d.text("\nBase (from %s): %s.\n", mdText(dec.BaseSource), mdText(view.OneLine(dec.BaseDetail)))
	for _, x := range dec.Terms {
		if x.Name == analyze.BaseTerm {
			d.text("\n_%s_: bytes A's base image layers wrote that B lacks (but for build tools, dev dependencies, sources, VCS data and secrets, which keep their category).\n", analyze.BaseTerm)
		}
	}
	if dec.CommonLayers > 0 {
		d.text("\nCommon base: %s (%s) both images start with, in no term.\n", view.CountNoun(dec.CommonLayers, "layer"), view.Human(dec.CommonSize))
	}
	if m := c.Files.Moved; m != nil {
		d.text("\nMoved: %s (%s) only in A and only in B at another path, counted on neither side%s.\n", view.CountNoun(m.Count, "file"), view.Human(m.Bytes), mdText(view.MovedExample(m)))
	}
	if gs := dec.OtherGroups; len(gs) > 0 {
		gt := d.add(details("The other term, by what put the bytes there", mdTable("Group", ">Content", ">Files")))
		for _, g := range gs {
			gt.row(mdText(view.OneLine(g.Name)), view.Human(g.Bytes), view.Number(g.Files))
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
			ba, bb := view.CategoryIn(c.CategoriesA, cat), view.CategoryIn(c.CategoriesB, cat)
			if ba != 0 || bb != 0 {
				ct.row(mdText(string(cat)), view.Human(ba), view.Human(bb), view.Signed(bb-ba))
			}
		}
	}
	if len(c.Packages) > 0 {
		pt := d.add(details(fmt.Sprintf("By package (%d)", len(c.Packages)), mdTable("Package", "Category", ">A", ">B", ">B − A")))
		pt.noun = "package"
		for _, p := range c.Packages {
			pt.row(mdCode(view.OneLine(p.Name))+" ("+mdText(p.Manager)+")", mdText(view.CategoryName(p.Category)), view.Human(p.A), view.Human(p.B), view.Signed(-p.Delta))
		}
	}
	if len(c.Dirs) > 0 {
		dt := d.add(details("By directory", mdTable("Directory", ">B − A", ">Files")))
		dt.noun = "directory"
		for _, x := range c.Dirs {
			dt.row(mdPath(x.Path), view.Signed(-x.Delta), view.Number(x.Files))
		}
	}
	stepDeltaMarkdown(d, "A's instructions that wrote what B does not carry", c.StepsA, view.Minus)
	stepDeltaMarkdown(d, "B's instructions that wrote what A does not carry (ε)", c.StepsB, "+")
	fileListMarkdown(d, "Only in A", c.Files.OnlyA, func(f analyze.FileChange) []string {
		return []string{mdPath(f.Path), view.Signed(-f.A), mdText(view.CategoryName(f.Category)), ""}
	})
	fileListMarkdown(d, "Only in B", c.Files.OnlyB, func(f analyze.FileChange) []string {
		return []string{mdPath(f.Path), view.Signed(f.B), mdText(view.CategoryName(f.Category)), ""}
	})
	fileListMarkdown(d, view.ChangedTitle, c.Files.Changed, func(f analyze.FileChange) []string {
		return []string{mdPath(f.Path), view.Signed(f.B - f.A), mdText(view.CategoryName(f.Category)), mdText(strings.Join(f.What, ", "))}
	})
	compareDockerfileMarkdown(d, v, o)
	warningsMarkdown(d, c.Warnings)
	sizesFooter(d)
	return d.write(w, o.maxChars())
}

func headlineMarkdown(c *analyze.Comparison) string {
	return view.Headline(c, mdSpan(view.OneLine(c.A.Ref)), mdSpan(view.OneLine(c.B.Ref)))
}

func stepDeltaMarkdown(d *mdDoc, title string, steps []analyze.StepDelta, sign string) {
	if len(steps) == 0 {
		return
	}
	t := d.add(details(title, mdTable(">Step", "Instruction", ">Bytes", ">Hidden later", "By category")))
	t.noun = "step"
	for _, s := range steps {
		t.row(fmt.Sprint(s.Step), mdInstr(s.Instruction), view.SignedBlank(sign, s.Bytes), view.ZeroBlank(s.Hidden), mdText(view.StepCategories(s.Categories)))
	}
}

func fileListMarkdown(d *mdDoc, title string, l analyze.FileList, row func(analyze.FileChange) []string) {
	if l.Count == 0 {
		return
	}
	t := d.add(details(view.FileListTitle(title, l), mdTable("Path", ">B − A", "Category", "Changed")))
	t.noun = "path"
	t.more = l.Count - len(l.Top)
	t.hint = "--all-files lists them all"
	for _, f := range l.Top {
		t.row(row(f)...)
	}
}

func snapshotMarkdown(s *model.Snapshot) string {
	if s == nil {
		return ""
	}
	return fmt.Sprintf("of %s, taken %s (%s old)", mdCode(view.OneLine(s.Ref)),
		s.Created.UTC().Format("2006-01-02 15:04 UTC"), view.Age(s.AgeSeconds))
}
