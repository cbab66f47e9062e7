package table

import (
	"io"
	"strconv"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/fleet"
	"github.com/imgdiff/imgdiff/report/view"
)

func WriteFleet(w io.Writer, r *fleet.Report, o Options) error {
	t := &textWriter{width: o.width()}
	t.line("Fleet: %s, %s incomplete; %s, %s compressed; flagged %s",
		view.CountNoun(r.Total.Images, "image"), view.Number(r.Total.Incomplete), view.Human(r.Total.Size), view.Human(r.Total.CompressedSize), view.Human(r.Total.Flagged))
	t.line("Estimated saving if each image's flagged bytes went into a build stage: %s", view.Both(r.Total.Saving))

	t.section("Images")
	var rows [][]string
	for _, img := range r.Images {
		if !img.Complete {
			rows = append(rows, []string{img.Name(), "incomplete", "", "", "", "missing " + strings.Join(img.Missing, ", ")})
			continue
		}
		rows = append(rows, []string{img.Name(), view.Human(img.Size), view.Human(img.CompressedSize), view.Human(img.Flagged), view.BudgetCell(img), view.TopPackages(img.TopPackages)})
	}
	t.table([]column{{name: "IMAGE"}, {name: "SIZE", right: true}, {name: "COMPRESSED", right: true}, {name: "FLAGGED", right: true}, {name: "BUDGET"}, {name: "LARGEST FLAGGED PACKAGES", fit: true}}, rows)

	t.section("Repositories")
	rows = nil
	for _, rp := range r.Repositories {
		rows = append(rows, []string{rp.Repo, strconv.Itoa(rp.Images), strconv.Itoa(rp.Incomplete), view.Human(rp.Size), view.Human(rp.Flagged), strconv.Itoa(rp.BudgetFailed)})
	}
	t.table([]column{{name: "REPOSITORY", fit: true}, {name: "IMAGES", right: true}, {name: "INCOMPLETE", right: true}, {name: "SIZE", right: true}, {name: "FLAGGED", right: true}, {name: "BUDGET FAILED", right: true}}, rows)

	t.section("Images that ship build tools")
	if len(r.BuildTools) == 0 {
		t.line("  none")
	}
	rows = nil
	for _, b := range r.BuildTools {
		rows = append(rows, []string{b.Name, view.Human(b.Bytes)})
	}
	t.table([]column{{name: "IMAGE", fit: true}, {name: "BUILD TOOLS", right: true}}, rows)
	return t.flush(w)
}
