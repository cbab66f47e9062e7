package table

import (
	"fmt"
	"io"
	"strings"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/report/view"
)

// WriteComparison renders a comparison for a terminal. Changes are
// shown from B's point of view (−52 MB: B carries 52 MB less); the
// decomposition keeps the model's sign, ΔS = A − B.
func WriteComparison(w io.Writer, v *view.Comparison, o Options) error {
	c := v.Comparison
	t := &textWriter{width: o.width()}
	a, b := c.A, c.B
	t.line("%s%s", view.Headline(c, "A", "B"), view.BudgetStatus(c.Budgets, "; budgets PASS (%d/%d)", "; budgets FAIL (%d of %d broken)"))
	t.line("  A  %s (%s) %s", view.OneLine(a.Ref), orDash(a.Transport), orDash(a.Platform))
	if a.Snapshot != nil {
		t.line("     %s", snapshotText(a.Snapshot))
	}
	t.line("  B  %s (%s) %s", view.OneLine(b.Ref), orDash(b.Transport), orDash(b.Platform))
	if b.Snapshot != nil {
		t.line("     %s", snapshotText(b.Snapshot))
	}

	t.section("Size")
	rows := [][]string{
		{view.ContentLabel, view.Human(a.Size), view.Human(b.Size), view.Signed(-c.Delta.Size), view.SignedPercent(-c.Delta.Percent)},
		{"  exact bytes", view.ExactBytes(a.Size), view.ExactBytes(b.Size), view.SignedExact(-c.Delta.Size), ""},
	}
	if c.Delta.CompressedSize != model.Unknown {
		rows = append(rows,
			[]string{view.CompressedLabel, view.Human(a.CompressedSize), view.Human(b.CompressedSize), view.Signed(-c.Delta.CompressedSize), view.SignedPercent(-c.Delta.CompressedPercent)},
			[]string{"  exact bytes", view.ExactBytes(a.CompressedSize), view.ExactBytes(b.CompressedSize), view.SignedExact(-c.Delta.CompressedSize), ""})
	} else {
		rows = append(rows, []string{view.CompressedLabel, view.KnownHuman(a.CompressedSize), view.KnownHuman(b.CompressedSize), "unknown", ""})
	}
	rows = append(rows, []string{"wasted (deleted or overwritten by a later layer)", view.Human(a.Wasted), view.Human(b.Wasted), view.Signed(b.Wasted - a.Wasted), ""})
	rows = append(rows, []string{"files", view.Number(a.Files), view.Number(b.Files), view.SignedExact(int64(b.Files - a.Files)), ""})
	t.table([]column{{name: "SIZE"}, {name: "A", right: true}, {name: "B", right: true}, {name: "B − A", right: true}, {name: "%", right: true}}, rows)

	sh := c.Shared
	t.line("  shared layers: %s, %s content, %s compressed", view.Number(sh.Layers), view.Both(sh.Size), view.KnownHuman(sh.CompressedSize))
	t.line("  pull cost of B given A: %s compressed, %s content (B's layers A lacks)", view.KnownHuman(sh.PullSize), view.Both(sh.PullContentSize))

	t.section("ΔS = A − B, explained (content bytes)")
	t.line("  %s", view.DecompositionLine(c.Decomposition, view.Human))
	t.line("  %s", view.DecompositionLine(c.Decomposition, func(n int64) string { return view.ExactBytes(n) }))
	ep := c.Decomposition.EpsilonParts
	t.line("  ε = only in B %s + grown in B %s + hidden in B's layers %s", view.Human(ep.OnlyB), view.Human(ep.GrownB), view.Human(ep.HiddenB))
	t.line("  terms: bytes of A's final files that B lacks or holds fewer of, by A's category; %q is what A's layers deleted or overwrote", analyze.HiddenTerm)
	explainTermsText(t, c)

	compareCategories(t, c)
	if len(c.Packages) > 0 {
		t.section("By package (content size; change is B − A)")
		rows = rows[:0]
		for _, p := range c.Packages {
			rows = append(rows, []string{view.OneLine(p.Name) + " (" + view.OneLine(p.Manager) + ")", view.CategoryName(p.Category), view.Human(p.A), view.Human(p.B), view.Signed(-p.Delta)})
		}
		t.table([]column{{name: "PACKAGE", fit: true}, {name: "CATEGORY"}, {name: "A", right: true}, {name: "B", right: true}, {name: "B − A", right: true}}, rows)
	}
	if len(c.Dirs) > 0 {
		t.section("By directory (content size; change is B − A)")
		rows = rows[:0]
		for _, d := range c.Dirs {
			rows = append(rows, []string{view.VisiblePath(d.Path), view.Signed(-d.Delta), view.Number(d.Files)})
		}
		t.table([]column{{name: "DIRECTORY", fit: true}, {name: "B − A", right: true}, {name: "FILES", right: true}}, rows)
	}
	stepDeltaText(t, "A's instructions that wrote what B does not carry", c.StepsA, view.Minus)
	stepDeltaText(t, "B's instructions that wrote what A does not carry (ε)", c.StepsB, "+")

	fileListText(t, "Only in A", c.Files.OnlyA, func(f analyze.FileChange) []string {
		return []string{view.VisiblePath(f.Path), view.Signed(-f.A), view.CategoryName(f.Category), ""}
	})
	fileListText(t, "Only in B", c.Files.OnlyB, func(f analyze.FileChange) []string {
		return []string{view.VisiblePath(f.Path), view.Signed(f.B), view.CategoryName(f.Category), ""}
	})
	fileListText(t, view.ChangedTitle, c.Files.Changed, func(f analyze.FileChange) []string {
		return []string{view.VisiblePath(f.Path), view.Signed(f.B - f.A), view.CategoryName(f.Category), strings.Join(f.What, ", ")}
	})
	budgetText(t, c.Budgets)
	compareDockerfileText(t, v)
	warningsText(t, c.Warnings)
	return t.flush(w)
}

// explainTermsText says what the decomposition line cannot: both base
// images, the files that moved, and what the other term holds.
func explainTermsText(t *textWriter, c *analyze.Comparison) {
	dec := c.Decomposition
	t.line("  base (from %s): %s", dec.BaseSource, view.OneLine(dec.BaseDetail))
	for _, x := range dec.Terms {
		if x.Name == analyze.BaseTerm {
			t.line("  %s: bytes A's base image layers wrote that B lacks (but for build tools, dev dependencies, sources, VCS data and secrets, which keep their category)", analyze.BaseTerm)
		}
	}
	if dec.CommonLayers > 0 {
		t.line("  common base: %s (%s) both images start with, in no term", view.CountNoun(dec.CommonLayers, "layer"), view.Human(dec.CommonSize))
	}
	if m := c.Files.Moved; m != nil {
		t.line("  moved: %s (%s) only in A and only in B at another path, counted on neither side%s", view.CountNoun(m.Count, "file"), view.Human(m.Bytes), view.MovedExample(m))
	}
	if gs := c.Decomposition.OtherGroups; len(gs) > 0 {
		t.section("The other term, by what put the bytes there (largest first)")
		var rows [][]string
		for _, g := range gs {
			rows = append(rows, []string{view.OneLine(g.Name), view.Human(g.Bytes), view.Number(g.Files)})
		}
		t.table([]column{{name: "GROUP", fit: true}, {name: "BYTES", right: true}, {name: "FILES", right: true}}, rows)
	}
}

// compareCategories shows each image's bytes by category and the change,
// when at least one image was classified.
func compareCategories(t *textWriter, c *analyze.Comparison) {
	if len(c.CategoriesA) == 0 && len(c.CategoriesB) == 0 {
		return
	}
	term := func(cat model.Category) string {
		for _, x := range c.Decomposition.Terms {
			if x.Name == string(cat) {
				return view.Human(x.Bytes)
			}
		}
		return ""
	}
	t.section("By category (content size, final filesystems)")
	var rows [][]string
	for _, cat := range model.Categories() {
		ba, bb := view.CategoryIn(c.CategoriesA, cat), view.CategoryIn(c.CategoriesB, cat)
		if ba == 0 && bb == 0 {
			continue
		}
		rows = append(rows, []string{string(cat), view.Human(ba), view.Human(bb), view.Signed(bb - ba), term(cat)})
	}
	t.table([]column{{name: "CATEGORY"}, {name: "A", right: true}, {name: "B", right: true}, {name: "B − A", right: true}, {name: "TERM OF ΔS", right: true}}, rows)
}

func stepDeltaText(t *textWriter, title string, steps []analyze.StepDelta, sign string) {
	if len(steps) == 0 {
		return
	}
	t.section(title)
	var rows [][]string
	for _, s := range steps {
		rows = append(rows, []string{fmt.Sprint(s.Step), view.OneLine(s.Instruction), view.SignedBlank(sign, s.Bytes), view.ZeroBlank(s.Hidden), view.StepCategories(s.Categories)})
	}
	t.table([]column{{name: "STEP", right: true}, {name: "INSTRUCTION", fit: true}, {name: "BYTES", right: true}, {name: "HIDDEN LATER", right: true}, {name: "BY CATEGORY"}}, rows)
}

func fileListText(t *textWriter, title string, l analyze.FileList, row func(analyze.FileChange) []string) {
	if l.Count == 0 {
		return
	}
	t.section(view.FileListTitle(title, l) + " (largest first)")
	rows := make([][]string, 0, len(l.Top))
	for _, f := range l.Top {
		rows = append(rows, row(f))
	}
	t.table([]column{{name: "PATH", fit: true}, {name: "B − A", right: true}, {name: "CATEGORY"}, {name: "CHANGED"}}, rows)
	if more := l.Count - len(l.Top); more > 0 {
		t.line("  … %s more %s not shown (--all-files lists them all)", view.Number(more), view.Plural(more, "path"))
	}
}
