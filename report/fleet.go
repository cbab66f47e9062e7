package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/imgdiff/imgdiff/analyze/fleet"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/report/html"
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
		return writeJSON(w, r)
	case CSV:
		return writeFleetCSV(w, r)
	case Table:
		return writeFleetTable(w, r, o)
	case Markdown:
		return writeFleetMarkdown(w, r, o)
	case HTML:
		return html.WriteFleet(w, r)
	}
	return fmt.Errorf("report: format %q is not available for a fleet", f)
}

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

func topPackages(ps []fleet.Package) string {
	var s []string
	for _, p := range ps {
		s = append(s, fmt.Sprintf("%s (%s, %s)", p.Name, p.Category, human(p.Bytes)))
	}
	return strings.Join(s, ", ")
}

func budgetCell(img fleet.Image) string {
	switch img.Budget {
	case "":
		return "—"
	case "fail":
		return "FAIL " + strings.Join(img.BudgetFailed, ",")
	}
	return "pass"
}

func imageName(img fleet.Image) string { return img.Name() }

func writeFleetTable(w io.Writer, r *fleet.Report, o Options) error {
	t := &textWriter{width: o.width()}
	t.line("Fleet: %s, %s incomplete; %s, %s compressed; flagged %s",
		countNoun(r.Total.Images, "image"), humanize.Comma(int64(r.Total.Incomplete)), human(r.Total.Size), human(r.Total.CompressedSize), human(r.Total.Flagged))
	t.line("Estimated saving if each image's flagged bytes went into a build stage: %s", both(r.Total.Saving))

	t.section("Images")
	var rows [][]string
	for _, img := range r.Images {
		if !img.Complete {
			rows = append(rows, []string{imageName(img), "incomplete", "", "", "", "missing " + strings.Join(img.Missing, ", ")})
			continue
		}
		rows = append(rows, []string{imageName(img), human(img.Size), human(img.CompressedSize), human(img.Flagged), budgetCell(img), topPackages(img.TopPackages)})
	}
	t.table([]column{{name: "IMAGE"}, {name: "SIZE", right: true}, {name: "COMPRESSED", right: true}, {name: "FLAGGED", right: true}, {name: "BUDGET"}, {name: "LARGEST FLAGGED PACKAGES", fit: true}}, rows)

	t.section("Repositories")
	rows = nil
	for _, rp := range r.Repositories {
		rows = append(rows, []string{rp.Repo, strconv.Itoa(rp.Images), strconv.Itoa(rp.Incomplete), human(rp.Size), human(rp.Flagged), strconv.Itoa(rp.BudgetFailed)})
	}
	t.table([]column{{name: "REPOSITORY", fit: true}, {name: "IMAGES", right: true}, {name: "INCOMPLETE", right: true}, {name: "SIZE", right: true}, {name: "FLAGGED", right: true}, {name: "BUDGET FAILED", right: true}}, rows)

	t.section("Images that ship build tools")
	if len(r.BuildTools) == 0 {
		t.line("  none")
	}
	rows = nil
	for _, b := range r.BuildTools {
		rows = append(rows, []string{b.Name, human(b.Bytes)})
	}
	t.table([]column{{name: "IMAGE", fit: true}, {name: "BUILD TOOLS", right: true}}, rows)
	return t.flush(w)
}

func writeFleetMarkdown(w io.Writer, r *fleet.Report, o Options) error {
	d := &mdDoc{}
	d.text("## Fleet\n\n%s, %s incomplete; %s, %s compressed; flagged %s. Estimated saving if each image's flagged bytes went into a build stage: **%s**.\n",
		countNoun(r.Total.Images, "image"), humanize.Comma(int64(r.Total.Incomplete)), human(r.Total.Size), human(r.Total.CompressedSize), human(r.Total.Flagged), human(r.Total.Saving))
	b := d.add(mdTable("Image", ">Size", ">Compressed", ">Flagged", "Budget", "Largest flagged packages"))
	b.noun = "image"
	for _, img := range r.Images {
		if !img.Complete {
			var ms []string
			for _, m := range img.Missing {
				ms = append(ms, mdCode(m))
			}
			b.row(mdText(imageName(img)), "incomplete", "", "", "", "missing "+strings.Join(ms, ", "))
			continue
		}
		b.row(mdText(imageName(img)), human(img.Size), human(img.CompressedSize), human(img.Flagged), mdText(budgetCell(img)), mdText(topPackages(img.TopPackages)))
	}
	d.text("\n### Repositories\n")
	b = d.add(mdTable("Repository", ">Images", ">Incomplete", ">Size", ">Flagged", ">Budget failed"))
	b.noun = "repository"
	for _, rp := range r.Repositories {
		b.row(mdText(rp.Repo), strconv.Itoa(rp.Images), strconv.Itoa(rp.Incomplete), human(rp.Size), human(rp.Flagged), strconv.Itoa(rp.BudgetFailed))
	}
	d.text("\n### Images that ship build tools\n")
	b = d.add(mdTable("Image", ">Build tools"))
	b.noun = "image"
	for _, bt := range r.BuildTools {
		b.row(mdText(bt.Name), human(bt.Bytes))
	}
	return d.write(w, o.maxChars())
}

// writeFleetCSV writes one row per image, sizes in bytes. Cells starting
// with a spreadsheet formula character are quoted with a leading "'" so
// an image string cannot become a formula.
func writeFleetCSV(w io.Writer, r *fleet.Report) error {
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
