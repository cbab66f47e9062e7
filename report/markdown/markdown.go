// Package markdown writes the pull-request comment of an analysis, a
// comparison and a fleet (report/view) as GitHub-flavoured Markdown, cut
// section by section to GitHub's comment limit, with the one escaping of
// image strings for Markdown (mdText, mdCode).
package markdown

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf16"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/report/view"
)

// mdDoc is a Markdown report as a list of blocks, so that it can be cut to
// a size limit section by section instead of mid-table.
type mdDoc struct {
	blocks []*mdBlock
}

// mdBlock is a piece of the document. Rows are the part that may be cut:
// table rows or list items, each one line. When rows are cut (or the model
// already left entries out) a note says how many are missing.
type mdBlock struct {
	head string
	rows []string
	// foot ends the table or list after the rows (a total row); tail
	// comes after the note.
	foot string
	tail string
	// noun names what a row is ("file", "step"), for the note.
	noun string
	// more counts entries the model left out before rendering; hint says
	// how to get them.
	more int
	hint string
	// cut counts rows removed to fit the limit.
	cut int
	// size caches the length of head, rows and tail (not the note).
	size int
}

func (d *mdDoc) add(b *mdBlock) *mdBlock {
	d.blocks = append(d.blocks, b)
	return b
}

// text adds a block that is never cut.
func (d *mdDoc) text(format string, args ...any) {
	d.add(&mdBlock{head: fmt.Sprintf(format, args...)})
}

func (b *mdBlock) note() string {
	n := b.more + b.cut
	if n == 0 {
		return ""
	}
	s := "\n_… " + view.Number(n) + " more " + view.Plural(n, b.noun) + " not shown"
	if b.cut > 0 {
		s += " (cut to fit GitHub's comment limit)"
	} else if b.hint != "" {
		s += " (" + b.hint + ")"
	}
	return s + "_\n"
}

func (b *mdBlock) length() int {
	return b.size + mdLen(b.note())
}

func (b *mdBlock) String() string {
	var s strings.Builder
	s.WriteString(b.head)
	for _, r := range b.rows {
		s.WriteString(r)
	}
	s.WriteString(b.foot)
	s.WriteString(b.note())
	s.WriteString(b.tail)
	return s.String()
}

// mdLen is the length GitHub counts: UTF-16 code units.
func mdLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// fit cuts rows, always from the longest block, until the document is at
// most limit long. It returns an error when even the uncuttable parts are
// too long, which only a tiny limit can cause.
func (d *mdDoc) fit(limit int) error {
	total := 0
	rowLen := map[*mdBlock][]int{}
	for _, b := range d.blocks {
		b.size = mdLen(b.head) + mdLen(b.foot) + mdLen(b.tail)
		lens := make([]int, len(b.rows))
		for i, r := range b.rows {
			lens[i] = mdLen(r)
			b.size += lens[i]
		}
		rowLen[b] = lens
		total += b.length()
	}
	for total > limit {
		var longest *mdBlock
		for _, b := range d.blocks {
			if len(b.rows) > 0 && (longest == nil || b.length() > longest.length()) {
				longest = b
			}
		}
		if longest == nil {
			return fmt.Errorf("report: markdown needs %d characters even without its lists, limit is %d", total, limit)
		}
		before := longest.length()
		last := len(longest.rows) - 1
		longest.size -= rowLen[longest][last]
		longest.rows = longest.rows[:last]
		longest.cut++
		total += longest.length() - before
	}
	return nil
}

func (d *mdDoc) write(w io.Writer, limit int) error {
	if err := d.fit(limit); err != nil {
		return err
	}
	var s strings.Builder
	for _, b := range d.blocks {
		s.WriteString(b.String())
	}
	if _, err := io.WriteString(w, s.String()); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	return nil
}

// mdTable starts a table block: a blank line, the header and the
// delimiter row. Columns whose name starts with ">" are right-aligned.
func mdTable(cols ...string) *mdBlock {
	var h, sep strings.Builder
	h.WriteString("\n|")
	sep.WriteString("|")
	for _, c := range cols {
		name, right := strings.CutPrefix(c, ">")
		h.WriteString(" " + mdText(name) + " |")
		if right {
			sep.WriteString("---:|")
		} else {
			sep.WriteString("---|")
		}
	}
	return &mdBlock{head: h.String() + "\n" + sep.String() + "\n"}
}

// row adds a table row; cells must already be escaped (mdText, mdCode).
func (b *mdBlock) row(cells ...string) {
	b.rows = append(b.rows, "| "+strings.Join(cells, " | ")+" |\n")
}

// details wraps b in a collapsed <details> section.
func details(summary string, b *mdBlock) *mdBlock {
	b.head = "\n<details><summary>" + htmlText(summary) + "</summary>\n" + b.head
	b.tail += "\n</details>\n"
	return b
}

// mdText escapes free text for a Markdown table cell, list item or
// heading: it is the one escaping of text outside code spans. The text is
// folded onto one line (view.OneLine: newlines, ESC, bidi overrides made
// visible, so no row, list or <details> can be ended early), Markdown
// punctuation is backslash-escaped (`|` cannot end a cell, `<` cannot open
// HTML, `[` cannot open a link or an image, `#` cannot make a heading,
// `&` cannot spell an entity), and the URLs and addresses GFM would link
// by themselves are defanged the usual way ("http[:]//x", "www[.]x",
// "a[@]b.c"), so the image cannot put a link in a pull request comment.
func mdText(s string) string {
	s = defang(view.OneLine(s))
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]<>|~&#!", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// defang breaks, visibly, what GFM would turn into a link by itself: a
// URL ("http[:]//x"), a "www." host ("www[.]x", any case) and an e-mail
// address ("a[@]b.c": an "@" right after a letter, digit or one of ._+-,
// so that npm scopes and mentions keep theirs).
func defang(s string) string {
	if !strings.Contains(s, ":") && !strings.Contains(s, ".") && !strings.Contains(s, "@") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "://"):
			b.WriteString("[:]//")
			i += 2
		case i+4 <= len(s) && strings.EqualFold(s[i:i+4], "www."):
			b.WriteString(s[i:i+3] + "[.]")
			i += 3
		case s[i] == '@' && i > 0 && emailByte(s[i-1]):
			b.WriteString("[@]")
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func emailByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._+-", c) >= 0
}

// mdCode renders s as a code span safe in a table cell: `|` is escaped
// (GFM unescapes it inside spans in tables). Control characters must
// already be made visible (view.OneLine, view.VisiblePath).
func mdCode(s string) string { return codeSpan(strings.ReplaceAll(s, "|", `\|`)) }

// mdSpan renders s as a code span in prose, where `\|` would show its
// backslash.
func mdSpan(s string) string { return codeSpan(s) }

// codeSpan fences s with more backticks than any run inside it. Inside a
// code span Markdown, HTML, links and mentions are inert; what is left to
// escape is what would end the span or the line: model.Visible shows
// newlines, ESC and bidi overrides as escapes.
func codeSpan(s string) string {
	s = model.Visible(s)
	if s == "" {
		return ""
	}
	run, longest := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || (strings.HasPrefix(s, " ") && strings.HasSuffix(s, " ")) {
		pad = " "
	}
	return fence + pad + s + pad + fence
}

// mdPath is a path as a code span, control characters escaped.
func mdPath(p string) string { return mdCode(view.VisiblePath(p)) }

// mdInstr is an instruction as a code span, folded onto one line and
// shortened: a long RUN script would drown the table.
func mdInstr(s string) string { return mdCode(model.Shorten(view.OneLine(s), 100)) }

// htmlText escapes text placed inside HTML (the <summary> of a section).
func htmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(view.OneLine(s))
}

// marker is the hidden first line an action searches for to update its
// own comment. The characters that could end the comment or the line, and
// every other control byte, are percent-encoded; the rest of the reference
// is kept as is.
func marker(ref, platform string) string {
	enc := func(s string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c == 0x7f || c == '%' || c == '<' || c == '>' {
				fmt.Fprintf(&b, "%%%02X", c)
			} else {
				b.WriteByte(c)
			}
		}
		return b.String()
	}
	return "<!-- imgdiff:" + enc(ref) + ":" + enc(platform) + " -->\n"
}

// pieSlice is one slice of a Mermaid pie chart.
type pieSlice struct {
	label string
	bytes int64
}

// mermaidPie draws positive slices; Mermaid rejects negative values and
// shows nothing useful for zero.
func mermaidPie(title string, slices []pieSlice) string {
	var b strings.Builder
	n := 0
	for _, s := range slices {
		if s.bytes > 0 {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	// A label is a quoted string of Mermaid's own syntax: quotes and
	// backticks would end it or the fence, angle brackets would reach
	// Mermaid's HTML labels; view.OneLine makes the rest visible and %q quotes.
	label := strings.NewReplacer(`"`, "'", "`", "'", "<", "‹", ">", "›")
	b.WriteString("\n```mermaid\npie showData title " + label.Replace(view.OneLine(title)) + "\n")
	for _, s := range slices {
		if s.bytes > 0 {
			fmt.Fprintf(&b, "    %q : %d\n", label.Replace(view.OneLine(s.label)), s.bytes)
		}
	}
	b.WriteString("```\n")
	return b.String()
}

func budgetMarkdown(d *mdDoc, r *model.BudgetReport) {
	if r == nil {
		return
	}
	head := "\n### Budgets"
	if r.Source != "" {
		head += " (" + mdText(r.Source) + ")"
	}
	d.text("%s\n", head)
	t := d.add(mdTable("Result", "Rule", ">Figure", ">Limit", "Detail"))
	t.noun = "rule"
	for _, c := range r.Checks {
		mark := "✅ PASS"
		if !c.Pass {
			mark = "❌ FAIL"
		}
		t.row(mark, mdCode(view.OneLine(c.Rule)), mdText(view.BudgetFigure(c.Unit, c.Actual)), mdText(view.BudgetFigure(c.Unit, c.Limit)), mdText(c.Detail))
	}
}

func warningsMarkdown(d *mdDoc, ws []string) {
	if len(ws) == 0 {
		return
	}
	d.text("\n### Warnings\n\n")
	b := d.add(&mdBlock{noun: "warning"})
	for _, w := range ws {
		b.rows = append(b.rows, "- ⚠️ "+mdText(w)+"\n")
	}
}

// footer says what the sizes are, once.
func sizesFooter(d *mdDoc) {
	d.text("\n<sub>Sizes: content = uncompressed, as `docker image inspect` .Size; compressed = as the registry manifest; SI units (1 MB = 1,000,000 bytes). Generated by imgdiff.</sub>\n")
}

// CommentLimit is the largest comment body GitHub accepts.
const CommentLimit = 65536

// Options tune the Markdown; the zero value is the default.
type Options struct {
	// MaxChars caps the output, in UTF-16 code units as GitHub counts
	// them; 0 means 65,535, under GitHub's 65,536-character comment limit
	// (CommentLimit). The longest sections are cut first, with a note.
	MaxChars int
	// SourceURL, when set, is the URL Dockerfile lines are linked under:
	// "https://github.com/OWNER/REPO/blob/SHA"; a path and "#L4-L6" are
	// appended.
	SourceURL string
}

func (o Options) maxChars() int {
	if o.MaxChars <= 0 {
		return CommentLimit - 1
	}
	return o.MaxChars
}

// budgetStatus is the headline's budget part: "" when none were checked.
func budgetStatus(r *model.BudgetReport) string {
	return view.BudgetStatus(r, " · budgets ✅ %d/%d passed", " · budgets ❌ %d of %d failed")
}
