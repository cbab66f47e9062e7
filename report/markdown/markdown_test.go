package markdown

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	gast "github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/layers/index"
	"github.com/imgdiff/imgdiff/report/reporttest"
	"github.com/imgdiff/imgdiff/report/view"
)

// gfm parses md as GitHub does (reporttest.GFM) and returns its tables
// and the HTML.
func gfm(t *testing.T, md string) (tables []*east.Table, out string) {
	t.Helper()
	doc, _, out := reporttest.GFM(t, md)
	err := gast.Walk(doc, func(n gast.Node, entering bool) (gast.WalkStatus, error) {
		if tb, ok := n.(*east.Table); ok && entering {
			tables = append(tables, tb)
		}
		return gast.WalkContinue, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tables, out
}

// checkMarkdown asserts what every Markdown report must satisfy.
func checkMarkdown(t *testing.T, md, wantMarker string) string {
	t.Helper()
	first, _, _ := strings.Cut(md, "\n")
	if first != wantMarker {
		t.Errorf("first line = %q, want %q", first, wantMarker)
	}
	if n := mdLen(md); n >= CommentLimit {
		t.Errorf("markdown is %d characters, GitHub's limit is %d", n, CommentLimit)
	}
	tables, out := gfm(t, md)
	if want := len(reporttest.DelimiterRow.FindAllString(md, -1)); len(tables) != want || want == 0 {
		t.Errorf("GFM parsed %d tables, the report writes %d", len(tables), want)
	}
	if got := strings.Count(out, "<table>"); got != len(tables) {
		t.Errorf("%d <table> elements for %d tables", got, len(tables))
	}
	if o, c := strings.Count(out, "<details>"), strings.Count(out, "</details>"); o != c {
		t.Errorf("%d <details> opened, %d closed", o, c)
	}
	return out
}

func TestMarkdownIsGFM(t *testing.T) {
	var b bytes.Buffer
	if err := writeAnalysis(&b, reporttest.Analysis(t)); err != nil {
		t.Fatal(err)
	}
	out := checkMarkdown(t, b.String(), "<!-- imgdiff:app:single:linux/amd64 -->")
	if !strings.Contains(out, `<code class="language-mermaid">pie showData`) {
		t.Errorf("no mermaid pie in the analysis")
	}

	b.Reset()
	c := reporttest.Comparison(t)
	if err := writeComparison(&b, c); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	out = checkMarkdown(t, md, "<!-- imgdiff:app:multi:linux/amd64 -->")
	headline := strings.Split(md, "\n")[1]
	if !strings.Contains(headline, "is 62 MB smaller than") || !strings.Contains(headline, "budgets ✅") {
		t.Errorf("headline = %q", headline)
	}
	// The decomposition table's exact column adds up to ΔS.
	var sum int64
	for _, term := range c.Decomposition.Terms {
		if !strings.Contains(md, "| + "+mdText(term.Name)+" | "+view.Human(term.Bytes)+" | "+view.ExactBytes(term.Bytes)+" |") {
			t.Errorf("decomposition table lacks term %s", term.Name)
		}
		sum += term.Bytes
	}
	if sum-c.Decomposition.Epsilon != c.Delta.Size || !strings.Contains(md, "**"+view.ExactBytes(c.Delta.Size)+"**") {
		t.Errorf("decomposition table does not add up to ΔS %d", c.Delta.Size)
	}
	if !strings.Contains(out, "<details><summary>Only in A") {
		t.Errorf("file lists are not collapsed")
	}
}

// Paths and instructions are attacker-controlled: none may break a table
// row, open HTML or end a code span.
func TestMarkdownEscapesHostileNames(t *testing.T) {
	hostile := []string{"x/a|b", "x/new\nline", "x/<script>alert(1)</script>", "x/tick`s", "x/``fence``", "x/a\\|b", "x/*bold*_[link](y)"}
	var entries []index.Entry
	for i, p := range hostile {
		entries = append(entries, reporttest.File(p, int64(1000+i)))
	}
	a := reporttest.Build(t, "evil:<b>|`x`\n-->", []v1.History{{CreatedBy: "RUN /bin/sh -c echo '|' && printf '<script>' \n\n touch `x` # buildkit"}}, v1.Config{},
		reporttest.Layer("sha256:evil", 10, entries))
	b := reporttest.Build(t, "evil:<b>|`x`\n-->", []v1.History{{CreatedBy: "RUN /bin/sh -c true # buildkit"}}, v1.Config{},
		reporttest.Layer("sha256:empty", 10, []index.Entry{reporttest.File("ok", 1)}))
	c, err := analyze.Compare(a, b, nil, nil, analyze.CompareOptions{Top: 20})
	if err != nil {
		t.Fatal(err)
	}
	for _, render := range []func(*bytes.Buffer) error{
		func(w *bytes.Buffer) error { return writeComparison(w, c) },
		func(w *bytes.Buffer) error { return writeAnalysis(w, analyze.Summarize(a, nil, 20)) },
	} {
		var buf bytes.Buffer
		if err := render(&buf); err != nil {
			t.Fatal(err)
		}
		md := buf.String()
		out := checkMarkdown(t, md, "<!-- imgdiff:evil:%3Cb%3E|`x`%0A--%3E:linux/amd64 -->")
		if !strings.Contains(out, "<code>evil:&lt;b&gt;|`x`\\n--&gt;</code>") {
			t.Errorf("the reference is not shown as it is in the headline")
		}
		if strings.Contains(out, "<script>") || strings.Contains(out, "<b>") {
			t.Errorf("raw HTML from a name reached the output:\n%s", out)
		}
		tables, _ := gfm(t, md)
		for _, tb := range tables {
			header := tb.FirstChild().ChildCount()
			for row := tb.FirstChild().NextSibling(); row != nil; row = row.NextSibling() {
				if row.ChildCount() != header {
					t.Errorf("row with %d cells under a %d-column header", row.ChildCount(), header)
				}
			}
		}
		// Each hostile path shows up whole, as code, in one cell.
		for _, p := range hostile {
			want := "<code>" + htmlEscape(view.VisiblePath(p)) + "</code>"
			if !strings.Contains(out, want) {
				t.Errorf("path %q: no cell with %s", p, want)
			}
		}
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// A 200,000-file comparison with every path listed still fits in one
// GitHub comment, with the tables intact and notes saying what was cut.
func TestMarkdownHugeComparisonFits(t *testing.T) {
	const n = 100_000
	only := make([]index.Entry, 0, n)
	changedA := make([]index.Entry, 0, n/2)
	changedB := make([]index.Entry, 0, n/2)
	onlyB := make([]index.Entry, 0, n/2)
	for i := range n {
		only = append(only, reporttest.File(fmt.Sprintf("usr/lib/toolchain/pkg%03d/file-%06d.o", i%997, i), int64(1000+i)))
	}
	for i := range n / 2 {
		changedA = append(changedA, reporttest.File(fmt.Sprintf("app/data/%06d.bin", i), int64(500+i)))
		changedB = append(changedB, reporttest.File(fmt.Sprintf("app/data/%06d.bin", i), int64(700+i)))
		onlyB = append(onlyB, reporttest.File(fmt.Sprintf("app/new/%06d.json", i), int64(10+i%50)))
	}
	a := reporttest.Build(t, "big:a", []v1.History{{CreatedBy: "RUN make # buildkit"}, {CreatedBy: "COPY data /app/data # buildkit"}}, v1.Config{},
		reporttest.Layer("sha256:tool", 1, only), reporttest.Layer("sha256:data", 1, changedA))
	b := reporttest.Build(t, "big:b", []v1.History{{CreatedBy: "COPY data /app/data # buildkit"}, {CreatedBy: "COPY new /app/new # buildkit"}}, v1.Config{},
		reporttest.Layer("sha256:data2", 1, changedB), reporttest.Layer("sha256:new", 1, onlyB))
	c, err := analyze.Compare(a, b, nil, nil, analyze.CompareOptions{AllFiles: true})
	if err != nil {
		t.Fatal(err)
	}
	if total := c.Files.OnlyA.Count + c.Files.OnlyB.Count + c.Files.Changed.Count; total != 2*n {
		t.Fatalf("fixture has %d differing paths, want %d", total, 2*n)
	}
	var buf bytes.Buffer
	if err := writeComparison(&buf, c); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	t.Logf("200k-path comparison: %d characters of Markdown", mdLen(md))
	checkMarkdown(t, md, "<!-- imgdiff:big:b:linux/amd64 -->")
	if mdLen(md) < CommentLimit*9/10 {
		t.Errorf("only %d characters used: cutting is too eager", mdLen(md))
	}
	notes := regexp.MustCompile(`_… ([0-9,]+) more paths not shown \(cut to fit GitHub's comment limit\)_`).FindAllStringSubmatch(md, -1)
	if len(notes) != 3 {
		t.Fatalf("want a cut note under each of the 3 file lists, got %d", len(notes))
	}
	shown := strings.Count(md, "| `/usr/lib/toolchain/") + strings.Count(md, "| `/app/")
	cut := 0
	for _, m := range notes {
		var k int
		fmt.Sscan(strings.ReplaceAll(m[1], ",", ""), &k)
		cut += k
	}
	if shown+cut != 2*n {
		t.Errorf("%d rows shown + %d noted as cut != %d paths", shown, cut, 2*n)
	}
}

// fit cuts the longest block first and accounts for its notes.
func TestFitCutsLongestFirst(t *testing.T) {
	d := &mdDoc{}
	d.text("# head\n")
	long := d.add(mdTable("Path"))
	long.noun = "file"
	short := d.add(mdTable("Path"))
	short.noun = "file"
	for i := range 100 {
		long.row(fmt.Sprintf("`/long/%03d`", i))
		if i < 10 {
			short.row(fmt.Sprintf("`/s/%d`", i))
		}
	}
	var b bytes.Buffer
	if err := d.write(&b, 900); err != nil {
		t.Fatal(err)
	}
	if mdLen(b.String()) > 900 {
		t.Errorf("%d characters, limit 900", mdLen(b.String()))
	}
	if short.cut != 0 || long.cut == 0 {
		t.Errorf("cut %d long rows and %d short rows: the longest block must be cut first", long.cut, short.cut)
	}
	if !strings.Contains(b.String(), fmt.Sprintf("_… %d more files not shown", long.cut)) {
		t.Errorf("no note for the cut rows:\n%s", b.String())
	}
	if err := d.write(&bytes.Buffer{}, 5); err == nil {
		t.Error("a limit below the fixed text must be an error, not a broken document")
	}
}

func TestMdCode(t *testing.T) {
	for in, want := range map[string]string{
		"a":       "`a`",
		"a|b":     "`a\\|b`",
		"a`b":     "``a`b``",
		"`a":      "`` `a ``",
		"a``b`":   "``` a``b` ```",
		"<x>":     "`<x>`",
		"":        "",
		" a ":     "`  a  `",
		"tab\\|x": "`tab\\\\|x`",
	} {
		if got := mdCode(in); got != want {
			t.Errorf("mdCode(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMdTextMakesNoLinks: text from an image, rendered as GFM, makes no
// link by itself: URLs, www. hosts and e-mail addresses are defanged,
// link and image syntax escaped; npm scopes keep their "@".
func TestMdTextMakesNoLinks(t *testing.T) {
	for _, s := range []string{
		"see http://x.example/a", "HTTPS://X.EXAMPLE", "www.x.example", "WwW.x.example", "mail x@evil.example now",
		"[link](http://x.example)", "![img](http://x.example/i.png)", "<http://x.example>", "<a@b.example>", "ftp://x.example",
	} {
		md := "| a |\n|---|\n| " + mdText(s) + " |\n\n" + mdText(s) + "\n"
		if _, out := gfm(t, md); strings.Contains(out, "<a ") || strings.Contains(out, "<img") {
			t.Errorf("mdText(%q) = %q renders %q", s, mdText(s), out)
		}
	}
	if got, want := mdText("dev (@types/node) @team"), `dev (@types/node) @team`; got != want {
		t.Errorf("mdText kept no scope: %q, want %q", got, want)
	}
}

// writeAnalysis and writeComparison render through the view, as the report
// package does.
func writeAnalysis(w io.Writer, a *analyze.Analysis) error {
	v, err := view.NewAnalysis(a)
	if err != nil {
		return err
	}
	return WriteAnalysis(w, v, Options{})
}

func writeComparison(w io.Writer, c *analyze.Comparison) error {
	v, err := view.NewComparison(c, nil, nil)
	if err != nil {
		return err
	}
	return WriteComparison(w, v, Options{})
}
