package reporttest

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/yuin/goldmark"
	gast "github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
)

// DelimiterRow matches the line under a Markdown table's header: there is
// one per table the writer meant to write.
var DelimiterRow = regexp.MustCompile(`(?m)^\|(---:?\|)+$`)

// GFM parses md as GitHub does (CommonMark + GFM) and returns the
// document, its source and the HTML it renders to. Raw HTML is kept
// (unsafe) so that an escaping bug shows.
func GFM(t testing.TB, md string) (doc gast.Node, src []byte, out string) {
	t.Helper()
	g := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))
	src = []byte(md)
	doc = g.Parser().Parse(text.NewReader(src))
	var b bytes.Buffer
	if err := g.Renderer().Render(&b, src, doc); err != nil {
		t.Fatal(err)
	}
	return doc, src, b.String()
}
