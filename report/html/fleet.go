package html

import (
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"io"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/fleet"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/report/view"
)

// fleetPage is the fleet report page: a table sorted by a click on its
// header, and two treemaps of the fleet's flagged bytes, by repository and
// by category, laid out by the vendored d3-hierarchy. Every image string goes through
// html/template (the table) or encoding/json inside a JSON script element
// (the treemap's data), and the page's script sets only textContent.
var fleetPage = htmltemplate.Must(htmltemplate.New("fleet").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>imgdiff fleet report</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left}
th{cursor:pointer;user-select:none;background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.incomplete td{color:#999}.treemap{position:relative;width:100%;height:360px;margin:1em 0}
.treemap div{position:absolute;box-sizing:border-box;border:1px solid #fff;background:#c0504d;color:#fff;overflow:hidden;font-size:12px;padding:2px}
#cat-treemap div{background:#4f81bd}
</style>
</head>
<body>
<h1>Fleet</h1>
<p>{{.Summary}}</p>
<h2>Flagged bytes by repository</h2>
<div id="treemap" class="treemap"></div>
<h2>Flagged bytes by category</h2>
<div id="cat-treemap" class="treemap"></div>
<h2>Images</h2>
<table id="images">
<thead><tr><th>Image</th><th>Size</th><th>Compressed</th><th>Flagged</th>{{range .Categories}}<th>{{.}}</th>{{end}}<th>Budget</th><th>Largest flagged packages</th></tr></thead>
<tbody>
{{range .Rows}}<tr{{if not .Complete}} class="incomplete"{{end}}><td>{{.Name}}</td>{{range .Cells}}<td class="n" data-v="{{.V}}">{{.S}}</td>{{end}}<td>{{.Budget}}</td><td>{{.Packages}}</td></tr>
{{end}}</tbody>
</table>
<h2>Repositories</h2>
<table id="repos">
<thead><tr><th>Repository</th><th>Images</th><th>Incomplete</th><th>Size</th><th>Flagged</th><th>Budget failed</th></tr></thead>
<tbody>
{{range .Repos}}<tr><td>{{.Name}}</td>{{range .Cells}}<td class="n" data-v="{{.V}}">{{.S}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
<script type="application/json" id="data">{{.Data}}</script>
<script>
{{.D3}}
</script>
<script>
(function(){
function sortable(t){var ths=t.tHead.rows[0].cells;for(var i=0;i<ths.length;i++)(function(c){var asc=true;ths[c].addEventListener('click',function(){asc=!asc;var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows);rows.sort(function(x,y){var a=x.cells[c],z=y.cells[c],va=a.getAttribute('data-v'),vz=z.getAttribute('data-v');var r=(va!==null&&vz!==null)?(Number(va)-Number(vz)):a.textContent.localeCompare(z.textContent);return asc?r:-r});rows.forEach(function(r){b.appendChild(r)})})})(i)}
sortable(document.getElementById('images'));sortable(document.getElementById('repos'));
var data=JSON.parse(document.getElementById('data').textContent);
function treemap(tm,items){
items=items.filter(function(r){return r.bytes>0});
if(!items.length){tm.textContent='No flagged bytes.';tm.style.height='auto';return}
var root=d3.hierarchy({children:items}).sum(function(d){return d.bytes||0}).sort(function(a,b){return b.value-a.value});
d3.treemap().size([tm.clientWidth,tm.clientHeight]).padding(1)(root);
root.leaves().forEach(function(l){var d=document.createElement('div');d.style.left=l.x0+'px';d.style.top=l.y0+'px';d.style.width=(l.x1-l.x0)+'px';d.style.height=(l.y1-l.y0)+'px';d.textContent=l.data.name+' '+l.data.human;d.title=l.data.name+': '+l.data.human+' flagged';tm.appendChild(d)});
}
treemap(document.getElementById('treemap'),data.repositories);
treemap(document.getElementById('cat-treemap'),data.categories);
document.body.setAttribute('data-ready','1');
})();
</script>
</body>
</html>
`))

type fleetCell struct {
	V int64
	S string
}

type fleetRow struct {
	Name, Budget, Packages string
	Complete               bool
	Cells                  []fleetCell
}

type fleetRepo struct {
	Name  string
	Cells []fleetCell
}

// fleetRepoBytes is one rectangle of a treemap (a repository or a
// category).
type fleetRepoBytes struct {
	Name  string `json:"name"`
	Bytes int64  `json:"bytes"`
	Human string `json:"human"`
}

func sizeCell(n int64) fleetCell { return fleetCell{V: n, S: view.Human(max(n, 0))} }
func countCell(n int) fleetCell  { return fleetCell{V: int64(n), S: view.Number(n)} }

// WriteFleet writes the fleet report as one self-contained page.
func WriteFleet(w io.Writer, r *fleet.Report) error {
	var cats []model.Category
	for _, c := range model.Categories() {
		if c != model.Other {
			cats = append(cats, c)
		}
	}
	var rows []fleetRow
	for _, img := range r.Images {
		row := fleetRow{Name: model.Visible(img.Name()), Complete: img.Complete, Budget: img.Budget}
		if !img.Complete {
			row.Budget = "incomplete: missing " + strings.Join(img.Missing, ", ")
		}
		row.Cells = []fleetCell{sizeCell(img.Size), sizeCell(img.CompressedSize), sizeCell(img.Flagged)}
		for _, c := range cats {
			row.Cells = append(row.Cells, sizeCell(img.Categories[c]))
		}
		var ps []string
		for _, p := range img.TopPackages {
			ps = append(ps, fmt.Sprintf("%s (%s, %s)", p.Name, p.Category, view.Human(max(p.Bytes, 0))))
		}
		row.Packages = model.Visible(strings.Join(ps, ", "))
		rows = append(rows, row)
	}
	var repos []fleetRepo
	var tm struct {
		Repos []fleetRepoBytes `json:"repositories"`
		Cats  []fleetRepoBytes `json:"categories"`
	}
	rect := func(name string, n int64) fleetRepoBytes {
		return fleetRepoBytes{Name: name, Bytes: n, Human: view.Human(max(n, 0))}
	}
	for _, rp := range r.Repositories {
		repos = append(repos, fleetRepo{Name: model.Visible(rp.Repo), Cells: []fleetCell{
			countCell(rp.Images), countCell(rp.Incomplete), sizeCell(rp.Size), sizeCell(rp.Flagged), countCell(rp.BudgetFailed)}})
		tm.Repos = append(tm.Repos, rect(model.Visible(rp.Repo), rp.Flagged))
	}
	// The categories that make the flagged bytes: the two treemaps
	// share their total.
	for _, c := range cats {
		if fleet.FlaggedCategory(c) {
			tm.Cats = append(tm.Cats, rect(string(c), r.Total.Categories[c]))
		}
	}
	data, err := json.Marshal(tm)
	if err != nil {
		return fmt.Errorf("html: encoding the fleet data: %w", err)
	}
	t := r.Total
	summary := fmt.Sprintf("%d images (%d incomplete), %s, %s compressed; flagged %s. Estimated saving if each image's flagged bytes went into a build stage: %s.",
		t.Images, t.Incomplete, view.Human(max(t.Size, 0)), view.Human(max(t.CompressedSize, 0)),
		view.Human(max(t.Flagged, 0)), view.Human(max(t.Saving, 0)))
	var b strings.Builder
	err = fleetPage.Execute(&b, map[string]any{
		"Summary": summary, "Categories": cats, "Rows": rows, "Repos": repos,
		// The JSON is Go's (it escapes <, > and &) and the library is
		// ours: both are inserted as they are.
		"Data": htmltemplate.JS(data),
		"D3":   htmltemplate.JS("/*\nd3-hierarchy (https://d3js.org/d3-hierarchy/), vendored under its licence:\n" + strings.ReplaceAll(d3License, "*/", "* /") + "*/\n" + d3Hierarchy),
	})
	if err != nil {
		return fmt.Errorf("html: fleet page: %w", err)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("writing the html report: %w", err)
	}
	return nil
}
