// Package report is the one entry of the reports: the formats (-o), their
// options, and the dispatch that builds the view of an analysis, a
// comparison or a fleet once (report/view) and hands it to the package of
// the format: report/table, report/markdown, report/json, report/html,
// report/ncdu, report/sarif, report/github (the findings on their
// Dockerfile lines) and report/csv (fleet only). It computes nothing the
// JSON does not also carry.
package report

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/report/html"
	"github.com/imgdiff/imgdiff/report/json"
	"github.com/imgdiff/imgdiff/report/markdown"
	"github.com/imgdiff/imgdiff/report/ncdu"
	"github.com/imgdiff/imgdiff/report/table"
	"github.com/imgdiff/imgdiff/report/view"
)

// Format is an output format.
type Format string

// The formats.
const (
	Table    Format = "table"
	Markdown Format = "markdown"
	JSON     Format = "json"
	// SARIF is SARIF 2.1.0 for GitHub code scanning: the Dockerfile
	// findings on their lines (needs a Dockerfile mapping).
	SARIF Format = "sarif"
	// GitHub is workflow-command annotations (::warning file=…,line=…::)
	// on the Dockerfile lines behind the largest findings.
	GitHub Format = "github"
	// HTML is one self-contained page (report/html).
	HTML Format = "html"
	// NCDU is the final filesystem in ncdu's export format, for analyze
	// only (report/ncdu).
	NCDU Format = "ncdu"
)

// Formats returns the formats, in the order flag help lists them (a new
// slice).
func Formats() []Format { return []Format{Table, Markdown, JSON, HTML, NCDU, SARIF, GitHub} }

// FormatNames lists the formats for flag help: "table, markdown, json, …".
func FormatNames() string {
	formats := Formats()
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

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
	// SourceURL, when set, is the URL Markdown links Dockerfile lines
	// under: "https://github.com/OWNER/REPO/blob/SHA" (see
	// GitHubSourceURL); a path and "#L4-L6" are appended.
	SourceURL string
	// ClassA and ClassB are the classifications of a comparison's images:
	// the HTML page colours its ΔS and ε treemaps file by file with them
	// (nil: every byte is "other").
	ClassA, ClassB *model.Classification
	// Note, when set, is told in one line what -o sarif and -o github
	// could not place on a Dockerfile line, or left out (the command
	// prints it on stderr).
	Note func(string)
}

// GitHubSourceURL is the blob URL of the commit a GitHub Actions run
// builds, from its GITHUB_SERVER_URL, GITHUB_REPOSITORY and GITHUB_SHA;
// "" unless all three are set.
func GitHubSourceURL(getenv func(string) string) string {
	server, repo, sha := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_REPOSITORY"), getenv("GITHUB_SHA")
	if server == "" || repo == "" || sha == "" {
		return ""
	}
	return strings.TrimSuffix(server, "/") + "/" + repo + "/blob/" + sha
}

// ErrNCDUCompare: ncdu's format holds one filesystem, so `-o ncdu` is for
// analyze only.
var ErrNCDUCompare = errors.New("-o ncdu exports one image's filesystem: use it with analyze")

// WriteAnalysis renders the report of one image with default options.
func WriteAnalysis(w io.Writer, f Format, a *analyze.Analysis) error {
	return Options{}.WriteAnalysis(w, f, a)
}

// WriteComparison renders the report of two images with default options.
func WriteComparison(w io.Writer, f Format, c *analyze.Comparison) error {
	return Options{}.WriteComparison(w, f, c)
}

// WriteAnalysis renders the report of one image: the view is built once,
// then written by the format's package.
func (o Options) WriteAnalysis(w io.Writer, f Format, a *analyze.Analysis) error {
	v, err := view.NewAnalysis(a)
	if err != nil {
		return err
	}
	return o.write(w, f, outputs{
		model:       a,
		table:       func(w io.Writer) error { return table.WriteAnalysis(w, v, o.table()) },
		markdown:    func(w io.Writer) error { return markdown.WriteAnalysis(w, v, o.markdown()) },
		html:        func(w io.Writer) error { return html.WriteAnalysis(w, v) },
		ncdu:        func(w io.Writer) error { return ncdu.Write(w, a.Image) },
		annotations: v.Annotations, placement: &v.Placement,
	})
}

// WriteComparison renders the report of two images: the view is built
// once, then written by the format's package.
func (o Options) WriteComparison(w io.Writer, f Format, c *analyze.Comparison) error {
	v, err := view.NewComparison(c, o.ClassA, o.ClassB)
	if err != nil {
		return err
	}
	if f == NCDU {
		return ErrNCDUCompare
	}
	return o.write(w, f, outputs{
		model:       c,
		table:       func(w io.Writer) error { return table.WriteComparison(w, v, o.table()) },
		markdown:    func(w io.Writer) error { return markdown.WriteComparison(w, v, o.markdown()) },
		html:        func(w io.Writer) error { return html.WriteComparison(w, v) },
		annotations: v.Annotations, placement: &v.Placement,
	})
}

// outputs are one report in the formats it has (nil: not this one); the
// JSON is the model itself.
type outputs struct {
	model                            any
	table, markdown, html, ncdu, csv func(io.Writer) error
	// annotations are written by -o sarif and -o github when placement
	// is not nil.
	annotations []view.Annotation
	placement   *view.Placement
	// what names the report in the error for a format it lacks ("a
	// fleet"); "" says the format is unknown.
	what string
}

func (o Options) write(w io.Writer, f Format, out outputs) error {
	var write func(io.Writer) error
	switch f {
	case JSON:
		return json.Write(w, out.model)
	case SARIF, GitHub:
		if out.placement != nil {
			return o.writeAnnotations(w, f, out.annotations, *out.placement)
		}
	case Table:
		write = out.table
	case Markdown:
		write = out.markdown
	case HTML:
		write = out.html
	case NCDU:
		write = out.ncdu
	case CSV:
		write = out.csv
	}
	switch {
	case write != nil:
		return write(w)
	case out.what != "":
		return fmt.Errorf("report: format %q is not available for %s", f, out.what)
	}
	return fmt.Errorf("report: unknown format %q", f)
}

func (o Options) table() table.Options { return table.Options{Width: o.Width} }

func (o Options) markdown() markdown.Options {
	return markdown.Options{MaxChars: o.MaxChars, SourceURL: o.SourceURL}
}
