// Package csv writes the fleet view as one CSV row per image, sizes in
// bytes, cells guarded against spreadsheet formulas.
package csv

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/fleet"
	"github.com/imgdiff/imgdiff/analyze/model"
)

// fleetCategories are the categories a fleet row shows, in order.
func fleetCategories() []model.Category {
	var out []model.Category
	for _, c := range model.Categories() {
		if c != model.Other {
			out = append(out, c)
		}
	}
	return out
}

// Write writes one row per image, sizes in bytes. Cells starting
// with a spreadsheet formula character are quoted with a leading "'" so
// an image string cannot become a formula.
func Write(w io.Writer, r *fleet.Report) error {
	cw := csv.NewWriter(w)
	head := []string{"ref", "repository", "tag", "platform", "complete", "size", "compressed_size", "flagged_bytes"}
	cats := fleetCategories()
	for _, c := range cats {
		head = append(head, string(c))
	}
	head = append(head, "budget", "top_flagged_packages", "missing_layers")
	if err := cw.Write(head); err != nil {
		return fmt.Errorf("writing csv: %w", err)
	}
	for _, img := range r.Images {
		row := []string{img.Ref, img.Repo, img.Tag, img.Platform, strconv.FormatBool(img.Complete),
			strconv.FormatInt(img.Size, 10), strconv.FormatInt(img.CompressedSize, 10), strconv.FormatInt(img.Flagged, 10)}
		for _, c := range cats {
			row = append(row, strconv.FormatInt(img.Categories[c], 10))
		}
		var pk []string
		for _, p := range img.TopPackages {
			pk = append(pk, p.Name+":"+strconv.FormatInt(p.Bytes, 10))
		}
		row = append(row, img.Budget, strings.Join(pk, " "), strings.Join(img.Missing, " "))
		for i, c := range row {
			row[i] = csvCell(c)
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("writing csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing csv: %w", err)
	}
	return nil
}

func csvCell(s string) string {
	s = model.Visible(s)
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			return "'" + s
		}
	}
	return s
}
