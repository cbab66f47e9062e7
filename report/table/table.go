// Package table writes the terminal report of an analysis, a comparison
// and a fleet (report/view): sections of aligned columns without
// borders, fitted to a width by display width, every image string made
// visible.
package table

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/report/view"
)

// textWriter renders the terminal report. It collects output in a buffer
// and keeps the first error, so the section code reads as a list of what
// is shown.
type textWriter struct {
	buf   bytes.Buffer
	width int
	err   error
}

// line writes one line. Everything the terminal report writes goes
// through line, section or table, and each passes its text through
// model.Visible: whatever a caller forgot to escape, no control
// character, ESC sequence or bidi override from an image reaches the
// terminal.
func (t *textWriter) line(format string, args ...any) {
	t.buf.WriteString(model.Visible(fmt.Sprintf(format, args...)) + "\n")
}

func (t *textWriter) section(title string) {
	t.buf.WriteString("\n" + model.Visible(title) + "\n")
}

// column describes one column of a table.
type column struct {
	name  string
	right bool // numbers are right-aligned
	// fit marks the one column (instructions, paths) shortened so that the
	// table fits the width.
	fit bool
}

// table writes rows under a header without borders, like docker's own
// listings, shortening the fit column to the width. tablewriter lays the
// table out: it pads every cell to its column's display width (a CJK
// character or an emoji takes two columns), so the columns line up
// whatever the paths hold. The one thing it is not asked to do is fit the
// width: imgdiff shortens the one fit column itself, measuring with the
// same display width (model.Width), so that the cut keeps the path's
// start and the other columns whole.
func (t *textWriter) table(cols []column, rows [][]string) {
	if t.err != nil || len(rows) == 0 {
		return
	}
	const gap = 2
	for _, r := range rows {
		for i := range r {
			r[i] = model.Visible(r[i])
		}
	}
	widths := make([]int, len(cols))
	for i, c := range cols {
		widths[i] = model.Width(c.name)
	}
	for _, r := range rows {
		for i := range cols {
			widths[i] = max(widths[i], model.Width(r[i]))
		}
	}
	fixed, fit := 0, -1
	for i, c := range cols {
		if c.fit {
			fit = i
			continue
		}
		fixed += widths[i] + gap
	}
	if fit >= 0 {
		room := max(t.width-fixed-gap, 24)
		for _, r := range rows {
			r[fit] = model.Shorten(r[fit], room)
		}
	}

	header := make([]any, len(cols))
	align := make([]tw.Align, len(cols))
	for i, c := range cols {
		header[i] = c.name
		align[i] = tw.AlignLeft
		if c.right {
			align[i] = tw.AlignRight
		}
	}
	var out bytes.Buffer
	tbl := tablewriter.NewTable(&out,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off, ShowHeader: tw.Off, ShowFooter: tw.Off},
				Lines:      tw.Lines{ShowTop: tw.Off, ShowBottom: tw.Off, ShowHeaderLine: tw.Off, ShowFooterLine: tw.Off},
			},
		})),
		// Ambiguous-width characters ("…") narrow whatever LANG says, as
		// model.Width counts them: piped output must not depend on the
		// locale.
		tablewriter.WithEastAsian(tw.Off),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{Global: tw.AlignLeft, PerColumn: align}),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{Global: tw.AlignLeft, PerColumn: align}),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithPadding(tw.Padding{Left: "", Right: strings.Repeat(" ", gap), Overwrite: true}),
	)
	tbl.Header(header...)
	for _, r := range rows {
		if err := tbl.Append(r); err != nil {
			t.err = fmt.Errorf("rendering table: %w", err)
			return
		}
	}
	if err := tbl.Render(); err != nil {
		t.err = fmt.Errorf("rendering table: %w", err)
		return
	}
	// Indent by two and drop the padding the last column leaves.
	for _, l := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		t.buf.WriteString(strings.TrimRight("  "+l, " ") + "\n")
	}
}

func (t *textWriter) flush(w io.Writer) error {
	if t.err != nil {
		return t.err
	}
	if _, err := w.Write(t.buf.Bytes()); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	return nil
}

// WriteAnalysis renders one image for a terminal.
func WriteAnalysis(w io.Writer, a *view.Analysis, o Options) error {
	t := &textWriter{width: o.width()}
	img := a.Image
	imageHeader(t, img)

	t.section("Size")
	t.line("  %-56s %s", view.ContentLabel, view.Both(img.Size))
	t.line("  %-56s %s", view.CompressedLabel, view.KnownBoth(img.CompressedSize))
	t.line("  %-56s %s, %s of content", "wasted (deleted or overwritten by a later layer)", view.Both(img.Wasted), view.Percent(img.Wasted, img.Size))
	t.line("  %-56s %s in %s", "final filesystem", view.CountNoun(img.Files, "file"), view.CountNoun(len(img.Layers), "layer"))

	stepTable(t, a)
	if len(a.TopDirs) > 0 {
		t.section("Largest directories (content size, final filesystem)")
		rows := make([][]string, 0, len(a.TopDirs))
		for _, d := range a.TopDirs {
			rows = append(rows, []string{view.VisiblePath(d.Path), view.Human(d.Bytes), view.Percent(d.Bytes, img.Size), view.Number(d.Files), view.StepLabel(img, d.Step, 40)})
		}
		t.table([]column{{name: "DIRECTORY", fit: true}, {name: "CONTENT", right: true}, {name: "% IMAGE", right: true}, {name: "FILES", right: true}, {name: "WRITTEN BY (MOST BYTES)"}}, rows)
	}
	if len(a.TopFiles) > 0 {
		t.section("Largest files (content size, final filesystem)")
		rows := make([][]string, 0, len(a.TopFiles))
		for _, f := range a.TopFiles {
			rows = append(rows, []string{view.VisiblePath(f.Path), view.Human(f.Bytes), view.CategoryOrBlank(f.Category, a.Classification != nil), view.StepLabel(img, f.Step, 40)})
		}
		t.table([]column{{name: "FILE", fit: true}, {name: "CONTENT", right: true}, {name: "CATEGORY"}, {name: "WRITTEN BY"}}, rows)
	}
	if a.Classification != nil {
		classificationText(t, a)
	}
	budgetText(t, a.Budgets)
	dockerfileText(t, "Dockerfile", img, a.Dockerfile, a.Evidence)
	warningsText(t, img.Warnings)
	return t.flush(w)
}

func imageHeader(t *textWriter, img *model.Image) {
	t.line("Image       %s (%s)", view.OneLine(img.Ref), orDash(img.Transport))
	if img.Snapshot != nil {
		t.line("Snapshot    %s", snapshotText(img.Snapshot))
	}
	t.line("Platform    %s", orDash(img.Platform))
	t.line("Digest      %s", orDash(img.Digest))
	t.line("User        %s", view.OneLine(view.UserOf(img.Config.User)))
	t.line("Entrypoint  %s", view.OneLine(view.ConfigList(img.Config.Entrypoint)))
	t.line("Cmd         %s", view.OneLine(view.ConfigList(img.Config.Cmd)))
	if img.Base != nil {
		t.line("Base        %s", view.OneLine(view.BaseText(img.Base)))
	}
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return view.OneLine(s)
}

// stepTable is the per-instruction table: every layer-making step with its
// sizes, and the flagged bytes by category when the image was classified.
func stepTable(t *textWriter, a *view.Analysis) {
	img := a.Image
	flagged, cats := a.FlaggedBySteps, a.Flagged
	showCompressed := img.CompressedSize >= 0

	cols := []column{{name: "STEP", right: true}, {name: "INSTRUCTION", fit: true}, {name: "CONTENT", right: true}}
	if showCompressed {
		cols = append(cols, column{name: "COMPRESSED", right: true})
	}
	cols = append(cols, column{name: "% IMAGE", right: true}, column{name: "FILES", right: true}, column{name: "HIDDEN LATER", right: true})
	for _, c := range cats {
		cols = append(cols, column{name: strings.ToUpper(string(c)), right: true})
	}

	var rows [][]string
	empty := 0
	for _, st := range img.Steps {
		if st.Layer < 0 {
			empty++
			continue
		}
		r := []string{fmt.Sprint(st.Index), view.OneLine(st.Instruction.String()), view.Human(st.Size)}
		if showCompressed {
			r = append(r, view.KnownHuman(st.CompressedSize))
		}
		r = append(r, view.Percent(st.Size, img.Size), view.Number(st.Files), view.ZeroBlank(st.Hidden))
		for _, c := range cats {
			r = append(r, view.ZeroBlank(flagged[st.Index][c]))
		}
		rows = append(rows, r)
	}
	total := []string{"", "total", view.Human(img.Size)}
	if showCompressed {
		total = append(total, view.Human(img.CompressedSize))
	}
	total = append(total, view.Percent(img.Size, img.Size), view.Number(view.SumFiles(img)), view.ZeroBlank(img.Wasted))
	for _, c := range cats {
		total = append(total, view.ZeroBlank(view.CategoryTotal(a.Classification, c)))
	}
	rows = append(rows, total)

	t.section("Per instruction (content size; compressed as the registry manifest)")
	t.table(cols, rows)
	t.line("  total: %s %s", view.Exact(img.Size), view.ContentLabel)
	if showCompressed {
		t.line("         %s %s", view.Exact(img.CompressedSize), view.CompressedLabel)
	} else {
		t.line("         compressed size unknown: the source holds layers uncompressed")
	}
	if empty > 0 {
		t.line("  %s that made no layer (ENV, CMD, ...) not shown: they add no bytes", view.CountNoun(empty, "step"))
	}
	if img.Wasted > 0 {
		t.line("  HIDDEN LATER: bytes a later layer deleted or overwrote (still pulled and stored)")
	}
}

func classificationText(t *textWriter, a *view.Analysis) {
	c, img := a.Classification, a.Image
	t.section("What the bytes are (content size, final filesystem)")
	var rows [][]string
	for _, ct := range c.Totals {
		if ct.Bytes == 0 && ct.Files == 0 {
			continue
		}
		rows = append(rows, []string{view.CategoryName(ct.Category), view.Human(ct.Bytes), view.ExactBytes(ct.Bytes), view.Percent(ct.Bytes, img.Size), view.Number(ct.Files)})
	}
	t.table([]column{{name: "CATEGORY"}, {name: "CONTENT", right: true}, {name: "BYTES", right: true}, {name: "% IMAGE", right: true}, {name: "FILES", right: true}}, rows)
	if c.Verdict != "" {
		t.line("  %s", view.OneLine(c.Verdict))
	}
	if len(c.TopDirs) > 0 {
		t.section("Flagged directories")
		rows = rows[:0]
		for _, d := range c.TopDirs {
			rows = append(rows, []string{view.VisiblePath(d.Path), view.CategoryName(d.Category), view.Human(d.Bytes), view.Number(d.Files), view.StepLabel(img, d.Step, 30), view.OneLine(d.Evidence)})
		}
		t.table([]column{{name: "DIRECTORY", fit: true}, {name: "CATEGORY"}, {name: "CONTENT", right: true}, {name: "FILES", right: true}, {name: "WRITTEN BY"}, {name: "EVIDENCE"}}, rows)
	}
	if pk := a.FlaggedPackages; len(pk) > 0 {
		t.section("Flagged packages (content size in the final filesystem)")
		rows = rows[:0]
		shown := pk
		if len(shown) > maxTablePackages {
			shown = shown[:maxTablePackages]
		}
		for _, p := range shown {
			rows = append(rows, []string{view.OneLine(p.Name) + " (" + p.Manager + ")", view.CategoryName(p.Category), view.Human(p.Bytes), view.Number(p.Files), view.StepLabel(img, p.Step, 30)})
		}
		t.table([]column{{name: "PACKAGE", fit: true}, {name: "CATEGORY"}, {name: "CONTENT", right: true}, {name: "FILES", right: true}, {name: "INSTALLED BY"}}, rows)
		if n := len(pk) - len(shown); n > 0 {
			var rest int64
			for _, p := range pk[len(shown):] {
				rest += p.Bytes
			}
			t.line("  … %s more flagged packages, %s (-o json lists them all)", view.Number(n), view.Human(rest))
		}
	}
	if len(c.Findings) > 0 {
		t.section("Findings")
		// One block per finding: the evidence is the point, so it is
		// printed whole rather than cut to a column.
		for _, f := range c.Findings {
			where := "image config"
			if f.Step >= 0 {
				where = view.StepLabel(img, f.Step, 50)
			} else if f.Field != "" {
				where = f.Field
			}
			t.line("  %-7s %s  (%s)", f.Severity, f.ID, where)
			t.line("          %s", view.FindingEvidence(f))
		}
	}
}

// maxTablePackages caps the flagged-package table; the JSON has them all.
const maxTablePackages = 15

func budgetText(t *textWriter, r *model.BudgetReport) {
	if r == nil {
		return
	}
	status := "PASS"
	if !r.Pass {
		status = fmt.Sprintf("FAIL (%d of %d rules broken)", len(r.Failed()), len(r.Checks))
	}
	src := ""
	if r.Source != "" {
		src = " from " + view.OneLine(r.Source)
	}
	t.section("Budgets" + src + ": " + status)
	var rows [][]string
	for _, c := range r.Checks {
		rows = append(rows, []string{passFail(c.Pass), view.OneLine(c.Rule), view.BudgetFigure(c.Unit, c.Actual), view.BudgetFigure(c.Unit, c.Limit), view.OneLine(c.Detail)})
	}
	t.table([]column{{name: "RESULT"}, {name: "RULE"}, {name: "FIGURE", right: true}, {name: "LIMIT", right: true}, {name: "DETAIL", fit: true}}, rows)
}

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func warningsText(t *textWriter, ws []string) {
	if len(ws) == 0 {
		return
	}
	t.section("Warnings")
	for _, w := range ws {
		t.line("  ! %s", view.OneLine(w))
	}
}

func snapshotText(s *model.Snapshot) string {
	return fmt.Sprintf("snapshot of %s (%s), taken %s, %s old", view.OneLine(s.Ref), orDash(s.Transport),
		s.Created.UTC().Format("2006-01-02 15:04 UTC"), view.Age(s.AgeSeconds))
}

// Options tune the table; the zero value is the default.
type Options struct {
	// Width is the terminal width the table fits instructions and paths
	// into; 0 means 100.
	Width int
}

func (o Options) width() int {
	if o.Width <= 0 {
		return 100
	}
	return o.Width
}
