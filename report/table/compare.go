package report

import (
	"fmt"
	"io"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/model"
)

// writeComparisonTable renders a comparison for a terminal. Changes are
// shown from B's point of view (−52 MB: B carries 52 MB less); the
// decomposition keeps the model's sign, ΔS = A − B.
func writeComparisonTable(w io.Writer, c *analyze.Comparison, o Options) error {
	if c == nil || c.A == nil || c.B == nil {
		return fmt.Errorf("report: comparison is missing an image")
	}
	t := &textWriter{width: o.width()}
	a, b := c.A, c.B
	t.line("%s%s", headline(c, "A", "B"), budgetStatusText(c.Budgets))
	t.line("  A  %s (%s) %s", oneLine(a.Ref), orDash(a.Transport), orDash(a.Platform))
	if a.Snapshot != nil {
		t.line("     %s", snapshotText(a.Snapshot))
	}
	t.line("  B  %s (%s) %s", oneLine(b.Ref), orDash(b.Transport), orDash(b.Platform))
	if b.Snapshot != nil {
		t.line("     %s", snapshotText(b.Snapshot))
	}

	t.section("Size")
	rows := [][]string{
		{contentLabel, human(a.Size), human(b.Size), signed(-c.Delta.Size), signedPercent(-c.Delta.Percent)},
		{"  exact bytes", exactBytes(a.Size), exactBytes(b.Size), signedExact(-c.Delta.Size), ""},
	}
	if c.Delta.CompressedSize != analyze.Unknown {
		rows = append(rows,
			[]string{compressedLabel, human(a.CompressedSize), human(b.CompressedSize), signed(-c.Delta.CompressedSize), signedPercent(-c.Delta.CompressedPercent)},
			[]string{"  exact bytes", exactBytes(a.CompressedSize), exactBytes(b.CompressedSize), signedExact(-c.Delta.CompressedSize), ""})
	} else {
		rows = append(rows, []string{compressedLabel, knownHuman(a.CompressedSize), knownHuman(b.CompressedSize), "unknown", ""})
	}
	rows = append(rows, []string{"wasted (deleted or overwritten by a later layer)", human(a.Wasted), human(b.Wasted), signed(b.Wasted - a.Wasted), ""})
	rows = append(rows, []string{"files", humanizeInt(a.Files), humanizeInt(b.Files), signedExact(int64(b.Files - a.Files)), ""})
	t.table([]column{{name: "SIZE"}, {name: "A", right: true}, {name: "B", right: true}, {name: "B − A", right: true}, {name: "%", right: true}}, rows)

	sh := c.Shared
	t.line("  shared layers: %s, %s content, %s compressed", humanizeInt(sh.Layers), both(sh.Size), knownHuman(sh.CompressedSize))
	t.line("  pull cost of B given A: %s compressed, %s content (B's layers A lacks)", knownHuman(sh.PullSize), both(sh.PullContentSize))

	t.section("ΔS = A − B, explained (content bytes)")
	t.line("  %s", decompositionLine(c.Decomposition, human))
	t.line("  %s", decompositionLine(c.Decomposition, func(n int64) string { return exactBytes(n) }))
	ep := c.Decomposition.EpsilonParts
	t.line("  ε = only in B %s + grown in B %s + hidden in B's layers %s", human(ep.OnlyB), human(ep.GrownB), human(ep.HiddenB))
	t.line("  terms: bytes of A's final files that B lacks or holds fewer of, by A's category; %q is what A's layers deleted or overwrote", analyze.HiddenTerm)
	explainTermsText(t, c)

	compareCategories(t, c)
	if len(c.Packages) > 0 {
		t.section("By package (content size; change is B − A)")
		rows = rows[:0]
		for _, p := range c.Packages {
			rows = append(rows, []string{oneLine(p.Name) + " (" + oneLine(p.Manager) + ")", categoryName(p.Category), human(p.A), human(p.B), signed(-p.Delta)})
		}
		t.table([]column{{name: "PACKAGE", fit: true}, {name: "CATEGORY"}, {name: "A", right: true}, {name: "B", right: true}, {name: "B − A", right: true}}, rows)
	}
	if len(c.Dirs) > 0 {
		t.section("By directory (content size; change is B − A)")
		rows = rows[:0]
		for _, d := range c.Dirs {
			rows = append(rows, []string{visiblePath(d.Path), signed(-d.Delta), humanizeInt(d.Files)})
		}
		t.table([]column{{name: "DIRECTORY", fit: true}, {name: "B − A", right: true}, {name: "FILES", right: true}}, rows)
	}
	stepDeltaText(t, "A's instructions that wrote what B does not carry", c.StepsA, minus)
	stepDeltaText(t, "B's instructions that wrote what A does not carry (ε)", c.StepsB, "+")

	fileListText(t, "Only in A", c.Files.OnlyA, func(f analyze.FileChange) []string {
		return []string{visiblePath(f.Path), signed(-f.A), categoryName(f.Category), ""}
	})
	fileListText(t, "Only in B", c.Files.OnlyB, func(f analyze.FileChange) []string {
		return []string{visiblePath(f.Path), signed(f.B), categoryName(f.Category), ""}
	})
	fileListText(t, changedTitle, c.Files.Changed, func(f analyze.FileChange) []string {
		return []string{visiblePath(f.Path), signed(f.B - f.A), categoryName(f.Category), joinWhat(f.What)}
	})
	budgetText(t, c.Budgets)
	compareDockerfileText(t, c)
	warningsText(t, c.Warnings)
	return t.flush(w)
}

// explainTermsText says what the decomposition line cannot: both base
// images, the files that moved, and what the other term holds.
func explainTermsText(t *textWriter, c *analyze.Comparison) {
	dec := c.Decomposition
	t.line("  base (from %s): %s", dec.BaseSource, oneLine(dec.BaseDetail))
	for _, x := range dec.Terms {
		if x.Name == analyze.BaseTerm {
			t.line("  %s: bytes A's base image layers wrote that B lacks (but for build tools, dev dependencies, sources, VCS data and secrets, which keep their category)", analyze.BaseTerm)
		}
	}
	if dec.CommonLayers > 0 {
		t.line("  common base: %s (%s) both images start with, in no term", countNoun(dec.CommonLayers, "layer"), human(dec.CommonSize))
	}
	if m := c.Files.Moved; m != nil {
		t.line("  moved: %s (%s) only in A and only in B at another path, counted on neither side%s", countNoun(m.Count, "file"), human(m.Bytes), movedExample(m))
	}
	if gs := c.Decomposition.OtherGroups; len(gs) > 0 {
		t.section("The other term, by what put the bytes there (largest first)")
		var rows [][]string
		for _, g := range gs {
			rows = append(rows, []string{oneLine(g.Name), human(g.Bytes), humanizeInt(g.Files)})
		}
		t.table([]column{{name: "GROUP", fit: true}, {name: "BYTES", right: true}, {name: "FILES", right: true}}, rows)
	}
}

// movedExample names the largest move: ", e.g. usr/local/bin/app → app".
func movedExample(m *analyze.MovedFiles) string {
	if len(m.Top) == 0 {
		return ""
	}
	return ", e.g. " + visiblePath(m.Top[0].From) + " → " + visiblePath(m.Top[0].To)
}

// compareCategories shows each image's bytes by category and the change,
// when at least one image was classified.
func compareCategories(t *textWriter, c *analyze.Comparison) {
	if len(c.CategoriesA) == 0 && len(c.CategoriesB) == 0 {
		return
	}
	in := func(ts []analyze.CategoryTotal, cat analyze.Category) int64 {
		for _, x := range ts {
			if x.Category == cat {
				return x.Bytes
			}
		}
		return 0
	}
	term := func(cat analyze.Category) string {
		for _, x := range c.Decomposition.Terms {
			if x.Name == string(cat) {
				return human(x.Bytes)
			}
		}
		return ""
	}
	t.section("By category (content size, final filesystems)")
	var rows [][]string
	for _, cat := range model.Categories() {
		ba, bb := in(c.CategoriesA, cat), in(c.CategoriesB, cat)
		if ba == 0 && bb == 0 {
			continue
		}
		rows = append(rows, []string{string(cat), human(ba), human(bb), signed(bb - ba), term(cat)})
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
		rows = append(rows, []string{fmt.Sprint(s.Step), oneLine(s.Instruction), signedBlank(sign, s.Bytes), zeroBlank(s.Hidden), stepCategories(s.Categories)})
	}
	t.table([]column{{name: "STEP", right: true}, {name: "INSTRUCTION", fit: true}, {name: "BYTES", right: true}, {name: "HIDDEN LATER", right: true}, {name: "BY CATEGORY"}}, rows)
}

func stepCategories(ts []analyze.CategoryTotal) string {
	s := ""
	for i, x := range ts {
		if i > 0 {
			s += ", "
		}
		s += categoryName(x.Category) + " " + human(x.Bytes)
	}
	return s
}

func joinWhat(what []string) string {
	s := ""
	for i, w := range what {
		if i > 0 {
			s += ", "
		}
		s += w
	}
	return s
}

func fileListText(t *textWriter, title string, l analyze.FileList, row func(analyze.FileChange) []string) {
	if l.Count == 0 {
		return
	}
	t.section(fileListTitle(title, l) + " (largest first)")
	rows := make([][]string, 0, len(l.Top))
	for _, f := range l.Top {
		rows = append(rows, row(f))
	}
	t.table([]column{{name: "PATH", fit: true}, {name: "B − A", right: true}, {name: "CATEGORY"}, {name: "CHANGED"}}, rows)
	if more := l.Count - len(l.Top); more > 0 {
		t.line("  … %s more %s not shown (--all-files lists them all)", humanizeInt(more), plural(more, "path"))
	}
}

// signedBlank is a one-sided amount ("−62 MB"), blank when zero.
func signedBlank(sign string, n int64) string {
	if n == 0 {
		return ""
	}
	return sign + human(n)
}

// fileListTitle counts a file list: "Only in A: 11 paths, 63 MB"; for
// changed paths the bytes are the sum of the size changes.
func fileListTitle(title string, l analyze.FileList) string {
	what := human(l.Bytes)
	if title == changedTitle {
		what += " of size changes"
	}
	return fmt.Sprintf("%s: %s, %s", title, countNoun(l.Count, "path"), what)
}

const changedTitle = "Changed"
