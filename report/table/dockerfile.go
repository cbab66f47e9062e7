package table

import (
	"fmt"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/report/view"
)

// dockerfileText is the Dockerfile section of the table report.
func dockerfileText(t *textWriter, title string, img *model.Image, r *analyze.DockerfileReport, ev []view.Ref) {
	if r == nil {
		return
	}
	t.section(title)
	t.line("  %s", view.OneLine(view.Summary(r)))
	var rows [][]string
	for _, s := range img.Steps {
		rows = append(rows, []string{fmt.Sprint(s.Index), view.OneLine(s.Instruction.String()), view.ZeroBlank(s.Final), view.OneLine(view.LineText(r, s.Index))})
	}
	t.table([]column{{name: "STEP", right: true}, {name: "INSTRUCTION", fit: true}, {name: "CONTENT", right: true}, {name: "DOCKERFILE"}}, rows)
	if len(ev) > 0 {
		t.section("Flagged bytes by Dockerfile line")
		rows = rows[:0]
		for _, e := range ev {
			rows = append(rows, []string{view.OneLine(e.What), view.ZeroBlank(e.Bytes), view.OneLine(view.LineText(r, e.Step))})
		}
		t.table([]column{{name: "WHAT", fit: true}, {name: "CONTENT", right: true}, {name: "DOCKERFILE"}}, rows)
	}
	if len(r.Findings) > 0 {
		t.section("Dockerfile findings")
		rows = rows[:0]
		for _, f := range r.Findings {
			loc := f.File + ":" + f.Lines.String()
			if f.Stage != "" {
				loc += " (" + f.Stage + ")"
			}
			rows = append(rows, []string{string(f.Severity), f.ID, view.OneLine(loc), view.ZeroBlank(f.Bytes), view.OneLine(f.Message)})
		}
		t.table([]column{{name: "SEVERITY"}, {name: "ID"}, {name: "DOCKERFILE"}, {name: "BYTES", right: true}, {name: "MESSAGE", fit: true}}, rows)
	}
	for _, w := range r.Warnings {
		t.line("  warning: %s", view.OneLine(w))
	}
}

// compareDockerfileText is the comparison's Dockerfile section.
func compareDockerfileText(t *textWriter, c *view.Comparison) {
	for _, side := range c.Sides {
		r := side.Dockerfile
		t.section("Dockerfile of " + side.Name)
		t.line("  %s", view.OneLine(view.Summary(r)))
		var rows [][]string
		for _, e := range side.Origins {
			rows = append(rows, []string{view.OneLine(e.What), view.ZeroBlank(e.Bytes), view.OneLine(view.LineText(r, e.Step))})
		}
		t.table([]column{{name: "INSTRUCTION OF ORIGIN", fit: true}, {name: "BYTES", right: true}, {name: "DOCKERFILE"}}, rows)
		for _, f := range r.Findings {
			t.line("  %s %s %s:%s %s", f.Severity, f.ID, view.OneLine(f.File), f.Lines, view.OneLine(f.Message))
		}
		for _, w := range r.Warnings {
			t.line("  warning: %s", view.OneLine(w))
		}
	}
}
