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

// Formats lists the formats, for flag help.
var Formats = []Format{Table, Markdown, JSON}

// ParseFormat checks a -o value.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown output format %q (want %s)", s, strings.Join(names, ", "))
}

// WriteAnalysis renders the report of one image.
func WriteAnalysis(w io.Writer, f Format, a *analyze.Analysis) error {
	switch f {
	case JSON:
		return writeJSON(w, a)
	}
	return fmt.Errorf("report: format %q not supported yet", f)
}

// WriteComparison renders the report of two images.
func WriteComparison(w io.Writer, f Format, c *analyze.Comparison) error {
	switch f {
	case JSON:
		return writeJSON(w, c)
	}
	return fmt.Errorf("report: format %q not supported yet", f)
}
