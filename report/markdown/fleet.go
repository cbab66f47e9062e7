package markdown

import (
	"io"
	"strconv"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/fleet"
	"github.com/imgdiff/imgdiff/report/view"
)

func WriteFleet(w io.Writer, r *fleet.Report, o Options) error {
	d := &mdDoc{}
	d.text("## Fleet\n\n%s, %s incomplete; %s, %s compressed; flagged %s. Estimated saving if each image's flagged bytes went into a build stage: **%s**.\n",
		view.CountNoun(r.Total.Images, "image"), view.Number(r.Total.Incomplete), view.Human(r.Total.Size), view.Human(r.Total.CompressedSize), view.Human(r.Total.Flagged), view.Human(r.Total.Saving))
	b := d.add(mdTable("Image", ">Size", ">Compressed", ">Flagged", "Budget", "Largest flagged packages"))
	b.noun = "image"
	for _, img := range r.Images {
		if !img.Complete {
			var ms []string
			for _, m := range img.Missing {
				ms = append(ms, mdCode(m))
			}
			b.row(mdText(img.Name()), "incomplete", "", "", "", "missing "+strings.Join(ms, ", "))
			continue
		}
		b.row(mdText(img.Name()), view.Human(img.Size), view.Human(img.CompressedSize), view.Human(img.Flagged), mdText(view.BudgetCell(img)), mdText(view.TopPackages(img.TopPackages)))
	}
	d.text("\n### Repositories\n")
	b = d.add(mdTable("Repository", ">Images", ">Incomplete", ">Size", ">Flagged", ">Budget failed"))
	b.noun = "repository"
	for _, rp := range r.Repositories {
		b.row(mdText(rp.Repo), strconv.Itoa(rp.Images), strconv.Itoa(rp.Incomplete), view.Human(rp.Size), view.Human(rp.Flagged), strconv.Itoa(rp.BudgetFailed))
	}
	d.text("\n### Images that ship build tools\n")
	b = d.add(mdTable("Image", ">Build tools"))
	b.noun = "image"
	for _, bt := range r.BuildTools {
		b.row(mdText(bt.Name), view.Human(bt.Bytes))
	}
	return d.write(w, o.maxChars())
}
