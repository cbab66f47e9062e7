// Package report renders the report models of package analyze (Analysis,
// Comparison) as a table for people, Markdown for pull requests and JSON
// for machines, and dispatches to report/html (a self-contained page with
// treemaps) and report/ncdu (ncdu's export format). With a Dockerfile
// mapping it also writes the findings on their Dockerfile lines as SARIF
// 2.1.0 (code scanning) and GitHub workflow commands (inline annotations).
// It computes nothing the JSON does not also carry: every figure shown
// comes from the model.
package report

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/report/html"
	"github.com/imgdiff/imgdiff/report/ncdu"
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

// ErrNCDUCompare: ncdu's format holds one filesystem, so `-o ncdu` is for
// analyze only.
var ErrNCDUCompare = errors.New("-o ncdu exports one image's filesystem: use it with analyze")

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
	case SARIF, GitHub:
		return writeAnalysisAnnotations(w, f, a, o)
	case HTML:
		return html.WriteAnalysis(w, a)
	case NCDU:
		return ncdu.Write(w, a.Image)
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
	case SARIF, GitHub:
		return writeComparisonAnnotations(w, f, c, o)
	case HTML:
		return html.WriteComparison(w, c, o.ClassA, o.ClassB)
	case NCDU:
		return ErrNCDUCompare
	}
	return fmt.Errorf("report: unknown format %q", f)
}
