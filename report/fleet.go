package report

import (
	"fmt"
	"io"

	"github.com/imgdiff/imgdiff/report/csv"

	"github.com/imgdiff/imgdiff/analyze/fleet"
	"github.com/imgdiff/imgdiff/report/html"
	"github.com/imgdiff/imgdiff/report/markdown"
	"github.com/imgdiff/imgdiff/report/table"
)

// CSV is the fleet report's one-row-per-image format.
const CSV Format = "csv"

// ParseFleetFormat parses the -o of `imgdiff fleet report`.
func ParseFleetFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case Table, Markdown, JSON, CSV, HTML:
		return f, nil
	}
	return "", fmt.Errorf("unknown output format %q (want table, markdown, json, csv or html)", s)
}

// WriteFleet renders the fleet view in format f.
func (o Options) WriteFleet(w io.Writer, f Format, r *fleet.Report) error {
	return o.write(w, f, outputs{
		model:    r,
		csv:      func(w io.Writer) error { return csv.Write(w, r) },
		table:    func(w io.Writer) error { return table.WriteFleet(w, r, o.table()) },
		markdown: func(w io.Writer) error { return markdown.WriteFleet(w, r, o.markdown()) },
		html:     func(w io.Writer) error { return html.WriteFleet(w, r) },
		what:     "a fleet",
	})
}
