package markdown

import (
	"fmt"
	"strings"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/report/view"
)

// dockerfileMarkdown is the Dockerfile section of the Markdown report.
func dockerfileMarkdown(d *mdDoc, title string, img *model.Image, r *analyze.DockerfileReport, ev []view.Ref, o Options) {
	if r == nil {
		return
	}
	dockerfileHead(d, title, r, o)
	if len(ev) > 0 {
		et := d.add(details("Flagged bytes by Dockerfile line", mdTable("What", ">Content", "Dockerfile")))
		et.noun = "entry"
		for _, e := range ev {
			et.row(mdText(view.OneLine(e.What)), view.ZeroBlank(e.Bytes), o.mdStep(r, e.Step))
		}
	}
	st := d.add(details("Steps by Dockerfile line", mdTable(">Step", "Instruction", ">Content", "Dockerfile")))
	st.noun = "step"
	for _, s := range img.Steps {
		st.row(fmt.Sprint(s.Index), mdInstr(s.Instruction.String()), view.ZeroBlank(s.Final), o.mdStep(r, s.Index))
	}
}

// mdStep is a step's Dockerfile location, linked when the repository is
// known.
func (o Options) mdStep(r *analyze.DockerfileReport, step int) string {
	l, ok := r.StepAt(step)
	if !ok {
		return "—"
	}
	return o.mdLines(l.File, l.Start, l.End, l.Stage)
}

// mdLines renders "Dockerfile:4-6 (build)", a link to the lines in the
// repository when Options.SourceURL is set.
func (o Options) mdLines(file string, start, end int, stage string) string {
	text := file + ":" + fmt.Sprint(start)
	anchor := fmt.Sprintf("#L%d", start)
	if end > start {
		text += fmt.Sprintf("-%d", end)
		anchor += fmt.Sprintf("-L%d", end)
	}
	out := mdCode(text)
	if o.SourceURL != "" {
		out = "[" + out + "](" + strings.TrimSuffix(o.SourceURL, "/") + "/" + urlPath(view.CleanPath(file)) + anchor + ")"
	}
	if stage != "" {
		out += " (" + mdText(stage) + ")"
	}
	return out
}

// urlPath escapes each segment of a slash-separated path for a URL.
func urlPath(p string) string { return view.FileURI(p) }

// compareDockerfileMarkdown is the comparison's Dockerfile section.
func compareDockerfileMarkdown(d *mdDoc, c *view.Comparison, o Options) {
	for _, side := range c.Sides {
		dockerfileHead(d, "Dockerfile of "+side.Name, side.Dockerfile, o)
		ot := d.add(details("Instructions of origin by Dockerfile line", mdTable("Instruction", ">Bytes", "Dockerfile")))
		ot.noun = "step"
		for _, e := range side.Origins {
			ot.row(mdInstr(e.What), view.ZeroBlank(e.Bytes), o.mdStep(side.Dockerfile, e.Step))
		}
	}
}

// dockerfileHead is what both Dockerfile sections start with: the title,
// the mapping in one line, its warnings and the Dockerfile findings.
func dockerfileHead(d *mdDoc, title string, r *analyze.DockerfileReport, o Options) {
	d.text("\n### %s\n\n%s\n", mdText(title), mdText(view.Summary(r)))
	for _, w := range r.Warnings {
		d.text("\n> [!WARNING]\n> %s\n", mdText(view.OneLine(w)))
	}
	if len(r.Findings) > 0 {
		ft := d.add(mdTable("Severity", "ID", "Dockerfile", ">Bytes", "Message"))
		ft.noun = "finding"
		for _, f := range r.Findings {
			ft.row(mdText(string(f.Severity)), mdCode(f.ID), o.mdLines(f.File, f.Lines.Start, f.Lines.End, f.Stage), view.ZeroBlank(f.Bytes), mdText(view.OneLine(f.Message)))
		}
	}
}
