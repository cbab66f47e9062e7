// Package report renders the report models of package analyze (Analysis,
// Comparison) as a table for people, Markdown for pull requests and JSON
// for machines. It computes nothing the JSON does not also carry: every
// figure shown comes from the model.
package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/imgdiff/imgdiff/analyze"
)

// Format is an output format.
type Format string

// The formats.
const (
	Table    Format = "table"
	Markdown Format = "markdown"
	JSON     Format = "json"
)

// Formats returns the formats, in the order flag help lists them (a new
// slice).
func Formats() []Format { return []Format{Table, Markdown, JSON} }

// ParseFormat checks a -o value.
func ParseFormat(s string) (Format, error) {
	formats := Formats()
	for _, f := range formats {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown output format %q (want %s)", s, strings.Join(names, ", "))
}

// Options tune the table and Markdown renderers; the zero value is the
// default. JSON ignores them: it is the model as it is.
type Options struct {
	// Width is the terminal width the table fits instructions and paths
	// into; 0 means 100.
	Width int
	// MaxChars caps the Markdown output, in UTF-16 code units as GitHub
	// counts them; 0 means 65,535, under GitHub's 65,536-character comment
	// limit. The longest sections are cut first, with a note.
	MaxChars int
}

func (o Options) width() int {
	if o.Width <= 0 {
		return 100
	}
	return o.Width
}

func (o Options) maxChars() int {
	if o.MaxChars <= 0 {
		return githubCommentLimit - 1
	}
	return o.MaxChars
}

// githubCommentLimit is the largest comment body GitHub accepts.
const githubCommentLimit = 65536

// WriteAnalysis renders the report of one image with default options.
func WriteAnalysis(w io.Writer, f Format, a *analyze.Analysis) error {
	return Options{}.WriteAnalysis(w, f, a)
}

// WriteComparison renders the report of two images with default options.
func WriteComparison(w io.Writer, f Format, c *analyze.Comparison) error {
	return Options{}.WriteComparison(w, f, c)
}

// WriteAnalysis renders the report of one image.
func (o Options) WriteAnalysis(w io.Writer, f Format, a *analyze.Analysis) error {
	if a == nil || a.Image == nil {
		return fmt.Errorf("report: analysis has no image")
	}
	switch f {
	case JSON:
		return writeJSON(w, a)
	case Table:
		return writeAnalysisTable(w, a, o)
	case Markdown:
		return writeAnalysisMarkdown(w, a, o)
	}
	return fmt.Errorf("report: unknown format %q", f)
}

// WriteComparison renders the report of two images.
func (o Options) WriteComparison(w io.Writer, f Format, c *analyze.Comparison) error {
	if c == nil || c.A == nil || c.B == nil {
		return fmt.Errorf("report: comparison is missing an image")
	}
	switch f {
	case JSON:
		return writeJSON(w, c)
	case Table:
		return writeComparisonTable(w, c, o)
	case Markdown:
		return writeComparisonMarkdown(w, c, o)
	}
	return fmt.Errorf("report: unknown format %q", f)
}
