package report

import (
	"fmt"
	"io"

	"github.com/imgdiff/imgdiff/report/csv"

	"github.com/imgdiff/imgdiff/analyze/fleet"
	"github.com/imgdiff/imgdiff/report/html"
	"github.com/imgdiff/imgdiff/report/json"
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
	switch f {
	case JSON:
		return json.Write(w, r)
	case CSV:
		return csv.Write(w, r)
	case Table:
		return table.WriteFleet(w, r, o.table())
	case Markdown:
		return markdown.WriteFleet(w, r, o.markdown())
	case HTML:
		return html.WriteFleet(w, r)
	}
	return fmt.Errorf("report: format %q is not available for a fleet", f)
}
