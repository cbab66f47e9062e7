package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/imgdiff/imgdiff/analyze/fleet"
	"github.com/imgdiff/imgdiff/analyze/model"
)

// Image strings reach a fleet report from every repository of a
// registry: none may break a Markdown row, a terminal or a spreadsheet.
func TestFleetHostileNames(t *testing.T) {
	img := fleet.Image{Ref: "r@1", Repo: "evil|repo\n| x", Tag: "=HYPERLINK(\"http://x\")", Complete: true, Size: 10, Flagged: 5,
		Categories:  map[model.Category]int64{model.BuildTool: 5},
		TopPackages: []fleet.Package{{Name: "gcc\x1b[31m", Manager: "dpkg", Category: model.BuildTool, Bytes: 5}}}
	r := &fleet.Report{Images: []fleet.Image{img}, BuildTools: []fleet.ImageBytes{{Ref: "r@1", Name: img.Name(), Bytes: 5}},
		Repositories: []fleet.Totals{{Repo: img.Repo, Images: 1}}}
	var md bytes.Buffer
	if err := (Options{}).WriteFleet(&md, Markdown, r); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(md.String(), "\n") {
		if n := strings.Count(strings.ReplaceAll(l, `\|`, ""), "|"); strings.HasPrefix(l, "| evil") && n != 7 && n != 3 {
			t.Errorf("row broken: %q", l)
		}
	}
	if strings.Contains(md.String(), "http://") || strings.Contains(md.String(), "\x1b") {
		t.Errorf("markdown carries a live link or an escape:\n%s", md.String())
	}
	var tb bytes.Buffer
	if err := (Options{}).WriteFleet(&tb, Table, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(tb.String(), "\x1b") {
		t.Error("table carries an escape sequence")
	}
	var c bytes.Buffer
	if err := (Options{}).WriteFleet(&c, CSV, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&c).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("csv: %v %d rows", err, len(rows))
	}
	if tag := rows[1][2]; !strings.HasPrefix(tag, "'=") {
		t.Errorf("formula not defused: %q", tag)
	}
	if _, err := ParseFleetFormat("sarif"); err == nil {
		t.Error("sarif accepted for a fleet")
	}
	var h bytes.Buffer
	r.Repositories[0].Repo = "</script><img src=x onerror=alert(1)>"
	r.Repositories[0].Flagged = 5
	if err := (Options{}).WriteFleet(&h, HTML, r); err != nil {
		t.Fatal(err)
	}
	page := h.String()
	if strings.Contains(page, "<img src=x") || strings.Count(page, "</script>") != 3 {
		t.Errorf("html: an image string escaped its element (%d </script>)", strings.Count(page, "</script>"))
	}
	if !strings.Contains(page, "evil|repo") || !strings.Contains(page, `data-v="10"`) {
		t.Error("html: the image row is missing")
	}
}
